"""Reading a large .bib into its lookup table on several cores (the first query that reads it whole).

Scanning a 28 MB .bib and building its plain table is ~0.65 s of pure Python-and-regex work, which
one process cannot speed up further. So the file's bytes are split at entry boundaries (a line
starting with ``@``) into one part a core; forked children (POSIX ``fork``: they share the bytes read
by the parent, nothing is pickled on the way in) each scan a part with the reader and build that part's
table, the parent doing the first part itself; each part comes back as a few marshalled strings and
arrays and the parts are joined in file order, line numbers counted from each part's first line.

The result is exactly the serial path's, or :func:`parallel_bib_table` returns None and the caller reads
the file serially. That is the case when something could make a part read differently from the whole:

- ``@string`` macros that a part would see differently: each part after the first is read after the
  ``@string`` blocks first on their line before it (each from its ``@`` to the next line starting
  with ``@``), and
  its table is used only if the macros they define are exactly those the parts before it defined;
- a malformed spot in any part but the last (an entry whose braces run on past a split point, i.e. a
  value holding a line that starts with ``@``, is malformed in its part);
- a part that is not UTF-8 (the reader then reads the whole file as Latin-1);
- columns that make the table builder take its one-value-at-a-time path (it then decodes whitespace
  slightly differently): see :func:`_one_pass`;
- a child that fails, or no ``fork`` (only Linux is used), a small file, one core, or other threads
  running in this process (forking a threaded process can deadlock the child).
"""

from __future__ import annotations

import marshal
import os
import re
import sys
from array import array
from itertools import accumulate, repeat
from operator import add
from pathlib import Path

from .index import Table

#: Files smaller than this are read serially (forking and joining would cost more than it saves).
PARALLEL_MIN_BYTES = 4_000_000
#: At most this many parts (processes), however many cores there are.
MAX_PARTS = 4

_STRING_BLOCK = re.compile(rb"@[ \t\r\n]*[sS][tT][rR][iI][nN][gG][ \t\r\n]*[{(]")


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    """True where :func:`parallel_bib_table` may fork: Linux, and no other thread in this process."""
    import threading

    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


def split_points(raw: bytes, parts: int) -> list[int]:
    """Byte offsets ``[0, …, len(raw)]`` cutting ``raw`` into at most ``parts`` pieces of about equal
    size, each cut just before an ``@`` that starts a line."""
    points = [0]
    for index in range(1, parts):
        at = raw.find(b"\n@", max(points[-1], len(raw) * index // parts))
        if at < 0:
            break
        points.append(at + 1)
    points.append(len(raw))
    return points


def parallel_bib_table(
    path: Path, name: str, parts: int | None = None, min_bytes: int | None = None
) -> Table | None:
    """The plain table of .bib file ``path`` built by ``parts`` processes (default: one a core, at most
    :data:`MAX_PARTS`), identical to ``bib_table(name, scan_bib(path, BIB_FIELDS))``; None when the
    file must be read serially (see the module doc), or is smaller than ``min_bytes`` (default
    :data:`PARALLEL_MIN_BYTES`). Raises OSError when the file cannot be read."""
    if parts is None:
        parts = min(cores(), MAX_PARTS)
    if min_bytes is None:
        min_bytes = PARALLEL_MIN_BYTES
    if parts < 2 or not can_fork() or path.stat().st_size < min_bytes:
        return None
    raw = path.read_bytes()
    points = split_points(raw, parts)
    if len(points) < 3:
        return None
    # Only @string blocks first on their line (text before an '@' on its line makes it a comment).
    string_starts = [
        match.start()
        for match in _STRING_BLOCK.finditer(raw)
        if not raw[raw.rfind(b"\n", 0, match.start()) + 1 : match.start()].strip(b" \t\r\xef\xbb\xbf")
    ]
    # Everything the parts need is imported before forking (a child must not import).
    from ..bib import reader  # noqa: F401
    from . import detex, sources  # noqa: F401

    children: list[tuple[int, int]] = []
    try:
        for index in range(1, len(points) - 1):
            children.append(_fork(raw, points[index], points[index + 1], name, string_starts))
        results = [_part(raw, 0, points[1], name, string_starts)]
        for pid, fd in children:
            results.append(_collect(pid, fd))
        children = []
    finally:
        for pid, fd in children:  # only after an error in this process: stop and reap the rest
            _abandon(pid, fd)
    if any(result is None for result in results):
        return None
    last = len(results) - 1
    if any(result[1] and index < last for index, result in enumerate(results)):  # type: ignore[index]
        return None
    # Each part was read with the macros of the @string blocks before it: those the parts before it
    # defined, exactly (else some block was not what the whole file's reading makes of it).
    for before, result in zip(results, results[1:], strict=False):
        if result[11] != before[10]:  # type: ignore[index]
            return None
    filled = [result for result in results if result[0]]  # type: ignore[index]
    return _join(name, filled) if filled else None  # type: ignore[arg-type]


def _part(raw: bytes, start: int, end: int, name: str, string_starts: list[int]) -> tuple | None:
    """One part's table as marshal-able values: (rows, malformed?, text, years, title lengths, key,
    DOI and arXiv columns, rows blob, row offsets, macros defined up to its end, macros it started
    with); None when the part cannot stand for the whole."""
    from ..bib.reader import parse_bib
    from .sources import BIB_FIELDS, bib_table

    # The @string blocks before this part, each from its '@' to the next line starting with '@'.
    blocks = []
    for at in string_starts:
        if at >= start:
            break
        stop = raw.find(b"\n@", at + 1, start)
        blocks.append(raw[at : stop + 1 if stop >= 0 else start].rstrip(b"\n") + b"\n")
    if raw.find(b"\x00", start, end) >= 0:  # the table builder's separator: its one-at-a-time path
        return None
    try:
        prefix = b"".join(blocks).decode("utf-8")
        text = prefix + raw[start:end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    macros = parse_bib(prefix, name).strings if prefix else {}
    parsed = parse_bib(text, name, BIB_FIELDS)
    entries = parsed.entries
    if (entries and entries[0].start < len(prefix)) or not _one_pass(entries):
        return None  # an entry among the @string blocks: not what the whole file holds there
    shift = raw.count(b"\n", 0, start) - prefix.count("\n")
    if shift:
        for entry in entries:
            entry.line += shift
    values = bib_table(name, entries)._values
    return (
        len(entries),
        bool(parsed.problems),
        values["text"],
        values["years"].tobytes(),
        values["title_lengths"].tobytes(),
        values["key_column"],
        values["doi_column"],
        values["arxiv_column"],
        values["rows"],
        values["offsets"].tobytes(),
        parsed.strings,
        macros,
    )


def _one_pass(entries: list) -> bool:
    """True when the table builder decodes these entries' titles, names and DOIs in its one-pass way
    (so a part is built as it would be within the whole file): no title or name ends in a backslash,
    no DOI holds a line break."""
    fields = [entry.fields for entry in entries]
    titles = "\x00".join([f.get("title", "") for f in fields])
    names = "\x00".join([f.get("author") or f.get("editor") or "" for f in fields])
    dois = "\x00".join([f.get("doi", "") for f in fields])
    backslash_ends = "\\\x00" in titles + "\x00" or "\\\x00" in names + "\x00"
    return not (backslash_ends or "\n" in dois)


def _fork(raw: bytes, start: int, end: int, name: str, string_starts: list[int]) -> tuple[int, int]:
    """Fork a child that builds one part and writes it, marshalled, to a pipe: (pid, read end)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns, never runs the parent's cleanup or atexit handlers
        code = 1
        try:
            os.close(read_end)
            data = marshal.dumps(_part(raw, start, end, name, string_starts))
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            code = 0
        except BaseException:  # noqa: BLE001, S110 - the parent sees the exit code and reads serially
            pass
        finally:
            os._exit(code)
    os.close(write_end)
    return pid, read_end


def _collect(pid: int, fd: int) -> tuple | None:
    """The part a child wrote (read before waiting: the pipe holds only 64 KiB), or None."""
    with os.fdopen(fd, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return None
    try:
        return marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None


def _abandon(pid: int, fd: int) -> None:
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass
    try:
        os.close(fd)
    except OSError:
        pass


def _join(name: str, results: list[tuple]) -> Table:
    """One table from the parts' values, in file order (as :meth:`Table.from_columns` makes it)."""
    size = sum(result[0] for result in results)
    table = Table(name, name, size)
    values = table._values
    text = values["text"] = "".join(result[2] for result in results)
    line_lengths = map(add, map(len, text.split("\n")[:-1]), repeat(1))
    values["row_starts"] = array("I", accumulate(line_lengths, initial=0))
    values["years"] = array("H", b"".join(result[3] for result in results))
    values["title_lengths"] = array("H", b"".join(result[4] for result in results))
    for section, column in (("key_column", 5), ("doi_column", 6), ("arxiv_column", 7)):
        # Each part's column is "\n" + lines + "\n": joined, the shared newlines once.
        values[section] = results[0][column] + "".join(result[column][1:] for result in results[1:])
    values["rows"] = b"".join(result[8] for result in results)
    offsets = array("I", [0])
    base = 0
    for result in results:
        part = array("I", result[9])
        offsets.extend(map(add, part[1:], repeat(base)))
        base += part[-1]
    values["offsets"] = offsets
    return table
