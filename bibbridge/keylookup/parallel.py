"""Reading a large .bib into its lookup table on several cores (the first query that reads it whole).

Scanning a 28 MB .bib (:func:`bibbridge.bib.reader.scan_columns`) and building its plain table is
~0.5 s of regex-and-Python work in one process. So the file's bytes are split at entry boundaries (a
line starting with ``@``) into one part a core; forked children (POSIX ``fork``: they share the bytes
read by the parent, nothing is pickled on the way in) each scan a part and build that part's table,
the parent doing the first (slightly larger) part itself; each part comes back as a few marshalled
strings and arrays and the parts are joined in file order, line numbers counted from each part's
first line. Each part also looks up the query's words in its own rows, and for a word that is no
word there (a typo, perhaps), finds the best words of its own it may stand for and their rows, so
the query's first lookups are spread over the cores too.

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

import gc
import marshal
import os
import re
import sys
from array import array
from collections.abc import Sequence
from itertools import repeat
from operator import add
from pathlib import Path

from .index import Table

#: Files smaller than this are read serially (forking and joining would cost more than it saves).
PARALLEL_MIN_BYTES = 4_000_000
#: At most this many parts (processes), however many cores there are.
MAX_PARTS = 4
#: The first part (read by this process) is this many equal shares: a forked child also marshals its
#: part and writes it out, and runs a little slower (measured: both then end together).
FIRST_SHARE = 1.08

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
    """Byte offsets ``[0, …, len(raw)]`` cutting ``raw`` into at most ``parts`` pieces, each cut just
    before an ``@`` that starts a line: the first piece :data:`FIRST_SHARE` of an equal share, the
    others equal."""
    points = [0]
    first = len(raw) * min(1.0, FIRST_SHARE / parts)
    for index in range(1, parts):
        at = raw.find(b"\n@", max(points[-1], int(first + (len(raw) - first) * (index - 1) / (parts - 1))))
        if at < 0:
            break
        points.append(at + 1)
    points.append(len(raw))
    return points


def parallel_bib_table(
    path: Path,
    name: str,
    parts: int | None = None,
    min_bytes: int | None = None,
    words: Sequence[str] = (),
) -> Table | None:
    """The plain table of .bib file ``path`` built by ``parts`` processes (default: one a core, at most
    :data:`MAX_PARTS`), identical to ``bib_table(name, scan_bib(path, BIB_FIELDS))``; None when the
    file must be read serially (see the module doc), or is smaller than ``min_bytes`` (default
    :data:`PARALLEL_MIN_BYTES`). Raises OSError when the file cannot be read.

    ``words``: the folded words of the query the table is built for. Each part finds the rows of the
    words starting with each of them (the table's word scans, see :meth:`.index.Table._scan`). For one
    of four letters or more that is no word of a part, that part lists its words and keeps the best
    few that the word may be a typo of (:func:`.match.typo_candidates`) with their rows: the whole
    table's best are among the parts' best, so the query's typo matching needs no vocabulary of the
    whole table (:meth:`.index.Table.typo_choices`).
    Spread over the parts, this costs the query far less than on the joined table."""
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
    # What every part needs is imported and compiled once, before forking. (rapidfuzz, needed only
    # for a misspelt word, is imported by each part that meets one: importing it here would cost
    # every other query ~15 ms.)
    from ..bib import reader
    from ..text import latex  # noqa: F401
    from . import sources

    reader.prepare(sources.BIB_FIELDS)
    words = tuple(dict.fromkeys(words))
    children: list[tuple[int, int]] = []
    collecting = gc.isenabled()
    gc.disable()  # the parts make no reference cycles: collections would only cost time
    try:
        for index in range(1, len(points) - 1):
            children.append(_fork(raw, points[index], points[index + 1], name, words))
        results = [_part(raw, 0, points[1], name, words)]
        for pid, fd in children:
            results.append(_collect(pid, fd))
        children = []
    finally:
        if collecting:
            gc.enable()
        for pid, fd in children:  # only after an error in this process: stop and reap the rest
            _abandon(pid, fd)
    if any(result is None for result in results):
        return None
    last = len(results) - 1
    if any(result["malformed"] and index < last for index, result in enumerate(results)):  # type: ignore[index]
        return None
    # Each part was read with the macros of the @string blocks before it: those the parts before it
    # defined, exactly (else some block was not what the whole file's reading makes of it).
    for before, result in zip(results, results[1:], strict=False):
        if result["macros_before"] != before["macros"]:  # type: ignore[index]
            return None
    filled = [result for result in results if result["count"]]  # type: ignore[index]
    return _join(name, filled) if filled else None  # type: ignore[arg-type]


def _string_blocks(raw: bytes, end: int) -> list[bytes]:
    """The @string blocks before ``end`` that are first on their line (text before an '@' on its line
    makes it a comment), each from its '@' to the next line starting with '@'."""
    blocks = []
    for match in _STRING_BLOCK.finditer(raw, 0, end):
        at = match.start()
        if raw[raw.rfind(b"\n", 0, at) + 1 : at].strip(b" \t\r\xef\xbb\xbf"):
            continue
        stop = raw.find(b"\n@", at + 1, end)
        blocks.append(raw[at : stop + 1 if stop >= 0 else end].rstrip(b"\n") + b"\n")
    return blocks


def _part(raw: bytes, start: int, end: int, name: str, words: tuple[str, ...]) -> dict | None:
    """One part's table as marshal-able values (see :func:`_join`), with ``malformed`` (a problem in
    it), ``macros`` (the macros defined up to its end), ``macros_before`` (those it started with),
    ``scans`` (the rows of the query's words and of their typo candidates) and ``typos`` (each
    misspelt word's candidates: see :func:`parallel_bib_table`); None when the part cannot stand for
    the whole."""
    from ..bib.reader import parse_bib, scan_columns
    from .sources import BIB_FIELDS, bib_columns_table

    if raw.find(b"\x00", start, end) >= 0:  # the table builder's separator: its one-at-a-time path
        return None
    try:
        prefix = b"".join(_string_blocks(raw, start)).decode("utf-8")
        text = prefix + str(memoryview(raw)[start:end], "utf-8")
    except UnicodeDecodeError:
        return None
    macros = parse_bib(prefix, name).strings if prefix else {}
    columns = scan_columns(text, BIB_FIELDS, file=name)
    if not _one_pass(columns.fields):
        return None
    lines = columns.lines
    if lines and lines[0] <= prefix.count("\n"):
        return None  # an entry among the @string blocks: not what the whole file holds there
    shift = raw.count(b"\n", 0, start) - prefix.count("\n")
    if shift:
        lines = [line + shift for line in lines]
    table = bib_columns_table(name, columns.keys, columns.fields, lines)
    values = table._values
    # The rows of the words starting with each query word (what matching looks up first).
    scans = {word: table._scan(word) for word in words}
    # A query word that is no word here may be a typo (see match._expansions): the best words here it
    # may stand for, and their rows.
    typos: dict[str, list[str]] = {}
    misspelt = [word for word in words if len(word) >= 4 and word not in scans[word]]
    if misspelt:
        from .match import typo_candidates

        vocabulary = list(set(values["text"].split()))
        for word in misspelt:
            typos[word] = typo_candidates(word, vocabulary)
            for candidate in typos[word]:
                scans.setdefault(candidate, table._scan(candidate))
    return {
        "count": len(lines),
        "malformed": bool(columns.problems),
        "macros": columns.strings,
        "macros_before": macros,
        "typos": typos,
        "scans": scans,
        **{section: _plain(values[section]) for section in Table.SECTIONS},
    }


def _plain(value: object) -> object:
    return value.tobytes() if isinstance(value, array) else value


def _one_pass(fields: dict[str, list[str]]) -> bool:
    """True when the table builder decodes these titles, names and DOIs in its one-pass way (so a part is
    built as it would be within the whole file): no title or name ends in a backslash, no DOI holds a
    line break."""
    titles = "\x00".join(fields["title"])
    names = "\x00".join([a or e for a, e in zip(fields["author"], fields["editor"], strict=True)])
    dois = "\x00".join(fields["doi"])
    backslash_ends = "\\\x00" in titles + "\x00" or "\\\x00" in names + "\x00"
    return not (backslash_ends or "\n" in dois)


def _fork(raw: bytes, start: int, end: int, name: str, words: tuple[str, ...]) -> tuple[int, int]:
    """Fork a child that builds one part and writes it, marshalled, to an anonymous file: (pid, file
    descriptor). A file rather than a pipe: the child never waits for this process to read (which it
    does only once its own part is built), so handing the part over overlaps with that."""
    fd = _anonymous_file()
    pid = os.fork()
    if pid == 0:  # the child: never returns, never runs the parent's cleanup or atexit handlers
        code = 1
        try:
            data = marshal.dumps(_part(raw, start, end, name, words))
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            code = 0
        except BaseException:  # noqa: BLE001, S110 - the parent sees the exit code and reads serially
            pass
        finally:
            os._exit(code)
    return pid, fd


def _anonymous_file() -> int:
    """A read-write file descriptor of a file with no name (in memory where the system allows)."""
    if hasattr(os, "memfd_create"):
        try:
            return os.memfd_create("bibbridge-part", os.MFD_CLOEXEC)
        except OSError:
            pass
    import tempfile

    fd, path = tempfile.mkstemp(prefix="bibbridge-part-")
    os.unlink(path)
    return fd


def _collect(pid: int, fd: int) -> dict | None:
    """The part a child wrote, once it has ended; None when it failed."""
    try:
        _, status = os.waitpid(pid, 0)
        if status != 0:
            return None
        size = os.lseek(fd, 0, os.SEEK_END)
        data = os.pread(fd, size, 0) if size else b""
    finally:
        os.close(fd)
    if not data:
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


def _join(name: str, results: list[dict]) -> Table:
    """One table from the parts' values, in file order (as :meth:`Table.from_columns` makes it)."""
    size = sum(result["count"] for result in results)
    table = Table(name, name, size)
    values = table._values
    values["text"] = "".join(result["text"] for result in results)
    for section in ("years", "title_lengths"):
        values[section] = array("H", b"".join(result[section] for result in results))
    for section in ("key_column", "doi_column", "arxiv_column"):
        # Each part's column is "\n" + lines + "\n": joined, the shared newlines once.
        values[section] = results[0][section] + "".join(result[section][1:] for result in results[1:])
    values["rows"] = b"".join(result["rows"] for result in results)
    # Offsets into the joined text and blob: each part's own, shifted by the parts before it.
    for section in ("row_starts", "offsets"):
        joined = array("I", [0])
        base = 0
        for result in results:
            part = array("I", result[section])
            joined.extend(map(add, part[1:], repeat(base)))
            base += part[-1]
        values[section] = joined
    # The rows of the words every part scanned, each part's shifted by the rows before it (a typo
    # candidate only some parts scanned is scanned again on the joined table when it is needed).
    scanned = sorted(set.intersection(*(set(result["scans"]) for result in results)))
    base = 0
    for result in results:
        for word in scanned:
            joined_scan = table._scans.setdefault(word, {})
            for found_word, rows in result["scans"][word].items():
                shifted = [row + base for row in rows] if base else rows
                joined_scan.setdefault(found_word, []).extend(shifted)
        base += result["count"]
    # The best words a misspelt query word may stand for, when it is no word of any part: the whole
    # table's best are among the parts' best (see match.typo_candidates).
    for word in set.intersection(*(set(result["typos"]) for result in results)):
        table._typo_choices[word] = sorted(set().union(*(result["typos"][word] for result in results)))
    return table
