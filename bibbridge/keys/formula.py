"""Better BibTeX's citation-key formula language, for the parts users write.

A formula is terms joined by ``+``; a term is a function or a quoted literal, followed by any number
of ``.filter``s::

    auth.lower + shorttitle(3,3) + year          (the default)
    auth.lower + "_" + shorttitle(3, 3) + "_" + year
    authors(2).lower + year

Functions: ``auth`` / ``auth(n, m)`` (first n characters of the m-th creator's family name),
``authors`` / ``authors(n)`` (family names, ``EtAl`` after n), ``shorttitle(n, m)`` (first n
significant title words, the first m capitalised), ``veryshorttitle`` (= ``shorttitle(1, 0)``),
``title`` (all significant title words), ``year``, ``shortyear``. Filters: ``.lower``, ``.upper``,
``.fold``. Alternatives may follow after ``;`` or ``|`` as in Better BibTeX; since none of the
functions here ever skips, the first alternative always gives the key, exactly as Better BibTeX
would. The whole key is then transliterated to ASCII and cleaned (see :mod:`bibbridge.keys.fold`),
and finally made portable (:func:`portable_key`): only characters BibTeX, biber, LaTeX's ``\\cite``
and pandoc's ``@key`` syntax all accept survive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from .fold import clean_key, transliterate
from .item import KeyItem, creator_family, creator_initials, title_words

if TYPE_CHECKING:
    from ..model import Paper

DEFAULT_FORMULA = "auth.lower + shorttitle(3,3) + year"

# name -> ((parameter, default), ...); the type of the default is the type accepted.
FUNCTIONS: dict[str, tuple[tuple[str, Any], ...]] = {
    "auth": (("n", 0), ("m", 1), ("creator", "*"), ("initials", False)),
    "authors": (("n", 0), ("creator", "*"), ("initials", False), ("sep", " ")),
    "shorttitle": (("n", 3), ("m", 0)),
    "veryshorttitle": (("n", 1), ("m", 0)),
    "title": (),
    "year": (),
    "shortyear": (),
}
FILTERS = ("lower", "upper", "fold")
CREATOR_KINDS = ("*", "author", "editor", "translator", "collaborator")

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<number>-?\d+)
      | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<punct>[+.(),=;|])""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Term:
    function: str | None  # None for a literal
    args: tuple[tuple[str, Any], ...]
    literal: str
    filters: tuple[str, ...]


class _Parser:
    def __init__(self, text: str, source: str | None) -> None:
        self.text = text
        self.source = source
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:
                self.fail(f"unexpected character {text[pos]!r}", pos)
            if m.lastgroup != "space":
                self.tokens.append((m.lastgroup or "", m.group(), pos))
            pos = m.end()
        self.tokens.append(("end", "", len(text)))
        self.index = 0

    def fail(self, problem: str, pos: int) -> None:
        hint = ""
        if self.text.lstrip().startswith("["):
            hint = " (the old [auth:lower][year] syntax is not supported; write auth.lower + year)"
        raise UsageError(
            f"bad key formula {self.text!r}: {problem} at column {pos + 1}{hint}", file=self.source
        )

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.index]

    def take(self, kind: str, value: str | None = None, what: str = "") -> tuple[str, str, int]:
        token = self.peek()
        if token[0] != kind or (value is not None and token[1] != value):
            found = "the end" if token[0] == "end" else repr(token[1])
            self.fail(f"expected {what or repr(value) or kind}, found {found}", token[2])
        self.index += 1
        return token

    def parse(self) -> list[list[_Term]]:
        if self.peek()[0] == "end":
            self.fail("the formula is empty", 0)
        alternatives = [self.alternative()]
        while self.peek()[1] in (";", "|"):
            self.index += 1
            if self.peek()[0] == "end":
                break  # a trailing ";" is harmless
            alternatives.append(self.alternative())
        if self.peek()[0] != "end":
            token = self.peek()
            self.fail(f"expected '+' or the end, found {token[1]!r}", token[2])
        return alternatives

    def alternative(self) -> list[_Term]:
        terms = [self.term()]
        while self.peek()[1] == "+":
            self.index += 1
            terms.append(self.term())
        return terms

    def term(self) -> _Term:
        kind, value, pos = self.peek()
        if kind == "string":
            self.index += 1
            literal = re.sub(r"\\(.)", r"\1", value[1:-1])
            return _Term(None, (), literal, self.filters())
        if kind != "name":
            found = "the end" if kind == "end" else repr(value)
            self.fail(f"expected a function or a quoted literal, found {found}", pos)
        self.index += 1
        if value not in FUNCTIONS:
            known = ", ".join(FUNCTIONS)
            self.fail(f"unknown function {value!r} (known: {known})", pos)
        args = self.arguments(value, pos)
        return _Term(value, args, "", self.filters())

    def arguments(self, function: str, pos: int) -> tuple[tuple[str, Any], ...]:
        params = FUNCTIONS[function]
        values = dict(params)
        if self.peek()[1] != "(":
            return tuple(values.items())
        self.index += 1
        given: list[tuple[str | None, Any, int]] = []
        while self.peek()[1] != ")":
            name = None
            if self.peek()[0] == "name" and self.tokens[self.index + 1][1] == "=":
                name = self.take("name")[1]
                self.index += 1
            given.append((name, self.value(), self.peek()[2]))
            if self.peek()[1] == ",":
                self.index += 1
            elif self.peek()[1] != ")":
                token = self.peek()
                found = "the end" if token[0] == "end" else repr(token[1])
                self.fail(f"expected ',' or ')', found {found}", token[2])
        self.index += 1
        if len(given) > len(params):
            self.fail(f"{function} takes at most {len(params)} argument(s), got {len(given)}", pos)
        for position, (name, value, at) in enumerate(given):
            if name is None:
                name = params[position][0]
            if name not in values:
                self.fail(f"{function} has no argument {name!r}", at)
            default = dict(params)[name]
            if type(value) is not type(default):
                expected = {int: "a number", str: "a quoted string", bool: "true or false"}[type(default)]
                self.fail(f"argument {name!r} of {function} must be {expected}", at)
            if name in ("n", "m") and value < 0:
                self.fail(f"argument {name!r} of {function} must not be negative", at)
            if name == "creator" and value not in CREATOR_KINDS:
                self.fail(f"creator must be one of {', '.join(CREATOR_KINDS)}", at)
            values[name] = value
        return tuple(values.items())

    def value(self) -> Any:
        kind, value, pos = self.peek()
        self.index += 1
        if kind == "number":
            return int(value)
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", value[1:-1])
        if kind == "name" and value in ("true", "false"):
            return value == "true"
        found = "the end" if kind == "end" else repr(value)
        self.fail(f"expected a number, a quoted string, true or false, found {found}", pos)

    def filters(self) -> tuple[str, ...]:
        found = []
        while self.peek()[1] == ".":
            self.index += 1
            _, name, pos = self.take("name", what="a filter name after '.'")
            if name not in FILTERS:
                self.fail(f"unknown filter {name!r} (known: {', '.join(FILTERS)})", pos)
            if self.peek()[1] == "(":
                self.take("punct", "(")
                self.take("punct", ")", what=f"')' (.{name} takes no arguments)")
            found.append(name)
        return tuple(found)


class KeyFormula:
    """A compiled formula. ``key_for(paper)`` gives the base key (no disambiguation postfix)."""

    def __init__(self, text: str, source: str | None = None) -> None:
        self.text = text
        self._alternatives = _Parser(text, source).parse()

    def __repr__(self) -> str:
        return f"KeyFormula({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KeyFormula) and other._alternatives == self._alternatives

    def __hash__(self) -> int:
        return hash(tuple(tuple(terms) for terms in self._alternatives))

    def key_for_item(self, item: KeyItem | dict[str, Any]) -> str:
        """The key of a :class:`KeyItem` or a Zotero item dict; ``""`` when the formula gives nothing."""
        if not isinstance(item, KeyItem):
            item = KeyItem.from_zotero(item)
        mode = item.mode
        key = "".join(
            _apply_filters(_evaluate(term, item), term.filters, mode) for term in self._alternatives[0]
        )
        return portable_key(clean_key(key, mode))

    def key_for(self, paper: Paper) -> str:
        """The base key of ``paper``; never empty (see :func:`fallback_key`)."""
        key = self.key_for_item(KeyItem.from_paper(paper))
        if not key:
            return fallback_key(paper)
        if key.isdigit():
            # Better BibTeX would keep "1984" (title "1984", no author), but biber refuses
            # digit-only keys: lead with the fallback word so every consumer accepts it.
            return fallback_key(paper) + key
        return key


# Every consumer takes ASCII letters, digits and "_"; pandoc's Markdown ``@key`` (2.17) also takes
# ":.+-" but only *between* such characters (a run, a leading or a trailing one ends the key there).
# Everything else fails somewhere: "^ | <" stop pandoc's .bib reader, "@ ` * ! ; [ ]" end ``@key``,
# "$ & #" break ``\cite``, "/" and "?" are refused by some LaTeX packages (hyperref, babel).
_KEY_WORD = "A-Za-z0-9_"
_KEY_INNER = ":.+-"
_PORTABLE = re.compile(rf"[{_KEY_WORD}]+(?:[{re.escape(_KEY_INNER)}][{_KEY_WORD}]+)*")
_NOT_KEY_CHAR = re.compile(rf"[^{_KEY_WORD}{re.escape(_KEY_INNER)}]+")
_INNER_RUN = re.compile(rf"[{re.escape(_KEY_INNER)}]+")


def is_portable_key(key: str) -> bool:
    """True when BibTeX, biber, ``\\cite`` and pandoc (its .bib reader and Markdown ``@key`` without
    braces) all accept ``key`` as it is."""
    return _PORTABLE.fullmatch(key) is not None


def portable_key(key: str) -> str:
    """``key`` with the characters some consumer refuses dropped (``BT^2Backward…`` →
    ``BT2Backward…``, ``L`rby@Benchmark`` → ``LrbyBenchmark``); a run of ``:.+-`` is cut to its first
    character and one at either end is dropped. A key that is already portable is returned as it is,
    so Better BibTeX's key is kept wherever it is usable."""
    if is_portable_key(key):
        return key
    key = _NOT_KEY_CHAR.sub("", key)
    key = _INNER_RUN.sub(lambda m: m.group()[0], key)
    return key.strip(_KEY_INNER)


def fallback_key(paper: Paper) -> str:
    """The key of a paper for which the formula gives nothing at all (no author, no title word, no
    year): ``arXiv`` + its arXiv id (``arXiv2310.12920``), else ``paper``; postfixes keep it unique."""
    if paper.arxiv_id:
        return portable_key(clean_key("arXiv" + paper.arxiv_id.replace("/", "")))
    return "paper"


def compile_formula(text: str | None = None, source: str | None = None) -> KeyFormula:
    """Compile ``text`` (default :data:`DEFAULT_FORMULA`); a bad formula raises a one-line
    :class:`~bibbridge.errors.UsageError` naming the column (and ``source``, e.g. the config file)."""
    return KeyFormula(DEFAULT_FORMULA if text is None else text, source)


def _pad_year(year: str) -> str:
    return re.sub(r"\d+", lambda m: m.group().zfill(2), year, count=1)


def _evaluate(term: _Term, item: KeyItem) -> str:
    if term.function is None:
        return term.literal
    args = dict(term.args)
    name = term.function
    if name in ("auth", "authors"):
        creators = item.names(args["creator"])
        names = [
            creator_family(c) + (creator_initials(c, item.mode) if args["initials"] else "") for c in creators
        ]
        if name == "auth":
            m, n = args["m"], args["n"]
            chosen = names[m - 1] if 0 < m <= len(names) else ""
            return chosen[:n] if n else chosen
        n = args["n"]
        if n and n < len(names):
            names = names[:n] + ["EtAl"]
        return args["sep"].join(names)
    if name in ("shorttitle", "veryshorttitle"):
        n, m = args["n"], args["m"]
        words = title_words(item.title, item.mode if m > 0 else None, limit=n)
        return " ".join(w[:1].upper() + w[1:] if i < m else w for i, w in enumerate(words))
    if name == "title":
        return " ".join(title_words(item.title))
    if name == "year":
        return _pad_year(item.year)
    if name == "shortyear":
        year = item.year
        return year[-2:] if year.isdigit() and len(year) >= 2 else year
    raise AssertionError(name)  # the parser admits only FUNCTIONS


def _apply_filters(text: str, filters: tuple[str, ...], mode: str) -> str:
    for name in filters:
        if name == "lower":
            text = text.lower()
        elif name == "upper":
            text = text.upper()
        elif name == "fold":
            text = transliterate(text, mode)
    return text


def resolve_formula(cli_value: str | None = None) -> KeyFormula:
    """The formula a command uses: ``--key-format`` > ``[keys] format`` in the config file > default."""
    if cli_value is not None:
        return compile_formula(cli_value, source="--key-format")
    from .. import home

    config = home.load_config()
    section = config.get("keys")
    if isinstance(section, dict) and section.get("format") is not None:
        value = section["format"]
        if not isinstance(value, str):
            raise UsageError("[keys] format must be a string", file=str(home.config_path()))
        return compile_formula(value, source=str(home.config_path()))
    return compile_formula(DEFAULT_FORMULA)
