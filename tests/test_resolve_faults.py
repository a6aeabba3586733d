"""Faults of the metadata services met while resolving by default: one line each, never a traceback,
and the outputs are still written (unresolved papers are not a failure of the run)."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

from conftest import digest_path

from tests.support.console import console

DIGEST = "004_928061713d22a60e.txt"


class _RedirectLoop(http.server.BaseHTTPRequestHandler):
    """Every request is sent back to itself (302), as a misconfigured proxy does."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(302)
        self.send_header("Location", self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_redirect_loop_is_one_line_and_the_bib_is_still_written(tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RedirectLoop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        target = tmp_path / "refs.bib"
        proc = console(
            "bib",
            digest_path(DIGEST),
            "--as-of",
            "2026-01-20",
            "-o",
            target,
            "-v",
            env={"BIBBRIDGE_HF_URL": url, "BIBBRIDGE_ARXIV_URL": url},
        )
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "redirects in a loop" in proc.stderr  # the reason, on -v's per-paper lines
    assert "resolved 0, unresolved 233" in proc.stderr
    assert target.read_text(encoding="utf-8").count("@misc{") == 233
