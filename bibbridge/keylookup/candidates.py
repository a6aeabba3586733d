"""What key lookup answers with: a :class:`Candidate` (a citable key and its paper) and a :class:`Match`.

A candidate is not a second paper model: it is a :class:`bibbridge.model.Paper` plus the citation key
a source gives it and the source's name. The paper's ``source`` dict says where the entry lives
(``{"file": "refs.bib", "line": 120}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import Paper
from ..text.names import family_name


@dataclass(frozen=True)
class Candidate:
    """A citation key one source knows, with the paper it stands for."""

    key: str
    paper: Paper
    source: str

    @property
    def first_author(self) -> str:
        """The first author's family name, by the one name rule (:mod:`bibbridge.text.names`, which keys
        use too); "" when the source gives no authors."""
        return family_name(self.paper.authors[0]) if self.paper.authors else ""

    def to_dict(self) -> dict[str, Any]:
        paper = self.paper
        return {
            "key": self.key,
            "title": paper.title,
            "authors": list(paper.authors),
            "year": paper.year,
            "doi": paper.doi,
            "arxiv_id": paper.arxiv_id,
            "source": self.source,
            "file": paper.source.get("file"),
            "line": paper.source.get("line"),
        }


@dataclass
class Match:
    """One ranked answer: the candidate, its score (0–100) and what matched.

    ``matched`` is one of ``arxiv``, ``doi``, ``key``, ``key-prefix``, ``key-fuzzy``, ``words``
    (title and/or author and year words). ``sources`` names every source that knows the key, best
    first (the same key in a .bib and in the local registry is one answer).
    """

    candidate: Candidate
    score: int
    matched: str
    sources: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.candidate.key

    def to_dict(self) -> dict[str, Any]:
        data = {"key": self.key, "score": self.score, "matched": self.matched}
        data.update({k: v for k, v in self.candidate.to_dict().items() if k != "key"})
        data["sources"] = list(self.sources or [self.candidate.source])
        return data
