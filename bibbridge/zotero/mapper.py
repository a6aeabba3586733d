"""Papers → Zotero item data, and the identities of items already in a library. Pure functions.

An arXiv paper becomes the item Zotero's own arXiv importer makes (``preprint``, repository ``arXiv``,
archiveID ``arXiv:<id>``, the arXiv DOI, the abs URL, libraryCatalog ``arXiv.org``, an Extra line
``arXiv:<id> [category]``, ``shortTitle`` = the part before a colon, ``accessDate``, the primary
category as an automatic tag named as the importer names it), plus the citation key in the native
``citationKey`` field.

No hybrids: the preprint keeps the arXiv DOI; a publisher DOI and a journal reference that arXiv lists
go to Extra lines (``Publisher DOI: …``, ``Journal Reference: …``).

Its children (:func:`paper_children`) are links, never uploads (no storage quota): a ``linked_url``
attachment "Preprint PDF", the Hugging Face paper page, code and project pages, and the arXiv comment
as a note "Comment: …". Without children (``--no-attachments``) code and project links go into Extra
as ``Code: <url>`` / ``Project: <url>`` lines instead. A paper without an arXiv id is still a valid
preprint: its ``url`` is the project page (else the code page), its catalog ``Hugging Face Daily Papers``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from ..model import Paper
from ..text import arxiv_doi, find_arxiv_id, normalise_arxiv_id, normalise_doi

ITEM_TYPE = "preprint"
ARXIV_CATALOG = "arXiv.org"
HF_CATALOG = "Hugging Face Daily Papers"

#: arXiv's category taxonomy (https://arxiv.org/category_taxonomy): archive and category names, for
#: the tag Zotero's arXiv importer gives an item ("Computer Science - Machine Learning").
ARXIV_ARCHIVES = {
    "astro-ph": "Astrophysics",
    "cond-mat": "Condensed Matter",
    "cs": "Computer Science",
    "econ": "Economics",
    "eess": "Electrical Engineering and Systems Science",
    "math": "Mathematics",
    "nlin": "Nonlinear Sciences",
    "physics": "Physics",
    "q-bio": "Quantitative Biology",
    "q-fin": "Quantitative Finance",
    "stat": "Statistics",
}
ARXIV_CATEGORIES = {
    "cs.AI": "Artificial Intelligence",
    "cs.AR": "Hardware Architecture",
    "cs.CC": "Computational Complexity",
    "cs.CE": "Computational Engineering, Finance, and Science",
    "cs.CG": "Computational Geometry",
    "cs.CL": "Computation and Language",
    "cs.CR": "Cryptography and Security",
    "cs.CV": "Computer Vision and Pattern Recognition",
    "cs.CY": "Computers and Society",
    "cs.DB": "Databases",
    "cs.DC": "Distributed, Parallel, and Cluster Computing",
    "cs.DL": "Digital Libraries",
    "cs.DM": "Discrete Mathematics",
    "cs.DS": "Data Structures and Algorithms",
    "cs.ET": "Emerging Technologies",
    "cs.FL": "Formal Languages and Automata Theory",
    "cs.GL": "General Literature",
    "cs.GR": "Graphics",
    "cs.GT": "Computer Science and Game Theory",
    "cs.HC": "Human-Computer Interaction",
    "cs.IR": "Information Retrieval",
    "cs.IT": "Information Theory",
    "cs.LG": "Machine Learning",
    "cs.LO": "Logic in Computer Science",
    "cs.MA": "Multiagent Systems",
    "cs.MM": "Multimedia",
    "cs.MS": "Mathematical Software",
    "cs.NA": "Numerical Analysis",
    "cs.NE": "Neural and Evolutionary Computing",
    "cs.NI": "Networking and Internet Architecture",
    "cs.OH": "Other Computer Science",
    "cs.OS": "Operating Systems",
    "cs.PF": "Performance",
    "cs.PL": "Programming Languages",
    "cs.RO": "Robotics",
    "cs.SC": "Symbolic Computation",
    "cs.SD": "Sound",
    "cs.SE": "Software Engineering",
    "cs.SI": "Social and Information Networks",
    "cs.SY": "Systems and Control",
    "econ.EM": "Econometrics",
    "econ.GN": "General Economics",
    "econ.TH": "Theoretical Economics",
    "eess.AS": "Audio and Speech Processing",
    "eess.IV": "Image and Video Processing",
    "eess.SP": "Signal Processing",
    "eess.SY": "Systems and Control",
    "math.AC": "Commutative Algebra",
    "math.AG": "Algebraic Geometry",
    "math.AP": "Analysis of PDEs",
    "math.AT": "Algebraic Topology",
    "math.CA": "Classical Analysis and ODEs",
    "math.CO": "Combinatorics",
    "math.CT": "Category Theory",
    "math.CV": "Complex Variables",
    "math.DG": "Differential Geometry",
    "math.DS": "Dynamical Systems",
    "math.FA": "Functional Analysis",
    "math.GM": "General Mathematics",
    "math.GN": "General Topology",
    "math.GR": "Group Theory",
    "math.GT": "Geometric Topology",
    "math.HO": "History and Overview",
    "math.IT": "Information Theory",
    "math.KT": "K-Theory and Homology",
    "math.LO": "Logic",
    "math.MG": "Metric Geometry",
    "math.MP": "Mathematical Physics",
    "math.NA": "Numerical Analysis",
    "math.NT": "Number Theory",
    "math.OA": "Operator Algebras",
    "math.OC": "Optimization and Control",
    "math.PR": "Probability",
    "math.QA": "Quantum Algebra",
    "math.RA": "Rings and Algebras",
    "math.RT": "Representation Theory",
    "math.SG": "Symplectic Geometry",
    "math.SP": "Spectral Theory",
    "math.ST": "Statistics Theory",
    "nlin.AO": "Adaptation and Self-Organizing Systems",
    "nlin.CD": "Chaotic Dynamics",
    "nlin.CG": "Cellular Automata and Lattice Gases",
    "nlin.PS": "Pattern Formation and Solitons",
    "nlin.SI": "Exactly Solvable and Integrable Systems",
    "physics.acc-ph": "Accelerator Physics",
    "physics.ao-ph": "Atmospheric and Oceanic Physics",
    "physics.app-ph": "Applied Physics",
    "physics.atm-clus": "Atomic and Molecular Clusters",
    "physics.atom-ph": "Atomic Physics",
    "physics.bio-ph": "Biological Physics",
    "physics.chem-ph": "Chemical Physics",
    "physics.class-ph": "Classical Physics",
    "physics.comp-ph": "Computational Physics",
    "physics.data-an": "Data Analysis, Statistics and Probability",
    "physics.ed-ph": "Physics Education",
    "physics.flu-dyn": "Fluid Dynamics",
    "physics.gen-ph": "General Physics",
    "physics.geo-ph": "Geophysics",
    "physics.hist-ph": "History and Philosophy of Physics",
    "physics.ins-det": "Instrumentation and Detectors",
    "physics.med-ph": "Medical Physics",
    "physics.optics": "Optics",
    "physics.plasm-ph": "Plasma Physics",
    "physics.pop-ph": "Popular Physics",
    "physics.soc-ph": "Physics and Society",
    "physics.space-ph": "Space Physics",
    "q-bio.BM": "Biomolecules",
    "q-bio.CB": "Cell Behavior",
    "q-bio.GN": "Genomics",
    "q-bio.MN": "Molecular Networks",
    "q-bio.NC": "Neurons and Cognition",
    "q-bio.OT": "Other Quantitative Biology",
    "q-bio.PE": "Populations and Evolution",
    "q-bio.QM": "Quantitative Methods",
    "q-bio.SC": "Subcellular Processes",
    "q-bio.TO": "Tissues and Organs",
    "q-fin.CP": "Computational Finance",
    "q-fin.EC": "Economics",
    "q-fin.GN": "General Finance",
    "q-fin.MF": "Mathematical Finance",
    "q-fin.PM": "Portfolio Management",
    "q-fin.PR": "Pricing of Securities",
    "q-fin.RM": "Risk Management",
    "q-fin.ST": "Statistical Finance",
    "q-fin.TR": "Trading and Market Microstructure",
    "stat.AP": "Applications",
    "stat.CO": "Computation",
    "stat.ME": "Methodology",
    "stat.ML": "Machine Learning",
    "stat.OT": "Other Statistics",
    "stat.TH": "Statistics Theory",
    # archives without subject classes
    "astro-ph": "Astrophysics",
    "astro-ph.CO": "Cosmology and Nongalactic Astrophysics",
    "astro-ph.EP": "Earth and Planetary Astrophysics",
    "astro-ph.GA": "Astrophysics of Galaxies",
    "astro-ph.HE": "High Energy Astrophysical Phenomena",
    "astro-ph.IM": "Instrumentation and Methods for Astrophysics",
    "astro-ph.SR": "Solar and Stellar Astrophysics",
    "cond-mat.dis-nn": "Disordered Systems and Neural Networks",
    "cond-mat.mes-hall": "Mesoscale and Nanoscale Physics",
    "cond-mat.mtrl-sci": "Materials Science",
    "cond-mat.other": "Other Condensed Matter",
    "cond-mat.quant-gas": "Quantum Gases",
    "cond-mat.soft": "Soft Condensed Matter",
    "cond-mat.stat-mech": "Statistical Mechanics",
    "cond-mat.str-el": "Strongly Correlated Electrons",
    "cond-mat.supr-con": "Superconductivity",
    "gr-qc": "General Relativity and Quantum Cosmology",
    "hep-ex": "High Energy Physics - Experiment",
    "hep-lat": "High Energy Physics - Lattice",
    "hep-ph": "High Energy Physics - Phenomenology",
    "hep-th": "High Energy Physics - Theory",
    "math-ph": "Mathematical Physics",
    "nucl-ex": "Nuclear Experiment",
    "nucl-th": "Nuclear Theory",
    "quant-ph": "Quantum Physics",
}

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


def category_tag(category: str) -> str:
    """The tag Zotero's arXiv importer gives a category: ``cs.CL`` → "Computer Science - Computation
    and Language", ``quant-ph`` → "Quantum Physics"; an unknown category is kept as written."""
    archive = category.split(".", 1)[0]
    name = ARXIV_CATEGORIES.get(category) or ARXIV_ARCHIVES.get(category)
    if name is None:
        return category
    if archive != category and archive in ARXIV_ARCHIVES:
        return f"{ARXIV_ARCHIVES[archive]} - {name}"
    return name


def short_title(title: str) -> str | None:
    """The part of a title before its first colon ("BERT: Pre-training …" → "BERT"), as Zotero
    sets ``shortTitle``; None when there is no colon or nothing before it."""
    head, colon, _ = title.partition(":")
    head = " ".join(head.split())
    return head if colon and head and len(head) < len(title) else None


def access_date(now: datetime | None = None) -> str:
    """``accessDate`` as the Web API writes it: UTC, ``YYYY-MM-DDTHH:MM:SSZ``."""
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def publisher_doi(paper: Paper) -> str | None:
    """The paper's DOI when it is not arXiv's own (a journal's or a conference's)."""
    doi = normalise_doi(paper.doi or "") if paper.doi else None
    if doi and paper.arxiv_id and doi == arxiv_doi(paper.arxiv_id).lower():
        return None
    return paper.doi.strip() if doi and paper.doi else None


def paper_extra(paper: Paper, links: bool = True) -> str:
    """The Extra field: the importer's ``arXiv:<id> [category]`` line, the publisher DOI and journal
    reference of an arXiv paper, then (with ``links``: no link attachments) code and project links."""
    lines: list[str] = []
    if paper.arxiv_id:
        lines.append(
            f"arXiv:{paper.arxiv_id} [{paper.primary_category}]"
            if paper.primary_category
            else f"arXiv:{paper.arxiv_id}"
        )
        doi = publisher_doi(paper)
        if doi:
            lines.append(f"Publisher DOI: {doi}")
    if paper.journal_ref:
        lines.append(f"Journal Reference: {' '.join(paper.journal_ref.split())}")
    if links:
        for kind, label in (("code", "Code"), ("project", "Project")):
            lines.extend(f"{label}: {link}" for link in paper.urls.get(kind, []))
    return "\n".join(lines)


def item_tags(paper: Paper, tags: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The primary category as an automatic tag (type 1, as translators' tags are), then ``tags`` as
    manual ones; each name once."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    if paper.primary_category:
        name = category_tag(paper.primary_category)
        out.append({"tag": name, "type": 1})
        seen.add(name)
    for tag in tags:
        tag = tag.strip()
        if tag and tag not in seen:
            out.append({"tag": tag})
            seen.add(tag)
    return out


def paper_to_item(
    paper: Paper,
    citation_key: str | None,
    collections: Iterable[str] = (),
    tags: Iterable[str] = (),
    accessed: str | None = None,
    links_in_extra: bool = True,
) -> dict[str, Any]:
    """The Zotero item data (Web API JSON ``data`` object) for ``paper``.

    Only fields valid for ``preprint`` in Zotero's schema are produced; empty fields are left out.
    ``tags`` are the user's tags (the category tag is added); ``accessed`` the ``accessDate``;
    ``links_in_extra`` puts code/project links in Extra (when they are not made link attachments).
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
    # no hybrids: a preprint carries arXiv's DOI; a publisher DOI goes to Extra
    doi = arxiv_doi(paper.arxiv_id) if paper.arxiv_id else paper.doi
    if doi:
        item["DOI"] = doi
    if citation_key:
        item["citationKey"] = citation_key
    url = paper.landing_url
    if url:
        item["url"] = url
    if accessed:
        item["accessDate"] = accessed
    short = short_title(paper.title)
    if short:
        item["shortTitle"] = short
    item["libraryCatalog"] = ARXIV_CATALOG if paper.arxiv_id else HF_CATALOG
    extra = paper_extra(paper, links=links_in_extra)
    if extra:
        item["extra"] = extra
    item["tags"] = item_tags(paper, tags)
    item["collections"] = list(collections)
    item["relations"] = {}
    return item


class Child(NamedTuple):
    """A child item to create: ``role`` names it among its siblings (``pdf``, ``hf``, ``code:<url>``,
    ``project:<url>``, ``comment``), ``data`` is its Web API data without key and version."""

    role: str
    data: dict[str, Any]


def hf_paper_url(arxiv_id: str) -> str:
    return f"https://huggingface.co/papers/{arxiv_id}"


def pdf_url(paper: Paper) -> str | None:
    """``https://arxiv.org/pdf/<id><version>``: the version the metadata (and the item's date)
    describes when a source named it (``v2``), else unversioned (arXiv serves the latest)."""
    if not paper.arxiv_id:
        return None
    version = paper.version if paper.version and paper.version[1:].isdigit() else ""
    return f"https://arxiv.org/pdf/{paper.arxiv_id}{version}"


def _link(role: str, parent_key: str, title: str, url: str, content_type: str, accessed: str | None) -> Child:
    data: dict[str, Any] = {
        "itemType": "attachment",
        "parentItem": parent_key,
        "linkMode": "linked_url",
        "title": title,
        "url": url,
        "contentType": content_type,
        "tags": [],
        "relations": {},
    }
    if accessed:
        data["accessDate"] = accessed
    return Child(role, data)


def paper_children(paper: Paper, parent_key: str, accessed: str | None = None) -> list[Child]:
    """The child items of a paper's item: link attachments and the arXiv comment note."""
    out: list[Child] = []
    pdf = pdf_url(paper)
    if pdf:
        out.append(_link("pdf", parent_key, "Preprint PDF", pdf, "application/pdf", accessed))
    if paper.arxiv_id:
        hf_page = hf_paper_url(paper.arxiv_id)
        out.append(_link("hf", parent_key, "Hugging Face paper page", hf_page, "text/html", accessed))
    for kind, title in (("code", "Code"), ("project", "Project page")):
        for url in paper.urls.get(kind, []):
            out.append(_link(f"{kind}:{url}", parent_key, title, url, "text/html", accessed))
    if paper.comment:
        note = f"<p>Comment: {html.escape(' '.join(paper.comment.split()), quote=False)}</p>"
        out.append(
            Child(
                "comment",
                {"itemType": "note", "parentItem": parent_key, "note": note, "tags": [], "relations": {}},
            )
        )
    return out


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
    if doi and doi.startswith("10.48550/arxiv.") and fields.get("publisher doi"):
        # a preprint with arXiv's DOI and a journal DOI in Extra: the journal DOI is the one that tells
        # it from other papers (bibbridge.identity reads the arXiv DOI as the arXiv id)
        doi = normalise_doi(fields["publisher doi"][0]) or doi
    if data.get("itemType") in NON_REGULAR_TYPES:
        return ItemFacts(arxiv_id, doi, _citation_key(data, fields), set())
    identities: set[str] = set()
    if arxiv_id:
        identities.add(f"arxiv:{arxiv_id}")
        identities.add(f"doi:{arxiv_doi(arxiv_id).lower()}")
    if doi:
        identities.add(f"doi:{doi}")
    for value in fields.get("publisher doi", []):  # an arXiv preprint's journal DOI (paper_extra)
        published = normalise_doi(value)
        if published:
            identities.add(f"doi:{published}")
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
    """``title:<folded title>`` by the one rule (:func:`bibbridge.identity.title_key`), for the index's
    SQL prefilter: it must find every item the identity rule would call the same paper."""
    from ..identity import title_key

    key = title_key(title)
    return f"title:{key}" if key else None


def creator_names(data: dict[str, Any]) -> list[str]:
    """Creators as display names ("First Last" or the single name)."""
    names: list[str] = []
    for creator in data.get("creators") or []:
        if creator.get("name"):
            names.append(creator["name"])
        else:
            names.append(" ".join(p for p in (creator.get("firstName"), creator.get("lastName")) if p))
    return names
