"""Paper + citation key → one BibTeX or BibLaTeX entry (pure functions, no I/O).

Both styles write ``@misc``, the type every BibTeX style, biblatex and pandoc print sensibly for a
preprint, and the one Zotero's BibTeX import reads as a Document (``@online`` would become a Web
Page). What is written is what is known, nothing is invented: no ``key = {title}`` stand-in for a
missing author, no ``date = {XXXX}`` for a missing date, no ``pubstate``.

- ``bibtex``: the shape of arXiv's export (``eprint``, ``archivePrefix``, ``primaryClass``, the arXiv
  DOI, bare ``month = jan``) plus ``eprinttype = {arxiv}``, the spelling Zotero's import and biblatex
  read; ``howpublished = {arXiv:<id> [<class>]}`` so that classic styles (``plain``) print the id;
  7-bit ASCII with LaTeX macros.
- ``biblatex``: ``eprint``/``eprinttype``/``eprintclass``, ISO ``date``, UTF-8 text.

One link, to the paper (:func:`paper_link`): the arXiv abstract page, else the Hugging Face paper
page, else a project page; code and other links go to ``note``, which every style prints once.

Fields come in a fixed order, one per line, indented by two spaces; the same input always gives the
same bytes.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Iterable

from ..model import Paper
from ..text import arxiv_doi
from .latex import escape_text, protect_title, url_command, verbatim

STYLES = ("bibtex", "biblatex", "csl-json")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# Characters BibTeX, biber or bibtexparser cannot take in a citation key.
# What BibTeX, biber or bibtexparser refuse in a key, and what our own reader takes for a broken entry
# (bibbridge.bib.scanner._ODD_KEY: "@" too), so that every file we write is one we read back.
_BAD_KEY = re.compile(r"[\s,{}()\"@#%'=~\\]")
_AND = re.compile(r"(?i)\band\b")  # BibTeX's name separator

#: (name, value, bare): ``bare`` values (month macros) are written without braces.
EntryField = tuple[str, str, bool]


class CitationKeyWarning(UserWarning):
    """A key already given out (registry or target file) that some consumer refuses; it is kept."""

    cli_message = True  # the CLI prints it as "bibbridge: warning: …"


def warn_unportable_keys(keys: Iterable[str]) -> list[str]:
    """Warn (:class:`CitationKeyWarning`) about each key pandoc or ``\\cite`` refuses; return them.

    Such keys were given out before bibbridge made new keys portable; they are never changed
    silently (documents may cite them), so the user is told which ones to rename by hand."""
    from ..keys.formula import is_portable_key, portable_key

    bad = sorted({k for k in keys if not is_portable_key(k)})
    for key in bad:
        warnings.warn(
            f"citation key {key} was given out before and is kept, but pandoc or \\cite cannot cite"
            f" it (a portable form would be {portable_key(key) or 'empty'}); rename it by hand if you"
            " cite with pandoc",
            CitationKeyWarning,
            stacklevel=2,
        )
    return bad


def writable_keys(keys: dict[str, str]) -> dict[str, str]:
    """``keys`` with each key no .bib can hold (:func:`check_key` refuses it: ``doe@at2024``, ``a#b``,
    kept from an older registry or a Zotero item) replaced by its portable form, with a warning naming
    both: writing it would make a file that BibTeX and our own reader refuse. Deterministic, so every
    run writes the same replacement."""
    from ..keys.formula import portable_key

    out = dict(keys)
    for identity, key in keys.items():
        try:
            check_key(key)
        except ValueError:
            new = portable_key(key)
            if not new or new.isdigit():
                new = f"key{new}"
            out[identity] = new
            warnings.warn(
                f"citation key {key} was given out before but no .bib can hold it (BibTeX and bibbridge's"
                f" reader refuse it); written as {new}",
                CitationKeyWarning,
                stacklevel=2,
            )
    return out


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


def paper_link(paper: Paper) -> str | None:
    """The entry's one link, to the paper itself (:attr:`bibbridge.model.Paper.landing_url`, the one
    rule the Zotero item's URL follows too)."""
    return paper.landing_url


def other_links(paper: Paper, shown: str | None) -> list[tuple[str, list[str]]]:
    """``[(label, urls)]``: code, project and other links besides ``shown``, each once."""
    seen = {shown}
    groups = []
    for kind, label in (("code", "Code"), ("project", "Project page"), ("other", "See also")):
        urls = []
        for url in paper.urls.get(kind, []):
            if url not in seen:
                seen.add(url)
                urls.append(url)
        if urls:
            groups.append((label, urls))
    return groups


def link_note(paper: Paper, shown: str | None, ascii: bool = True) -> str | None:
    """``Code: \\url{…}. Project page: \\url{…}`` for links not already given as ``shown``."""
    groups = other_links(paper, shown)
    parts = [f"{label}: " + ", ".join(url_command(u, ascii) for u in urls) for label, urls in groups]
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
    # No author: no `key` either. A title copied into `key` makes natbib print the title twice and
    # cite by it; without one, bibtex warns "to sort, need author or key", which is the truth.
    if paper.year:
        fields.append(("year", paper.year, False))
    month = _month(paper)
    if month:
        fields.append(("month", month, True))
    url = paper_link(paper)
    # The names arXiv's own BibTeX export uses, plus the biblatex name Zotero's import reads.
    fields += _eprint_fields(paper, "archivePrefix", "arXiv", "primaryClass")
    if paper.arxiv_id:
        fields.append(("eprinttype", "arxiv", False))
    doi = paper_doi(paper)
    if doi:
        fields.append(("doi", verbatim(doi), False))
    if url:
        fields.append(("url", verbatim(url), False))
    if paper.arxiv_id:
        # plain.bst prints neither eprint nor url for @misc; this is how its readers see the id.
        # Not a link, so natbib's styles (which print url as well) do not show the link twice.
        category = f" [{escape_text(paper.primary_category)}]" if paper.primary_category else ""
        fields.append(("howpublished", f"arXiv:{escape_text(paper.arxiv_id)}{category}", False))
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
    """The fields of the ``biblatex`` style's ``@misc`` entry, in output order."""
    fields: list[EntryField] = [("title", protect_title(paper.title, ascii=False), False)]
    authors = format_authors(paper, ascii=False)
    if authors:
        fields.append(("author", authors, False))
    # No date known: none written. biber's data-model check then says "missing mandatory field"
    # (true); styles print no date, where a stand-in such as "XXXX" printed "()" or "n.d.".
    if paper.published:
        fields.append(("date", verbatim(paper.published), False))
    fields += _eprint_fields(paper, "eprinttype", "arxiv", "eprintclass")
    doi = paper_doi(paper)
    if doi:
        fields.append(("doi", verbatim(doi), False))
    url = paper_link(paper)
    if url:
        fields.append(("url", verbatim(url), False))
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
    """One ``@misc`` entry in the ``biblatex`` style (``@online`` would import into Zotero as a Web
    Page; biblatex prints eprint, doi and url for ``@misc`` all the same)."""
    return format_entry("misc", key, biblatex_fields(paper))


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
