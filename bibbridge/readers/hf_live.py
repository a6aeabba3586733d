"""Live Hugging Face sources: ``hf:2024-10-25``, ``hf:today``, ``hf:yesterday``, ``hf:2024-W43``,
``hf:2024-10``, ``hf:2024-10-01..2024-10-30``, and single papers ``arxiv:2401.01234v2`` / ``hf:2401.01234``.

Accepted wherever a digest file is (``parse``, ``bib``, ``sync``, ``resolve`` and
:func:`bibbridge.read_digests`). Served from the Hub's ``/api/daily_papers`` (``date=``, ``week=``,
``month=``; pages of ``limit``/``p`` as ``huggingface_hub.list_daily_papers`` asks for them) and
``/api/papers/{id}``, through :class:`~bibbridge.metadata.http.PoliteClient` with the resolver's
politeness settings (``BIBBRIDGE_HF_URL`` moves the Hub, ``BIBBRIDGE_HF_INTERVAL`` spaces requests).

Request rule: a day, a week or a month is one request per page of 100 entries, never one per paper; a
day range is one query per day. Cache rule (``cache.sqlite``): the answer for a period that is over (a
past day, week or month, a single paper) is kept for good; today, this week and this month are fetched
again once older than ``BIBBRIDGE_HF_TTL`` seconds (default 1800). ``offline`` answers from the cache
only. "Today" is the local date, or ``BIBBRIDGE_TODAY`` (``YYYY-MM-DD``) when set.

The Hub JSON → :class:`~bibbridge.model.Paper` mapping is :func:`bibbridge.readers.hf_json.paper_from_hf`
(the one the saved-JSON readers use); here each record's ``source`` becomes ``{"url": the query,
"date": its Daily Papers date}``.
"""

from __future__ import annotations

import calendar
import datetime
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ..errors import InputError, ReadWarning, UsageError
from ..model import Paper
from ..text import normalise_arxiv_id

if TYPE_CHECKING:
    from ..metadata.cache import ResolveCache
    from ..metadata.http import PoliteClient
    from ..metadata.settings import ResolveSettings

#: The Hub answers at most this many entries a page (huggingface_hub's ``limit`` bound).
PAGE_SIZE = 100
#: A runaway answer (a server ignoring ``p``) stops here: 50 pages = 5000 papers in one period.
MAX_PAGES = 50
#: Seconds a cached answer for a period still running (today, this week, this month) is trusted.
TTL = 1800.0
#: The longest day range one spec may name.
MAX_RANGE_DAYS = 366

FORMS = (
    "hf:YYYY-MM-DD, hf:today, hf:yesterday, hf:YYYY-Www, hf:YYYY-MM, hf:FROM..TO, "
    "arxiv:ID or hf:ID (optionally with vN)"
)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_VERSION = re.compile(r"(v\d+)$", re.IGNORECASE)


def is_live_spec(value: object) -> bool:
    """True for a command-line argument naming a live source (``hf:…``/``arxiv:…``), not a file."""
    if not isinstance(value, str):
        return False
    head = value[:6].lower()
    return (head.startswith("hf:") or head.startswith("arxiv:")) and not Path(value).exists()


def today_date(today: datetime.date | str | None = None) -> datetime.date:
    """``today`` as given, else ``$BIBBRIDGE_TODAY``, else the local date."""
    if isinstance(today, datetime.date):
        return today
    raw = today or os.environ.get("BIBBRIDGE_TODAY")
    if raw:
        try:
            return datetime.date.fromisoformat(str(raw).strip())
        except ValueError:
            raise UsageError(f"BIBBRIDGE_TODAY must be YYYY-MM-DD, not {raw!r}") from None
    return datetime.date.today()


@dataclass(frozen=True)
class Query:
    """One question to the Hub (all its pages).

    Attributes:
        path: ``/api/daily_papers`` or ``/api/papers/<id>``.
        params: ``(("date", "2024-10-25"),)``, ``(("week", "2024-W43"),)`` …; empty for a paper.
        final: the period was over when asked (its answer no longer changes): cached for good.
        day: the Daily Papers date of a ``date=`` query, else None (entries carry their own).
    """

    path: str
    params: tuple[tuple[str, str], ...] = ()
    final: bool = True
    day: str | None = None

    @property
    def key(self) -> str:
        return self.path + ("?" + urlencode(self.params) if self.params else "")

    @property
    def paged(self) -> bool:
        return self.path == "/api/daily_papers"


@dataclass(frozen=True)
class Source:
    """A parsed spec: what it names and the queries that answer it."""

    spec: str
    queries: tuple[Query, ...]
    version: str | None = None  # arxiv:2401.01234v2 keeps v2


@dataclass
class FetchStats:
    """What reading one source cost: requests sent (pages, retries included) and answers from cache."""

    requests: int = 0
    from_cache: int = 0
    queries: int = 0


def _bad(spec: str, why: str) -> UsageError:
    return UsageError(f"{spec}: {why} (expected {FORMS})")


def _day(spec: str, text: str, today: datetime.date) -> datetime.date:
    word = text.lower()
    if word == "today":
        return today
    if word == "yesterday":
        return today - datetime.timedelta(days=1)
    if not _DAY.match(text):
        raise _bad(spec, f"{text!r} is not a date")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise _bad(spec, f"{text!r} is not a date of the calendar") from None


def _future(spec: str, first: datetime.date, today: datetime.date) -> None:
    if first > today:
        raise UsageError(f"{spec}: {first.isoformat()} is in the future (today is {today.isoformat()})")


def _day_query(day: datetime.date, today: datetime.date) -> Query:
    return Query("/api/daily_papers", (("date", day.isoformat()),), final=day < today, day=day.isoformat())


def parse_spec(spec: str, today: datetime.date | str | None = None) -> Source:
    """The queries a spec stands for; :class:`UsageError` (one line, naming the spec) when malformed,
    in the future, or a range too long."""
    today = today_date(today)
    prefix, _, rest = spec.partition(":")
    prefix, rest = prefix.lower(), rest.strip()
    if not rest:
        raise _bad(spec, "nothing after the colon")
    if prefix == "arxiv":
        return _paper_source(spec, rest)
    if ".." in rest:
        first_text, _, last_text = rest.partition("..")
        first, last = _day(spec, first_text.strip(), today), _day(spec, last_text.strip(), today)
        if first > last:
            raise _bad(spec, "the range ends before it starts")
        days = (last - first).days + 1
        if days > MAX_RANGE_DAYS:
            raise UsageError(f"{spec}: a range of {days} days; at most {MAX_RANGE_DAYS} (use months)")
        _future(spec, last, today)
        queries = tuple(_day_query(first + datetime.timedelta(days=n), today) for n in range(days))
        return Source(spec, queries)
    week = _WEEK.match(rest)
    if week:
        year, number = int(week.group(1)), int(week.group(2))
        try:
            monday = datetime.date.fromisocalendar(year, number, 1)
        except ValueError:
            raise _bad(spec, f"{year} has no ISO week {number}") from None
        _future(spec, monday, today)
        sunday = monday + datetime.timedelta(days=6)
        return Source(
            spec, (Query("/api/daily_papers", (("week", f"{year}-W{number:02d}"),), sunday < today),)
        )
    month = _MONTH.match(rest)
    if month:
        year, number = int(month.group(1)), int(month.group(2))
        if not 1 <= number <= 12:
            raise _bad(spec, f"{number} is not a month")
        first = datetime.date(year, number, 1)
        _future(spec, first, today)
        last = datetime.date(year, number, calendar.monthrange(year, number)[1])
        return Source(spec, (Query("/api/daily_papers", (("month", f"{year}-{number:02d}"),), last < today),))
    if rest.lower() in ("today", "yesterday") or _DAY.match(rest):
        day = _day(spec, rest, today)
        _future(spec, day, today)
        return Source(spec, (_day_query(day, today),))
    if normalise_arxiv_id(rest):
        return _paper_source(spec, rest)
    raise _bad(spec, f"{rest!r} is neither a date, a week, a month, a range nor an arXiv id")


def _paper_source(spec: str, text: str) -> Source:
    arxiv_id = normalise_arxiv_id(text)
    if arxiv_id is None:
        raise _bad(spec, f"{text!r} is not an arXiv id")
    version = _VERSION.search(text)
    return Source(spec, (Query(f"/api/papers/{arxiv_id}"),), version.group(1).lower() if version else None)


# -- fetching ----------------------------------------------------------------------------------
@dataclass
class Hub:
    """One run's connection to the Hub and its cache; :meth:`read` answers one spec.

    Args:
        settings: service address and politeness (default :meth:`ResolveSettings.from_env`).
        offline: answer from the cache only; a source not cached is an :class:`InputError`.
        cache_path: the SQLite cache (default ``cache.sqlite`` under ``$BIBBRIDGE_HOME``).
        today: what "today" is (default ``$BIBBRIDGE_TODAY`` or the local date).
        clock: seconds since the epoch, for the cache's age rule (tests pass a fake one).
        ttl: seconds a running period's answer is trusted (default ``$BIBBRIDGE_HF_TTL`` or 1800).
    """

    settings: ResolveSettings | None = None
    offline: bool = False
    cache_path: str | Path | None = None
    today: datetime.date | str | None = None
    clock: Callable[[], float] = time.time
    ttl: float | None = None
    stats: FetchStats = field(default_factory=FetchStats)
    _client: PoliteClient | None = None
    _cache: ResolveCache | None = None

    def __post_init__(self) -> None:
        from ..metadata.settings import ResolveSettings, _env_float

        self.settings = self.settings or ResolveSettings.from_env()
        self.today = today_date(self.today)
        if self.ttl is None:
            self.ttl = _env_float("BIBBRIDGE_HF_TTL", TTL)

    # -- plumbing -----------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.settings.hf_url.rstrip("/")

    def client(self) -> PoliteClient:
        if self._client is None:
            from ..metadata.http import PoliteClient

            s = self.settings
            self._client = PoliteClient(
                s.hf_url,
                name="Hugging Face",
                min_interval=s.hf_interval,
                timeout=s.timeout,
                retries=s.retries,
                backoff=s.backoff,
                max_wait=s.max_wait,
            )
        return self._client

    def cache(self) -> ResolveCache:
        if self._cache is None:
            from ..metadata.cache import ResolveCache

            self._cache = ResolveCache(self.cache_path)
        return self._cache

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------------------
    def read(self, spec: str) -> tuple[list[Paper], list[ReadWarning], FetchStats]:
        """The papers a spec names (an empty list for a day without papers), warnings, and the cost."""
        source = parse_spec(spec, self.today)
        stats = FetchStats()
        papers: list[Paper] = []
        warnings: list[ReadWarning] = []
        for query in source.queries:
            data = self._answer(spec, query, stats)
            got, more = self._papers(spec, query, data, source.version)
            papers.extend(got)
            warnings.extend(more)
        self.stats.requests += stats.requests
        self.stats.from_cache += stats.from_cache
        self.stats.queries += stats.queries
        return papers, warnings, stats

    def _answer(self, spec: str, query: Query, stats: FetchStats) -> Any:
        stats.queries += 1
        cached = self.cache().get_hub(query.key)
        if cached is not None:
            body, fetched_at, final = cached
            if final or self.offline or self.clock() - fetched_at < self.ttl:
                stats.from_cache += 1
                return json.loads(body)
        if self.offline:
            raise InputError(f"{self.base_url}{query.key} is not in the cache (--offline)", file=spec)
        data = self._fetch(spec, query, stats)
        self.cache().put_hub(query.key, json.dumps(data, ensure_ascii=False), query.final, self.clock())
        return data

    def _fetch(self, spec: str, query: Query, stats: FetchStats) -> Any:
        from ..metadata.http import FetchError

        client = self.client()
        pages = range(MAX_PAGES) if query.paged else range(1)
        entries: list[Any] = []
        for page in pages:
            params = dict(query.params)
            if query.paged:
                params.update({"limit": str(PAGE_SIZE), "p": str(page)})
            before = client.requests
            try:
                answer = client.get(query.path, params or None)
            except FetchError as exc:
                raise InputError(f"cannot fetch from the Hub: {exc}", file=spec) from None
            finally:
                stats.requests += client.requests - before
            if answer.status == 404 and not query.paged:
                raise InputError(f"the Hub knows no paper {query.path.rsplit('/', 1)[-1]}", file=spec)
            if answer.status != 200:
                raise InputError(f"the Hub answered HTTP {answer.status} for {query.key}", file=spec)
            try:
                data = json.loads(answer.text)
            except ValueError:
                raise InputError(f"the Hub's answer for {query.key} is not JSON", file=spec) from None
            if not query.paged:
                return data
            if not isinstance(data, list):
                raise InputError(f"the Hub's answer for {query.key} is not a list of entries", file=spec)
            entries.extend(data)
            if len(data) < PAGE_SIZE:
                break
        return entries

    def _papers(
        self, spec: str, query: Query, data: Any, version: str | None
    ) -> tuple[list[Paper], list[ReadWarning]]:
        from .hf_json import _date, paper_from_hf

        url = self.base_url + query.key
        if not query.paged:
            if not isinstance(data, dict):
                raise InputError(f"the Hub's answer for {query.key} is not a paper object", file=spec)
            paper = paper_from_hf(data)
            if paper is None:
                raise InputError(f"the Hub's paper {query.key} has no title", file=spec)
            paper.source = {"url": url, "date": None}
            paper.version = version
            return [paper], []
        papers: list[Paper] = []
        warnings: list[ReadWarning] = []
        for index, entry in enumerate(data):
            inner = entry.get("paper") if isinstance(entry, dict) else None
            paper = paper_from_hf(inner, entry) if isinstance(inner, dict) else None
            if paper is None:
                warnings.append(
                    ReadWarning(f"entry {index} of {query.key} has no paper title; skipped", spec)
                )
                continue
            day = query.day or _date(inner.get("submittedOnDailyAt")) or _date(entry.get("publishedAt"))
            paper.source = {"url": url, "date": day}
            papers.append(paper)
        return papers, warnings


def read_source(
    spec: str,
    *,
    offline: bool = False,
    today: datetime.date | str | None = None,
    settings: ResolveSettings | None = None,
    cache_path: str | Path | None = None,
) -> list[Paper]:
    """The papers of one live source (see the module's docstring for the forms and the cache rule)."""
    with Hub(settings=settings, offline=offline, cache_path=cache_path, today=today) as hub:
        return hub.read(spec)[0]
