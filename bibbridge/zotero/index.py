"""The local index of one Zotero library: what it holds, kept up to date the way Zotero's own sync does.

One SQLite file per library (``zotero-user-123.sqlite`` in the data directory) holds every top-level
item's key, version, identities (arXiv id, DOI, folded title), title, creators, date, citation key,
collections and trash flag, the collections, and the library version last seen.

:meth:`LibraryIndex.refresh`:

- first run: pages through the library once, 100 items per request (``/items/top?includeTrashed=1``);
- later runs: ``/items/top?since=V&format=versions`` sent with ``If-Modified-Since-Version: V``: a 304
  means nothing changed (one request, whatever the library size); otherwise only the keys whose
  version differs from the index are fetched (``itemKey=``, 50 per request), then ``/deleted?since=V``
  and the collections changed since V.

Identities also sit in their own indexed table, so matching a digest's papers costs a few indexed
lookups per paper and decodes only the rows that match, whatever the size of the library.

Items bibbridge is about to create are written here first as *pending* rows (version 0) with their
client-chosen keys, so an interrupted sync re-sends the same keys instead of making duplicates.

One process at a time holds an index (a lock file beside it; a second ``sync`` waits, saying so). The
index is a cache: a damaged file (truncated, overwritten, not SQLite) is named in a warning, set aside
and read again from the server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .client import MAX_BATCH, Library, ZoteroClient
from .mapper import NON_REGULAR_TYPES, creator_names, item_facts

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS items (
    key TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    item_type TEXT,
    title TEXT,
    creators TEXT,
    date TEXT,
    citation_key TEXT,
    arxiv_id TEXT,
    doi TEXT,
    url TEXT,
    identities TEXT,
    collections TEXT,
    trashed INTEGER NOT NULL DEFAULT 0,
    pending INTEGER NOT NULL DEFAULT 0,
    tags TEXT
);
CREATE TABLE IF NOT EXISTS identities (
    identity TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (identity, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS identities_by_key ON identities (key);
-- items bibbridge created: the version its own last write left them at (a moved version = a user edit)
CREATE TABLE IF NOT EXISTS own (key TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
-- children (links, notes) chosen before their parent is sent, until the server has them
CREATE TABLE IF NOT EXISTS children (
    key TEXT PRIMARY KEY,
    parent TEXT NOT NULL,
    role TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS children_by_parent ON children (parent);
CREATE TABLE IF NOT EXISTS collections (
    key TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    parent TEXT,
    trashed INTEGER NOT NULL DEFAULT 0,
    pending INTEGER NOT NULL DEFAULT 0
);
"""

Progress = Callable[[str, int, int], None]
# Bump when the row layout changes: an unknown format is read again from the server; formats 1 (JSON
# creators, no identities table) and 2 (no tags) are upgraded in place, then read again in full (the
# tags of their rows are unknown), pending keys kept.
FORMAT = "3"
SQL_VARIABLES = 500  # values per "IN (?, ...)" (SQLite's limit is 999 on old builds)
SEP = "\x1f"  # joins identities, creators and collection keys in one column (cheaper than JSON)


def _join(values: Iterable[str]) -> str:
    return SEP.join(values)


def _join_names(names: Iterable[str]) -> str:
    return SEP.join(name.replace(SEP, " ") for name in names)


def _split(value: str | None) -> list[str]:
    return value.split(SEP) if value else []


_YEAR = re.compile(r"\b(\d{4})\b")


@dataclass
class IndexedItem:
    """One row of the index."""

    key: str
    version: int
    item_type: str
    title: str
    creators: list[str]
    date: str
    citation_key: str | None
    arxiv_id: str | None
    doi: str | None
    url: str | None
    identities: set[str]
    collections: list[str]
    trashed: bool
    pending: bool = False
    tags: list[dict[str, Any]] = field(default_factory=list)

    @property
    def year(self) -> str | None:
        m = _YEAR.search(self.date or "")
        return m.group(1) if m else None


@dataclass
class IndexedCollection:
    key: str
    version: int
    name: str
    parent: str | None
    trashed: bool
    pending: bool = False


@dataclass
class RefreshStats:
    """What a refresh did: full read or incremental, items fetched, removed, unchanged library."""

    full: bool = False
    not_modified: bool = False
    fetched: int = 0
    removed: int = 0
    requests: int = 0
    version: int = 0
    notes: list[str] = field(default_factory=list)


def index_path(library: Library) -> Path:
    from ..home import data_dir

    return data_dir() / f"zotero-{library.type}-{library.id}.sqlite"


def _chunks(seq: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def item_row(obj: dict[str, Any], pending: bool = False) -> tuple[Any, ...] | None:
    """An API item object (``{"key", "version", "data"}``) or bare data → a row; None for notes etc."""
    data = obj.get("data", obj)
    item_type = data.get("itemType") or ""
    if item_type in NON_REGULAR_TYPES:
        return None
    key = obj.get("key") or data.get("key")
    version = obj.get("version", data.get("version", 0))
    facts = item_facts(data)
    return (
        key,
        int(version or 0),
        item_type,
        data.get("title") or "",
        _join_names(creator_names(data)),
        data.get("date") or "",
        facts.citation_key,
        facts.arxiv_id,
        facts.doi,
        data.get("url") or None,
        _join(sorted(facts.identities)),
        _join(data.get("collections") or []),
        1 if data.get("deleted") else 0,
        1 if pending else 0,
        json.dumps(data.get("tags") or [], ensure_ascii=False, separators=(",", ":")),
    )


class LibraryIndex:
    """The local index of one library; use as a context manager (commits and closes on exit)."""

    def __init__(self, library: Library, path: str | Path | None = None, api_url: str | None = None) -> None:
        import sqlite3

        from ..atomic import locked

        self.library = library
        self.path = Path(path) if path else index_path(library)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = locked(self.path, f"using the Zotero index of {library} ({self.path})")
        try:
            self._lock.__enter__()
        except OSError as exc:
            from ..errors import BibbridgeError

            raise BibbridgeError(
                f"cannot lock the Zotero index: {exc.strerror or exc}", file=str(self.path)
            ) from None
        try:
            try:
                self._open()
            except sqlite3.DatabaseError as exc:
                self._damaged_or_raise(exc)
                self._open()
            self._prepare(api_url)
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise

    def _open(self) -> None:
        import sqlite3

        self.db = sqlite3.connect(self.path, timeout=30)
        try:
            self.db.executescript(SCHEMA)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            if "tags" not in {row[1] for row in self.db.execute("PRAGMA table_info(items)")}:
                self.db.execute("ALTER TABLE items ADD COLUMN tags TEXT")  # formats 1 and 2
            # A truncated file opens and fails later, mid-sync: compare its size with its page count
            # (a cheap check; PRAGMA quick_check costs ~0.1 s on a 20,000-item index). A leftover
            # journal (a crash) holds pages of its own: then SQLite's recovery decides.
            pages = self.db.execute("PRAGMA page_count").fetchone()[0]
            page_size = self.db.execute("PRAGMA page_size").fetchone()[0]
            wal = self.path.with_name(self.path.name + "-wal")
            size = self.path.stat().st_size
            if not (wal.exists() and wal.stat().st_size) and size < pages * page_size:
                raise sqlite3.DatabaseError(f"truncated: {size} bytes of {pages * page_size}")
        except BaseException:
            self.db.close()
            raise

    def _damaged_or_raise(self, exc: BaseException) -> None:
        """Set the file aside when ``exc`` says it is damaged; otherwise (locked, unreadable, a full disk)
        a one-line error naming the file."""
        import sqlite3

        if isinstance(exc, sqlite3.OperationalError):
            from ..errors import BibbridgeError

            raise BibbridgeError(f"cannot use the Zotero index: {exc}", file=str(self.path)) from None
        self._set_aside(exc)

    def _set_aside(self, exc: BaseException) -> None:
        """Move a damaged index (and its journal files) out of the way, saying which file it was."""
        import sys

        print(
            f"bibbridge: warning: {self.path}: damaged Zotero index ({exc}); set aside as "
            f"{self.path.name}.damaged, reading the library again from the server",
            file=sys.stderr,
        )
        for suffix in ("", "-wal", "-shm", "-journal"):
            part = self.path.with_name(self.path.name + suffix)
            try:
                if suffix:
                    part.unlink()
                else:
                    part.replace(self.path.with_name(self.path.name + ".damaged"))
            except FileNotFoundError:
                pass

    def _recover(self, exc: BaseException) -> None:
        """The index broke while in use: start again from an empty one (it is a cache)."""
        try:
            self.db.close()
        except Exception:  # noqa: BLE001 - closing a broken database may fail too; it is discarded
            pass
        self._damaged_or_raise(exc)
        self._open()
        self._prepare(self._api_url)

    def _prepare(self, api_url: str | None) -> None:
        self._api_url = api_url
        found = self._meta("format")
        if found in ("1", "2"):
            if found == "1":
                self._upgrade_from_1()
            self.db.execute("DELETE FROM meta WHERE name = 'complete'")  # read again: tags unknown
            self._set_meta("format", FORMAT)
            self.db.commit()
        elif found != FORMAT:
            self.reset()
            self._set_meta("format", FORMAT)
            self.db.commit()
        # An index made against another server is of no use for this one: start over.
        if api_url is not None:
            seen = self._meta("api_url")
            if seen != api_url:
                if seen is not None:
                    self.reset()
                self._set_meta("api_url", api_url)
                self.db.commit()

    # -- housekeeping -------------------------------------------------------------------------------
    def __enter__(self) -> LibraryIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        import sqlite3

        try:
            self.db.commit()
            self.db.close()
        except sqlite3.ProgrammingError:  # closed already (a damaged file being set aside)
            pass
        finally:
            self._lock.__exit__(None, None, None)

    def _meta(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, name: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, str(value)))

    def _upgrade_from_1(self) -> None:
        """Format 1 kept creators as JSON and had no identities table. Upgraded in place rather than
        read again, so pending keys of an interrupted sync are kept."""
        rows = self.db.execute("SELECT key, creators, identities FROM items").fetchall()
        self.db.executemany(
            "UPDATE items SET creators = ? WHERE key = ?",
            [(_join_names(json.loads(creators or "[]")), key) for key, creators, _ in rows],
        )
        self._index_identities((key, identities) for key, _, identities in rows)

    def reset(self) -> None:
        self.db.execute("DELETE FROM items")
        self.db.execute("DELETE FROM identities")
        self.db.execute("DELETE FROM collections")
        self.db.execute("DELETE FROM own")
        self.db.execute("DELETE FROM children")
        self.db.execute("DELETE FROM meta WHERE name IN ('version', 'complete')")
        self.db.commit()

    @property
    def version(self) -> int | None:
        """The library version the index reflects, or None before the first complete read."""
        if self._meta("complete") != "1":
            return None
        value = self._meta("version")
        return int(value) if value is not None else None

    # -- items ----------------------------------------------------------------------------------------
    def upsert_items(self, objects: Iterable[dict[str, Any]], pending: bool = False) -> int:
        """Store items (one executemany per table; the caller commits)."""
        rows = [row for obj in objects if (row := item_row(obj, pending)) is not None]
        if not rows:
            return 0
        self.db.executemany("DELETE FROM identities WHERE key = ?", [(row[0],) for row in rows])
        self.db.executemany(
            "INSERT OR REPLACE INTO items (key, version, item_type, title, creators, date, citation_key, "
            "arxiv_id, doi, url, identities, collections, trashed, pending, tags) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        self._index_identities((row[0], row[10]) for row in rows)
        return len(rows)

    def _index_identities(self, keyed: Iterable[tuple[str, str | None]]) -> None:
        """Rows of the identities table from (key, joined identities) pairs."""
        self.db.executemany(
            "INSERT OR IGNORE INTO identities (identity, key) VALUES (?, ?)",
            [(ident, key) for key, joined in keyed for ident in _split(joined)],
        )

    def add_pending(self, objects: list[dict[str, Any]]) -> None:
        """Record items about to be created (keys chosen, version 0) and commit, before sending them."""
        self.upsert_items(({"key": o["key"], "version": 0, "data": o} for o in objects), pending=True)
        self.db.commit()

    def set_item_state(
        self,
        key: str,
        version: int | None,
        collections: list[str] | None = None,
        tags: list[dict[str, Any]] | None = None,
    ) -> None:
        if collections is not None:
            self.db.execute("UPDATE items SET collections = ? WHERE key = ?", (_join(collections), key))
        if tags is not None:
            self.db.execute("UPDATE items SET tags = ? WHERE key = ?", (json.dumps(tags), key))
        if version is not None:
            self.db.execute("UPDATE items SET version = ? WHERE key = ?", (version, key))

    def remove_items(self, keys: Iterable[str]) -> int:
        rows = [(k,) for k in keys]
        self.db.executemany("DELETE FROM identities WHERE key = ?", rows)
        self.db.executemany("DELETE FROM items WHERE key = ?", rows)
        self.db.executemany("DELETE FROM own WHERE key = ?", rows)
        self.db.executemany("DELETE FROM children WHERE parent = ?", rows)  # the server drops them too
        return len(rows)

    def item_versions(self, keys: Iterable[str] | None = None) -> dict[str, int]:
        """``{key: version}`` of every row, or of the rows among ``keys``."""
        if keys is None:
            return dict(self.db.execute("SELECT key, version FROM items"))
        found: dict[str, int] = {}
        for chunk in _chunks(list(keys), SQL_VARIABLES):
            marks = ",".join("?" * len(chunk))
            found.update(self.db.execute(f"SELECT key, version FROM items WHERE key IN ({marks})", chunk))
        return found

    def items(self) -> list[IndexedItem]:
        """Every row, decoded (for key lookup; a sync reads only what :meth:`items_with` finds)."""
        return self._select("")

    def items_with(self, identities: Iterable[str]) -> list[IndexedItem]:
        """The items holding any of ``identities`` (``arxiv:…``, ``doi:…``, ``title:…``), trash and
        pending rows included: indexed lookups, whatever the size of the library."""
        wanted = sorted(set(identities))
        keys: set[str] = set()
        for chunk in _chunks(wanted, SQL_VARIABLES):
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT key FROM identities WHERE identity IN ({marks})", chunk)
            keys.update(k for (k,) in rows)
        found: list[IndexedItem] = []
        for chunk in _chunks(sorted(keys), SQL_VARIABLES):
            found.extend(self._select(f"WHERE key IN ({','.join('?' * len(chunk))})", tuple(chunk)))
        return found

    def citation_keys(self) -> set[str]:
        """Every citation key the library's items carry."""
        return {k for (k,) in self.db.execute("SELECT citation_key FROM items WHERE citation_key != ''")}

    def item(self, key: str) -> IndexedItem | None:
        found = self._select("WHERE key = ?", (key,))
        return found[0] if found else None

    def _select(self, where: str, args: tuple[Any, ...] = ()) -> list[IndexedItem]:
        out = []
        for row in self.db.execute(
            "SELECT key, version, item_type, title, creators, date, citation_key, arxiv_id, doi, url, "
            f"identities, collections, trashed, pending, tags FROM items {where}",
            args,
        ):
            out.append(
                IndexedItem(
                    key=row[0],
                    version=row[1],
                    item_type=row[2],
                    title=row[3],
                    creators=_split(row[4]),
                    date=row[5],
                    citation_key=row[6],
                    arxiv_id=row[7],
                    doi=row[8],
                    url=row[9],
                    identities=set(_split(row[10])),
                    collections=_split(row[11]),
                    trashed=bool(row[12]),
                    pending=bool(row[13]),
                    tags=json.loads(row[14]) if row[14] else [],
                )
            )
        return out

    # -- what bibbridge made: its own versions, children not yet on the server ------------------------
    def set_own_versions(self, versions: Iterable[tuple[str, int]]) -> None:
        """Record the version bibbridge's own write left each item at (the caller commits)."""
        self.db.executemany("INSERT OR REPLACE INTO own (key, version) VALUES (?, ?)", list(versions))

    def own_versions(self, keys: Iterable[str]) -> dict[str, int]:
        """``{key: version}`` of the items among ``keys`` that bibbridge created."""
        found: dict[str, int] = {}
        for chunk in _chunks(list(keys), SQL_VARIABLES):
            marks = ",".join("?" * len(chunk))
            found.update(self.db.execute(f"SELECT key, version FROM own WHERE key IN ({marks})", chunk))
        return found

    def add_children(self, rows: Iterable[tuple[str, str, str, dict[str, Any]]]) -> None:
        """Store (key, parent, role, data) of children to create (the caller commits, before the
        parent is sent: a re-run then sends the same keys)."""
        self.db.executemany(
            "INSERT OR REPLACE INTO children (key, parent, role, data) VALUES (?, ?, ?, ?)",
            [(key, parent, role, json.dumps(data, ensure_ascii=False)) for key, parent, role, data in rows],
        )

    def parents_with_children(self, parents: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(list(parents), SQL_VARIABLES):
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT parent FROM children WHERE parent IN ({marks})", chunk)
            found.update(k for (k,) in rows)
        return found

    def pending_children(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(key, parent, data) of children whose parent the server holds (not pending), oldest first."""
        rows = self.db.execute(
            "SELECT c.key, c.parent, c.data FROM children c JOIN items i ON i.key = c.parent "
            "WHERE i.pending = 0 ORDER BY c.rowid"
        )
        return [(key, parent, json.loads(data)) for key, parent, data in rows]

    def remove_children(self, keys: Iterable[str] = (), parents: Iterable[str] = ()) -> None:
        self.db.executemany("DELETE FROM children WHERE key = ?", [(k,) for k in keys])
        self.db.executemany("DELETE FROM children WHERE parent = ?", [(p,) for p in parents])

    # -- collections -----------------------------------------------------------------------------------
    def upsert_collections(self, objects: Iterable[dict[str, Any]], pending: bool = False) -> None:
        rows = []
        for obj in objects:
            data = obj.get("data", obj)
            rows.append(
                (
                    obj.get("key") or data.get("key"),
                    int(obj.get("version", data.get("version", 0)) or 0),
                    data.get("name") or "",
                    data.get("parentCollection") or None,
                    1 if data.get("deleted") else 0,
                    1 if pending else 0,
                )
            )
        self.db.executemany("INSERT OR REPLACE INTO collections VALUES (?, ?, ?, ?, ?, ?)", rows)
        if pending:
            self.db.commit()

    def remove_collections(self, keys: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM collections WHERE key = ?", [(k,) for k in keys])

    def collections(self) -> list[IndexedCollection]:
        return [
            IndexedCollection(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]))
            for r in self.db.execute("SELECT key, version, name, parent, trashed, pending FROM collections")
        ]

    # -- refresh --------------------------------------------------------------------------------------
    def refresh(self, client: ZoteroClient, progress: Progress | None = None) -> RefreshStats:
        """Bring the index up to date with the server (see the module docstring). A database error on the
        way (the file damaged while in use) sets the file aside and reads the library again."""
        import sqlite3

        before = client.requests
        try:
            since = self.version
            stats = self._full_read(client, progress) if since is None else self._incremental(client, since)
            self.db.commit()
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
            stats = self._full_read(client, progress)
            self.db.commit()
        stats.requests = client.requests - before
        stats.version = self.version or 0
        return stats

    def _full_read(self, client: ZoteroClient, progress: Progress | None) -> RefreshStats:
        stats = RefreshStats(full=True)
        # keep pending rows (keys we may have sent before an interruption); drop everything else
        self.db.execute("DELETE FROM identities WHERE key IN (SELECT key FROM items WHERE pending = 0)")
        self.db.execute("DELETE FROM items WHERE pending = 0")
        self.db.execute("DELETE FROM collections WHERE pending = 0")
        start, total, first_version, last_version = 0, 0, None, 0
        while True:
            page, total, last_version = client.items_page(start)
            if first_version is None:
                first_version = last_version
            stats.fetched += self.upsert_items(page)
            start += len(page)
            if progress:
                progress("reading library", min(start, total), total)
            if not page or start >= total:
                break
        version = first_version or 0
        if last_version != version:
            # The library changed while we paged: offsets may have shifted. Reconcile against the
            # complete key → version list (one unpaged request) and fetch what differs.
            version = self._reconcile(client, stats)
        self._read_collections(client, since=None)
        self._set_meta("version", version)
        self._set_meta("complete", 1)
        return stats

    def _reconcile(self, client: ZoteroClient, stats: RefreshStats) -> int:
        versions, version = client.all_item_versions()
        known = self.item_versions()
        pending = {k for (k,) in self.db.execute("SELECT key FROM items WHERE pending = 1")}
        gone = [k for k in known if k not in versions and k not in pending]
        stats.removed += self.remove_items(gone)
        self._fetch(client, [k for k, v in versions.items() if known.get(k) != v], stats)
        return version

    def _fetch(self, client: ZoteroClient, keys: list[str], stats: RefreshStats) -> None:
        for batch in _chunks(keys, MAX_BATCH):
            stats.fetched += self.upsert_items(client.items_by_key(batch))

    def _read_collections(self, client: ZoteroClient, since: int | None) -> None:
        start = 0
        while True:
            page, total = client.collections_page(start, since=since)
            self.upsert_collections(page)
            start += len(page)
            if not page or start >= total:
                break

    def _incremental(self, client: ZoteroClient, since: int) -> RefreshStats:
        stats = RefreshStats()
        changed, version = client.item_versions_since(since)
        if changed is None:
            stats.not_modified = True
            return stats
        known = self.item_versions(changed)
        # only what we do not already hold at that version (our own writes are recorded already)
        self._fetch(client, [k for k, v in changed.items() if known.get(k) != v], stats)
        deleted = client.deleted_since(since)
        stats.removed += self.remove_items(deleted.get("items") or [])
        self.remove_collections(deleted.get("collections") or [])
        self._read_collections(client, since=since)
        self._set_meta("version", version)
        return stats

    # -- for key lookup ---------------------------------------------------------------------------------
    def records(self) -> list[dict[str, Any]]:
        """Every item already on the server, as plain dicts (see :func:`library_records`)."""
        return [
            {
                "key": item.citation_key,
                "citation_key": item.citation_key,
                "title": item.title,
                "creators": item.creators,
                "year": item.year,
                "doi": item.doi,
                "arxiv_id": item.arxiv_id,
                "url": item.url,
                "item_key": item.key,
                "trashed": item.trashed,
            }
            for item in self.items()
            if not item.pending
        ]


def library_records(
    library: str | None = None,
    api_url: str | None = None,
    api_key: str | None = None,
    refresh: bool = True,
) -> list[dict[str, Any]]:
    """The items of a Zotero library as dicts, for key lookup.

    Each dict: ``key`` / ``citation_key`` (native field or ``Citation Key:`` in Extra; None when the
    item has none), ``title``, ``creators`` (display names), ``year``, ``doi``, ``arxiv_id``, ``url``,
    ``item_key`` and ``trashed``. With ``refresh`` (default) the local index is brought up to date first
    (one request when nothing changed; needs the API key); without it the index is read as it is.
    """
    from .client import ZoteroClient, resolve_api_key, zotero_settings

    lib, url = zotero_settings(library, api_url)
    with LibraryIndex(lib, api_url=url) as index:
        if refresh:
            with ZoteroClient(lib, resolve_api_key(api_key), api_url=url) as client:
                index.refresh(client)
        return index.records()
