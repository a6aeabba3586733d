"""Adding the word index to a cached lookup table in a background process (for the CLI).

The first ``bibbridge key`` query after a large .bib changed answers from a plain table (see
:func:`.index.cached_table`) and starts ``python -m bibbridge.keylookup.background CACHE-FILE``, detached,
with no terminal output: it loads the cached table, checks that the file it was read from is still the
same version, builds the word index and stores the table again. When the first query was answered
without reading the file whole (:mod:`.quick`), ``… background --build BIB-FILE`` reads it, caches its
table and adds the index. A lock file next to the cache keeps
queries made meanwhile from starting a second one; a lock older than :data:`STALE_LOCK_SECONDS` is
taken to be left over from a process that died.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from .index import Table, cache_path_for, cached_table, file_stamp
from .sources import BibFile

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


def start_building(source: BibFile) -> bool:
    """Start the background process that reads the .bib of ``source`` whole, caches its table and adds
    the word index (after a first query answered without reading it, see :mod:`.quick`). False when
    another process is already at it."""
    path = source.path.resolve()
    return _start(cache_path_for(path, "bib"), ["--build", str(path)])


def wait_for_build(source: BibFile, timeout: float = STALE_LOCK_SECONDS) -> None:
    """Wait (at most ``timeout`` seconds) until no process is building or indexing ``source``'s cache."""
    lock = lock_path(cache_path_for(source.path.resolve(), "bib"))
    deadline = time.monotonic() + timeout
    while lock.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def _start(cache: Path, arguments: list[str]) -> bool:
    lock = lock_path(cache)
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)  # no cache yet after a quick first answer
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
            [sys.executable, "-m", "bibbridge.keylookup.background", *arguments],
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


def build_cache_file(bib: Path) -> bool:
    """Read .bib file ``bib`` whole, cache its table and add the word index. True when done."""
    from ..errors import BibbridgeError

    source = BibFile(bib)
    try:
        table = cached_table(bib, "bib", str(bib), source._build)
    except (BibbridgeError, OSError):
        return False  # the next query reads the file itself and names the problem
    if not table.indexed:
        table.enrich()
        table.store()
    return True


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--build":
        bib = Path(argv[1])
        try:
            return 0 if build_cache_file(bib) else 1
        finally:
            _unlink(lock_path(cache_path_for(bib, "bib")))
    if len(argv) != 1:
        usage = "usage: python -m bibbridge.keylookup.background CACHE-FILE | --build BIB-FILE"
        print(usage, file=sys.stderr)
        return 2
    cache = Path(argv[0])
    try:
        return 0 if index_cache_file(cache) else 1
    finally:
        _unlink(lock_path(cache))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
