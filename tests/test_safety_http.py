"""Retry-After from the metadata services (Hugging Face, arXiv, Semantic Scholar): ``inf`` fails at once
with a message, a long wait is announced (not a silent pause that looks like a hang)."""

from __future__ import annotations

import pytest

from bibbridge.metadata.http import FetchError, PoliteClient
from tests.support.http import QuietHandler, serve


class Busy(QuietHandler):
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.server.hits += 1  # type: ignore[attr-defined]
        status, retry_after = self.server.plan.pop(0) if self.server.plan else (200, None)  # type: ignore[attr-defined]
        body = b"busy" if status != 200 else b"{}"
        self.send_response(status)
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_retry_after_inf_fails_at_once_with_a_message() -> None:
    with serve(Busy, plan=[(503, "inf")], hits=0) as (url, server), PoliteClient(url, name="arXiv") as client:
        with pytest.raises(FetchError, match=r"arXiv: HTTP 503 \(asked to retry never"):
            client.get("/api/query")
        assert server.hits == 1  # type: ignore[attr-defined]


def test_a_long_wait_is_announced(capsys: pytest.CaptureFixture[str]) -> None:
    slept: list[float] = []
    with (
        serve(Busy, plan=[(429, "30")], hits=0) as (url, _),
        PoliteClient(url, name="Hugging Face", sleep=slept.append) as client,
    ):
        assert client.get("/api/papers").status == 200
    assert slept == [30.0]
    assert "bibbridge: Hugging Face asks to wait 30 s; waiting" in capsys.readouterr().err
