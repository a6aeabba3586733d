"""Papers → Zotero item data, and the identities of items already in a library. Pure functions.

An arXiv paper becomes the item Zotero's own arXiv importer makes (``preprint``, repository ``arXiv``,
archiveID ``arXiv:<id>``, the arXiv DOI, the abs URL, libraryCatalog ``arXiv.org``, an Extra line
``arXiv:<id> [category]``), plus the citation key in the native ``citationKey`` field.

Code and project links go into Extra as ``Code: <url>`` / ``Project: <url>`` lines. Why Extra and not
linked-URL child attachments: one object per paper keeps every create a single retry-safe write (no
half-made parent without its children after an interruption), the lines are shown and clickable in
Zotero's Info pane, and they survive exports. A paper without an arXiv id is still a valid preprint: its
``url`` is the project page (else the code page), its catalog ``Hugging Face Daily Papers``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from ..model import Paper
from ..text import arxiv_doi, find_arxiv_id, normalise_arxiv_id, normalise_doi, normalise_title

ITEM_TYPE = "preprint"
ARXIV_CATALOG = "arXiv.org"
HF_CATALOG = "Hugging Face Daily Papers"

#: Item types that are not references (never matched against papers).
NON_REGULAR_TYPES = frozenset({"note", "attachment", "annotation"})

_EXTRA_LINE = re.compile(r"^\s*(?P<name>[A-Za-z][A-Za-z \-_.]*?)\s*:\s*(?P<value>.+?)\s*$")


def split_name(name: str) -> dict[str, str]:
    """An author creator: ``"Ada B. Lovelace"`` → first/last at the last space (Zotero's cleanAuthor)."""
    name = " ".join(name.split())
    first, _, last = name.rpartition(" ")
    if not first:
        return {"creatorType": "author", "name": name}
    return {"creatorType": "author", "firstName": first, "lastName": last}


def paper_extra(paper: Paper) -> str:
    """The Extra field: the importer's ``arXiv:<id> [category]`` line, then code and project links."""
    lines: list[str] = []
    if paper.arxiv_id:
        lines.append(
            f"arXiv:{paper.arxiv_id} [{paper.primary_category}]"
            if paper.primary_category
            else f"arXiv:{paper.arxiv_id}"
        )
    for kind, label in (("code", "Code"), ("project", "Project")):
        lines.extend(f"{label}: {link}" for link in paper.urls.get(kind, []))
    return "\n".join(lines)


def paper_to_item(paper: Paper, citation_key: str | None, collections: Iterable[str] = ()) -> dict[str, Any]:
    """The Zotero item data (Web API JSON ``data`` object) for ``paper``.

    Only fields valid for ``preprint`` in Zotero's schema are produced; empty fields are left out.
    """
    item: dict[str, Any] = {"itemType": ITEM_TYPE, "title": paper.title}
    item["creators"] = [split_name(a) for a in paper.authors if a.strip()]
    if paper.abstract:
        item["abstractNote"] = paper.abstract
    if paper.arxiv_id:
        item["repository"] = "arXiv"
        item["archiveID"] = f"arXiv:{paper.arxiv_id}"
    if paper.published:
        item["date"] = paper.published
    doi = paper.doi or (arxiv_doi(paper.arxiv_id) if paper.arxiv_id else None)
    if doi:
        item["DOI"] = doi
    if citation_key:
        item["citationKey"] = citation_key
    url = paper.landing_url
    if url:
        item["url"] = url
    item["libraryCatalog"] = ARXIV_CATALOG if paper.arxiv_id else HF_CATALOG
    extra = paper_extra(paper)
    if extra:
        item["extra"] = extra
    item["tags"] = []
    item["collections"] = list(collections)
    item["relations"] = {}
    return item


# -- recognising papers already in a library ------------------------------------------------------


def extra_fields(extra: str | None) -> dict[str, list[str]]:
    """``Key: value`` lines of an Extra field, keys lower-cased (``citation key`` → [...])."""
    out: dict[str, list[str]] = {}
    for line in (extra or "").splitlines():
        m = _EXTRA_LINE.match(line)
        if m:
            out.setdefault(m.group("name").strip().lower(), []).append(m.group("value"))
    return out


class ItemFacts(NamedTuple):
    """What the index keeps about an existing item, found with its Extra field parsed once."""

    arxiv_id: str | None
    doi: str | None
    citation_key: str | None
    identities: set[str]


def item_facts(data: dict[str, Any]) -> ItemFacts:
    """arXiv id, DOI, citation key and identities of an item (identities empty for notes etc.).

    One pass over the item: a first sync reads every item of the library (20,000 or more).
    """
    extra = data.get("extra") or ""
    fields = extra_fields(extra) if extra else {}
    arxiv_id = _arxiv_id(data, extra)
    doi = _doi(data, fields)
    if data.get("itemType") in NON_REGULAR_TYPES:
        return ItemFacts(arxiv_id, doi, _citation_key(data, fields), set())
    identities: set[str] = set()
    if arxiv_id:
        identities.add(f"arxiv:{arxiv_id}")
        identities.add(f"doi:{arxiv_doi(arxiv_id).lower()}")
    if doi:
        identities.add(f"doi:{doi}")
    title = title_identity(data.get("title") or "")
    if title:
        identities.add(title)
    return ItemFacts(arxiv_id, doi, _citation_key(data, fields), identities)


def _citation_key(data: dict[str, Any], fields: dict[str, list[str]]) -> str | None:
    key = (data.get("citationKey") or "").strip()
    if key:
        return key
    values = fields.get("citation key")
    return values[0].strip() if values else None


def _arxiv_id(data: dict[str, Any], extra: str) -> str | None:
    archive_id = normalise_arxiv_id(data.get("archiveID") or "")
    if archive_id:
        return archive_id
    return find_arxiv_id(extra, data.get("url"), data.get("DOI"))  # the text layer's one rule


def _doi(data: dict[str, Any], fields: dict[str, list[str]]) -> str | None:
    doi = normalise_doi(data.get("DOI") or "")
    if doi:
        return doi
    for value in fields.get("doi", []):
        doi = normalise_doi(value)
        if doi:
            return doi
    return None


def item_citation_key(data: dict[str, Any]) -> str | None:
    """The native ``citationKey`` field, else a ``Citation Key: …`` line in Extra (older libraries)."""
    return _citation_key(data, extra_fields(data.get("extra")))


def item_identities(data: dict[str, Any]) -> set[str]:
    """``arxiv:<id>``, ``doi:<doi>`` and ``title:<folded title>`` of an item (empty for notes etc.)."""
    return item_facts(data).identities


def paper_identities(paper: Paper) -> set[str]:
    """The same identities for a paper, so papers and items compare directly."""
    out: set[str] = set()
    if paper.arxiv_id:
        out.add(f"arxiv:{paper.arxiv_id}")
    if paper.doi_key:
        out.add(f"doi:{paper.doi_key}")
    if paper.arxiv_id:
        out.add(f"doi:{arxiv_doi(paper.arxiv_id).lower()}")
    title = title_identity(paper.title)
    if title:
        out.add(title)
    return out


def title_identity(title: str) -> str | None:
    """``title:<folded>``; a title that folds to nothing (all symbols) is compared as written."""
    folded = normalise_title(title)
    if folded:
        return f"title:{folded}"
    written = " ".join(title.casefold().split())
    return f"title:={written}" if written else None


def creator_names(data: dict[str, Any]) -> list[str]:
    """Creators as display names ("First Last" or the single name)."""
    names: list[str] = []
    for creator in data.get("creators") or []:
        if creator.get("name"):
            names.append(creator["name"])
        else:
            names.append(" ".join(p for p in (creator.get("firstName"), creator.get("lastName")) if p))
    return names
