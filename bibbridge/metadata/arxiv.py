"""The arXiv API (``/api/query``): title search and batched id look-ups, Atom parsed with the stdlib.

Title search pitfalls (see arXiv's API manual): unquoted words match separately, and colons or hyphens
inside a title break or negate the query. So the title is folded to plain words, searched as one
quoted ``ti:"…"`` phrase, and every candidate is compared with the record locally afterwards.
A malformed id makes arXiv answer HTTP 400 with a feed of one entry titled "Error"; an unknown but
well-formed id answers 200 with no entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..text import clean_spaces, fold, normalise_arxiv_id
from .candidate import Candidate, iso_date

if TYPE_CHECKING:
    from .http import PoliteClient

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
#: arXiv answers at most this many ids per id_list request in one page (and asks for batching).
BATCH_SIZE = 100
SEARCH_RESULTS = 10
_BAD_ID = re.compile(r"incorrect id format for (\S+)", re.IGNORECASE)
_VERSION = re.compile(r"(v\d+)$")


class ArxivError(Exception):
    """arXiv's error feed (HTTP 400): ``message`` is its summary, ``bad_id`` the id it names, if any."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        match = _BAD_ID.search(message)
        self.bad_id = match.group(1) if match else None


def title_query(title: str) -> str:
    """The ``search_query`` value for a title: ``ti:"plain folded words"``."""
    return f'ti:"{fold(title)}"'


def parse_feed(text: str) -> list[Candidate]:
    """The entries of an Atom answer; raises :class:`ArxivError` for arXiv's error feed."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ArxivError(f"unreadable answer ({exc})") from None
    out: list[Candidate] = []
    for entry in root.iter(f"{ATOM}entry"):
        entry_id = (entry.findtext(f"{ATOM}id") or "").strip()
        title = clean_spaces(entry.findtext(f"{ATOM}title") or "")
        if "/api/errors" in entry_id or (title == "Error" and "arxiv.org/abs/" not in entry_id):
            raise ArxivError(clean_spaces(entry.findtext(f"{ATOM}summary") or "error"))
        arxiv_id = normalise_arxiv_id(entry_id)
        if not arxiv_id:
            continue
        primary = entry.find(f"{ARXIV}primary_category")
        doi = entry.findtext(f"{ARXIV}doi")
        version = _VERSION.search(entry_id)
        journal_ref = entry.findtext(f"{ARXIV}journal_ref")
        comment = entry.findtext(f"{ARXIV}comment")
        out.append(
            Candidate(
                source="arxiv",
                title=title,
                arxiv_id=arxiv_id,
                authors=[
                    clean_spaces(a.findtext(f"{ATOM}name") or "")
                    for a in entry.findall(f"{ATOM}author")
                    if (a.findtext(f"{ATOM}name") or "").strip()
                ],
                published=iso_date(entry.findtext(f"{ATOM}published")),
                updated=iso_date(entry.findtext(f"{ATOM}updated")),
                doi=clean_spaces(doi) if doi and doi.strip() else None,
                primary_category=primary.get("term") if primary is not None else None,
                journal_ref=clean_spaces(journal_ref) if journal_ref and journal_ref.strip() else None,
                comment=clean_spaces(comment) if comment and comment.strip() else None,
                version=version.group(1) if version else None,
            )
        )
    return out


def search_title(client: PoliteClient, title: str, max_results: int = SEARCH_RESULTS) -> list[Candidate]:
    """Papers whose title contains the folded words of ``title`` as a phrase (arXiv's own ranking)."""
    answer = client.get(
        "/api/query", {"search_query": title_query(title), "start": 0, "max_results": max_results}
    )
    if answer.status >= 400 and answer.status != 400:
        from .http import FetchError

        raise FetchError(f"arXiv: HTTP {answer.status}")
    return parse_feed(answer.text)


def fetch_ids(client: PoliteClient, ids: Iterable[str]) -> tuple[dict[str, Candidate], dict[str, str]]:
    """Look up ``ids`` (≤ :data:`BATCH_SIZE`) in one request.

    Returns ``(found, refused)``: records by id, and ids arXiv called malformed with its message. An id
    in neither was unknown to arXiv. When arXiv refuses one id of a batch, the batch is asked again
    without it (each refusal costs one more request; arXiv names one bad id per answer).
    """
    from .http import FetchError

    pending = list(dict.fromkeys(ids))
    if len(pending) > BATCH_SIZE:
        raise ValueError(f"at most {BATCH_SIZE} ids per request")
    refused: dict[str, str] = {}
    while pending:
        answer = client.get(
            "/api/query", {"id_list": ",".join(pending), "start": 0, "max_results": len(pending)}
        )
        if answer.status >= 400 and answer.status != 400:
            raise FetchError(f"arXiv: HTTP {answer.status}")
        try:
            records = parse_feed(answer.text)
        except ArxivError as exc:
            bad = exc.bad_id if exc.bad_id in pending else None
            if bad is None:
                if len(pending) == 1:  # the only id must be the one it means
                    refused[pending[0]] = str(exc)
                    return {}, refused
                raise FetchError(f"arXiv: {exc}") from None
            refused[bad] = str(exc)
            pending.remove(bad)
            continue
        wanted = set(pending)
        return {r.arxiv_id: r for r in records if r.arxiv_id in wanted}, refused
    return {}, refused
