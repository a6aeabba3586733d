"""Read users' existing .bib files: fast, and agreeing with bibtexparser 1.4.4 on what is in them.

``parse_bib(text)`` returns a :class:`BibFile`: entries (type, key, fields, line numbers and exact
character offsets, so a merge can keep every byte), ``@string`` macros, preambles, comments, and the
malformed spots as ``problems`` (line, message) a user can act on. ``scan_bib`` is the same reader
extracting only a few fields (keys, titles, ids), for merges and key lookup over large files.

Values are exactly what ``bibtexparser.loads`` (1.4.4, default parser) gives: macros interpolated
(``jan``…``dec`` predefined), ``#`` resolved, outer braces/quotes stripped, inner braces kept, tabs
expanded as pyparsing does, continuation lines left-stripped. Its grammar is mirrored on purpose,
quirks included (an entry needs at least one field; text before an ``@`` on the same line hides the
entry; an unparsable entry is skipped up to the next line starting with ``@``), and each such spot
becomes a problem. Deliberate differences: entries of every type are returned (bibtexparser's default
drops types outside plain BibTeX's 14, e.g. biblatex's ``@online``); a lone CR (classic Mac) is a line
end, as in ``bibtexparser.load(open(path))``, whose text mode translates it, and in BibTeX.

Speed: a well-formed entry is read by ONE regex match that checks it against that grammar and captures
the wanted fields on the way (values nested at most four deep, no '#'); anything else goes through a
careful recursive-descent parser, which is the reference: the fast path agrees with it or gives up.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from operator import methodcaller
from typing import NamedTuple

from ..regexcache import compile_cached

__all__ = [
    "BibColumns",
    "BibEntry",
    "BibFile",
    "BibProblem",
    "SCAN_FIELDS",
    "bibtex_open_entry",
    "parse_bib",
    "read_bib",
    "scan_bib",
    "scan_columns",
]

#: The fields ``scan_bib`` extracts by default: what merges and key lookup need.
SCAN_FIELDS = ("title", "author", "year", "date", "doi", "eprint", "archiveprefix", "url")

#: Entry types BibTeX's standard styles or biblatex know; others read fine but draw a warning.
KNOWN_TYPES = frozenset(
    "article book booklet conference inbook incollection inproceedings manual mastersthesis misc phdthesis "
    "proceedings techreport unpublished online electronic www mvbook bookinbook suppbook collection "
    "mvcollection suppcollection dataset mvproceedings periodical suppperiodical reference mvreference "
    "inreference report set software thesis xdata patent artwork audio bibnote commentary image "
    "jurisdiction legislation legal letter movie music performance review standard video customa "
    "customb customc customd custome customf".split()
)
# bibtexparser 1.4's default parser predefines these (BibDatabase.load_common_strings).
_MONTHS = {
    "jan": "January",
    "feb": "February",
    "mar": "March",
    "apr": "April",
    "may": "May",
    "jun": "June",
    "jul": "July",
    "aug": "August",
    "sep": "September",
    "oct": "October",
    "nov": "November",
    "dec": "December",
}


class BibProblem(NamedTuple):
    """A spot in the file: ``line`` (1-based) and a one-line ``message``. Unpacks as ``line, message``."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(slots=True)
class BibEntry:
    """One entry; ``text[start:end]`` of its :class:`BibFile` is the entry verbatim ('@' to closing brace)."""

    entry_type: str  # lower-case
    key: str
    fields: dict[str, str]  # lower-case names → values as bibtexparser 1.4.4 gives them
    line: int  # 1-based line of the '@'
    end_line: int  # line of the closing brace
    start: int
    end: int


@dataclass
class BibFile:
    """A parsed .bib file. ``problems`` are malformed spots (a merge must not rewrite such a file);
    ``warnings`` are readable oddities (unknown entry type, duplicate key, undefined macro, an entry
    commented out with ``%``, which BibTeX itself still reads)."""

    text: str = field(repr=False)
    file: str | None = None
    entries: list[BibEntry] = field(default_factory=list)
    strings: dict[str, str] = field(default_factory=dict)  # this file's @string macros, names lower-case
    preambles: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    problems: list[BibProblem] = field(default_factory=list)
    warnings: list[BibProblem] = field(default_factory=list)
    encoding: str = "utf-8"  # how read_bib decoded the file; text.encode(encoding) gives its bytes back

    def verbatim(self, entry: BibEntry) -> str:
        """The entry exactly as written in the file."""
        return self.text[entry.start : entry.end]

    def get(self, key: str) -> BibEntry | None:
        """The first entry with citation key ``key`` (case-insensitive, as BibTeX compares keys)."""
        folded = key.lower()
        return next((e for e in self.entries if e.key.lower() == folded), None)

    def raise_for_problems(self) -> None:
        """Raise :class:`~bibbridge.errors.InputError` at the first problem, if there is any."""
        if self.problems:
            from ..errors import InputError

            line, message = self.problems[0]
            more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
            raise InputError(f"malformed .bib: {message}{more}", file=self.file, line=line)


@dataclass
class BibColumns:
    """The entries of a .bib as columns (what :func:`scan_columns` gives): per entry, in file order, its
    ``key`` and 1-based ``line``, and per wanted field one list of values ("" where the entry has none).
    ``strings``: the file's @string macros; ``problems``: its malformed spots (those entries are not in
    the columns, as :func:`scan_bib` leaves them out)."""

    keys: list[str]
    lines: list[int]
    fields: dict[str, list[str]]
    strings: dict[str, str]
    problems: list[BibProblem]

    def __len__(self) -> int:
        return len(self.keys)


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


class _Fail(Exception):
    """A spot where bibtexparser's grammar does not match; ``pos`` is where to point the user."""

    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message


def _strip_after_new_lines(value: str) -> str:
    # bibtexparser's own clean-up of field values: lines joined by "\n", all but the first left-stripped.
    lines = value.splitlines()
    if len(lines) > 1:
        lines = [lines[0]] + [line.lstrip() for line in lines[1:]]
    return "\n".join(lines)


class _Reader:
    """One pass over one text; see :func:`parse_bib`."""

    def __init__(
        self, text: str, file: str | None, wanted: frozenset[str] | None, columns: bool = False
    ) -> None:
        self.text = text
        self.n = len(text)
        self.wanted = wanted
        self.bib = BibFile(text=text, file=file)
        self.macros = dict(_MONTHS)
        self.keys: dict[str, int] = {}
        self._line_pos = 0
        self._line_no = 1
        # The fast path's pattern: the wanted fields captured by name (scan), or all of them found
        # afterwards with _field_rows (full parse).
        names = () if wanted is None else _scannable(wanted)
        self.names = names
        self.entry_match = _entry_pattern(names).match
        self.close_group = 3 + 4 * len(names)
        # Columns mode (scan_columns): runs of well-formed entries are taken as columns, each run a
        # (number of entries read the careful way before it, keys, lines, {field: values}) batch.
        self.batches: list[tuple[int, list[str], list[int], dict[str, list[str]]]] | None = (
            [] if columns else None
        )
        if columns:
            self.entry_scanner = _entry_pattern(names).scanner

    # -- positions -------------------------------------------------------------------------------
    def line_at(self, pos: int) -> int:
        if pos >= self._line_pos:
            self._line_no += self.text.count("\n", self._line_pos, pos)
            self._line_pos = pos
            return self._line_no
        return self.text.count("\n", 0, pos) + 1

    def skip_ws(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()

    def problem(self, pos: int, message: str, line: int | None = None) -> None:
        self.bib.problems.append(BibProblem(line or self.line_at(pos), message))

    def warn(self, pos: int, message: str, line: int | None = None) -> None:
        if self.batches is not None:
            return  # columns mode keeps no warnings (and finding a line costs when it looks back)
        self.bib.warnings.append(BibProblem(line or self.line_at(pos), message))

    # -- main loop (pyparsing: ZeroOrMore(string | preamble | @comment | entry | implicit comment)) --
    def run(self) -> BibFile:
        text = self.text
        pos = self.skip_ws(1 if text.startswith("\ufeff") else 0)
        while pos < self.n:
            if text[pos] == "@":
                end = self.fast_entries(pos) if self.batches is None else self.fast_columns(pos)
                if end != pos:
                    pos = end
                    continue
                end = self.block(pos)
                if end is not None:
                    pos = self.skip_ws(end)
                    continue
            pos = self.implicit_comment(pos)
        return self.bib

    def block(self, pos: int) -> int | None:
        """Parse the @-block at ``pos`` the careful way; its end, or None (then it becomes a comment)."""
        text = self.text
        word = text[pos : pos + 9].upper()
        failure: _Fail | None = None
        if self.keyword(pos, "@STRING", word):
            try:
                return self.string_definition(pos)
            except _Fail as exc:
                failure = _Fail(exc.pos, f"malformed @string: {exc.message}")
        elif self.keyword(pos, "@PREAMBLE", word):
            try:
                return self.preamble(pos)
            except _Fail as exc:
                failure = _Fail(exc.pos, f"malformed @preamble: {exc.message}")
        elif self.keyword(pos, "@COMMENT", word):
            return self.explicit_comment(pos)
        try:
            entry_type, key, pairs, end = self.entry(pos)
        except _Fail as exc:
            failure = failure or exc
            line = self.line_at(pos)
            where = self.line_at(failure.pos)
            # Located at the entry's start (where the user must look), naming the line it broke on.
            self.problem(pos, f"{failure.message}{f' (on line {where})' if where != line else ''}", line)
            return None
        if failure is not None or entry_type.lower() in _RESERVED:
            # bibtexparser reads e.g. "@string{a, b={c}}" as an entry of type "string", then drops it.
            self.problem(pos, failure.message if failure else f"@{entry_type} block read as an entry")
            return end
        self.add_entry(entry_type, key, self.field_values(pairs, pos), pos, end)
        return end

    def keyword(self, pos: int, word: str, upper: str) -> bool:
        # pyparsing CaselessKeyword: the word, not followed by a letter, digit, '_' or '$'.
        after = pos + len(word)
        return upper.startswith(word) and (after >= self.n or self.text[after].upper() not in _KEYWORD_CHARS)

    def implicit_comment(self, pos: int) -> int:
        text = self.text
        end = _RESYNC.search(text, pos).start()
        comment = text[pos:end]
        self.bib.comments.append(comment.rstrip("\n"))
        for m in _ENTRY_LIKE.finditer(comment):
            if m.start() == 0 or m.group(1).lower() in _RESERVED:
                continue  # the failed block itself (already a problem) or a stray @string/@comment
            at = pos + m.start()
            line_start = text.rfind("\n", 0, at) + 1
            before = text[line_start:at].strip()
            what = f"@{m.group(1)}{m.group()[-1]}"
            if before.startswith("%"):
                self.warn(at, f"'{what}' after '%' is skipped here, but BibTeX ignores '%' and reads it")
            else:
                self.problem(
                    at,
                    f"'{what}' is hidden by the text before it on the same line; "
                    "start the entry on a line of its own",
                )
        return self.skip_ws(end)

    # -- fast path ---------------------------------------------------------------------------------
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

    def other_value(self, other: str, pos: int) -> str | None:
        """A value _VALUE_CAPTURED gives whole (braced over several lines, quoted, a number or a macro) as
        bibtexparser gives it; None when the careful path must read it. text_value does bibtexparser's
        "{}" → "" itself; a macro's value is kept as it is."""
        return self.text_value(other[1:-1]) if other[0] == "{" else self.bare_value(other, pos)

    @staticmethod
    def text_value(value: str) -> str | None:
        """A braced or quoted value's text as bibtexparser gives it (None: tabs, for the careful path)."""
        if not value.isprintable():  # line breaks are unprintable
            if "\t" in value:
                return None
            value = _strip_after_new_lines(value)
        return "" if value == "{}" else value

    def bare_value(self, value: str, pos: int) -> str | None:
        """A quoted value, number or macro, as bibtexparser gives it."""
        first = value[0]
        if first == '"':
            return self.text_value(value[1:-1])
        return value if "0" <= first <= "9" else self.expand(value, pos)

    # -- careful path: bibtexparser 1.4.4's grammar, step by step ---------------------------------
    def entry(self, pos: int) -> tuple[str, str, list[tuple[str, list[tuple[int, str]]]], int]:
        text = self.text
        p = self.skip_ws(pos + 1)
        m = _TYPE.match(text, p)
        if m is None:
            raise _Fail(pos, "'@' is not followed by an entry type")
        entry_type = m.group()
        p = self.skip_ws(m.end())
        opener = text[p : p + 1]
        if opener not in ("{", "("):
            raise _Fail(p, f"@{entry_type} is not followed by '{{'")
        closer = "}" if opener == "{" else ")"
        p = self.skip_ws(p + 1)
        comma = text.find(",", p)
        raw_key = text[p : comma if comma >= 0 else self.n].strip()
        if comma < 0 or not raw_key or any(ch.isspace() for ch in raw_key):
            first = raw_key.split(None, 1)[0] if raw_key else ""
            if not first or first[0] in ",})":
                raise _Fail(p, f"@{entry_type} has no citation key")
            if re.match(rf"{_FNAME}{_W}=", raw_key):
                raise _Fail(p, f"@{entry_type} has no citation key (it starts with field '{first}')")
            if closer in first:
                raise _Fail(
                    p,
                    f"@{entry_type}{opener}{first.split(closer)[0]}{closer} has no fields "
                    "(BibTeX reads it; bibtexparser does not)",
                )
            raise _Fail(p, f"no ',' after the citation key '{first}' of @{entry_type}")
        p = comma + 1
        pairs = [self.field(p)]
        p = pairs[-1][2]
        last_error: _Fail | None = None
        while True:
            q = self.skip_ws(p)
            if text[q : q + 1] != ",":
                break
            try:
                pairs.append(self.field(q + 1))
            except _Fail as exc:
                last_error, p = exc, q + 1
                break
            p = pairs[-1][2]
        q = self.skip_ws(p)
        if text[q : q + 1] != closer:
            if last_error is not None:
                raise last_error
            if q >= self.n:
                raise _Fail(
                    q,
                    f"@{entry_type}{opener}{raw_key} is not closed before the end of the file "
                    f"(unbalanced braces in '{pairs[-1][0]}'?)",
                )
            shown = text[q : q + 12].split("\n", 1)[0]
            raise _Fail(q, f"missing ',' or '{closer}' after field '{pairs[-1][0]}' (found {shown!r})")
        return entry_type, raw_key, [(name, parts) for name, parts, _ in pairs], q + 1

    def field(self, pos: int) -> tuple[str, list[tuple[int, str]], int]:
        text = self.text
        p = self.skip_ws(pos)
        m = _FIELD_NAME.match(text, p)
        if m is None:
            if text[p : p + 1] in ("}", ")"):
                raise _Fail(p, "entry has no fields (BibTeX reads it; bibtexparser does not)")
            shown = text[p : p + 12].split("\n", 1)[0] or "the end of the file"
            raise _Fail(p, f"expected a field name, found {shown!r}")
        name = m.group()
        p = self.skip_ws(m.end())
        if text[p : p + 1] != "=":
            raise _Fail(p, f"no '=' after field name '{name}'")
        parts, end = self.value(self.skip_ws(p + 1), name)
        return name, parts, end

    def value(self, pos: int, name: str, integer: bool = True) -> tuple[list[tuple[int, str]], int]:
        """``integer | part ('#' part)*``; parts are (position, raw text) with position -1 for macros.
        (@string values have no integer alternative: a bare number there is a macro name.)"""
        text = self.text
        if integer and "0" <= text[pos : pos + 1] <= "9" and pos < self.n:
            m = _DIGITS.match(text, pos)
            return [(pos, m.group())], m.end()
        parts: list[tuple[int, str]] = []
        p = pos
        while True:
            ch = text[p : p + 1]
            if ch == "{":
                end = self.braced_end(p, name)
                if text.count("{", p, end) > _DEEPEST:
                    self.check_depth(p, end, name)
                parts.append((p + 1, text[p + 1 : end - 1]))
            elif ch == '"':
                end = self.quoted_end(p, name)
                parts.append((p + 1, text[p + 1 : end - 1]))
            else:
                m = _MACRO.match(text, p)
                if m is None:
                    raise _Fail(p, f"field '{name}' has no value")
                parts.append((-1, m.group()))
                end = m.end()
            q = self.skip_ws(end)
            if text[q : q + 1] != "#":
                return parts, end
            p = self.skip_ws(q + 1)

    def braced_end(self, pos: int, name: str) -> int:
        """Index after the '}' matching the '{' at ``pos`` (backslashes do not escape braces here)."""
        text = self.text
        close = text.find("}", pos + 1)
        if close >= 0 and text.find("{", pos + 1, close) < 0:
            return close + 1
        opened = text.count("{", pos + 1, close) if close >= 0 else 0
        closed = 1
        while close >= 0 and opened >= closed:
            nxt = text.find("}", close + 1)
            if nxt < 0:
                close = -1
                break
            opened += text.count("{", close + 1, nxt)
            closed += 1
            close = nxt
        if close < 0:
            raise _Fail(pos, f"unbalanced braces: the '{{' opening '{name}' is never closed")
        return close + 1

    def check_depth(self, start: int, end: int, name: str) -> None:
        """bibtexparser reads a braced value recursively: nested too deep it fails (RecursionError)."""
        depth = deepest = 0
        for m in _BRACE.finditer(self.text, start, end):
            depth += 1 if m.group() == "{" else -1
            deepest = max(deepest, depth)
        if deepest > _DEEPEST:
            raise _Fail(
                start,
                f"braces nested {deepest} deep in '{name}': bibtexparser 1.4 cannot read "
                f"more than {_DEEPEST} (BibTeX can)",
            )

    def quoted_end(self, pos: int, name: str) -> int:
        text = self.text
        p = pos + 1
        while True:
            quote = text.find('"', p)
            stop = quote if quote >= 0 else self.n
            opening = text.find("{", p, stop)
            closing = text.find("}", p, stop)
            if closing >= 0 and (opening < 0 or closing < opening):
                raise _Fail(closing, f"unbalanced '}}' inside the quoted value of '{name}'")
            if opening < 0:
                if quote < 0:
                    raise _Fail(pos, f"the '\"' opening the value of '{name}' is never closed")
                return quote + 1
            p = self.braced_end(opening, name)

    def string_definition(self, pos: int) -> int:
        text = self.text
        p = self.skip_ws(pos + 7)
        opener = text[p : p + 1]
        if opener not in ("{", "("):
            raise _Fail(p, "no '{' after @string")
        p = self.skip_ws(p + 1)
        m = _MACRO.match(text, p)
        if m is None:
            raise _Fail(p, "no macro name")
        name = m.group()
        p = self.skip_ws(m.end())
        if text[p : p + 1] != "=":
            raise _Fail(p, f"no '=' after macro name '{name}'")
        parts, end = self.value(self.skip_ws(p + 1), name, integer=False)
        q = self.skip_ws(end)
        if text[q : q + 1] != ("}" if opener == "{" else ")"):
            raise _Fail(q, f"macro '{name}' is not closed")
        value = self.join(parts, pos, strip_lines=False)
        if name.lower() in self.bib.strings:
            self.warn(pos, f"@string '{name}' is defined again")
        self.macros[name.lower()] = self.bib.strings[name.lower()] = value
        return q + 1

    def preamble(self, pos: int) -> int:
        text = self.text
        p = self.skip_ws(pos + 9)
        opener = text[p : p + 1]
        if opener not in ("{", "("):
            raise _Fail(p, "no '{' after @preamble")
        parts, end = self.value(self.skip_ws(p + 1), "preamble")
        q = self.skip_ws(end)
        if text[q : q + 1] != ("}" if opener == "{" else ")"):
            raise _Fail(q, "@preamble is not closed")
        self.bib.preambles.append(self.join(parts, pos, strip_lines=False, clean=False))
        return q + 1

    def explicit_comment(self, pos: int) -> int:
        text = self.text
        start = self.skip_ws(pos + 8)
        end = _RESYNC.search(text, start).start()
        comment = text[start:end].rstrip("\n")
        if comment[:1] == "{":
            comment = comment[1:]
        if comment[-1:] == "}":
            comment = comment[:-1]
        self.bib.comments.append(comment)
        for m in _ENTRY_LIKE.finditer(text, start, end):
            self.warn(m.start(), f"'@{m.group(1)}' inside @comment is skipped here, but BibTeX reads it")
        return end

    # -- values --------------------------------------------------------------------------------------
    def field_values(self, pairs: list[tuple[str, list[tuple[int, str]]]], pos: int) -> dict[str, str]:
        # bibtexparser: {name: value for name, value in reversed(fields)}, then names lower-cased in that
        # dict's order -- so for repeats the first spelling wins, except between case variants.
        exact: dict[str, list[tuple[int, str]]] = {name: parts for name, parts in reversed(pairs)}
        chosen: dict[str, list[tuple[int, str]]] = {}
        for name, parts in exact.items():
            chosen[name.lower()] = parts
        wanted = self.wanted
        fields: dict[str, str] = {}
        for name, _ in pairs:  # source order
            name = name.lower()
            if name not in fields and (wanted is None or name in wanted):
                fields[name] = self.join(chosen[name], pos)  # pos: where macro warnings point
        return fields

    def join(
        self, parts: list[tuple[int, str]], pos: int, strip_lines: bool = True, clean: bool = True
    ) -> str:
        """A value from its parts, as bibtexparser's field_to_pair + _clean_val (or @string) make it."""
        out = []
        for start, raw in parts:
            if start < 0:
                out.append(self.expand(raw, pos))
                continue
            if "\t" in raw:
                raw = self.expand_tabs(start, raw)
            out.append(_strip_after_new_lines(raw) if strip_lines else raw)
        if clean and len(parts) == 1 and parts[0][0] >= 0 and out[0] == "{}":
            return ""
        return "".join(out)

    def expand(self, name: str, pos: int) -> str:
        value = self.macros.get(name.lower())
        if value is None and name.isdigit():
            self.warn(
                pos,
                f"bare number {name} in a '#' concatenation or @string: BibTeX reads it, "
                "bibtexparser 1.4 fails on it; write {" + name + "}",
            )
            return name
        if value is None:
            # bibtexparser raises UndefinedString and reads nothing; BibTeX warns and uses "".
            self.warn(pos, f"undefined @string macro '{name}' (read as empty)")
            return ""
        return value

    def expand_tabs(self, start: int, raw: str) -> str:
        # pyparsing expands tabs (to columns of 8) in the whole input before parsing.
        line_start = max(self.text.rfind("\n", 0, start), self.text.rfind("\r", 0, start)) + 1
        column = len(self.text[line_start:start].expandtabs()) % 8
        return (" " * column + raw).expandtabs()[column:]

    # -- entries -------------------------------------------------------------------------------------
    def add_entry(self, entry_type: str, key: str, fields: dict[str, str], start: int, end: int) -> None:
        line = self.line_at(start)
        self.note_entry(
            entry_type, BibEntry(entry_type.lower(), key, fields, line, self.line_at(end - 1), start, end)
        )
        if _ODD_KEY.search(key):
            self.problem(
                start,
                f"suspicious citation key '{key}' in @{entry_type}: probably a missing key, "
                "',' or '}' (BibTeX reads this differently)",
                line,
            )

    def note_entry(self, entry_type: str, entry: BibEntry) -> None:
        """Keep ``entry`` and warn of an unknown type or a key used before (as both paths do)."""
        self.bib.entries.append(entry)
        key, line, start = entry.key, entry.line, entry.start
        if entry.entry_type not in KNOWN_TYPES:
            self.warn(
                start,
                f"unknown entry type @{entry_type}{{{key}}} (bibtexparser's default parser drops it)",
                line,
            )
        folded = key.lower()
        first = self.keys.get(folded)
        if first is None:
            self.keys[folded] = line
        else:
            self.warn(
                start, f"duplicate citation key '{key}' (first on line {first}); BibTeX keeps the first", line
            )


# -- what BibTeX and biber see at the end of a file --------------------------------------------------
# BibTeX reads every '@' outside an entry (after '%' too: it has no comments) and skips @comment's word
# only; biber (btparse) reads @comment{...} as a balanced block. An entry left open swallows all after it.
_BIBTEX_HEAD = re.compile(r"@[ \t\n\r]*([^\s\"#%'(),={}@]+)[ \t\n\r]*")
_BIBTEX_SPECIAL = re.compile(r'[{}"()]')


def _bibtex_block_end(text: str, pos: int) -> int | None:
    """After the block whose '{' or '(' is at ``pos``, as BibTeX scans it (braces counted everywhere,
    quotes at brace level 0); where BibTeX stops on an error (then it looks for the next '@'); None when
    the block is still open at the end of the text."""
    closer = "}" if text[pos] == "{" else ")"
    depth, quoted = 0, False
    for m in _BIBTEX_SPECIAL.finditer(text, pos + 1):
        ch = m.group()
        if ch == "{":
            depth += 1
        elif ch == "}":
            if not depth:  # the closing brace, or an error (BibTeX then looks for the next '@')
                return m.end()
            depth -= 1
        elif ch == '"':
            if depth == 0:
                quoted = not quoted
        elif ch == ")" and closer == ")" and depth == 0 and not quoted:
            return m.end()
    return None


def bibtex_open_entry(text: str, entries: list[BibEntry] | None = None) -> int | None:
    """The offset of an '@' whose block BibTeX or biber would still be reading at the end of ``text``
    (so whatever is appended would vanish into it), or None. ``entries``, the well-formed entries
    :func:`parse_bib` found (sorted by offset), are skipped whole: only the text between them is scanned."""
    spans = [(e.start, e.end) for e in entries] if entries else []
    index, count = 0, len(spans)
    pos = 0
    while True:
        at = text.find("@", pos)
        if at < 0:
            return None
        while index < count and spans[index][1] <= at:
            index += 1
        if index < count and spans[index][0] <= at:
            pos = spans[index][1]
            continue
        m = _BIBTEX_HEAD.match(text, at)
        if m is None:
            pos = at + 1
            continue
        body = m.end()
        opener = text[body : body + 1]
        if opener not in ("{", "("):
            pos = body
            continue
        end = _bibtex_block_end(text, body)
        if end is None:
            return at
        # BibTeX itself goes on right after "@comment" (entries inside it count); biber skips the block.
        pos = body if m.group(1).lower() == "comment" else end


def _scannable(wanted: Iterable[str]) -> tuple[str, ...]:
    """The wanted (lower-case) field names the fast path captures, in its pattern's order."""
    return tuple(sorted(name for name in wanted if _SCANNABLE_NAME.fullmatch(name)))


def prepare(fields: Iterable[str]) -> None:
    """Compile now what reading with ``fields`` needs (before forking processes that read in parallel)."""
    _entry_pattern(_scannable({name.lower() for name in fields}))


def parse_bib(text: str, file: str | None = None, fields: Iterable[str] | None = None) -> BibFile:
    """Parse .bib ``text``; ``file`` names it in messages. ``fields`` (lower-case names) limits the
    field values extracted, for speed; entries, keys, offsets and problems are the same either way."""
    wanted = None if fields is None else frozenset(name.lower() for name in fields)
    bib = _Reader(_lone_cr_as_lf(text), file, wanted).run()
    bib.text = text
    return bib


_LONE_CR = re.compile(r"\r(?!\n)")


def _lone_cr_as_lf(text: str) -> str:
    """``text`` with classic-Mac line ends (a CR alone) read as line ends, as Python's text files,
    editors and BibTeX read them: same length, so every offset still points into ``text``."""
    if "\r" not in text or _LONE_CR.search(text) is None:
        return text
    return _LONE_CR.sub("\n", text)


def _read(path: str | os.PathLike[str]) -> tuple[str, str, int]:
    """The text of the .bib file at ``path``, its encoding (UTF-8, else Latin-1) and, for Latin-1, the
    first line that is not UTF-8 (else 0). Raises InputError (with the file name) when it cannot be read."""
    from ..errors import InputError

    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=os.fspath(path)) from None
    try:
        return raw.decode("utf-8"), "utf-8", 0
    except UnicodeDecodeError as exc:
        return raw.decode("latin-1"), "latin-1", raw.count(b"\n", 0, exc.start) + 1


def read_bib(path: str | os.PathLike[str], fields: Iterable[str] | None = None) -> BibFile:
    """Read and parse the .bib file at ``path``: UTF-8 (a BOM is kept in ``text`` and skipped by the
    parser), else Latin-1 with a warning. Raises InputError (with the file name) when it cannot be read."""
    text, encoding, bad_line = _read(path)
    bib = parse_bib(text, os.fspath(path), fields)
    bib.encoding = encoding
    if encoding == "latin-1":
        bib.warnings.insert(0, BibProblem(bad_line, "not UTF-8; read as Latin-1"))
    return bib


def scan_bib(
    source: str | os.PathLike[str], fields: Collection[str] = SCAN_FIELDS, *, file: str | None = None
) -> list[BibEntry]:
    """Entries of a .bib text (``str``) or file (a path object) with only ``fields`` extracted: the fast
    path for merges and key lookup. ``parse_bib(text, fields=...)`` gives the problems as well."""
    if isinstance(fields, str):
        raise TypeError("fields must be a collection of field names, not a string")
    if isinstance(source, str):
        return parse_bib(source, file, fields).entries
    return read_bib(source, fields).entries


def scan_columns(
    source: str | os.PathLike[str], fields: Collection[str] = SCAN_FIELDS, *, file: str | None = None
) -> BibColumns:
    """:func:`scan_bib` as columns (:class:`BibColumns`): the same entries and values, read with no Python
    step an entry for runs of well-formed ones (a large file in about three quarters of the time)."""
    if isinstance(fields, str):
        raise TypeError("fields must be a collection of field names, not a string")
    names = [name.lower() for name in fields]
    if isinstance(source, str):
        text = source
    else:
        text = _read(source)[0]
        file = os.fspath(source) if file is None else file
    reader = _Reader(_lone_cr_as_lf(text), file, frozenset(names), columns=True)
    bib_file = reader.run()
    keys: list[str] = []
    lines: list[int] = []
    values: dict[str, list[str]] = {name: [] for name in names}
    done = 0
    entries = bib_file.entries
    for at, batch_keys, batch_lines, batch_values in [*reader.batches, (len(entries), [], [], {})]:  # type: ignore[misc]
        for entry in entries[done:at]:
            keys.append(entry.key)
            lines.append(entry.line)
            for name, column in values.items():
                column.append(entry.fields.get(name, ""))
        done = at
        keys += batch_keys
        lines += batch_lines
        for name, column in values.items():
            column += batch_values.get(name) or [""] * len(batch_keys)
    return BibColumns(keys, lines, values, bib_file.strings, bib_file.problems)
