"""Without the network: resolving by default must cost seconds, say once which host failed, and write.

conftest points every metadata service at a 127.0.0.1 port where nothing listens (connection refused,
as a machine without network refuses or fails DNS at once); a black-holed address is covered by the
client's connect timeout (``metadata/http.py``).
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT

BIN = Path(sys.executable).parent / "bibbridge"


def run(*args, cwd=ROOT):
    start = time.monotonic()
    done = subprocess.run([str(BIN), *args], capture_output=True, text=True, cwd=cwd, env=dict(os.environ))
    return done, time.monotonic() - start


def test_readme_first_command_runs_offline_within_seconds(tmp_path):
    out = tmp_path / "refs.bib"
    samples = sorted(glob.glob(str(ROOT / "samples" / "*.txt")))
    done, seconds = run("bib", *samples, "--as-of", "2026-01-20", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert seconds < 5
    assert out.read_text().count("@misc{") == 325
    lines = done.stderr.splitlines()
    hf = [
        line for line in lines if line.startswith("bibbridge: Hugging Face could not be reached: 127.0.0.1:")
    ]
    ax = [line for line in lines if line.startswith("bibbridge: arXiv could not be reached: 127.0.0.1:")]
    assert len(hf) == len(ax) == 1 and "(connection refused); no more requests to it in this run" in hf[0]
    assert (
        "bibbridge: resolved 0, unresolved 325, from cache 0, requests 2 (Hugging Face 1, arXiv 1)" in lines
    )
    assert not any("unresolved: " in line for line in lines)  # per-paper lines only with -v
    assert lines[-1].startswith("bibbridge: added 325, skipped 0; written to")


def test_no_resolve_makes_no_request_and_verbose_names_each_paper(tmp_path):
    sample = str(ROOT / "samples" / "hf-title-abstract-blocks.txt")
    plain, _ = run("bib", sample, "--no-resolve", "-o", str(tmp_path / "a.bib"))
    assert plain.returncode == 0 and "could not be reached" not in plain.stderr
    verbose, seconds = run("resolve", sample, "-v")
    assert verbose.returncode == 0 and seconds < 5
    count = verbose.stdout.count("\n")
    assert verbose.stderr.count("bibbridge: unresolved: ") == count > 0


def test_offline_flag_makes_no_connection_at_all(tmp_path):
    sample = str(ROOT / "samples" / "hf-title-abstract-blocks.txt")
    done, _ = run("bib", sample, "--offline", "-o", str(tmp_path / "a.bib"))
    assert done.returncode == 0 and "could not be reached" not in done.stderr
    assert "requests 0" in done.stderr
