"""The disagreements issue 13 found between merge, dedupe, the key registry, sync and lookup: each
subsystem must give the same answer on the same records (they all call bibbridge.identity and
bibbridge.text now)."""

from __future__ import annotations

from pathlib import Path

import pytest

import bibbridge
from bibbridge.bib.merge import merge_bib
from bibbridge.keylookup import Candidate
from bibbridge.keys import KeyRegistry
from bibbridge.model import Paper, dedupe


# -- one LaTeX decoder ----------------------------------------------------------------------------
def test_emph_title_in_an_existing_bib_is_the_same_paper_for_merge_and_lookup(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@article{smith2020deep,\n  title = {\\emph{Deep} Nets for Everything},\n"
        "  author = {Smith, Jane},\n  year = {2020}\n}\n",
        encoding="utf-8",
    )
    before = bib.read_bytes()
    report = merge_bib([Paper(title="Deep Nets for Everything", authors=["Jane Smith"])], bib)
    assert report.added == [] and [key for key, _, _ in report.skipped] == ["smith2020deep"]
    assert bib.read_bytes() == before
    match = bibbridge.lookup("deep nets for everything", sources=[bib])[0]
    assert (match.key, match.candidate.paper.title) == ("smith2020deep", "Deep Nets for Everything")


# -- one arXiv rule for a .bib entry --------------------------------------------------------------
HOWPUBLISHED = "@misc{lee2023,\n  title = {Something Else},\n  howpublished = {arXiv:2310.12920}\n}\n"
HAL_EPRINT = (
    "@misc{hal2023,\n  title = {A HAL Deposit},\n  eprint = {2310.12920},\n  archivePrefix = {HAL}\n}\n"
)


def test_howpublished_arxiv_reference_is_read_by_merge_and_lookup(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(HOWPUBLISHED, encoding="utf-8")
    report = merge_bib([Paper(title="Generative Marginalization Models", arxiv_id="2310.12920")], bib)
    assert [(key, reason.split(":")[-1].strip()) for key, _, reason in report.skipped] == [
        ("lee2023", "arXiv id (line 1)")
    ]
    matches = bibbridge.lookup("2310.12920", sources=[bib])
    assert [(m.key, m.score, m.matched) for m in matches] == [("lee2023", 100, "arxiv")]


def test_eprint_of_another_archive_is_not_an_arxiv_id_for_merge_or_lookup(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(HAL_EPRINT, encoding="utf-8")
    assert [m.key for m in bibbridge.lookup("2310.12920", sources=[bib])] == []
    report = merge_bib([Paper(title="Generative Marginalization Models", arxiv_id="2310.12920")], bib)
    assert [paper.arxiv_id for _, paper in report.added] == ["2310.12920"] and report.skipped == []


# -- same title, different DOIs: two papers everywhere --------------------------------------------
TITLE = "A Survey of Large Language Models"


def test_same_title_different_dois_are_two_papers_for_dedupe() -> None:
    papers = [Paper(title=TITLE, doi="10.1000/one"), Paper(title=TITLE, doi="10.1000/two")]
    assert [p.doi for p in dedupe(papers)] == ["10.1000/one", "10.1000/two"]


def test_same_title_different_dois_are_two_papers_for_merge(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(f"@article{{zhao2023,\n  title = {{{TITLE}}},\n  doi = {{10.1000/one}}\n}}\n")
    report = merge_bib([Paper(title=TITLE, doi="10.1000/two", authors=["Wayne Zhao"])], bib)
    assert [p.doi for _, p in report.added] == ["10.1000/two"] and report.skipped == []


def test_same_title_different_dois_are_two_papers_for_the_registry(tmp_path: Path) -> None:
    with KeyRegistry(tmp_path / "state.sqlite") as registry:
        one, two = Paper(title=TITLE, doi="10.1000/one"), Paper(title=TITLE, doi="10.1000/two")
        keys = registry.assign([one, two])
        assert len(set(keys.values())) == 2


def test_same_title_different_dois_are_two_papers_for_the_zotero_matcher(tmp_path: Path) -> None:
    from bibbridge.zotero.client import Library
    from bibbridge.zotero.index import LibraryIndex
    from bibbridge.zotero.sync import LibraryMatcher

    with LibraryIndex(Library("user", "1"), path=tmp_path / "index.sqlite") as index:
        data = {"itemType": "journalArticle", "title": TITLE, "DOI": "10.1000/one"}
        index.upsert_items([{"key": "AAAA1111", "version": 1, "data": data}])
        matcher = LibraryMatcher(index.items())
    assert matcher.match(Paper(title=TITLE, doi="10.1000/two")) is None
    found = matcher.match(Paper(title=TITLE, doi="10.1000/ONE"))
    assert found is not None and found.key == "AAAA1111"


# -- one name rule --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("author", "family"),
    [
        ("José Ortega y Gasset", "Ortega y Gasset"),
        ("Henry Ford II", "Ford"),
        ("Martin Luther King, Jr.", "King"),
        ("Aaron van den Oord", "van den Oord"),
    ],
)
def test_lookup_first_author_is_the_family_name_keys_use(author: str, family: str) -> None:
    from bibbridge.keys.names import family_name

    candidate = Candidate("k", Paper(title="T", authors=[author]), "local")
    assert candidate.first_author == family == family_name(author)


def test_a_title_with_tex_math_is_found_again_in_the_file_we_wrote(tmp_path):
    """The writer keeps math as math (``{$^3$He}``); the decoder drops the ``$``: the folded titles of
    the digest's paper and of the entry must still be equal, or every re-run adds the paper again."""
    bib = tmp_path / "refs.bib"
    papers = [
        Paper(title="$^3$He transport in cold atoms", authors=["Jane Smith"]),
        Paper(title="Scaling $O(n^2)$ attention to long contexts", authors=["Wayne Zhao"]),
    ]
    assert len(merge_bib(papers, bib).added) == 2
    written = bib.read_bytes()
    assert "{$^3$He}" in written.decode()
    again = merge_bib(papers, bib)
    assert again.added == [] and len(again.skipped) == 2
    assert bib.read_bytes() == written


def test_a_csl_json_target_finds_again_titles_with_backslashes_and_braces(tmp_path):
    """CSL-JSON titles are plain text, as the papers' are: a title holding ``\\``, ``{`` or ``}`` is the
    same paper in the file we wrote (it was added again on every run)."""
    target = tmp_path / "refs.json"
    papers = [
        Paper(title="\\textbf{Bold} claim"),
        Paper(title="a}b{c unbalanced"),
        Paper(title="Back\\slash ~tilde"),
        Paper(title="$^3$He in a {box}"),
    ]
    assert len(merge_bib(papers, target, style="csl-json").added) == 4
    written = target.read_bytes()
    again = merge_bib(papers, target, style="csl-json")
    assert again.added == [] and target.read_bytes() == written
