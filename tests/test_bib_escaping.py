"""Property tests: whatever a title, abstract or author name holds (LaTeX specials, braces, ``%``,
``\\``, math, any Unicode), the entries written stay valid for the real bibtex and biber, read back
through bibtexparser to the same text, and get unique valid keys; merging is idempotent.

Hypothesis generates the papers; the real programs then run once over the whole batch (not once per
example), which keeps the test fast.
"""

from __future__ import annotations

import string
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import bibbridge
from bibbridge.bib.latex import CHAR_MACROS, SPECIALS, escape_text, protect_title
from bibbridge.bib.merge import merge_bib
from bibbridge.bib.writer import check_key
from bibbridge.identity import title_key
from bibbridge.keys import compile_formula
from bibbridge.model import Paper, dedupe
from bibbridge.text import clean_spaces
from bibbridge.text.latex import latex_to_text as latex_to_unicode
from tests.support.latex_tools import (
    require,
    run_biber,
    run_bibtex,
    unexplained_biber_problems,
    unexplained_bibtex_warnings,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)

# Characters encoded without loss (decode(encode(x)) == x): ASCII, the macro table, accented Latin.
LOSSLESS = (
    string.ascii_letters
    + string.digits
    + " .,;:!?'\"()[]/@=+*-"
    + "".join(SPECIALS)
    + "".join(c for c in CHAR_MACROS if latex_to_unicode(CHAR_MACROS[c]) == c and c != "\u00a0")
    + "éèêëàâäöüçñåøæßłšžčćőűąęÉÖÜÇŠ"
)
MATH = st.sampled_from(
    [
        "$x^2$",
        "$\\alpha_{t}$",
        "\\( A \\)",
        "O(n^{1/2})",
        "{\\it single-loop}",
        "50\\%",
        "a_{i,j}",
        "}{",
        "\\\\",
        "$$",
        "C_{Phi}",
        "~",
        "#1",
        "&",
        "%",
        "\\url{x}",
        "\\",
    ]
)
lossless_text = st.lists(st.one_of(st.text(alphabet=LOSSLESS, min_size=1, max_size=12), MATH), max_size=8)
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)  # every Unicode scalar
# Titles without control characters: the key formula (bibbridge.keys) keeps them in keys, see
# test_key_formula_drops_control_characters below. Readers never produce them (clean_spaces).
any_title = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60)


FORMULA = compile_formula(None)


def joined(parts: list[str]) -> str:
    return clean_spaces(" ".join(parts))


@st.composite
def papers(draw: st.DrawFn, lossless: bool = True) -> Paper:
    text = lossless_text.map(joined) if lossless else any_text.map(clean_spaces)
    titles = lossless_text.map(joined) if lossless else any_title.map(clean_spaces)
    title = draw(titles.filter(lambda t: any(c.isalnum() for c in t)))
    names = st.lists(
        st.text(alphabet=string.ascii_letters + "éøł-' ", min_size=1, max_size=15)
        .map(clean_spaces)
        .filter(lambda n: any(c.isalpha() for c in n)),
        max_size=4,
    )
    date = draw(st.none() | st.dates().map(lambda d: f"{max(d.year, 1000):04d}-{d.month:02d}-{d.day:02d}"))
    url = draw(st.sampled_from([[], ["https://github.com/a_b/c%20d#x"], ["https://x.org/{odd} path\\"]]))
    paper = Paper(
        title=title,
        abstract=draw(text),
        authors=draw(names),
        published=date,
        arxiv_id=draw(st.none() | st.sampled_from(["2005.14165", "hep-th/9901001"])),
        urls={"code": url, "project": [], "other": []},
    )
    # Keys of digits only (title "1984", no author) are refused by biber; the key formula still
    # makes them: see test_key_formula_avoids_digit_only_keys below.
    assume(not FORMULA.key_for(paper).isdigit())
    return paper


def collect(strategy: st.SearchStrategy[Paper], check=None) -> list[Paper]:
    """Run hypothesis over ``strategy`` (with the pure per-example ``check``) and keep every example."""
    seen: list[Paper] = []

    @SETTINGS
    @given(strategy)
    def run(paper: Paper) -> None:
        if check is not None:
            check(paper)
        seen.append(paper)

    run()
    # The same paper twice (same identity or folded title) is merged, not written twice.
    return dedupe(seen)


def _pure_checks(paper: Paper) -> None:
    for ascii in (True, False):
        for encode in (escape_text, protect_title):
            value = encode(paper.title, ascii=ascii)
            if encode is protect_title and "$" in value.replace("\\$", ""):
                # Well-formed TeX math is kept as math; decoding drops its delimiters and braces, and
                # the decoded title is the same paper as the digest's (folded alike: merge finds it).
                assert title_key(latex_to_unicode(value)) == title_key(paper.title)
            else:
                assert latex_to_unicode(value) == paper.title
            assert value.count("{") == value.count("}")
            assert "%" not in value.replace("\\%", "")
            assert not ascii or value.isascii()


def test_lossless_text_round_trips_through_bibtex_bibtexparser_and_biber(tmp_path: Path) -> None:
    require("bibtex")
    batch = collect(papers(), _pure_checks)
    text = bibbridge.to_bibtex(batch)
    assert text.isascii()
    run = run_bibtex(text, tmp_path / "bibtex")
    assert (run.returncode, run.errors) == (0, [])
    assert unexplained_bibtex_warnings(run.warnings, text) == []
    assert run.items == len(batch)

    import bibtexparser
    from bibtexparser.bparser import BibTexParser

    for style in ("bibtex", "biblatex"):
        written = text if style == "bibtex" else bibbridge.to_biblatex(batch)
        parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
        entries = bibtexparser.loads(written, parser).entries
        assert len(entries) == len(batch)
        for paper, entry in zip(batch, entries, strict=True):
            if "$" not in entry["title"].replace("\\$", ""):
                assert latex_to_unicode(entry["title"]) == paper.title
            assert latex_to_unicode(entry.get("abstract", "")) == paper.abstract
    out = tmp_path / "biblatex.bib"
    out.write_text(bibbridge.to_biblatex(batch), encoding="utf-8")
    biber = run_biber(out)
    assert biber.returncode == 0
    assert unexplained_biber_problems(biber.problems, out.read_text(encoding="utf-8")) == []


def test_any_unicode_stays_ascii_and_valid_for_bibtex_and_biber(tmp_path: Path) -> None:
    batch = collect(papers(lossless=False))
    text = bibbridge.to_bibtex(batch)
    assert text.isascii()  # plain BibTeX is 8-bit: no raw UTF-8, ever
    run = run_bibtex(text, tmp_path / "bibtex")
    assert (run.returncode, run.errors) == (0, [])
    assert unexplained_bibtex_warnings(run.warnings, text) == []
    assert run.items == len(batch)
    out = tmp_path / "biblatex.bib"
    out.write_text(bibbridge.to_biblatex(batch), encoding="utf-8")
    biber = run_biber(out)
    assert biber.returncode == 0
    assert unexplained_biber_problems(biber.problems, out.read_text(encoding="utf-8")) == []


def test_keys_are_unique_and_valid(tmp_path: Path) -> None:
    batch = collect(papers(lossless=False))
    import bibtexparser
    from bibtexparser.bparser import BibTexParser

    entries = bibtexparser.loads(bibbridge.to_bibtex(batch), BibTexParser(common_strings=True)).entries
    keys = [e["ID"] for e in entries]
    assert len(keys) == len(batch)
    assert len({k.lower() for k in keys}) == len(keys)
    assert all(check_key(k) == k for k in keys)
    # Asking again gives the same keys: the registry never re-keys a paper.
    again_text = bibbridge.to_bibtex(batch)
    again = [e["ID"] for e in bibtexparser.loads(again_text, BibTexParser(common_strings=True)).entries]
    assert again == keys


def test_merge_is_idempotent(tmp_path: Path) -> None:
    batch = collect(papers())
    target = tmp_path / "refs.bib"
    prefix = "% mine\n@misc{keep,\n  title = {Kept {AS} written},\n  note = {100\\% mine}\n}\n"
    target.write_text(prefix, encoding="utf-8")
    first = merge_bib(batch, target)
    data = target.read_bytes()
    assert data.startswith(prefix.encode())
    assert len(first.added) + len(first.skipped) == len(batch)
    second = merge_bib(batch, target)
    assert second.added == [] and not second.written
    assert target.read_bytes() == data
    # In biblatex style too, into the same file: everything is found by id or title.
    third = merge_bib(batch, target, style="biblatex")
    assert third.added == [] and target.read_bytes() == data


def test_key_formula_drops_control_characters() -> None:
    key = FORMULA.key_for(Paper(title="Fa\x06ult in a title"))
    assert check_key(key) == key


def test_key_formula_avoids_digit_only_keys() -> None:
    key = FORMULA.key_for(Paper(title="1984"))
    assert check_key(key) == key
