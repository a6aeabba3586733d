"""Benchmark live Hugging Face sources: requests and seconds for a day, a week, a month and a 30-day
range, cold (empty cache) and cached, against the fake Hub of tests/support/hf_hub.py on 127.0.0.1.

The fake answers like huggingface.co (pages of at most 100 entries, real entry shape); the catalog has
40 papers a weekday (about the Hub's busiest days), none on weekends. Reported per source: requests,
papers, wall seconds of `Hub.read` with the request interval set to 0 (our own cost: HTTP on loopback,
JSON, mapping, cache), the seconds the default politeness (`BIBBRIDGE_HF_INTERVAL`, 0.6 s) adds
(computed: (requests - 1) x 0.6), and a second, cached run. Medians of --runs runs, each with a fresh
cache per source; the sources are interleaved inside each run.

Usage: python bench/bench_hf.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TODAY = "2024-12-02"
SOURCES = {
    "day": "hf:2024-10-25",
    "week": "hf:2024-W43",
    "month": "hf:2024-10",
    "30-day range": "hf:2024-10-01..2024-10-30",
}
INTERVAL = 0.6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from bibbridge.metadata import ResolveSettings
    from bibbridge.readers.hf_live import Hub
    from tests.support.hf_hub import daily_catalog, fake_hub

    catalog = daily_catalog("2024-09-30", 63, per_weekday=40)
    cold: dict[str, list[float]] = {name: [] for name in SOURCES}
    warm: dict[str, list[float]] = {name: [] for name in SOURCES}
    counts: dict[str, tuple[int, int, int]] = {}
    with fake_hub(catalog, today=TODAY) as server:
        settings = ResolveSettings(hf_url=server.url, hf_interval=0.0)
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                for name, spec in SOURCES.items():
                    cache = Path(tmp) / f"{name}.sqlite"  # each source starts cold
                    with Hub(settings=settings, cache_path=cache, today=TODAY) as hub:
                        t = time.perf_counter()
                        papers, _, first = hub.read(spec)
                        cold[name].append(time.perf_counter() - t)
                    with Hub(settings=settings, cache_path=cache, today=TODAY) as hub:
                        t = time.perf_counter()
                        _, _, second = hub.read(spec)
                        warm[name].append(time.perf_counter() - t)
                    counts[name] = (len(papers), first.requests, second.requests)
    print("| source | papers | requests cold / cached | cold (s) | politeness adds (s) | cached (s) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, spec in SOURCES.items():
        papers, first, second = counts[name]
        print(
            f"| `{spec}` ({name}) | {papers} | {first} / {second} | {statistics.median(cold[name]):.3f} | "
            f"{max(0, first - 1) * INTERVAL:.1f} | {statistics.median(warm[name]):.3f} |"
        )


if __name__ == "__main__":
    main()
