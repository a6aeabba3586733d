"""What a metadata source says about one paper: a :class:`Candidate`, compared with the digest's record."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Candidate:
    """One paper as a source describes it.

    Attributes:
        source: ``hf``, ``arxiv`` or ``s2``.
        title: the source's title, whitespace collapsed.
        arxiv_id: bare arXiv id (no version), or None (Semantic Scholar papers outside arXiv).
        authors: author names in order ("First Last").
        published: ISO date of the first version, or None.
        updated: ISO date of the latest version (arXiv only), or None.
        version: the version the record describes (``v3``: arXiv answers with the latest), or None.
        doi: the publisher DOI the source gives, or None.
        primary_category: arXiv primary category, or None.
        journal_ref: arXiv journal reference, or None.
        comment: arXiv comment, or None.
    """

    source: str
    title: str
    arxiv_id: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    updated: str | None = None
    doi: str | None = None
    primary_category: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    version: str | None = None

    @property
    def version_date(self) -> str | None:
        """The one date rule: the date of the version this metadata describes.

        arXiv describes its latest version, dated ``updated`` (Zotero's arXiv importer and arXiv's own
        BibTeX export date a paper so too); a source without versions gives only ``published``.
        """
        return self.updated or self.published

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Candidate:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})


def iso_date(value: Any) -> str | None:
    """``2017-07-27T08:18:33Z`` → ``2017-07-27``; None for anything that is not such a date."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    day = value[:10]
    if day[4] != "-" or day[7] != "-" or not (day[:4] + day[5:7] + day[8:]).isdigit():
        return None
    return day
