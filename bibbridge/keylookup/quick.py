"""The first query of a large .bib with no cache yet: answered from the few entries it can be in.

Reading a 28 MB .bib with the reader and building its table takes ~0.7 s; the answer usually lives in a
few dozen entries. So :func:`quick_search` works on the file's bytes:

1. entry heads (``@type{key,`` at a line start) by one regex; the file lower-cased with ``{}$``
   deleted (``{T}ransformer`` → ``transformer``) by one ``bytes.translate``;
2. an evenly spaced *sample* of entries (:data:`SAMPLE_ENTRIES`) is parsed: it estimates how common
   each query word is (the scorer's rarity weights need document frequencies over the whole file);
3. the rarest query words (by the sample) are counted in the folded bytes; for each one occurring at
   most :data:`MAX_CANDIDATES` times, every entry containing it is a candidate (title/author lines
   with LaTeX accents or non-ASCII letters are folded word by word, so ``M{\\"u}ller`` and ``Müller``
   count as ``muller``). Such a word is *complete*: every entry holding it is parsed;
4. ids, DOIs and keys are found the same way (keys: all keys from the heads, exact/prefix/fuzzy as
   the full path matches them);
5. the candidates and the sample are parsed by the reader (``parse_bib`` on their slices, with the
   file's ``@string`` definitions) into a :class:`QuickTable` that reports the whole file's entry
   count and word frequencies (exact for complete words, estimated from the sample otherwise) and is
   scored by :func:`.match.search_table`, as the full path does.

An entry holding none of the complete words scores at most :func:`bound` (its coverage comes from the
other words only); answers above that bound are the full path's answers. Otherwise — a word found
nowhere as a title/name word (a typo), no rare word, too many candidates, a malformed candidate,
too few answers above the bound — :func:`quick_search` returns None and the caller reads the whole file.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Sequence
from itertools import compress
from pathlib import Path

from .index import Table, file_stamp, fold_words
from .match import Query, _expansions, search_table

#: Files smaller than this are read whole (that takes well under 0.1 s).
QUICK_MIN_BYTES = 1_000_000
#: At most this many occurrences of a word (or an id) for it to be searched raw; also caps candidates.
MAX_CANDIDATES = 2000
#: Entries parsed to estimate word frequencies.
SAMPLE_ENTRIES = 400
_PROBE_BLOCK = 1 << 16
#: The last file searched: its stamp → [bytes, folded bytes, _File or None].
_MEMO: dict[tuple, list] = {}
#: Title/author lines with LaTeX or non-ASCII beyond which the shortcut gives up (folding them costs).
MAX_ODD_LINES = 50_000

#: An entry head on its line: ``@type{key,`` (type and key captured).
_HEAD_LINE = re.compile(
    rb'(?:\xef\xbb\xbf)?[ \t\r]*@[ \t\r]*([A-Za-z]+)[ \t\r]*[{(][ \t\r]*([^,\s{}()"@#%=\\]*)'
)
_NOT_ENTRIES = frozenset((b"string", b"comment", b"preamble"))
_UPPER = bytes(range(65, 91))
_FOLD = bytes.maketrans(_UPPER, _UPPER.lower())
#: Every byte but newline, backslash and non-ASCII; every byte but newline and '@'.
_NOT_ODD = bytes(b for b in range(128) if b not in (10, 92))
_NOT_AT = bytes(b for b in range(256) if b not in (10, 64))
_FIELD_NAME = re.compile(rb"[ \t]*([A-Za-z]+)[ \t]*=")
_WORD_FIELDS = (b"title", b"author", b"editor")


class QuickTable(Table):
    """A table of some entries of a file that scores them as the whole file's table would: its length
    is the file's entry count and :meth:`df` the file's document frequency (exact for the complete
    words, see the module doc, else estimated from the sample rows)."""

    total: int = 0
    complete: tuple[str, ...] = ()
    sample_rows: frozenset[int] = frozenset()

    def __len__(self) -> int:
        return self.total

    def df(self, word: str) -> int:
        rows = set(self.rows_of(word))
        if any(known in word for known in self.complete):
            return len(rows)
        hits = len(rows & self.sample_rows)
        return round(hits * self.total / len(self.sample_rows)) if self.sample_rows else len(rows)


class _File:
    """The bytes of one .bib and what every query needs from them (heads, folded text, odd lines)."""

    def __init__(self, raw: bytes, folded: bytes) -> None:
        self.raw = raw
        self.folded = folded  # lower case, without {}$: "{T}ransformer" → "transformer"
        self.line_texts = raw.split(b"\n")
        # Byte passes find the lines holding a backslash or non-ASCII byte (odd), or an '@' (heads).
        odd_marks = raw.translate(None, _NOT_ODD).split(b"\n")
        self.odd_numbers = list(compress(range(len(odd_marks)), odd_marks))
        at_marks = raw.translate(None, _NOT_AT).split(b"\n")
        self.lines: list[int] = []  # 1-based line of every head
        self.types: list[bytes] = []
        self.keys: list[bytes] = []
        texts = self.line_texts
        for index in compress(range(len(at_marks)), at_marks):
            head = _HEAD_LINE.match(texts[index])
            if head is None:
                continue  # '@' inside a line: a comment for BibTeX
            self.lines.append(index + 1)
            self.types.append(head.group(1).lower())
            self.keys.append(head.group(2))
        self.entries = [i for i, kind in enumerate(self.types) if kind not in _NOT_ENTRIES]
        self._odd: dict[str, set[bytes]] | None = None
        self.sample: QuickTable | None = None  # the sample entries (made on first use)
        self._lower_keys: list[str] | None = None
        self.sample_entries: dict[int, object] = {}  # head → parsed sample entry
        self._odd_text = b""  # the title/author lines with odd tokens, folded, one a line
        self._odd_lines: list[int] = []  # their 1-based line numbers

    def lower_keys(self) -> list[str]:
        """Every entry's key, lower-cased, in file order (as ``self.entries``)."""
        if self._lower_keys is None:
            self._lower_keys = [self.keys[i].decode("utf-8", "replace").lower() for i in self.entries]
        return self._lower_keys

    def head_of_line(self, line: int) -> int:
        return bisect_right(self.lines, line) - 1

    def heads_with(self, needle: bytes, limit: int, text: bytes | None = None) -> set[int] | None:
        """The heads (indexes) of the blocks whose folded bytes (or ``text``) contain ``needle``; None
        when it occurs more than ``limit`` times."""
        folded = self.folded if text is None else text
        if folded.count(needle) > limit:
            return None
        out: set[int] = set()
        position, line, last = folded.find(needle), 1, 0
        while position >= 0:
            line += folded.count(b"\n", last, position)
            last = position
            out.add(self.head_of_line(line))
            position = folded.find(needle, position + 1)
        return out

    def odd_words(self) -> dict[str, set[bytes]] | None:
        """The folded words of the tokens with a backslash or non-ASCII bytes on title/author/editor
        lines (``M{\\"u}ller,`` → ``muller``), each with those tokens: where the folded bytes cannot
        see the word. None when there are too many such lines."""
        if self._odd is not None:
            return self._odd
        from .detex import detex

        numbers = self.odd_numbers
        if len(numbers) > MAX_ODD_LINES:
            return None
        lines = self.line_texts
        match = _FIELD_NAME.match
        kept, lines_kept = [], []
        for index in numbers:
            text = lines[index]
            start = text[:12].lstrip().lower()
            # Other fields (abstracts, URLs…) are not searched by lookup; lines going on are kept.
            keep = start.startswith(_WORD_FIELDS) or not match(text)
            lines_kept.append(keep)
            if keep:
                kept.append(text)
        blob = b"\n".join(kept)
        tokens = [t for t in set(blob.split()) if not t.isascii() or b"\\" in t]
        odd: dict[str, set[bytes]] = {}
        for token in tokens:
            # Searched for as the folded bytes have it (lower case, no braces), outer punctuation off.
            needle = token.translate(_FOLD, b"{}$").strip(b",;:.()'\"")
            for word in fold_words(detex(token.decode("utf-8", "replace"))).split():
                odd.setdefault(word, set()).add(needle)
        self._odd = odd
        self._odd_text = blob.translate(_FOLD, b"{}$")
        self._odd_lines = [i + 1 for i, line in zip(numbers, lines_kept, strict=True) if line]
        return odd

    def heads_with_word(self, word: str, limit: int) -> set[int] | None:
        """The heads of blocks whose title/name words may contain ``word`` (a superset), or None."""
        found = self.heads_with(word.encode("ascii"), limit)
        if found is None:
            return None
        odd = self.odd_words()
        if odd is None:
            return None
        tokens = set().union(*(t for folded, t in odd.items() if word in folded))
        text = self._odd_text
        for token in tokens:
            position, line, last = text.find(token), 0, 0
            while position >= 0:
                line += text.count(b"\n", last, position)
                last = position
                found.add(self.head_of_line(self._odd_lines[line]))
                position = text.find(token, position + 1)
        return found if len(found) <= limit else None

    def slice(self, head: int) -> bytes:
        """The lines from this head to the next one."""
        end = self.lines[head + 1] - 1 if head + 1 < len(self.lines) else len(self.line_texts)
        return b"\n".join(self.line_texts[self.lines[head] - 1 : end])


def quick_search(
    path: Path, name: str, query: Query, limit: int, min_score: int
) -> tuple[QuickTable, list[tuple[int, int, str]]] | None:
    """The best rows for ``query`` from the candidate entries of .bib file ``path`` (see the module doc),
    as :func:`.match.search_table` gives them, with the table they index; None when only reading the
    whole file can answer for sure."""
    if path.stat().st_size < QUICK_MIN_BYTES or query.years and not query.words:
        return None
    # The file's bytes are kept for the next query in this process (a Lookup asked again before the
    # background process has cached the table; tests), checked against its size and mtime.
    stamp = file_stamp(path.resolve())
    memo = _MEMO.get(stamp)
    if memo is None:
        _MEMO.clear()
        raw = path.read_bytes()
        memo = _MEMO[stamp] = [raw, raw.translate(_FOLD, b"{}$"), None]
    raw, folded, bib = memo
    # Leave at once when nothing in the query is rare enough to search for (every word common).
    # A 1/16 probe tells the clearly common words (counting one over 28 MB costs ~20 ms).
    probe = b"".join(folded[i : i + _PROBE_BLOCK] for i in range(0, len(folded), 16 * _PROBE_BLOCK))
    probed = {word: probe.count(word.encode("ascii")) for word in query.words}
    counts: dict[str, int] = {}
    for word in sorted((w for w, n in probed.items() if n <= MAX_CANDIDATES // 4), key=probed.__getitem__):
        counts[word] = folded.count(word.encode("ascii"))
        if not counts[word] and not (query.arxiv_ids or query.dois):
            # A word found nowhere in the bytes: a typo (matching it needs the whole vocabulary), or
            # an accented word the file spells only in LaTeX or non-ASCII. The full path knows.
            return None
    rare = [word for word, count in counts.items() if len(word) >= 3 and count <= MAX_CANDIDATES]
    if not (rare or query.arxiv_ids or query.dois or query.key):
        return None
    if bib is None:
        bib = memo[2] = _File(raw, folded)
    total = len(bib.entries)
    if not total:
        return None
    if query.key and not (query.arxiv_ids or query.dois):
        key = query.key.lower()
        keys = bib.lower_keys()
        if key not in keys and any(k.startswith(key) for k in keys):
            return None  # a key prefix: its word is no title word, so no answer is sure (see bound)

    step = max(1, total // SAMPLE_ENTRIES)
    sample_heads = set(bib.entries[::step])
    if bib.sample is None:
        sample = _parse(bib, sample_heads, name)
        if sample is None:
            return None
        bib.sample = _table(name, sample[0], total, (), frozenset(range(len(sample[0]))))
        bib.sample_entries = dict(zip(sample[1], sample[0], strict=True))
    sample_table = bib.sample

    candidates: set[int] = set()
    for needle in [i.lower() for i in query.arxiv_ids] + [d.lower() for d in query.dois]:
        found = bib.heads_with(needle.encode("ascii", "replace"), MAX_CANDIDATES)
        if found is None:
            return None
        candidates |= found
    if query.key:
        candidates |= _key_heads(bib, query.key.lower())
    entry_heads = set(bib.entries)

    complete: list[str] = []
    if not query.only_ids:
        # The rarest words first (by the sample; longer first among equals); four complete ones are plenty.
        for word in sorted(rare, key=lambda w: (sample_table.df(w), -len(w))):
            if len(complete) == 4:
                break
            found = bib.heads_with_word(word, MAX_CANDIDATES - len(candidates))
            if found is not None:
                complete.append(word)
                candidates |= found
    candidates &= entry_heads  # a word in an @string or @comment block, or before the first entry
    if not candidates or len(candidates) > MAX_CANDIDATES:
        return None

    parsed = _parse(bib, candidates - sample_heads, name)
    if parsed is None:
        return None
    by_head = dict(bib.sample_entries)
    by_head.update(zip(parsed[1], parsed[0], strict=True))
    heads = sorted(by_head)
    entries = [by_head[head] for head in heads]
    sample_rows = frozenset(row for row, head in enumerate(heads) if head in sample_heads)
    table = _table(name, entries, total, tuple(complete), sample_rows)
    results = search_table(table, query, limit=limit)
    ceiling = bound(table, query, complete)
    certain = [result for result in results if result[1] > ceiling]
    if not certain or (len(certain) < limit and ceiling >= min_score):
        return None
    return table, certain


def bound(table: QuickTable, query: Query, complete: Sequence[str]) -> int:
    """The highest score an entry outside ``table`` can get: it holds none of the ``complete`` words, so
    its coverage comes from the other words and the year (95 when some word is not a title/name word
    of the table: typo matching needs the whole file's vocabulary)."""
    if not query.words:
        return 95 if query.years else 0
    weights: dict[str, float] = {}
    for word in query.words:
        if not table.has_word(word):
            return 95
        expansions = _expansions(table, word)
        best = max(expansions.items(), key=lambda item: item[1])[0]
        weights[word] = math.log(1 + len(table) / (1 + table.df(best)))
    word_weight = sum(weights.values())
    year_weight = 0.5 * word_weight if query.years else 0.0
    outside = sum(weight for word, weight in weights.items() if word not in complete) + year_weight
    coverage = outside / (word_weight + year_weight)
    return round(95 * (0.80 * coverage + 0.12 + 0.08))


def _key_heads(bib: _File, key: str) -> set[int]:
    """The entries the key matching of :func:`.match.search_table` can pick on the whole file: the exact
    key, the first 200 keys it is a prefix of, the five nearest keys within typos."""
    keys = bib.lower_keys()
    out = {bib.entries[i] for i, k in enumerate(keys) if k == key}
    if len(key) >= 3:
        longer = [i for i, k in enumerate(keys) if k.startswith(key) and len(k) > len(key)]
        out.update(bib.entries[i] for i in longer[:200])
    if len(key) >= 5:
        from rapidfuzz import fuzz, process

        for _, _, i in process.extract(key, keys, scorer=fuzz.ratio, score_cutoff=85, limit=5):
            out.add(bib.entries[i])
    return out


def _parse(bib: _File, heads: set[int], name: str) -> tuple[list, list[int]] | None:
    """The reader's entries of the blocks at ``heads`` (file order, true line numbers) and the head of
    each; None when a block is not exactly one well-formed entry."""
    from ..bib.reader import parse_bib
    from .sources import BIB_FIELDS

    strings = [i for i, kind in enumerate(bib.types) if kind == b"string"]
    order = sorted(heads)
    chunks = [bib.slice(i) for i in strings + order]
    try:
        texts = [chunk.decode("utf-8").lstrip("\ufeff") for chunk in chunks]
    except UnicodeDecodeError:
        return None
    # Each block on its own lines; remember where each starts (character offset, line) in the join.
    starts, first_lines, offset, line = [], [], 0, 1
    for text in texts:
        starts.append(offset + len(text) - len(text.lstrip(" \t\r")))  # where its '@' is
        first_lines.append(line)
        offset += len(text) + 1
        line += text.count("\n") + 1
    parsed = parse_bib("\n".join(texts), file=name, fields=BIB_FIELDS)
    if parsed.problems:
        return None
    entries, out_heads = [], []
    seen: set[int] = set()
    for entry in parsed.entries:
        chunk = bisect_right(starts, entry.start) - 1
        if chunk < len(strings) or chunk in seen or entry.start != starts[chunk]:
            return None
        seen.add(chunk)
        head = order[chunk - len(strings)]
        entry.line = bib.lines[head] + entry.line - first_lines[chunk]
        entries.append(entry)
        out_heads.append(head)
    if len(entries) != len(order):
        return None
    return entries, out_heads


def _table(
    name: str, entries: list, total: int, complete: tuple[str, ...], sample: frozenset[int]
) -> QuickTable:
    from .sources import bib_table

    table = bib_table(name, entries)
    table.__class__ = QuickTable
    assert isinstance(table, QuickTable)
    table.total, table.complete, table.sample_rows = total, complete, sample
    return table


