"""The first query of a large .bib (no cache yet) answered without reading the whole file, and the same.

Every real digest paper hidden in the 2,800-entry generated library is asked for in every way the library
tests ask (exact title, dropped and swapped words, typos, lower case, stripped accents, ids, DOIs, keys)
through the shortcut (:mod:`bibbridge.keylookup.quick`) and through the full path (the whole file read into
a table); wherever the shortcut answers, its best key and score are the full path's.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bibbridge.keylookup import BibFile, Lookup, quick
from bibbridge.keylookup.background import lock_path
from bibbridge.keylookup.index import cache_path_for, load_cached
from bibbridge.keylookup.match import parse_query
from tests.support.lookup_library import Library, build_library
from tests.test_lookup_library import VARIANTS, dropped, typos

#: Every third paper: the shortcut reads the file's bytes per query, so all 325 × 6 would take minutes.
STEP = 3


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    return build_library(tmp_path_factory.mktemp("lookup-quick"))


@pytest.fixture
def full(library: Library) -> Lookup:
    finder = Lookup([BibFile(library.bib)], quick_first=False)
    finder.load()
    return finder


def quick_best(library: Library, query: str, limit: int = 1) -> tuple[str, int] | None:
    """The shortcut's best (key, score), or None when it leaves the query to the full path."""
    answer = BibFile(library.bib).quick_search(parse_query(query), limit, 60)
    if answer is None:
        return None
    table, rows = answer
    row, score, _ = rows[0]
    return table.row(row).key, score


def test_the_library_is_large_enough_for_the_shortcut(library: Library) -> None:
    assert library.bib.stat().st_size > quick.QUICK_MIN_BYTES


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_shortcut_answers_as_the_full_path_does(library: Library, full: Lookup, variant: str) -> None:
    make = VARIANTS[variant]
    folded = library.bib.read_bytes().lower().translate(None, b"{}$")
    used, spelt_out, differ = 0, 0, []
    for paper in library.papers[::STEP]:
        query = make(paper.title)
        # Words the file holds only as LaTeX or non-ASCII (Schr{\"o}dinger for "schrodinger") or not at
        # all (typos) are left to the full path.
        spelt_out += all(word.encode() in folded for word in parse_query(query).words)
        best = quick_best(library, query)
        if best is None:
            continue
        used += 1
        expected = full.search(query, limit=1)[0]
        if best != (expected.key, expected.score) or best[0] != paper.key:
            differ.append((query, best, (expected.key, expected.score), paper.key))
    assert differ == []
    papers = len(library.papers[::STEP])
    assert used == spelt_out, f"the shortcut answered {used} of {spelt_out}"
    assert spelt_out < papers // 4 if variant == "typos" else spelt_out >= papers - 3


def test_ids_dois_and_keys_are_answered_by_the_shortcut(library: Library, full: Lookup) -> None:
    for paper in library.papers[::STEP]:
        for query in (
            paper.arxiv_id,
            f"arXiv:{paper.arxiv_id}v2",
            f"https://arxiv.org/abs/{paper.arxiv_id}",
            f"https://doi.org/10.48550/arXiv.{paper.arxiv_id}",
            paper.key,
            paper.key.upper(),
        ):
            expected = full.search(query, limit=1)[0]
            assert quick_best(library, query) == (expected.key, expected.score) == (paper.key, 100), query


def test_the_shortcut_reports_true_lines_and_decoded_entries(library: Library) -> None:
    paper = library.papers[0]
    table, rows = BibFile(library.bib).quick_search(parse_query(paper.title), 1, 60)
    row = table.row(rows[0][0])
    lines = library.bib.read_text(encoding="utf-8").splitlines()
    assert lines[row.line - 1].startswith(f"@misc{{{paper.key},")
    assert row.authors[0] == "Müller, Anna"  # M{\"u}ller in the file
    assert row.arxiv_id == paper.arxiv_id


def test_an_accented_name_spelt_both_ways_is_found_by_the_shortcut(tmp_path: Path) -> None:
    """"muller" occurs as such in one entry, as M{\\"u}ller and Müller in others: the shortcut must see
    all three (the odd-token pass folds LaTeX and non-ASCII title/author words)."""
    entries = [
        ("muller2023", "Muller, Jan", "Reweighted sampling of rare events"),
        ("mullerLatex2023", 'M{\\"u}ller, Anna', "Palimpsestic membership of rare events"),
        ("mullerUtf2023", "Müller, Anna", "Palimpsestic membership inference"),
    ]
    filler = "".join(
        f"@article{{filler{i},\n  title = {{Common words about learning models {i}}},\n"
        f"  author = {{Smith, John}},\n  year = {{2001}},\n  abstract = {{{'x' * 900}}},\n}}\n\n"
        for i in range(1200)
    )
    bib = tmp_path / "names.bib"
    bib.write_text(
        filler
        + "".join(
            f"@article{{{key},\n  title = {{{title}}},\n  author = {{{author}}},\n  year = {{2023}},\n}}\n\n"
            for key, author, title in entries
        ),
        encoding="utf-8",
    )
    assert bib.stat().st_size > quick.QUICK_MIN_BYTES
    answer = BibFile(bib).quick_search(parse_query("muller palimpsestic"), 3, 60)
    assert answer is not None
    table, rows = answer
    quick_keys = [(table.row(row).key, score) for row, score, _ in rows if score >= 60]
    full = Lookup([BibFile(bib)], quick_first=False).search("muller palimpsestic", limit=3)
    assert quick_keys == [(m.key, m.score) for m in full]
    assert {key for key, _ in quick_keys[:2]} == {"mullerLatex2023", "mullerUtf2023"}


def test_a_typo_query_falls_back_and_still_finds_the_key(library: Library) -> None:
    paper = library.papers[0]  # Generative Marginalization Models
    query = typos(paper.title)
    assert quick_best(library, query) is None
    finder = Lookup([BibFile(library.bib)], quick_first=True)
    assert finder.search(query, limit=1)[0].key == paper.key
    assert finder.answered_by == {str(library.bib): "table"}


def test_common_words_only_and_absent_papers_fall_back(library: Library, full: Lookup) -> None:
    assert quick_best(library, "learning models") is None  # no rare word to search for
    assert quick_best(library, "Phonon transport in knitted woollen sweaters") is None
    assert quick_best(library, "2601.99999") is None
    assert full.search("2601.99999") == []


def test_the_first_cli_style_query_answers_quickly_and_the_cache_is_built_aside(library: Library) -> None:
    """What `bibbridge key` does: the shortcut answers, a detached process caches the indexed table."""
    paper = library.papers[5]
    first = Lookup([BibFile(library.bib)], background_index=True)
    assert [m.key for m in first.search(dropped(paper.title), limit=1)] == [paper.key]
    assert first.answered_by == {str(library.bib): "quick"}
    lock = lock_path(cache_path_for(library.bib.resolve(), "bib"))
    deadline = time.monotonic() + 60
    while lock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    cached = load_cached(library.bib, "bib", str(library.bib))
    assert cached is not None and cached.indexed
    later = Lookup([BibFile(library.bib)], background_index=True)
    assert [m.key for m in later.search(dropped(paper.title), limit=1)] == [paper.key]
    assert later.answered_by == {str(library.bib): "table"}
