"""Benchmark `bibbridge key` over a large .bib (whole-process times, as a user or an editor sees them).

1. Whole process: ``bibbridge key QUERY --bib big.bib --first --no-local`` run as a user runs it, from
   a copy of bibbridge installed the way README's first command installs it (``pip install .`` into
   a venv of its own, made once under ``bench/out/venv``; an editable install adds an import hook
   that costs every process ~15 ms). Several query forms, each:

   - *first query*: no lookup cache for the file (deleted before every run: the first query after
     the .bib changed); bibbridge's other caches (the compiled regex program, see
     :mod:`bibbridge.regexcache`) are there, as after any earlier run on the machine;
   - *very first run*: the whole ``$BIBBRIDGE_HOME`` deleted as well (once per query form);
   - *later query*: the cache there.

   Plus ``bibbridge --version`` as the start-up floor. Medians of ``--runs`` runs.
2. In process, where a first query's time goes: reading and building the table on the cores
   (:func:`bibbridge.keylookup.parallel.parallel_bib_table`), the same serially (scan and table
   build), matching; what the background process then does (adding the word index); and a later
   query's: loading the cache, matching.

A first query starts the background indexing process; the benchmark waits for it (its lock file gone)
before the next run, so runs do not overlap.

The .bib is ``bench/genbib.py``'s ``generate_bib(20000, seed=0)`` (~28 MB, 1,000-character abstracts).

Usage: python bench/bench_lookup.py [--entries 20000] [--runs 7] [--python PATH]
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

VENV = ROOT / "bench" / "out" / "venv"


def installed_bibbridge(python: str | None) -> list[str]:
    """The command running an installed (not editable) copy of this checkout's bibbridge."""
    if python:
        return [python, "-m", "bibbridge"]
    exe = VENV / "bin" / "bibbridge"
    if not VENV.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    # Reinstalled every time (no dependencies fetched again): the checkout may have changed.
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, str(ROOT)], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*pip, "--no-deps", "--force-reinstall", str(ROOT)], check=True, stdout=subprocess.DEVNULL)
    return [str(exe)]


def wall(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child and its children: user + system, its stdout)."""
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
    parser.add_argument("--python", help="run `PYTHON -m bibbridge` instead of a fresh install")
    args = parser.parse_args()

    command = installed_bibbridge(args.python)
    work = Path(tempfile.mkdtemp(prefix="bench-lookup-"))
    home = work / "home"
    env = {**os.environ, "BIBBRIDGE_HOME": str(home)}
    os.environ["BIBBRIDGE_HOME"] = str(home)
    bib = work / "big.bib"
    bib.write_text(generate_bib(args.entries, seed=0), encoding="utf-8")
    size_mb = bib.stat().st_size / 1e6

    from bibbridge.bib.reader import scan_columns
    from bibbridge.keylookup import BibFile, Lookup
    from bibbridge.keylookup.background import lock_path
    from bibbridge.keylookup.index import Table, cache_path_for
    from bibbridge.keylookup.match import parse_query, search_table
    from bibbridge.keylookup.parallel import parallel_bib_table
    from bibbridge.keylookup.sources import BIB_FIELDS, bib_columns_table

    columns = scan_columns(bib, BIB_FIELDS)
    middle = len(columns) // 2
    title_words = columns.fields["title"][middle].replace("{", "").replace("}", "").split()
    arxiv = next(e for e in columns.fields["eprint"][len(columns) // 3 :] if e)
    family = columns.fields["author"][middle].split(",")[0].split(" and ")[0].split()[-1].strip("{}")
    queries = {
        "title words, shuffled": " ".join(reversed(title_words[:5])),
        "title with a typo": " ".join(
            w[0] + w[2] + w[1] + w[3:] if len(w) > 5 else w for w in title_words[:5]
        ),
        "arXiv id": f"arXiv:{arxiv}v2",
        "author + year": f"the {family} paper from {columns.fields['year'][middle]}",
        "key prefix": columns.keys[middle][:-3],
    }
    cache = cache_path_for(bib.resolve(), "bib")
    base = [*command, "key", "--first", "--no-local", "--bib", str(bib)]

    def wait_for_indexing() -> None:
        deadline = time.monotonic() + 60
        while lock_path(cache).exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def measure(cmd: list[str], before_each=None, runs: int = args.runs) -> tuple[float, float, str]:  # noqa: ANN001
        walls, cpus, answer = [], [], ""
        for _ in range(runs):
            wait_for_indexing()
            if before_each:
                before_each()
            elapsed, cpu, answer = wall(cmd, env)
            walls.append(elapsed)
            cpus.append(cpu)
        return statistics.median(walls), statistics.median(cpus), answer

    version = measure([*command, "--version"])

    def drop_cache() -> None:
        cache.unlink(missing_ok=True)

    def drop_home() -> None:
        shutil.rmtree(home, ignore_errors=True)

    very_first = {label: measure([*base, query], drop_home, runs=1) for label, query in queries.items()}
    cold = {label: measure([*base, query], drop_cache) for label, query in queries.items()}
    warm = {label: measure([*base, query]) for label, query in queries.items()}

    def median_of(fn, runs: int = 5) -> float:  # noqa: ANN001
        values = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            values.append(time.perf_counter() - start)
        return statistics.median(values)

    # In process: where a first query's time goes (wall time of this process, median).
    parallel_s = {
        label: median_of(lambda q=query: parallel_bib_table(bib, "big.bib", words=parse_query(q).words))
        for label, query in queries.items()
    }
    scan_s = median_of(lambda: scan_columns(bib, BIB_FIELDS))
    build_s = median_of(lambda: bib_columns_table("big.bib", columns.keys, columns.fields, columns.lines))

    def first_match(query: str) -> float:
        parsed = parse_query(query)
        table = parallel_bib_table(bib, "big.bib", words=parsed.words)
        start = time.perf_counter()
        search_table(table, parsed)
        return time.perf_counter() - start

    match_s = {label: statistics.median(first_match(q) for _ in range(5)) for label, q in queries.items()}
    def build() -> Table:
        return bib_columns_table("big.bib", columns.keys, columns.fields, columns.lines)

    table = build()
    enrich_s = median_of(lambda: build().enrich()) - build_s
    wait_for_indexing()
    Lookup([BibFile(bib)]).search("warm up")
    load_s = median_of(lambda: Lookup([BibFile(bib)]).load(), runs=args.runs)
    finder = Lookup([BibFile(bib)])
    finder.load()
    assert all(t.indexed for t in finder.tables())
    indexed_s = {
        label: median_of(lambda q=query: finder.search(q), runs=args.runs) for label, query in queries.items()
    }

    print(f"## bench_lookup: {args.entries} entries, {size_mb:.1f} MB .bib; medians of {args.runs} runs")
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} cores, load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}; bibbridge run as `{' '.join(command)}`"
    )
    print(f"cache file: {cache.stat().st_size / 1e6:.1f} MB, {len(table)} rows\n")
    print("| whole process | wall | CPU (user + sys, all its processes) |")
    print("|---|---|---|")
    print(f"| `bibbridge --version` (start-up floor) | {version[0]:.3f} s | {version[1]:.3f} s |")
    for label, (elapsed, cpu, answer) in cold.items():
        print(f"| first query: {label} (`{queries[label]}` → `{answer}`) | {elapsed:.3f} s | {cpu:.3f} s |")
    for label, (elapsed, cpu, _) in very_first.items():
        print(f"| very first run (no `$BIBBRIDGE_HOME`, 1 run): {label} | {elapsed:.3f} s | {cpu:.3f} s |")
    for label, (elapsed, cpu, answer) in warm.items():
        print(f"| later query: {label} (→ `{answer}`) | {elapsed:.3f} s | {cpu:.3f} s |")
    print("\n| in process | median (wall) |")
    print("|---|---|")
    for label, seconds in parallel_s.items():
        print(f"| read and build the table on {os.cpu_count()} cores, for: {label} | {seconds:.3f} s |")
    print(f"| the same serially: `scan_columns` | {scan_s:.3f} s |")
    print(f"| the same serially: build the plain table | {build_s:.3f} s |")
    for label, seconds in match_s.items():
        print(f"| first match on the new table: {label} | {seconds * 1000:.1f} ms |")
    print(f"| background: add the word index | {enrich_s:.3f} s |")
    print(f"| load the cached table | {load_s * 1000:.1f} ms |")
    for label, seconds in indexed_s.items():
        print(f"| match on the indexed table: {label} | {seconds * 1000:.1f} ms |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
