"""LaTeX → text: the one decoder of BibTeX values (merge, the readers' callers, key lookup, tests).

It is not a LaTeX interpreter: it undoes what .bib files actually contain (``{GPT}-4``,
``M{\\"u}ller``, ``Pad{\\'e}``, ``\\emph{…}``, ``\\&``, ``~``, ``--``) and everything
:mod:`bibbridge.bib.latex` writes (``{$\\alpha$}``, ``{\\textbraceleft}``, ``{\\'{\\"u}}``,
``\\textsuperscript{2}``, ``\\url{…}``), so that folding (:func:`bibbridge.text.fold`) sees the words
a reader sees and ``latex_to_text(escape_text(x)) == x`` for the text the writer encodes losslessly.
The command table is the writer's (:data:`bibbridge.bib.latex.CHAR_MACROS` read backwards), so the two
directions cannot disagree on a symbol.

- :func:`latex_to_text`: one value. Accents become composed letters, known symbol commands their
  character, other commands are dropped (their braced argument stays), protection braces and ``$``
  disappear, ``~`` is a no-break space (``tie=" "`` for matching), runs of ASCII whitespace one space.
  ``--`` stays as written: the writer writes a digest's ``--`` as it is, and folding treats it as the
  dash it stands for anyway.
- :func:`latex_to_text_many`: the fast column variant for key lookup (one regex pass over a whole
  column); equal to :func:`latex_to_text` with ``tie=" "`` but for runs of spaces (see there).
"""

from __future__ import annotations

import re
import unicodedata

# Accent commands and the Unicode combining mark each one stands for.
_ACCENT_MARKS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
}
# Commands the writer never emits but .bib files hold.
_EXTRA_SYMBOLS = {
    "i": "ı",
    "j": "ȷ",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textbackslash": "\\",
    "textunderscore": "_",
    "textbar": "|",
    "textless": "<",
    "textgreater": ">",
    "LaTeX": "LaTeX",
    "TeX": "TeX",
}
_COMMAND_NAME = re.compile(r"\\([A-Za-z]+)")


def _symbols() -> dict[str, str]:
    """Command name → character: the writer's tables read backwards (first character wins)."""
    from ..bib.latex import CHAR_MACROS, SPECIALS

    table = dict(_EXTRA_SYMBOLS)
    for char, macro in (*CHAR_MACROS.items(), *SPECIALS.items()):
        found = _COMMAND_NAME.search(macro)
        if found is not None and found.group(1) not in _ACCENT_MARKS:
            table.setdefault(found.group(1), char)
    return table


_SYMBOLS = _symbols()


def _base(name: str) -> str:
    """The accented letter, braced or bare (``\\i`` and ``\\j`` allowed), as groups ``name1``/``name2``."""
    letter = r"\\[ij](?![A-Za-z])|[^\W\d_]"
    return rf"(?:\{{\s*(?P<{name}1>{letter})\s*\}}|(?P<{name}2>{letter}))"


# One pass over every backslash sequence: \& (escaped special), \'e \'{e} \"{\i} (symbol accents take
# the letter directly), \c c \v{s} (letter accents need braces or a space), any command word (a symbol
# of the table becomes its character, any other is dropped and its braced argument stays; the spaces
# or the {} after it are eaten, as TeX does), any other escaped character (dropped). Command words are
# looked up in a dict, not spelled out in the pattern: a pattern of every name costs ~20 ms to compile.
_MACRO = re.compile(
    r"\\(?:"
    r"(?P<escaped>[&%$#_{}])"
    r"|(?P<accent>['`^\"~=.])\s*"
    + _base("a")
    + r"|(?P<letter>[uvHckrdb])(?![A-Za-z])\s*"
    + _base("l")
    + r"|(?P<command>[A-Za-z]+)\*?(?:\s*\{\}|\s*)"
    r"|.)",
    re.DOTALL,
)
# An accent on an accented letter ({\'{\"u}} = ǘ): decoded innermost first, before the main pass.
_NESTED = re.compile(r"\\[`'^\"~=.uvHckrdb]\s*\{\s*\\")
_ACCENT_ONLY = re.compile(
    r"\\(?:(?P<accent>['`^\"~=.])\s*"
    + _base("a")
    + r"|(?P<letter>[uvHckrdb])(?![A-Za-z])\s*"
    + _base("l")
    + ")"
)
_ASCII_SPACE = re.compile(r"[ \t\n\r\x0b\x0c]+")
# Characters a macro stands for that the clean-up after the macro pass would remove or change: hidden
# as control characters until then.
_HIDE = {"{": "\x01", "}": "\x02", "~": "\x03", "$": "\x04"}
_SHOW = (("\x01", "{"), ("\x02", "}"), ("\x03", "~"), ("\x04", "$"))

_DECODED: dict[str, str] = {}


def _cached_macro(match: re.Match[str]) -> str:
    """:func:`_macro`, remembered: a large .bib repeats the same few macros thousands of times."""
    text = match.group(0)
    value = _DECODED.get(text)
    if value is None:
        value = _DECODED[text] = _macro(match)
    return value


def _macro(match: re.Match[str]) -> str:
    groups = match.groupdict()
    if groups["escaped"]:
        char = groups["escaped"]
        return _HIDE.get(char, char)
    if groups["accent"]:
        return _compose(groups["a1"] or groups["a2"], groups["accent"])
    if groups["letter"]:
        return _compose(groups["l1"] or groups["l2"], groups["letter"])
    if groups["command"]:
        char = _SYMBOLS.get(groups["command"])
        return "" if char is None else _HIDE.get(char, char)
    return ""


def _accent_only(match: re.Match[str]) -> str:
    groups = match.groupdict()
    if groups["accent"]:
        return _compose(groups["a1"] or groups["a2"], groups["accent"])
    return _compose(groups["l1"] or groups["l2"], groups["letter"])


def _compose(base: str, accent: str) -> str:
    if base in ("\\i", "\\j"):
        base = base[1]
    return unicodedata.normalize("NFC", base + _ACCENT_MARKS[accent])


def _decode(text: str, tie: str) -> str:
    """Everything :func:`latex_to_text` does but collapsing whitespace."""
    if "\\" in text:
        if _NESTED.search(text):
            previous = None
            while previous != text:
                previous = text
                text = _ACCENT_ONLY.sub(_accent_only, text)
        text = _MACRO.sub(_cached_macro, text)
    for char in "{}$":
        if char in text:
            text = text.replace(char, "")
    if "~" in text:
        text = text.replace("~", tie)
    for hidden, char in _SHOW:
        if hidden in text:
            text = text.replace(hidden, char)
    return text


def decode_math(title: str) -> str:
    """A digest's plain-text title with each TeX math segment the writer keeps as math
    (:func:`bibbridge.bib.latex.is_math`: ``$^3$He``, ``$\\alpha$``) decoded as the entry's title will
    be, so that the title and the entry written from it fold alike (``^3He``, ``α``)."""
    from ..bib.latex import MATH_SEGMENT, is_math

    def decoded(match: re.Match[str]) -> str:
        return latex_to_text(match.group(0), tie=" ") if is_math(match.group(1)) else match.group(0)

    return MATH_SEGMENT.sub(decoded, title)


def needs_decoding(text: str) -> bool:
    """True when ``text`` holds anything :func:`latex_to_text` changes but whitespace."""
    return "\\" in text or "{" in text or "~" in text or "$" in text


def latex_to_text(text: str, tie: str = "\u00a0") -> str:
    """``"{GPT}-4 and M{\\"u}ller's \\emph{Study}"`` → ``"GPT-4 and Müller's Study"``.

    ``tie``: what ``~`` becomes (a no-break space, as LaTeX prints it; ``" "`` when only the words
    matter). Runs of ASCII whitespace become one space; the result is stripped.
    """
    if needs_decoding(text):
        text = _decode(text, tie)
    elif "  " not in text and "\n" not in text and "\t" not in text and "\r" not in text:
        return text.strip(" ")
    return _ASCII_SPACE.sub(" ", text).strip(" ")


#: Joins the texts :func:`latex_to_text_many` decodes in one pass (no macro spans it; see there).
_ITEM_SEP = "\x00"


def latex_to_text_many(texts: list[str], replace: tuple[str, str] | None = None) -> list[str]:
    """:func:`latex_to_text` (``tie=" "``) of each text but for whitespace, done on all of them joined:
    one regex pass and a few ``str.replace`` passes instead of a call a text. Newlines and tabs become
    spaces, but runs of spaces are left alone and values are not stripped (collapsing costs more than
    the rest; callers split or fold anyway). ``replace``: ``(old, new)`` replaced in the decoded texts
    as well (e.g. the " and " between names).

    A text ending in a backslash (``\\`` would eat the separator) or holding the separator itself
    makes it fall back to one call a text.
    """
    if not texts:
        return []
    joined = _ITEM_SEP.join(texts)
    if joined.count(_ITEM_SEP) != len(texts) - 1 or "\\" + _ITEM_SEP in joined or joined.endswith("\\"):
        texts = [latex_to_text(text, tie=" ") for text in texts]
        return [text.replace(*replace) for text in texts] if replace is not None else texts
    if needs_decoding(joined):
        joined = _decode(joined, " ")
    for space in "\n\t\r\x0b\x0c":
        if space in joined:
            joined = joined.replace(space, " ")
    if replace is not None:
        joined = joined.replace(*replace)
    return joined.split(_ITEM_SEP)
