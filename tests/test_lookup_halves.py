"""A large never-seen .bib is read by two processes, half the chunks each (``read_in_halves``): the
table, its bookkeeping and every answer are the ones a whole read in one process gives, on every kind
of file; where a half could read differently alone, the halves give way to the whole read."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SHARED

from bibbridge.keylookup import BibFile, Lookup, bibtable
from bibbridge.keylookup.bibtable import Chunks, bib_file_table, read_in_halves
from tests.support.generated_bib import generated_bib
from tests.support.lookup_tables import bookkeeping_content, table_content
from tests.test_lookup_cache import entry, many

CONFORMANCE = SHARED / "conformance" / "bibtexparser-1.4.4-data"
CORPUS = sorted(CONFORMANCE.glob("*.bib")) if CONFORMANCE.is_dir() else []

#: Files whose halves read as the whole file does (each cut in its middle chunk).
CLEAN = {
    "generated": generated_bib(400, seed=11),
    "string macros": "@string{jname = {Journal of arXiv:2101.00001}}\n\n" + many("a", 30),
    "macro redefined in the second half": "@string{jname = {arXiv:2101.00001}}\n"
    + many("a", 20)
    + '@STRING( jname = "arXiv:2101.00002" )\n'
    + many("b", 20),
    "an entry twice, once in each half": entry("same", "Twice over")
    + many("a", 20)
    + entry("same", "Twice over"),
    "several entries on one line": many("a", 10).replace("}\n\n@article{a5", "} @article{a5") + many("b", 10),
    "Windows line ends": many("a", 15).replace("\n", "\r\n"),
    "comments and @comment blocks": "% exported\n@comment{jabref-meta: x;}\n"
    + many("a", 12)
    + "@preamble{x}\n",
}
#: Files where a half alone could read differently: read whole, with the same answers.
ODD = {
    "not UTF-8": (many("a", 10) + entry("m", "M\xfcller") + many("b", 10)).encode("latin-1"),
    "a value holding lines that start with @": many("a", 10)
    + entry(
        "long",
        "Long abstract",
        "\n  abstract = {" + "\n".join(f"@misc{{fake{i}, title={{not an entry}}}}" for i in range(5)) + "},",
    )
    + many("b", 10),
    "a macro defined inside an entry": "@string{jname = {arXiv:2101.00001}}\n"
    + many("a", 10)
    + entry("m", "Macro host")
    + "  @string{jname = {arXiv:2101.00002}}\n"
    + many("b", 10),
    "a malformed entry": many("a", 10) + "@article{broken,\n  title = {Unclosed\n\n" + many("b", 10),
}

pytestmark = pytest.mark.usefixtures("single_threaded")

QUERIES = [
    "entry number 7",
    "2101.00002",
    "2101.00001",
    "twice over",
    "müller",
    "a1",
    "long abstract",
    "fake3",
]


def whole_and_halves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes) -> tuple:
    """The table, its bookkeeping and the answers: read whole in one process, then in halves."""
    bib = tmp_path / "refs.bib"
    bib.write_bytes(data)
    out = []
    for label, threshold in (("whole", 10**12), ("halves", 0)):
        monkeypatch.setattr(bibtable, "PARALLEL_BYTES", threshold)
        monkeypatch.setenv("BIBBRIDGE_HOME", str(tmp_path / label))
        table = bib_file_table(bib, str(bib))
        found = [
            [
                (m.key, m.score, m.matched, m.candidate.paper.source["line"])
                for m in Lookup([BibFile(bib)]).search(q)
            ]
            for q in QUERIES
        ]
        out.append((table_content(table), bookkeeping_content(table), found))
    return tuple(out)


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_halves_give_the_table_of_a_whole_read(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = CLEAN[name].encode("utf-8")
    assert read_in_halves(Chunks(data), "refs.bib") is not None  # the halves did the reading
    whole, halves = whole_and_halves(tmp_path, monkeypatch, data)
    assert halves[0] == whole[0]  # rows and every index
    assert halves[1] == whole[1] and whole[1]["content"]  # the bookkeeping an update needs
    assert halves[2] == whole[2]  # answers, scores, lines
    assert any(halves[2])


@pytest.mark.parametrize("name", sorted(ODD))
def test_a_file_a_half_could_misread_is_read_whole(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = ODD[name] if isinstance(ODD[name], bytes) else ODD[name].encode("utf-8")
    assert read_in_halves(Chunks(data), "refs.bib") is None
    whole, halves = whole_and_halves(tmp_path, monkeypatch, data)
    assert halves == whole


@pytest.mark.skipif(
    not CORPUS, reason="../shared/conformance/bibtexparser-1.4.4-data is not beside this clone"
)
@pytest.mark.parametrize("path", CORPUS, ids=lambda path: path.name)
def test_the_bibtexparser_corpus(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole, halves = whole_and_halves(tmp_path, monkeypatch, path.read_bytes())
    assert halves == whole


def test_an_update_after_a_read_in_halves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bookkeeping the halves leave serves the next update as a whole read's does."""
    text = generated_bib(300, seed=2)
    edit = text.replace("title", "title = {Quokka Habitats}, xtitle", 1)
    bib = tmp_path / "refs.bib"
    monkeypatch.setattr(bibtable, "PARALLEL_BYTES", 0)
    monkeypatch.setenv("BIBBRIDGE_HOME", str(tmp_path / "home"))
    bib.write_text(text, encoding="utf-8")
    bib_file_table(bib, str(bib))
    bib.write_text(edit, encoding="utf-8")
    updated = bib_file_table(bib, str(bib))
    assert updated.extra  # updated chunk by chunk, not read whole
    monkeypatch.setattr(bibtable, "PARALLEL_BYTES", 10**12)
    monkeypatch.setenv("BIBBRIDGE_HOME", str(tmp_path / "cold"))
    assert table_content(updated) == table_content(bib_file_table(bib, str(bib)))
    assert [m.key for m in Lookup([BibFile(bib)]).search("quokka habitats")][:1]
