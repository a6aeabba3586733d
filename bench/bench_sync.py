"""Benchmark `bibbridge sync`: requests and seconds against libraries of several sizes.

For each library size (items already there, none of them the digest's papers), against the local
Zotero Web API server of the tests (real HTTP on 127.0.0.1, so seconds are a lower bound: no network
latency; requests are what the real server would see):

- bibbridge: the first sync of the 233 papers of 004_… (fresh local index), then a no-op re-sync;
- naive: what a script on pyzotero would do: fetch every item with ``everything(items())``, match by
  title, create the missing ones with ``create_items`` (50 per call); and its re-sync, which fetches
  everything again.

Usage: python bench/bench_sync.py [--sizes 0,1000,20000]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIGEST = ROOT / "tests" / "fixtures" / "digests" / "004_928061713d22a60e.txt"
AS_OF = "2026-01-20"

sys.path.insert(0, str(ROOT))


def seed(server, size: int) -> None:
    batch = 5000
    for start in range(0, size, batch):
        server.add_items(
            [
                {"itemType": "journalArticle", "title": f"Existing paper {n}", "date": "2020"}
                for n in range(start, min(size, start + batch))
            ]
        )


def run_bibbridge(server, papers) -> list[tuple[str, int, float]]:
    from bibbridge.zotero.sync import sync

    rows = []
    for label in ("first sync", "no-op re-sync"):
        server.reset_requests()
        started = time.perf_counter()
        report = sync(
            papers,
            library=f"user:{server.user_id}",
            collection="Reading/HF Daily",
            api_key=server.api_key,
            api_url=server.url,
        )
        seconds = time.perf_counter() - started
        assert report.ok and len(server.requests) == report.requests
        rows.append((label, len(server.requests), seconds))
    return rows


def run_naive(server, papers) -> list[tuple[str, int, float]]:
    from pyzotero import zotero

    from bibbridge.zotero.mapper import paper_to_item

    rows = []
    for label in ("naive first sync", "naive re-sync"):
        server.reset_requests()
        started = time.perf_counter()
        zot = zotero.Zotero(server.user_id, "user", server.api_key)
        zot.endpoint = server.url
        everything = zot.everything(zot.items())
        titles = {item["data"].get("title", "").casefold() for item in everything}
        missing = [paper_to_item(p, None) for p in papers if p.title.casefold() not in titles]
        for start in range(0, len(missing), 50):
            zot.create_items(missing[start : start + 50])
        seconds = time.perf_counter() - started
        rows.append((label, len(server.requests), seconds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,1000,20000")
    args = parser.parse_args()
    import pyzotero.zotero  # noqa: F401 - import once up front so no row pays for it

    from bibbridge.readers import read_digests
    from tests.support.zotero_server import ZoteroServer

    papers = read_digests([DIGEST], as_of=AS_OF).papers
    print(f"# {len(papers)} papers; Python {platform.python_version()}, {os.cpu_count()} cores")
    print("| library items | approach | requests | seconds |")
    print("|---:|---|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        for runner in (run_bibbridge, run_naive):
            with tempfile.TemporaryDirectory() as home, ZoteroServer() as server:
                os.environ["BIBBRIDGE_HOME"] = home
                seed(server, size)
                for label, requests, seconds in runner(server, papers):
                    print(f"| {size:,} | {label} | {requests} | {seconds:.2f} |", flush=True)
                assert len(server.items()) == size + len(papers)


if __name__ == "__main__":
    main()
