"""Citation key lookup: find the key of a paper from whatever the user remembers (``bibbridge key``).

- :mod:`.candidates`: :class:`Candidate` (a key, its :class:`~bibbridge.model.Paper`, its source) and
  :class:`Match` (a candidate with a score).
- :mod:`.sources`: .bib files, CSL-JSON files, the local key registry, Zotero, Better BibTeX.
- :mod:`.index`: a source's searchable table (:class:`~.index.Record` in, rows and word index).
- :mod:`.bibtable`: a .bib's table, cached and updated by the entries that changed.
- :mod:`.match`: query parsing and scoring (documented there).
- :mod:`.check`: cited keys in .tex/.aux/Markdown that no source knows.
- :mod:`.api`: :class:`Lookup`, :func:`lookup`, :func:`check_citations`.
"""

from __future__ import annotations

from .api import Lookup, LookupWarning, check_citations, lookup, sources_from_spec
from .candidates import Candidate, Match
from .index import Record
from .match import DEFAULT_MIN_SCORE
from .sources import BetterBibTeX, BibFile, CslFile, LocalRegistry, Source, SourceUnavailable, ZoteroLibrary

__all__ = [
    "DEFAULT_MIN_SCORE",
    "BetterBibTeX",
    "BibFile",
    "Candidate",
    "CslFile",
    "LocalRegistry",
    "Lookup",
    "LookupWarning",
    "Match",
    "Record",
    "Source",
    "SourceUnavailable",
    "ZoteroLibrary",
    "check_citations",
    "lookup",
    "sources_from_spec",
]
