"""Benchmark `bibbridge resolve` on the largest real digest (233 papers) against local fake services.

The fakes (tests/support/paper_services.py) answer in the real formats on 127.0.0.1: the Hub knows
200 of the papers, arXiv's title search 25 more, 8 are nowhere. Reported: requests per service, wall
time with the arXiv interval set to 0 (our own overhead), the wall time the default politeness costs
(arXiv 3 s, Hugging Face 0.6 s between requests, computed from the request counts), a second run (all
from the cache) and an --offline run.

Usage: python bench/bench_resolve.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIGEST = ROOT / "tests" / "fixtures" / "digests" / "004_928061713d22a60e.txt"
AS_OF = "2026-01-20"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from bibbridge.metadata import ResolveSettings, resolve
    from bibbridge.readers import read_digests
    from tests.support.paper_services import FakePaper, fake_services

    papers = read_digests([str(DIGEST)], as_of=AS_OF).papers
    catalog = [
        FakePaper(f"2402.{n:05d}", p.title, [f"Ana Writer{n}", "Bo Second"]) for n, p in enumerate(papers)
    ]
    cold, warm, offline = [], [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as home, fake_services(hf=catalog[:200], arxiv=catalog[:225]) as s:
            os.environ["BIBBRIDGE_HOME"] = home
            settings = ResolveSettings(
                hf_url=s["hf"].url,
                arxiv_url=s["arxiv"].url,
                s2_url=s["s2"].url,
                arxiv_interval=0.0,
                hf_interval=0.0,
            )
            t = time.perf_counter()
            first = resolve(papers, settings=settings)
            cold.append(time.perf_counter() - t)
            t = time.perf_counter()
            second = resolve(papers, settings=settings)
            warm.append(time.perf_counter() - t)
            t = time.perf_counter()
            resolve(papers, offline=True, settings=settings)
            offline.append(time.perf_counter() - t)
    hf_n, ax_n = first.requests_by_source.get("hf", 0), first.requests_by_source.get("arxiv", 0)
    print(f"papers: {len(papers)}; {first.summary()}")
    print(f"second run: {second.summary()}")
    print(f"cold run, no politeness delays: {statistics.median(cold):.2f} s")
    floor = hf_n * 0.6 + ax_n * 3
    print(f"politeness floor with defaults: HF {hf_n} x 0.6 s + arXiv {ax_n} x 3 s = {floor:.0f} s")
    warm_ms, offline_ms = statistics.median(warm) * 1000, statistics.median(offline) * 1000
    print(f"second run (cache): {warm_ms:.0f} ms; --offline: {offline_ms:.0f} ms")


if __name__ == "__main__":
    main()
