"""``to_bibtex``, ``to_biblatex``, ``to_csl_json``: papers → text, keys from the key registry.

Keys come from :class:`bibbridge.keys.KeyRegistry` (``$BIBBRIDGE_HOME``): a paper that already has a
key keeps it, a new paper gets the formula's key (Better BibTeX postfixes on clashes) and the registry
remembers it, so printing the same papers again later gives the same keys.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..model import Paper, dedupe
from .writer import STYLES, entries_text, warn_unportable_keys, writable_keys

if TYPE_CHECKING:
    from ..keys import KeyFormula, KeyRegistry


def check_style(style: str) -> str:
    if style not in STYLES:
        from ..errors import UsageError

        raise UsageError(f"unknown style {style!r}: use one of {', '.join(STYLES)}")
    return style


@contextlib.contextmanager
def open_registry(dry_run: bool = False, path: str | os.PathLike[str] | None = None) -> Iterator[KeyRegistry]:
    """The key registry; with ``dry_run``, a throw-away copy, so keys are computed but nothing stored."""
    from ..home import state_db_path
    from ..keys import KeyRegistry

    real = Path(path) if path is not None else state_db_path()
    if not dry_run:
        with KeyRegistry(real) as registry:
            yield registry
        return
    with tempfile.TemporaryDirectory(prefix="bibbridge-dry-run-") as tmp:
        copy = Path(tmp) / "state.sqlite"
        if real.exists():
            shutil.copyfile(real, copy)
        with KeyRegistry(copy) as registry:
            yield registry


def render(papers: list[Paper], keys: dict[str, str], style: str) -> str:
    """``papers`` as text in ``style`` (keys by ``paper.identity``).

    A key given out earlier that pandoc or ``\\cite`` cannot take is kept (never re-keyed silently)
    and named in a :class:`~bibbridge.bib.writer.CitationKeyWarning`."""
    keys = writable_keys({p.identity: keys[p.identity] for p in papers})
    warn_unportable_keys(keys.values())
    if check_style(style) == "csl-json":
        from .csl import to_csl_json_text

        return to_csl_json_text(papers, keys)
    return entries_text(papers, keys, style)


def to_bibtex(papers: Iterable[Paper], style: str = "bibtex", formula: KeyFormula | str | None = None) -> str:
    """``papers`` as .bib text (``style`` ``bibtex`` or ``biblatex``; ``csl-json`` gives JSON).

    Papers met twice are merged first (:func:`bibbridge.model.dedupe`). ``formula`` is a Better
    BibTeX key formula (default: the config file's ``[keys] format``, else
    ``auth.lower + shorttitle(3,3) + year``); it only shapes keys of papers the registry does not know.
    """
    check_style(style)
    unique = dedupe(list(papers))
    with open_registry() as registry:
        keys = registry.assign(unique, formula=formula)
    return render(unique, keys, style)


def to_biblatex(papers: Iterable[Paper], formula: KeyFormula | str | None = None) -> str:
    """``papers`` as BibLaTeX ``@misc`` entries (UTF-8); see :func:`to_bibtex`."""
    return to_bibtex(papers, style="biblatex", formula=formula)


def to_csl_json(papers: Iterable[Paper], formula: KeyFormula | str | None = None) -> str:
    """``papers`` as a CSL-JSON array (type ``article``, ``id`` = citation key); see :func:`to_bibtex`."""
    return to_bibtex(papers, style="csl-json", formula=formula)
