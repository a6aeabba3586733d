"""Citation keys every consumer accepts: BibTeX, biber, LaTeX's \\cite and pandoc (its .bib reader and
Markdown ``@key`` without braces); keys given out before stay as they were, with a warning."""

from __future__ import annotations

import subprocess
import warnings
from pathlib import Path

import pytest

import bibbridge
from bibbridge import Paper
from bibbridge.bib.writer import CitationKeyWarning
from bibbridge.keys import KeyRegistry, compile_formula
from bibbridge.keys.formula import is_portable_key, portable_key
from bibbridge.readers import read_digests
from tests.conftest import AS_OF, REAL_DIGESTS, ROOT, digest_path
from tests.support.latex_tools import latex_bibtex_document, pandoc_document, write_outputs

FORMULA = compile_formula()
# Titles whose Better BibTeX key holds characters some consumer refuses.
AWKWARD = [
    Paper(title="BT^2: Backward-compatible Training with Basis Transformation", published="2022-11-08"),
    Paper(title="معيار اللغة العربية: Arabic Benchmark", published="2024-03-01"),  # unidecode: ` and @
    Paper(title="Ω|Ψ⟩ *Star* Pipes | and $Dollars$ / Slashes", published="2021-01-01"),
    Paper(title="中文 评测 基准", published="2023-07-07"),
    Paper(title="a<b> c!d; e[f] g?h & i", published="2020-02-02"),
    Paper(title="-- ++ ..", published="2019-01-01"),
]


def test_new_keys_are_portable_and_keep_better_bibtex_keys_that_already_are() -> None:
    assert portable_key("BT^2BackwardcompatibleTraining2022") == "BT2BackwardcompatibleTraining2022"
    assert portable_key("L`rby@Benchmark2024") == "LrbyBenchmark2024"
    assert portable_key("a..b--c") == "a.b-c" and portable_key("-x-") == "x"
    for kept in (
        "brownLanguageModelsAre2020",
        "huang_IndepthStudyLTE_2013",
        "s-gravesande",
        "arXiv2310.12920",
    ):
        assert portable_key(kept) == kept
    for paper in AWKWARD:
        key = FORMULA.key_for(paper)
        assert is_portable_key(key), key


def test_awkward_keys_pass_bibtex_cite_and_pandoc_markdown(tmp_path: Path) -> None:
    out = write_outputs(AWKWARD, tmp_path / "out")
    assert all(is_portable_key(k) for k in out.keys)
    rendered = latex_bibtex_document(
        out.bibtex.read_text(encoding="utf-8"), out.keys, tmp_path / "latex", "plain"
    )
    assert rendered.errors == [] and rendered.items == len(AWKWARD)
    assert not any("undefined" in w for w in rendered.warnings)
    for kind in ("bibtex", "biblatex", "csl_json"):
        pandoc = pandoc_document(getattr(out, kind), out.keys, tmp_path / kind)
        assert pandoc.errors == [] and pandoc.warnings == [], pandoc.log
        assert pandoc.items == len(AWKWARD) and "?)" not in pandoc.text


@pytest.mark.parametrize("name", sorted(REAL_DIGESTS))
def test_every_key_of_the_real_digests_is_portable(name: str, tmp_path: Path) -> None:
    papers = read_digests([digest_path(name)], as_of=AS_OF).papers
    out = write_outputs(papers, tmp_path)
    assert [k for k in out.keys if not is_portable_key(k)] == []


def test_a_key_given_out_before_is_kept_and_named_in_a_warning() -> None:
    paper = AWKWARD[0]
    with KeyRegistry() as registry:  # as an older bibbridge (Better BibTeX's rule) gave it
        registry.record(paper, "BT^2BackwardcompatibleTraining2022")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        text = bibbridge.to_bibtex([paper])
    assert text.startswith("@misc{BT^2BackwardcompatibleTraining2022,")
    messages = [str(w.message) for w in caught if issubclass(w.category, CitationKeyWarning)]
    assert len(messages) == 1 and "BT^2BackwardcompatibleTraining2022" in messages[0]


def test_the_cli_prints_the_warning_and_keeps_the_key(tmp_path: Path) -> None:
    digest = digest_path(sorted(REAL_DIGESTS)[0])
    first = read_digests([digest], as_of=AS_OF).papers[0]
    with KeyRegistry() as registry:
        registry.record(first, "Generative^Marginalization2023")
    proc = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "bibbridge"),
            "bib",
            str(digest),
            "--as-of",
            AS_OF,
            "-o",
            str(tmp_path / "r.bib"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    warning = [line for line in proc.stderr.splitlines() if line.startswith("bibbridge: warning:")]
    assert len(warning) == 1 and "Generative^Marginalization2023" in warning[0]
    assert "@misc{Generative^Marginalization2023," in (tmp_path / "r.bib").read_text(encoding="utf-8")


@pytest.mark.parametrize("old_key", ["calculus@graphs2023", "doe#hash2024"])
def test_a_key_given_out_before_that_no_bib_can_hold_is_written_portable_and_read_back(
    tmp_path: Path, old_key: str
) -> None:
    """A kept key with ``@`` (an older bibbridge's unidecode of ə) or ``#`` (a Zotero item's) would
    make a file BibTeX and our own reader refuse: it is written in its portable form, named in one
    warning, and the next merge reads the file back and adds nothing."""
    digest = digest_path(sorted(REAL_DIGESTS)[0])
    first = read_digests([digest], as_of=AS_OF).papers[0]
    with KeyRegistry() as registry:
        registry.record(first, old_key)
    target = tmp_path / "r.bib"
    argv = [
        str(ROOT / ".venv" / "bin" / "bibbridge"),
        "bib",
        str(digest),
        "--as-of",
        AS_OF,
        "--no-resolve",
        "-o",
        str(target),
    ]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    warning = [line for line in proc.stderr.splitlines() if line.startswith("bibbridge: warning:")]
    assert len(warning) == 1 and old_key in warning[0] and "no .bib can hold it" in warning[0]
    written = target.read_text(encoding="utf-8")
    portable = old_key.replace("@", "").replace("#", "")
    assert f"{{{old_key}," not in written and f"@misc{{{portable}," in written
    again = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "added 0" in again.stderr and target.read_text(encoding="utf-8") == written
