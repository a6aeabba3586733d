"""Text → BibTeX field values (the reverse direction is :mod:`bibbridge.text.latex`).

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
- decoding (BibTeX → text) is :func:`bibbridge.text.latex.latex_to_text`, the one decoder, which reads
  this module's tables backwards.
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


def needs_protection(word: str, first: bool = False) -> bool:
    """True for words a sentence-case style must not lower-case.

    After the first word: every word with a capital (``Models``, ``LLaMA``, ``Break-a-Scene``, a
    lone ``X``), so the title prints as written. The first word (whose first letter every style
    keeps): only when it has a capital after its first letter (``GPT-4o``, ``LoRA``, ``3D``-style
    letters mixed with digits too: ``Llama3``)."""
    if not first:
        return any(c.isupper() for c in word) or _mixes_digits(word)
    if len(word) == 1:
        return False
    rest = word[1:]
    if word.isalpha():  # the common case, without splitting
        return rest != rest.lower()
    return any(c.isupper() for c in rest) or _mixes_digits(word)


def _mixes_digits(word: str) -> bool:
    return any(
        any(c.isdigit() for c in part) and any(c.isalpha() for c in part) for part in _WORD_PARTS.split(word)
    )


# TeX math in a title (``$^3$He``, ``$\alpha$-Divergence``, ``$O(n \log n)$``) is kept as math when it
# is well formed: paired dollars, no space just inside them (so "$5 to $10" stays text), balanced
# braces, ASCII, and only commands from a list LaTeX defines in math mode. Anything else is text.
_MATH_SEGMENT = re.compile(r"\$([^$\s](?:[^$]*[^$\s])?)\$")
_MATH_CHARS = re.compile(r"[A-Za-z0-9\s^_{}()\[\]+\-=*/<>.,;:|'!\\]*")
_MATH_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
MATH_COMMANDS = frozenset(
    {
        *_GREEK.values(),
        *_MATH.values(),
        *(
            "times pm mp div cdot ast leq le geq ge neq ne approx equiv sim simeq cong propto ll gg infty"
            " rightarrow to leftarrow leftrightarrow Rightarrow Leftarrow Leftrightarrow uparrow downarrow"
            " mapsto in notin ni subset subseteq supset supseteq cup cap emptyset forall exists neg wedge"
            " vee sum prod int oint partial nabla surd sqrt prime oplus otimes circ perp parallel langle"
            " rangle ell hbar setminus top bot vdash models star frac dfrac tfrac binom log ln exp sin cos"
            " tan lim sup inf max min det dim ker arg deg mathcal mathbb mathrm mathbf mathit mathsf"
            " mathtt mathfrak boldsymbol operatorname hat widehat tilde widetilde bar overline underline"
            " vec dot ddot left right big Big bigg Bigg dots ldots cdots vdots ddots quad qquad mid"
            " varepsilon epsilon vartheta varpi varrho varsigma varphi"
        ).split(),
    }
) | frozenset(",;:! {}|")


def is_math(content: str) -> bool:
    """True when ``$content$`` in a title is TeX math the writer keeps as math (see above)."""
    return _math_ok(content)


#: A ``$…$`` segment of a title, a candidate for :func:`is_math`.
MATH_SEGMENT = _MATH_SEGMENT


def _math_ok(content: str) -> bool:
    if not _MATH_CHARS.fullmatch(content) or content.endswith(("\\", "^", "_")):
        return False
    depth = 0
    for ch in _MATH_COMMAND.sub("", content):
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return False
    if depth:
        return False
    return all(name in MATH_COMMANDS for name in _MATH_COMMAND.findall(content))


# Protection braces are marked with two private-use characters while the words are inspected, then
# the whole title is escaped in one pass by tables that turn the marks into braces. Math segments
# are stood in for by one private-use character each (U+E010…) and put back after escaping.
_OPEN, _CLOSE = "\ue000", "\ue001"
_MATH_MARK, _MATH_MARKS = 0xE010, 0xF0
_ASCII_TITLE_TABLE = _AsciiTable(_ASCII_TABLE)
_UNICODE_TITLE_TABLE = _UnicodeTable(_UNICODE_TABLE)
for _table in (_ASCII_TITLE_TABLE, _UNICODE_TITLE_TABLE):
    _table[ord(_OPEN)], _table[ord(_CLOSE)] = "{", "}"
    for _code in range(_MATH_MARK, _MATH_MARK + _MATH_MARKS):
        _table[_code] = chr(_code)
_MARKS = re.compile(f"[{chr(_MATH_MARK)}-{chr(_MATH_MARK + _MATH_MARKS - 1)}]")


def _with_math_marks(title: str) -> tuple[str, list[str]]:
    """``title`` with each well-formed math segment replaced by a mark, and the segments."""
    segments: list[str] = []

    def mark(match: re.Match[str]) -> str:
        if len(segments) >= _MATH_MARKS or not _math_ok(match.group(1)):
            return match.group()
        segments.append(" ".join(match.group(1).split()))
        return chr(_MATH_MARK + len(segments) - 1)

    return _MATH_SEGMENT.sub(mark, title), segments


def _protected(core: str) -> str:
    """``core`` as a protected group, ``{Models}``. (pandoc reads a group holding one plain
    capitalised word as title-case noise and sentence-cases it anyway; ``{{M}odels}`` would stop it,
    but breaks the word for every tool that folds titles to compare them.)"""
    return _OPEN + core + _CLOSE


def _protect_token(token: str, first: bool) -> str:
    lead, core, trail = _word_edges(token)
    if core and needs_protection(core, first and not lead):
        return lead + _protected(core) + trail
    return token


def protect_title(title: str, ascii: bool = True) -> str:
    """Escape ``title``, keep its well-formed TeX math as math, and brace-protect every word whose
    capitals must survive a sentence-case style (see :func:`needs_protection`)."""
    if _OPEN in title or _CLOSE in title or _MARKS.search(title):
        return _protect_words(title, ascii)  # the marks themselves in the input: word by word
    segments: list[str] = []
    if "$" in title:
        title, segments = _with_math_marks(title)
    words = []
    for index, token in enumerate(title.split()):
        if token.isalnum():
            words.append(_protected(token) if needs_protection(token, index == 0) else token)
        elif segments and _MARKS.search(token):
            # Math and what is glued to it (``$^3$He``) make one group, so the folded title (how
            # merges recognise an entry) stays the folded text: ``{$^3$He}`` → "3he".
            words.append(_OPEN + token + _CLOSE)
        else:
            words.append(_protect_token(token, index == 0))
    out = " ".join(words).translate(_ASCII_TITLE_TABLE if ascii else _UNICODE_TITLE_TABLE)
    if "  " in out:
        out = _SPACE_RUN.sub(" ", out)
    if segments:
        out = _MARKS.sub(lambda m: "$" + segments[ord(m.group()) - _MATH_MARK] + "$", out)
    return out.strip()


def _protect_words(title: str, ascii: bool) -> str:
    pieces = []
    for index, token in enumerate(title.split()):
        lead, core, trail = _word_edges(token)
        if core and needs_protection(core, index == 0 and not lead):
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
