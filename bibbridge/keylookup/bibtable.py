"""A .bib file's lookup table, cached and kept up to date entry by entry.

Better BibTeX's auto-export rewrites the whole file when one item changes, often in another order. So the
cache does not trust positions: the file is cut before every line that starts with ``@`` (a *chunk*:
one entry, with any comment after it), each chunk is named by a hash of its bytes, and the cached table
knows which rows each chunk gave. When the file changed, only the chunks never seen before are read
(each after the file's ``@string`` blocks before it); rows of chunks that are gone are removed; every
row's line is set again from where its chunk now starts. The answer is the table a full read gives,
whatever order the file is in.

A chunk's id also counts the ``@string`` blocks before it: the macros it is read with (an entry moved
above the block defining its macro is new). A full read (and no per-chunk bookkeeping) is done when a
chunk could read differently alone than within the file: the file is not UTF-8, some entry is
malformed, a chunk's braces do not balance (an entry holding a line that starts with ``@``), a block in
parentheses has unpaired quotes or parentheses (a quoted value holding such a line), an ``@string``
block changed, or ``@string`` blocks sit inside chunks; and when most chunks are new (a full read is
then quicker).

A large file never seen before is read by two processes, half the chunks each (read the way an update
reads new chunks, so under the same conditions), and the halves' tables joined: the table a full read
gives, built in about half the time on a machine with two cores or more (see :func:`read_in_halves`).
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable
from itertools import accumulate, chain, compress, count, pairwise, repeat
from operator import add, is_, methodcaller, not_, sub
from pathlib import Path
from typing import NamedTuple

from .index import Table, cache_path_for, file_stamp, held_slots, holding, load_cache

_STRING_BLOCK = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*@?[ \t\r\n]*[sS][tT][rR][iI][nN][gG][ \t\r\n]*[{(]")
_MAYBE = re.compile(rb"[sS \t\r\n\xef@]")
_CUT = re.compile(rb"\n@")
#: The head of a block in parentheses, at a chunk's start (the first chunk's may have the "@").
_PAREN_HEAD = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*@?[ \t\r\n]*[A-Za-z]+[ \t\r\n]*\(")
_INNER_STRING = re.compile(rb"@[ \t\r\n]*[sS][tT][rR][iI][nN][gG][ \t\r\n]*[{(]")
#: A change touching more than this share of the chunks is read in full.
INCREMENTAL_SHARE = 0.25
#: A never-seen file this large or larger is read in two processes (for a smaller one, starting the
#: second process costs more than it saves).
PARALLEL_BYTES = 4_000_000


class Chunks:
    """A .bib's bytes cut before each line starting with ``@``, as offsets into ``raw`` (no copy):
    chunk ``i`` is ``raw[begins[i]:ends[i]]``, without that ``@`` (but the first chunk, which starts the
    file). ``strings``: the chunks that are ``@string`` blocks. ``ids`` (a hash of each chunk; a repeated
    chunk's id numbered), ``counts`` (the lines each chunk starts before the next) and ``starts`` (each
    chunk's 1-based line) are worked out on first use, or set from what was worked out elsewhere
    (another process, an earlier version of the file)."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        cuts = [match.start() for match in _CUT.finditer(raw)]
        self.begins = [0, *map(add, cuts, repeat(2))]
        self.ends = [*cuts, len(raw)]
        self.size = len(self.begins)
        # A regex match only for the chunks that may start "string", " @String"… (found by C loops).
        heads = self.begins[1:]
        if heads and heads[-1] == len(raw):  # an empty last chunk has no first byte (and is no block)
            del heads[-1]
        maybe = (m.start() + 1 for m in _MAYBE.finditer(bytes(map(raw.__getitem__, heads))))
        match = _STRING_BLOCK.match
        self.strings = [i for i in (0, *maybe) if match(raw, self.begins[i], self.ends[i])]
        self._ids: list[bytes] | None = None
        self._counts: list[int] | None = None
        self._starts: list[int] | None = None

    def __len__(self) -> int:
        return self.size

    def part(self, index: int) -> bytes:
        """Chunk ``index``'s bytes."""
        return self.raw[self.begins[index] : self.ends[index]]

    @property
    def context(self) -> bytes:
        """A hash of the ``@string`` blocks: a change to any of them changes how entries read."""
        import hashlib

        return hashlib.sha1(b"\n@".join(map(self.part, self.strings))).digest()

    def hashes(self, indexes: range) -> list[bytes]:
        """The hash of each of these chunks (repeats not numbered)."""
        import hashlib  # not at import: a query on a cached table needs none (OpenSSL loads slowly)

        view, first, last = memoryview(self.raw), indexes.start, indexes.stop
        pieces = map(view.__getitem__, map(slice, self.begins[first:last], self.ends[first:last]))
        return list(map(methodcaller("digest"), map(hashlib.sha1, pieces)))

    def line_counts(self, indexes: range | list[int]) -> list[int]:
        """How many lines each of these chunks starts before the next one: its newlines, plus the one
        it was cut at."""
        begins, ends = self.bounds(indexes)
        return list(map(add, map(self.raw.count, repeat(b"\n"), begins, ends), repeat(1)))

    def bounds(self, indexes: range | list[int]) -> tuple[list[int], list[int]]:
        """Where these chunks begin and end in ``raw``."""
        if isinstance(indexes, range):
            return self.begins[indexes.start : indexes.stop], self.ends[indexes.start : indexes.stop]
        return list(map(self.begins.__getitem__, indexes)), list(map(self.ends.__getitem__, indexes))

    def set_ids(self, hashes: list[bytes]) -> None:
        """Set ``ids`` from every chunk's hash: with the number of ``@string`` blocks before the chunk
        (the macros it reads with: an entry moved across a block is new), a repeat numbered."""
        ids = list(hashes)
        edges = [*self.strings, self.size]
        for before, (first, last) in enumerate(pairwise(edges), start=1):
            ids[first:last] = map(add, ids[first:last], repeat(before.to_bytes(4, "big")))
        if len(set(ids)) < len(ids):
            seen: dict[bytes, int] = {}
            for index, content in enumerate(ids):
                seen[content] = seen.get(content, -1) + 1
                if seen[content]:
                    ids[index] = content + seen[content].to_bytes(4, "big")
        self._ids = ids

    def set_counts(self, counts: list[int]) -> None:
        self._counts, self._starts = counts, None

    def counts_from(self, known: dict[bytes, int]) -> None:
        """Set ``counts`` from those of the chunks with these ids, counting only the others'."""
        counts = list(map(known.get, self.ids))
        missing = list(compress(count(), map(is_, counts, repeat(None))))
        for index, lines in zip(missing, self.line_counts(missing), strict=True):
            counts[index] = lines
        self.set_counts(counts)  # type: ignore[arg-type]

    @property
    def ids(self) -> list[bytes]:
        if self._ids is None:
            self.set_ids(self.hashes(range(self.size)))
        return self._ids  # type: ignore[return-value]

    @property
    def counts(self) -> list[int]:
        if self._counts is None:
            self.set_counts(self.line_counts(range(self.size)))
        return self._counts  # type: ignore[return-value]

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            self._starts = list(accumulate(self.counts[: self.size - 1], initial=1))
        return self._starts

    def text(self, index: int) -> bytes:
        return (b"@" if index else b"") + self.part(index) + b"\n"

    def joined_text(self, indexes: list[int]) -> bytes:
        """``b"".join(map(self.text, indexes))`` for sorted ``indexes``: each run of consecutive chunks
        copied in one go (half a large file is one run)."""
        view, pieces = memoryview(self.raw), []
        for first, last in _runs(indexes):
            pieces += [view[self.begins[first] - (1 if first else 0) : self.ends[last]], b"\n"]
        return b"".join(pieces)

    def holds_whole_blocks(self, indexes: list[int] | range) -> bool:
        """True when none of these chunks can end inside a block (where the next chunk, read alone,
        would read differently): its braces balance; and a block in parentheses (``@preamble("…")``,
        ``@article(…)``), which braces alone do not close, has balanced parentheses and its double
        quotes that no backslash escapes pair up (a quoted value holding a line that starts with ``@``
        leaves one open). Cautious: an odd parenthesis or inch mark in such a block makes the file one
        that is read whole."""
        raw, count = self.raw, self.raw.count
        begins, ends = self.bounds(indexes)
        # Whole columns of counts (C loops).
        if list(map(count, repeat(b"{"), begins, ends)) != list(map(count, repeat(b"}"), begins, ends)):
            return False
        match = _PAREN_HEAD.match
        for begin, end in compress(zip(begins, ends, strict=True), map(match, repeat(raw), begins, ends)):
            quotes = count(b'"', begin, end) - count(b'\\"', begin, end)
            if quotes % 2 or count(b"(", begin, end) != count(b")", begin, end):
                return False
        return True

    def defines_macro_inside(self, index: int) -> bool:
        """True when chunk ``index`` holds an ``@string`` block after its start (inside an entry)."""
        return _INNER_STRING.search(self.raw, self.begins[index] + 1, self.ends[index]) is not None


def bib_file_table(path: Path, name: str) -> Table:
    """The table of the .bib file at ``path``: from the cache when the file's size and mtime are
    unchanged, else updated from the cached table by the chunks that changed, else read in full; the
    result is cached again. Raises OSError when the file cannot be read."""
    path = path.resolve()
    stamp = file_stamp(path)  # taken before reading: a file changed meanwhile is read again next time
    cache = cache_path_for(path, "bib")
    table = load_cache(cache)
    if table is None or table.stamp != stamp:
        chunks = Chunks(path.read_bytes())
        updated = _update(table, chunks, name) if table is not None else None
        # A file whose last version could not be read chunk by chunk is read whole at once.
        table = updated or _read_whole(chunks, name, halves=table is None or bool(table.extra))
        table.stamp = stamp
        table.cache = cache
        table.store()
    table.name = table.file = name
    table.cache = cache
    return table


def _read_whole(chunks: Chunks, name: str, halves: bool = True) -> Table:
    """The table of the whole file, with its bookkeeping when the file allows it; read in two halves at
    once (:func:`read_in_halves`) when ``halves`` and the file is large."""
    if halves and len(chunks.raw) >= PARALLEL_BYTES:
        table = read_in_halves(chunks, name)
        if table is not None:
            return table
    from ..bib.reader import parse_bib, scan_columns
    from .sources import BIB_FIELDS, bib_columns_table

    raw = chunks.raw
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    columns = scan_columns(text if text is not None else raw.decode("latin-1"), BIB_FIELDS, file=name)
    table = bib_columns_table(name, columns.keys, columns.fields, columns.lines)
    prefix = b"".join(chunks.text(i) for i in chunks.strings).decode("utf-8", "replace")
    if (
        text is None
        or columns.problems
        or (prefix and parse_bib(prefix).strings != columns.strings)
        or (not prefix and columns.strings)
        or not chunks.holds_whole_blocks(range(len(chunks)))
    ):
        return table  # no chunk bookkeeping: every change is read in full
    starts = chunks.starts
    chunk_of = list(map(sub, map(bisect_right, repeat(starts), columns.lines), repeat(1)))
    offsets = list(map(sub, columns.lines, map(starts.__getitem__, chunk_of)))
    table.extra = _bookkeeping(chunks, chunk_of, range(len(chunk_of)), offsets)
    return table


def _bookkeeping(chunks: Chunks, chunk_of: list[int], slots: Iterable[int], offsets: list[int]) -> dict:
    """What :func:`_update` needs of a file's table: the ``@string`` blocks' hash, each chunk's rows
    (``content``: a chunk's slot as an int, or a list of its slots when it gave none or several; from
    the chunk and the slot of each row), each slot's line in its chunk and each chunk's line count."""
    ids = chunks.ids
    slots = list(slots)
    content: dict[bytes, int | list[int]] = dict(zip(map(ids.__getitem__, chunk_of), slots, strict=True))
    if len(content) < len(chunk_of):  # some chunk gave several entries
        several: dict[bytes, list[int]] = {}
        for slot, chunk in zip(slots, chunk_of, strict=True):
            several.setdefault(ids[chunk], []).append(slot)
        content = {content_id: holding(held) for content_id, held in several.items()}
    content.update((content_id, []) for content_id in set(ids) - content.keys())  # chunks of no entry
    counts = dict(zip(ids, chunks.counts, strict=True))
    return {"context": chunks.context, "content": content, "offsets": offsets, "counts": counts}


class _Read(NamedTuple):
    """Some chunks' entries: the columns :meth:`Table.add` takes (lines not set), each entry's chunk and
    its line in that chunk."""

    columns: tuple[list, ...]
    chunk_of: list[int]
    offsets: list[int]


def _read_chunks(
    chunks: Chunks, indexes: list[int] | range, name: str, line_counts: list[int] | None = None
) -> _Read | None:
    """The entries of the chunks ``indexes`` (in file order), each chunk read after the file's
    ``@string`` blocks before it (and no other); None when that could read differently than the whole
    file does (see the module docs). ``line_counts``: those chunks' :meth:`Chunks.line_counts`, when
    worked out already."""
    from ..bib.reader import scan_columns
    from .sources import BIB_FIELDS, bib_columns

    strings = set(chunks.strings)
    if not chunks.holds_whole_blocks(indexes):
        return None
    if any(chunks.defines_macro_inside(i) for i in indexes if i not in strings):
        return None  # a macro defined inside an entry's chunk: the later chunks may read differently
    read = sorted({*strings, *indexes}) if strings else list(indexes)
    known = dict(zip(indexes, line_counts, strict=True)) if line_counts is not None else {}
    counts = [known.get(i) or chunks.line_counts([i])[0] for i in read]
    starts = list(accumulate(counts, initial=1))  # where each chunk read starts in the text read
    try:
        columns = scan_columns(chunks.joined_text(read).decode("utf-8"), BIB_FIELDS, file=name)
    except UnicodeDecodeError:
        return None
    # Each entry's place in `read` (by C loops).
    places = list(map(sub, map(bisect_right, repeat(starts), columns.lines), repeat(1)))
    chunk_of = list(map(read.__getitem__, places))
    if columns.problems or not {*chunk_of} <= {*indexes}:
        return None
    offsets = list(map(int.__sub__, columns.lines, map(starts.__getitem__, places)))
    return _Read(bib_columns(columns.keys, columns.fields, [0] * len(columns.keys)), chunk_of, offsets)


def _update(table: Table, chunks: Chunks, name: str) -> Table | None:
    """``table`` (a previous version of the file's) brought up to date by reading only the new chunks;
    None when that could differ from a full read (see the module docs)."""
    extra = table.extra
    if extra.get("context") != chunks.context or "counts" not in extra:
        return None
    content: dict[bytes, int | list[int]] = extra["content"]
    ids = chunks.ids
    new = list(compress(count(), map(not_, map(content.__contains__, ids))))
    if len(new) > INCREMENTAL_SHARE * len(ids):
        return None
    known: dict[bytes, int] = extra["counts"]
    chunks.counts_from(known)
    found = _read_chunks(chunks, new, name)
    if found is None:
        return None
    # Out with the rows of chunks that are gone, in with the new ones.
    gone = content.keys() - set(ids)
    table.remove([slot for content_id in gone for slot in held_slots(content.pop(content_id))])
    for content_id in gone:
        known.pop(content_id, None)
    slots = table.add(*found.columns)
    offsets: list[int] = extra["offsets"]
    added: dict[bytes, list[int]] = {ids[index]: [] for index in new}
    for slot, offset, chunk in zip(slots, found.offsets, found.chunk_of, strict=True):
        added[ids[chunk]].append(slot)
        if slot >= len(offsets):
            offsets.extend(repeat(0, slot + 1 - len(offsets)))
        offsets[slot] = offset
    content.update((content_id, holding(held)) for content_id, held in added.items())
    known.update((ids[index], chunks.counts[index]) for index in new)
    _set_lines(table, chunks, content, offsets)
    return table


def _set_lines(
    table: Table, chunks: Chunks, content: dict[bytes, int | list[int]], offsets: list[int]
) -> None:
    """Every row's line: its chunk's start now, plus where it is in its chunk (by C loops for the
    chunks of one row)."""
    held = list(map(content.__getitem__, chunks.ids))
    single = list(map(isinstance, held, repeat(int)))
    lines, starts = table.lines, chunks.starts
    slots = list(compress(held, single))
    new_lines = map(add, compress(starts, single), map(offsets.__getitem__, slots))
    deque(map(lines.__setitem__, slots, new_lines), maxlen=0)
    for several, start in zip(
        compress(held, map(not_, single)), compress(starts, map(not_, single)), strict=True
    ):
        for slot in several:  # type: ignore[union-attr]
            lines[slot] = start + offsets[slot]


def read_in_halves(chunks: Chunks, name: str) -> Table | None:
    """The table :func:`_read_whole` makes of ``chunks`` (with its bookkeeping), built faster: this
    process reads the first half of the chunks while a forked one reads the second, then the second
    table is joined to the first. None when that cannot be done (no ``fork``, one core, threads
    running) or could differ from a full read (the conditions of an update, see the module docs)."""
    if not _can_fork():
        return None
    parts = len(chunks)
    middle = chunks.raw.count(b"\n@", 0, len(chunks.raw) // 2) + 1
    if not 0 < middle < parts:
        return None
    first, second = range(middle), range(middle, parts)
    import hashlib  # noqa: F401 - imported (and the reader's pattern made) once, before forking

    from ..bib.reader import prepare
    from ..text import latex  # noqa: F401
    from .sources import BIB_FIELDS

    prepare(BIB_FIELDS)
    incoming, outgoing = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(incoming)
        os.close(outgoing)
        return None
    if pid == 0:  # the second process: read the second half, hand it over, leave at once
        status = 1
        try:
            os.close(incoming)
            # Its rows take the slots after those the first half can fill: one per "@" in it at most.
            reserved = chunks.raw.count(b"@", 0, chunks.ends[middle - 1])
            with os.fdopen(outgoing, "wb") as out:
                out.write(_dumps_half(chunks, second, name, reserved))
            status = 0
        finally:
            os._exit(status)
    os.close(outgoing)
    try:
        mine = _read_half(chunks, first, name)
    finally:
        with os.fdopen(incoming, "rb") as pipe:
            data = pipe.read()
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:  # SIGCHLD ignored (inherited from whoever started us): reaped already
            pass
    theirs = _loads_half(data)
    if mine is None or theirs is None:
        return None
    chunks.set_ids(mine.hashes + theirs.hashes)
    chunks.set_counts(mine.line_counts + theirs.line_counts)
    table, reserved = mine.table, theirs.reserved
    try:
        table.extend(theirs.table, reserved)
    except ValueError:
        return None
    slots = chain(range(len(mine.chunk_of)), range(reserved, reserved + len(theirs.chunk_of)))
    offsets = mine.offsets + [0] * (reserved - len(mine.offsets)) + theirs.offsets
    table.extra = extra = _bookkeeping(chunks, mine.chunk_of + theirs.chunk_of, slots, offsets)
    _set_lines(table, chunks, extra["content"], extra["offsets"])
    return table


def _can_fork() -> bool:
    import threading

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    # A forked copy of a process running threads may hold their locks: only a single-threaded one forks.
    return hasattr(os, "fork") and cores > 1 and threading.active_count() == 1


class _Half(NamedTuple):
    """Half a file's chunks read: their table (its first ``reserved`` slots left empty, see
    :meth:`Table.reserve`), each row's chunk and line in it, each chunk's hash and line count."""

    table: Table
    chunk_of: list[int]
    offsets: list[int]
    hashes: list[bytes]
    line_counts: list[int]
    reserved: int


def _read_half(chunks: Chunks, indexes: range, name: str, reserved: int = 0) -> _Half | None:
    line_counts = chunks.line_counts(indexes)
    found = _read_chunks(chunks, indexes, name, line_counts)
    if found is None:
        return None
    table = Table(name)
    table.reserve(reserved)
    table.add(*found.columns)
    return _Half(table, found.chunk_of, found.offsets, chunks.hashes(indexes), line_counts, reserved)


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    """The runs of consecutive numbers in sorted ``indexes``, as (first, last)."""
    runs: list[tuple[int, int]] = []
    for index in indexes:
        if runs and runs[-1][1] == index - 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def _dumps_half(chunks: Chunks, indexes: range, name: str, reserved: int) -> bytes:
    import marshal

    half = _read_half(chunks, indexes, name, reserved)
    if half is None:
        return b""
    rest = marshal.dumps(tuple(half[1:]))
    return len(rest).to_bytes(8, "big") + rest + half.table.dumps(())


def _loads_half(data: bytes) -> _Half | None:
    import marshal

    if len(data) < 8:
        return None
    size = int.from_bytes(data[:8], "big")
    table = Table.loads(data[8 + size :])
    return None if table is None else _Half(table, *marshal.loads(data[8 : 8 + size]))
