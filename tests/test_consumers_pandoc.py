"""pandoc --citeproc on what bibbridge writes: the .bib (bibtex style), the biblatex file and the
CSL-JSON, each with pandoc's default CSL (Chicago author-date) and a small author-date style with
sentence-case titles (tests/fixtures/csl/). The document cites every entry as ``@key`` without braces
(pandoc's Markdown citation syntax); assertions read pandoc's plain-text output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.support.latex_tools import (
    Outputs,
    corpora,
    corpus_outputs,
    pandoc_document,
    render_problems,
)

CORPORA = corpora()
AUTHOR_DATE = FIXTURES / "csl" / "author-date-sentence-case.csl"
FILES = ["bibtex", "biblatex", "csl_json"]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outputs]:
    return corpus_outputs(tmp_path_factory)


@pytest.mark.parametrize("csl", ["default", "author-date"])
@pytest.mark.parametrize("kind", FILES)
@pytest.mark.parametrize("corpus", CORPORA)
def test_pandoc_citeproc_renders_every_entry_once(
    outputs: dict[str, Outputs], corpus: str, kind: str, csl: str, tmp_path: Path
) -> None:
    out = outputs[corpus]
    rendered = pandoc_document(
        getattr(out, kind), out.keys, tmp_path, AUTHOR_DATE if csl != "default" else None
    )
    # Zero errors and zero warnings: pandoc reads the whole file and finds every @key.
    assert rendered.errors == [] and rendered.warnings == [], rendered.log
    assert "?)" not in rendered.text  # pandoc's mark for a citation it could not resolve
    # Author-date styles rightly cite an authorless entry by its title.
    assert render_problems(rendered, out.titles, titled_citations=True) == []


def test_sentence_case_keeps_acronyms_inner_capitals_and_math(
    outputs: dict[str, Outputs], tmp_path: Path
) -> None:
    """With a sentence-case CSL style, acronyms, words with inner capitals and TeX math survive.

    (pandoc reads a brace group holding only plain capitalised words, ``{Models}``, as title-case
    noise, not as protection, and sentence-cases it as the style asks; see docs/styles.md.)"""
    out = outputs["resolved"]
    for kind in ("bibtex", "biblatex"):
        text = pandoc_document(getattr(out, kind), out.keys, tmp_path / kind, AUTHOR_DATE).text
        for words in (
            "LLaMA: Open and efficient",
            "Break-a-Scene: Extracting",
            "GPT-4o system card",
            "WaveNet: A generative model",
            "BT^2: Backward-compatible",
        ):
            assert words in text, kind
        # TeX math read as math (a superscript 3), not "$^3$He" or "\\$".
        assert "Polarized ³" in text and "$" not in text


def test_arxiv_entries_show_the_id_or_the_arxiv_link_and_never_code_as_the_link(
    outputs: dict[str, Outputs], tmp_path: Path
) -> None:
    out = outputs["resolved"]
    text = pandoc_document(out.bibtex, out.keys, tmp_path, AUTHOR_DATE).text
    refs = text[text.rfind("References") :]
    gpt3 = next(p for p in refs.split("\n\n") if "few-shot" in p.lower())
    assert "arxiv" in gpt3.lower() and "2005.14165" in gpt3
    code_only = next(p for p in refs.split("\n\n") if "code-only" in p.lower())
    assert "Code: https://github.com/example/code-only" in code_only
    assert not re.search(r"\. https://github\.com", code_only)  # not the entry's link
    hf = next(p for p in refs.split("\n\n") if "hugging face page" in p.lower())
    assert "https://huggingface.co/papers/2501.00001" in hf


def test_csl_json_is_what_zotero_imports_as_a_preprint(outputs: dict[str, Outputs]) -> None:
    items = json.loads(outputs["resolved"].csl_json.read_text(encoding="utf-8"))
    by_title = {item["title"]: item for item in items}
    gpt3 = by_title["Language Models are Few-Shot Learners"]
    assert (gpt3["type"], gpt3["number"], gpt3["publisher"]) == ("article", "arXiv:2005.14165", "arXiv")
    assert gpt3["URL"] == "https://arxiv.org/abs/2005.14165"
    assert by_title["Code-only Paper About Diffusion"].get("URL") is None
    assert (
        by_title["Code-only Paper About Diffusion"]["note"] == "Code at https://github.com/example/code-only"
    )
    assert all("github.com" not in item.get("URL", "") for item in items)
