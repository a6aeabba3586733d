"""`bibbridge.resolve` against fake Hugging Face, arXiv and Semantic Scholar servers on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import math
import time

import pytest

from bibbridge.metadata import ResolveSettings, resolve
from bibbridge.model import Paper
from tests.conftest import AS_OF, digest_path
from tests.support.paper_services import FakePaper, fake_services

TOKENS = FakePaper(
    "2401.00042",
    "Counting Tokens Is All You Need",
    ["Ines Duarte", "Kwame Mensah", "Yuki Tanaka"],
    published="2024-01-02",
    doi="10.5555/neurips.2024.777",
    journal_ref="NeurIPS 2024",
    primary_category="cs.CL",
)
VDM3D = FakePaper(
    "2405.11111", "Video Diffusion Models are Zero-Shot 3D Reasoners", ["Lena Park", "Tom Okafor"]
)
VDM4D = FakePaper("2409.22222", "Video Diffusion Models are Zero-Shot 4D Reasoners", ["R. Iyer", "S. Novak"])
ONLY_ON_ARXIV = FakePaper(
    "2311.07777", "Sheaf Laplacians for Message Passing", ["Ada Byron"], published="2023-11-13"
)


def settings_for(servers, **overrides) -> ResolveSettings:
    values = dict(
        hf_url=servers["hf"].url,
        arxiv_url=servers["arxiv"].url,
        s2_url=servers["s2"].url,
        arxiv_interval=0.01,
        hf_interval=0.0,
        s2_interval=0.0,
        timeout=2.0,
        retries=2,
        backoff=0.01,
    )
    values.update(overrides)
    return ResolveSettings(**values)


def digest_paper(title, **kw) -> Paper:
    kw.setdefault("source", {"file": "digest.txt", "line": 7})
    return Paper(title=title, abstract="The digest's own abstract.", **kw)


def paths(server) -> list[str]:
    return [path for _, path in server.log]


def test_exact_match_fills_authors_ids_doi_dates_and_keeps_the_digest_text():
    paper = digest_paper(
        "Counting tokens: is all you need?", author_count=3, published="2026-01-02", year_inferred=True
    )
    with fake_services(hf=[TOKENS, VDM3D], arxiv=[TOKENS, VDM3D]) as servers:
        report = resolve([paper], settings=settings_for(servers))
        assert len(paths(servers["hf"])) == 1 and len(paths(servers["arxiv"])) == 1
        assert "id_list=2401.00042" in paths(servers["arxiv"])[0]
    (done,) = report.papers
    assert report.resolved == [done] and report.unresolved == []
    assert done.title == "Counting tokens: is all you need?"
    assert done.abstract == "The digest's own abstract."
    assert done.authors == TOKENS.authors and done.author_count == 3
    assert (done.arxiv_id, done.doi, done.primary_category, done.journal_ref) == (
        "2401.00042",
        "10.5555/neurips.2024.777",
        "cs.CL",
        "NeurIPS 2024",
    )
    assert (done.published, done.year_inferred) == ("2024-01-02", False)  # year-less guess replaced
    assert paper.authors == [] and paper.arxiv_id is None  # the input is not modified
    assert (report.requests, report.cached) == (2, 0)


def test_one_date_rule_the_date_of_the_arxiv_version_the_metadata_describes(tmp_path):
    # arXiv answers with the latest version (v3 here), dated <updated>: as Zotero's arXiv importer and
    # arXiv's BibTeX export, the record takes that date and keeps the version, even over a digest date.
    revised = dataclasses.replace(TOKENS, updated="2024-03-10", version=3)
    dated = digest_paper("Counting Tokens Is All You Need", published="2024-01-05")
    undated = digest_paper("Counting Tokens Is All You Need", published="2026-01-05", year_inferred=True)
    for n, paper in enumerate((dated, undated)):
        with fake_services(hf=[revised], arxiv=[revised]) as servers:
            (done,) = resolve([paper], settings=settings_for(servers), cache_path=tmp_path / f"{n}").papers
        assert (done.published, done.version, done.year_inferred) == ("2024-03-10", "v3", False)
    with fake_services(hf=[TOKENS], arxiv=[TOKENS]) as servers:  # one version: its date
        (done,) = resolve([dated], settings=settings_for(servers), cache_path=tmp_path / "v1").papers
    assert (done.published, done.version) == ("2024-01-02", "v1")


def test_near_identical_title_of_another_paper_is_refused():
    # The digest lists the 3D paper; the services only know the 4D one.
    paper = digest_paper("Video Diffusion Models are Zero-Shot 3D Reasoners", author_count=2)
    with fake_services(hf=[VDM4D], arxiv=[VDM4D]) as servers:
        report = resolve([paper], settings=settings_for(servers))
        assert not any("id_list" in p for p in paths(servers["arxiv"]))
    (item,) = report.unresolved
    assert report.resolved == [] and item.paper.arxiv_id is None and item.paper.authors == []
    assert (
        "refused closest title 'Video Diffusion Models are Zero-Shot 4D Reasoners' (arXiv:2409.22222)"
        in item.reason
    )
    assert str(item).startswith(
        "digest.txt:7: Video Diffusion Models are Zero-Shot 3D Reasoners: Hugging Face:"
    )


def test_the_right_one_of_two_near_identical_candidates_is_taken():
    paper = digest_paper("Video Diffusion Models are Zero-Shot 3D Reasoners", author_count=2)
    with fake_services(hf=[VDM4D, VDM3D], arxiv=[VDM4D, VDM3D]) as servers:
        (done,) = resolve([paper], settings=settings_for(servers)).papers
    assert done.arxiv_id == "2405.11111" and done.authors == VDM3D.authors


def test_wrong_author_count_is_refused():
    paper = digest_paper("Counting Tokens Is All You Need", author_count=5)
    with fake_services(hf=[TOKENS], arxiv=[TOKENS]) as servers:
        report = resolve([paper], settings=settings_for(servers))
    assert report.papers[0].authors == [] and "has 3 authors, the record 5" in report.unresolved[0].reason


def test_no_result_anywhere_is_reported_and_cached_as_negative():
    paper = digest_paper("A Title Nobody Wrote")
    with fake_services(hf=[TOKENS], arxiv=[TOKENS]) as servers:
        report = resolve([paper], settings=settings_for(servers))
        assert report.unresolved[0].reason == "Hugging Face: no result; arXiv: no result"
        assert report.requests == 2
        again = resolve([paper], settings=settings_for(servers))
        assert (again.requests, again.cached, len(again.unresolved)) == (0, 1, 1)
        # Past the negative TTL the sources are asked again.
        later = resolve([paper], settings=settings_for(servers, negative_ttl=0.0))
        assert later.requests == 2


def test_hf_miss_falls_back_to_arxiv_title_search_without_a_second_arxiv_request():
    paper = digest_paper("Sheaf Laplacians for Message-Passing", published="2026-01-06", year_inferred=True)
    with fake_services(hf=[TOKENS], arxiv=[ONLY_ON_ARXIV]) as servers:
        report = resolve([paper], settings=settings_for(servers))
        (search,) = paths(servers["arxiv"])  # the search answer already holds the record
        assert "search_query=ti%3A%22sheaf+laplacians+for+message+passing%22" in search
    done = report.papers[0]
    assert (done.arxiv_id, done.authors, done.published) == ("2311.07777", ["Ada Byron"], "2023-11-13")


def test_semantic_scholar_is_asked_only_when_enabled():
    paper = digest_paper("Counting Tokens Is All You Need")
    with fake_services(hf=[], arxiv=[dataclasses.replace(TOKENS, title="Unrelated")], s2=[TOKENS]) as servers:
        off = resolve([paper], settings=settings_for(servers))
        assert off.unresolved and servers["s2"].log == []
        on = resolve([paper], use_s2=True, settings=settings_for(servers, negative_ttl=0.0))
        assert len(servers["s2"].log) == 1
    # S2 gave the id; arXiv's record for it carries another title, so the match is dropped.
    assert on.resolved == [] and "arXiv:2401.00042 is titled 'Unrelated'" in on.unresolved[0].reason


def test_semantic_scholar_match_resolves():
    paper = digest_paper("Counting Tokens Is All You Need")
    with fake_services(hf=[], arxiv=[TOKENS], s2=[TOKENS]) as servers:
        servers["arxiv"].catalog = []  # title search finds nothing …
        report = resolve([paper], use_s2=True, settings=settings_for(servers))
    assert report.papers[0].arxiv_id == "2401.00042" and report.papers[0].authors == TOKENS.authors
    assert report.requests_by_source == {"hf": 1, "arxiv": 2, "s2": 1}


def test_arxiv_400_error_feed_for_one_id_leaves_the_rest_of_the_batch_resolved():
    good = Paper("Counting Tokens Is All You Need", arxiv_id="2401.00042")
    bad = Paper("A paper with a bad id", arxiv_id="2413.00001")  # month 13: arXiv calls it malformed
    with fake_services(arxiv=[TOKENS]) as servers:
        report = resolve([bad, good], settings=settings_for(servers))
        first, second = paths(servers["arxiv"])
        assert "2413.00001" in first and "2413.00001" not in second
    assert report.resolved == [report.papers[1]] and report.papers[1].authors == TOKENS.authors
    assert report.unresolved[0].reason == "arXiv: incorrect id format for 2413.00001"
    assert report.papers[0].arxiv_id == "2413.00001"  # left as given


def test_429_with_retry_after_is_honoured():
    paper = digest_paper("Counting Tokens Is All You Need")
    with fake_services(hf=[TOKENS], arxiv=[TOKENS]) as servers:
        servers["hf"].plan = [
            (429, {"Retry-After": "0.4", "Content-Type": "application/json"}, '{"error":"x"}')
        ]
        report = resolve([paper], settings=settings_for(servers, backoff=10.0))
        (t1, _), (t2, _) = servers["hf"].log
    assert t2 - t1 >= 0.4
    assert report.resolved and report.requests_by_source["hf"] == 2


def test_slow_server_times_out_leaves_records_unresolved_in_bounded_time():
    papers = [digest_paper(f"Counting Tokens Is All You Need, Volume {n}") for n in range(6)]
    with fake_services(hf=[TOKENS], arxiv=[TOKENS]) as servers:
        servers["hf"].delay = servers["arxiv"].delay = 3.0
        start = time.monotonic()
        report = resolve(papers, settings=settings_for(servers, timeout=0.2, retries=1))
        elapsed = time.monotonic() - start
    assert len(report.unresolved) == 6 and report.resolved == []
    assert "Hugging Face: timed out after 0.2s (2 tries)" in report.unresolved[0].reason
    assert "Hugging Face off for this run" in report.unresolved[5].reason
    # The first request (2 tries, both timed out) switches each service off: said once, then skipped.
    assert report.requests == 4 and elapsed < 3
    assert [n.split(":")[0] for n in report.notices] == [
        "Hugging Face could not be reached",
        "arXiv could not be reached",
    ]
    again = resolve(papers, offline=True, settings=settings_for(servers))
    assert again.requests == 0  # failures are not cached as answers
    assert "not in the cache (offline)" in again.unresolved[0].reason


def test_second_run_makes_no_request_and_offline_uses_the_cache():
    papers = [
        digest_paper("Counting Tokens Is All You Need", author_count=3),
        digest_paper("Video Diffusion Models are Zero-Shot 3D Reasoners"),
        digest_paper("Never Indexed Anywhere"),
    ]
    with fake_services(hf=[TOKENS, VDM3D], arxiv=[TOKENS, VDM3D]) as servers:
        first = resolve(papers, settings=settings_for(servers))
        second = resolve(papers, settings=settings_for(servers))
        logged = len(servers["hf"].log) + len(servers["arxiv"].log)
    assert first.requests == logged == 5 and first.cached == 0
    assert second.requests == 0 and second.cached == 3
    assert [p.to_dict() for p in second.papers] == [p.to_dict() for p in first.papers]
    offline = resolve(
        papers,
        offline=True,
        settings=ResolveSettings(hf_url="http://127.0.0.1:9", arxiv_url="http://127.0.0.1:9"),
    )
    assert offline.requests == 0 and [p.to_dict() for p in offline.papers] == [
        p.to_dict() for p in first.papers
    ]
    assert len(offline.resolved) == 2 and len(offline.unresolved) == 1


def test_offline_without_cache_makes_no_request():
    report = resolve(
        [digest_paper("Counting Tokens Is All You Need"), Paper("X", arxiv_id="2401.00042")], offline=True
    )
    assert report.requests == 0 and report.resolved == []
    assert [u.reason for u in report.unresolved] == [
        "Hugging Face: not in the cache (offline); arXiv: not in the cache (offline)",
        "arXiv record not in the cache (offline)",
    ]


def test_a_paper_keyed_before_resolution_keeps_its_key():
    from bibbridge.keys import KeyRegistry

    paper = digest_paper("Counting Tokens Is All You Need", author_count=3)
    with KeyRegistry() as registry:
        key = registry.assign([paper])[paper.identity]
        with fake_services(hf=[TOKENS], arxiv=[TOKENS]) as servers:
            (done,) = resolve([paper], settings=settings_for(servers)).papers
        assert done.identity != paper.identity  # now known by arXiv id
        assert registry.find(done) == key
        assert registry.assign([done]) == {done.identity: key}
        # The registry learnt the arXiv id: the bare id now finds the key too.
        assert registry.find(Paper("Another spelling of it", arxiv_id="2401.00042")) == key


def synthetic_catalog(papers):
    """One fake arXiv paper per digest paper, with synthetic ids and authors."""
    return [
        FakePaper(
            f"2402.{n:05d}",
            p.title,
            [f"Author{n} Surname{n}", f"Second{n} Writer"],
            published=f"2024-02-{1 + n % 28:02d}",
        )
        for n, p in enumerate(papers)
    ]


def test_digest_of_233_papers_resolved_with_batched_arxiv_requests():
    from bibbridge.readers import read_digests

    papers = read_digests([str(digest_path("004_928061713d22a60e.txt"))], as_of=AS_OF).papers
    assert len(papers) == 233
    catalog = synthetic_catalog(papers)
    on_hf = catalog[:200]  # the Hub knows most of them …
    on_arxiv = catalog[:225]  # … arXiv's title search finds 25 more, and 8 are nowhere.
    with fake_services(hf=on_hf, arxiv=on_arxiv) as servers:
        seen = []
        report = resolve(papers, settings=settings_for(servers), progress=seen.append)
        hf_requests, ax_requests = len(servers["hf"].log), len(servers["arxiv"].log)
        id_requests = [p for p in paths(servers["arxiv"]) if "id_list=" in p]
        again = resolve(papers, settings=settings_for(servers))
        assert len(servers["hf"].log) + len(servers["arxiv"].log) == hf_requests + ax_requests
    assert len(report.papers) == 233 and len(report.resolved) == 225 and len(report.unresolved) == 8
    assert hf_requests == 233
    assert len(id_requests) == math.ceil(200 / 100)  # ids found on the Hub, 100 per request
    assert ax_requests == (233 - 200) + len(id_requests)  # title searches + id batches
    assert all(p.count("%2C") <= 99 for p in id_requests)
    assert report.requests == hf_requests + ax_requests
    for done, fake in zip(report.papers[:225], catalog, strict=False):
        assert (done.arxiv_id, done.authors) == (fake.arxiv_id, fake.authors)
    assert {u.paper.title for u in report.unresolved} == {p.title for p in papers[225:]}
    assert seen[-1].stage == "arxiv" and seen[232].done == 233 and seen[232].matched == 225
    assert (again.requests, again.cached, len(again.resolved)) == (0, 233, 225)


@pytest.mark.parametrize("name", ["BIBBRIDGE_ARXIV_INTERVAL", "BIBBRIDGE_HTTP_TIMEOUT"])
def test_bad_environment_settings_are_usage_errors(monkeypatch, name):
    from bibbridge.errors import UsageError

    monkeypatch.setenv(name, "soon")
    with pytest.raises(UsageError, match=name):
        ResolveSettings.from_env()


def test_a_damaged_cache_is_a_usage_error_naming_the_file(bibbridge_home):
    from bibbridge.errors import UsageError
    from bibbridge.home import cache_db_path

    cache_db_path().write_bytes(b"this is not a database" * 100)
    with pytest.raises(UsageError, match="cannot open the resolve cache .*safe to delete"):
        resolve([digest_paper("Anything")], offline=True)


def test_a_record_without_title_is_not_searched():
    with fake_services() as servers:
        report = resolve([Paper(title="  ")], settings=settings_for(servers))
    assert report.requests == 0 and report.unresolved[0].reason == "no title to search for"
