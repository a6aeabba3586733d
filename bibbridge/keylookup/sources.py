"""Where citation keys live: each source gives its entries as :class:`~.index.Record` s, made into one
:class:`~.index.Table`.

- :class:`BibFile`: a .bib file (e.g. a Better BibTeX auto-export), read with the fast scanner of
  :mod:`bibbridge.bib.reader`; its table is cached and updated by the entries that changed
  (:mod:`.bibtable`).
- :class:`CslFile`: a CSL-JSON export (key: ``citation-key``, else ``id``); cached the same way.
- :class:`LocalRegistry`: the keys bibbridge has given out (:class:`bibbridge.keys.KeyRegistry`).
- :class:`ZoteroLibrary`: a Zotero library through the Web API, served from the incremental local index
  (:func:`bibbridge.zotero.index.library_records`).
- :class:`BetterBibTeX`: a running Zotero desktop with Better BibTeX, asked per query over JSON-RPC.

A source that is configured but cannot be reached raises :class:`SourceUnavailable`; the lookup names
it in a warning and answers from the others. A source that cannot be read (a missing or malformed file)
raises :class:`bibbridge.errors.InputError` (exit 2).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import BibbridgeError, InputError
from ..identity import BIB_ARXIV_TEXT_FIELDS, bib_arxiv_id, csl_arxiv_id
from ..text import find_arxiv_id, find_year
from .index import (
    NAME_SEP,
    YEARS,
    Record,
    Table,
    cache_path_for,
    clean_arxiv_ids,
    each_line_matches,
    file_stamp,
    line_numbers,
    load_cache,
)
from .match import Query

ENV_BBT_URL = "BIBBRIDGE_BBT_URL"
DEFAULT_BBT_URL = "http://localhost:23119/better-bibtex/json-rpc"
BBT_TIMEOUT = 5.0
#: Attempts per Zotero request in a lookup (sync retries far longer).
ZOTERO_ATTEMPTS = 2


class SourceUnavailable(BibbridgeError):
    """A configured source could not be reached (a warning for lookup, not an error)."""

    exit_code = 1


class Source:
    """Base of all sources: a display ``name``, :meth:`records` and :meth:`table` (the records as one
    searchable table; file sources cache it)."""

    name = "source"
    #: True when :meth:`records` does not depend on the query (the table is then loaded once).
    static = True

    def records(self, query: Query | None = None) -> Iterable[Record]:  # pragma: no cover - interface
        """The source's entries (for Better BibTeX, those it finds for ``query``)."""
        raise NotImplementedError

    def table(self, query: Query | None = None) -> Table:
        return Table.build(self.name, self.records(query))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def _year(text: str | None) -> str:
    return find_year(text)


def _arxiv_in(*texts: str | None) -> str:
    return find_arxiv_id(*texts) or ""


def _readable_file(path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    if not target.is_file():
        reason = "is a directory" if target.is_dir() else "no such file"
        raise InputError(f"cannot read: {reason}", file=str(path))
    if not os.access(target, os.R_OK):
        raise InputError("cannot read: permission denied", file=str(path))
    return target


# -- .bib --------------------------------------------------------------------------------------------
#: The .bib fields key lookup reads (the fast reader skips all others, abstracts included).
BIB_FIELDS = (
    "title",
    "author",
    "editor",
    "year",
    "date",
    "doi",
    "eprint",
    "eprinttype",
    "archiveprefix",
    "url",
    "journal",
    "number",
    "howpublished",
)


#: The fields bibbridge.identity.bib_arxiv_id reads (all among BIB_FIELDS).
_ARXIV_ROW_FIELDS = ("eprint", "eprinttype", "archiveprefix", *BIB_ARXIV_TEXT_FIELDS)


def bib_table(name: str, entries: list[Any]) -> Table:
    """The table of scanned .bib entries (``key``, ``fields``, ``line`` each)."""
    fields = [entry.fields for entry in entries]
    columns = {field: [f.get(field, "") for f in fields] for field in BIB_FIELDS}
    keys, lines = [entry.key for entry in entries], [entry.line for entry in entries]
    return bib_columns_table(name, keys, columns, lines)


def _rows_holding(needle: str, column: list[str]) -> set[int]:
    """The rows of ``column`` whose value contains ``needle`` (lower case), ignoring case; found in the
    joined column (C loops), a Python step only for each hit."""
    joined = "\n".join(column).lower()
    if len(joined) != sum(map(len, column)) + len(column) - 1 or joined.count("\n") != len(column) - 1:
        # lower() changed a length (e.g. "İ") or a value holds a newline: one value at a time.
        return {row for row, value in enumerate(column) if needle in value.lower()}
    return set(line_numbers(joined, needle))


def decode_titles(titles: list[str]) -> list[str]:
    """LaTeX → text for a column of titles (the one place lookup decodes them)."""
    from ..text.latex import latex_to_text_many  # not at import: a query on a cached table needs none

    return latex_to_text_many(titles)


def decode_names(names: list[str]) -> list[str]:
    """LaTeX → text for a column of BibTeX name lists; "A and B" → names joined by :data:`NAME_SEP`."""
    from ..text.latex import latex_to_text_many

    return latex_to_text_many(names, replace=(" and ", NAME_SEP))


def bib_columns(keys: list[str], fields: dict[str, list[str]], lines: list[int]) -> tuple[list, ...]:
    """The columns :meth:`Table.add` takes, from .bib entries given as columns (see
    :class:`bibbridge.bib.reader.BibColumns`): a Python step a row only where a column needs it."""
    count = len(keys)
    years = fields["year"]
    if "" in years:
        years = [year or date for year, date in zip(years, fields["date"], strict=True)]
    if not each_line_matches(YEARS, years):
        years = [year if len(year) == 4 and year.isdigit() else _year(year) for year in years]
    # arXiv ids by the rule of bibbridge.identity.bib_arxiv_id: the eprint when its type is arXiv or
    # not given, else one named in the URL, DOI, journal, number or howpublished. Whole columns
    # first; the rule entry by entry only for the rows that need it.
    eprints = fields["eprint"]
    types, prefixes = fields["eprinttype"], fields["archiveprefix"]
    other_archive: set[int] = set()
    if not {kind.lower() for kind in set(types) | set(prefixes)} <= {"", "arxiv"}:
        other_archive = {
            row
            for row, (kind, prefix) in enumerate(zip(types, prefixes, strict=True))
            if (kind or prefix or "arxiv").strip().lower() != "arxiv"
        }
        eprints = ["" if row in other_archive else eprint for row, eprint in enumerate(eprints)]
    arxiv_ids = clean_arxiv_ids(eprints)
    named: set[int] = set()
    for field_name in BIB_ARXIV_TEXT_FIELDS:
        named |= _rows_holding("rxiv", fields[field_name])
    for row in sorted(named):
        if not arxiv_ids[row]:
            arxiv_ids[row] = bib_arxiv_id({f: fields[f][row] for f in _ARXIV_ROW_FIELDS}) or ""
    authors = fields["author"]
    editors = fields["editor"]
    if editors.count("") != count:
        authors = [author or editor for author, editor in zip(authors, editors, strict=True)]
    # "A and B and others" → names; "others" is dropped when a row is shown.
    titles, names = decode_titles(fields["title"]), decode_names(authors)
    return keys, titles, names, years, fields["doi"], arxiv_ids, lines


def bib_columns_table(name: str, keys: list[str], fields: dict[str, list[str]], lines: list[int]) -> Table:
    """The table of .bib entries given as columns (see :func:`bib_columns`)."""
    return Table.from_columns(name, *bib_columns(keys, fields, lines), name)  # type: ignore[arg-type]


class BibFile(Source):
    """A .bib file; its table is cached under ``$BIBBRIDGE_HOME`` and updated by the entries that
    changed (see :mod:`.bibtable`)."""

    def __init__(self, path: str | os.PathLike[str], name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or str(path)

    def table(self, query: Query | None = None) -> Table:
        from .bibtable import bib_file_table

        try:
            return bib_file_table(_readable_file(self.path), self.name)
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", file=str(self.path)) from None

    def records(self, query: Query | None = None) -> Iterator[Record]:
        table = self.table(query)
        for slot in range(table.slots):
            if table.lines[slot]:
                row = table.row(slot)
                yield Record(row.key, row.title, row.authors, row.year, row.doi, row.arxiv_id, row.line)


def cached_table(path: Path, kind: str, name: str, build: Callable[[Path], Table]) -> Table:
    """The table of file ``path``, from the cache when the file's size and mtime are unchanged, else
    ``build(path)``, cached (a lost or torn cache file only costs a rebuild: no fsync)."""
    path = path.resolve()
    stamp, cache = file_stamp(path), cache_path_for(path, kind)
    table = load_cache(cache)
    if table is None or table.stamp != stamp:
        table = build(path)
        table.cache, table.stamp = cache, stamp
        table.store()
    table.name = name
    return table


# -- CSL-JSON ----------------------------------------------------------------------------------------
def csl_name(person: dict[str, Any]) -> str:
    if person.get("literal"):
        return str(person["literal"])
    family = " ".join(str(person.get(part) or "") for part in ("non-dropping-particle", "family")).strip()
    given = str(person.get("given") or "").strip()
    return f"{family}, {given}" if family and given else family or given


def csl_year(item: dict[str, Any]) -> str:
    issued = item.get("issued")
    if isinstance(issued, dict):
        parts = issued.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            return _year(str(parts[0][0]))
        return _year(str(issued.get("raw") or issued.get("literal") or ""))
    return _year(str(issued or ""))


def csl_key(item: dict[str, Any]) -> str:
    """The citation key of a CSL item: ``citation-key`` (CSL 1.0.2), ``citekey`` (Better BibTeX), ``id``."""
    for name in ("citation-key", "citekey", "id"):
        value = item.get(name)
        if value not in (None, ""):
            return str(value)
    return ""


def csl_record(item: dict[str, Any]) -> Record | None:
    """A CSL-JSON item → a lookup record (None for items without any key)."""
    from ..text.latex import latex_to_text

    key = csl_key(item)
    if not key:
        return None
    authors = [csl_name(p) for p in item.get("author") or item.get("editor") or [] if isinstance(p, dict)]
    doi = str(item.get("DOI") or "")
    arxiv_id = csl_arxiv_id(item) or ""
    title = latex_to_text(str(item.get("title") or ""), tie=" ").strip()
    return Record(key, " ".join(title.split()), [n for n in authors if n], csl_year(item), doi, arxiv_id)


class CslFile(Source):
    """A CSL-JSON export (an array of items, as Zotero and Better BibTeX write it)."""

    def __init__(self, path: str | os.PathLike[str], name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or str(path)

    def table(self, query: Query | None = None) -> Table:
        build = lambda _: Table.build(self.name, self.records(), self.name)  # noqa: E731
        return cached_table(_readable_file(self.path), "csl", self.name, build)

    def records(self, query: Query | None = None) -> list[Record]:
        import json

        try:
            data = json.loads(self.path.read_bytes())
        except json.JSONDecodeError as exc:
            raise InputError(f"not CSL-JSON: {exc.msg}", file=str(self.path), line=exc.lineno) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read: {exc}", file=str(self.path)) from None
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            data = data["items"]
        if not isinstance(data, list):
            raise InputError("not CSL-JSON: expected an array of items", file=str(self.path), line=1)
        records = (csl_record(item) for item in data if isinstance(item, dict))
        return [record for record in records if record is not None]


# -- the local registry ------------------------------------------------------------------------------
class LocalRegistry(Source):
    """The keys bibbridge itself has given out (``state.sqlite``); empty before the first ``bib``/``sync``."""

    name = "local"

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else None

    def records(self, query: Query | None = None) -> list[Record]:
        from ..home import state_db_path

        path = self.path or state_db_path()
        if not path.exists():  # never create the state file just to look into it
            return []
        from ..keys import KeyRegistry

        with KeyRegistry(path) as registry:
            rows = list(registry.rows())
        return [
            Record(key, title or "", _split_authors(authors), str(year or ""), doi or "", arxiv_id or "")
            for key, arxiv_id, doi, title, authors, year in rows
        ]


def _split_authors(authors: Any) -> list[str]:
    if not authors:
        return []
    if isinstance(authors, str):
        import json

        try:
            decoded = json.loads(authors)
        except ValueError:
            return [a.strip() for a in re.split(r"\s+and\s+|;", authors) if a.strip()]
        return [str(a) for a in decoded] if isinstance(decoded, list) else [str(decoded)]
    return [str(a) for a in authors]


# -- Zotero Web API ----------------------------------------------------------------------------------
class ZoteroLibrary(Source):
    """A Zotero library through the Web API, from the incremental local index (≤ 3 requests a refresh).

    Keys come from the native ``citationKey`` field or a ``Citation Key: …`` line in Extra (items
    without a key are not citable and are skipped). When the server cannot be reached, the index as
    last refreshed answers and a warning says so.
    """

    def __init__(
        self, library: str | None = None, api_url: str | None = None, api_key: str | None = None
    ) -> None:
        from ..zotero.client import ENV_LIBRARY, configured

        # The same settings as `bibbridge sync`: argument, then $ZOTERO_LIBRARY, then the config file.
        self.library = library or os.environ.get(ENV_LIBRARY) or configured("library") or ""
        self.api_url = api_url
        self.api_key = api_key
        self.name = f"zotero {self.library}"
        self.stale_warning: str | None = None

    def records(self, query: Query | None = None) -> Iterator[Record]:
        from ..zotero.client import ZoteroClient, resolve_api_key, zotero_settings
        from ..zotero.index import LibraryIndex

        # A missing or malformed library, or no API key, is a usage error (exit 2), not a warning.
        library, url = zotero_settings(self.library, self.api_url)
        api_key = resolve_api_key(self.api_key)
        with LibraryIndex(library, api_url=url) as index:
            try:
                # What library_records(refresh=True) does, with few retries: someone waiting for a key
                # wants the local index's answer and a warning, not a minute of backoff.
                with ZoteroClient(
                    library, api_key, api_url=url, retry_base=0.2, attempts=ZOTERO_ATTEMPTS
                ) as client:
                    index.refresh(client)
            except Exception as exc:  # noqa: BLE001 - transport failures of any layer mean "unreachable"
                if not _is_unreachable(exc):
                    raise
                records = index.records()
                if not records:
                    raise SourceUnavailable(f"{self.name} is unreachable ({_reason(exc)})") from None
                self.stale_warning = (
                    f"{self.name} is unreachable ({_reason(exc)}); "
                    "answering from its local index as last refreshed"
                )
            else:
                records = index.records()
        return _zotero_records(records)


def _zotero_records(records: list[dict[str, Any]]) -> Iterator[Record]:
    for item in records:
        key = item.get("citation_key") or ""
        if not key or item.get("trashed"):
            continue
        authors = [_zotero_creator(c) for c in item.get("creators") or []]
        arxiv_id = str(item.get("arxiv_id") or "") or _arxiv_in(item.get("url"))
        title, year, doi = (str(item.get(name) or "") for name in ("title", "year", "doi"))
        yield Record(key, title, [a for a in authors if a], year, doi, arxiv_id)


def _zotero_creator(creator: Any) -> str:
    if isinstance(creator, str):
        return creator
    if isinstance(creator, dict):
        if creator.get("name"):
            return str(creator["name"])
        last, first = str(creator.get("lastName") or ""), str(creator.get("firstName") or "")
        return f"{last}, {first}" if last and first else last or first
    return ""


def _is_unreachable(exc: BaseException) -> bool:
    """Connection failures and timeouts (httpx2's or the OS's), and the Zotero client's failures."""
    import httpx2

    from ..zotero.client import ZoteroError

    return isinstance(exc, (OSError, httpx2.TransportError, ZoteroError))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


# -- Better BibTeX JSON-RPC --------------------------------------------------------------------------
class BetterBibTeX(Source):
    """A running Zotero with Better BibTeX: ``item.search`` over JSON-RPC 2.0, asked once per query.

    Better BibTeX answers CSL-JSON items with ``citekey`` (and ``citation-key``) added; its search is
    Zotero's quick search in "Title, Creator, Year" mode (every word must occur; DOIs and arXiv ids are
    not searched), so the query's content words are sent and the answers are ranked by the same
    scoring as every other source. Errors come as HTTP 200 with an ``error`` member.
    """

    name = "bbt"
    static = False

    def __init__(self, url: str | None = None, timeout: float = BBT_TIMEOUT) -> None:
        self.url = url or os.environ.get(ENV_BBT_URL) or DEFAULT_BBT_URL
        self.timeout = timeout
        self._calls = 0

    def search(self, terms: str) -> list[dict[str, Any]]:
        """The raw CSL-JSON items Better BibTeX finds for ``terms``."""
        import httpx2

        self._calls += 1
        payload = {"jsonrpc": "2.0", "method": "item.search", "params": [terms], "id": self._calls}
        try:
            response = httpx2.post(
                self.url, json=payload, timeout=self.timeout, headers={"Accept": "application/json"}
            )
        except httpx2.HTTPError as exc:
            raise SourceUnavailable(
                f"Better BibTeX at {self.url} is unreachable ({_reason(exc)}); is Zotero running?"
            ) from None
        if response.status_code != 200:
            raise SourceUnavailable(f"Better BibTeX at {self.url} answered HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise SourceUnavailable(f"Better BibTeX at {self.url} did not answer JSON") from None
        if isinstance(answer, dict) and answer.get("error") is not None:
            error = answer["error"]
            message = error.get("message") if isinstance(error, dict) else str(error)
            raise SourceUnavailable(f"Better BibTeX at {self.url} answered an error: {message}")
        result = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(result, list):
            raise SourceUnavailable(f"Better BibTeX at {self.url} answered without a result list")
        return [item for item in result if isinstance(item, dict)]

    def records(self, query: Query | None = None) -> Iterator[Record]:
        # Better BibTeX searches as Zotero's quick search in "Title, Creator, Year" mode: identifiers
        # (DOI, arXiv id) are not searched there, so an identifier-only query is not sent.
        terms = query.terms if query is not None and not query.only_ids else ""
        items = self.search(terms) if terms else []
        records = (csl_record(item) for item in items)
        return (record for record in records if record is not None)
