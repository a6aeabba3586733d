"""Semantic Scholar's title match (optional: its keyless pool is small and shared).

``GET /graph/v1/paper/search/match?query=<title>&fields=…`` answers ``{"data": [{"paperId", "title",
"matchScore", "externalIds": {"ArXiv", "DOI"}, "authors": [{"name"}], …}]}``, or 404 with
``{"error": "Title match not found"}``. An API key, when set in ``SEMANTIC_SCHOLAR_API_KEY``, is sent
as ``x-api-key`` (never printed).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..text import clean_spaces, normalise_arxiv_id
from .candidate import Candidate, iso_date

if TYPE_CHECKING:
    from .http import PoliteClient

FIELDS = "title,externalIds,authors,year,venue,publicationDate"


def candidate_from_s2(item: dict[str, Any]) -> Candidate | None:
    title = clean_spaces(str(item.get("title") or ""))
    if not title:
        return None
    ids = item.get("externalIds") or {}
    return Candidate(
        source="s2",
        title=title,
        arxiv_id=normalise_arxiv_id(str(ids.get("ArXiv") or "")),
        authors=[
            clean_spaces(str(a.get("name") or ""))
            for a in item.get("authors") or []
            if isinstance(a, dict) and str(a.get("name") or "").strip()
        ],
        published=iso_date(item.get("publicationDate")),
        doi=str(ids["DOI"]) if ids.get("DOI") else None,
    )


def match_title(client: PoliteClient, title: str) -> list[Candidate]:
    """The best title match Semantic Scholar offers for ``title`` ([] when it finds none)."""
    from .http import FetchError

    answer = client.get("/graph/v1/paper/search/match", {"query": title, "fields": FIELDS})
    if answer.status == 404:
        return []
    if answer.status != 200:
        raise FetchError(f"{client.name}: HTTP {answer.status}")
    try:
        data = json.loads(answer.text)
    except ValueError:
        raise FetchError(f"{client.name}: answer is not JSON") from None
    items = data.get("data") if isinstance(data, dict) else None
    return [c for item in items or [] if isinstance(item, dict) for c in [candidate_from_s2(item)] if c]
