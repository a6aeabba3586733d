"""Fake Hugging Face, arXiv and Semantic Scholar APIs on 127.0.0.1, answering in the real formats.

Each fake serves a catalog of :class:`FakePaper` and behaves like the documented service:

- Hugging Face: ``/api/papers/search?q=`` → JSON array of ``{"paper": {…}}`` ranked by shared words;
  ``/api/papers/{id}`` → the paper object or 404 ``{"error": …}``.
- arXiv: ``/api/query`` with ``search_query=ti:"…"`` (phrase match on plain words) or ``id_list=a,b``
  (200 with the known entries; HTTP 400 error feed naming the first id it calls malformed).
- Semantic Scholar: ``/graph/v1/paper/search/match?query=`` → ``{"data": [best]}`` or 404.

Every fake records its requests in ``server.log``, can answer a scripted ``server.plan`` of
``(status, headers, body)`` first (429 with Retry-After, 503 …), can be slowed by ``server.delay``
seconds, and counts simultaneous connections in ``server.max_active``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from bibbridge.text import fold

from .http import QuietHandler, serve


@dataclass
class FakePaper:
    arxiv_id: str
    title: str
    authors: list[str]
    published: str = "2024-01-15"
    updated: str | None = None
    abstract: str = "An abstract."
    doi: str | None = None
    journal_ref: str | None = None
    primary_category: str = "cs.LG"
    categories: list[str] = field(default_factory=lambda: ["cs.LG"])
    version: int = 1  # the latest version: arXiv answers with it, dated ``updated``


# -- formats ----------------------------------------------------------------------------------
def _wrap(text: str, width: int = 70) -> str:
    """arXiv and HF keep hard line wraps in titles and abstracts ("\\n  ")."""
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n  ".join(lines)


def atom_entry(p: FakePaper, version: int | None = None) -> str:
    version = version or p.version
    authors = "".join(f"\n    <author>\n      <name>{escape(a)}</name>\n    </author>" for a in p.authors)
    extra = ""
    if p.journal_ref:
        extra += f"\n    <arxiv:journal_ref>{escape(p.journal_ref)}</arxiv:journal_ref>"
    cats = "".join(
        f'\n    <category term="{c}" scheme="http://arxiv.org/schemas/atom"/>' for c in p.categories
    )
    doi = ""
    if p.doi:
        doi = (
            f"\n    <arxiv:doi>{escape(p.doi)}</arxiv:doi>"
            f'\n    <link rel="related" href="https://doi.org/{escape(p.doi)}" title="doi"/>'
        )
    updated = p.updated or p.published
    pdf = f"https://arxiv.org/pdf/{p.arxiv_id}v{version}"
    return f"""
  <entry>
    <id>http://arxiv.org/abs/{p.arxiv_id}v{version}</id>
    <title>{escape(_wrap(p.title))}</title>
    <updated>{updated}T12:00:00Z</updated>
    <link href="https://arxiv.org/abs/{p.arxiv_id}v{version}" rel="alternate" type="text/html"/>
    <link href="{pdf}" rel="related" type="application/pdf" title="pdf"/>
    <summary>{escape(p.abstract)}</summary>{cats}
    <published>{p.published}T12:00:00Z</published>
    <arxiv:primary_category term="{p.primary_category}"/>{extra}{authors}{doi}
  </entry>"""


def atom_feed(papers: Iterable[FakePaper], query: str, max_results: int) -> str:
    papers = list(papers)
    entries = "".join(atom_entry(p) for p in papers)
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/fake</id>
  <title>arXiv Query: {escape(query)}&amp;start=0&amp;max_results={max_results}</title>
  <updated>2026-01-20T10:00:00Z</updated>
  <opensearch:itemsPerPage>{max_results}</opensearch:itemsPerPage>
  <opensearch:totalResults>{len(papers)}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>{entries}
</feed>
"""


def error_feed(bad_id: str) -> str:
    where = f"https://arxiv.org/api/errors#incorrect_id_format_for_{escape(bad_id)}"
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/</id>
  <title>arXiv Search Results</title>
  <updated>2026-01-20T10:00:00Z</updated>
  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <entry>
    <id>{where}</id>
    <title>Error</title>
    <updated>2026-01-20T10:00:00Z</updated>
    <link href="{where}" rel="alternate" type="text/html"/>
    <summary>incorrect id format for {escape(bad_id)}</summary>
    <author>
      <name>arXiv api core</name>
    </author>
  </entry>
</feed>
"""


def hf_paper(p: FakePaper) -> dict:
    return {
        "id": p.arxiv_id,
        "authors": [
            {"_id": f"{abs(hash((p.arxiv_id, i))):024x}"[:24], "name": name, "hidden": False}
            for i, name in enumerate(p.authors)
        ],
        "publishedAt": f"{p.published}T17:59:30.000Z",
        "title": _wrap(p.title),
        "summary": _wrap(p.abstract),
        "upvotes": 3,
        "discussionId": f"{abs(hash(p.arxiv_id)):024x}"[:24],
    }


def s2_paper(p: FakePaper) -> dict:
    ids: dict = {"ArXiv": p.arxiv_id, "CorpusId": abs(hash(p.arxiv_id)) % 10**9}
    if p.doi:
        ids["DOI"] = p.doi
    return {
        "paperId": f"{abs(hash(p.title)):040x}"[:40],
        "title": p.title,
        "matchScore": 180.5,
        "externalIds": ids,
        "authors": [{"authorId": str(1000 + i), "name": a} for i, a in enumerate(p.authors)],
        "year": int(p.published[:4]),
        "venue": "",
        "publicationDate": p.published,
    }


# -- servers ----------------------------------------------------------------------------------
class _FakeHandler(QuietHandler):
    disable_nagle_algorithm = True  # headers and body are written apart: no 40 ms delayed-ACK stall

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        server = self.server
        with server.lock:
            server.active += 1
            server.max_active = max(server.max_active, server.active)
            server.log.append((time.monotonic(), self.path))
            scripted = server.plan.pop(0) if server.plan else None
        try:
            if server.delay:
                time.sleep(server.delay)
            if scripted is not None:
                status, headers, body = scripted
            else:
                url = urlsplit(self.path)
                status, headers, body = self.answer(
                    url.path, {k: v[0] for k, v in parse_qs(url.query).items()}
                )
            data = body.encode("utf-8")
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)
        finally:
            with server.lock:
                server.active -= 1

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        raise NotImplementedError


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    return tuple(fold(text).split())


class FakeHF(_FakeHandler):
    def answer(self, path, query):
        json_type = {"Content-Type": "application/json; charset=utf-8"}
        catalog: list[FakePaper] = self.server.catalog
        if path == "/api/papers/search":
            q = set(_words(query.get("q", "")))
            ranked = []
            for p in catalog:
                shared = len(q & set(_words(p.title)))
                if q and shared / len(q) >= 0.6:
                    ranked.append((shared, p))
            ranked.sort(key=lambda item: -item[0])
            return 200, json_type, json.dumps([{"paper": hf_paper(p)} for _, p in ranked[:10]])
        m = re.fullmatch(r"/api/papers/(.+)", path)
        if m:
            for p in catalog:
                if p.arxiv_id == m.group(1):
                    return 200, json_type, json.dumps(hf_paper(p))
            return 404, json_type, json.dumps({"error": "Paper not found"})
        return 404, json_type, json.dumps({"error": "Not found"})


class FakeArxiv(_FakeHandler):
    ID_FORMAT = re.compile(r"^(\d{2}(0[1-9]|1[0-2])\.\d{4,5}|[a-z\-]+(\.[A-Z]{2})?/\d{7})$")

    def answer(self, path, query):
        atom = {"Content-Type": "application/atom+xml; charset=utf-8"}
        catalog: list[FakePaper] = self.server.catalog
        max_results = int(query.get("max_results", 10))
        if path != "/api/query":
            return 404, {"Content-Type": "text/plain"}, "not found"
        if query.get("id_list"):
            ids = query["id_list"].split(",")
            for i in ids:
                if not self.ID_FORMAT.match(i):
                    return 400, atom, error_feed(i)
            by_id = {p.arxiv_id: p for p in catalog}
            found = [by_id[i] for i in ids if i in by_id][:max_results]
            return 200, atom, atom_feed(found, f"search_query=&id_list={query['id_list']}", max_results)
        search = query.get("search_query", "")
        m = re.fullmatch(r'ti:"([^"]*)"', search)
        if not m:
            return 200, atom, atom_feed([], f"search_query={search}", max_results)
        phrase = " ".join(_words(m.group(1)))
        hits = [p for p in catalog if phrase and f" {phrase} " in f" {' '.join(_words(p.title))} "]
        return 200, atom, atom_feed(hits[:max_results], f"search_query={search}", max_results)


class FakeS2(_FakeHandler):
    def answer(self, path, query):
        json_type = {"Content-Type": "application/json"}
        if path != "/graph/v1/paper/search/match":
            return 404, json_type, json.dumps({"error": "Not found"})
        q = fold(query.get("query", ""))
        for p in self.server.catalog:
            if fold(p.title) == q:
                return 200, json_type, json.dumps({"data": [s2_paper(p)]})
        return 404, json_type, json.dumps({"error": "Title match not found"})


@contextmanager
def serve_fake(handler: type[_FakeHandler], catalog: Iterable[FakePaper] = (), **attrs: object) -> Iterator:
    """Run one fake service; yields ``(base_url, server)``."""
    defaults = {"catalog": list(catalog), "log": [], "plan": [], "delay": 0.0, "active": 0, "max_active": 0}
    defaults.update(attrs)
    with serve(handler, lock=threading.Lock(), **defaults) as (url, server):
        yield url, server


@contextmanager
def fake_services(
    hf: Iterable[FakePaper] = (), arxiv: Iterable[FakePaper] = (), s2: Iterable[FakePaper] = ()
):
    """All three fakes; yields a dict ``{"hf": server, "arxiv": server, "s2": server}`` with ``.url``."""
    with (
        serve_fake(FakeHF, hf) as (hf_url, hf_server),
        serve_fake(FakeArxiv, arxiv) as (
            ax_url,
            ax_server,
        ),
        serve_fake(FakeS2, s2) as (s2_url, s2_server),
    ):
        hf_server.url, ax_server.url, s2_server.url = hf_url, ax_url, s2_url
        yield {"hf": hf_server, "arxiv": ax_server, "s2": s2_server}
