"""A fake Hugging Face Hub on 127.0.0.1 serving Daily Papers the way huggingface.co does.

- ``GET /api/daily_papers?date=YYYY-MM-DD`` (or ``week=YYYY-Www``, ``month=YYYY-MM``): a JSON array of
  entries ``{"paper": {…}, "publishedAt", "title", "summary", "thumbnail", "numComments",
  "submittedBy", "organization"?}`` in the real shape (``paper.title``/``summary`` keep arXiv's hard line
  wraps), most upvoted first; pages of ``limit`` (default 50, more than 100 is HTTP 400) numbered by
  ``p`` from 0. A day without papers (a weekend) answers ``[]``; a malformed date HTTP 400.
- ``GET /api/papers/{id}``: the paper object, or 404 ``{"error": "Entry not found"}``.
- Everything :mod:`tests.support.paper_services` fakes do: ``server.log`` of requests, a scripted
  ``server.plan`` answered first (429 with ``Retry-After`` …), ``server.delay``.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from .paper_services import _FakeHandler, _wrap, serve_fake

JSON = {"Content-Type": "application/json; charset=utf-8"}


@dataclass
class DailyPaper:
    arxiv_id: str
    title: str
    authors: list[str]
    day: str  # the Daily Papers date
    published: str = "2024-10-22"  # arXiv's first version
    abstract: str = "We study things. Code is at https://github.com/example/things."
    upvotes: int = 1
    github: str | None = None
    project: str | None = None
    organization: dict | None = None
    hidden: list[int] = field(default_factory=list)  # author positions the Hub marks hidden


def paper_object(p: DailyPaper) -> dict:
    paper = {
        "id": p.arxiv_id,
        "authors": [
            {"_id": f"{i:024x}", "name": name, "hidden": i in p.hidden} for i, name in enumerate(p.authors)
        ],
        "publishedAt": f"{p.published}T17:59:30.000Z",
        "submittedOnDailyAt": f"{p.day}T00:57:09.392Z",
        "title": _wrap(p.title),
        "summary": _wrap(p.abstract),
        "upvotes": p.upvotes,
        "discussionId": f"{abs(hash(p.arxiv_id)):024x}"[:24],
    }
    if p.github:
        paper["githubRepo"] = p.github
    if p.project:
        paper["projectPage"] = p.project
    if p.organization:
        paper["organization"] = p.organization
    return paper


def entry(p: DailyPaper) -> dict:
    out = {
        "paper": paper_object(p),
        "publishedAt": f"{p.day}T00:57:09.392Z",
        "title": " ".join(p.title.split()),
        "summary": " ".join(p.abstract.split()),
        "thumbnail": f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{p.arxiv_id}.png",
        "numComments": 0,
        "submittedBy": {"_id": "0" * 24, "fullname": "AK", "user": "akhaliq", "type": "user"},
    }
    if p.organization:
        out["organization"] = p.organization
    return out


def _days(query: dict[str, str]) -> list[str] | None:
    """The days a query names; None when its value is malformed."""
    try:
        if "date" in query:
            return [datetime.date.fromisoformat(query["date"]).isoformat()]
        if "week" in query:
            year, week = query["week"].split("-W")
            monday = datetime.date.fromisocalendar(int(year), int(week), 1)
            return [(monday + datetime.timedelta(days=n)).isoformat() for n in range(7)]
        if "month" in query:
            year, month = map(int, query["month"].split("-"))
            day = datetime.date(year, month, 1)
            out = []
            while day.month == month:
                out.append(day.isoformat())
                day += datetime.timedelta(days=1)
            return out
    except ValueError:
        return None
    return None


class FakeHub(_FakeHandler):
    def answer(self, path, query):
        catalog: list[DailyPaper] = self.server.catalog
        if path == "/api/daily_papers":
            days = _days(query) if {"date", "week", "month"} & query.keys() else [self.server.today]
            if days is None:
                return 400, JSON, json.dumps({"error": "Invalid date"})
            try:
                limit, page = int(query.get("limit", 50)), int(query.get("p", 0))
            except ValueError:
                return 400, JSON, json.dumps({"error": "Invalid limit or p"})
            if not 1 <= limit <= 100 or page < 0:
                return 400, JSON, json.dumps({"error": '"limit" must be less than or equal to 100'})
            wanted = set(days)
            hits = sorted((p for p in catalog if p.day in wanted), key=lambda p: (-p.upvotes, p.day))
            return 200, JSON, json.dumps([entry(p) for p in hits[page * limit : (page + 1) * limit]])
        if path.startswith("/api/papers/") and path.count("/") >= 3:
            wanted = path[len("/api/papers/") :]
            for p in catalog:
                if p.arxiv_id == wanted:
                    return 200, JSON, json.dumps(paper_object(p))
            return 404, JSON, json.dumps({"error": "Entry not found"})
        return 404, JSON, json.dumps({"error": "Not found"})


def daily_catalog(first: str, days: int, per_weekday: int = 12) -> list[DailyPaper]:
    """Papers for ``days`` days from ``first``: ``per_weekday`` a weekday, none on weekends."""
    out: list[DailyPaper] = []
    start = datetime.date.fromisoformat(first)
    for n in range(days):
        day = start + datetime.timedelta(days=n)
        if day.weekday() >= 5:
            continue
        for k in range(per_weekday):
            serial = n * 100 + k
            out.append(
                DailyPaper(
                    arxiv_id=f"{day:%y%m}.{10000 + serial:05d}",
                    title=f"Paper {serial} of {day.isoformat()}: Scaling Things with Other Things",
                    authors=[f"Author{serial} One", f"Ana Second{k}", "Hidden Person"],
                    day=day.isoformat(),
                    published=(day - datetime.timedelta(days=2)).isoformat(),
                    upvotes=100 - k,
                    hidden=[2],
                )
            )
    return out


@contextmanager
def fake_hub(catalog: list[DailyPaper], today: str = "2024-10-25") -> Iterator:
    """Run the fake Hub; yields its server (``.url`` is its base URL, ``.log`` its requests)."""
    with serve_fake(FakeHub, catalog, today=today) as (url, server):
        server.url = url
        yield server
