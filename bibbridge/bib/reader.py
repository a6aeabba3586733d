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
becomes a problem. Deliberate difference: entries of every type are returned (bibtexparser's default
drops types outside plain BibTeX's 14, e.g. biblatex's ``@online``).

Speed: a well-formed entry whose values nest braces at most three deep is matched by one compiled
regex (the C engine walks the 1,000-character abstracts), its fields by one ``findall``; anything
else goes through a careful recursive-descent parser that is the reference for both.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["BibEntry", "BibFile", "BibProblem", "SCAN_FIELDS", "parse_bib", "read_bib", "scan_bib"]

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
    "jan": "January", "feb": "February", "mar": "March", "apr": "April", "may": "May",
    "jun": "June", "jul": "July", "aug": "August", "sep": "September", "oct": "October",
    "nov": "November", "dec": "December",
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


# -- the grammar, as regexes ---------------------------------------------------------------------
# pyparsing skips exactly these as whitespace (not \f, \v or Unicode spaces).
_W = r"[ \t\n\r]*"
# The fast path reads a well-formed entry as runs of "short" fields matched by one regex call each
# (values: bounded runs of plain text, braces nested at most three deep, quotes without braces,
# numbers, macros), and each long or unusual value (abstracts, '#' concatenations) with str.find:
# the regex engine walks text ~20x slower than str.find, so it must not walk the abstracts.
# [^{}] spelled as ranges is ~3x faster to match but ~6 ms to compile, hence used once per pattern
# (outer level; nested groups are short) and the patterns compiled on first use. Possessive, so that a
# long value fails at once instead of backtracking through its first 300 characters.
_FAST_TEXT = r"[\x00-z|~-\U0010ffff]{0,300}+"
_TEXT = r"[^{}]{0,300}+"
_SHORT_BRACED_IN = rf"{_FAST_TEXT}(?:\{{{_TEXT}(?:\{{{_TEXT}\}}{_TEXT})*\}}{_TEXT})*"
_SHORT_VALUE = rf"(?:\{{{_SHORT_BRACED_IN}\}}|\"[^\"{{}}]{{0,300}}+\"|[0-9]+|[A-Za-z_\-:][A-Za-z0-9_\-:]*)"
_NAME = r"[A-Za-z0-9_\-().+]+"
# "@type{key" -- the key as bibtexparser reads it (up to the first ',', no whitespace), braces excluded.
_HEAD = re.compile(r"@[ \t\n\r]*([A-Za-z]+)[ \t\n\r]*\{\s*([^,\s{}()\"@#%=\\]+)\s*(?=,)")
_CLOSE = re.compile(rf"{_W},?{_W}\}}()[ \t\n\r]*")
_LONG_FIELD = re.compile(rf"{_W},{_W}({_NAME}){_W}={_W}\{{")
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


@functools.cache
def _run() -> re.Pattern[str]:
    """A run of short fields."""
    return re.compile(rf"(?:{_W},{_W}{_NAME}{_W}={_W}{_SHORT_VALUE})*")


@functools.cache
def _run_fields() -> re.Pattern[str]:
    """The fields of a run, as rows (name, braced, quoted, integer, macro)."""
    return re.compile(rf",{_W}({_NAME}){_W}={_W}(?:\{{({_SHORT_BRACED_IN})\}}|\"([^\"{{}}]{{0,300}}+)\""
                      rf"|([0-9]+)|([A-Za-z_\-:][A-Za-z0-9_\-:]*))")


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

    def __init__(self, text: str, file: str | None, wanted: frozenset[str] | None) -> None:
        self.text = text
        self.n = len(text)
        self.wanted = wanted
        self.bib = BibFile(text=text, file=file)
        self.macros = dict(_MONTHS)
        self.keys: dict[str, int] = {}
        self._line_pos = 0
        self._line_no = 1

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
        self.bib.warnings.append(BibProblem(line or self.line_at(pos), message))

    # -- main loop (pyparsing: ZeroOrMore(string | preamble | @comment | entry | implicit comment)) --
    def run(self) -> BibFile:
        text = self.text
        pos = self.skip_ws(1 if text.startswith("\ufeff") else 0)
        while pos < self.n:
            if text[pos] == "@":
                end = self.fast_entry(pos)
                if end is not None:
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
            self.problem(pos, f"{failure.message}{f' (line {where})' if where != line else ''}; "
                              "the entry is skipped", line)
            return None
        if failure is not None or entry_type.lower() in _RESERVED:
            # bibtexparser reads e.g. "@string{a, b={c}}" as an entry of type "string", then drops it.
            self.problem(pos, failure.message if failure else f"@{entry_type} block read as an entry")
            return end
        self.add_entry(entry_type, key, self.field_values(pairs), pos, end)
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
                self.problem(at, f"'{what}' is hidden by the text before it on the same line; "
                                 "start the entry on a line of its own")
        return self.skip_ws(end)

    # -- fast path ---------------------------------------------------------------------------------
    def fast_entry(self, pos: int) -> int | None:
        """Read a well-formed entry the fast way and return where the next block starts; None hands the
        entry to the careful parser (which is the reference: this only ever agrees with it or gives up)."""
        text = self.text
        head = _HEAD.match(text, pos)
        if head is None or head.group(1).lower() in _RESERVED:
            return None
        p = head.end()
        run = _run().match
        close, long_field, find = _CLOSE.match, _LONG_FIELD.match, text.find
        pieces: list = []  # runs of short fields (Match objects) and long fields (name, start, stop)
        while True:
            m = run(text, p)
            end = m.end()
            if end > p:
                pieces.append(m)
                p = end
            closing = close(text, p)
            if closing is not None:
                break
            # A long braced value (an abstract): skip it with str.find, not the regex engine.
            m = long_field(text, p)
            if m is None:
                return None
            start = m.end()
            stop = find("}", start)
            if stop < 0:
                return None
            if find("{", start, stop) >= 0:
                try:
                    stop = self.braced_end(start - 1, m.group(1)) - 1
                except _Fail:
                    return None
            pieces.append((m.group(1), start, stop))
            p = stop + 1
        end = closing.end(1)
        if not pieces or find("\t", pos, end) >= 0:
            return None  # no fields (bibtexparser rejects the entry), or tabs (expanded by pyparsing)
        wanted = self.wanted
        fields: dict[str, str] = {}
        for piece in pieces:
            if type(piece) is tuple:
                rows = [(piece[0], text[piece[1] : piece[2]], "", "", "")]
            else:
                rows = _run_fields().findall(text, piece.start(), piece.end())
            for name, braced, quoted, integer, macro in rows:
                name = name.lower()
                if wanted is not None and name not in wanted:
                    continue
                if name in fields:
                    return None  # a repeated field: bibtexparser's own (odd) rule decides, see field_values
                if macro:
                    value = self.expand(macro, pos)
                elif integer:
                    value = integer
                else:
                    value = braced or quoted
                    if not value.isprintable():  # line breaks are unprintable; most values have none
                        value = _strip_after_new_lines(value)
                    if value == "{}":
                        value = ""
                fields[name] = value
        self.add_entry(head.group(1), head.group(2), fields, pos, end, checked_key=True)
        return closing.end()

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
            if re.match(rf"{_NAME}{_W}=", raw_key):
                raise _Fail(p, f"@{entry_type} has no citation key (it starts with field '{first}')")
            if closer in first:
                raise _Fail(p, f"@{entry_type}{opener}{first.split(closer)[0]}{closer} has no fields "
                               "(BibTeX reads it; bibtexparser does not)")
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
                raise _Fail(q, f"@{entry_type}{opener}{raw_key} is not closed before the end of the file "
                               f"(unbalanced braces in '{pairs[-1][0]}'?)")
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
    def field_values(self, pairs: list[tuple[str, list[tuple[int, str]]]]) -> dict[str, str]:
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
                fields[name] = self.join(chosen[name], 0)
        return fields

    def join(self, parts: list[tuple[int, str]], pos: int, strip_lines: bool = True, clean: bool = True
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
            self.warn(pos, f"bare number {name} in a '#' concatenation or @string: BibTeX reads it, "
                           "bibtexparser 1.4 fails on it; write {" + name + "}")
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
    def add_entry(self, entry_type: str, key: str, fields: dict[str, str], start: int, end: int,
                  checked_key: bool = False) -> None:
        line = self.line_at(start)
        end_line = self.line_at(end - 1)
        kind = entry_type.lower()
        self.bib.entries.append(BibEntry(kind, key, fields, line, end_line, start, end))
        if kind not in KNOWN_TYPES:
            self.warn(start, f"unknown entry type @{entry_type}{{{key}}} (bibtexparser's default parser "
                             "drops it)", line)
        if not checked_key and _ODD_KEY.search(key):
            self.problem(start, f"suspicious citation key '{key}' in @{entry_type}: probably a missing key, "
                                "',' or '}' (BibTeX reads this differently)", line)
        folded = key.lower()
        first = self.keys.get(folded)
        if first is None:
            self.keys[folded] = line
        else:
            self.warn(start, f"duplicate citation key '{key}' (first on line {first}); BibTeX keeps the "
                             "first", line)


def parse_bib(text: str, file: str | None = None, fields: Iterable[str] | None = None) -> BibFile:
    """Parse .bib ``text``; ``file`` names it in messages. ``fields`` (lower-case names) limits the
    field values extracted, for speed; entries, keys, offsets and problems are the same either way."""
    wanted = None if fields is None else frozenset(name.lower() for name in fields)
    return _Reader(text, file, wanted).run()


def read_bib(path: str | os.PathLike[str], fields: Iterable[str] | None = None) -> BibFile:
    """Read and parse the .bib file at ``path``: UTF-8 (a BOM is kept in ``text`` and skipped by the
    parser), else Latin-1 with a warning. Raises InputError (with the file name) when it cannot be read."""
    from ..errors import InputError

    name = os.fspath(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=name) from None
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        text, encoding = raw.decode("latin-1"), "latin-1"
        bad_line = raw.count(b"\n", 0, exc.start) + 1
    bib = parse_bib(text, name, fields)
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
