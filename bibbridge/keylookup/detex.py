"""A small, fast LaTeX-to-text decoder for matching titles and names read from .bib files.

It is not a LaTeX interpreter: it undoes what .bib files actually contain (``{GPT}-4``,
``M{\\"u}ller``, ``Pad{\\'e}``, ``\\emph{…}``, ``\\&``, ``~``, ``--``) well enough that folding
(:func:`bibbridge.text.fold`) sees the same words a reader sees. Text without a backslash, brace or
tilde is returned unchanged, so the common case costs one scan. :func:`detex_many` decodes a whole
column (every title of a large .bib) in one pass over the joined text.
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
# Letter-like commands (\ss, \o, …) and escaped specials.
_SYMBOLS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "textendash": "–",
    "textemdash": "—",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textbackslash": "\\",
    "textunderscore": "_",
    "textquoteright": "’",
    "textquoteleft": "‘",
    "LaTeX": "LaTeX",
    "TeX": "TeX",
}


# One pass over every backslash sequence: \& (escaped special), \'e \'{e} \"{\i} (symbol accents take
# the letter directly), \c c \v{s} (letter accents need braces or a space), \ss \o (symbols; one
# following space or {} is eaten, as TeX does), any other command (dropped; its braced argument stays).
def _base(name: str) -> str:
    """The accented letter, braced or bare (``\\i`` and ``\\j`` allowed), as groups ``name1``/``name2``."""
    letter = r"\\[ij](?![A-Za-z])|[A-Za-z]"
    return rf"(?:\{{\s*(?P<{name}1>{letter})\s*\}}|(?P<{name}2>{letter}))"


_MACRO = re.compile(
    r"\\(?:"
    r"(?P<escaped>[&%$#_{}])"
    r"|(?P<accent>['`^\"~=.])\s*"
    + _base("a")
    + r"|(?P<letter>[uvHckrdb])(?![A-Za-z])\s*"
    + _base("l")
    + r"|(?P<symbol>"
    + "|".join(sorted(_SYMBOLS, key=len, reverse=True))
    + r")(?![A-Za-z])(?:\s*\{\}| )?"
    r"|[A-Za-z]+\*?\s*|.)",
    re.DOTALL,
)
_DASHES = re.compile(r"-{2,3}")
_DROPPED = (("{", ""), ("}", ""), ("$", ""), ("~", " "))
_ESCAPE_OUT = {"{": "\x01", "}": "\x02"}


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
        return _ESCAPE_OUT.get(char, char)
    if groups["accent"]:
        return _compose(groups["a1"] or groups["a2"], groups["accent"])
    if groups["letter"]:
        return _compose(groups["l1"] or groups["l2"], groups["letter"])
    if groups["symbol"]:
        return _SYMBOLS[groups["symbol"]]
    return ""


def _compose(base: str, accent: str) -> str:
    if base in ("\\i", "\\j"):
        base = base[1]
    return unicodedata.normalize("NFC", base + _ACCENT_MARKS[accent])


def _dash(match: re.Match[str]) -> str:
    return "—" if len(match.group(0)) == 3 else "–"


def detex(text: str) -> str:
    """``"{GPT}-4 and M{\\"u}ller's \\emph{Study}"`` → ``"GPT-4 and Müller's Study"``.

    Accents become composed Unicode letters, known symbol commands their character, other commands
    are dropped (their braced argument stays), braces and ``$`` disappear, ``~`` is a space, runs of
    whitespace become one space.
    """
    if "\\" not in text and "{" not in text and "~" not in text and "--" not in text:
        return " ".join(text.split()) if "  " in text or "\n" in text or "\t" in text else text
    return " ".join(_decode(text).split())


def _decode(text: str) -> str:
    """Everything :func:`detex` does but collapsing whitespace."""
    if "\\" in text:
        text = _MACRO.sub(_cached_macro, text)
    for char, replacement in _DROPPED:
        if char in text:
            text = text.replace(char, replacement)
    if "--" in text:
        text = _DASHES.sub(_dash, text)
    if "\x01" in text or "\x02" in text:
        text = text.replace("\x01", "{").replace("\x02", "}")
    return text


#: Joins the texts :func:`detex_many` decodes in one pass (no macro spans it; see there).
_ITEM_SEP = "\x00"


def detex_many(texts: list[str], replace: tuple[str, str] | None = None) -> list[str]:
    """:func:`detex` of each text but for whitespace, done on all of them joined: one regex pass and a
    few ``str.replace`` passes instead of a call a text. Newlines and tabs become spaces, but runs of
    spaces are left alone (collapsing them costs more than the rest; callers split or fold anyway).
    ``replace``: ``(old, new)`` replaced in the decoded texts as well (e.g. the " and " between names).

    A text ending in a backslash (``\\`` would eat the separator) or holding the separator itself
    makes it fall back to one call a text.
    """
    if not texts:
        return []
    joined = _ITEM_SEP.join(texts)
    if joined.count(_ITEM_SEP) != len(texts) - 1 or "\\" + _ITEM_SEP in joined or joined.endswith("\\"):
        texts = [detex(text) for text in texts]
        return [text.replace(*replace) for text in texts] if replace is not None else texts
    if "\\" in joined or "{" in joined or "~" in joined or "--" in joined:
        joined = _decode(joined)
    for space in "\n\t\r\x0b\x0c":
        if space in joined:
            joined = joined.replace(space, " ")
    if replace is not None:
        joined = joined.replace(*replace)
    return joined.split(_ITEM_SEP)
