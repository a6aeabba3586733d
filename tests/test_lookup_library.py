"""Every real digest paper, hidden in a 2,500-entry generated library, is found by what a user remembers.

The .bib is written by bibbridge's own bib writer (keys, LaTeX-escaped names and titles) and read back
through the fast reader, so this runs the whole chain: writer → reader → index → matching.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from bibbridge.keylookup import BibFile, Lookup
from tests.support.lookup_library import Library, build_library


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    return build_library(tmp_path_factory.mktemp("lookup-library"))


@pytest.fixture
def finder(library: Library) -> Lookup:
    return Lookup([BibFile(library.bib)])


def words(title: str) -> list[str]:
    return title.replace(":", " ").split()


def dropped(title: str) -> str:
    """Every third word left out (titles of three words or fewer keep all but the last)."""
    parts = words(title)
    if len(parts) <= 3:
        return " ".join(parts[:-1]) if len(parts) == 3 else " ".join(parts)
    return " ".join(w for i, w in enumerate(parts) if i % 3 != 2)


def swapped(title: str) -> str:
    """Neighbouring words swapped pairwise, then the whole order reversed."""
    parts = words(title)
    for i in range(0, len(parts) - 1, 2):
        parts[i], parts[i + 1] = parts[i + 1], parts[i]
    return " ".join(reversed(parts))


def typo(word: str) -> str:
    """Two inner letters swapped (``Marginalization`` → ``Mraginalization``), or a letter doubled."""
    if len(word) >= 5:
        return word[0] + word[2] + word[1] + word[3:]
    return word + word[-1]


def typos(title: str) -> str:
    """A typo in each of the two longest words."""
    parts = words(title)
    for index in sorted(range(len(parts)), key=lambda i: -len(parts[i]))[:2]:
        parts[index] = typo(parts[index])
    return " ".join(parts)


def stripped(title: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", title) if not unicodedata.combining(c))


VARIANTS = {
    "exact": lambda t: t,
    "dropped words": dropped,
    "swapped words": swapped,
    "typos": typos,
    "lower case": str.lower,
    "stripped accents": stripped,
}


def test_the_library_holds_every_digest_paper(library: Library) -> None:
    assert len(library.papers) == 325  # 30 + 74 + 233 papers, 12 of them in two digests
    assert len({p.key for p in library.papers}) == len(library.papers)
    assert library.bib.stat().st_size > 3_000_000


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_paper_is_found_first_by_a_title_variant(
    library: Library, finder: Lookup, variant: str
) -> None:
    make = VARIANTS[variant]
    misses = []
    for paper in library.papers:
        query = make(paper.title)
        matches = finder.search(query, limit=3)
        if not matches or matches[0].key != paper.key:
            misses.append((query, paper.key, [(m.key, m.score) for m in matches]))
    assert misses == [], f"{len(misses)} of {len(library.papers)} missed, e.g. {misses[:3]}"


def test_every_paper_is_found_exactly_by_arxiv_id_and_doi(library: Library, finder: Lookup) -> None:
    for paper in library.papers:
        for query in (
            paper.arxiv_id,
            f"arXiv:{paper.arxiv_id}v2",
            f"https://arxiv.org/abs/{paper.arxiv_id}",
            f"https://doi.org/10.48550/arXiv.{paper.arxiv_id}",
        ):
            matches = finder.search(query)
            assert [(m.key, m.score) for m in matches] == [(paper.key, 100)], query
            assert matches[0].matched in ("arxiv", "doi")


def test_first_author_and_year_find_the_paper_among_the_best(library: Library, finder: Lookup) -> None:
    """ "the Müller paper from 2023": every paper with that first author and year outranks the rest."""
    for paper in library.papers[:60]:
        if not paper.year:
            continue
        query = f"the {stripped(paper.first_family).lower()} paper from {paper.year}"
        matches = finder.search(query, limit=50)
        keys = [m.key for m in matches]
        assert paper.key in keys, query
        best = matches[0].score
        assert matches[keys.index(paper.key)].score == best, query


def test_a_paper_that_is_absent_is_not_found(finder: Lookup) -> None:
    assert finder.search("Phonon transport in knitted woollen sweaters at cryogenic temperatures") == []
    assert finder.search("2601.99999") == []
    assert finder.search("10.1234/not-there") == []


def test_a_key_or_key_prefix_finds_the_entry(library: Library, finder: Lookup) -> None:
    paper = library.papers[0]
    exact = finder.search(paper.key.upper())
    assert (exact[0].key, exact[0].score, exact[0].matched) == (paper.key, 100, "key")
    prefix = finder.search(paper.key[:-6])
    assert prefix[0].key == paper.key and prefix[0].matched == "key-prefix"
    assert 80 <= prefix[0].score < 100


def test_the_answer_carries_the_decoded_entry(library: Library, finder: Lookup) -> None:
    paper = library.papers[0]
    match = finder.search(paper.title)[0]
    candidate = match.candidate
    assert candidate.paper.authors[0] == "Müller, Anna"  # M{\"u}ller in the file
    assert candidate.first_author == "Müller"
    assert candidate.paper.arxiv_id == paper.arxiv_id
    assert candidate.paper.doi == f"10.48550/arxiv.{paper.arxiv_id}"
    assert candidate.source == str(library.bib)
    text = Path(library.bib).read_text(encoding="utf-8").splitlines()
    assert text[candidate.paper.source["line"] - 1].startswith(f"@misc{{{paper.key},")


@pytest.fixture
def cold_finder(library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lookup:
    """A lookup that reads the file with no cache (the first query after the file changed)."""
    monkeypatch.setenv("BIBBRIDGE_HOME", str(tmp_path / "cold"))
    return Lookup([BibFile(library.bib)])


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_first_query_of_a_large_file_finds_every_paper_too(
    library: Library, cold_finder: Lookup, variant: str
) -> None:
    make = VARIANTS[variant]
    misses = []
    for paper in library.papers:
        matches = cold_finder.search(make(paper.title), limit=3)
        if not matches or matches[0].key != paper.key:
            misses.append((make(paper.title), paper.key, [(m.key, m.score) for m in matches]))
    assert misses == [], f"{len(misses)} of {len(library.papers)} missed, e.g. {misses[:3]}"
    paper = library.papers[7]
    assert [m.key for m in cold_finder.search(f"arXiv:{paper.arxiv_id}v3")] == [paper.key]
    assert cold_finder.search(paper.key[:-4])[0].key == paper.key


def test_a_later_lookup_answers_from_the_cache_the_same(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIBBRIDGE_HOME", str(tmp_path / "home"))
    paper = library.papers[3]
    first = Lookup([BibFile(library.bib)])
    first_answers = [(m.key, m.score) for m in first.search(dropped(paper.title))]
    assert first_answers[0][0] == paper.key
    later = Lookup([BibFile(library.bib)])
    assert [(m.key, m.score) for m in later.search(dropped(paper.title))] == first_answers
