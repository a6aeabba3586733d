"""The key registry: every citation key bibbridge has given out, so that a key never changes.

Stored in the state database (:func:`bibbridge.home.state_db_path`, SQLite) in tables named
``keys_*``. A paper is matched to its key by arXiv id, then DOI, then folded title, by the one rule of
:mod:`bibbridge.identity` (different arXiv ids or DOIs are different papers), so a paper first seen by
title alone keeps its key when it later gains an arXiv id, a DOI or authors. New keys come
from the formula, with Better BibTeX's postfixes (``a`` … ``z``, ``aa`` …) against every key in the
registry and every key the caller says is taken, compared case- and accent-insensitively. Writes run
in ``BEGIN IMMEDIATE`` transactions, so two processes never hand out the same key.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..errors import UsageError
from ..identity import Ids, best_group, paper_ids
from .fold import key_fold
from .formula import KeyFormula, compile_formula, resolve_formula

if TYPE_CHECKING:
    from ..model import Paper

#: 2: title_key recomputed by identity.title_key (TeX math in a title decoded before folding).
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS keys_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS keys_entries (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    fold TEXT NOT NULL,              -- key_fold(key): what clashes are checked on
    arxiv_id TEXT,
    doi TEXT,                        -- normalised DOI other than the arXiv one
    title TEXT NOT NULL DEFAULT '',
    title_key TEXT NOT NULL DEFAULT '',
    authors TEXT NOT NULL DEFAULT '[]',
    year TEXT,
    origin TEXT NOT NULL,            -- 'formula' (made here) or 'recorded' (adopted from elsewhere)
    current INTEGER NOT NULL DEFAULT 1,  -- 0: an earlier key of a paper that later adopted another
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS keys_entries_fold ON keys_entries(fold);
CREATE INDEX IF NOT EXISTS keys_entries_arxiv ON keys_entries(arxiv_id);
CREATE INDEX IF NOT EXISTS keys_entries_doi ON keys_entries(doi);
CREATE INDEX IF NOT EXISTS keys_entries_title ON keys_entries(title_key);
"""

_ID_COLUMNS = {"arxiv": "arxiv_id", "doi": "doi", "title": "title_key"}
_INSERT_COLUMNS = "key, fold, arxiv_id, doi, title, title_key, authors, year, origin, created"


class KeyRow(NamedTuple):
    """One stored key and what identifies its paper (for key lookup)."""

    key: str
    arxiv_id: str | None
    doi: str | None
    title: str
    authors: list[str]
    year: str | None


def postfix(n: int) -> str:
    """Better BibTeX's disambiguation postfix: 0 → "", 1 → "a", 26 → "z", 27 → "aa", 28 → "ab"."""
    letters = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _ids(paper: Paper, identity: str | None = None) -> Ids:
    # A title identity already holds the folded title: folding once is enough.
    if identity is not None and identity.startswith("title:"):
        return paper_ids(paper, identity[len("title:") :])
    return paper_ids(paper)


class KeyRegistry:
    """The registry of given keys. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: str | Path | None = None) -> None:
        if path is None:
            from ..home import state_db_path

            path = state_db_path()
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
            self._setup()
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"cannot open the key registry: {exc}", file=str(self.path)) from None

    def _setup(self) -> None:
        with self._transaction():
            for statement in filter(str.strip, _SCHEMA.split(";")):
                self._db.execute(statement)
            row = self._db.execute("SELECT version FROM keys_schema").fetchone()
            if row is None:
                self._db.execute("INSERT INTO keys_schema (version) VALUES (?)", (SCHEMA_VERSION,))
            elif row[0] < SCHEMA_VERSION:
                self._upgrade(row[0])
            elif row[0] > SCHEMA_VERSION:
                raise UsageError(
                    f"the key registry has schema version {row[0]}; this bibbridge knows up to "
                    f"{SCHEMA_VERSION}: upgrade bibbridge",
                    file=str(self.path),
                )

    def _upgrade(self, version: int) -> None:
        """Rows written by an older rule get the current one's title_key, so a paper that was given a
        key is found again by its title (inside _setup's transaction)."""
        from ..identity import title_key

        if version < 2:
            rows = self._db.execute("SELECT id, title FROM keys_entries").fetchall()
            self._db.executemany(
                "UPDATE keys_entries SET title_key = ? WHERE id = ?",
                [(title_key(title) if title else "", row_id) for row_id, title in rows],
            )
        self._db.execute("UPDATE keys_schema SET version = ?", (SCHEMA_VERSION,))

    # -- plumbing -------------------------------------------------------------------------------
    def __enter__(self) -> KeyRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE: take the write lock first, so what is read inside stays true."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- matching -------------------------------------------------------------------------------
    _COLUMNS = "id, key, arxiv_id, doi, title_key, authors, year, current"

    def _candidates(self, ids: Ids) -> list[tuple]:
        """Rows of this paper, best first: by arXiv id, then DOI, then folded title, as
        :func:`bibbridge.identity.best_group` decides (current keys first, then oldest)."""
        db, columns = self._db, self._COLUMNS

        def rows(kind: str, value: str) -> Iterator[tuple[Ids, tuple]]:
            column = _ID_COLUMNS[kind]
            query = f"SELECT {columns} FROM keys_entries WHERE {column} = ? ORDER BY current DESC, id"
            for row in db.execute(query, (value,)):
                yield Ids(row[2], row[3], row[4]), row

        return best_group(ids, rows)

    def _complete(self, row: tuple, ids: Ids, paper: Paper) -> None:
        """Store identifiers (and authors, year) the row lacks and the paper now has."""
        updates: dict[str, object] = {}
        if ids.arxiv_id and not row[2]:
            updates["arxiv_id"] = ids.arxiv_id
        if ids.doi and not row[3]:
            updates["doi"] = ids.doi
        if paper.authors and row[5] == "[]":
            updates["authors"] = json.dumps(list(paper.authors), ensure_ascii=False)
        if paper.year and not row[6]:
            updates["year"] = paper.year
        if updates:
            assignments = ", ".join(f"{name} = ?" for name in updates)
            self._db.execute(
                f"UPDATE keys_entries SET {assignments} WHERE id = ?", (*updates.values(), row[0])
            )

    def _insert(self, paper: Paper, ids: Ids, key: str, origin: str) -> None:
        self._db.execute(
            f"INSERT INTO keys_entries ({_INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                key_fold(key),
                ids.arxiv_id,
                ids.doi,
                paper.title or "",
                ids.title,
                json.dumps(list(paper.authors), ensure_ascii=False),
                paper.year,
                origin,
                datetime.now(UTC).isoformat(timespec="seconds"),
            ),
        )

    # -- public API -----------------------------------------------------------------------------
    def find(self, paper: Paper) -> str | None:
        """The key given to ``paper`` (matched by arXiv id, DOI, then folded title), or None.

        A match found by DOI or title stores the arXiv id / DOI the paper now has, so later
        lookups find it by those too.
        """
        ids = _ids(paper)
        rows = self._candidates(ids)
        if not rows:
            return None
        best = rows[0]
        if (ids.arxiv_id and not best[2]) or (ids.doi and not best[3]):
            with self._transaction():
                self._complete(best, ids, paper)
        return best[1]

    def assign(
        self,
        papers: Iterable[Paper],
        formula: KeyFormula | str | None = None,
        taken: Iterable[str] = (),
    ) -> dict[str, str]:
        """Keys for ``papers`` as ``{paper.identity: key}``.

        A paper the registry knows keeps its key. Any other paper gets the formula's key (``formula``
        None: the config file's ``[keys] format`` or the default), postfixed ``a``, ``b``, … when it
        clashes with a key in the registry, in ``taken`` or given earlier in this call. New keys are
        stored in one transaction. ``taken`` constrains only new keys.
        """
        if formula is None:
            formula = resolve_formula()
        elif isinstance(formula, str):
            formula = compile_formula(formula)
        keys: dict[str, str] = {}
        with self._transaction():
            # Clashes: the taken keys in memory, the registry (and keys stored earlier in this call)
            # through the index on folded keys, so the cost does not grow with the registry.
            taken_folds = set(map(key_fold, taken))
            registered = self._db.cursor()

            def clashes(key: str) -> bool:
                fold = key_fold(key)
                if fold in taken_folds:
                    return True
                return registered.execute(
                    "SELECT 1 FROM keys_entries WHERE fold = ? LIMIT 1", (fold,)
                ).fetchone()

            for paper in papers:
                identity = paper.identity
                if identity in keys:
                    continue
                ids = _ids(paper, identity)
                rows = self._candidates(ids)
                if rows:
                    self._complete(rows[0], ids, paper)
                    keys[identity] = rows[0][1]
                    continue
                base = formula.key_for(paper)
                n = 0
                while clashes(base + postfix(n)):
                    n += 1
                key = base + postfix(n)
                self._insert(paper, ids, key, "formula")
                keys[identity] = key
        return keys

    def record(self, paper: Paper, key: str) -> None:
        """Adopt ``key`` for ``paper`` (e.g. the key of its entry in the user's .bib).

        From now on :meth:`find` and :meth:`assign` return ``key`` for this paper. A key the registry
        gave the paper before stays reserved (never given to another paper) and stays in :meth:`rows`.
        """
        self.record_many([(paper, key)])

    def record_many(self, pairs: Iterable[tuple[Paper, str]]) -> None:
        """:meth:`record` for many ``(paper, key)`` pairs in one transaction (e.g. a whole .bib file)."""
        pairs = [(paper, key.strip()) for paper, key in pairs]
        if any(not key for _, key in pairs):
            raise UsageError("cannot record an empty citation key")
        with self._transaction():
            for paper, key in pairs:
                self._record(paper, key)

    def _record(self, paper: Paper, key: str) -> None:
        ids = _ids(paper)
        rows = self._candidates(ids)
        if rows and rows[0][1] == key:
            self._complete(rows[0], ids, paper)
            return
        if rows:
            marks = ",".join("?" * len(rows))
            self._db.execute(
                f"UPDATE keys_entries SET current = 0 WHERE id IN ({marks})", [r[0] for r in rows]
            )
        earlier = [row[0] for row in rows if row[1] == key]
        if earlier:  # a key this paper had before becomes its current key again
            self._db.execute("UPDATE keys_entries SET current = 1 WHERE id = ?", (earlier[0],))
            return
        self._insert(paper, ids, key, "recorded")

    def all_keys(self) -> set[str]:
        """Every key in the registry (as given, not folded)."""
        return {row[0] for row in self._db.execute("SELECT key FROM keys_entries")}

    def rows(self) -> Iterator[KeyRow]:
        """Every stored key with its paper's arXiv id, DOI, title, authors and year, oldest first."""
        cursor = self._db.execute(
            "SELECT key, arxiv_id, doi, title, authors, year FROM keys_entries ORDER BY id"
        )
        for key, arxiv_id, doi, title, authors, year in cursor:
            yield KeyRow(key, arxiv_id, doi, title, json.loads(authors), year)

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM keys_entries").fetchone()[0]


def assign_keys(
    papers: Iterable[Paper],
    formula: KeyFormula | str | None = None,
    taken: Iterable[str] = (),
) -> dict[str, str]:
    """Keys for ``papers`` from the default registry (``$BIBBRIDGE_HOME``): ``{paper.identity: key}``.

    Keys already given never change; new ones follow ``formula`` (default: the config file's
    ``[keys] format``, else ``auth.lower + shorttitle(3,3) + year``) and avoid every key in the
    registry and in ``taken``.
    """
    with KeyRegistry() as registry:
        return registry.assign(papers, formula=formula, taken=taken)
