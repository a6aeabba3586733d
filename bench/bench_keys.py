"""Benchmark citation keys: the formula, and the registry against 20,000 keys.

1. Formula: base keys per second for the real digests' papers (default formula).
2. Registry: assign keys to the 233 papers of the largest real digest
   a. against 20,000 taken keys (e.g. the user's .bib) with an empty registry;
   b. against a registry that already holds 20,000 keys, plus the same 20,000 taken keys;
   c. again for the same 233 papers (all found: nothing new).
   Each figure is the median of several runs on a fresh copy of the state database.

Usage: python bench/bench_keys.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIGESTS = ROOT / "tests" / "fixtures" / "digests"
sys.path.insert(0, str(ROOT))

from bibbridge.keys import KeyRegistry, compile_formula  # noqa: E402
from bibbridge.model import Paper  # noqa: E402
from bibbridge.readers import read_digests  # noqa: E402

N_KEYS = 20_000


def synthetic_papers(n: int) -> list[Paper]:
    words = "neural scaling sparse graph diffusion token model learning robust quantum".split()
    return [
        Paper(
            title=f"{words[i % 10].title()} {words[(i // 10) % 10]} {words[(i // 100) % 10]} study {i}",
            authors=[f"Ann {['Smith', 'Chen', 'van der Berg', 'Müller'][i % 4]}"],
            published=f"{2000 + i % 26}-01-01",
            arxiv_id=f"{1000 + i // 90000}.{i % 90000:05d}",
        )
        for i in range(n)
    ]


def median_time(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    papers = read_digests([DIGESTS / "004_928061713d22a60e.txt"], as_of="2026-01-20").papers
    all_papers = read_digests(sorted(DIGESTS.glob("*.txt")), as_of="2026-01-20").papers
    taken = [f"key{i}Taken{2000 + i % 26}" for i in range(N_KEYS)]
    formula = compile_formula()

    reps = 20
    per_key = median_time(lambda: [formula.key_for(p) for p in all_papers * reps], args.runs)
    print(f"formula: {len(all_papers) * reps / per_key:,.0f} keys/s ({len(all_papers)} real papers x {reps})")

    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "full.sqlite"
        start = time.perf_counter()
        with KeyRegistry(full) as registry:
            registry.assign(synthetic_papers(N_KEYS), formula=formula)
        print(f"filling a registry with {N_KEYS:,} keys in one call: {time.perf_counter() - start:.2f} s")

        def run(source: Path | None, label: str, repeat: bool = False) -> None:
            times, cpu = [], []
            for _ in range(args.runs):
                path = Path(tmp) / "run.sqlite"
                if path.exists():
                    path.unlink()
                if source is not None:
                    shutil.copy(source, path)
                with KeyRegistry(path) as registry:
                    if repeat:
                        registry.assign(papers, formula=formula, taken=taken)
                    start, start_cpu = time.perf_counter(), time.process_time()
                    keys = registry.assign(papers, formula=formula, taken=taken)
                    times.append(time.perf_counter() - start)
                    cpu.append(time.process_time() - start_cpu)
                assert len(keys) == len(papers)
            print(
                f"{label}: {statistics.median(times) * 1000:.0f} ms wall, "
                f"{statistics.median(cpu) * 1000:.0f} ms CPU (median of {args.runs})"
            )

        run(None, f"assign {len(papers)} new keys, empty registry, {N_KEYS:,} taken")
        run(full, f"assign {len(papers)} new keys, {N_KEYS:,} in the registry + {N_KEYS:,} taken")
        run(full, f"assign the same {len(papers)} papers again (all found)", repeat=True)

    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")


if __name__ == "__main__":
    main()
