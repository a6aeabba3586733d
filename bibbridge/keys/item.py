"""What a key formula reads from a record: :class:`KeyItem`, built from a Paper or a Zotero-like item.

Also the two text rules the formula functions share with Better BibTeX: how a title is cut into words
(:func:`title_words`) and how a year is read from a free-text date (:func:`date_year`).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..text.names import split_name
from .fold import language_mode, transliterate

if TYPE_CHECKING:
    from ..model import Paper

#: Better BibTeX's default skip-words (preference ``skipWords``), compared case-insensitively.
SKIP_WORDS = frozenset(
    "a,ab,aboard,about,above,across,after,against,al,along,amid,among,an,and,anti,around,as,at,before,"
    "behind,below,beneath,beside,besides,between,beyond,but,by,d,da,das,de,del,dell,dello,dei,degli,della,"
    "dell,delle,dem,den,der,des,despite,die,do,down,du,during,ein,eine,einem,einen,einer,eines,el,en,et,"
    "except,for,from,gli,i,il,in,inside,into,is,l,la,las,le,les,like,lo,los,near,nor,of,off,on,onto,or,"
    "over,past,per,plus,round,save,since,so,some,sur,than,the,through,to,toward,towards,un,una,unas,under,"
    "underneath,une,unlike,uno,unos,until,up,upon,versus,via,von,while,with,within,without,yet,zu,zum".split(
        ","
    )
)

# Zotero item types whose primary creator is not "author" (Zotero schema); the first creator of the
# primary type is "auth", then editors, then translators, then anyone else.
PRIMARY_CREATOR = {
    "artwork": "artist",
    "audioRecording": "performer",
    "bill": "sponsor",
    "computerProgram": "programmer",
    "film": "director",
    "hearing": "contributor",
    "interview": "interviewee",
    "map": "cartographer",
    "patent": "inventor",
    "podcast": "podcaster",
    "presentation": "presenter",
    "radioBroadcast": "creator",
    "tvBroadcast": "director",
    "videoRecording": "creator",
}

_MARKUP = re.compile(r"</?(?:i|b|sc|nc|code|span[^>]*)>|\"", re.IGNORECASE)
_ANY_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_DASHES = frozenset("\u2500\uff0d\u2015")
# Characters the tokenizer Better BibTeX uses (compromise) treats as a word's leading or trailing
# punctuation rather than part of the word, beyond Unicode's P* categories.
_EDGE_SYMBOLS = frozenset("&*^°+=~|¦©®™%‰¶•†‡−÷×`´$#@<>")
_CJK = re.compile(
    "[\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u3190-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0002fa1f]"
)


@dataclass
class Creator:
    family: str
    given: str = ""
    role: str = "author"


@dataclass
class KeyItem:
    """The fields a key formula reads: title, creators (family names), date and language."""

    title: str = ""
    creators: list[Creator] = field(default_factory=list)
    date: str = ""
    language: str = ""
    item_type: str = "journalArticle"

    @property
    def mode(self) -> str:
        return language_mode(self.language)

    @classmethod
    def from_paper(cls, paper: Paper) -> KeyItem:
        creators = []
        for name in paper.authors:
            given, family = split_name(name)
            if family:
                creators.append(Creator(family=family, given=given))
        return cls(
            title=paper.title or "", creators=creators, date=paper.published or "", item_type="preprint"
        )

    @classmethod
    def from_zotero(cls, item: dict[str, Any]) -> KeyItem:
        """From Zotero's item JSON: ``title``, ``creators`` ([{creatorType, firstName, lastName} or
        {name}]), ``date``, ``language``, ``extra`` (``issued:`` / ``original-date:`` and
        ``role: Last || First`` creator lines are read as Better BibTeX reads them), ``itemType``."""
        extra = _extra_fields(item.get("extra") or "")
        creators = []
        for creator in list(item.get("creators") or []) + extra["creators"]:
            family = creator.get("lastName") or creator.get("name") or ""
            creators.append(
                Creator(
                    family=family,
                    given=creator.get("firstName") or "",
                    role=creator.get("creatorType") or "author",
                )
            )
        date = item.get("date") or extra["date"] or ""
        if not date_year(date) and extra["original_date"]:
            date = extra["original_date"]
        return cls(
            title=item.get("title") or "",
            creators=creators,
            date=date,
            language=item.get("language") or "",
            item_type=item.get("itemType") or "journalArticle",
        )

    # -- what the formula functions read ------------------------------------------------------
    def names(self, kind: str = "*") -> list[Creator]:
        """Creators of the first non-empty group: primary type, editors, translators, others."""
        primary = PRIMARY_CREATOR.get(self.item_type, "author")
        groups: dict[str, list[Creator]] = {"author": [], "editor": [], "translator": [], "collaborator": []}
        for creator in self.creators:
            if not creator_family(creator):
                continue
            if creator.role == "editor":
                groups["editor"].append(creator)
            elif creator.role == "translator":
                groups["translator"].append(creator)
            elif creator.role == primary:
                groups["author"].append(creator)
            else:
                groups["collaborator"].append(creator)
        order = ["author", "editor", "translator", "collaborator"] if kind == "*" else [kind]
        for group in order:
            if groups.get(group):
                return groups[group]
        return []

    @property
    def year(self) -> str:
        return date_year(self.date)


def _strip_quotes(text: str) -> str:
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    return text


def inner_text(text: str) -> str:
    """Text without HTML-like markup (``<i>``, ``<span class="nocase">``) and with entities decoded."""
    if "<" not in text and "&" not in text:
        return text
    return html.unescape(_ANY_TAG.sub("", text))


def creator_family(creator: Creator) -> str:
    return _strip_quotes(inner_text(creator.family))


def creator_initials(creator: Creator, mode: str = "") -> str:
    given = _strip_quotes(inner_text(creator.given))
    capitals = "".join(ch for ch in given if unicodedata.category(ch) in ("Lu", "Lt"))
    return "".join(ch for ch in transliterate(capitals, mode) if ch.isupper())


# -- title words --------------------------------------------------------------------------------
class _PunctuationTable(dict):
    """``str.translate`` table deleting Better BibTeX's punctuation: Unicode Pd, Ps, Pe, Pi, Pf, Po and
    three pseudo-dashes (connector punctuation such as ``_`` survives). Filled lazily, one entry per
    character met, so it is as fast as a static table."""

    def __missing__(self, code: int) -> int | None:
        ch = chr(code)
        category = unicodedata.category(ch)
        value = None if (category[0] == "P" and category != "Pc") or ch in _DASHES else code
        self[code] = value
        return value


_NO_PUNCT = _PunctuationTable()


def _is_edge(ch: str) -> bool:
    return ch in _EDGE_SYMBOLS or unicodedata.category(ch)[0] == "P"


def _strip_edges(token: str) -> str:
    start, end = 0, len(token)
    while start < end and _is_edge(token[start]):
        start += 1
    while end > start and _is_edge(token[end - 1]):
        end -= 1
    return token[start:end]


def title_words(title: str, transliterate_mode: str | None = None, limit: int | None = None) -> list[str]:
    """The significant words of ``title``, in Better BibTeX's ``shorttitle``/``title`` sense.

    Markup and ``"`` are dropped, ``/`` and ``:`` separate words, hyphenated words are joined
    ("Few-Shot" → "FewShot"), skip-words go (case-insensitively), punctuation is removed, and
    one-character words are dropped unless they are digits or CJK. With ``transliterate_mode`` (not
    None) each word is also transliterated, and skip-words are removed once more afterwards. At most
    ``limit`` words are returned (all when None).
    """
    if not title or limit == 0:
        return []
    if "<" in title:
        title = inner_text(title)
    title = _MARKUP.sub("", title)
    title = title.replace("/", " ").replace(":", " ")
    words: list[str] = []
    for token in title.split():
        token = _strip_edges(token)
        if not token or token.lower() in SKIP_WORDS:
            continue
        word = token.translate(_NO_PUNCT)
        if not word:
            continue
        if len(word) == 1 and not (word.isascii() and word.isdigit()) and not _CJK.match(word):
            continue
        if transliterate_mode is not None:
            word = transliterate(word, transliterate_mode)
            if word.lower() in SKIP_WORDS:
                continue
        words.append(word)
        if limit is not None and len(words) >= limit:
            break
    return words


# -- dates --------------------------------------------------------------------------------------
_LEADING_YEAR = re.compile(r"^(\d{4})(?:$|[-/.T ,])")
_CENTURY = re.compile(r"^(\d{2})$")
_MONTH_YEAR = re.compile(r"^\d{1,2}/(\d{1,2})$")
_DAY_MONTH_YEAR = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.](\d{4}|\d{2})$")
_ANY_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def date_year(date: str | None) -> str:
    """The year of a free-text date, following Better BibTeX's date parser where it matters for keys.

    ``2020-07-22``, ``2018/07/03``, ``1973/74``, ``Oct 19, 1966``, ``30-Mar-2020``, ``31/05/1968`` give
    the four-digit year; a two-digit EDTF century (``20``) gives ``20xx``; ``03/04`` (month/year) gives
    ``04``; a date with no recognisable year is used verbatim (``Issue Date``); empty gives ``""``.
    """
    date = (date or "").strip()
    if not date:
        return ""
    for pattern in (_LEADING_YEAR, _DAY_MONTH_YEAR):
        m = pattern.match(date)
        if m:
            return m.group(1)
    m = _CENTURY.match(date)
    if m:
        return f"{m.group(1)}xx"
    m = _MONTH_YEAR.match(date)
    if m:
        return m.group(1).zfill(2)
    m = _ANY_YEAR.search(date)
    if m:
        return m.group(1)
    return date


# -- Zotero's "extra" field -------------------------------------------------------------------
_EXTRA_LINE = re.compile(r"^\s*([^:\n]+?)\s*:\s*(.*?)\s*$")


def _extra_fields(extra: str) -> dict[str, Any]:
    """``issued``/``date``, ``original-date`` and ``role: Last || First`` creators from Zotero's extra."""
    found: dict[str, Any] = {"date": "", "original_date": "", "creators": []}
    for line in extra.splitlines():
        m = _EXTRA_LINE.match(line)
        if not m:
            continue
        name = re.sub(r"[\s_-]+", "", m.group(1)).lower()
        value = m.group(2)
        if "||" in value:
            last, _, first = value.partition("||")
            words = m.group(1).strip().split()
            role = words[0].lower() + "".join(w.capitalize() for w in words[1:]) if words else "contributor"
            found["creators"].append(
                {"lastName": last.strip(), "firstName": first.strip(), "creatorType": role}
            )
        elif name in ("issued", "date") and not found["date"]:
            found["date"] = value
        elif name == "originaldate" and not found["original_date"]:
            found["original_date"] = value
    return found
