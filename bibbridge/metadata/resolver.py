"""Complete digest records from public metadata: find each paper's arXiv id, then ask arXiv for it.

Order of work (every answer cached, see :mod:`bibbridge.metadata.cache`):

1. each record without an arXiv id is searched by title on Hugging Face, then arXiv (``ti:`` search),
   then, when asked for, Semantic Scholar; the first candidate accepted by
   :func:`bibbridge.metadata.match.choose` wins;
2. every record with an id (given or found) is looked up on arXiv, up to 100 ids per request, for
   authors, dates, primary category, DOI and journal reference; a found id whose arXiv title does not
   match the record is dropped again;
3. the record keeps its own title and abstract; authors, ids, DOI, category and journal reference
   fill what it lacks. The one date rule: a record completed from arXiv takes the date of the arXiv
   version the metadata describes (arXiv answers with the latest version: its ``updated`` date, as
   Zotero's arXiv importer and arXiv's BibTeX export use) and keeps that version (``v2``) in
   ``Paper.version``; a key once given is not changed by it (the key registry pins keys).

A service that cannot be reached (DNS, refused, timeout) is switched off at its first failure and named
once in :attr:`ResolveReport.notices`; the run goes on with the other services and the cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Paper, dedupe
from ..text import fold, normalise_arxiv_id
from .candidate import Candidate
from .match import choose, compare_titles, expected_authors
from .settings import ResolveSettings

SOURCE_NAMES = {"hf": "Hugging Face", "arxiv": "arXiv", "s2": "Semantic Scholar"}


@dataclass
class Unresolved:
    """A record left as the digest had it, and why."""

    paper: Paper
    reason: str

    def __str__(self) -> str:
        src = self.paper.source or {}
        where = f"{src.get('file')}:{src.get('line')}: " if src.get("file") and src.get("line") else ""
        return f"{where}{self.paper.title}: {self.reason}"


@dataclass
class ResolveReport:
    """What :func:`resolve` did.

    Attributes:
        papers: every record, completed where possible, in input order (none dropped or added).
        resolved: the records that were completed.
        unresolved: the records left as they were, with the reason.
        cached: records answered entirely from the cache (no request made for them).
        requests: HTTP requests sent (retries included); ``requests_by_source`` splits them.
    """

    papers: list[Paper]
    resolved: list[Paper]
    unresolved: list[Unresolved]
    cached: int
    requests: int
    requests_by_source: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    complete: int = 0

    def summary(self) -> str:
        by = ", ".join(f"{SOURCE_NAMES[s]} {n}" for s, n in self.requests_by_source.items() if n)
        already = f", already complete {self.complete}" if self.complete else ""
        return (
            f"resolved {len(self.resolved)}, unresolved {len(self.unresolved)}, "
            f"from cache {self.cached}{already}, requests {self.requests}" + (f" ({by})" if by else "")
        )


@dataclass
class ResolveProgress:
    """Progress reports: ``stage`` is ``"search"`` (titles) or ``"arxiv"`` (ids)."""

    stage: str
    done: int
    total: int
    matched: int = 0
    unmatched: int = 0
    cached: int = 0


@dataclass
class _Work:
    paper: Paper
    given_id: str | None = None
    candidate: Candidate | None = None
    reasons: list[str] = field(default_factory=list)
    lookups: int = 0
    fetched: bool = False  # a request was made for it
    missed: bool = False  # offline, and the cache did not know it

    @property
    def from_cache(self) -> bool:
        return self.lookups > 0 and not self.fetched and not self.missed

    @property
    def lookup_id(self) -> str | None:
        return self.given_id or (self.candidate.arxiv_id if self.candidate else None)


class _Services:
    """Lazily opened clients, one per service, and the cache."""

    def __init__(
        self,
        settings: ResolveSettings,
        offline: bool,
        cache_path: str | Path | None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        from .cache import ResolveCache

        self.settings = settings
        self.offline = offline
        self.cache = ResolveCache(cache_path)
        self.clients: dict = {}
        self.notify = notify
        self.announced: list[str] = []

    def client(self, source: str):  # noqa: ANN201 - PoliteClient, imported lazily
        if source not in self.clients:
            import os

            from .http import PoliteClient

            s = self.settings
            url, interval = {
                "hf": (s.hf_url, s.hf_interval),
                "arxiv": (s.arxiv_url, s.arxiv_interval),
                "s2": (s.s2_url, s.s2_interval),
            }[source]
            headers = {}
            if source == "s2" and os.environ.get("SEMANTIC_SCHOLAR_API_KEY"):
                headers["x-api-key"] = os.environ["SEMANTIC_SCHOLAR_API_KEY"]
            self.clients[source] = PoliteClient(
                url,
                name=SOURCE_NAMES[source],
                min_interval=interval,
                timeout=s.timeout,
                retries=s.retries,
                backoff=s.backoff,
                max_wait=s.max_wait,
                headers=headers,
            )
        return self.clients[source]

    def requests(self) -> dict[str, int]:
        return {name: client.requests for name, client in self.clients.items()}

    def check_reachable(self, source: str) -> None:
        """After a failure: say once (at that moment) that ``source`` could not be reached."""
        client = self.clients.get(source)
        if client is None or not client.unreachable or source in self.announced:
            return
        self.announced.append(source)
        if self.notify is not None:
            self.notify(self.notice(source))

    def notice(self, source: str) -> str:
        return (
            f"{SOURCE_NAMES[source]} could not be reached: {self.clients[source].unreachable}; "
            "no more requests to it in this run"
        )

    def notices(self) -> list[str]:
        return [self.notice(name) for name in self.announced]

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        self.cache.close()


def _search(services: _Services, work: _Work, source: str) -> list[Candidate] | None:
    """Candidates from one source (cache first); None when the source could not answer."""
    from .arxiv import ArxivError, search_title
    from .hf import search
    from .http import FetchError
    from .s2 import match_title

    paper = work.paper
    query = fold(paper.title)
    work.lookups += 1
    cached = services.cache.get_search(source, query)
    if cached is not None:
        candidates, fetched_at = cached
        fresh = time.time() - fetched_at < services.settings.negative_ttl
        if services.offline or fresh or choose(paper, candidates).candidate is not None:
            return candidates
    if services.offline:
        work.missed = True
        work.reasons.append(f"{SOURCE_NAMES[source]}: not in the cache (offline)")
        return None
    client = services.client(source)
    work.fetched = True
    try:
        if source == "hf":
            candidates = search(client, paper.title)
        elif source == "arxiv":
            try:
                candidates = search_title(client, paper.title)
            except ArxivError as exc:  # arXiv refused the query itself: a stable answer
                work.reasons.append(f"arXiv refused the search ({exc})")
                candidates = []
            services.cache.put_arxiv({c.arxiv_id: c for c in candidates if c.arxiv_id})
        else:
            candidates = match_title(client, paper.title)
    except FetchError as exc:
        work.reasons.append(str(exc))
        services.check_reachable(source)
        return None
    services.cache.put_search(source, query, candidates)
    return candidates


#: Longer "titles" are not searched for (real ones stay well under 300 characters; search URLs break).
MAX_SEARCH_TITLE = 1000


def _find(services: _Services, work: _Work, sources: Sequence[str]) -> None:
    if not fold(work.paper.title):
        work.reasons.append("no title to search for")
        return
    if len(work.paper.title) > MAX_SEARCH_TITLE:  # not a title (a pasted abstract, a broken digest)
        work.reasons.append(f"title longer than {MAX_SEARCH_TITLE} characters: not searched")
        return
    for source in sources:
        candidates = _search(services, work, source)
        if candidates is None:
            continue
        choice = choose(work.paper, candidates)
        if choice.candidate is not None:
            work.candidate = choice.candidate
            return
        work.reasons.append(f"{SOURCE_NAMES[source]}: {choice.reason}")


def _arxiv_records(
    services: _Services, works: list[_Work], progress: Callable[[ResolveProgress], None] | None
) -> tuple[dict[str, Candidate], dict[str, str]]:
    """arXiv records for every id in ``works``: ``(records by id, reason by id for those missing)``."""
    from .arxiv import BATCH_SIZE, fetch_ids
    from .http import FetchError

    ids = list(dict.fromkeys(w.lookup_id for w in works if w.lookup_id))
    for w in works:
        if w.lookup_id:
            w.lookups += 1
    records: dict[str, Candidate] = {}
    missing: dict[str, str] = {}
    now = time.time()
    to_fetch: list[str] = []
    for arxiv_id, (record, fetched_at, note) in services.cache.get_arxiv(ids).items():
        if record is not None:
            records[arxiv_id] = record
        elif services.offline or now - fetched_at < services.settings.negative_ttl:
            missing[arxiv_id] = note or f"arXiv has no paper {arxiv_id}"
    to_fetch = [i for i in ids if i not in records and i not in missing]
    if services.offline:
        for arxiv_id in to_fetch:
            missing[arxiv_id] = "arXiv record not in the cache (offline)"
        for w in works:
            if w.lookup_id in missing and w.lookup_id in to_fetch:
                w.missed = True
        return records, missing
    fetched_ids: set[str] = set(to_fetch)
    for w in works:
        if w.lookup_id in fetched_ids:
            w.fetched = True
    for start in range(0, len(to_fetch), BATCH_SIZE):
        batch = to_fetch[start : start + BATCH_SIZE]
        try:
            found, refused = fetch_ids(services.client("arxiv"), batch)
        except FetchError as exc:
            missing.update({i: str(exc) for i in batch})
            services.check_reachable("arxiv")
        else:
            answers: dict[str, Candidate | None] = {i: found.get(i) for i in batch}
            notes = {i: f"arXiv: {msg}" for i, msg in refused.items()}
            for i in batch:
                if i not in found and i not in refused:
                    notes[i] = f"arXiv has no paper {i}"
            services.cache.put_arxiv(answers, notes)
            records.update(found)
            missing.update({i: notes[i] for i in batch if i not in found})
        if progress:
            progress(ResolveProgress("arxiv", min(start + BATCH_SIZE, len(to_fetch)), len(to_fetch)))
    return records, missing


def _fill(paper: Paper, source: Candidate) -> None:
    """Fill what ``paper`` lacks from ``source``; its own title and abstract are never touched."""
    if source.arxiv_id and not paper.arxiv_id:
        paper.arxiv_id = source.arxiv_id
    if source.authors and not paper.authors:
        paper.authors = list(source.authors)
    if paper.author_count is None and paper.authors:
        paper.author_count = len(paper.authors)
    if source.source == "arxiv" and source.version_date:
        # The one date rule: the record now describes arXiv's (latest) version; date it so.
        paper.published = source.version_date
        paper.version = source.version or paper.version
        paper.year_inferred = False
    elif source.published and (not paper.published or paper.year_inferred):
        paper.published = source.published
        paper.year_inferred = False
    for name in ("doi", "primary_category", "journal_ref", "comment"):
        if getattr(source, name) and not getattr(paper, name):
            setattr(paper, name, getattr(source, name))


def _record_matches(work: _Work, record: Candidate) -> str | None:
    """Why a found id's arXiv record is not the digest's paper, or None when it is."""
    if compare_titles(work.paper.title, record.title) is None:
        return f"arXiv:{record.arxiv_id} is titled {record.title!r}"
    want = expected_authors(work.paper)
    if want is not None and record.authors and len(record.authors) != want:
        return f"arXiv:{record.arxiv_id} has {len(record.authors)} authors, the record {want}"
    return None


def resolve(
    papers: Sequence[Paper],
    offline: bool = False,
    use_s2: bool = False,
    progress: Callable[[ResolveProgress], None] | None = None,
    *,
    settings: ResolveSettings | None = None,
    cache_path: str | Path | None = None,
    notify: Callable[[str], None] | None = None,
) -> ResolveReport:
    """Complete ``papers`` from Hugging Face, arXiv and (with ``use_s2``) Semantic Scholar.

    Args:
        papers: the records (not modified; completed copies are returned).
        offline: use the cache only; make no request.
        use_s2: also ask Semantic Scholar's title match when the others find nothing.
        progress: called with a :class:`ResolveProgress` after each title search and id batch.
        settings: service addresses and politeness (default: :meth:`ResolveSettings.from_env`).
        cache_path: the SQLite cache (default: ``cache.sqlite`` under ``$BIBBRIDGE_HOME``).
        notify: called at once with the line saying a service could not be reached (once each);
            the same lines are in ``report.notices``.

    Returns:
        a :class:`ResolveReport`; records that could not be completed are in ``unresolved`` with the
        reason, unchanged. Network failures never raise: they leave records unresolved.
    """
    settings = settings or ResolveSettings.from_env()
    works = [_Work(Paper.from_dict(p.to_dict())) for p in papers]
    services = _Services(settings, offline, cache_path, notify)
    sources = ["hf", "arxiv"] + (["s2"] if use_s2 else [])
    resolved: list[Paper] = []
    unresolved: list[Unresolved] = []
    try:
        to_search: list[_Work] = []
        for w in works:
            raw = w.paper.arxiv_id
            if raw:
                w.given_id = normalise_arxiv_id(raw)
                if w.given_id is None:
                    w.reasons.append(f"{raw!r} is not an arXiv id")
            else:
                to_search.append(w)
        matched = unmatched = from_cache = 0
        for n, w in enumerate(to_search, 1):
            _find(services, w, sources)
            matched += w.candidate is not None
            unmatched += w.candidate is None
            from_cache += w.from_cache
            if progress:
                progress(ResolveProgress("search", n, len(to_search), matched, unmatched, from_cache))
        records, missing = _arxiv_records(services, works, progress)
        for w in works:
            paper, arxiv_id = w.paper, w.lookup_id
            record = records.get(arxiv_id) if arxiv_id else None
            if w.given_id and record is not None:
                _fill(paper, record)
            elif w.candidate is not None:
                problem = _record_matches(w, record) if record is not None else None
                if problem:
                    w.reasons.append(f"found {w.candidate.source} match dropped: {problem}")
                    unresolved.append(Unresolved(paper, "; ".join(w.reasons)))
                    continue
                _fill(paper, w.candidate)
                if record is not None:
                    _fill(paper, record)
            else:
                if arxiv_id and arxiv_id in missing:
                    w.reasons.append(missing[arxiv_id])
                unresolved.append(Unresolved(paper, "; ".join(w.reasons) or "no source answered"))
                continue
            resolved.append(paper)
    finally:
        by_source = services.requests()
        notices = services.notices()
        services.close()
    cached = sum(1 for w in works if w.from_cache)
    return ResolveReport(
        # Two digest records can turn out to be one arXiv paper: one identity, one record.
        papers=dedupe([w.paper for w in works]),
        resolved=resolved,
        unresolved=unresolved,
        cached=cached,
        requests=sum(by_source.values()),
        requests_by_source=by_source,
        notices=notices,
    )


def needs_completion(paper: Paper) -> bool:
    """True for a record lacking its arXiv id or its authors (a text digest's records)."""
    return not paper.arxiv_id or not paper.authors


def complete(
    papers: Sequence[Paper],
    offline: bool = False,
    use_s2: bool = False,
    progress: Callable[[ResolveProgress], None] | None = None,
    *,
    settings: ResolveSettings | None = None,
    cache_path: str | Path | None = None,
    notify: Callable[[str], None] | None = None,
) -> ResolveReport:
    """What ``bib`` and ``sync`` do by default: :func:`resolve` only the records lacking an arXiv id
    or authors; complete ones pass through untouched (``report.complete`` counts them).

    ``report.papers`` keeps every record in input order (two records found to be one paper merged).
    """
    todo = [p for p in papers if needs_completion(p)]
    report = resolve(todo, offline, use_s2, progress, settings=settings, cache_path=cache_path, notify=notify)
    done = iter(report.papers) if len(report.papers) == len(todo) else None
    if done is None:  # two records were one paper: their identity now merges them in dedupe below
        by_title = {p.title_key: p for p in report.papers}
        merged = [p if not needs_completion(p) else by_title.get(p.title_key, p) for p in papers]
    else:
        merged = [p if not needs_completion(p) else next(done) for p in papers]
    report.papers = dedupe(merged)
    report.complete = len(papers) - len(todo)
    return report


def maybe_resolve(
    papers: list[Paper],
    enabled: bool,
    offline: bool = False,
    use_s2: bool = False,
    echo: Callable[[str], None] | None = None,
    progress: Callable[[ResolveProgress], None] | None = None,
    verbose: bool = False,
) -> list[Paper]:
    """For ``bib``/``sync`` (on by default): :func:`complete` the records when ``enabled``.

    ``echo`` (e.g. a stderr printer) receives each unreachable service once, the summary line, and
    with ``verbose`` one line per unresolved record.
    """
    if not enabled:
        return papers
    report = complete(papers, offline=offline, use_s2=use_s2, progress=progress, notify=echo)
    if echo is not None:
        if verbose:
            for item in report.unresolved:
                echo(f"unresolved: {item}")
        echo(report.summary())
    return report.papers
