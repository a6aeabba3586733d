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

By job: this module is the careful parser and the entry points; the records are in ``model``, the
fast path in ``scanner``, the value rules in ``values``, what BibTeX sees at the end of a file in ``eof``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable

from .eof import bibtex_open_entry
from .model import KNOWN_TYPES, BibColumns, BibEntry, BibFile, BibProblem
from .scanner import (
    _BRACE,
    _DEEPEST,
    _DIGITS,
    _ENTRY_LIKE,
    _FIELD_NAME,
    _FNAME,
    _KEYWORD_CHARS,
    _MACRO,
    _ODD_KEY,
    _RESERVED,
    _RESYNC,
    _TYPE,
    _W,
    _WS,
    _entry_pattern,
    _FastPath,
    _scannable,
)
from .values import _MONTHS, _Values

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


class _Fail(Exception):
    """A spot where bibtexparser's grammar does not match; ``pos`` is where to point the user."""

    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message


class _Reader(_FastPath, _Values):
    """One pass over one text; see :func:`parse_bib`. Its fast path (:mod:`.scanner`) and value steps
    (:mod:`.values`) are mixed in; the careful parser, the reference, is here."""

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

    # (the fast path: scanner._FastPath; the value steps: values._Values)

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
