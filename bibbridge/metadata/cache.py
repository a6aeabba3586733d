"""Everything the resolver fetched, kept in SQLite (``cache.sqlite`` under ``$BIBBRIDGE_HOME``).

Two tables of this module's own:

- ``resolve_search(source, query, fetched_at, candidates)``: the candidates a title search answered
  (``query`` is the folded title), an empty list included: a negative answer is cached too;
- ``resolve_arxiv(arxiv_id, fetched_at, record)``: arXiv's record for an id, or NULL when arXiv had no
  such paper or refused the id (``note`` says which).

- ``hub_answers(key, fetched_at, final, body)``: a live Hugging Face source's answer (every page of
  one ``/api/daily_papers`` query joined, or one ``/api/papers/{id}``); ``final`` marks a period that
  was over when fetched (a past day, week or month: kept for good); others are fetched again after
  ``BIBBRIDGE_HF_TTL`` seconds (see :mod:`bibbridge.readers.hf_live`).

Policy: found records are kept until the cache file is deleted (arXiv metadata of a version does not
change). Negative answers are trusted for :data:`~bibbridge.metadata.settings.NEGATIVE_TTL` (7 days), as
a paper too new to be indexed may appear later; ``--offline`` trusts them whatever their age. Failures
(timeouts, 5xx, 429 beyond the retries) are never cached.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .candidate import Candidate

SCHEMA = """
CREATE TABLE IF NOT EXISTS resolve_search (
    source TEXT NOT NULL,
    query TEXT NOT NULL,
    fetched_at REAL NOT NULL,
    candidates TEXT NOT NULL,
    PRIMARY KEY (source, query)
);
CREATE TABLE IF NOT EXISTS hub_answers (
    key TEXT PRIMARY KEY,
    fetched_at REAL NOT NULL,
    final INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS resolve_arxiv (
    arxiv_id TEXT PRIMARY KEY,
    fetched_at REAL NOT NULL,
    record TEXT,
    note TEXT
);
"""


class ResolveCache:
    """The resolver's cache; a context manager closing its connection."""

    def __init__(self, path: str | Path | None = None) -> None:
        import sqlite3

        from ..home import cache_db_path

        self.path = Path(path) if path is not None else cache_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(self.path), timeout=30)
            # A cache: WAL with synchronous=NORMAL never corrupts, and skips an fsync per stored answer.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            self._db.commit()
        except sqlite3.DatabaseError as exc:
            raise UsageError(
                f"cannot open the resolve cache ({exc}); it is safe to delete", file=str(self.path)
            ) from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResolveCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- title searches ---------------------------------------------------------------------------
    def get_search(self, source: str, query: str) -> tuple[list[Candidate], float] | None:
        row = self._db.execute(
            "SELECT candidates, fetched_at FROM resolve_search WHERE source = ? AND query = ?",
            (source, query),
        ).fetchone()
        if row is None:
            return None
        return [Candidate.from_dict(d) for d in json.loads(row[0])], row[1]

    def put_search(self, source: str, query: str, candidates: Iterable[Candidate]) -> None:
        payload = json.dumps([c.to_dict() for c in candidates], ensure_ascii=False)
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO resolve_search VALUES (?, ?, ?, ?)",
                (source, query, time.time(), payload),
            )

    # -- arXiv records ----------------------------------------------------------------------------
    def get_arxiv(self, ids: Iterable[str]) -> dict[str, tuple[Candidate | None, float, str | None]]:
        """Cached answers by id: ``(record or None, fetched_at, note)``; ids never fetched are absent."""
        wanted = list(dict.fromkeys(ids))
        out: dict[str, tuple[Candidate | None, float, str | None]] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for arxiv_id, fetched_at, record, note in self._db.execute(
                f"SELECT arxiv_id, fetched_at, record, note FROM resolve_arxiv WHERE arxiv_id IN ({marks})",
                chunk,
            ):
                out[arxiv_id] = (
                    Candidate.from_dict(json.loads(record)) if record else None,
                    fetched_at,
                    note,
                )
        return out

    def put_arxiv(self, records: dict[str, Candidate | None], notes: dict[str, str] | None = None) -> None:
        notes = notes or {}
        now = time.time()
        rows: list[tuple[Any, ...]] = [
            (
                arxiv_id,
                now,
                json.dumps(record.to_dict(), ensure_ascii=False) if record else None,
                notes.get(arxiv_id),
            )
            for arxiv_id, record in records.items()
        ]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO resolve_arxiv VALUES (?, ?, ?, ?)", rows)

    # -- live Hub answers -------------------------------------------------------------------------
    def get_hub(self, key: str) -> tuple[str, float, bool] | None:
        """``(body, fetched_at, final)`` of a stored Hub answer, or None."""
        row = self._db.execute(
            "SELECT body, fetched_at, final FROM hub_answers WHERE key = ?", (key,)
        ).fetchone()
        return (row[0], row[1], bool(row[2])) if row else None

    def put_hub(self, key: str, body: str, final: bool, fetched_at: float | None = None) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO hub_answers VALUES (?, ?, ?, ?)",
                (key, time.time() if fetched_at is None else fetched_at, int(final), body),
            )
