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


def test_a_black_holed_host_is_switched_off_after_one_connect_timeout(monkeypatch):
    """A listening socket whose backlog is full drops new SYNs, as a firewall that drops packets."""
    import socket

    from bibbridge.metadata import ResolveSettings, resolve
    from bibbridge.metadata import http as metadata_http
    from bibbridge.model import Paper

    monkeypatch.setattr(metadata_http, "CONNECT_TIMEOUT", 0.5)
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(0)
        fillers = []
        for _ in range(4):  # fill the accept queue; later handshakes get no answer
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(hole.getsockname())
            fillers.append(filler)
        url = f"http://127.0.0.1:{hole.getsockname()[1]}"
        settings = ResolveSettings(hf_url=url, arxiv_url=url, s2_url=url, hf_interval=0, arxiv_interval=0)
        papers = [Paper(f"A Paper About Things, Part {n}") for n in range(20)]
        notices: list[str] = []
        start = time.monotonic()
        report = resolve(papers, settings=settings, notify=notices.append)
        elapsed = time.monotonic() - start
        for filler in fillers:
            filler.close()
    assert len(report.unresolved) == 20 and report.requests == 2  # one try per service, then off
    assert elapsed < 3
    assert [n.split(":")[0] for n in notices] == [
        "Hugging Face could not be reached",
        "arXiv could not be reached",
    ]
    assert "no connection within 0.5s" in notices[0]
