"""`bibbridge bib`: entries for every real digest, checked by the real bibtex, biber and bibtexparser;
merging into an existing file without touching a byte of it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import bibbridge
from bibbridge.bib.merge import merge_bib
from bibbridge.cli import cli
from bibbridge.errors import InputError
from bibbridge.keys import KeyRegistry
from bibbridge.model import Paper
from bibbridge.readers import read_digests
from bibbridge.text import clean_spaces
from bibbridge.text.latex import latex_to_text as latex_to_unicode
from tests.conftest import AS_OF, REAL_DIGESTS, digest_path
from tests.support.console import assert_one_line_error, console
from tests.support.latex_tools import (
    run_biber,
    run_bibtex,
    unexplained_biber_problems,
    unexplained_bibtex_warnings,
)

DIGESTS = sorted(REAL_DIGESTS)
MONTH_NAMES = "January February March April May June July August September October November December".split()


def bib(*args: str) -> object:
    return CliRunner().invoke(cli, ["bib", *args], catch_exceptions=False)


def real_papers(name: str) -> list[Paper]:
    return read_digests([digest_path(name)], as_of=AS_OF).papers


def parse_back(text: str) -> list[dict[str, str]]:
    """bibtexparser 1.4.4, with the month macros it predefines, keeping every entry type."""
    import bibtexparser
    from bibtexparser.bparser import BibTexParser

    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    return bibtexparser.loads(text, parser=parser).entries


def arxiv_paper(**kw: object) -> Paper:
    base = dict(
        title="Language Models are Few-Shot Learners",
        abstract="We show that scaling up language models (GPT-3) greatly improves few-shot performance.",
        authors=["Tom B. Brown", "Benjamin Mann", "Nick Ryder"],
        author_count=31,
        published="2020-05-28",
        arxiv_id="2005.14165",
        primary_category="cs.CL",
        urls={"code": ["https://github.com/openai/gpt-3"], "project": [], "other": []},
    )
    base.update(kw)
    return Paper(**base)  # type: ignore[arg-type]


# -- every real digest, every style, checked by the real consumers -----------------------------------
@pytest.mark.parametrize("name", DIGESTS)
def test_bibtex_style_passes_plain_bst_without_errors_or_warnings(name: str, tmp_path: Path) -> None:
    result = bib(str(digest_path(name)), "--as-of", AS_OF)
    assert result.exit_code == 0
    run = run_bibtex(result.stdout, tmp_path)
    assert run.errors == []
    # The digests name no authors, and no `key` is invented for them: plain.bst says "to sort, need
    # author or key" for exactly those entries. Nothing else the digests lack makes @misc warn.
    assert run.warnings and unexplained_bibtex_warnings(run.warnings, result.stdout) == []
    assert run.returncode == 0
    assert run.items == REAL_DIGESTS[name]  # every paper came through
    assert result.stdout.isascii()


@pytest.mark.parametrize("name", DIGESTS)
def test_biblatex_style_passes_biber_datamodel_validation(name: str, tmp_path: Path) -> None:
    out = tmp_path / "refs.bib"
    result = bib(str(digest_path(name)), "--as-of", AS_OF, "--style", "biblatex", "-o", str(out))
    assert result.exit_code == 0
    run = run_biber(out)
    assert run.returncode == 0, run.output
    # Only "missing mandatory field date/year", for entries the digest gives no date (none invented).
    assert unexplained_biber_problems(run.problems, out.read_text(encoding="utf-8")) == []
    # Read by plain BibTeX anyway, it must not break; it may only say what is true (no author).
    bibtex_run = run_bibtex(out.read_text(encoding="utf-8"), tmp_path / "bibtex")
    assert bibtex_run.errors == []
    assert unexplained_bibtex_warnings(bibtex_run.warnings, out.read_text(encoding="utf-8")) == []
    assert bibtex_run.items == REAL_DIGESTS[name]


@pytest.mark.parametrize("style", ["bibtex", "biblatex"])
@pytest.mark.parametrize("name", DIGESTS)
def test_bibtexparser_reads_every_entry_back_with_the_papers_values(name: str, style: str) -> None:
    papers = real_papers(name)
    text = bibbridge.to_bibtex(papers, style=style)
    entries = parse_back(text)
    assert len(entries) == len(papers) == REAL_DIGESTS[name]
    with KeyRegistry() as registry:
        keys = [registry.find(p) for p in papers]
    assert [e["ID"] for e in entries] == keys
    assert len({k.lower() for k in keys}) == len(keys)
    for paper, entry in zip(papers, entries, strict=True):
        assert latex_to_unicode(entry["title"]) == clean_spaces(paper.title)
        assert entry["ENTRYTYPE"] == "misc" and "pubstate" not in entry and "key" not in entry
        if paper.abstract:
            assert latex_to_unicode(entry["abstract"]) == clean_spaces(paper.abstract)
        else:
            assert "abstract" not in entry
        if style == "bibtex":
            assert entry["ENTRYTYPE"] == "misc"
            assert entry.get("year") == paper.year
            if paper.published:
                assert entry["month"] == MONTH_NAMES[int(paper.published[5:7]) - 1]
            assert "author" not in entry
        else:
            assert entry.get("date") == paper.published  # no stand-in when there is none
        # The one link is the paper's (here: a project page); code and other links go to note.
        links = paper.urls["project"] + paper.urls["code"] + paper.urls["other"]
        assert entry.get("url") == (paper.urls["project"][:1] or [None])[0]
        for url in links:
            if url != entry.get("url"):
                assert url in entry["note"]


@pytest.mark.parametrize("name", DIGESTS)
def test_csl_json_has_every_paper_with_the_same_keys_as_the_bib(name: str, tmp_path: Path) -> None:
    first = bib(str(digest_path(name)), "--as-of", AS_OF)
    result = bib(str(digest_path(name)), "--as-of", AS_OF, "--style", "csl-json")
    items = json.loads(result.stdout)
    papers = real_papers(name)
    assert len(items) == len(papers)
    assert [item["id"] for item in items] == [e["ID"] for e in parse_back(first.stdout)]
    for item, paper in zip(items, papers, strict=True):
        assert item["type"] == "article"
        assert item["citation-key"] == item["id"]
        assert item["title"] == paper.title
        if paper.published:
            assert item["issued"] == {"date-parts": [[int(x) for x in paper.published.split("-")]]}


def test_arxiv_paper_in_each_style_has_what_arxiv_and_better_bibtex_write() -> None:
    paper = arxiv_paper()
    assert bibbridge.to_bibtex([paper]) == (
        "@misc{brownLanguageModelsAre2020,\n"
        "  title = {Language {Models} are {Few-Shot} {Learners}},\n"
        "  author = {Brown, Tom B. and Mann, Benjamin and Ryder, Nick and others},\n"
        "  year = {2020},\n"
        "  month = may,\n"
        "  eprint = {2005.14165},\n"
        "  archivePrefix = {arXiv},\n"
        "  primaryClass = {cs.CL},\n"
        "  eprinttype = {arxiv},\n"
        "  doi = {10.48550/arXiv.2005.14165},\n"
        "  url = {https://arxiv.org/abs/2005.14165},\n"
        "  howpublished = {arXiv:2005.14165 [cs.CL]},\n"
        "  note = {Code: \\url{https://github.com/openai/gpt-3}},\n"
        "  abstract = {We show that scaling up language models (GPT-3) greatly improves few-shot"
        " performance.}\n"
        "}\n"
    )
    biblatex = parse_back(bibbridge.to_biblatex([paper]))[0]
    assert biblatex["ENTRYTYPE"] == "misc" and biblatex["ID"] == "brownLanguageModelsAre2020"
    eprint = (biblatex["eprint"], biblatex["eprinttype"], biblatex["eprintclass"])
    assert eprint == ("2005.14165", "arxiv", "cs.CL")
    assert biblatex["date"] == "2020-05-28" and "pubstate" not in biblatex
    assert biblatex["doi"] == "10.48550/arXiv.2005.14165"
    item = json.loads(bibbridge.to_csl_json([paper]))[0]
    assert item["author"][0] == {"family": "Brown", "given": "Tom B."}
    assert (item["number"], item["publisher"]) == ("arXiv:2005.14165", "arXiv")
    assert item["DOI"] == "10.48550/arXiv.2005.14165"


def test_arxiv_entries_pass_bibtex_and_biber(tmp_path: Path) -> None:
    attention = arxiv_paper(
        title="Attention Is All You Need",
        arxiv_id="1706.03762",
        authors=["Ashish Vaswani", "Noam Shazeer"],
        author_count=2,
        published="2017-06-12",
        urls={"code": [], "project": [], "other": []},
    )
    papers = [arxiv_paper(), attention]
    run = run_bibtex(bibbridge.to_bibtex(papers), tmp_path)
    assert (run.returncode, run.errors, run.warnings, run.items) == (0, [], [], 2)
    out = tmp_path / "l.bib"
    out.write_text(bibbridge.to_biblatex(papers), encoding="utf-8")
    biber = run_biber(out)
    assert (biber.returncode, biber.problems) == (0, [])


def test_stdout_output_touches_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = bib(str(digest_path(DIGESTS[0])), "--as-of", AS_OF, "-o", "-")
    assert result.exit_code == 0 and result.stdout.count("@misc{") == REAL_DIGESTS[DIGESTS[0]]
    assert list(tmp_path.iterdir()) == []
    assert "30 entries written to stdout" in result.stderr


# -- merging ---------------------------------------------------------------------------------------------
EXISTING = (
    "% My references -- hand edited, please keep this comment\n"
    '@string{neurips = "Advances in Neural Information Processing Systems"}\n'
    "\n"
    "@inproceedings{vaswani2017attention,\n"
    "  title={Attention is All you Need},\n"
    "  author={Vaswani, Ashish and Shazeer, Noam},\n"
    "  booktitle=neurips,\n"
    "  year={2017}\n"
    "}\n"
    "@article{Mine2020,\n"
    "    title = {{Language Models} are {Few-Shot} Learners},\n"
    "    journal = {arXiv preprint arXiv:2005.14165},\n"
    "    year = 2020}\n"
    "@misc{wei2022cot,\n"
    "  title = {Chain of Thought},\n"
    "  doi = {10.5555/COT.2022}\n"
    "}"  # no newline at the end of the file
)


def test_merge_keeps_every_existing_byte_and_appends_after_a_blank_line(tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    target.write_bytes(EXISTING.encode())
    result = bib(str(digest_path(DIGESTS[0])), "--as-of", AS_OF, "-o", str(target))
    assert result.exit_code == 0
    data = target.read_bytes()
    assert data.startswith(EXISTING.encode())
    assert data[len(EXISTING) : len(EXISTING) + 3] == b"\n\n@"
    assert f"added {REAL_DIGESTS[DIGESTS[0]]}, skipped 0; written to {target}" in result.stderr
    assert len(parse_back(data.decode())) == 3 + REAL_DIGESTS[DIGESTS[0]]


def test_papers_already_in_the_file_are_skipped_by_arxiv_id_doi_or_title(tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    target.write_text(EXISTING, encoding="utf-8")
    papers = [
        arxiv_paper(),  # arXiv id, found in Mine2020's journal field
        Paper(title="Chain-of-Thought Prompting", doi="10.5555/cot.2022"),  # DOI, any case
        Paper(title="Attention Is All You Need!"),  # folded title
        Paper(title="Something New", published="2025-01-02"),
    ]
    report = merge_bib(papers, target)
    assert [(key, reason) for key, _, reason in report.skipped] == [
        ("Mine2020", "already in file: arXiv id (line 10)"),
        ("wei2022cot", "already in file: DOI (line 14)"),
        ("vaswani2017attention", "already in file: title (line 4)"),
    ]
    assert [(key, p.title) for key, p in report.added] == [("SomethingNew2025", "Something New")]
    assert report.written and target.read_bytes().startswith(EXISTING.encode())


def test_titles_that_fold_symbols_into_words_are_matched_as_they_fold(tmp_path: Path) -> None:
    """™, © and № fold to letters (tm, c, no): a title starting with one is the same title folded."""
    target = tmp_path / "refs.bib"
    target.write_text(
        "@misc{tm2024,\n  title = {™ Trademarks in Language Models}\n}\n\n"
        "@misc{no2023,\n  title = {№ 5: {S}ymbols {F}irst}\n}\n",
        encoding="utf-8",
    )
    papers = [Paper(title="™ Trademarks in Language Models"), Paper(title="No 5 - Symbols first")]
    report = merge_bib(papers, target, dry_run=True)
    assert [(key, reason) for key, _, reason in report.skipped] == [
        ("tm2024", "already in file: title (line 1)"),
        ("no2023", "already in file: title (line 5)"),
    ]
    assert report.added == [] and report.ok  # already there: nothing failed


def test_a_key_found_in_the_file_wins_over_the_formula_from_then_on(tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    target.write_text(EXISTING, encoding="utf-8")
    paper = arxiv_paper()
    merge_bib([paper], target)
    assert bibbridge.to_bibtex([paper]).startswith("@misc{Mine2020,")
    with KeyRegistry() as registry:
        assert registry.find(paper) == "Mine2020"


def test_a_registry_key_used_by_another_entry_of_the_file_is_reported_not_duplicated(tmp_path: Path) -> None:
    papers = real_papers(DIGESTS[0])
    key = parse_back(bibbridge.to_bibtex(papers[:1]))[0]["ID"]  # given out earlier, e.g. on stdout
    target = tmp_path / "refs.bib"
    target.write_text(f"@misc{{{key},\n  title = {{A different paper}}\n}}\n", encoding="utf-8")
    result = bib(str(digest_path(DIGESTS[0])), "--as-of", AS_OF, "-o", str(target))
    assert result.exit_code == 1
    assert f"({key}): key {key} is used in the file by another entry (line 1)" in result.stderr
    assert f"added {len(papers) - 1}, skipped 1" in result.stderr
    keys = [e["ID"] for e in parse_back(target.read_text(encoding="utf-8"))]
    assert len(keys) == len(papers) and len({k.lower() for k in keys}) == len(keys)
    again = merge_bib(papers, target, dry_run=True)  # the Python twin tells the same apart
    assert not again.ok and [k for k, _, _ in again.clashes] == [key]


def test_dry_run_writes_nothing_and_stores_no_keys(tmp_path: Path, bibbridge_home: Path) -> None:
    target = tmp_path / "refs.bib"
    target.write_text(EXISTING, encoding="utf-8")
    before = target.read_bytes()
    result = bib(str(digest_path(DIGESTS[0])), "--as-of", AS_OF, "-o", str(target), "--dry-run")
    assert result.exit_code == 0
    assert target.read_bytes() == before
    assert result.stdout.count("@misc{") == REAL_DIGESTS[DIGESTS[0]]  # what would be added
    assert "would add 30, skipped 0; nothing written" in result.stderr
    with KeyRegistry() as registry:
        assert len(registry) == 0
    assert not list(tmp_path.glob(".refs.bib.*"))


def test_dry_run_keys_are_the_keys_a_real_run_then_gives(tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    dry = bib(str(digest_path(DIGESTS[0])), "--as-of", AS_OF, "-o", str(target), "--dry-run")
    assert not target.exists()
    bib(str(digest_path(DIGESTS[0])), "--as-of", AS_OF, "-o", str(target))
    assert target.read_text(encoding="utf-8") == dry.stdout


def test_malformed_existing_file_is_refused_with_file_and_line(tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    broken = EXISTING.replace("Shazeer, Noam},\n", "Shazeer, Noam\n")  # unbalanced brace on line 6
    target.write_text(broken, encoding="utf-8")
    result = console("bib", digest_path(DIGESTS[0]), "--as-of", AS_OF, "-o", target)  # the real script
    message = assert_one_line_error(result, "malformed .bib, not changed")
    assert message.startswith(f"bibbridge: error: {target}:")
    assert message.split(":")[3].strip().isdigit()  # …/refs.bib:LINE: malformed .bib …
    assert target.read_text(encoding="utf-8") == broken
    with pytest.raises(InputError) as caught:
        merge_bib([Paper(title="X")], target)
    assert caught.value.file == str(target) and caught.value.line is not None


def test_interrupted_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "refs.bib"
    target.write_text(EXISTING, encoding="utf-8")

    def crash(src: object, dst: object) -> None:
        raise OSError("simulated crash before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(InputError, match="cannot write, file unchanged: simulated crash") as caught:
        merge_bib(real_papers(DIGESTS[0]), target)
    assert caught.value.file == str(target)
    assert target.read_text(encoding="utf-8") == EXISTING
    assert sorted(p.name for p in tmp_path.iterdir()) == ["refs.bib"]


@pytest.mark.parametrize("style", ["bibtex", "biblatex", "csl-json"])
def test_merging_twice_adds_nothing_and_leaves_the_file_byte_identical(tmp_path: Path, style: str) -> None:
    target = tmp_path / "refs.out"
    args = [str(digest_path(DIGESTS[1])), "--as-of", AS_OF, "--style", style, "-o", str(target)]
    assert bib(*args).exit_code == 0
    first = target.read_bytes()
    again = bib(*args)
    assert again.exit_code == 0
    assert f"added 0, skipped {REAL_DIGESTS[DIGESTS[1]]}; nothing written" in again.stderr
    assert target.read_bytes() == first


def test_papers_already_in_the_file_are_named_only_with_verbose(tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    args = [str(digest_path(DIGESTS[0])), "--as-of", AS_OF, "-o", str(target)]
    assert bib(*args).exit_code == 0
    quiet = bib(*args)
    assert "skipped 'Generative Marginalization Models'" not in quiet.stderr
    assert f"added 0, skipped {REAL_DIGESTS[DIGESTS[0]]}" in quiet.stderr
    loud = bib(*args, "--verbose")
    named = [line for line in loud.stderr.splitlines() if "already in file: title" in line]
    assert len(named) == REAL_DIGESTS[DIGESTS[0]]
    assert "skipped 'Generative Marginalization Models' (GenerativeMarginalizationModels2023)" in named[0]


def test_crlf_file_gets_crlf_entries(tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    existing = EXISTING.replace("\n", "\r\n").encode()
    target.write_bytes(existing)
    merge_bib([Paper(title="Something New", published="2025-01-02")], target)
    data = target.read_bytes()
    assert data.startswith(existing) and b"\n" not in data[len(existing) :].replace(b"\r\n", b"")


def test_csl_json_merge_keeps_existing_items_and_skips_known_papers(tmp_path: Path) -> None:
    target = tmp_path / "refs.json"
    existing = (
        '[\n  {"id": "theirs2020", "type": "article", "title": "Language models are few-shot learners",\n'
        '   "custom": {"kept": true}}\n]\n'
    )
    target.write_text(existing, encoding="utf-8")
    report = merge_bib([arxiv_paper(), Paper(title="Something New")], target, style="csl-json")
    assert [k for k, _, _ in report.skipped] == ["theirs2020"]
    text = target.read_text(encoding="utf-8")
    assert text.startswith(existing[: existing.rindex("}") + 1])
    items = json.loads(text)
    assert [i["id"] for i in items] == ["theirs2020", "SomethingNew"]
    assert items[0] == json.loads(existing)[0]


def test_unwritable_target_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = bib(str(digest_path(DIGESTS[0])), "--as-of", AS_OF, "-o", str(tmp_path))  # a directory
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith(f"bibbridge: error: {tmp_path}: not a regular")


def test_unknown_key_formula_is_a_usage_error(tmp_path: Path) -> None:
    result = console("bib", digest_path(DIGESTS[0]), "--as-of", AS_OF, "--key-format", "auth.lower +")
    assert_one_line_error(result)


def test_key_format_option_shapes_new_keys() -> None:
    formula = "veryshorttitle.lower + year"
    result = bib(str(digest_path(DIGESTS[0])), "--as-of", AS_OF, "--key-format", formula)
    keys = [e["ID"] for e in parse_back(result.stdout)]
    assert keys[0] == "generative2023"
