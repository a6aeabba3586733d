"""The rule for "the same paper", stated once (bibbridge.identity), and every subsystem held to it; the
text layer's decoder and its column variant held equal."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bibbridge.bib.export import render
from bibbridge.bib.latex import CHAR_MACROS, SPECIALS, escape_text, protect_title
from bibbridge.bib.merge import merge_bib
from bibbridge.identity import IdentityIndex, Ids, bib_ids, certainly_different, paper_ids, same_paper
from bibbridge.keys import KeyRegistry
from bibbridge.model import Paper, dedupe
from bibbridge.text.latex import decode_math, latex_to_text, latex_to_text_many

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)

ARXIV = st.sampled_from([None, "2310.12920", "2401.00001"])
DOI = st.sampled_from([None, "10.1000/one", "10.1000/ONE", "10.1000/two", "10.48550/arXiv.2310.12920"])
# Titles: two that fold alike (case, spacing, punctuation), one other.
TITLE = st.sampled_from(["Deep Nets for Everything", "deep nets  for EVERYTHING!", "Shallow Nets"])
papers = st.builds(Paper, title=TITLE, arxiv_id=ARXIV, doi=DOI, authors=st.just(["Jane Smith"]))


def the_rule(a: Paper, b: Paper) -> bool:
    """The rule, in words: different arXiv ids or different DOIs (arXiv's DOI is the arXiv id) are
    never the same paper; otherwise a shared arXiv id, DOI or folded title is."""

    def ids(p: Paper) -> tuple[str | None, str | None, str]:
        doi = p.doi.lower() if p.doi else None
        arxiv = p.arxiv_id
        if doi and doi.startswith("10.48550/arxiv."):
            arxiv, doi = arxiv or doi[len("10.48550/arxiv.") :], None
        return arxiv, doi, " ".join("".join(c if c.isalnum() else " " for c in p.title.lower()).split())

    (xa, da, ta), (xb, db, tb) = ids(a), ids(b)
    if (xa and xb and xa != xb) or (da and db and da != db):
        return False
    return bool((xa and xa == xb) or (da and da == db) or ta == tb)


@SETTINGS
@given(a=papers, b=papers)
def test_every_subsystem_follows_the_one_rule(a: Paper, b: Paper) -> None:
    expected = the_rule(a, b)
    ids_a, ids_b = paper_ids(a), paper_ids(b)
    assert same_paper(ids_a, ids_b) == same_paper(ids_b, ids_a) == expected
    assert not (expected and certainly_different(ids_a, ids_b))
    # dedupe: one record or two
    assert len(dedupe([a, b])) == (1 if expected else 2)
    # the small index
    assert (IdentityIndex([(ids_a, "a")]).find(ids_b) == "a") == expected
    with tempfile.TemporaryDirectory() as folder:
        # the key registry: one key or two
        with KeyRegistry(Path(folder) / "state.sqlite") as registry:
            first = registry.assign([a])[a.identity]
            assert (registry.assign([b])[b.identity] == first) == expected
        # merge_bib: a written as an entry (the writer, the reader, the decoder), b skipped or added
        target = Path(folder) / "refs.bib"
        target.write_text(render([a], {a.identity: "entrya"}, "biblatex"), encoding="utf-8")
        report = merge_bib([b], target, style="biblatex", dry_run=True)
        assert ([key for key, _, _ in report.skipped] == ["entrya"]) == expected
        assert len(report.added) == (0 if expected else 1)
        # sync's library matcher: a as the Zotero item bibbridge would create
        from bibbridge.zotero.client import Library
        from bibbridge.zotero.index import LibraryIndex
        from bibbridge.zotero.mapper import paper_to_item
        from bibbridge.zotero.sync import LibraryMatcher

        with LibraryIndex(Library("user", "1"), path=Path(folder) / "index.sqlite") as index:
            item = paper_to_item(a, "entrya")
            index.upsert_items([{"key": "AAAA1111", "version": 1, "data": item}])
            matcher = LibraryMatcher(index.items())
        assert (matcher.match(b) is not None) == expected


def test_a_bib_entry_reads_its_identifiers_by_the_same_rule() -> None:
    fields = {
        "title": r"\emph{Deep} Nets for {E}verything",
        "doi": "https://doi.org/10.48550/arXiv.2310.12920",
    }
    assert bib_ids(fields) == Ids("2310.12920", None, "deep nets for everything")
    assert bib_ids({"title": "X", "eprint": "2310.12920v3", "eprinttype": "arxiv"}).arxiv_id == "2310.12920"
    assert bib_ids({"title": "X", "eprint": "2310.12920", "archiveprefix": "HAL"}).arxiv_id is None
    assert bib_ids({"title": "X", "journal": "arXiv preprint arXiv:2401.00001"}).arxiv_id == "2401.00001"


def test_empty_titles_match_only_records_with_nothing_else() -> None:
    assert same_paper(Ids(), Ids())
    assert not same_paper(Ids(doi="10.1/x"), Ids())
    assert not same_paper(Ids(arxiv_id="2310.12920", doi="10.1/a"), Ids(arxiv_id="2310.12920", doi="10.1/b"))


# -- the text layer --------------------------------------------------------------------------------
LATEX_PIECES = st.sampled_from(
    [
        r"\emph{Deep}", r"M{\"u}ller", r"Pad\'e", r"\'{\i}", r"{\'{\"u}}", r"\c c", r"\v{s}", r"{\ss}",
        r"\&", r"50\%", "~", "{GPT}-4", "--", "$x^2$", r"{$\alpha$}", r"\textsuperscript{2}", r"\url{x}",
        r"{\textbraceleft}", r"\textbackslash{}", "  ", "\n", "\t", "plain", "é", "\u00a0", r"\unknown{arg}",
    ]
)  # fmt: skip
latex_texts = st.lists(st.lists(LATEX_PIECES, max_size=6).map("".join), max_size=8)


@settings(max_examples=200, deadline=None, database=None)
@given(latex_texts)
def test_the_column_decoder_equals_the_decoder(texts: list[str]) -> None:
    one_by_one = [" ".join(latex_to_text(text, tie=" ").split()) for text in texts]
    assert [" ".join(text.split()) for text in latex_to_text_many(texts)] == one_by_one


def test_the_decoder_reads_every_symbol_the_writer_writes() -> None:
    for char, macro in {**CHAR_MACROS, **SPECIALS}.items():
        decoded = latex_to_text(macro)
        # Several characters share a macro (µ and μ are both \mu): the first in the table is read back.
        assert decoded == char or CHAR_MACROS.get(decoded) == macro


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(alphabet="abcXYZ éüßø–—’{}\\$%&#_~^<>|αΣ∞", max_size=30))
def test_decoding_what_the_writer_wrote_gives_the_text_back(text: str) -> None:
    expected = " ".join(text.split())
    assert latex_to_text(escape_text(text)) == expected
    # protect_title keeps well-formed TeX math as math: it decodes as the math it is (decode_math)
    assert latex_to_text(protect_title(text)) == " ".join(decode_math(text).split())
    assert latex_to_text(escape_text(text, ascii=False)) == expected


@SETTINGS
@given(paper=papers)
def test_every_record_kind_reads_the_same_identifiers(paper: Paper) -> None:
    """A paper written as a .bib entry, a CSL item, a Zotero item and a registry row reads back as
    the same Ids, whichever reader reads it."""
    from bibbridge.bib.csl import csl_item
    from bibbridge.bib.reader import parse_bib
    from bibbridge.identity import csl_ids, registry_ids, zotero_ids
    from bibbridge.keys.registry import KeyRow
    from bibbridge.zotero.mapper import paper_to_item

    expected = paper_ids(paper)
    for style in ("bibtex", "biblatex"):
        (entry,) = parse_bib(render([paper], {paper.identity: "k"}, style)).entries
        assert bib_ids(entry.fields) == expected, style
    assert csl_ids(csl_item(paper, "k")) == expected
    assert zotero_ids(paper_to_item(paper, "k")) == expected
    row = KeyRow("k", expected.arxiv_id, expected.doi, paper.title, list(paper.authors), None)
    assert registry_ids(row) == expected
