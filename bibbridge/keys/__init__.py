"""Better BibTeX-compatible citation keys that never change once given.

``compile_formula`` / ``KeyFormula`` make base keys from records (:mod:`.formula`); ``KeyRegistry``
(:mod:`.registry`, SQLite) remembers every key given and adds Better BibTeX postfixes on clashes.
Names are loaded lazily so that importing the formula does not import sqlite3.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_NAMES = {
    "KeyRegistry": "registry",
    "KeyRow": "registry",
    "assign_keys": "registry",
    "postfix": "registry",
    "compile_formula": "formula",
    "resolve_formula": "formula",
    "DEFAULT_FORMULA": "formula",
    "KeyFormula": "formula",
}

__all__ = sorted(_NAMES)


__getattr__, __dir__ = lazy_exports(__name__, _NAMES, globals())
