"""Adding the word index to a cached lookup table in a background process (for the CLI).

The first ``bibbridge key`` query after a large .bib changed answers from a plain table (see
:func:`.index.cached_table`) and starts ``python -m bibbridge.lookup.background CACHE-FILE``, detached,
with no terminal output: it loads the cached table, checks that the file it was read from is still the
same version, builds the word index and stores the table again. A lock file next to the cache keeps
queries made meanwhile from starting a second one; a lock older than :data:`STALE_LOCK_SECONDS` is
taken to be left over from a process that died.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from .index import Table, file_stamp

STALE_LOCK_SECONDS = 60.0


def lock_path(cache: Path) -> Path:
    return cache.with_name(cache.name + ".indexing")


def start_indexing(table: Table) -> bool:
    """Start the background process that adds ``table``'s word index to its cache file.

    Returns False (and starts nothing) when the table has its index, is not cached, or another
    process is already at it."""
    if table.indexed or table.cache is None:
        return False
    lock = lock_path(table.cache)
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        try:
            if time.time() - lock.stat().st_mtime < STALE_LOCK_SECONDS:
                return False
            lock.unlink()
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except OSError:
            return False
    except OSError:
        return False
    os.close(fd)
    try:
        subprocess.Popen(
            [sys.executable, "-m", "bibbridge.lookup.background", str(table.cache)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,  # not in the caller's process group: a ^C there leaves it be
        )
    except OSError:
        _unlink(lock)
        return False
    return True


def index_cache_file(cache: Path) -> bool:
    """Add the word index to the table cached in ``cache`` if the file it was read from is unchanged.
    True when the cache file now holds the index."""
    try:
        table = Table.loads(cache.read_bytes(), None)
    except OSError:
        return False
    if table is None or table.stamp is None:
        return False
    if table.indexed:
        return True
    try:
        if file_stamp(Path(table.stamp[0])) != table.stamp:
            return False  # the file changed: the next query reads it again anyway
    except OSError:
        return False
    table.cache = cache
    table.enrich()
    table.store()
    return True


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bibbridge.lookup.background CACHE-FILE", file=sys.stderr)
        return 2
    cache = Path(argv[0])
    try:
        return 0 if index_cache_file(cache) else 1
    finally:
        _unlink(lock_path(cache))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
