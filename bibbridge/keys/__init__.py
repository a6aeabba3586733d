"""Better BibTeX-compatible citation keys that never change once given.

``compile_formula`` / ``KeyFormula`` make base keys from records (:mod:`.formula`); ``KeyRegistry``
(:mod:`.registry`, SQLite) remembers every key given and adds Better BibTeX postfixes on clashes.
Names are loaded lazily so that importing the formula does not import sqlite3.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

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


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'bibbridge.keys' has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
