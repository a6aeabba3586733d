"""Live Hugging Face sources (``hf:DATE`` … ``arxiv:ID``) against a fake Hub on 127.0.0.1.

The fake (tests/support/hf_hub.py) pages, rate-limits, has empty weekends and 404s like huggingface.co;
"today" is pinned with ``today=``/``$BIBBRIDGE_TODAY`` and the cache's clock is injected, so every
cache rule is checked without waiting.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bibbridge.cli import cli
from bibbridge.errors import InputError, UsageError
from bibbridge.metadata import ResolveSettings
from bibbridge.readers import read_digests
from bibbridge.readers.hf_live import Hub, parse_spec
from tests.support.hf_hub import DailyPaper, daily_catalog, fake_hub

TODAY = "2024-10-31"  # a Thursday; October 2024 starts on a Tuesday
BIN = Path(sys.executable).parent / "bibbridge"

SPECIAL = DailyPaper(
    "2410.17243",
    "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss",
    ["Zesen Cheng", "Hang Zhang", "Kehan Li", "Lidong Bing"],
    day="2024-10-25",
    published="2024-10-22",
    abstract="Contrastive loss is a powerful approach.\nCode: https://github.com/DAMO-NLP-SG/Inf-CLIP.",
    upvotes=640,
    github="https://github.com/DAMO-NLP-SG/Inf-CLIP",
    project="https://inf-clip.example.org",
    organization={"name": "DAMO-NLP-SG", "fullname": "DAMO Academy"},
    hidden=[3],
)


@pytest.fixture
def catalog() -> list[DailyPaper]:
    return [SPECIAL, *daily_catalog("2024-09-01", 61)]  # September and October 2024


@pytest.fixture
def hub_server(catalog, monkeypatch):
    with fake_hub(catalog, today=TODAY) as server:
        monkeypatch.setenv("BIBBRIDGE_HF_URL", server.url)
        monkeypatch.setenv("BIBBRIDGE_HF_INTERVAL", "0")
        monkeypatch.setenv("BIBBRIDGE_TODAY", TODAY)
        yield server


class Clock:
    def __init__(self) -> None:
        self.now = 1_730_000_000.0

    def __call__(self) -> float:
        return self.now


def hub(server, clock=None, **kw) -> Hub:
    settings = ResolveSettings(hf_url=server.url, hf_interval=0.0, backoff=0.01, timeout=2.0)
    return Hub(settings=settings, today=TODAY, clock=clock or Clock(), **kw)


def queries(server) -> list[str]:
    return [path for _, path in server.log]


def weekdays(first: str, last: str) -> int:
    import datetime

    a, b = datetime.date.fromisoformat(first), datetime.date.fromisoformat(last)
    return sum((a + datetime.timedelta(days=n)).weekday() < 5 for n in range((b - a).days + 1))


# -- the source forms ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "asked", "count"),
    [
        ("hf:2024-10-25", ["/api/daily_papers?date=2024-10-25&limit=100&p=0"], 13),
        ("hf:today", ["/api/daily_papers?date=2024-10-31&limit=100&p=0"], 12),
        ("hf:yesterday", ["/api/daily_papers?date=2024-10-30&limit=100&p=0"], 12),
        ("hf:2024-W43", ["/api/daily_papers?week=2024-W43&limit=100&p=0"], 61),
        ("hf:2024-w43", ["/api/daily_papers?week=2024-W43&limit=100&p=0"], 61),
        (
            "hf:2024-10",
            [f"/api/daily_papers?month=2024-10&limit=100&p={p}" for p in range(3)],
            12 * weekdays("2024-10-01", "2024-10-31") + 1,
        ),
        (
            "hf:2024-10-25..2024-10-27",  # Friday, then a weekend: empty days are no error
            [f"/api/daily_papers?date=2024-10-{d}&limit=100&p=0" for d in (25, 26, 27)],
            13,
        ),
        ("arxiv:2410.17243", ["/api/papers/2410.17243"], 1),
        ("hf:2410.17243v2", ["/api/papers/2410.17243"], 1),
    ],
)
def test_each_source_form_asks_the_hub_its_documented_query(hub_server, spec, asked, count):
    with hub(hub_server) as h:
        papers, warnings, stats = h.read(spec)
    assert queries(hub_server) == asked
    assert len(papers) == count and warnings == [] and stats.requests == len(asked)
    assert all(p.arxiv_id and len(p.authors) >= 3 for p in papers)


def test_records_carry_what_the_hub_gives(hub_server):
    (paper,) = [p for p in read_digests(["hf:2024-10-25"]).papers if p.arxiv_id == "2410.17243"]
    assert paper.title == SPECIAL.title  # arXiv's hard wraps folded
    assert paper.authors == SPECIAL.authors and paper.author_count == 4  # the hidden author kept
    assert paper.abstract.startswith("Contrastive loss is a powerful approach. Code:")
    assert (paper.published, paper.upvotes) == ("2024-10-22", 640)
    assert paper.organization == "DAMO-NLP-SG DAMO Academy"
    assert paper.urls["code"] == ["https://github.com/DAMO-NLP-SG/Inf-CLIP"]
    assert paper.urls["project"] == ["https://inf-clip.example.org"]
    assert paper.source == {"url": f"{hub_server.url}/api/daily_papers?date=2024-10-25", "date": "2024-10-25"}
    (week_copy,) = [p for p in read_digests(["hf:2024-W43"]).papers if p.arxiv_id == "2410.17243"]
    assert week_copy.source["date"] == "2024-10-25"  # a week's entries carry their own day
    (single,) = read_digests(["arxiv:2410.17243v2"]).papers
    assert (single.version, single.source) == (
        "v2",
        {"url": f"{hub_server.url}/api/papers/2410.17243", "date": None},
    )


def test_paging_follows_full_pages_only(monkeypatch):
    crowded = [dataclasses.replace(p, day="2024-10-24") for p in daily_catalog("2024-09-01", 30)[:200]]
    with fake_hub(crowded, today=TODAY) as server:
        with hub(server) as h:
            papers, _, stats = h.read("hf:2024-10-24")  # exactly two full pages: a third, empty, ends it
    assert len(papers) == 200 and stats.requests == 3
    assert queries(server)[-1].endswith("p=2")


# -- request counts and the cache ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "first_run"),
    [("hf:2024-10-25", 1), ("hf:2024-W43", 1), ("hf:2024-09", 3), ("hf:2024-09-20..2024-10-19", 30)],
)
def test_request_counts_first_and_second_run(hub_server, spec, first_run):
    clock = Clock()
    with hub(hub_server, clock) as h:
        first = h.read(spec)
    clock.now += 365 * 86400  # a year later: a period that was over is still answered from the cache
    with hub(hub_server, clock) as h:
        second = h.read(spec)
    assert first[2].requests == first_run and len(hub_server.log) == first_run
    assert second[2].requests == 0 and second[2].from_cache == second[2].queries
    assert [p.to_dict() for p in second[0]] == [p.to_dict() for p in first[0]]


def test_today_and_this_week_are_fetched_again_after_the_ttl(hub_server):
    clock = Clock()
    for spec in ("hf:today", "hf:2024-W44", "hf:2024-10"):
        with hub(hub_server, clock) as h:
            h.read(spec)
    assert len(hub_server.log) == 1 + 1 + 3
    clock.now += 29 * 60  # within 30 minutes: cached
    with hub(hub_server, clock) as h:
        for spec in ("hf:today", "hf:2024-W44", "hf:2024-10"):
            assert h.read(spec)[2].requests == 0
    hub_server.catalog.append(
        dataclasses.replace(SPECIAL, arxiv_id="2410.99999", day=TODAY, title="A Late Paper")
    )
    clock.now += 2 * 60  # 31 minutes: asked again, and the new paper is there
    with hub(hub_server, clock) as h:
        papers, _, stats = h.read("hf:today")
        assert h.read("hf:2024-W44")[2].requests == 1
    assert stats.requests == 1 and "2410.99999" in {p.arxiv_id for p in papers}


def test_offline_answers_from_the_cache_only(hub_server):
    with hub(hub_server) as h:
        h.read("hf:today")
    with hub(hub_server, clock=lambda: 1e12, offline=True) as h:  # long after the TTL: still cached
        assert len(h.read("hf:today")[0]) == 12
        with pytest.raises(
            InputError, match=r"hf:2024-10-24: .*date=2024-10-24 is not in the cache \(--offline\)"
        ):
            h.read("hf:2024-10-24")
    assert len(hub_server.log) == 1


def test_429_retry_after_is_honoured(hub_server):
    hub_server.plan = [(429, {"Retry-After": "0.3", "Content-Type": "application/json"}, '{"error":"slow"}')]
    with hub(hub_server) as h:
        papers, _, stats = h.read("hf:2024-10-25")
    (t1, _), (t2, _) = hub_server.log
    assert len(papers) == 13 and stats.requests == 2 and t2 - t1 >= 0.3


def test_a_weekend_day_is_empty_not_an_error(hub_server):
    result = CliRunner().invoke(cli, ["parse", "hf:2024-10-26"])
    assert result.exit_code == 0 and result.stdout == ""
    assert "hf:2024-10-26: 0 papers (1 request, 0 of 1 from cache)" in result.stderr
    assert "bibbridge: 0 papers" in result.stderr


def test_specs_are_parsed_against_today():
    assert [q.params for q in parse_spec("hf:2024-02-28..2024-03-01", "2024-12-01").queries] == [
        (("date", "2024-02-28"),),
        (("date", "2024-02-29"),),
        (("date", "2024-03-01"),),
    ]
    assert parse_spec("hf:yesterday", "2024-10-31").queries[0].final is True
    assert parse_spec("hf:today", "2024-10-31").queries[0].final is False
    assert parse_spec("hf:2024-W44", "2024-10-31").queries[0].final is False  # this week
    assert parse_spec("hf:2024-W43", "2024-10-31").queries[0].final is True
    assert parse_spec("arxiv:hep-th/9901001v3", "2024-10-31").version == "v3"
    for bad in (
        "hf:2024-13-01",
        "hf:2024-W54",
        "hf:2024-00",
        "hf:soon",
        "hf:",
        "arxiv:12.34",
        "hf:2024-10-05..2024-10-01",
    ):
        with pytest.raises(UsageError, match=rf"^{bad}: .*expected hf:YYYY-MM-DD"):
            parse_spec(bad, "2024-10-31")
    with pytest.raises(UsageError, match="in the future"):
        parse_spec("hf:2024-11-01", "2024-10-31")


# -- the real console script: bad specs, unknown ids, unreachable Hub -----------------------------
def run_script(*args, env=None, timeout=30):
    return subprocess.run(
        [str(BIN), *args], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("hf:2024-13-01", "bibbridge: error: hf:2024-13-01: '2024-13-01' is not a date of the calendar"),
        (
            "hf:2024-11-05",
            "bibbridge: error: hf:2024-11-05: 2024-11-05 is in the future (today is 2024-10-31)",
        ),
        ("hf:2024-W60", "bibbridge: error: hf:2024-W60: 2024 has no ISO week 60"),
        ("hf:last-week", "bibbridge: error: hf:last-week: 'last-week' is neither a date"),
        ("arxiv:2410.00001", "bibbridge: error: arxiv:2410.00001: the Hub knows no paper 2410.00001"),
    ],
)
def test_bad_specs_are_one_line_and_exit_2(hub_server, spec, message):
    for command in ("parse", "bib", "resolve"):
        done = run_script(command, spec)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(message) and "Traceback" not in done.stderr
        assert done.stdout == ""


def test_an_unreachable_hub_is_one_line_within_seconds(tmp_path):
    # conftest points every service at a port where nothing listens
    start = time.monotonic()
    done = run_script(
        "bib", "hf:2024-10-25", "-o", str(tmp_path / "refs.bib"), env={"BIBBRIDGE_TODAY": TODAY}
    )
    assert time.monotonic() - start < 5
    assert done.returncode == 2 and not (tmp_path / "refs.bib").exists()
    (line,) = done.stderr.splitlines()
    assert line.startswith(
        "bibbridge: error: hf:2024-10-25: cannot fetch from the Hub: Hugging Face: 127.0.0.1:"
    )
    assert "connection refused" in line and "could not be reached" in line


def test_bib_from_a_live_day_has_complete_entries_and_asks_no_resolver(hub_server, tmp_path):
    out = tmp_path / "refs.bib"
    result = CliRunner().invoke(cli, ["bib", "hf:2024-10-25", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert text.count("@misc{") == 13 and text.count("eprint = {") == 13
    assert "author = {Cheng, Zesen and Zhang, Hang and Li, Kehan and Bing, Lidong}" in text
    assert "could not be reached" not in result.stderr  # complete records: the resolver is not run
    assert queries(hub_server) == ["/api/daily_papers?date=2024-10-25&limit=100&p=0"]
    json.loads(json.dumps(result.stderr))  # stderr is text


def test_the_daily_loop_sync_yesterday_into_a_collection_twice(hub_server):
    from tests.support.zotero_server import ZoteroServer

    with ZoteroServer() as zotero:
        argv = ["sync", "hf:yesterday", "--collection", "Reading/HF Daily", "--api-url", zotero.url]
        argv += ["--library", f"user:{zotero.user_id}"]
        env = {"ZOTERO_API_KEY": zotero.api_key, "BIBBRIDGE_RETRY_BASE": "0.01"}
        first = CliRunner().invoke(cli, argv, env=env, catch_exceptions=False)
        second = CliRunner().invoke(cli, argv, env=env, catch_exceptions=False)
        items = [i for i in zotero.items() if i["itemType"] not in ("note", "attachment")]
        assert zotero.errors == []
    assert first.exit_code == 0 and second.exit_code == 0, first.stderr + second.stderr
    assert "12 created" in first.stderr and "created" not in second.stderr.replace("0 created", "")
    assert len(items) == 12 and all(len(i["creators"]) == 3 for i in items)
    assert {i["date"] for i in items} == {"2024-10-28"}  # the arXiv date the Hub gives (v1 here)
    assert queries(hub_server) == ["/api/daily_papers?date=2024-10-30&limit=100&p=0"]  # 2nd run: cache


def test_a_weekend_sync_and_bib_write_nothing_and_exit_0(hub_server, tmp_path):
    from tests.support.zotero_server import ZoteroServer

    with ZoteroServer() as zotero:
        argv = ["sync", "hf:2024-10-27", "--collection", "Reading/HF Daily", "--api-url", zotero.url]
        argv += ["--library", f"user:{zotero.user_id}"]
        env = {"ZOTERO_API_KEY": zotero.api_key, "BIBBRIDGE_RETRY_BASE": "0.01"}
        synced = CliRunner().invoke(cli, argv, env=env, catch_exceptions=False)
        assert zotero.errors == [] and zotero.items() == []
    assert synced.exit_code == 0, synced.stderr
    out = tmp_path / "refs.bib"
    written = CliRunner().invoke(cli, ["bib", "hf:2024-10-26", "-o", str(out)])
    assert written.exit_code == 0 and not out.exists()


def test_resolve_on_a_live_day_adds_arxiv_details_by_the_date_rule(hub_server, monkeypatch):
    from tests.support.paper_services import FakePaper, fake_services

    day = [p for p in hub_server.catalog if p.day == "2024-10-25"]
    arxiv = [
        FakePaper(p.arxiv_id, p.title, p.authors, published=p.published, updated="2024-11-20", version=2)
        for p in day
    ]
    with fake_services(arxiv=arxiv) as servers:
        monkeypatch.setenv("BIBBRIDGE_ARXIV_URL", servers["arxiv"].url)
        monkeypatch.setenv("BIBBRIDGE_ARXIV_INTERVAL", "0")
        result = CliRunner().invoke(cli, ["resolve", "hf:2024-10-25"])
        assert len(servers["arxiv"].log) == 1  # 13 ids, one batch
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 13 and "resolved 13, unresolved 0" in result.stderr
    assert {(r["published"], r["version"], r["primary_category"]) for r in records} == {
        ("2024-11-20", "v2", "cs.LG")
    }
    assert all(r["source"]["date"] == "2024-10-25" for r in records)
