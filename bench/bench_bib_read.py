"""Benchmark: reading a large existing .bib (bibbridge.bib.reader) against bibtexparser 1.4.4.

    python bench/bench_bib_read.py            # print the figures
    python bench/bench_bib_read.py --write    # and update its section of docs/performance.md

Generates the realistic 20,000-entry library of bench/genbib.py (~28 MB), then times, median of 5:
read_bib (file → text → entries), the scan (keys + the few fields merges and lookup need), the full
parse; and bibtexparser 1.4.4 against the full parse on a 1,000-entry slice (bibtexparser needs about a
minute for the whole file). CPU time of this process is reported beside wall time: the development
machine is shared, and wall time there swings with the other jobs.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from genbib import generate_bib  # noqa: E402

from bibbridge.bib.reader import SCAN_FIELDS, parse_bib, read_bib  # noqa: E402

SECTION = "## Reading .bib files (bench/bench_bib_read.py)"


def timed(fn, repeat: int = 5) -> tuple[float, float, object]:
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> str:
    text = generate_bib(20_000, seed=1)
    size_mb = len(text.encode("utf-8")) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "library.bib"
        path.write_text(text, encoding="utf-8")
        read_wall, read_cpu, bib = timed(lambda: read_bib(path, fields=SCAN_FIELDS))
    scan_wall, scan_cpu, scanned = timed(lambda: parse_bib(text, fields=SCAN_FIELDS))
    full_wall, full_cpu, full = timed(lambda: parse_bib(text))
    assert len(scanned.entries) == len(full.entries) == len(bib.entries) == 20_000

    import bibtexparser
    from bibtexparser.bparser import BibTexParser

    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    cut = full.entries[1000].start
    head = text[:cut]
    ours_wall, ours_cpu, ours = timed(lambda: parse_bib(head))
    theirs_wall, theirs_cpu, theirs = timed(
        lambda: bibtexparser.loads(head, BibTexParser(ignore_nonstandard_types=False)), repeat=1
    )
    same = [dict(e.fields, ENTRYTYPE=e.entry_type, ID=e.key) for e in ours.entries] == theirs.entries
    calibration_wall, calibration_cpu, _ = timed(lambda: sum(range(5_000_000)), repeat=3)

    rows = [
        ("read_bib, scan fields (file → entries)", read_wall, read_cpu, 20_000),
        ("scan: keys + " + ", ".join(SCAN_FIELDS), scan_wall, scan_cpu, 20_000),
        ("full parse, every field", full_wall, full_cpu, 20_000),
        ("full parse, 1,000-entry slice", ours_wall, ours_cpu, 1_000),
        ("bibtexparser 1.4.4, same slice (1 run)", theirs_wall, theirs_cpu, 1_000),
    ]
    lines = [
        SECTION,
        "",
        f"Date 2026-11-22; machine: 2 cores, 24 GiB, Python {sys.version.split()[0]}, Debian 12, shared with "
        f"other jobs (load average {os.getloadavg()[0]:.1f}; calibration: `sum(range(5_000_000))` took "
        f"{calibration_cpu:.2f} s CPU, "
        f"{calibration_wall:.2f} s wall). Input: `bench/genbib.py` 20,000 entries, seed 1, {size_mb:.1f} MB "
        "(5 authors, ~1,000-character abstract, DOI/eprint on most, @string and % lines). Median of 5.",
        "",
        "| what | wall (s) | CPU (s) | entries/s (CPU) |",
        "|---|---:|---:|---:|",
    ]
    for label, wall, cpu, count in rows:
        lines.append(f"| {label} | {wall:.3f} | {cpu:.3f} | {count / cpu:,.0f} |")
    lines += [
        "",
        f"The 1,000-entry slice reads the same with both ({'identical' if same else 'DIFFERENT'} entries, "
        f"every field); bibbridge is {theirs_cpu / ours_cpu:,.0f}x faster there.",
        "",
        "Target for the scan: roughly 0.15–0.25 s CPU (so that a merge stays under 1.5 s and lookup's first "
        "query under 0.5 s, whole process): not met. Before this version: scan 0.89 s, full parse 1.09 s. "
        "How it reads now: one regex match per entry checks the whole entry against bibtexparser's grammar "
        "and captures only the wanted fields; entries it does not take ('#' concatenations, braces nested "
        "deeper than 4, tabs in a value, repeated fields, '(' delimiters) go to the careful parser, the "
        "reference, against which it is property-tested. Where the time goes, per entry of ~1,400 "
        "characters: the regex engine ~9 µs (~2.4 ns a character over brace-free runs, ~0.3 µs a field), "
        "Python ~7 µs (groups, the fields dict, line numbers, the BibEntry). Asking for fewer fields helps "
        "little: keys only ≈ 0.31 s, lookup's 11 fields ≈ 0.43 s.",
        "",
    ]
    return "\n".join(lines)


def write_section(section: str) -> None:
    doc = HERE.parent / "docs" / "performance.md"
    text = doc.read_text(encoding="utf-8")
    if SECTION in text:
        start = text.index(SECTION)
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section.rstrip("\n") + ("\n\n" + text[end + 1 :] if end >= 0 else "\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    tmp = doc.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, doc)


if __name__ == "__main__":
    section = main()
    print(section)
    if "--write" in sys.argv[1:]:
        write_section(section)
