"""Shared test fixtures: an isolated BIBBRIDGE_HOME, the real digests, and the ../shared folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DIGESTS = FIXTURES / "digests"
SHARED = ROOT.parent / "shared"

#: The real digests (copied from ../shared/digests) and their exact paper counts.
REAL_DIGESTS = {
    "000_15dd5ef3f356a94c.txt": 30,
    "001_88429e94ceb0c524.txt": 74,
    "004_928061713d22a60e.txt": 233,
}
#: Capture date used when reading the real digests in tests.
AS_OF = "2026-01-20"


def _closed_port_url() -> str:
    """A URL of 127.0.0.1 where nothing listens: connecting is refused at once."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


#: Where the metadata services are when a test does not start fakes: nowhere (bib, sync and resolve
#: complete records by default; a test must never reach the real services).
UNREACHABLE = _closed_port_url()


@pytest.fixture(autouse=True)
def bibbridge_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty BIBBRIDGE_HOME, so no test sees another's state or the user's."""
    home = tmp_path_factory.mktemp("bibbridge-home")
    monkeypatch.setenv("BIBBRIDGE_HOME", str(home))
    for var in ("ZOTERO_API_KEY", "ZOTERO_LIBRARY", "ZOTERO_API_URL", "BIBBRIDGE_TODAY", "BIBBRIDGE_HF_TTL"):
        monkeypatch.delenv(var, raising=False)
    for var in ("BIBBRIDGE_HF_URL", "BIBBRIDGE_ARXIV_URL", "BIBBRIDGE_S2_URL"):
        monkeypatch.setenv(var, UNREACHABLE)
    return home


@pytest.fixture
def shared_dir() -> Path:
    """../shared, or skip when this clone has none beside it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside this clone")
    return SHARED


def digest_path(name: str) -> Path:
    return DIGESTS / name


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


@pytest.fixture
def single_threaded() -> None:
    """Wait for threads an earlier test left running (a fake server's handler still sleeping past a
    client's timeout): bibbridge forks only a process running no other thread (see
    ``bibbridge.keylookup.bibtable.read_in_halves``)."""
    import threading

    for thread in threading.enumerate():
        if thread is not threading.main_thread():
            thread.join(timeout=30)
    assert threading.active_count() == 1, [thread.name for thread in threading.enumerate()]
