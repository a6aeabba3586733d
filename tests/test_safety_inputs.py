"""Garbage in: files that are not digests are refused ("not a digest", exit 2), never read as titles
and abstracts; the real console script shows no traceback and writes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import AS_OF, REAL_DIGESTS, digest_path

BIBBRIDGE = str(Path(sys.executable).with_name("bibbridge"))
D0 = "000_15dd5ef3f356a94c.txt"


def run(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BIBBRIDGE, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def not_a_digest(proc: subprocess.CompletedProcess[str], name: Path) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [x for x in proc.stderr.splitlines() if x.startswith("bibbridge: error: ")]
    assert len(errors) == 1, proc.stderr
    assert errors[0].startswith(f"bibbridge: error: {name}: not a digest"), errors[0]


def our_bib(tmp_path: Path) -> Path:
    out = tmp_path / "mine.bib"
    proc = run("bib", digest_path(D0), "--as-of", AS_OF, "-o", out)
    assert proc.returncode == 0, proc.stderr
    return out


def garbage(tmp_path: Path) -> dict[str, Path]:
    files = {
        "bib": our_bib(tmp_path),
        "tex": tmp_path / "paper.tex",
        "log": tmp_path / "app.log",
        "json-object": tmp_path / "config.json",
        "json-list": tmp_path / "rows.json",
        "html": tmp_path / "page.html",
        "jsonl": tmp_path / "events.jsonl",
    }
    abstract = (
        "We introduce marginalization models (MaMs), a new family of generative models for high-dimensional "
        "discrete data, and show that they are fast to train and to sample from."
    )
    files["tex"].write_text(
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\title{Generative Marginalization Models}\n"
        f"\\begin{{document}}\n\\maketitle\n\\section{{Introduction}}\n{abstract}\n\n"
        f"\\section{{Method}}\nOur Approach In Short\n{abstract}\n\\end{{document}}\n"
    )
    files["log"].write_text(
        "".join(
            f"2026-01-20 12:{i % 60:02d}:07,123 INFO [worker-{i % 4}] Processed batch {i} of the import "
            f"job with {i * 7} records; the next batch starts when the queue has room again.\n"
            f"Batch {i} Done\n"
            for i in range(50)
        )
    )
    files["json-object"].write_text(json.dumps({"name": "x", "papers": 3, "settings": {"a": 1}}))
    files["json-list"].write_text(json.dumps([{"title": "A title", "summary": abstract}] * 3))
    files["html"].write_text(
        "<!DOCTYPE html><html><head><title>Example Domain</title></head><body><h1>Example Domain</h1>"
        f"<p>{abstract}</p><p>More information...</p></body></html>\n"
    )
    files["jsonl"].write_text("\n".join(json.dumps({"event": "click", "n": i}) for i in range(5)) + "\n")
    return files


KINDS = ["bib", "tex", "log", "json-object", "json-list", "html", "jsonl"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_that_is_not_a_digest_is_refused(tmp_path: Path, kind: str) -> None:
    path = garbage(tmp_path)[kind]
    not_a_digest(run("parse", path, "--as-of", AS_OF), path)


def test_a_bib_given_as_digest_and_target_is_left_as_it_is(tmp_path: Path) -> None:
    mine = our_bib(tmp_path)
    before = mine.read_bytes()
    not_a_digest(run("bib", mine, "--as-of", AS_OF, "-o", mine), mine)
    assert mine.read_bytes() == before


@pytest.mark.parametrize("name", sorted(REAL_DIGESTS))
def test_the_real_digests_are_still_digests(name: str) -> None:
    proc = run("parse", digest_path(name), "--as-of", AS_OF)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == REAL_DIGESTS[name]
