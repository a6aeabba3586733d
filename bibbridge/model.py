"""The one record type of bibbridge: :class:`Paper`.

Every reader produces Papers, every writer, mapper and sync step consumes them. A paper's identity is
its arXiv id when known, else its DOI, else its folded title; when two records are the same paper is
decided by :mod:`bibbridge.identity` (the same paper met twice is merged into one record).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from .identity import IdentityIndex, Ids, paper_ids, same_paper, title_key
from .text import normalise_arxiv_id, normalise_doi

#: The JSON field names, in output order (``bibbridge parse`` writes them in this order).
FIELD_ORDER = (
    "title",
    "abstract",
    "authors",
    "author_count",
    "published",
    "year_inferred",
    "upvotes",
    "organization",
    "arxiv_id",
    "version",
    "doi",
    "primary_category",
    "journal_ref",
    "comment",
    "urls",
    "source",
)

URL_KINDS = ("code", "project", "other")


def empty_urls() -> dict[str, list[str]]:
    return {kind: [] for kind in URL_KINDS}


@dataclass
class Paper:
    """A paper as a digest (or a resolver) knows it.

    Attributes:
        title: the title as printed, whitespace collapsed.
        abstract: the abstract as printed ("" when the digest has none).
        authors: author names in order, "First Last" as given; empty when unknown.
        author_count: the number of authors the digest states (``• 3 authors``), or ``len(authors)``.
        published: ISO date ``YYYY-MM-DD`` or None.
        year_inferred: True when the digest printed a date without a year and the year was inferred
            from the capture date (``--as-of``); a resolver may replace such a date.
        upvotes: Hugging Face upvotes, or None.
        organization: the organization as the digest shows it (``zai-org Z.ai``), or None.
        arxiv_id: bare arXiv id without version (``2310.12920``), or None.
        version: the arXiv version the metadata describes (``v2``), when a source said; ``published``
            is that version's date (see :func:`bibbridge.metadata.resolver` for the one date rule).
        doi: DOI as given (the arXiv DOI is derived, not stored here unless a source gave it), or None.
        primary_category: arXiv primary category (``cs.LG``) when a source gave it, or None.
        journal_ref: arXiv journal reference when a source gave it, or None.
        comment: the arXiv comment ("13 pages, accepted at ACL") when a source gave it, or None.
        urls: ``{"code": [...], "project": [...], "other": [...]}`` links found in the abstract or
            given by the source.
        source: ``{"file": str, "line": int}`` where the paper starts (line is 1-based; None for
            sources without lines), or ``{"url": str, "date": "YYYY-MM-DD"}`` for a paper fetched from
            the Hub (the Daily Papers date; None for a single paper).
    """

    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    author_count: int | None = None
    published: str | None = None
    year_inferred: bool = False
    upvotes: int | None = None
    organization: str | None = None
    arxiv_id: str | None = None
    version: str | None = None
    doi: str | None = None
    primary_category: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    urls: dict[str, list[str]] = field(default_factory=empty_urls)
    source: dict[str, Any] = field(default_factory=lambda: {"file": None, "line": None})

    def __post_init__(self) -> None:
        if self.arxiv_id:
            self.arxiv_id = normalise_arxiv_id(self.arxiv_id) or self.arxiv_id
        for kind in URL_KINDS:
            self.urls.setdefault(kind, [])

    # -- identity -----------------------------------------------------------------------------
    @property
    def identity(self) -> str:
        """``arxiv:<id>`` when the arXiv id is known, else ``doi:<doi>`` (a DOI other than arXiv's),
        else ``title:<folded title>``: one string a paper, for keying dicts by paper."""
        if self.arxiv_id:
            return f"arxiv:{self.arxiv_id}"
        if self.doi:
            ids = paper_ids(self)
            if ids.arxiv_id:
                return f"arxiv:{ids.arxiv_id}"
            if ids.doi:
                return f"doi:{ids.doi}"
        return f"title:{self.title_key}"

    @property
    def ids(self) -> Ids:
        """The paper's identifiers (:class:`bibbridge.identity.Ids`)."""
        return paper_ids(self)

    @property
    def title_key(self) -> str:
        """The folded title (:func:`bibbridge.identity.title_key`)."""
        return title_key(self.title)

    @property
    def doi_key(self) -> str | None:
        """The DOI in comparable form, the arXiv DOI when only the id is known."""
        if self.doi:
            return normalise_doi(self.doi)
        if self.arxiv_id:
            return f"10.48550/arxiv.{self.arxiv_id}".lower()
        return None

    @property
    def year(self) -> str | None:
        return self.published[:4] if self.published else None

    @property
    def landing_url(self) -> str | None:
        """The paper's one link (every output's URL): the arXiv abstract page when the id is known, else
        a Hugging Face paper page, else the first project page that is not on a code host; None
        otherwise. A repository is never the paper's link (code links go to notes and children)."""
        if self.arxiv_id:
            return f"https://arxiv.org/abs/{self.arxiv_id}"
        for kind in ("project", "other", "code"):
            for url in self.urls.get(kind, []):
                rest = url.split("://", 1)[-1].lower().removeprefix("www.")
                if rest.startswith(("huggingface.co/papers/", "hf.co/papers/")):
                    return url
        from .readers.urls import classify  # the one rule for what a code host is

        for url in self.urls.get("project", []):
            if classify(url) != "code":
                return url
        return None

    # -- (de)serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with the fields in :data:`FIELD_ORDER`."""
        return {
            name: (
                list(value)
                if isinstance(value, list)
                else {k: list(v) if isinstance(v, list) else v for k, v in value.items()}
                if isinstance(value, dict)
                else value
            )
            for name in FIELD_ORDER
            for value in (getattr(self, name),)
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Paper:
        """Build a Paper from :meth:`to_dict` output (unknown keys are ignored)."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        if "urls" in kwargs and kwargs["urls"] is not None:
            kwargs["urls"] = {k: list(kwargs["urls"].get(k) or []) for k in URL_KINDS}
        if kwargs.get("source") is None:
            kwargs.pop("source", None)
        return cls(**kwargs)

    # -- merging ------------------------------------------------------------------------------
    def merge(self, other: Paper) -> Paper:
        """Combine two sightings of the same paper into one record.

        The first sighting keeps its source and text; fields it lacks are filled from ``other``; the
        longer author list wins; a dated year beats an inferred one; URLs are united in order.
        """
        merged = Paper.from_dict(self.to_dict())
        filled = (
            "abstract",
            "organization",
            "arxiv_id",
            "version",
            "doi",
            "primary_category",
            "journal_ref",
            "comment",
        )
        for name in filled:
            if not getattr(merged, name) and getattr(other, name):
                setattr(merged, name, getattr(other, name))
        if len(other.authors) > len(merged.authors):
            merged.authors = list(other.authors)
        if merged.author_count is None:
            merged.author_count = other.author_count
        if other.published and (not merged.published or (merged.year_inferred and not other.year_inferred)):
            merged.published = other.published
            merged.year_inferred = other.year_inferred
        if other.upvotes is not None and (merged.upvotes is None or other.upvotes > merged.upvotes):
            merged.upvotes = other.upvotes
        for kind in URL_KINDS:
            for url in other.urls.get(kind, []):
                if url not in merged.urls[kind]:
                    merged.urls[kind].append(url)
        return merged


def dedupe(papers: list[Paper]) -> list[Paper]:
    """Merge the records of the same paper (:func:`bibbridge.identity.same_paper`), keeping first-seen
    order: a paper known by title in one place and by arXiv id in another is one paper; the same title
    with two different arXiv ids or DOIs is two."""
    index: IdentityIndex[int] = IdentityIndex()
    current: list[Ids] = []  # the Ids of out[i] as merged so far
    out: list[Paper] = []
    for paper in papers:
        ids = paper_ids(paper)  # the title folded once: folding is the cost of deduping large digests
        candidates = index.match_or_add(ids, len(out))  # [] (and added) when it matches nothing
        found = None
        for index_of in candidates:
            if same_paper(ids, current[index_of]):  # still, after what was merged into it
                found = index_of
                break
        if found is None:
            if candidates:  # it matched only records that merges have made another paper since
                index.add(ids, len(out))
            current.append(ids)
            out.append(paper)
            continue
        merged = out[found] = out[found].merge(paper)
        # The merged record keeps the first sighting's title: only its arXiv id or DOI can be new.
        new = paper_ids(merged, current[found].title)
        if new != current[found]:
            index.add(new, found)
            current[found] = new
    return out
