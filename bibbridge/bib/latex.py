"""Text → BibTeX field values, and back.

Everything a digest says is plain text, never LaTeX source: a ``$``, ``^`` or ``\\`` in a title or an
abstract is a character to print, so it is escaped like any other special (``\\$``,
``{\\textasciicircum}``, ``{\\textbackslash}``). That is the only rule under which nothing a digest
contains can make ``bibtex`` or LaTeX fail; the printed bibliography shows the characters of the source.

- :func:`escape_text`: LaTeX specials escaped; with ``ascii=True`` (the ``bibtex`` style) every
  non-ASCII character becomes a LaTeX macro (``é`` → ``{\\'e}``, ``α`` → ``{$\\alpha$}``), falling back to
  ``unidecode`` for scripts LaTeX has no macros for; with ``ascii=False`` (``biblatex``) UTF-8 is kept.
  Braces are written as ``{\\textbraceleft}``/``{\\textbraceright}``: BibTeX counts every brace,
  escaped or not, so ``\\{`` alone would unbalance the value.
- :func:`protect_title`: like :func:`escape_text`, plus brace protection of words whose case a style
  must not change (``{GPT-4}``, ``{LoRA}``, ``{AS-ARMs}``).
- :func:`verbatim`: url, doi and eprint values: kept as they are, except that characters which could
  break the entry (braces, backslash, whitespace, non-ASCII) are percent-encoded.
- :func:`url_command`: a link inside a text field (``note``): ``\\url{…}`` when the URL is safe inside
  a macro argument, escaped text otherwise.
- :func:`latex_to_unicode`: the inverse of the above (and of common accent macros), for matching
  existing entries and for tests.
"""

from __future__ import annotations

import re
import unicodedata

# -- specials ---------------------------------------------------------------------------------------
# Characters that mean something to BibTeX or LaTeX. ``<``, ``>`` and ``|`` print as other glyphs in
# LaTeX's default OT1 encoding, so they are written as text commands too.
SPECIALS: dict[str, str] = {
    "\\": r"{\textbackslash}",
    "{": r"{\textbraceleft}",
    "}": r"{\textbraceright}",
    "#": r"\#",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "_": r"\_",
    "~": r"{\textasciitilde}",
    "^": r"{\textasciicircum}",
    "<": r"{\textless}",
    ">": r"{\textgreater}",
    "|": r"{\textbar}",
}
_SPECIAL_RE = re.compile("[" + re.escape("".join(SPECIALS)) + "]")

# -- non-ASCII → LaTeX --------------------------------------------------------------------------------
# Combining marks (after NFD decomposition) and the accent command each one is written with.
_ACCENTS: dict[str, str] = {
    "\u0300": "`",
    "\u0301": "'",
    "\u0302": "^",
    "\u0303": "~",
    "\u0304": "=",
    "\u0306": "u",
    "\u0307": ".",
    "\u0308": '"',
    "\u030a": "r",
    "\u030b": "H",
    "\u030c": "v",
    "\u0323": "d",
    "\u0327": "c",
    "\u0328": "k",
    "\u0331": "b",
}
_SYMBOL_ACCENTS = frozenset("`'^~=.\"")

# Letters and symbols with a macro of their own. Math symbols are wrapped as ``{$…$}`` so that they
# work in text and BibTeX's case changes leave them alone.
_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "varepsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ϑ": "vartheta", "ι": "iota", "κ": "kappa",
    "λ": "lambda", "μ": "mu", "µ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ϖ": "varpi", "ρ": "rho",
    "ϱ": "varrho", "σ": "sigma", "ς": "varsigma", "τ": "tau", "υ": "upsilon", "φ": "varphi",
    "ϕ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma", "Δ": "Delta", "∆": "Delta",
    "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma", "Υ": "Upsilon", "Φ": "Phi",
    "Ψ": "Psi", "Ω": "Omega", "\u2126": "Omega",
}  # fmt: skip
_MATH = {
    "×": "times", "±": "pm", "∓": "mp", "÷": "div", "·": "cdot", "⋅": "cdot", "∗": "ast",
    "≤": "leq", "≥": "geq", "≠": "neq", "≈": "approx", "≡": "equiv", "∼": "sim", "≃": "simeq",
    "≅": "cong", "∝": "propto", "≪": "ll", "≫": "gg", "∞": "infty", "→": "rightarrow",
    "←": "leftarrow", "↔": "leftrightarrow", "⇒": "Rightarrow", "⇐": "Leftarrow",
    "⇔": "Leftrightarrow", "↑": "uparrow", "↓": "downarrow", "↦": "mapsto", "∈": "in",
    "∉": "notin", "∋": "ni", "⊂": "subset", "⊆": "subseteq", "⊃": "supset", "⊇": "supseteq",
    "∪": "cup", "∩": "cap", "∅": "emptyset", "∀": "forall", "∃": "exists", "¬": "neg",
    "∧": "wedge", "∨": "vee", "∑": "sum", "∏": "prod", "∫": "int", "∂": "partial", "∇": "nabla",
    "√": "surd", "′": "prime", "⊕": "oplus", "⊗": "otimes", "∘": "circ", "⊥": "perp",
    "∥": "parallel", "⟨": "langle", "⟩": "rangle", "ℓ": "ell", "ℏ": "hbar", "∖": "setminus",
    "⊤": "top", "⊢": "vdash", "⊨": "models", "∎": "Box", "★": "star", "⋆": "star",
}  # fmt: skip
_TEXT = {
    "ß": r"{\ss}", "ẞ": r"{\SS}", "ø": r"{\o}", "Ø": r"{\O}", "æ": r"{\ae}", "Æ": r"{\AE}",
    "œ": r"{\oe}", "Œ": r"{\OE}", "å": r"{\aa}", "Å": r"{\AA}", "ł": r"{\l}", "Ł": r"{\L}",
    "ı": r"{\i}", "ȷ": r"{\j}", "đ": r"{\dj}", "Đ": r"{\DJ}", "þ": r"{\th}", "Þ": r"{\TH}",
    "ð": r"{\dh}", "Ð": r"{\DH}", "ŋ": r"{\ng}", "Ŋ": r"{\NG}",
    "–": r"{\textendash}", "—": r"{\textemdash}", "‘": r"{\textquoteleft}",
    "’": r"{\textquoteright}", "“": r"{\textquotedblleft}", "”": r"{\textquotedblright}",
    "„": r"{\quotedblbase}", "‚": r"{\quotesinglbase}", "«": r"{\guillemotleft}",
    "»": r"{\guillemotright}", "‹": r"{\guilsinglleft}", "›": r"{\guilsinglright}",
    "…": r"{\textellipsis}", "•": r"{\textbullet}", "†": r"{\textdagger}", "‡": r"{\textdaggerdbl}",
    "§": r"{\S}", "¶": r"{\P}", "©": r"{\textcopyright}", "®": r"{\textregistered}",
    "™": r"{\texttrademark}", "°": r"{\textdegree}", "€": r"{\texteuro}", "£": r"{\pounds}",
    "¡": r"{\textexclamdown}", "¿": r"{\textquestiondown}", "‰": r"{\textperthousand}",
    "\u00a0": "~",
}  # fmt: skip
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")

CHAR_MACROS: dict[str, str] = {
    **_TEXT,
    **{ch: "{$\\" + name + "$}" for ch, name in _GREEK.items()},
    **{ch: "{$\\" + name + "$}" for ch, name in _MATH.items()},
}


def _accented(ch: str) -> str | None:
    """``é`` → ``{\\'e}``, ``ǘ`` → ``{\\'{\\"u}}``, ``ç`` → ``{\\c c}``; else None."""
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    if not marks or not base.isascii() or not base.isalpha() or any(m not in _ACCENTS for m in marks):
        return None
    out = base
    for mark in marks:
        command = _ACCENTS[mark]
        if command in _SYMBOL_ACCENTS:
            out = f"\\{command}{out}" if len(out) == 1 else f"\\{command}{{{out}}}"
        else:
            out = f"\\{command} {out}" if len(out) == 1 else f"\\{command}{{{out}}}"
    return "{" + out + "}"


def char_to_latex(ch: str) -> str:
    """One non-ASCII character as ASCII LaTeX (macro table, accents, compatibility form, unidecode)."""
    if ch in CHAR_MACROS:
        return CHAR_MACROS[ch]
    if ch in _INVISIBLE:
        return ""
    if unicodedata.category(ch) in ("Zs", "Zl", "Zp") or ch in "\t\n\r\x0b\x0c":
        return " "
    if unicodedata.category(ch) == "Cc":
        return ""
    accented = _accented(ch)
    if accented is not None:
        return accented
    compat = unicodedata.normalize("NFKC", ch)
    if compat != ch:
        if unicodedata.decomposition(ch).startswith("<super>"):
            return r"{\textsuperscript{" + _escape_ascii(compat) + "}}"
        if unicodedata.decomposition(ch).startswith("<sub>"):
            return r"{\textsubscript{" + _escape_ascii(compat) + "}}"
        return _escape_ascii(compat)
    from unidecode import unidecode

    # Last resort for scripts without LaTeX macros (CJK, Cyrillic, …): a transliteration, so that
    # plain 8-bit BibTeX never sees raw UTF-8. The biblatex style keeps the original text.
    return _SPECIAL_RE.sub(lambda m: SPECIALS[m.group()], unidecode(ch)) or "?"


def _escape_ascii(text: str) -> str:
    return "".join(char_to_latex(c) if not c.isascii() else SPECIALS.get(c, c) for c in text)


class _AsciiTable(dict):
    """``str.translate`` table: ASCII specials escaped, other non-ASCII converted once and cached."""

    def __missing__(self, code: int) -> str:
        value = char_to_latex(chr(code))
        self[code] = value
        return value


class _UnicodeTable(dict):
    """``str.translate`` table for UTF-8 output: specials escaped, control/odd spaces cleaned."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        cat = unicodedata.category(ch)
        if ch in _INVISIBLE or cat == "Cc":
            value = ""
        elif cat in ("Zs", "Zl", "Zp"):
            value = "\u00a0" if ch == "\u00a0" else " "
        else:
            value = ch
        self[code] = value
        return value


_ASCII_TABLE = _AsciiTable({ord(k): v for k, v in SPECIALS.items()})
_UNICODE_TABLE = _UnicodeTable({ord(k): v for k, v in SPECIALS.items()})
for _code in range(128):
    _ch = chr(_code)
    if _ch not in SPECIALS:
        value = " " if _ch in "\t\n\r\x0b\x0c" else "" if _code < 32 or _code == 127 else _ch
        _ASCII_TABLE[_code] = _UNICODE_TABLE[_code] = value
_SPACE_RUN = re.compile(r"  +")


def escape_text(text: str, ascii: bool = True) -> str:
    """Plain ``text`` as a BibTeX value: specials escaped, non-ASCII as macros when ``ascii``.

    Whitespace runs (newlines included) become single spaces, control characters are dropped.
    """
    out = text.translate(_ASCII_TABLE if ascii else _UNICODE_TABLE)
    if "  " in out:
        out = _SPACE_RUN.sub(" ", out)
    return out.strip()


# -- title protection -------------------------------------------------------------------------------
_NON_WORD_RUN = re.compile(r"\W*")


def _word_edges(token: str) -> tuple[str, str, str]:
    r"""``(leading punctuation, word, trailing punctuation)`` of ``token``; all punctuation is leading.
    Linear: the regex ``^(\W*)(.*?)(\W*)$`` it replaces took quadratic time on a long run of
    punctuation glued to a word (9 s for 32k characters)."""
    lead = _NON_WORD_RUN.match(token).end()  # type: ignore[union-attr]
    if lead == len(token):
        return token, "", ""
    trail = _NON_WORD_RUN.match(token[::-1]).end()  # type: ignore[union-attr]
    end = len(token) - trail
    return token[:lead], token[lead:end], token[end:]

_WORD_PARTS = re.compile("[-/\u2013]")


def needs_protection(word: str) -> bool:
    """True for words a style must not lower-case: ``GPT-4``, ``LoRA``, ``MaMs``, ``dLLMs``, ``3D``,
    ``Llama3``, ``III``, a lone capital such as ``X``; not ``Any-Subset`` or ``Models``."""
    if len(word) == 1:
        return word.isupper() and word != "A"
    if word.isalpha():  # the common case, without splitting: a capital after the first letter?
        rest = word[1:]
        return rest != rest.lower()
    if not any(c.isalpha() for c in word):
        return False
    for part in _WORD_PARTS.split(word):
        if any(c.isupper() for c in part[1:]):
            return True
        if any(c.isdigit() for c in part) and any(c.isalpha() for c in part):
            return True
    return False


# Protection braces are marked with two private-use characters while the words are inspected, then
# the whole title is escaped in one pass by tables that turn the marks into braces.
_OPEN, _CLOSE = "\ue000", "\ue001"
_ASCII_TITLE_TABLE = _AsciiTable(_ASCII_TABLE)
_UNICODE_TITLE_TABLE = _UnicodeTable(_UNICODE_TABLE)
for _table in (_ASCII_TITLE_TABLE, _UNICODE_TITLE_TABLE):
    _table[ord(_OPEN)], _table[ord(_CLOSE)] = "{", "}"


def protect_title(title: str, ascii: bool = True) -> str:
    """Escape ``title`` and brace-protect every word whose capitals must survive a style's case change."""
    if _OPEN in title or _CLOSE in title:  # the marks themselves in the input: escape word by word
        return _protect_words(title, ascii)
    words = []
    for token in title.split():
        if token.isalnum():
            words.append(_OPEN + token + _CLOSE if needs_protection(token) else token)
            continue
        lead, core, trail = _word_edges(token)
        words.append(lead + _OPEN + core + _CLOSE + trail if core and needs_protection(core) else token)
    out = " ".join(words).translate(_ASCII_TITLE_TABLE if ascii else _UNICODE_TITLE_TABLE)
    if "  " in out:
        out = _SPACE_RUN.sub(" ", out)
    return out.strip()


def _protect_words(title: str, ascii: bool) -> str:
    pieces = []
    for token in title.split():
        lead, core, trail = _word_edges(token)
        if core and needs_protection(core):
            protected = "{" + escape_text(core, ascii) + "}"
            pieces.append(escape_text(lead, ascii) + protected + escape_text(trail, ascii))
        else:
            pieces.append(escape_text(token, ascii))
    return " ".join(p for p in pieces if p)


# -- verbatim fields and links -----------------------------------------------------------------------
_UNSAFE_VERBATIM = re.compile(r"[\s{}\\\"<>^`|]|[^\x00-\x7f]")
_UNSAFE_IN_ARGUMENT = re.compile(r"[%#^~\\{}\s]")


def _percent(match: re.Match[str]) -> str:
    return "".join(f"%{b:02X}" for b in match.group().encode("utf-8"))


def verbatim(value: str) -> str:
    """A url, doi or eprint value: kept as written, except braces, backslash, quotes, whitespace and
    non-ASCII, which are percent-encoded (RFC 3986), so an odd URL can never unbalance the entry.
    ``%`` and ``#`` stay: BibTeX does not treat them specially inside a braced value and biber
    reads url fields verbatim."""
    value = value.strip()
    return _UNSAFE_VERBATIM.sub(_percent, value) if _UNSAFE_VERBATIM.search(value) else value


def url_command(url: str, ascii: bool = True) -> str:
    """A link for a text field such as ``note``: ``\\url{…}`` when safe inside a macro argument
    (no ``%``, ``#``, ``^``, ``~``, ``\\``, braces or spaces), otherwise the URL as escaped text."""
    url = verbatim(url)
    if _UNSAFE_IN_ARGUMENT.search(url):
        return escape_text(url, ascii)
    return r"\url{" + url + "}"


# -- decoding ----------------------------------------------------------------------------------------
_COMMAND_TEXT: dict[str, str] = {}
for _ch, _macro in CHAR_MACROS.items():
    _COMMAND_TEXT.setdefault(_macro, _ch)
for _ch, _macro in SPECIALS.items():
    _COMMAND_TEXT[_macro] = _ch
_COMMAND_TEXT.update({r"\textbackslash{}": "\\", r"\textasciitilde{}": "~", r"\textasciicircum{}": "^"})
_MARK_FOR = {command: mark for mark, command in _ACCENTS.items()}
_LETTER = r"([^\W\d_])"
_SYMBOL_ACCENT = re.compile(r"""\\([`'^~=."])\s*(?:\{""" + _LETTER + r"\}|" + _LETTER + ")")
_LETTER_ACCENT = re.compile(r"\\([uvHcdbkr])(?:\s+" + _LETTER + r"|\s*\{" + _LETTER + r"\})")
_MACRO = re.compile(
    r"\{\$\\[A-Za-z]+\$\}"  # {$\alpha$}
    r"|\{\\[A-Za-z]+\}"  # {\ss} {\textbraceleft}
    r"|\\[A-Za-z]+\{\}"  # \textbackslash{}
    r"|\\[#$%&_]"  # \% …
    r"|\\text(?:super|sub)script\{([^{}]*)\}"
    r"|\\url\{([^{}]*)\}"
)
# Literal braces and tildes must survive the removal of protection braces and the ~ → nbsp step.
_HIDE = {"{": "\x01", "}": "\x02", "~": "\x03"}
_NEEDS_SHOW = re.compile("[{}~\x01-\x03]")
_SHOW = str.maketrans({"\x01": "{", "\x02": "}", "\x03": "~", "{": None, "}": None, "~": "\u00a0"})


def _accent(match: re.Match[str]) -> str:
    letter = match.group(2) or match.group(3)
    return unicodedata.normalize("NFC", letter + _MARK_FOR[match.group(1)])


def _macro(match: re.Match[str]) -> str:
    token = match.group()
    if match.group(1) is not None or match.group(2) is not None:
        return match.group(1) if match.group(1) is not None else match.group(2)
    text = _COMMAND_TEXT.get(token)
    if text is None:
        return token
    return _HIDE.get(text, text)


def latex_to_unicode(value: str) -> str:
    """Decode a BibTeX value written by this module (or using the common accent macros) to text:
    macros to characters, protection braces dropped, whitespace collapsed."""
    if "\\" in value:
        previous = None
        while previous != value:  # innermost accent first: {\'{\"u}} → {\'{ü}} → {ǘ}
            previous = value
            value = _SYMBOL_ACCENT.sub(_accent, _LETTER_ACCENT.sub(_accent, value))
        value = _MACRO.sub(_macro, value)
    if _NEEDS_SHOW.search(value):
        value = value.translate(_SHOW)
    if "  " in value:
        value = _SPACE_RUN.sub(" ", value)
    return value.strip(" ")
