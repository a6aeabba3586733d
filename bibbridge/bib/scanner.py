"""The fast path: bibtexparser's grammar as regexes, one match per well-formed entry, the column scan."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from itertools import accumulate, repeat
from operator import methodcaller

from ..regexcache import compile_cached
from .model import BibEntry

# -- the grammar, as regexes ---------------------------------------------------------------------
# pyparsing skips exactly these as whitespace (not \f, \v or Unicode spaces).
_W = r"[ \t\n\r]*"
_WS = re.compile(_W)
_TYPE = re.compile(r"[A-Za-z]+")
_FIELD_NAME = re.compile(r"[A-Za-z0-9_\-().+]+")
_MACRO = re.compile(r"[A-Za-z0-9_\-:]+")
_DIGITS = re.compile(r"[0-9]+")
# Where an implicit comment ends (pyparsing: SkipTo(LineEnd() + '@' | StringEnd())).
_RESYNC = re.compile(r"[ \t\r]*\n[ \t\r\n]*@|[ \t\r\n]*\Z")
_ENTRY_LIKE = re.compile(r"@[ \t\n\r]*([A-Za-z]+)[ \t\n\r]*[{(]")
_ODD_KEY = re.compile(r"[{}()\"@#%=\\]")
_KEYWORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")  # pyparsing Keyword, upper-cased
_RESERVED = ("string", "preamble", "comment")
_RESERVED_SET = frozenset(_RESERVED)
_GROUPS_OR_EMPTY = methodcaller("groups", "")  # absent groups as "" (no None to replace)
_START = re.Match.start
# bibtexparser 1.4 reads braced values recursively and fails near 90 levels (less on a deep stack).
_DEEPEST = 50
_BRACE = re.compile(r"[{}]")

# -- the fast path: one regex match per well-formed entry -----------------------------------------
# What the regex engine costs (development machine): it walks text at ~2.4 ns a character for
# [^{}] spelled as Latin-1 ranges (~7 ns spelled [^{}]; ranges up to U+10FFFF take ~5 ms to compile),
# plus ~0.25 us per field and ~0.7 us per call. Python costs ~0.05 us per step. So an entry is ONE
# match call that checks it against bibtexparser's grammar and captures the wanted fields on the way;
# Python then takes a few steps per entry and none per unwanted field.
_FW = r"[ \t\n\r]*+"
_FNAME = r"[A-Za-z0-9_\-().+]++"
_NAME_CHAR = r"(?![A-Za-z0-9_\-().+])"
# "@type{key" -- the key as bibtexparser reads it (up to the first ',', no whitespace), braces excluded.
_HEAD = r"@[ \t\n\r]*([A-Za-z]+)[ \t\n\r]*\{\s*([^,\s{}()\"@#%=\\]+)\s*(?=,)"
_TEXT = r"[\x00-z|~-\xff]++|[^\x00-\xff]++"  # a run without braces
# The same without tabs (pyparsing expands them) or line breaks (bibtexparser strips the lines after
# one; str.splitlines breaks lines at all of these): the wanted values that can be taken as they are.
_TEXT_LINE = r"[\x00-\x08\x0e-\x1b\x1f-z|~-\x84\x86-\xff]++|[^\x00-\xff\u2028\u2029]++"


def _inner(text: str) -> str:
    """The inner text of a braced value: balanced braces (backslashes do not escape them), nested at most
    four deep; deeper ones go the careful way."""
    level_3 = rf"(?:{text}|\{{(?:{text})*+\}})*+"
    level_2 = rf"(?:{text}|\{{{level_3}\}})*+"
    return rf"(?:{text}|\{{{level_2}\}})*+"


_INNER = _inner(_TEXT)
_QUOTED = rf"\"(?:[^\"{{}}]++|\{{{_INNER}\}})*+\""
_BARE = rf"{_QUOTED}|[0-9]++|[A-Za-z_\-:][A-Za-z0-9_\-:]*+"  # quoted, number or @string macro
# A field value, without '#' concatenations (those go the careful way).
_VALUE = rf"\{{{_INNER}\}}|{_BARE}"
# The same, captured: (inner text of a braced value on one line without tabs, any other value whole).
_VALUE_CAPTURED = rf"\{{({_inner(_TEXT_LINE)})\}}|(\{{{_INNER}\}}|{_BARE})"


def _caseless(name: str) -> str:
    # [tT][iI]... rather than (?i:...): the engine skips a branch starting with a character set at once.
    return "".join(f"[{ch}{ch.upper()}]" if ch.isalpha() else re.escape(ch) for ch in name)


@functools.lru_cache(maxsize=32)
def _entry_pattern(wanted: tuple[str, ...]) -> re.Pattern[str]:
    """A whole entry and the whitespace after it. Groups: 1 type, 2 key; per wanted field i, 3+4i or
    4+4i is set (to one character) when the field is repeated, 5+4i and 6+4i are its value as
    _VALUE_CAPTURED gives it (the first occurrence's); the last group marks the closing brace."""
    branches = []
    for i, name in enumerate(wanted):
        braced, bare = 5 + 4 * i, 6 + 4 * i
        # Numbered forward references (allowed, and cheap); each flag captures the next character, so a
        # set flag is never "" (columns mode reads absent groups as "").
        repeated = rf"(?({braced})(?=([\s\S]))|(?({bare})(?=([\s\S]))|))"
        branches.append(rf"{_caseless(name)}{_NAME_CHAR}{repeated}{_FW}={_FW}(?:{_VALUE_CAPTURED})")
    branches.append(rf"{_FNAME}{_FW}={_FW}(?:{_VALUE})")
    fields = "|".join(branches)
    # Compiling it takes ~40 ms: its compiled program is kept on disk (see bibbridge.regexcache).
    return compile_cached(rf"{_HEAD}(?:{_FW},{_FW}(?:{fields}))++{_FW},?{_FW}()\}}[ \t\n\r]*+")


@functools.cache
def _field_rows() -> re.Pattern[str]:
    """One field of an entry already matched by _entry_pattern: (name, braced inner, bare value)."""
    return compile_cached(rf"{_FW},{_FW}({_FNAME}){_FW}={_FW}(?:{_VALUE_CAPTURED})")


_SCANNABLE_NAME = re.compile(r"[a-z0-9_\-().+]+")


def _scannable(wanted: Iterable[str]) -> tuple[str, ...]:
    """The wanted (lower-case) field names the fast path captures, in its pattern's order."""
    return tuple(sorted(name for name in wanted if _SCANNABLE_NAME.fullmatch(name)))


class _FastPath:
    """The fast-path steps of :class:`~bibbridge.bib.reader._Reader`: runs of well-formed entries."""

    def fast_entries(self, pos: int) -> int:
        """Read the well-formed entries from ``pos`` on the fast way; where the next block starts (``pos``
        itself when the first one is not for the fast path). The careful parser is the reference: this
        only ever agrees with it or leaves the entry to it."""
        text, n = self.text, self.n
        match, close_group, count = self.entry_match, self.close_group, text.count
        wanted = self.wanted
        line, line_pos = self._line_no, self._line_pos
        if pos < line_pos:  # the careful path looked ahead (e.g. to the end of an unclosed entry)
            line, line_pos = count("\n", 0, pos) + 1, pos
        while True:
            m = match(text, pos)
            if m is None:
                break
            groups = m.groups()
            entry_type, key = groups[0], groups[1]
            kind = entry_type.lower()
            if kind in _RESERVED:
                break
            close = m.start(close_group)
            if wanted is None:
                fields = self.all_fields(pos, m.end(2), close)
            else:
                fields = self.wanted_fields(groups, pos)
            if fields is None:
                break
            line += count("\n", line_pos, pos)
            end_line = line + count("\n", pos, close)
            self.note_entry(entry_type, BibEntry(kind, key, fields, line, end_line, pos, close + 1))
            line, line_pos = end_line, close
            pos = m.end()
            if pos >= n or text[pos] != "@":
                break
        self._line_no, self._line_pos = line, line_pos
        return pos

    def wanted_fields(self, groups: tuple, pos: int) -> dict[str, str] | None:
        """The wanted fields from a match of _entry_pattern (see there for the groups)."""
        names = self.names
        if groups[3::4].count(None) != len(names) or groups[2::4].count(None) != len(names):
            return None  # a repeated field: bibtexparser's own (odd) rule decides, see field_values
        fields = {}
        # The second group first: the engine may leave a capture of the first alternative behind when
        # that alternative fails at a line break and the second one reads the value.
        for name, value, other in zip(names, groups[4::4], groups[5::4], strict=True):
            if other is not None:
                value = self.other_value(other, pos)
                if value is None:
                    return None
                fields[name] = value
            elif value is not None:
                fields[name] = "" if value == "{}" else value
        return fields

    def fast_columns(self, pos: int) -> int:
        """Columns mode's :meth:`fast_entries`: the run of well-formed entries from ``pos`` matched in one go
        by the pattern's scanner (C loops, no Python step an entry), their fields taken column by column
        (a Python step only for the odd value: quoted, a macro, on several lines). The run stops before
        the first entry that :meth:`fast_entries` would leave to the careful path; it leaves no warnings
        (key lookup, the only user, has no use for them). Where the next block starts, as there."""
        text = self.text
        matches = list(iter(self.entry_scanner(text, pos).match, None))
        if not matches:
            return pos
        count = len(matches)
        columns = list(zip(*map(_GROUPS_OR_EMPTY, matches), strict=True))
        cut = count
        kinds = columns[0]
        if not _RESERVED_SET.isdisjoint(map(str.lower, kinds)):
            cut = next(i for i, kind in enumerate(kinds) if kind.lower() in _RESERVED_SET)
        values: dict[str, list[str]] = {}
        for index, name in enumerate(self.names):
            base = 2 + 4 * index
            for flags in columns[base : base + 2]:  # a repeated field: see wanted_fields
                if flags.count("") != count:
                    cut = min(cut, next(i for i, flag in enumerate(flags) if flag))
            column = list(columns[base + 2])
            if "{}" in column:  # bibtexparser's clean-up of a braced value; not of a macro's (below)
                column = ["" if value == "{}" else value for value in column]
            others = columns[base + 3]
            if others.count("") != count:
                for row, other in enumerate(others[:cut]):
                    if not other:
                        continue
                    value = self.other_value(other, matches[row].start())
                    if value is None:
                        cut = row
                        break
                    column[row] = value
            values[name] = column
        if cut == 0:
            return pos
        if cut < count:
            del matches[cut:]
            values = {name: column[:cut] for name, column in values.items()}
        starts = list(map(_START, matches))
        line, line_pos = self._line_no, self._line_pos
        if pos < line_pos:  # the careful path looked ahead (as in fast_entries)
            line, line_pos = text.count("\n", 0, pos) + 1, pos
        newlines = map(text.count, repeat("\n"), [line_pos, *starts[:-1]], starts)
        lines = list(accumulate(newlines, initial=line))[1:]
        close = matches[-1].start(self.close_group)
        self._line_no, self._line_pos = lines[-1] + text.count("\n", starts[-1], close), close
        self.batches.append((len(self.bib.entries), list(columns[1][:cut]), lines, values))  # type: ignore[union-attr]
        return matches[-1].end()

    def all_fields(self, pos: int, key_end: int, close: int) -> dict[str, str] | None:
        """Every field of an entry already matched by _entry_pattern (so _field_rows finds them all)."""
        text = self.text
        rows = _field_rows().findall(text, text.find(",", key_end), close + 1)
        names = [name.lower() for name, _, _ in rows]
        if len(set(names)) != len(names):
            return None  # a repeated field, see wanted_fields
        fields: dict[str, str] = {}
        for name, (_, value, other) in zip(names, rows, strict=True):
            if other:
                value = self.other_value(other, pos)
                if value is None:
                    return None
            elif value == "{}":
                value = ""
            fields[name] = value
        return fields
