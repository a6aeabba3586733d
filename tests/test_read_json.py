"""Reading Hugging Face JSON: /api/daily_papers, /api/papers/{id}, /api/papers/search, saved HTML pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import AS_OF, FIXTURES, digest_path

from bibbridge import read_digest, read_digests
from bibbridge.errors import InputError
from bibbridge.readers import detect_reader
from bibbridge.readers.decode import decode_bytes

HF = FIXTURES / "huggingface"
DAILY = HF / "daily_papers.json"
PAPER = HF / "paper_2508.06471.json"
SEARCH = HF / "search_order.json"
LISTING_PAGE = HF / "daily_papers_page.html"
PAPER_PAGE = HF / "paper_page_2508.06471.html"

GLM_TITLE = "GLM-4.5: Agentic, Reasoning, and Coding (ARC) Foundation Models"


def _without_source(papers):
    return [{k: v for k, v in p.to_dict().items() if k != "source"} for p in papers]


@pytest.mark.parametrize(
    "path,name",
    [
        (DAILY, "hf-daily"),
        (PAPER, "hf-paper"),
        (SEARCH, "hf-search"),
        (LISTING_PAGE, "hf-html"),
        (PAPER_PAGE, "hf-html"),
    ],
)
def test_format_is_detected_from_the_content(path, name):
    assert detect_reader(decode_bytes(path.read_bytes())).name == name


def test_daily_papers_keep_ids_authors_dates_links_and_organization():
    glm, mam, order = read_digest(DAILY)
    # arXiv's hard line wrap ("Foundation\n  Models") is folded.
    assert glm.title == GLM_TITLE
    assert "\n" not in glm.abstract and "  " not in glm.abstract
    assert glm.abstract.startswith(
        "We present GLM-4.5, an open-source Mixture-of-Experts (MoE) large language model with"
    )
    assert glm.arxiv_id == "2508.06471"
    # Qinkai Zheng is "hidden": still an author.
    assert glm.authors == ["Aohan Zeng", "Xin Lv", "Qinkai Zheng", "Zhenyu Hou"]
    assert glm.author_count == 4
    assert glm.published == "2025-08-08"  # the paper's date, not the day it was submitted to Daily Papers
    assert glm.year_inferred is False
    assert glm.upvotes == 187
    assert glm.organization == "zai-org Z.ai"
    # githubRepo and the link in the summary are one link; projectPage is the project page.
    assert glm.urls == {
        "code": ["https://github.com/zai-org/GLM-4.5"],
        "project": ["https://z.ai/blog/glm-4.5"],
        "other": [],
    }
    assert (mam.arxiv_id, mam.published, mam.upvotes, mam.organization) == (
        "2310.12920",
        "2023-10-19",
        3,
        None,
    )
    assert mam.urls["code"] == ["https://github.com/PrincetonLIPS/MaM"]
    assert (order.arxiv_id, order.author_count) == ("1511.06391", 3)
    assert glm.source == {"file": str(DAILY), "line": None}


def test_paper_object_reads_like_the_daily_entry():
    [paper] = read_digest(PAPER)
    [glm, *_] = read_digest(DAILY)
    assert _without_source([paper]) == _without_source([glm])


def test_search_results():
    papers = read_digest(SEARCH)
    assert [(p.arxiv_id, p.title) for p in papers] == [
        ("1511.06391", "Order Matters: Sequence to sequence for sets"),
        ("2310.12920", "Generative Marginalization Models"),
    ]
    assert papers[1].authors == ["Sulin Liu", "Peter J. Ramadge", "Ryan P. Adams"]


def test_saved_listing_page_reads_like_the_api():
    from_page = read_digest(LISTING_PAGE)
    assert _without_source(from_page) == _without_source(read_digest(DAILY))
    # The line of the <div data-target="DailyPapers"> element.
    line = next(n for n, text in enumerate(LISTING_PAGE.read_text().split("\n"), 1) if 'DailyPapers"' in text)
    assert {p.source["line"] for p in from_page} == {line}


def test_saved_paper_page():
    [paper] = read_digest(PAPER_PAGE)
    assert paper.title == GLM_TITLE
    assert paper.arxiv_id == "2508.06471"
    assert paper.organization == "zai-org Z.ai"
    assert paper.source["line"] == 5


def test_json_and_text_sightings_of_one_paper_merge():
    result = read_digests([digest_path("000_15dd5ef3f356a94c.txt"), DAILY], as_of=AS_OF)
    assert len(result.papers) == 30 + 3 - 2  # MaM and "Order Matters" are in both
    mam = next(p for p in result.papers if p.title == "Generative Marginalization Models")
    assert mam.arxiv_id == "2310.12920"  # from the JSON
    assert mam.author_count == 3 and mam.authors == ["Sulin Liu", "Peter J. Ramadge", "Ryan P. Adams"]
    assert mam.source["file"].endswith("000_15dd5ef3f356a94c.txt")  # first sighting wins


def test_forced_format_must_fit_the_shape():
    with pytest.raises(InputError, match="expected a paper object, found an array") as info:
        read_digest(DAILY, format="hf-paper")
    assert info.value.file == str(DAILY)
    with pytest.raises(InputError, match="expected a daily-papers array, found an object"):
        read_digest(PAPER, format="hf-daily")
    assert len(read_digest(SEARCH, format="hf-daily")) == 2  # the same entry shape


def test_invalid_json_names_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"paper": {"id": "2310.12920", "title": "X"}},\n  {"paper": \n]\n')
    with pytest.raises(InputError) as info:
        read_digest(path)
    assert (info.value.file, info.value.line) == (str(path), 4)
    assert "invalid JSON" in str(info.value)


def test_entry_without_title_is_skipped_with_a_warning(tmp_path):
    entries = json.loads(DAILY.read_text())
    entries[1]["paper"].pop("title")
    entries[1].pop("title")
    path = tmp_path / "daily.json"
    path.write_text(json.dumps(entries))
    result = read_digests([path])
    assert len(result.papers) == 2
    # JSON entries have no line of their own: the warning names the file and the entry.
    assert [str(w) for w in result.warnings] == [f"{path}: warning: entry 1 has no paper title; skipped"]
    with pytest.raises(InputError, match="entry 1 has no paper title"):
        read_digest(path, strict=True)


@pytest.mark.parametrize(
    "content,message",
    [
        ("[]", "no papers found"),
        ('{"dailyPapers": []}', "no papers found"),
        (
            "<!doctype html><html><body><p>Daily Papers</p></body></html>",
            "HTML without Hugging Face papers data",
        ),
        ('{"hello": "world"}', "not a digest bibbridge recognises"),
    ],
)
def test_json_and_html_without_papers(tmp_path, content, message):
    path = tmp_path / "input"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_digest(path)


# -- the real shapes, from ../shared (skipped when absent) ---------------------------------------
def test_real_hub_answers_conform(shared_dir: Path):
    real = shared_dir / "fixtures" / "huggingface"
    [entry] = read_digest(real / "hf_daily_papers_2024-10-25_entry0.json")
    assert entry.title == "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss"
    assert (entry.arxiv_id, entry.published, entry.upvotes, entry.author_count) == (
        "2410.17243",
        "2024-10-22",
        64,
        9,
    )
    assert entry.authors[0] == "Zesen Cheng" and "\n" not in entry.abstract
    [content] = read_digest(real / "hf_paper_page_2509.24002_PaperContent.json")
    assert content.arxiv_id == "2509.24002" and content.author_count == 15 == len(content.authors)
    assert content.urls["code"] == ["https://github.com/eval-sys/mcpmark"]
    assert content.urls["project"] == ["https://mcpmark.ai/"]
    assert content.organization == "NationalUniversityofSingapore National University of Singapore"


def test_json_lines_records_are_cleaned_like_every_other_readers(tmp_path):
    """A decomposed é (NFD) from a hand-written record is composed, as the text and JSON readers do,
    so the ASCII .bib style writes {\\'e}, not '?'."""
    import json

    from bibbridge import read_digests, to_bibtex

    source = tmp_path / "papers.jsonl"
    record = {
        "title": "Cafe\u0301 Models",
        "authors": ["Jose\u0301 Mu\u0308ller"],
        "source": {"file": "x", "line": 1},
    }
    source.write_text(json.dumps(record) + "\n", encoding="utf-8")
    (paper,) = read_digests([source]).papers
    assert paper.title == "Caf\u00e9 Models" and paper.authors == ["Jos\u00e9 M\u00fcller"]
    text = to_bibtex([paper])
    assert "?" not in text and "Caf{\\'e}" in text
