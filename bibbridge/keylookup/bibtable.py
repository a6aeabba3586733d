"""A .bib file's lookup table, cached and kept up to date entry by entry.

Better BibTeX's auto-export rewrites the whole file when one item changes, often in another order. So the
cache does not trust positions: the file is cut before every line that starts with ``@`` (a *chunk*:
one entry, with any comment after it), each chunk is named by a hash of its bytes, and the cached table
knows which rows each chunk gave. When the file changed, only the chunks never seen before are read
(each after the file's ``@string`` blocks before it); rows of chunks that are gone are removed; every
row's line is set again from where its chunk now starts. The answer is the table a full read gives,
whatever order the file is in.

A full read (and no per-chunk bookkeeping) is done when a chunk could read differently alone than within
the file: the file is not UTF-8, some entry is malformed, a chunk's braces do not balance (an entry
holding a line that starts with ``@``), an ``@string`` block changed, or ``@string`` blocks sit
inside chunks; and when most chunks are new (a full read is then quicker).
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections import deque
from itertools import accumulate, chain, compress, count, repeat
from operator import add, itemgetter, methodcaller, not_
from pathlib import Path

from .index import Table, cache_path_for, file_stamp, load_cache

_STRING_BLOCK = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*@?[ \t\r\n]*[sS][tT][rR][iI][nN][gG][ \t\r\n]*[{(]")
_MAYBE = re.compile(rb"[sS \t\r\n\xef@]")
_INNER_STRING = re.compile(rb"@[ \t\r\n]*[sS][tT][rR][iI][nN][gG][ \t\r\n]*[{(]")
#: A change touching more than this share of the chunks is read in full.
INCREMENTAL_SHARE = 0.25


class Chunks:
    """A .bib's bytes cut before each line starting with ``@``: ``parts`` (without that ``@``, but the
    first), ``ids`` (a hash of each; a repeated chunk's id numbered) and ``starts`` (1-based lines)."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.parts = parts = raw.split(b"\n@")
        self.ids = list(map(methodcaller("digest"), map(hashlib.sha1, parts)))
        if len(set(self.ids)) < len(self.ids):
            seen: dict[bytes, int] = {}
            for index, content in enumerate(self.ids):
                seen[content] = seen.get(content, -1) + 1
                if seen[content]:
                    self.ids[index] = content + seen[content].to_bytes(4, "big")
        newlines = map(bytes.count, parts[:-1], repeat(b"\n"))
        self.starts = list(accumulate(map(add, newlines, repeat(1)), initial=1))
        # A regex match only for the parts that may start "string", " @String"… (found by C loops).
        firsts = b"".join(map(itemgetter(slice(0, 1)), parts))
        maybe = (
            range(len(parts)) if len(firsts) != len(parts) else (m.start() for m in _MAYBE.finditer(firsts))
        )
        self.strings = [i for i in maybe if _STRING_BLOCK.match(parts[i])]
        self.context = hashlib.sha1(b"\n@".join(parts[i] for i in self.strings)).digest()

    def text(self, index: int) -> bytes:
        return (b"@" if index else b"") + self.parts[index] + b"\n"

    def balanced(self, indexes: list[int] | range) -> bool:
        parts = self.parts
        return all(parts[i].count(b"{") == parts[i].count(b"}") for i in indexes)


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
        table = updated or _read_whole(chunks, name)
        table.stamp = stamp
        table.cache = cache
        table.store()
    table.name = table.file = name
    table.cache = cache
    return table


def _read_whole(chunks: Chunks, name: str) -> Table:
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
        or not chunks.balanced(range(len(chunks.parts)))
    ):
        return table  # no chunk bookkeeping: every change is read in full
    content: dict[bytes, list[int]] = {content_id: [] for content_id in chunks.ids}
    offsets = []
    for slot, line in enumerate(columns.lines):
        chunk = bisect_right(chunks.starts, line) - 1
        content[chunks.ids[chunk]].append(slot)
        offsets.append(line - chunks.starts[chunk])
    table.extra = {"context": chunks.context, "content": content, "offsets": offsets}
    return table


def _update(table: Table, chunks: Chunks, name: str) -> Table | None:
    """``table`` (a previous version of the file's) brought up to date by reading only the new chunks;
    None when that could differ from a full read (see the module docs)."""
    from ..bib.reader import scan_columns
    from .sources import BIB_FIELDS, bib_columns

    extra = table.extra
    if extra.get("context") != chunks.context:
        return None
    content: dict[bytes, list[int]] = extra["content"]
    new = list(compress(count(), map(not_, map(content.__contains__, chunks.ids))))
    if len(new) > INCREMENTAL_SHARE * len(chunks.ids) or not chunks.balanced(new):
        return None
    if any(_INNER_STRING.search(chunks.parts[i], 1) for i in new if i not in chunks.strings):
        return None  # a macro defined inside an entry's chunk: the later chunks may read differently
    # The new chunks in file order, each after the @string blocks before it in the file (and no other).
    read = sorted({*chunks.strings, *new})
    texts = [chunks.text(i) for i in read]
    starts = list(accumulate((text.count(b"\n") for text in texts), initial=1))
    try:
        columns = scan_columns(b"".join(texts).decode("utf-8"), BIB_FIELDS, file=name)
    except UnicodeDecodeError:
        return None
    at = [read[bisect_right(starts, line) - 1] for line in columns.lines]  # each entry's chunk
    place = {chunk: index for index, chunk in enumerate(read)}
    if columns.problems or not {*at} <= {*new}:
        return None
    # Out with the rows of chunks that are gone, in with the new ones.
    gone = content.keys() - set(chunks.ids)
    table.remove([slot for content_id in gone for slot in content.pop(content_id)])
    slots = table.add(*bib_columns(columns.keys, columns.fields, [0] * len(columns.keys)))
    offsets: list[int] = extra["offsets"]
    for index in new:
        content[chunks.ids[index]] = []
    for slot, line, chunk in zip(slots, columns.lines, at, strict=True):
        content[chunks.ids[chunk]].append(slot)
        if slot >= len(offsets):
            offsets.extend(repeat(0, slot + 1 - len(offsets)))
        offsets[slot] = line - starts[place[chunk]]
    # Every row's line: its chunk's start now, plus where it is in its chunk (by C loops).
    rows = list(map(content.__getitem__, chunks.ids))
    slots_in_order = list(chain.from_iterable(rows))
    starts = chain.from_iterable(map(repeat, chunks.starts, map(len, rows)))
    new_lines = map(add, starts, map(offsets.__getitem__, slots_in_order))
    deque(map(table.lines.__setitem__, slots_in_order, new_lines), maxlen=0)
    return table
