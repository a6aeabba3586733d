"""Adding the word index to a cached lookup table in a background process (for the CLI).

The first ``bibbridge key`` query after a large .bib changed answers from a plain table (see
:func:`.index.cached_table`) and starts ``python -m bibbridge.keylookup.background CACHE-FILE``, detached,
with no terminal output: it loads the cached table, checks that the file it was read from is still the
same version, builds the word index and stores the table again. A lock file next to the cache keeps
queries made meanwhile from starting a second one; a lock older than :data:`STALE_LOCK_SECONDS` is
taken to be left over from a process that died.
"""

from __future__ import annotations

import os
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
    return _start(table.cache, [str(table.cache)])


def _start(cache: Path, arguments: list[str]) -> bool:
    lock = lock_path(cache)
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
        _spawn_detached([sys.executable, "-m", "bibbridge.keylookup.background", *arguments])
    except OSError:
        _unlink(lock)
        return False
    return True


def _spawn_detached(argv: list[str]) -> None:
    """Start ``argv`` in a session of its own (a ^C in the caller's terminal leaves it be), with no
    terminal input or output. ``os.posix_spawn`` rather than ``subprocess``, whose import alone costs
    a query ~4 ms; every other descriptor of this process is non-inheritable (PEP 446)."""
    if not hasattr(os, "posix_spawn"):  # Windows
        import subprocess

        flags = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
        null = subprocess.DEVNULL
        subprocess.Popen(argv, stdin=null, stdout=null, stderr=null, close_fds=True, creationflags=flags)
        return
    actions = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
    os.posix_spawn(argv[0], argv, os.environ, file_actions=actions, setsid=True)


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
        usage = "usage: python -m bibbridge.keylookup.background CACHE-FILE"
        print(usage, file=sys.stderr)
        return 2
    cache = Path(argv[0])
    try:
        return 0 if index_cache_file(cache) else 1
    finally:
        _unlink(lock_path(cache))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
