"""Key lookup over several sources: :class:`Lookup` (load once, ask many times) and :func:`lookup`."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Union

from ..errors import UsageError
from ..model import Paper
from .candidates import Candidate, Match
from .index import Table
from .match import DEFAULT_MIN_SCORE, Query, parse_query, search_table
from .sources import BetterBibTeX, BibFile, CslFile, LocalRegistry, Source, SourceUnavailable, ZoteroLibrary

SourceSpec = Union[Source, str, "os.PathLike[str]"]


class LookupWarning(UserWarning):
    """A configured source could not be reached; the others answered."""


def sources_from_spec(spec: Mapping[str, Any] | Iterable[SourceSpec] | None) -> list[Source]:
    """Sources from what a caller has at hand.

    - ``None``: the local registry only.
    - a list of :class:`Source` objects, or paths (``.json`` → CSL-JSON, anything else → .bib);
    - a dict like the CLI options: ``{"bib": [...], "csl": [...], "local": True,
      "zotero": "user:123" or {"library": ..., "api_url": ..., "api_key": ...}, "bbt": True or URL}``.
    """
    if spec is None:
        return [LocalRegistry()]
    if isinstance(spec, Mapping):
        unknown = set(spec) - {"bib", "csl", "local", "zotero", "bbt"}
        if unknown:
            raise UsageError(f"unknown lookup source kind(s): {', '.join(sorted(unknown))}")
        sources: list[Source] = [BibFile(p) for p in _as_list(spec.get("bib"))]
        sources += [CslFile(p) for p in _as_list(spec.get("csl"))]
        if spec.get("local", True):
            sources.append(LocalRegistry())
        zotero = spec.get("zotero")
        if zotero:
            settings = (
                {"library": zotero} if isinstance(zotero, str) else {} if zotero is True else dict(zotero)
            )
            sources.append(ZoteroLibrary(**settings))
        bbt = spec.get("bbt")
        if bbt:
            sources.append(BetterBibTeX(bbt if isinstance(bbt, str) else None))
        return sources
    out: list[Source] = []
    for item in spec:
        if isinstance(item, Source):
            out.append(item)
        elif isinstance(item, (str, os.PathLike)):
            path = os.fspath(item)
            out.append(CslFile(path) if path.lower().endswith(".json") else BibFile(path))
        else:
            raise UsageError(f"not a lookup source: {item!r}")
    return out


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [value]
    return list(value)


class Lookup:
    """Find citation keys in several sources. Static sources are read once per Lookup.

    ``warnings`` collects one message per source that could not be reached (each named once).
    """

    def __init__(self, sources: Mapping[str, Any] | Iterable[SourceSpec] | None = None) -> None:
        self.sources = sources_from_spec(sources)
        self.warnings: list[str] = []
        self._tables: dict[int, Table | None] = {}

    def _warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def tables(self, query: Query | None = None) -> list[Table]:
        """The table of every reachable source (static ones loaded on first use, then kept)."""
        out: list[Table] = []
        for index, source in enumerate(self.sources):
            if source.static and index in self._tables:
                table = self._tables[index]
            else:
                try:
                    table = source.table(query)
                except SourceUnavailable as exc:
                    self._warn(str(exc))
                    table = None
                stale = getattr(source, "stale_warning", None)
                if stale:
                    self._warn(stale)
                if source.static:
                    self._tables[index] = table
            if table is not None:
                out.append(table)
        return out

    def load(self) -> None:
        """Read every static source now (so errors surface before the first query)."""
        self.tables(None)

    def search(self, query: str, limit: int = 10, min_score: int = DEFAULT_MIN_SCORE) -> list[Match]:
        """Ranked matches scoring at least ``min_score``; one per key (the sources knowing it merged)."""
        if limit < 1:
            raise UsageError("limit must be at least 1")
        parsed = parse_query(query)
        if not (parsed.words or parsed.years or parsed.key or parsed.arxiv_ids or parsed.dois):
            raise UsageError("empty query: give title words, an author, a year, an arXiv id, a DOI or a key")
        by_key: dict[str, Match] = {}
        for table in self.tables(parsed):
            for row, score, matched in search_table(table, parsed, limit=limit):
                if score < min_score:
                    continue
                key = table.row(row).key
                found = by_key.get(key)
                if found is None:
                    by_key[key] = Match(candidate_of(table, row), score, matched, [table.name])
                    continue
                if table.name not in found.sources:
                    found.sources.append(table.name)
                if score > found.score:
                    found.candidate, found.score, found.matched = candidate_of(table, row), score, matched
        return sorted(by_key.values(), key=lambda m: (-m.score, m.key.lower()))[:limit]

    def knows(self, key: str) -> bool:
        """True when some source has exactly this key (Better BibTeX is asked with the key)."""
        parsed = parse_query(key)
        for table in self.tables(parsed):
            for row in table.key_rows(key):
                if table.row(row).key == key:
                    return True
        return False


def candidate_of(table: Table, row: int) -> Candidate:
    """The :class:`Candidate` for one row of a table (built only for rows that are shown)."""
    entry = table.row(row)
    paper = Paper(
        title=entry.title,
        authors=entry.authors,
        published=entry.year or None,
        arxiv_id=entry.arxiv_id or None,
        doi=entry.doi or None,
        source={"file": table.file, "line": entry.line},
    )
    return Candidate(entry.key, paper, table.name)


def lookup(
    query: str,
    sources: Mapping[str, Any] | Sequence[SourceSpec] | None = None,
    limit: int = 10,
    min_score: int = DEFAULT_MIN_SCORE,
) -> list[Match]:
    """The citation keys best matching ``query``, best first (empty when nothing scores ``min_score``).

    ``sources``: see :func:`sources_from_spec` (default: the local registry). Sources that cannot be
    reached are reported with :class:`LookupWarning` warnings; unreadable files raise
    :class:`bibbridge.errors.InputError`.
    """
    finder = Lookup(sources)
    matches = finder.search(query, limit=limit, min_score=min_score)
    for message in finder.warnings:
        warnings.warn(message, LookupWarning, stacklevel=2)
    return matches


def check_citations(
    path: str | os.PathLike[str],
    sources: Mapping[str, Any] | Sequence[SourceSpec] | None = None,
    suggestions: int = 3,
) -> list[Any]:
    """The keys a .tex/.aux/Markdown file cites that no source knows (:class:`~.check.Citation` list,
    each with ``key``, first ``line`` and ``suggestions``); empty when every key is known.
    """
    from .check import unknown_citations

    finder = Lookup(sources)
    unknown = unknown_citations(path, finder, suggestions)
    for message in finder.warnings:
        warnings.warn(message, LookupWarning, stacklevel=2)
    return unknown
