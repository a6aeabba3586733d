"""A large .bib read on several cores gives exactly the table (and so the answers) of reading it serially.

The parallel path (``bibbridge.keylookup.parallel``) is forced here with explicit part counts and size
thresholds, on the 4 MB test library and on small files made to trip it up.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bibbridge.bib.reader import scan_bib
from bibbridge.keylookup import BibFile, Lookup
from bibbridge.keylookup import index as index_module
from bibbridge.keylookup import parallel as parallel_module
from bibbridge.keylookup.api import candidate_of
from bibbridge.keylookup.index import Table
from bibbridge.keylookup.match import parse_query, search_table
from bibbridge.keylookup.parallel import parallel_bib_table, split_points
from bibbridge.keylookup.sources import BIB_FIELDS, bib_table
from tests.support.lookup_library import Library, build_library

pytestmark = pytest.mark.skipif(not parallel_module.can_fork(), reason="the parallel path forks (Linux)")


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    return build_library(tmp_path_factory.mktemp("lookup-parallel"))


def serial_table(path: Path) -> Table:
    return bib_table(str(path), scan_bib(path, BIB_FIELDS))


def same_tables(one: Table, other: Table) -> bool:
    return len(one) == len(other) and one.dumps(("stamp",)) == other.dumps(("stamp",))


def answers(table: Table, query: str) -> list[tuple]:
    """The ranked rows as a user sees them: key, score, what matched, the decoded entry and its line."""
    out = []
    for row, score, matched in search_table(table, parse_query(query), limit=5):
        candidate = candidate_of(table, row)
        out.append((candidate.key, score, matched, candidate.paper.to_dict()))
    return out


@pytest.mark.parametrize("parts", [2, 3, 4])
def test_the_parallel_table_is_the_serial_table(library: Library, parts: int) -> None:
    serial = serial_table(library.bib)
    parallel = parallel_bib_table(library.bib, str(library.bib), parts=parts, min_bytes=0)
    assert parallel is not None
    assert len(parallel) == len(serial) == library.generated + len(library.papers)
    assert same_tables(parallel, serial)


def test_the_parallel_table_gives_the_serial_answers(library: Library) -> None:
    serial = serial_table(library.bib)
    parallel = parallel_bib_table(library.bib, str(library.bib), parts=2, min_bytes=0)
    assert parallel is not None
    queries = []
    for paper in library.papers[::4]:
        queries += [paper.title, paper.title.lower(), f"arXiv:{paper.arxiv_id}v1", paper.key[:-2]]
        queries.append(f"{paper.first_family} {paper.year}")
    for query in queries:
        expected = answers(serial, query)
        assert expected, query
        assert answers(parallel, query) == expected, query


def record_parallel_builds(monkeypatch: pytest.MonkeyPatch, home: Path) -> list[Table | None]:
    """From here on, lookups keep their cache in ``home`` and take the parallel path for every file;
    the tables it builds are appended to the returned list."""
    monkeypatch.setenv("BIBBRIDGE_HOME", str(home))
    monkeypatch.setattr(parallel_module, "PARALLEL_MIN_BYTES", 0)
    built: list[Table | None] = []
    real = parallel_module.parallel_bib_table

    def recording(*args: object, **kwargs: object) -> Table | None:
        built.append(real(*args, **kwargs))  # type: ignore[arg-type]
        return built[-1]

    monkeypatch.setattr(parallel_module, "parallel_bib_table", recording)
    return built


def test_lookup_answers_the_same_with_the_parallel_path(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paper = library.papers[len(library.papers) // 2]
    queries = [paper.title, f"{paper.first_family} {paper.year}", paper.arxiv_id, paper.key]
    monkeypatch.setenv("BIBBRIDGE_HOME", str(tmp_path / "serial"))
    serial = [Lookup([BibFile(library.bib)]).search(q) for q in queries]
    built = record_parallel_builds(monkeypatch, tmp_path / "parallel")
    parallel = [Lookup([BibFile(library.bib)]).search(q) for q in queries]
    assert len(built) == 1 and built[0] is not None  # read once, in parallel, then from the cache
    assert [[m.to_dict() for m in ms] for ms in parallel] == [
        [m.to_dict() for m in ms] for ms in serial
    ]
    assert serial[0][0].key == paper.key


def entry(key: str, title: str, extra: str = "") -> str:
    head = f"@article{{{key},\n  title = {{{title}}},\n  author = {{Ann Author}},\n"
    return head + f"  year = 2020,{extra}\n}}\n\n"


def many(prefix: str, count: int) -> str:
    journal = "\n  journal = jname,"
    return "".join(entry(f"{prefix}{i}", f"Entry {prefix} number {i}", journal) for i in range(count))


def test_string_macros_defined_along_the_file_reach_the_later_parts(tmp_path: Path) -> None:
    text = (
        "@string{jname = {First Journal}}\n\n"
        + many("a", 40)
        + "@STRING( jname = \"Second \" # jname )\n"
        + many("b", 40)
        + "% @string{jname = {a comment, not a macro}}\n"
        + "@comment{jabref-meta: x;}\n"
        + many("c", 40)
    )
    bib = tmp_path / "macros.bib"
    bib.write_text(text, encoding="utf-8")
    serial = serial_table(bib)
    assert {serial.row(i).key: 0 for i in range(len(serial))}.keys() >= {"a0", "c39"}
    for parts in (2, 3, 4):
        parallel = parallel_bib_table(bib, str(bib), parts=parts, min_bytes=0)
        assert parallel is not None
        assert same_tables(parallel, serial)
    journals = {e.key: e.fields["journal"] for e in scan_bib(bib, BIB_FIELDS)}
    assert journals["a1"] == "First Journal" and journals["c1"] == "Second First Journal"


def test_a_value_holding_a_line_starting_with_at_is_read_serially(tmp_path: Path) -> None:
    # A split point lands inside the abstract: its part is malformed there, so the file is read serially.
    inner = "\n".join(f"@misc{{fake{i}, title={{not an entry}}}}" for i in range(60))
    text = many("a", 20) + entry("long", "Long abstract", f"\n  abstract = {{{inner}}},") + many("b", 20)
    bib = tmp_path / "tricky.bib"
    bib.write_text(text, encoding="utf-8")
    serial = serial_table(bib)
    assert "fake0" not in serial.lower_keys()
    points = split_points(bib.read_bytes(), 2)
    assert text.index("abstract") < points[1] < text.index("\n@article{b0")
    assert parallel_bib_table(bib, str(bib), parts=2, min_bytes=0) is None


def test_files_that_are_not_utf8_are_read_serially(tmp_path: Path) -> None:
    bib = tmp_path / "latin1.bib"
    bib.write_bytes((many("a", 30) + entry("m", "M\xfcller") + many("b", 30)).encode("latin-1"))
    assert parallel_bib_table(bib, str(bib), parts=2, min_bytes=0) is None
    assert any(row == "m" for row in serial_table(bib).lower_keys())


def test_small_files_stay_serial(library: Library) -> None:
    size = library.bib.stat().st_size
    assert parallel_bib_table(library.bib, str(library.bib), parts=2, min_bytes=size + 1) is None


# -- the vocabulary the parts list for a query with a typo --------------------------------------------
def words_of(table: Table) -> list[str]:
    return sorted(set(table.text.split()))


def plain(table: Table) -> Table:
    """The same table as a fresh plain one (no scans or vocabulary remembered)."""
    return Table.loads(table.dumps(("stamp",)), None)  # type: ignore[return-value]


def misspelt(word: str) -> str:
    return word[0] + word[2] + word[1] + word[3:]  # two letters swapped


@pytest.mark.parametrize("parts", [2, 4])
def test_a_word_no_part_has_gets_the_parts_best_typo_candidates(library: Library, parts: int) -> None:
    serial = serial_table(library.bib)
    typo = misspelt("learning")
    assert typo not in words_of(serial)
    parallel = parallel_bib_table(library.bib, str(library.bib), parts=parts, min_bytes=0, words=(typo,))
    assert parallel is not None
    assert parallel._scan_vocabulary is None  # no part listed its words for the joined table
    choices = parallel.typo_choices(typo)
    assert "learning" in choices and choices == sorted(choices) and len(choices) <= 6 * parts
    assert set(choices) <= set(words_of(serial))
    assert parallel._scan_vocabulary is None
    # The parts also found the candidates' rows: complete, as on the joined table.
    assert parallel._scans["learning"] == plain(parallel)._scan("learning")
    assert same_tables(parallel, serial)  # the candidates are no part of the stored table


def test_typo_expansions_from_the_parts_are_those_of_the_whole_vocabulary(library: Library) -> None:
    """What a misspelt word stands for is the same whether the parts found the candidates or the whole
    vocabulary was searched: for words of the table, misspelt, including ones only some parts have."""
    from bibbridge.keylookup.match import _expansions

    serial = serial_table(library.bib)
    vocabulary = words_of(serial)
    words = ["odegaard", *[word for word in vocabulary if len(word) >= 5 and word.isalpha()][::19][:40]]
    typos = tuple(dict.fromkeys(t for t in map(misspelt, words) if t not in vocabulary))
    assert len(typos) >= 30 and "oedgaard" in typos  # odegaard: only in the last part
    parallel = parallel_bib_table(library.bib, str(library.bib), parts=3, min_bytes=0, words=typos)
    assert parallel is not None
    whole = plain(serial)
    for typo in typos:
        assert parallel.typo_choices(typo) != whole.vocabulary
        assert _expansions(parallel, typo) == _expansions(whole, typo), typo
    assert parallel._scan_vocabulary is None  # never needed


def test_a_word_only_some_parts_have_is_no_typo(library: Library) -> None:
    # Family names given to the digest papers only (appended at the end of the file): not in the first
    # part. Such a word is a word of the table, so it is no typo: no part's candidates stand for it.
    raw = library.bib.read_bytes()
    first_part = raw[: split_points(raw, 2)[1]].decode("utf-8")
    first_text = bib_table("first", scan_bib(first_part, BIB_FIELDS)).text
    serial = serial_table(library.bib)
    assert " odegaard " in serial.text and " odegaard " not in first_text
    words = ("odegaard", "xy")
    parallel = parallel_bib_table(library.bib, str(library.bib), parts=2, min_bytes=0, words=words)
    assert parallel is not None and parallel._typo_choices == {}
    assert parallel.typo_choices("odegaard") == words_of(serial)  # the vocabulary, listed on first use
    assert same_tables(parallel, serial)


def test_words_every_part_has_leave_the_vocabulary_to_later(library: Library) -> None:
    serial = serial_table(library.bib)
    # "learning" is a word of every part; words shorter than four letters are not looked up as typos.
    words = ("learn", "learning", "zq", "of")
    parallel = parallel_bib_table(library.bib, str(library.bib), parts=3, min_bytes=0, words=words)
    assert parallel is not None
    assert parallel._scan_vocabulary is None and parallel._typo_choices == {}
    assert parallel.vocabulary == words_of(serial)  # computed on first use
    assert parallel._scan_vocabulary == words_of(serial)
    assert same_tables(parallel, serial)


def test_a_typo_query_answers_the_same_with_the_parallel_path(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paper = library.papers[7]
    title_words = paper.title.split()
    longest = max(range(len(title_words)), key=lambda i: len(title_words[i]))
    typo = title_words[longest][:-2] + "zq" + title_words[longest][-1]  # two letters replaced
    query = " ".join(title_words[:longest] + [typo] + title_words[longest + 1 :])
    # Tables stay plain (no word index at once), as for a large file: the typo is looked up among the
    # best candidates of the parts (in the serial case, among all the table's words).
    monkeypatch.setattr(index_module, "INDEX_AT_ONCE_ROWS", 0)
    monkeypatch.setenv("BIBBRIDGE_HOME", str(tmp_path / "serial"))
    serial = Lookup([BibFile(library.bib)]).search(query)
    built = record_parallel_builds(monkeypatch, tmp_path / "parallel")
    parallel = Lookup([BibFile(library.bib)]).search(query)
    assert len(built) == 1 and built[0] is not None and not built[0].indexed
    assert typo.lower() in built[0]._typo_choices and built[0]._scan_vocabulary is None
    assert [m.to_dict() for m in parallel] == [m.to_dict() for m in serial]
    assert serial and serial[0].key == paper.key
