"""The three sources' answer formats and the polite HTTP client, against real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import time
from email.utils import formatdate
from pathlib import Path

import pytest

from bibbridge.metadata import arxiv, hf, s2
from bibbridge.metadata.http import FetchError, PoliteClient, parse_retry_after
from tests.support.paper_services import FakeArxiv, FakeHF, FakePaper, FakeS2, serve_fake

FIXTURES = Path(__file__).parent / "fixtures"


# -- arXiv Atom -------------------------------------------------------------------------------
def test_arxiv_feed_gives_ids_authors_dates_category_doi_and_journal_ref():
    records = arxiv.parse_feed((FIXTURES / "arxiv" / "id_list_two_entries.xml").read_text())
    first, second = records
    assert first.arxiv_id == "2403.01234"  # version dropped
    assert first.title == "Sparse Mixtures of Tiny Experts: Routing Tokens Without Load Balancing Losses"
    assert first.authors == ["Ana Ruiz-Ortega", "Björn Lindqvist", "Mei Chen"]
    assert (first.published, first.updated) == ("2024-03-02", "2024-06-02")
    assert first.primary_category == "cs.LG"
    assert first.doi == "10.5555/tmlr.2024.0412"
    assert first.journal_ref == "Transactions on Machine Learning Research, 2024"
    assert second.arxiv_id == "hep-th/9901001"
    assert (second.doi, second.journal_ref, second.primary_category) == (None, None, "hep-th")


def test_arxiv_error_feed_raises_with_the_id_it_names():
    with pytest.raises(arxiv.ArxivError) as info:
        arxiv.parse_feed((FIXTURES / "arxiv" / "error_malformed_id.xml").read_text())
    assert info.value.bad_id == "2413.00001"
    assert "incorrect id format" in str(info.value)


def test_arxiv_empty_feed_is_no_result():
    assert arxiv.parse_feed((FIXTURES / "arxiv" / "empty.xml").read_text()) == []


def test_arxiv_shared_fixtures_parse(shared_dir):
    folder = shared_dir / "fixtures" / "arxiv"
    two = arxiv.parse_feed(next(folder.glob("arxiv_id_0808*.xml")).read_text())
    assert [r.arxiv_id for r in two] == ["1707.08567"] and len(two[0].authors) == 34
    search = arxiv.parse_feed(next(folder.glob("arxiv_q_testing*.xml")).read_text())
    assert search[0].doi == "10.1109/ICSTW55395.2022.00035"
    with pytest.raises(arxiv.ArxivError):
        arxiv.parse_feed(next(folder.glob("arxiv_id_abc*.xml")).read_text())
    assert arxiv.parse_feed(next(folder.glob("arxiv_id_0000*.xml")).read_text()) == []


def test_title_query_strips_punctuation_and_quotes_the_phrase():
    assert arxiv.title_query("GPT-4V(ision): A Study — of “Things”") == 'ti:"gpt 4v ision a study of things"'


# -- Hugging Face and Semantic Scholar JSON ---------------------------------------------------
def test_hf_search_answer_gives_candidates_with_collapsed_titles():
    data = json.loads((FIXTURES / "hf" / "search_near_identical.json").read_text())
    cands = [hf.candidate_from_paper(item["paper"]) for item in data]
    assert cands[0].title == "Video Diffusion Models are Zero-Shot 3D Reasoners"
    assert cands[0].authors == ["Lena Park", "Tom Okafor"]
    assert (cands[0].arxiv_id, cands[0].published) == ("2405.11111", "2024-05-18")
    assert cands[1].arxiv_id == "2409.22222" and len(cands[1].authors) == 3


def test_hf_shared_paper_object_parses(shared_dir):
    data = json.loads(
        (shared_dir / "fixtures" / "huggingface" / "hf_paper_page_2509.24002_PaperContent.json").read_text()
    )
    cand = hf.candidate_from_paper(data["paper"])
    assert cand.title == "MCPMark: A Benchmark for Stress-Testing Realistic and Comprehensive MCP Use"
    assert len(cand.authors) == 15 and cand.published == "2025-09-28"


def test_s2_match_answer():
    data = json.loads((FIXTURES / "s2" / "match_found.json").read_text())
    cand = s2.candidate_from_s2(data["data"][0])
    assert (cand.arxiv_id, cand.doi, cand.published) == (
        "2402.05555",
        "10.5555/neurips.2024.777",
        "2024-02-08",
    )
    assert cand.authors == ["Ines Duarte", "Kwame Mensah"]


PAPER = FakePaper("2401.00042", "Counting Tokens Is All You Need", ["Ines Duarte", "Kwame Mensah"])


def test_sources_over_http():
    with (
        serve_fake(FakeHF, [PAPER]) as (hf_url, _),
        serve_fake(FakeArxiv, [PAPER]) as (
            ax_url,
            ax,
        ),
        serve_fake(FakeS2, [PAPER]) as (s2_url, _),
    ):
        with PoliteClient(hf_url, name="HF") as c:
            assert [x.arxiv_id for x in hf.search(c, PAPER.title)] == ["2401.00042"]
            assert hf.fetch_paper(c, "2401.00042").authors == PAPER.authors
            assert hf.fetch_paper(c, "2401.99999") is None
        with PoliteClient(ax_url, name="arXiv") as c:
            assert [x.arxiv_id for x in arxiv.search_title(c, "Counting tokens: is all you need")] == [
                "2401.00042"
            ]
            found, refused = arxiv.fetch_ids(c, ["2401.00042", "2413.00001", "2401.77777"])
            assert list(found) == ["2401.00042"]
            assert refused == {"2413.00001": "incorrect id format for 2413.00001"}
        assert "search_query=ti%3A%22counting+tokens+is+all+you+need%22" in ax.log[0][1]
        with PoliteClient(s2_url, name="S2") as c:
            assert s2.match_title(c, PAPER.title)[0].arxiv_id == "2401.00042"
            assert s2.match_title(c, "Nothing like it") == []


# -- the polite client ------------------------------------------------------------------------
def test_retry_after_seconds_fractions_and_dates():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("0.25") == 0.25
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    assert 8 <= parse_retry_after(formatdate(time.time() + 10, usegmt=True)) <= 10


def test_429_with_fractional_retry_after_is_waited_for_then_retried():
    with serve_fake(FakeHF, [PAPER]) as (url, server):
        server.plan = [(429, {"Retry-After": "0.3"}, '{"error": "rate limited"}')]
        with PoliteClient(url, name="HF", backoff=5.0) as client:
            assert [c.arxiv_id for c in hf.search(client, PAPER.title)] == ["2401.00042"]
            assert client.requests == 2
        (t1, _), (t2, _) = server.log
        assert t2 - t1 >= 0.3


def test_retry_after_longer_than_allowed_fails_at_once():
    with serve_fake(FakeHF, [PAPER]) as (url, server):
        server.plan = [(503, {"Retry-After": "3600"}, "busy")]
        with PoliteClient(url, name="HF", max_wait=60) as client:
            with pytest.raises(FetchError, match="HTTP 503 .asked to retry after 3600s"):
                client.get("/api/papers/search", {"q": "x"})
            assert client.requests == 1


def test_retries_are_bounded_and_a_failing_service_is_then_skipped():
    with serve_fake(FakeHF, [PAPER]) as (url, server):
        server.plan = [(503, {}, "down")] * 20
        with PoliteClient(url, name="HF", retries=2, backoff=0.01, give_up_after=2) as client:
            for _ in range(2):
                with pytest.raises(FetchError, match="HTTP 503 .3 tries"):
                    client.get("/api/papers/search", {"q": "x"})
            with pytest.raises(FetchError, match="skipped"):
                client.get("/api/papers/search", {"q": "x"})
            assert client.requests == 6 and len(server.log) == 6


def test_slow_server_times_out_in_bounded_time():
    with serve_fake(FakeArxiv, [PAPER], delay=2.0) as (url, _):
        with PoliteClient(url, name="arXiv", timeout=0.2, retries=1, backoff=0.01) as client:
            start = time.monotonic()
            with pytest.raises(FetchError, match="timed out after 0.2s .2 tries"):
                client.get("/api/query", {"id_list": "2401.00042"})
            assert time.monotonic() - start < 1.5


def test_arxiv_interval_and_one_connection_at_a_time():
    import threading

    with serve_fake(FakeArxiv, [PAPER]) as (url, server):
        with PoliteClient(url, name="arXiv", min_interval=0.2) as client:
            threads = [
                threading.Thread(target=client.get, args=("/api/query", {"id_list": "2401.00042"}))
                for _ in range(4)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        starts = [t for t, _ in server.log]
        assert len(starts) == 4 and server.max_active == 1
        assert all(b - a >= 0.19 for a, b in zip(starts, starts[1:], strict=False))
