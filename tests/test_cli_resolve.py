"""`bibbridge resolve`, and `--resolve` on `bib` and `sync`, against fake Hugging Face and arXiv servers."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from bibbridge.cli import cli
from bibbridge.keys import DEFAULT_FORMULA, compile_formula
from bibbridge.model import Paper
from bibbridge.readers import read_digests
from tests.conftest import AS_OF, digest_path
from tests.support.console import assert_one_line_error, console
from tests.support.paper_services import FakePaper, fake_services

D0 = "000_15dd5ef3f356a94c.txt"  # 30 papers, most with "N authors"
FAMILIES = ["Okafor", "Lindqvist", "Tanaka", "Ruiz", "Mensah", "Novak", "Iyer", "Park", "Duarte", "Chen"]


def catalog_for(papers):
    """One fake paper per digest paper: synthetic id, as many authors as the digest says."""
    out = []
    for n, p in enumerate(papers):
        count = p.author_count or 2
        authors = [f"Ana {FAMILIES[(n + i) % len(FAMILIES)]}" for i in range(count)]
        out.append(FakePaper(f"2403.{n:05d}", p.title, authors, published=f"2025-03-{1 + n % 28:02d}"))
    return out


@pytest.fixture
def digest_papers():
    return read_digests([str(digest_path(D0))], as_of=AS_OF).papers


@pytest.fixture
def services(monkeypatch, digest_papers):
    catalog = catalog_for(digest_papers)
    with fake_services(hf=catalog[:-2], arxiv=catalog[:-2]) as servers:  # the last two are nowhere
        monkeypatch.setenv("BIBBRIDGE_HF_URL", servers["hf"].url)
        monkeypatch.setenv("BIBBRIDGE_ARXIV_URL", servers["arxiv"].url)
        monkeypatch.setenv("BIBBRIDGE_S2_URL", servers["s2"].url)
        monkeypatch.setenv("BIBBRIDGE_ARXIV_INTERVAL", "0.01")
        monkeypatch.setenv("BIBBRIDGE_HF_INTERVAL", "0")
        servers["catalog"] = catalog
        yield servers


def run(*args):
    return CliRunner().invoke(cli, [*map(str, args)], catch_exceptions=False)


def test_resolve_prints_the_completed_records_like_parse(services, digest_papers):
    parsed = run("parse", digest_path(D0), "--as-of", AS_OF)
    result = run("resolve", digest_path(D0), "--as-of", AS_OF, "-v")
    assert result.exit_code == 0, result.stderr
    before = [json.loads(line) for line in parsed.stdout.splitlines()]
    after = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(after) == len(before) == 30
    assert [list(r) for r in after] == [list(r) for r in before]  # same fields, same order
    for old, new, fake in zip(before[:28], after[:28], services["catalog"], strict=False):
        assert (new["title"], new["abstract"], new["source"]) == (
            old["title"],
            old["abstract"],
            old["source"],
        )
        assert (new["arxiv_id"], new["authors"]) == (fake.arxiv_id, fake.authors)
        assert new["primary_category"] == "cs.LG"
    assert after[28:] == before[28:]  # unresolved records are written unchanged
    assert "searching titles 30/30 (matched 28, unmatched 2, from cache 0)" in result.stderr
    assert result.stderr.count("unresolved: ") == 2
    assert f"unresolved: {digest_path(D0)}:" in result.stderr
    assert (
        "bibbridge: resolved 28, unresolved 2, from cache 0, requests 33 (Hugging Face 30, arXiv 3)"
        in result.stderr
    )


def test_second_run_makes_no_request_and_offline_reads_the_cache(services):
    first = run("resolve", digest_path(D0), "--as-of", AS_OF)
    logged = len(services["hf"].log) + len(services["arxiv"].log)
    second = run("resolve", digest_path(D0), "--as-of", AS_OF)
    offline = run("resolve", digest_path(D0), "--as-of", AS_OF, "--offline")
    assert len(services["hf"].log) + len(services["arxiv"].log) == logged
    assert "resolved 28, unresolved 2, from cache 30, requests 0" in second.stderr
    assert "unresolved: " not in second.stderr  # per-paper lines only with -v
    assert second.stdout == first.stdout == offline.stdout


def test_offline_with_an_empty_cache_changes_nothing(services):
    parsed = run("parse", digest_path(D0), "--as-of", AS_OF)
    result = run("resolve", digest_path(D0), "--as-of", AS_OF, "--offline")
    assert result.exit_code == 0 and result.stdout == parsed.stdout
    assert "resolved 0, unresolved 30, from cache 0, requests 0" in result.stderr
    assert services["hf"].log == [] and services["arxiv"].log == []


def test_bib_resolve_carries_authors_and_eprints_with_first_author_keys(services, digest_papers):
    result = run("bib", digest_path(D0), "--as-of", AS_OF, "--resolve")
    assert result.exit_code == 0, result.stderr
    entries = re.findall(r"@misc\{([^,]+),\n(.*?)\n\}", result.stdout, re.S)
    assert len(entries) == 30
    formula = compile_formula(DEFAULT_FORMULA)
    for (key, body), fake in zip(entries[:28], services["catalog"], strict=False):
        assert f"eprint = {{{fake.arxiv_id}}}" in body
        first = fake.authors[0].split()[-1]
        assert f"author = {{{first}, Ana" in body
        # The one date rule: the date of the arXiv version the metadata describes (here v1).
        year = fake.published[:4]
        assert f"year = {{{year}}}" in body
        paper = Paper(fake.title, authors=fake.authors, published=f"{year}-01-01")
        assert key.startswith(formula.key_for(paper)) and key.startswith(first.lower())
    for _, body in entries[28:]:
        assert "eprint" not in body and "author =" not in body
    assert "resolved 28, unresolved 2" in result.stderr


def test_keys_given_before_resolving_are_kept(services, tmp_path):
    bib = tmp_path / "refs.bib"
    plain = run("bib", digest_path(D0), "--as-of", AS_OF)
    keys_before = re.findall(r"@misc\{([^,]+),", plain.stdout)
    resolved = run("bib", digest_path(D0), "--as-of", AS_OF, "--resolve")
    assert re.findall(r"@misc\{([^,]+),", resolved.stdout) == keys_before
    assert "eprint = {2403.00000}" in resolved.stdout
    merged = run("bib", digest_path(D0), "--as-of", AS_OF, "--offline", "-o", bib)
    assert merged.exit_code == 0, merged.stderr
    assert re.findall(r"@misc\{([^,]+),", bib.read_text()) == keys_before


def test_bad_interval_is_a_one_line_error(services, monkeypatch):
    monkeypatch.setenv("BIBBRIDGE_ARXIV_INTERVAL", "fast")
    result = run("resolve", digest_path(D0), "--as-of", AS_OF)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "bibbridge: error: BIBBRIDGE_ARXIV_INTERVAL must be a number of seconds, not 'fast'"
    )


def test_missing_digest_is_a_one_line_error():
    result = console("resolve", "no-such-digest.txt", "--as-of", AS_OF)  # the real script
    assert assert_one_line_error(result) == "bibbridge: error: no-such-digest.txt: no such file"


def test_sync_resolve_creates_items_with_authors_and_arxiv_ids(services):
    from tests.support.zotero_server import ZoteroServer

    with ZoteroServer() as zotero:
        result = CliRunner().invoke(
            cli,
            [
                "sync",
                str(digest_path(D0)),
                "--as-of",
                AS_OF,
                "--resolve",
                "--api-url",
                zotero.url,
                "--library",
                f"user:{zotero.user_id}",
                "--collection",
                "HF Daily",
            ],
            env={"ZOTERO_API_KEY": zotero.api_key, "BIBBRIDGE_RETRY_BASE": "0.01"},
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.stderr
        items = {i["title"]: i for i in zotero.items() if i["itemType"] not in ("note", "attachment")}
    assert "resolved 28, unresolved 2" in result.stderr
    assert len(items) == 30
    for fake in services["catalog"][:28]:
        item = items[fake.title]
        assert item["archiveID"] == f"arXiv:{fake.arxiv_id}"
        assert [c["lastName"] for c in item["creators"]] == [a.split()[-1] for a in fake.authors]


# -- complete records by default (bib, sync), the pipeline, keys across versions --------------------
def test_bib_resolves_by_default_and_no_resolve_turns_it_off(services):
    default = run("bib", digest_path(D0), "--as-of", AS_OF)
    plain = run("bib", digest_path(D0), "--as-of", AS_OF, "--no-resolve")
    assert default.exit_code == plain.exit_code == 0
    assert default.stdout.count("eprint = {") == 28 and plain.stdout.count("eprint = {") == 0
    assert "resolved 28, unresolved 2, from cache 0" in default.stderr
    assert "unresolved: " not in default.stderr  # per-paper lines only with -v
    assert "resolved" not in plain.stderr
    verbose = run("bib", digest_path(D0), "--as-of", AS_OF, "-v")
    assert verbose.stderr.count("unresolved: ") == 2 and "from cache 30" in verbose.stderr


def test_resolve_then_bib_of_its_json_lines_gives_the_same_entries(services, tmp_path, monkeypatch):
    monkeypatch.setenv("BIBBRIDGE_HOME", str(tmp_path / "home-a"))
    direct = tmp_path / "direct.bib"
    assert run("bib", digest_path(D0), "--as-of", AS_OF, "-o", direct).exit_code == 0
    monkeypatch.setenv("BIBBRIDGE_HOME", str(tmp_path / "home-b"))  # no key registry, no cache shared
    resolved = run("resolve", digest_path(D0), "--as-of", AS_OF)
    jsonl = tmp_path / "papers.jsonl"
    jsonl.write_text(resolved.stdout, encoding="utf-8")
    piped = tmp_path / "piped.bib"
    second = run("bib", jsonl, "-o", piped)
    assert second.exit_code == 0, second.stderr
    assert piped.read_text() == direct.read_text() and direct.read_text().count("@misc{") == 30
    # parse's output is read back whole too, the same records
    parsed = run("parse", jsonl)
    assert parsed.stdout == resolved.stdout


def test_a_key_once_given_is_not_changed_by_a_new_version(services, tmp_path, bibbridge_home):
    first = tmp_path / "first.bib"
    assert run("bib", digest_path(D0), "--as-of", AS_OF, "-o", first).exit_code == 0
    # arXiv now has a v2 of every paper, a year later; the cached v1 records are forgotten.
    for fake in services["catalog"]:
        fake.updated, fake.version = "2026-06-30", 2
    services["arxiv"].catalog = services["catalog"][:-2]
    (bibbridge_home / "cache.sqlite").unlink()
    second = tmp_path / "second.bib"
    assert run("bib", digest_path(D0), "--as-of", AS_OF, "-o", second).exit_code == 0
    old = re.findall(r"@misc\{([^,]+),", first.read_text())
    new_text = second.read_text()
    assert re.findall(r"@misc\{([^,]+),", new_text) == old  # same keys, in the same order
    assert new_text.count("year = {2026}") >= 28 and "year = {2025}" not in new_text.split("@misc")[1]
    jsonl = run("resolve", digest_path(D0), "--as-of", AS_OF).stdout.splitlines()
    assert {json.loads(line)["version"] for line in jsonl[:28]} == {"v2"}


def test_bad_json_lines_are_one_line_with_file_and_line(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    good = json.dumps(Paper("A Title", authors=["Ada Byron"]).to_dict())
    bad = tmp_path / "papers.jsonl"
    bad.write_text(f"{good}\n{good[:-5]}\n", encoding="utf-8")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "bibbridge"), "bib", str(bad), "--no-resolve"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith(f"bibbridge: error: {bad}:2: invalid JSON Lines record")
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text(good.replace('"authors": ["Ada Byron"]', '"authors": "Ada Byron"') + "\n")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "bibbridge"), "parse", str(wrong)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == f"bibbridge: error: {wrong}:1: 'authors' must be a list of strings"
