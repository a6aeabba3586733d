"""Fuzzing the merge target: mutated .bib files (ours and a hand-written one with @string, @comment,
'%' lines, @preamble, quoted and concatenated values, parentheses, deep braces), merged into by the
real console script.

The mutations are those of tests/support/fuzz.py (random Unicode, LaTeX specials, long runs, braces
nested deep or left open, CRLF/CR mixes, BOMs, NULs, bit flips, truncation, lines deleted, duplicated,
swapped). Whatever the target:

- no traceback, and each run answers within 5 s;
- refused (exit 2): one error line naming the file, the target byte-identical;
- written: the old bytes kept as a prefix, and every appended entry seen by our reader, by
  bibtexparser and by the real ``bibtex`` (nothing appended vanishes into an entry left open).

CI runs a fixed seed and a bounded count; ``BIBBRIDGE_FUZZ_EXAMPLES=2000`` (and ``BIBBRIDGE_FUZZ_SEED``)
run more, see tests/test_fuzz_digests.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bibbridge.bib.reader import parse_bib
from tests.conftest import AS_OF, digest_path
from tests.support.fuzz import case_rng, examples, mutate

BIBBRIDGE = str(Path(sys.executable).with_name("bibbridge"))
CASES = examples(24)
LIMIT = 5.0
D0 = "000_15dd5ef3f356a94c.txt"
D1 = "001_88429e94ceb0c524.txt"

HAND_WRITTEN = r"""% My references, kept by hand
@string{neurips = "Advances in Neural Information Processing Systems"}
@preamble{"\newcommand{\noopsort}[1]{}"}
@comment{to do: check the years}

@inproceedings{vaswani2017attention,
  title = {Attention Is All You Need},
  author = {Vaswani, Ashish and Shazeer, Noam and {Google Brain}},
  booktitle = neurips # " 30",
  year = 2017,
  note = "With {nested {braces {four {deep}}}} and a {"}quote{"}",
}

@article(lecun1998gradient,
  title = "Gradient-Based Learning Applied to Document Recognition",
  journal = {Proc. IEEE}, year = {1998}, month = nov
)

% @misc{draft, title = {an entry BibTeX reads after the percent sign}}
@misc{mueller2020,
  title = {{\"U}ber {\em tiefe} Netze: $\alpha$-{Divergenz}},
  url = {https://example.org/a%20b},
}
"""


@pytest.fixture(scope="module")
def our_bib(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    home = tmp_path_factory.mktemp("home")
    proc = subprocess.run(
        [BIBBRIDGE, "bib", str(digest_path(D0)), "--as-of", AS_OF, "-o", "-"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "BIBBRIDGE_HOME": str(home)},
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.encode("utf-8")


def bibtex_keys(data: bytes, workdir: Path) -> list[str] | None:
    if shutil.which("bibtex") is None:
        return None
    workdir.mkdir()
    (workdir / "refs.bib").write_bytes(data)
    (workdir / "doc.aux").write_text("\\citation{*}\n\\bibstyle{plain}\n\\bibdata{refs}\n")
    subprocess.run(["bibtex", "doc"], cwd=workdir, capture_output=True, timeout=60)
    bbl = workdir / "doc.bbl"
    text = bbl.read_text(encoding="latin-1") if bbl.exists() else ""
    return re.findall(r"\\bibitem(?:\[[^\]]*\])?\{([^}]*)\}", text)


def bibtexparser_keys(text: str) -> list[str]:
    import bibtexparser
    from bibtexparser.bparser import BibTexParser

    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    # as bibtexparser.load(open(path)) reads it: universal newlines (a lone CR is a line end)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [e["ID"] for e in bibtexparser.loads(text, parser=parser).entries]


@pytest.mark.parametrize("index", range(CASES))
def test_a_mutated_target_is_refused_unchanged_or_appended_to_where_every_reader_sees_it(
    tmp_path: Path, our_bib: bytes, index: int
) -> None:
    rng = case_rng(10_000 + index)
    base = our_bib if index % 2 else HAND_WRITTEN.encode("utf-8")
    before = mutate(base, rng)
    target = tmp_path / "refs.bib"
    target.write_bytes(before)
    what = f"case {index}"
    started = time.monotonic()
    proc = subprocess.run(
        [BIBBRIDGE, "bib", str(digest_path(D1)), "--as-of", AS_OF, "-o", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    elapsed = time.monotonic() - started
    assert "Traceback" not in proc.stderr, (what, proc.stderr[-2000:])
    assert elapsed < LIMIT, (what, f"{elapsed:.1f} s")
    after = target.read_bytes()
    if proc.returncode == 2:
        errors = [x for x in proc.stderr.splitlines() if x.startswith("bibbridge: error: ")]
        assert len(errors) == 1 and errors[0].startswith(f"bibbridge: error: {target}"), (what, proc.stderr)
        assert after == before, what
        return
    assert proc.returncode in (0, 1), (what, proc.stderr[-2000:])
    assert after.startswith(before), what
    try:
        text = after.decode("utf-8")
    except UnicodeDecodeError:
        text = after.decode("latin-1")  # as the merge read it
    added = after[len(before) :].decode("utf-8").replace("\r", "\n")
    appended = re.findall(r"^@misc\{([^,]+),", added, re.MULTILINE)
    m = re.search(r"added (\d+)", proc.stderr)
    assert m is not None and len(appended) == int(m.group(1)), (what, proc.stderr[-500:])
    bib = parse_bib(text)
    assert bib.problems == [], (what, bib.problems[:3])
    ours = {e.key for e in bib.entries}
    assert set(appended) <= ours, what
    assert set(appended) <= set(bibtexparser_keys(text)), what
    seen = bibtex_keys(after, tmp_path / "bibtex")
    if seen is not None:
        assert set(appended) <= set(seen), (what, sorted(set(appended) - set(seen))[:5])
