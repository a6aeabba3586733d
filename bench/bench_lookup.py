"""Benchmark `bibbridge key` over a large .bib (whole-process times, as a user or an editor sees them).

Whole process: ``bibbridge key QUERY --bib big.bib --first --no-local`` run as a user runs it, from a copy
of bibbridge installed the way README's first command installs it (``pip install .`` into a venv of its
own, made once under ``bench/out/venv``; an editable install adds an import hook that costs every process
~15 ms). Five query forms, each in three cache states:

- *never-seen file*: no lookup cache for the file (deleted before every run); bibbridge's other caches
  (the compiled regex program, see :mod:`bibbridge.regexcache`) are there, as after any earlier run;
- *warm*: the cache made for the file as it is;
- *after a rewrite*: the cache made for version A of the file, the file then rewritten whole as version B
  (one entry added in the middle, one entry's title changed: what a Better BibTeX auto-export does when
  one item is added and one edited). Before each run the file is put back to A and queried (untimed).

The runs are interleaved (for each round: every query form in every state, in turn), and medians are
given, with the CPU time (user + sys) of the process and its children (a large never-seen file is read
by two processes, see :func:`bibbridge.keylookup.bibtable.read_in_halves`). Plus ``bibbridge --version``
as the start-up floor, and, in process, where a never-seen file's and a rewrite's time goes, and a
never-seen file read in two processes against one.

Run it with an interpreter that has bibbridge's dependencies (e.g. ``.venv/bin/python``): the in-process
part imports this checkout.

The .bib is ``bench/genbib.py``'s ``generate_bib(N, seed=0)`` (~1,400 characters an entry).

Usage: python bench/bench_lookup.py [--entries 2000,20000,100000] [--runs 7] [--python PATH]
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
STATES = ("never-seen file", "warm", "after a rewrite")


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


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
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


def versions(entries: int) -> tuple[str, str]:
    """Version A of the file, and B: A with one entry added in the middle and one entry's title changed."""
    text = generate_bib(entries, seed=0)
    cut = text.index("\n@", len(text) // 2) + 1
    added = "@article{benchAdded2026,\n  title = {Wombat Burrows of Rottnest},\n  author = {Roo, Kanga},\n"
    added += "  year = {2026},\n}\n\n"
    changed_at = text.index("title", len(text) // 3)
    rewritten = text[:changed_at] + "title = {Revised}, xtitle" + text[changed_at + 5 :]
    return text, rewritten[:cut] + added + rewritten[cut:]


def queries_for(text: str) -> dict[str, str]:
    from bibbridge.bib.reader import scan_columns
    from bibbridge.keylookup.sources import BIB_FIELDS

    columns = scan_columns(text, BIB_FIELDS)
    middle = len(columns) // 2
    title_words = columns.fields["title"][middle].replace("{", "").replace("}", "").split()
    arxiv = next(e for e in columns.fields["eprint"][len(columns) // 3 :] if e)
    family = columns.fields["author"][middle].split(",")[0].split(" and ")[0].split()[-1].strip("{}")
    return {
        "title words, shuffled": " ".join(reversed(title_words[:5])),
        "title with typos": " ".join(
            w[0] + w[2] + w[1] + w[3:] if len(w) > 5 else w for w in title_words[:5]
        ),
        "arXiv id": f"arXiv:{arxiv}v2",
        "author + year": f"the {family} paper from {columns.fields['year'][middle]}",
        "key prefix": columns.keys[middle][:-3],
    }


def in_process(bib: Path, text_a: str, text_b: str, runs: int) -> dict[str, float]:
    """Where a never-seen file's and a rewrite's time goes (CPU seconds of this process, medians)."""
    from bibbridge.bib.reader import scan_columns
    from bibbridge.keylookup import bibtable
    from bibbridge.keylookup.bibtable import Chunks, bib_file_table
    from bibbridge.keylookup.index import Table, cache_path_for
    from bibbridge.keylookup.sources import BIB_FIELDS, bib_columns

    def cpu(fn, before=None, clock=time.process_time) -> float:  # noqa: ANN001
        values = []
        for _ in range(runs):
            if before:
                before()
            start = clock()
            fn()
            values.append(clock() - start)
        return statistics.median(values)

    def chunked(raw: bytes) -> None:
        chunks = Chunks(raw)
        chunks.ids, chunks.starts  # noqa: B018 - worked out on first use

    cache = cache_path_for(bib.resolve(), "bib")
    bib.write_text(text_a, encoding="utf-8")
    raw = bib.read_bytes()
    columns = scan_columns(text_a, BIB_FIELDS)
    decoded = bib_columns(columns.keys, columns.fields, columns.lines)
    out = {
        "cut into chunks, hash them, count their lines": cpu(lambda: chunked(raw)),
        "scan_columns (the .bib reader)": cpu(lambda: scan_columns(text_a, BIB_FIELDS)),
        "decode LaTeX, years, ids (bib_columns)": cpu(
            lambda: bib_columns(columns.keys, columns.fields, columns.lines)
        ),
        "build the table (fold, index)": cpu(lambda: Table("x").add(*decoded)),
    }
    table = Table("x")
    table.add(*decoded)
    out["store the table (marshal)"] = cpu(lambda: table.dumps(("stamp",)))
    forget = lambda: cache.unlink(missing_ok=True)  # noqa: E731
    out["whole: never-seen file, in two processes (wall)"] = cpu(
        lambda: bib_file_table(bib, "big"), forget, time.perf_counter
    )
    parallel, bibtable.PARALLEL_BYTES = bibtable.PARALLEL_BYTES, 10**15
    out["whole: never-seen file, in one process (wall)"] = cpu(
        lambda: bib_file_table(bib, "big"), forget, time.perf_counter
    )
    bibtable.PARALLEL_BYTES = parallel

    def to_a() -> None:
        bib.write_text(text_a, encoding="utf-8")
        bib_file_table(bib, "big")
        bib.write_text(text_b, encoding="utf-8")

    out["whole: after a rewrite"] = cpu(lambda: bib_file_table(bib, "big"), to_a)
    out["whole: warm (load the cache)"] = cpu(lambda: bib_file_table(bib, "big"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", default="20000", help="comma-separated sizes, e.g. 2000,20000,100000")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--python", help="run `PYTHON -m bibbridge` instead of a fresh install")
    args = parser.parse_args()

    command = installed_bibbridge(args.python)
    work = Path(tempfile.mkdtemp(prefix="bench-lookup-"))
    home = work / "home"
    env = {**os.environ, "BIBBRIDGE_HOME": str(home)}
    os.environ["BIBBRIDGE_HOME"] = str(home)
    from bibbridge.keylookup.index import cache_path_for

    print(f"## bench_lookup: medians of {args.runs} interleaved runs")
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} cores, load average at start "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}; bibbridge run as `{' '.join(command)}`\n"
    )
    version = [run([*command, "--version"], env)[:2] for _ in range(args.runs)]
    print(
        f"`bibbridge --version` (start-up floor): {statistics.median(w for w, _ in version):.3f} s wall, "
        f"{statistics.median(c for _, c in version):.3f} s CPU\n"
    )
    growth: dict[int, dict[str, tuple[float, float]]] = {}
    for entries in [int(n) for n in args.entries.split(",")]:
        text_a, text_b = versions(entries)
        bib = work / "big.bib"
        bib.write_text(text_a, encoding="utf-8")
        cache = cache_path_for(bib.resolve(), "bib")
        queries = queries_for(text_a)
        base = [*command, "key", "--first", "--no-local", "--bib", str(bib)]
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        answers: dict[tuple[str, str], str] = {}
        for _ in range(args.runs):
            for label, query in queries.items():
                for state in STATES:
                    if state == "never-seen file":
                        bib.write_text(text_a, encoding="utf-8")
                        cache.unlink(missing_ok=True)
                    elif state == "warm":
                        run([*base, query], env)  # the cache for the file as it is now
                    else:
                        bib.write_text(text_a, encoding="utf-8")
                        run([*base, query], env)
                        bib.write_text(text_b, encoding="utf-8")
                    elapsed, cpu, answer = run([*base, query], env)
                    times.setdefault((label, state), []).append((elapsed, cpu))
                    answers[(label, state)] = answer
        size_mb = len(text_a.encode()) / 1e6
        print(f"### {entries:,} entries, {size_mb:.1f} MB; cache file {cache.stat().st_size / 1e6:.1f} MB\n")
        print("| query | " + " | ".join(f"{s}: wall / CPU" for s in STATES) + " | answer |")
        print("|---|" + "---|" * (len(STATES) + 1))
        for label, query in queries.items():
            cells = []
            for state in STATES:
                walls, cpus = zip(*times[(label, state)], strict=True)
                cells.append(f"{statistics.median(walls):.3f} / {statistics.median(cpus):.3f} s")
                slowest = growth.setdefault(entries, {}).get(state, (0.0, 0.0))
                growth[entries][state] = max(slowest, (statistics.median(walls), statistics.median(cpus)))
            same = len({answers[(label, s)] for s in STATES}) == 1
            print(
                f"| {label} (`{query}`) | "
                + " | ".join(cells)
                + f" | `{answers[(label, STATES[0])]}`"
                + ("" if same else " (differs!)")
                + " |"
            )
        print("\n| in process (CPU, median) | time |\n|---|---|")
        for step, seconds in in_process(bib, text_a, text_b, max(3, args.runs // 2)).items():
            print(f"| {step} | {seconds * 1000:.0f} ms |")
        print()
    if len(growth) > 1:
        print("### Growth: the slowest query form's median (wall / CPU)\n")
        print("| entries | " + " | ".join(STATES) + " |\n|---|" + "---|" * len(STATES))
        for entries, by_state in growth.items():
            cells = (f"{by_state[s][0]:.3f} / {by_state[s][1]:.3f} s" for s in STATES)
            print(f"| {entries:,} | " + " | ".join(cells) + " |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
