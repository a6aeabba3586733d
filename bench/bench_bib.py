"""Benchmark writing and merging .bib files.

1. Whole process: ``bibbridge bib <233-paper digest> -o big.bib`` into a 20,000-entry, ~28 MB .bib
   (``bench/genbib.py``), each run on a fresh copy of the file and a fresh key registry, so all 233
   papers are new and appended (the first-time merge, the slowest case). Also the re-run on the merged
   file (everything found, nothing written). Target: at most 1.5 s.
2. In-process: rendering 10,000 entries (``bibtex`` and ``biblatex`` styles, keys given), and
   ``bibbridge.to_bibtex`` on 10,000 papers, which also assigns and stores 10,000 new keys.

Median of ``--runs`` runs. Usage: python bench/bench_bib.py [--runs 5] [--entries 20000]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIGEST = ROOT / "tests" / "fixtures" / "digests" / "004_928061713d22a60e.txt"
AS_OF = "2026-01-20"

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def median_time(func, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_merge(runs: int, entries: int, profile: bool) -> None:
    from genbib import generate_bib

    with tempfile.TemporaryDirectory(prefix="bench-bib-") as tmp:
        work = Path(tmp)
        original = work / "original.bib"
        original.write_text(generate_bib(entries, seed=1), encoding="utf-8")
        size = original.stat().st_size
        print(f"target file: {entries} entries, {size / 1e6:.1f} MB")
        bibbridge = shutil.which("bibbridge") or "bibbridge"

        def merge_once(home: Path, target: Path) -> subprocess.CompletedProcess[str]:
            env = {**os.environ, "BIBBRIDGE_HOME": str(home)}
            return subprocess.run(
                [bibbridge, "bib", str(DIGEST), "--as-of", AS_OF, "-o", str(target)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )

        def timed(home: Path, target: Path) -> tuple[float, float, subprocess.CompletedProcess[str]]:
            """Wall time and CPU time (user + system) of one whole process."""
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            proc = merge_once(home, target)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            return wall, cpu, proc

        first, first_cpu, again, again_cpu = [], [], [], []
        for n in range(runs):
            target, home = work / f"big{n}.bib", work / f"home{n}"
            shutil.copyfile(original, target)
            wall, cpu, proc = timed(home, target)
            first.append(wall)
            first_cpu.append(cpu)
            wall, cpu, _ = timed(home, target)
            again.append(wall)
            again_cpu.append(cpu)
            target.unlink()
        print(f"  {proc.stderr.strip().splitlines()[-1]}")
        print(
            f"merge 233 new papers, whole process: median {statistics.median(first):.3f} s wall "
            f"(min {min(first):.3f}, max {max(first):.3f}; target <= 1.5 s), "
            f"{statistics.median(first_cpu):.3f} s CPU"
        )
        print(
            f"merge again (all found, nothing written): median {statistics.median(again):.3f} s wall, "
            f"{statistics.median(again_cpu):.3f} s CPU"
        )
        print(f"load average: {os.getloadavg()[0]:.1f}")

        if profile:
            from bibbridge.bib.merge import merge_bib
            from bibbridge.readers import read_digests

            os.environ["BIBBRIDGE_HOME"] = str(work / "home-profile")
            papers = read_digests([DIGEST], as_of=AS_OF).papers
            target = work / "profile.bib"
            shutil.copyfile(original, target)
            profiler = cProfile.Profile()
            profiler.enable()
            merge_bib(papers, target)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(18)


def synthetic_papers(n: int):
    from bibbridge.model import Paper
    from bibbridge.readers import read_digests

    real = [p for p in read_digests([DIGEST], as_of=AS_OF).papers if p.abstract]
    out = []
    for i in range(n):
        p = real[i % len(real)]
        out.append(
            Paper(
                title=f"{p.title} (part {i})",
                abstract=p.abstract,
                authors=["Zoë Müller", "Wei Zhang", "Aaron van den Oord", "Łukasz Kaiser", "Jane Doe"],
                author_count=7,
                published=f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}",
                arxiv_id=f"24{i % 12 + 1:02d}.{i:05d}",
                primary_category="cs.LG",
                urls={"code": [f"https://github.com/example/repo{i}"], "project": [], "other": []},
            )
        )
    return out


def bench_write(runs: int, n: int = 10_000) -> None:
    import bibbridge
    from bibbridge.bib.csl import to_csl_json_text
    from bibbridge.bib.writer import entries_text

    papers = synthetic_papers(n)
    keys = {p.identity: f"key{i}" for i, p in enumerate(papers)}
    for style in ("bibtex", "biblatex"):
        t = median_time(lambda style=style: entries_text(papers, keys, style), runs)
        print(f"render {n} entries ({style}, keys given): median {t:.3f} s = {n / t:,.0f} entries/s")
    t = median_time(lambda: to_csl_json_text(papers, keys), runs)
    print(f"render {n} items (csl-json, keys given): median {t:.3f} s = {n / t:,.0f} items/s")

    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-bib-home-") as home:
            os.environ["BIBBRIDGE_HOME"] = home
            start = time.perf_counter()
            bibbridge.to_bibtex(papers)
            times.append(time.perf_counter() - start)
    t = statistics.median(times)
    print(f"to_bibtex({n} papers, new keys assigned and stored): median {t:.3f} s = {n / t:,.0f} entries/s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--profile", action="store_true", help="cProfile one in-process merge")
    args = parser.parse_args()
    bench_merge(args.runs, args.entries, args.profile)
    bench_write(args.runs)


if __name__ == "__main__":
    main()
