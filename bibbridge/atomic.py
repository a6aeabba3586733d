"""Replace files atomically: write a temporary file beside the target, fsync, rename.

An interruption leaves either the old file or the new one, never a mix. A symlinked target is written
through (the link stays a link, the file it points to is replaced) and keeps its mode and, where the
process may set it, its owner. :func:`locked` serialises the writers of one file (a lock file beside
it) and :func:`remove_stale_temporaries` clears what a killed writer left.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: How long a writer waits for another one to release a file (seconds).
LOCK_WAIT = 300.0


def real_path(path: str | os.PathLike[str]) -> Path:
    """The file ``path`` names once symlinks are followed (the file a write must replace)."""
    return Path(os.path.realpath(path))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically; ``mode`` (e.g. 0o600) is set before the rename.

    Through a symlink, the file it points to is replaced and the link is kept. An existing file's mode
    and owner (when the process may set it: root) are kept.
    """
    target = real_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        old = target.stat()
    except FileNotFoundError:
        old = None
    if mode is None and old is not None:
        mode = old.st_mode & 0o7777
    import tempfile  # here, not at the top: commands that write no file start faster

    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode if mode is not None else 0o644)
        if old is not None and hasattr(os, "chown"):
            try:  # a root merge must not hand the user's file to root
                os.chown(tmp, old.st_uid, old.st_gid)
            except OSError:
                pass
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def append_in_place(path: str | os.PathLike[str], old: bytes, data: bytes) -> None:
    """Turn the file ``path`` (holding ``old``) into ``data`` by writing in place from the first byte
    that differs, then fsync: for files with several hard links, which a rename would split. On an
    error the file is cut back to ``old``; only a kill during the write itself can leave a partial tail."""
    if data.startswith(old):  # a merge only appends
        common = len(old)
    else:  # the longest common prefix, by bisection (slice comparisons run in C)
        low, high = 0, min(len(old), len(data))
        while low < high:
            middle = (low + high + 1) // 2
            if old[:middle] == data[:middle]:
                low = middle
            else:
                high = middle - 1
        common = low
    with open(path, "r+b") as handle:
        try:
            handle.seek(common)
            handle.write(data[common:])
            handle.truncate(len(data))
            handle.flush()
            os.fsync(handle.fileno())
        except BaseException:
            handle.seek(common)
            handle.write(old[common:])
            handle.truncate(len(old))
            handle.flush()
            raise


@contextmanager
def locked(path: str | os.PathLike[str], doing: str | None = None) -> Iterator[None]:
    """Hold the lock of ``path`` (``.NAME.lock`` beside it) while the block runs; a second writer
    waits (saying "waiting for another bibbridge ``doing``" on stderr) up to :data:`LOCK_WAIT` seconds,
    then gets OSError.

    The lock file is removed on release; a waiter that locked a removed file tries again, so two
    writers never both hold the lock."""
    import fcntl

    target = Path(path)
    lock_path = target.with_name(f".{target.name}.lock")
    deadline = time.monotonic() + LOCK_WAIT
    told = False
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not told:
                        print(
                            f"bibbridge: waiting for another bibbridge {doing or f'writing {target}'}",
                            file=sys.stderr,
                            flush=True,
                        )
                        told = True
                    if time.monotonic() > deadline:
                        raise OSError(
                            f"still locked by another process after {LOCK_WAIT:g} s (lock file {lock_path})"
                        ) from None
                    time.sleep(0.05)
            try:
                same = os.fstat(fd).st_ino == os.stat(lock_path).st_ino
            except FileNotFoundError:
                same = False
        except BaseException:
            os.close(fd)
            raise
        if same:
            break
        os.close(fd)  # the holder removed that lock file as we waited: lock the new one
    try:
        yield
    finally:
        try:
            os.unlink(lock_path)
        except OSError:
            pass
        os.close(fd)


def remove_stale_temporaries(path: str | os.PathLike[str]) -> int:
    """Remove the temporary files :func:`atomic_write_bytes` left beside ``path`` when a writer was
    killed (``.NAME.XXXXXXXX.tmp``); call it holding :func:`locked`, so no live writer owns one."""
    target = Path(path)
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}\.tmp")
    removed = 0
    try:
        names = os.listdir(target.parent)
    except OSError:
        return 0
    for name in names:
        if pattern.fullmatch(name):
            try:
                os.unlink(target.parent / name)
                removed += 1
            except OSError:
                pass
    return removed


def write_cache_file(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace the cache file ``path`` with ``data`` (a temporary file renamed over it), creating its
    folder; no fsync and no error: a lost or torn cache file only costs the next run a rebuild."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass


def atomic_write_text(path: str | os.PathLike[str], text: str, mode: int | None = None) -> None:
    """Write ``text`` as UTF-8 to ``path`` atomically (newlines are written as given)."""
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)
