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


def timed(func, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def whole_process(args: list[str], runs: int) -> float:
    exe = shutil.which("bibbridge") or sys.executable
    cmd = [exe, *args] if exe != sys.executable else [exe, "-m", "bibbridge", *args]
    subprocess.run(cmd, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def heavy_imports_on_version() -> list[str]:
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
    return sorted(n for n in HEAVY if n in names)


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
        seconds, result = timed(lambda: read_digests([path], as_of=AS_OF), opts.runs)
    mb = len(data) / 1_000_000
    got = len(result.papers)
    print(f"generated digest: {mb:.1f} MB, {expected} papers ({got} read, {len(result.warnings)} warnings)")
    if got != expected:
        print("  MISMATCH: the reader lost or invented papers", file=sys.stderr)
    rate = f"{mb / seconds:.0f} MB/s, {got / seconds:,.0f} papers/s"
    print(f"in-process read:  {seconds * 1000:.0f} ms  →  {rate}")

    largest = max(DIGESTS.glob("*.txt"), key=lambda p: p.stat().st_size)
    version = whole_process(["--version"], opts.runs * 2)
    parse = whole_process(["parse", str(largest), "--as-of", AS_OF], opts.runs)
    print(f"whole process:    bibbridge --version {version * 1000:.0f} ms (median of {opts.runs * 2})")
    print(
        f"                  bibbridge parse {largest.name} ({largest.stat().st_size / 1000:.0f} kB) "
        f"{parse * 1000:.0f} ms (median of {opts.runs})"
    )
    baseline = whole_process_python(["-c", "import click"], opts.runs * 2)
    print(f"                  python -c 'import click' {baseline * 1000:.0f} ms (baseline)")
    heavy = heavy_imports_on_version()
    print(f"heavy modules imported by --version: {', '.join(heavy) if heavy else 'none'}")
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")


def whole_process_python(args: list[str], runs: int) -> float:
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


if __name__ == "__main__":
    main()
