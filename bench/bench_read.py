"""Benchmark the digest reader.

1. In-process: generate a text digest of at least 10 MB from the real digests' papers (repeated with
   varied titles, in the listing-with-metadata layout, plus the same papers in the line-by-line layout),
   read it with :func:`bibbridge.read_digests`, and report MB/s and papers/s (median of several runs).
2. Whole process: the wall time of ``bibbridge --version`` and of ``bibbridge parse`` on the largest
   real digest (median of several runs), and which heavy modules ``--version`` imports.

Usage: python bench/bench_read.py [--mb 10] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIGESTS = ROOT / "tests" / "fixtures" / "digests"
AS_OF = "2026-01-20"
HEAVY = ("pyzotero", "httpx2", "httpx", "bibtexparser", "platformdirs", "rapidfuzz", "sqlite3", "requests")

sys.path.insert(0, str(ROOT))


def real_papers():
    from bibbridge.readers import read_digests

    return read_digests(sorted(DIGESTS.glob("*.txt")), as_of=AS_OF).papers


def render_listing(papers, copy: int) -> str:
    """The listing-with-metadata layout; every copy gets its own titles (so nothing dedupes away)."""
    out = []
    for n, p in enumerate(papers):
        out.append(f"{p.title} (copy {copy}-{n})\n\n{p.abstract}\n\n")
        if p.author_count is not None:
            date = p.published or "2024-01-05"
            y, m, d = date.split("-")
            month = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()[int(m) - 1]
            up = f" {p.upvotes}" if p.upvotes else ""
            out.append(f"  • {p.author_count} authors\n·\n{month} {int(d)}, {y}{up}\n\n")
    return "".join(out)


def render_lines(papers, copy: int) -> str:
    return "".join(f"Variant {copy}.{n} of {p.title}\n{p.abstract}\n" for n, p in enumerate(papers))


def make_digest(target_mb: float) -> tuple[str, int]:
    papers = [p for p in real_papers() if p.abstract]
    header = "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"
    header += "byAK and the research community\n\nApr 17\n\n"
    chunks, size, copy, count = [header], len(header), 0, 0
    while size < target_mb * 1_000_000:
        chunk = render_listing(papers, copy) if copy % 2 == 0 else render_lines(papers, copy)
        if copy % 2:  # the line layout must not follow a metadata block directly: separate by a blank
            chunk = "\n" + chunk + "\n"
        chunks.append(chunk)
        size += len(chunk.encode("utf-8"))
        count += len(papers)
        copy += 1
    return "".join(chunks), count


def timed(func, runs: int) -> tuple[float, float, object]:
    """Median wall and CPU seconds of ``func()`` (CPU time is less disturbed by other processes)."""
    wall, cpu, result = [], [], None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = func()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu), result


def _ms(wall: float, cpu: float) -> str:
    return f"{wall * 1000:.0f} / {cpu * 1000:.0f} ms"


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_timed(cmd: list[str], runs: int) -> tuple[float, float]:
    """Median wall and CPU (user + system) seconds of a whole process, after one warm-up run."""
    subprocess.run(cmd, capture_output=True, check=True)  # warm the file cache
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), _child_cpu()
        subprocess.run(cmd, capture_output=True, check=True)
        wall.append(time.perf_counter() - start)
        cpu.append(_child_cpu() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def whole_process(args: list[str], runs: int) -> tuple[float, float]:
    exe = shutil.which("bibbridge")
    return run_timed([exe, *args] if exe else [sys.executable, "-m", "bibbridge", *args], runs)


def heavy_imports_on_version() -> tuple[list[str], float]:
    """Heavy modules imported by ``--version``, and the cumulative import time of bibbridge.cli (ms)."""
    out = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "import sys; sys.argv=['bibbridge','--version'];"
            "from bibbridge.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass",
        ],
        capture_output=True,
        text=True,
    ).stderr
    names = {line.split("|")[-1].strip().split(".")[0] for line in out.splitlines() if "|" in line}
    cli_us = next(
        int(line.split("|")[1]) for line in out.splitlines() if line.split("|")[-1].strip() == "bibbridge.cli"
    )
    return sorted(n for n in HEAVY if n in names), cli_us / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=5)
    opts = parser.parse_args()

    from bibbridge.readers import read_digests

    text, expected = make_digest(opts.mb)
    data = text.encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big-digest.txt"
        path.write_bytes(data)
        seconds, cpu, result = timed(lambda: read_digests([path], as_of=AS_OF), opts.runs)
    mb = len(data) / 1_000_000
    got = len(result.papers)
    print(f"generated digest: {mb:.1f} MB, {expected} papers ({got} read, {len(result.warnings)} warnings)")
    if got != expected:
        print("  MISMATCH: the reader lost or invented papers", file=sys.stderr)
    rate = f"{mb / seconds:.0f} MB/s, {got / seconds:,.0f} papers/s"
    print(f"in-process read:  {seconds * 1000:.0f} ms  →  {rate} (median of {opts.runs}, wall time)")
    print(f"                  {cpu * 1000:.0f} ms CPU  →  {mb / cpu:.0f} MB/s, {got / cpu:,.0f} papers/s")

    largest = max(DIGESTS.glob("*.txt"), key=lambda p: p.stat().st_size)
    version, version_cpu = whole_process(["--version"], opts.runs * 2)
    parse, parse_cpu = whole_process(["parse", str(largest), "--as-of", AS_OF], opts.runs)
    click_only, click_cpu = run_timed([sys.executable, "-c", "import click"], opts.runs * 2)
    print(f"whole process (median wall / CPU):  bibbridge --version {_ms(version, version_cpu)}")
    print(
        f"                  bibbridge parse {largest.name} ({largest.stat().st_size / 1000:.0f} kB) "
        f"{_ms(parse, parse_cpu)}"
    )
    print(f"                  python -c 'import click' {_ms(click_only, click_cpu)} (baseline)")
    heavy, cli_ms = heavy_imports_on_version()
    print(
        f"heavy modules imported by --version: {', '.join(heavy) if heavy else 'none'}; "
        f"import of bibbridge.cli (click included) {cli_ms:.0f} ms"
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")
    print(f"load average during the run: {load}")


if __name__ == "__main__":
    main()
