"""The Hugging Face papers API: title search and single papers (JSON, no key needed).

``GET /api/papers/search?q=<text>`` answers an array of ``{"paper": {…}}``; ``GET /api/papers/{id}``
answers one paper object (404 when unknown). A paper's ``id`` is its arXiv id; ``title`` keeps arXiv's
hard line wraps, so whitespace is collapsed. Anonymous use allows about 500 requests per 5 minutes;
a 429 answer's ``Retry-After`` is honoured by :class:`~bibbridge.metadata.http.PoliteClient`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..text import clean_spaces, normalise_arxiv_id
from .candidate import Candidate, iso_date

if TYPE_CHECKING:
    from .http import PoliteClient


def candidate_from_paper(paper: dict[str, Any]) -> Candidate | None:
    """A :class:`Candidate` from one HF paper object; None when it has no title or no arXiv id."""
    title = clean_spaces(str(paper.get("title") or ""))
    arxiv_id = normalise_arxiv_id(str(paper.get("id") or ""))
    if not title or not arxiv_id:
        return None
    authors = [
        clean_spaces(str(a.get("name") or ""))
        for a in paper.get("authors") or []
        if isinstance(a, dict) and str(a.get("name") or "").strip()
    ]
    return Candidate(
        source="hf",
        title=title,
        arxiv_id=arxiv_id,
        authors=authors,
        published=iso_date(paper.get("publishedAt")),
    )


def _json(client: PoliteClient, text: str) -> Any:
    from .http import FetchError

    try:
        return json.loads(text)
    except ValueError:
        raise FetchError(f"{client.name}: answer is not JSON") from None


def search(client: PoliteClient, title: str) -> list[Candidate]:
    """Candidates for ``title`` from ``/api/papers/search`` (the service's order)."""
    from .http import FetchError

    answer = client.get("/api/papers/search", {"q": title})
    if answer.status != 200:
        raise FetchError(f"{client.name}: HTTP {answer.status}")
    data = _json(client, answer.text)
    if not isinstance(data, list):
        raise FetchError(f"{client.name}: unexpected search answer")
    out = []
    for item in data:
        if isinstance(item, dict):
            paper = item.get("paper") if isinstance(item.get("paper"), dict) else item
            candidate = candidate_from_paper(paper)
            if candidate is not None:
                out.append(candidate)
    return out


def fetch_paper(client: PoliteClient, arxiv_id: str) -> Candidate | None:
    """The paper object ``/api/papers/{id}``; None when the Hub does not know it (404)."""
    from .http import FetchError

    answer = client.get(f"/api/papers/{arxiv_id}")
    if answer.status == 404:
        return None
    if answer.status != 200:
        raise FetchError(f"{client.name}: HTTP {answer.status}")
    data = _json(client, answer.text)
    return candidate_from_paper(data) if isinstance(data, dict) else None
