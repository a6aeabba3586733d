"""Benchmark `bibbridge key` over a large .bib (whole-process times, as a user or an editor sees them).

1. Whole process: ``bibbridge key QUERY --bib big.bib --first --no-local`` with a cold cache (the cache
   file deleted before every run: the first query after the .bib changed; answered by the shortcut of
   :mod:`bibbridge.keylookup.quick` when it can be sure, else by reading the whole file) and with a warm
   cache (later queries), for several query forms; plus ``bibbridge --version`` as the start-up floor.
   Medians.
2. In process, where a cold query's time goes: reading the .bib with the fast reader's ``scan_bib``,
   building the plain lookup table, storing it, matching on it; what the background process then does
   (adding the word index); and a warm query's: loading the cache, matching.

A cold run starts the background indexing process; the benchmark waits for it (its lock file gone)
before the next run, so runs do not overlap.

The .bib is ``bench/genbib.py``'s ``generate_bib(20000, seed=0)`` (~28 MB, 1,000-character abstracts).

Usage: python bench/bench_lookup.py [--entries 20000] [--runs 7]
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
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from genbib import generate_bib  # noqa: E402


def bibbridge_exe() -> list[str]:
    exe = shutil.which("bibbridge")
    return [exe] if exe else [sys.executable, "-m", "bibbridge"]


def wall(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child: user + system, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-lookup-"))
    home = work / "home"
    env = {**os.environ, "BIBBRIDGE_HOME": str(home)}
    os.environ["BIBBRIDGE_HOME"] = str(home)
    bib = work / "big.bib"
    bib.write_text(generate_bib(args.entries, seed=0), encoding="utf-8")
    size_mb = bib.stat().st_size / 1e6

    from bibbridge.bib.reader import scan_bib
    from bibbridge.keylookup import BibFile, Lookup
    from bibbridge.keylookup.background import lock_path
    from bibbridge.keylookup.index import Table, cache_path_for
    from bibbridge.keylookup.match import parse_query, search_table
    from bibbridge.keylookup.quick import _MEMO
    from bibbridge.keylookup.sources import BIB_FIELDS, bib_table

    entries = scan_bib(bib, BIB_FIELDS)
    sample = entries[len(entries) // 2]
    title_words = sample.fields["title"].replace("{", "").replace("}", "").split()
    arxiv = next(e.fields["eprint"] for e in entries[len(entries) // 3 :] if "eprint" in e.fields)
    family = sample.fields["author"].split(",")[0].split(" and ")[0].split()[-1].strip("{}")
    queries = {
        "title words, shuffled": " ".join(reversed(title_words[:5])),
        "title with a typo": " ".join(
            w[0] + w[2] + w[1] + w[3:] if len(w) > 5 else w for w in title_words[:5]
        ),
        "arXiv id": f"arXiv:{arxiv}v2",
        "author + year": f"the {family} paper from {sample.fields['year'].strip(chr(34))}",
        "key prefix": sample.key[:-3],
    }
    cache = cache_path_for(bib.resolve(), "bib")
    base = [*bibbridge_exe(), "key", "--first", "--no-local", "--bib", str(bib)]

    def wait_for_indexing() -> None:
        deadline = time.monotonic() + 60
        while lock_path(cache).exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def measure(cmd: list[str], before_each=None) -> tuple[float, float, str]:  # noqa: ANN001
        walls, cpus, answer = [], [], ""
        for _ in range(args.runs):
            wait_for_indexing()
            if before_each:
                before_each()
            elapsed, cpu, answer = wall(cmd, env)
            walls.append(elapsed)
            cpus.append(cpu)
        return statistics.median(walls), statistics.median(cpus), answer

    version = measure([*bibbridge_exe(), "--version"])

    def drop_cache() -> None:
        cache.unlink(missing_ok=True)

    cold = {label: measure([*base, query], drop_cache) for label, query in queries.items()}
    warm = {label: measure([*base, query]) for label, query in queries.items()}

    def median_of(fn, runs: int = 3) -> float:  # noqa: ANN001
        values = []
        for _ in range(runs):
            start = time.process_time()
            fn()
            values.append(time.process_time() - start)
        return statistics.median(values)

    # Which cold queries the shortcut answers (see bibbridge.keylookup.quick), and what it costs in process.
    quick_used = set()
    quick_s = {}
    for label, query in queries.items():
        parsed = parse_query(query)
        if BibFile(bib).quick_search(parsed, 1, 60) is not None:
            quick_used.add(label)
        quick_s[label] = median_of(lambda p=parsed: (_MEMO.clear(), BibFile(bib).quick_search(p, 1, 60)))

    # In process: where the cold and warm time goes (CPU time of this process, median).
    scan_s = median_of(lambda: scan_bib(bib, BIB_FIELDS))
    build_s = median_of(lambda: bib_table("big.bib", entries))
    table = bib_table("big.bib", entries)
    dump_s = median_of(lambda: table.dumps(("x",)))

    def plain_match(query: str) -> None:
        fresh = Table("big.bib", None, len(table))
        fresh._values = table._values  # the same sections, no scans remembered
        search_table(fresh, parse_query(query))

    plain_s = {label: median_of(lambda q=query: plain_match(q)) for label, query in queries.items()}
    enrich_s = median_of(lambda: bib_table("big.bib", entries).enrich()) - build_s
    wait_for_indexing()
    Lookup([BibFile(bib)]).search("warm up")
    load_s = median_of(lambda: Lookup([BibFile(bib)]).load(), runs=args.runs)
    finder = Lookup([BibFile(bib)])
    finder.load()
    assert all(t.indexed for t in finder.tables())
    match_s = {
        label: median_of(lambda q=query: finder.search(q), runs=args.runs) for label, query in queries.items()
    }

    print(f"## bench_lookup: {args.entries} entries, {size_mb:.1f} MB .bib; medians of {args.runs} runs")
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} cores, load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    print(f"cache file: {cache.stat().st_size / 1e6:.1f} MB\n")
    print("| whole process | wall | CPU (user + sys) |")
    print("|---|---|---|")
    print(f"| `bibbridge --version` (start-up floor) | {version[0]:.3f} s | {version[1]:.3f} s |")
    for label, (elapsed, cpu, answer) in cold.items():
        path = "shortcut" if label in quick_used else "whole file"
        print(f"| first query ({path}): {label} (→ `{answer}`) | {elapsed:.3f} s | {cpu:.3f} s |")
    for label, (elapsed, cpu, answer) in warm.items():
        print(f"| later query: {label} (`{queries[label]}` → `{answer}`) | {elapsed:.3f} s | {cpu:.3f} s |")
    print("\n| in process (CPU) | median |")
    print("|---|---|")
    print(f"| fast reader `scan_bib` ({len(entries)} entries) | {scan_s:.3f} s |")
    print(f"| build the plain lookup table | {build_s:.3f} s |")
    print(f"| serialise it (marshal) | {dump_s:.3f} s |")
    for label, seconds in quick_s.items():
        outcome = "answers" if label in quick_used else "gives up"
        print(f"| shortcut ({outcome}): {label} | {seconds * 1000:.0f} ms |")
    for label, seconds in plain_s.items():
        print(f"| match on the plain table: {label} | {seconds * 1000:.1f} ms |")
    print(f"| background: add the word index | {enrich_s:.3f} s |")
    print(f"| load the cached table | {load_s * 1000:.1f} ms |")
    for label, seconds in match_s.items():
        print(f"| match on the indexed table: {label} | {seconds * 1000:.1f} ms |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
