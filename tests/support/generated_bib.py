""".bib text for tests: the benchmark's generated library (``bench/genbib.py``: ~1,400 characters an
entry, macros, accents, arXiv ids and DOIs), and small hand-made entries."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent.parent / "bench"


def generated_bib(count: int, seed: int) -> str:
    """``count`` entries, the same for the same ``seed``."""
    sys.path.insert(0, str(BENCH))
    try:
        from genbib import generate_bib
    finally:
        sys.path.remove(str(BENCH))
    return generate_bib(count, seed=seed)


def entry(key: str, title: str, extra: str = "") -> str:
    """One @article (``extra``: more field lines)."""
    return (
        f"@article{{{key},\n  title = {{{title}}},\n  author = {{Ann Author}},\n  year = 2020,{extra}\n}}\n\n"
    )


def many(prefix: str, count: int) -> str:
    """``count`` articles keyed ``prefix0``… whose journal is the macro ``jname``."""
    journal = "\n  journal = jname,"
    return "".join(entry(f"{prefix}{i}", f"Entry {prefix} number {i}", journal) for i in range(count))
