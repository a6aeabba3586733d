"""Paper + citation key → one BibTeX or BibLaTeX entry (pure functions, no I/O).

Two shapes, both the way the tools researchers already use write preprints:

- ``bibtex``: ``@misc`` as arXiv's export and Better BibTeX write it (``eprint``, ``archivePrefix``,
  ``primaryClass``, the arXiv DOI, bare ``month = jan``), 7-bit ASCII with LaTeX macros, plus
  ``howpublished`` so that classic styles such as ``plain`` print the arXiv id or the link, and
  ``key`` (sorting key) when no author is known so that they sort without a warning.
- ``biblatex``: ``@online`` as Better BibLaTeX writes it (``eprinttype = {arxiv}``, ``eprintclass``,
  ISO ``date``, ``pubstate = {prepublished}``), UTF-8 text; ``@misc`` when no link is known, and
  ``date = {XXXX}`` (EDTF "year unknown") when no date is, so biber's data model check passes.

Fields come in a fixed order, one per line, indented by two spaces; the same input always gives the
same bytes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from ..model import Paper
from ..text import arxiv_doi
from .latex import escape_text, protect_title, url_command, verbatim

STYLES = ("bibtex", "biblatex", "csl-json")
UNKNOWN_DATE = "XXXX"
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# Characters BibTeX, biber or bibtexparser cannot take in a citation key.
_BAD_KEY = re.compile(r"[\s,{}()\"#%'=~\\]")
_AND = re.compile(r"(?i)\band\b")  # BibTeX's name separator

#: (name, value, bare): ``bare`` values (month macros) are written without braces.
EntryField = tuple[str, str, bool]


def check_key(key: str) -> str:
    """Return ``key`` if BibTeX, biber and bibtexparser all accept it, else raise ValueError.

    Keys come from :mod:`bibbridge.keys`; this is the last guard against writing a file that a
    consumer would reject."""
    # biber (btparse) also refuses keys made of digits only.
    if not key or _BAD_KEY.search(key) or not key.isascii() or not key.isprintable() or key.isdigit():
        raise ValueError(f"not a usable citation key: {key!r}")
    return key


# -- shared pieces ------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def format_name(name: str, ascii: bool = True) -> str:
    """``"Aaron van den Oord"`` → ``"van den Oord, Aaron"`` (Better BibTeX's ``Family, Given``);
    a one-word name or an organisation is braced so BibTeX keeps it whole."""
    from ..keys.names import split_name

    given, family = split_name(name)
    family_text, given_text = escape_text(family, ascii), escape_text(given, ascii)
    if not given or not _usable_name_part(given) or not _usable_name_part(family):
        # One word, or parts BibTeX would misread (a "-" alone is a separator to it): keep whole.
        return "{" + escape_text(" ".join(name.split()), ascii) + "}"
    # A comma or a stand-alone "and" inside a part would be read as a separator: brace the part.
    if "," in family_text or _AND.search(family_text):
        family_text = "{" + family_text + "}"
    if "," in given_text or _AND.search(given_text):
        given_text = "{" + given_text + "}"
    return f"{family_text}, {given_text}"


def _usable_name_part(part: str) -> bool:
    """BibTeX splits name parts at spaces, "-" and "~"; a part must not start or end with one."""
    return bool(part) and part[0] not in "-~" and part[-1] not in "-~"


def format_authors(paper: Paper, ascii: bool = True) -> str | None:
    """The ``author`` value, ``… and others`` when the digest counts more authors than it names."""
    names = [n for n in (a.strip() for a in paper.authors) if n]
    if not names:
        return None
    value = " and ".join(format_name(n, ascii) for n in names)
    if paper.author_count is not None and paper.author_count > len(names):
        value += " and others"
    return value


def paper_doi(paper: Paper) -> str | None:
    """The DOI given by a source, else arXiv's DataCite DOI when the arXiv id is known."""
    if paper.doi:
        return paper.doi
    return arxiv_doi(paper.arxiv_id) if paper.arxiv_id else None


def link_note(paper: Paper, shown: str | None, ascii: bool = True) -> str | None:
    """``Code: \\url{…}. Project page: \\url{…}`` for links not already given as ``shown``."""
    parts = []
    for kind, label in (("code", "Code"), ("project", "Project page"), ("other", "See also")):
        urls = [u for u in paper.urls.get(kind, []) if u != shown]
        if urls:
            parts.append(f"{label}: " + ", ".join(url_command(u, ascii) for u in urls))
    if paper.journal_ref:
        parts.append(escape_text(paper.journal_ref, ascii))
    return ". ".join(parts) or None


def _month(paper: Paper) -> str | None:
    if paper.published and len(paper.published) >= 7 and paper.published[5:7].isdigit():
        number = int(paper.published[5:7])
        if 1 <= number <= 12:
            return MONTHS[number - 1]
    return None


# -- entries ------------------------------------------------------------------------------------------
def bibtex_fields(paper: Paper) -> list[EntryField]:
    """The fields of the ``bibtex`` style's ``@misc`` entry, in output order."""
    fields: list[EntryField] = [("title", protect_title(paper.title), False)]
    authors = format_authors(paper)
    if authors:
        fields.append(("author", authors, False))
    else:
        # plain.bst and friends sort by author, then by this field; without either they warn.
        fields.append(("key", escape_text(paper.title), False))
    if paper.year:
        fields.append(("year", paper.year, False))
    month = _month(paper)
    if month:
        fields.append(("month", month, True))
    url = paper.landing_url
    # The names arXiv's own BibTeX export uses.
    fields += _eprint_fields(paper, "archivePrefix", "arXiv", "primaryClass")
    doi = paper_doi(paper)
    if doi:
        fields.append(("doi", verbatim(doi), False))
    if url:
        fields.append(("url", verbatim(url), False))
    if paper.arxiv_id:
        category = f" [{escape_text(paper.primary_category)}]" if paper.primary_category else ""
        fields.append(("howpublished", f"arXiv:{escape_text(paper.arxiv_id)}{category}", False))
    elif url:
        fields.append(("howpublished", url_command(url), False))
    note = link_note(paper, shown=url)
    if note:
        fields.append(("note", note, False))
    if paper.abstract.strip():
        fields.append(("abstract", escape_text(paper.abstract), False))
    return fields


def _eprint_fields(paper: Paper, type_field: str, type_value: str, class_field: str) -> list[EntryField]:
    """The arXiv eprint, its type and its primary category, under one style's field names."""
    if not paper.arxiv_id:
        return []
    fields: list[EntryField] = [("eprint", verbatim(paper.arxiv_id), False), (type_field, type_value, False)]
    if paper.primary_category:
        fields.append((class_field, verbatim(paper.primary_category), False))
    return fields


def biblatex_fields(paper: Paper) -> list[EntryField]:
    """The fields of the ``biblatex`` style's ``@online`` entry, in output order."""
    fields: list[EntryField] = [("title", protect_title(paper.title, ascii=False), False)]
    authors = format_authors(paper, ascii=False)
    if authors:
        fields.append(("author", authors, False))
    # biblatex's data model requires a date on every entry type; "XXXX" is ISO 8601-2 (EDTF) for
    # "year unknown": biber validates it and prints no date, where leaving it out fails validation.
    fields.append(("date", verbatim(paper.published) if paper.published else UNKNOWN_DATE, False))
    fields += _eprint_fields(paper, "eprinttype", "arxiv", "eprintclass")
    doi = paper_doi(paper)
    if doi:
        fields.append(("doi", verbatim(doi), False))
    url = paper.landing_url
    if url:
        fields.append(("url", verbatim(url), False))
    fields.append(("pubstate", "prepublished", False))
    note = link_note(paper, shown=url, ascii=False)
    if note:
        fields.append(("note", note, False))
    if paper.abstract.strip():
        fields.append(("abstract", escape_text(paper.abstract, ascii=False), False))
    return fields


def format_entry(entry_type: str, key: str, fields: Iterable[EntryField]) -> str:
    """``@type{key,`` + one ``  name = {value}`` line per field + ``}``, ending in a newline."""
    lines = [f"@{entry_type}{{{check_key(key)},"]
    body = [f"  {name} = {value}" if bare else f"  {name} = {{{value}}}" for name, value, bare in fields]
    lines.append(",\n".join(body))
    lines.append("}\n")
    return "\n".join(lines)


def bibtex_entry(paper: Paper, key: str) -> str:
    """One ``@misc`` entry in the ``bibtex`` style."""
    return format_entry("misc", key, bibtex_fields(paper))


def biblatex_entry(paper: Paper, key: str) -> str:
    """One ``@online`` entry in the ``biblatex`` style; ``@misc`` when the paper has no arXiv id, DOI
    or link (``@online`` requires one of url, doi, eprint)."""
    fields = biblatex_fields(paper)
    online = any(name in ("url", "doi", "eprint") for name, _, _ in fields)
    return format_entry("online" if online else "misc", key, fields)


def entry_text(paper: Paper, key: str, style: str = "bibtex") -> str:
    """One entry in ``style`` (``bibtex`` or ``biblatex``)."""
    if style == "bibtex":
        return bibtex_entry(paper, key)
    if style == "biblatex":
        return biblatex_entry(paper, key)
    raise ValueError(f"unknown .bib style {style!r} (use bibtex or biblatex)")


def entries_text(papers: Iterable[Paper], keys: dict[str, str], style: str = "bibtex") -> str:
    """Entries for ``papers`` (keys looked up by ``paper.identity``), separated by blank lines."""
    return "\n".join(entry_text(p, keys[p.identity], style) for p in papers)
