"""Paper + citation key → CSL-JSON item (pure), the shape Zotero's CSL export gives a preprint.

Type ``article`` (Zotero imports it as a Preprint, pandoc and citeproc cite it), ``id`` and
``citation-key`` = the citation key, ``publisher`` = the repository (``arXiv``) and ``number`` =
``arXiv:<id>`` as Zotero maps a preprint's Repository and Archive ID, ``DOI`` (arXiv's DataCite DOI when
only the id is known), ``URL`` (the paper's one link, :func:`~bibbridge.bib.writer.paper_link`),
``issued`` date-parts, ``abstract``; code and other links in ``note``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..model import Paper
from .writer import other_links, paper_doi, paper_link

# Not "Code: …": citeproc (pandoc) and Zotero read "Name: value" lines of a CSL note as variables
# ("cheater syntax") and drop them from the printed note.
_NOTE_LABELS = {"Code": "Code at", "Project page": "Project page at", "See also": "See also"}


def csl_name(name: str) -> dict[str, str]:
    """``{"family", "given"}``, or ``{"literal"}`` for one-word names and organisations."""
    from ..text.names import split_name

    given, family = split_name(name)
    return {"family": family, "given": given} if given else {"literal": family}


def csl_item(paper: Paper, key: str) -> dict[str, Any]:
    """One CSL-JSON item, keys in a fixed order."""
    item: dict[str, Any] = {"id": key, "type": "article", "title": paper.title}
    names = [n.strip() for n in paper.authors if n.strip()]
    if names:
        item["author"] = [csl_name(n) for n in names]
    if paper.published:
        parts = [int(p) for p in paper.published.split("-") if p.isdigit()]
        if parts:
            item["issued"] = {"date-parts": [parts]}
    if paper.abstract.strip():
        item["abstract"] = paper.abstract.strip()
    doi = paper_doi(paper)
    if doi:
        item["DOI"] = doi
    url = paper_link(paper)
    if url:
        item["URL"] = url
    if paper.arxiv_id:
        item["number"] = f"arXiv:{paper.arxiv_id}"
        item["publisher"] = "arXiv"
        item["source"] = "arXiv.org"
    note = [f"{_NOTE_LABELS[label]} " + ", ".join(urls) for label, urls in other_links(paper, url)]
    if paper.journal_ref:
        note.append(paper.journal_ref)
    if note:
        item["note"] = "\n".join(note)
    item["citation-key"] = key
    return item


def csl_items_json(items: Iterable[dict[str, Any]]) -> str:
    """A JSON array, two-space indented, UTF-8 kept, ending in a newline."""
    return json.dumps(list(items), indent=2, ensure_ascii=False) + "\n"


def to_csl_json_text(papers: Iterable[Paper], keys: dict[str, str]) -> str:
    """The CSL-JSON array for ``papers`` (keys looked up by ``paper.identity``)."""
    return csl_items_json(csl_item(p, keys[p.identity]) for p in papers)
