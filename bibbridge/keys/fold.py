"""Transliteration to ASCII and the final clean-up of a citation key, as Better BibTeX does them.

Better BibTeX folds every key to ASCII ("citekeyFold", on by default) with the npm ``transliteration``
package, after a language-specific pass (German: ä → ae, ö → oe, ü → ue). We use ``unidecode``, which
agrees with it on Latin, Greek and most other scripts, plus the few Cyrillic letters where the two
differ (я → ya, ц → c, ю → yu, й → y, х → h, ь/ъ dropped). Then the characters ``\\"#%'(),={}~``,
U+FFFD and all whitespace are removed, and ``@``, which unidecode makes of ``ə``, ``Ə``, ``ʘ``, ``˚``
(Better BibTeX's transliteration never does; pandoc cannot cite such a key, and a .bib reader takes an
``@`` in a key for a missing ``,`` or ``}``).
"""

from __future__ import annotations

import re

#: Better BibTeX's default ``citekeyUnsafeChars`` (plus U+FFFD, which it always adds).
UNSAFE_CHARS = "\\\"#%'(),={}~\ufffd"
_UNSAFE = re.compile("[" + re.escape(UNSAFE_CHARS + "@") + r"\s]+")

_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})

# Russian letters А..я (U+0410..U+044F) as the npm "transliteration" package writes them.
_CYRILLIC_UPPER = "A B V G D E Zh Z I Y K L M N O P R S T U F H C Ch Sh Shch - Y - E Yu Ya".split()
_CYRILLIC = {0x401: "Yo", 0x451: "yo"}
for _offset, _latin in enumerate(_CYRILLIC_UPPER):
    _latin = "" if _latin == "-" else _latin
    _CYRILLIC[0x410 + _offset] = _latin
    _CYRILLIC[0x430 + _offset] = _latin.lower()
del _offset, _latin

# Languages (Zotero's free-text language field) that select German transliteration: ISO codes and
# the babel names Better BibTeX maps to "de".
_GERMAN_NAMES = frozenset(
    "de deu ger german ngerman austrian naustrian swissgerman nswissgerman deutsch".split()
)


def language_mode(language: str | None) -> str:
    """``"german"`` for a German language tag or name (de, de-AT, ngerman, …), else ``""``."""
    if not language:
        return ""
    tag = language.strip().lower().replace("_", "-")
    if tag.split("-")[0] in _GERMAN_NAMES or tag in _GERMAN_NAMES:
        return "german"
    return ""


def transliterate(text: str, mode: str = "") -> str:
    """``text`` in ASCII. ``mode="german"`` writes umlauts as ae/oe/ue first."""
    if text.isascii():
        return text
    from unidecode import unidecode

    if mode == "german":
        text = text.translate(_GERMAN)
    text = text.translate(_CYRILLIC)
    return unidecode(text)


def clean_key(key: str, mode: str = "") -> str:
    """Transliterate ``key`` and drop Better BibTeX's unsafe characters and all whitespace."""
    key = _UNSAFE.sub("", transliterate(key, mode))
    # Control characters (a stray \x06 in a pasted title) are invisible and break BibTeX and biber.
    return key if key.isprintable() else "".join(ch for ch in key if ch.isprintable())


def key_fold(key: str) -> str:
    """The form keys are compared in: case- and accent-insensitive (``Müller2020`` = ``muller2020``)."""
    if key.isascii():
        return key.lower()
    from unidecode import unidecode

    return unidecode(key).lower()
