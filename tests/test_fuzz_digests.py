"""Fuzzing `bibbridge bib -o` with mutated real digests, through the real console script.

Each case takes a real digest (tests/fixtures/digests/), mutates it (random Unicode: combining marks,
RTL, private-use, astral; LaTeX specials; runs of punctuation up to 40k characters; braces nested
thousands deep or left open; CRLF/CR mixes; BOMs, NULs, bit flips, truncation; lines deleted,
duplicated, swapped), and merges it into a .bib that already holds an entry. Whatever the input:

- no traceback, and each run answers within 5 s;
- refused (exit 2): one error line, the target byte-identical;
- written: the old bytes kept as a prefix, the whole file read back by our reader (no problem) and by
  bibtexparser with every entry present; the same merge run again is not refused and leaves the file
  byte-identical (a file we write is one we read).

CI runs a fixed seed and a bounded count; for a longer run:
``BIBBRIDGE_FUZZ_EXAMPLES=2000 python -m pytest -q tests/test_fuzz_digests.py`` (``BIBBRIDGE_FUZZ_SEED``
picks other cases). A failing case names its index: the same seed and index give the same bytes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bibbridge.bib.reader import parse_bib
from tests.conftest import AS_OF, REAL_DIGESTS, digest_path
from tests.support.fuzz import case_rng, examples, mutate

BIBBRIDGE = str(Path(sys.executable).with_name("bibbridge"))
CASES = examples(24)
LIMIT = 5.0  # seconds a run may take
SEED_ENTRY = b"@misc{mine2020,\n  title = {A Paper Already There},\n  year = {2020}\n}\n"


def run(*args: str | Path) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    proc = subprocess.run([BIBBRIDGE, *map(str, args)], capture_output=True, text=True, timeout=60)
    return proc, time.monotonic() - started


def bibtexparser_entries(text: str) -> list[dict[str, str]]:
    import bibtexparser
    from bibtexparser.bparser import BibTexParser

    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    # as bibtexparser.load(open(path)) reads it: universal newlines (a lone CR is a line end)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return bibtexparser.loads(text, parser=parser).entries


def check_clean_run(proc: subprocess.CompletedProcess[str], elapsed: float, what: str) -> None:
    assert "Traceback" not in proc.stderr, (what, proc.stderr[-2000:])
    assert elapsed < LIMIT, (what, f"{elapsed:.1f} s")
    assert proc.returncode in (0, 1, 2), (what, proc.returncode, proc.stderr[-2000:])
    if proc.returncode == 2:
        errors = [x for x in proc.stderr.splitlines() if x.startswith("bibbridge: error: ")]
        assert len(errors) == 1, (what, proc.stderr[-2000:])


def check_read_back(data: bytes, style: str, what: str) -> int:
    """Every entry of the file we wrote is read by our reader and bibtexparser; their count."""
    text = data.decode("utf-8")
    if style == "csl-json":
        items = json.loads(text)
        assert all(isinstance(item, dict) and item.get("id") for item in items), what
        return len(items)
    bib = parse_bib(text)
    assert bib.problems == [], (what, bib.problems[:3])
    ours = [e.key for e in bib.entries]
    theirs = [e["ID"] for e in bibtexparser_entries(text)]
    assert ours == theirs, what
    return len(ours)


@pytest.mark.parametrize("index", range(CASES))
def test_a_mutated_digest_never_breaks_the_target(tmp_path: Path, index: int) -> None:
    rng = case_rng(index)
    name = sorted(REAL_DIGESTS)[index % len(REAL_DIGESTS)]
    digest = tmp_path / "digest.txt"
    digest.write_bytes(mutate(digest_path(name).read_bytes(), rng))
    style = ("bibtex", "biblatex", "csl-json")[index % 3]
    target = tmp_path / ("refs.json" if style == "csl-json" else "refs.bib")
    before = b"[]\n" if style == "csl-json" else SEED_ENTRY
    target.write_bytes(before)
    what = f"case {index} ({name}, {style})"
    args = ["bib", digest, "--as-of", AS_OF, "--style", style, "-o", target]

    proc, elapsed = run(*args)
    check_clean_run(proc, elapsed, what)
    after = target.read_bytes()
    if proc.returncode == 2 or "nothing written" in proc.stderr:
        assert after == before, what
        return
    assert style == "csl-json" or after.startswith(before), what
    count = check_read_back(after, style, what)
    m = re.search(r"added (\d+)", proc.stderr)
    assert m is not None and count == int(m.group(1)) + (0 if style == "csl-json" else 1), (what, count)

    again, elapsed = run(*args)  # our own output as the target: read, matched, nothing added
    check_clean_run(again, elapsed, f"{what}, again")
    assert again.returncode != 2, (what, again.stderr[-2000:])
    assert target.read_bytes() == after, what
