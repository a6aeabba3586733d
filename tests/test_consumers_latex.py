"""The real LaTeX consumers on what bibbridge writes: pdflatex + bibtex (plain, plainnat, abbrvnat,
IEEEtran when installed, alpha) and pdflatex + biber (biblatex numeric, authoryear).

One document per style and corpus cites every entry; the assertions read the PDF's text (pdftotext):
zero errors, one reference per entry, each title printed once, no empty ``()``, no code repository
printed as an entry's URL, and only the warnings listed in tests/support/latex_tools.py (true of the
entry they name: no author, no date).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.latex_tools import (
    Outputs,
    corpora,
    corpus_outputs,
    have_bst,
    latex_biber_document,
    latex_bibtex_document,
    render_problems,
    unexplained_bibtex_warnings,
)

CORPORA = corpora()
BIBTEX_STYLES = ["plain", "plainnat", "abbrvnat", "IEEEtran", "alpha"]
# Styles that cite by author (or label) and year: a title in the text's citations is the natbib
# "title as label" defect. biblatex authoryear rightly cites an authorless entry by its title.
TITLED_CITATIONS = {"authoryear"}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outputs]:
    return corpus_outputs(tmp_path_factory)


def _latex_warnings(warnings: list[str]) -> list[str]:
    """LaTeX's and packages' warnings (bibtex's own are checked against the entries separately)."""
    return [w for w in warnings if not w.startswith("Warning--")]


@pytest.mark.parametrize("style", BIBTEX_STYLES)
@pytest.mark.parametrize("corpus", CORPORA)
def test_pdflatex_bibtex_renders_every_entry_once(
    outputs: dict[str, Outputs], corpus: str, style: str, tmp_path: Path
) -> None:
    if style == "IEEEtran" and not have_bst(style):
        # Debian ships IEEEtran.bst in texlive-publishers (21 MB download, 61 MB installed, for one
        # .bst); .ci/run does not install it. Runs wherever it is installed.
        pytest.skip("IEEEtran.bst is not installed (Debian: texlive-publishers)")
    out = outputs[corpus]
    bib_text = out.bibtex.read_text(encoding="utf-8")
    rendered = latex_bibtex_document(bib_text, out.keys, tmp_path, style)
    assert rendered.errors == [], rendered.log[-3000:]
    assert _latex_warnings(rendered.warnings) == []
    assert (
        unexplained_bibtex_warnings([w for w in rendered.warnings if w.startswith("Warning--")], bib_text)
        == []
    )
    assert render_problems(rendered, out.titles, titled_citations=False) == []


@pytest.mark.parametrize("style", ["numeric", "authoryear"])
@pytest.mark.parametrize("corpus", CORPORA)
def test_pdflatex_biber_biblatex_renders_every_entry_once(
    outputs: dict[str, Outputs], corpus: str, style: str, tmp_path: Path
) -> None:
    out = outputs[corpus]
    rendered = latex_biber_document(out.biblatex.read_text(encoding="utf-8"), out.keys, tmp_path, style)
    assert rendered.errors == [], rendered.log[-3000:]
    assert rendered.warnings == []
    assert render_problems(rendered, out.titles, titled_citations=style in TITLED_CITATIONS) == []
    if style == "authoryear":
        assert "Pre-published" not in rendered.text and "prepublished" not in rendered.text


def test_biblatex_reads_the_bibtex_style_too(outputs: dict[str, Outputs], tmp_path: Path) -> None:
    """biblatex users may point \\addbibresource at the bibtex-style file: arXiv's archivePrefix and
    primaryClass beside eprinttype must not make biber warn. (The id is printed twice there, from
    ``howpublished`` for classic styles and from ``eprint``: docs/styles.md says to use the biblatex
    style with biblatex.)"""
    out = outputs["resolved"]
    rendered = latex_biber_document(out.bibtex.read_text(encoding="utf-8"), out.keys, tmp_path, "numeric")
    assert rendered.errors == [] and rendered.warnings == []
    assert render_problems(rendered, out.titles, titled_citations=False) == []
    assert "2005.14165 [cs.CL]" in rendered.text


def test_sentence_case_styles_keep_acronyms_inner_capitals_and_math(
    outputs: dict[str, Outputs], tmp_path: Path
) -> None:
    """plainnat lower-cases titles (sentence case); what the title says in capitals must survive."""
    out = outputs["resolved"]
    rendered = latex_bibtex_document(out.bibtex.read_text(encoding="utf-8"), out.keys, tmp_path, "plainnat")
    # Line breaks and hyphenation do not matter; letter case does.
    text = re.sub(r"[\s-]+", "", rendered.text)
    for words in (
        "LLaMA: Open and Efficient Foundation Language Models",
        "Break-a-Scene: Extracting",
        "GPT-4o System Card",
        "Few-Shot Learners",
        "WaveNet: A Generative Model for Raw Audio",
    ):
        assert re.sub(r"[\s-]+", "", words) in text
    # $^3$He is typeset as math: a raised 3 (pdftotext: "3 He"), not "$^3$He" or "\$".
    assert "Polarized3HeTargets" in text and "$" not in text


def test_undated_authorless_entries_get_no_invented_fields(outputs: dict[str, Outputs]) -> None:
    for out in outputs.values():
        for path in (out.bibtex, out.biblatex):
            text = path.read_text(encoding="utf-8")
            assert "XXXX" not in text and "pubstate" not in text and "  key = " not in text
            assert "howpublished = {\\url" not in text and "@online" not in text
