"""A researcher's large .bib for key-lookup tests: the real digests' papers merged into a generated library.

The real digests (tests/fixtures/digests) give titles only, so each paper also gets an arXiv id and
authors (some with accents, so the bib writer escapes them as LaTeX) before it is written with
:func:`bibbridge.to_bibtex`. That .bib is appended to a library made by ``bench/genbib.py``. The test
then knows, for every real paper, the key the writer gave it (read back from the .bib by arXiv id).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import AS_OF, DIGESTS
from tests.support.generated_bib import generated_bib

#: Family names given to the digest papers' first authors, accents included on purpose.
FAMILIES = ("Müller", "Gödel", "Pérez", "Nguyen", "Ødegaard", "Smith", "Dvořák", "Chen", "García", "Kowalski")
GIVEN = ("Anna", "José", "Li", "Zoë", "Mark", "Renée")


@dataclass
class LibraryPaper:
    key: str
    title: str
    arxiv_id: str
    first_family: str
    year: str


@dataclass
class Library:
    bib: Path  # the merged .bib (generated entries + digest papers)
    papers: list[LibraryPaper]  # the digest papers, with the keys the writer gave them
    generated: int  # how many generated entries the .bib holds


def enrich(papers: list) -> list:  # list[Paper]
    """Give each digest paper an arXiv id and two authors (deterministic, by position)."""
    for index, paper in enumerate(papers):
        paper.arxiv_id = f"2601.{10000 + index:05d}"
        paper.authors = [
            f"{GIVEN[index % len(GIVEN)]} {FAMILIES[index % len(FAMILIES)]}",
            f"{GIVEN[(index + 1) % len(GIVEN)]} {FAMILIES[(index + 3) % len(FAMILIES)]}",
        ]
        paper.author_count = 2
    return papers


def build_library(directory: Path, generated: int = 2500) -> Library:
    """Write ``directory/library.bib`` and return what it holds. Uses its own BIBBRIDGE_HOME for the
    registry the writer keeps, so the tests' own (empty) home stays untouched."""
    from bibbridge import read_digests, to_bibtex
    from bibbridge.bib.reader import scan_bib

    old_home = os.environ.get("BIBBRIDGE_HOME")
    os.environ["BIBBRIDGE_HOME"] = str(directory / "writer-home")
    try:
        papers = enrich(read_digests(sorted(DIGESTS.glob("*.txt")), as_of=AS_OF).papers)
        digest_bib = to_bibtex(papers)
    finally:
        if old_home is None:
            os.environ.pop("BIBBRIDGE_HOME", None)
        else:
            os.environ["BIBBRIDGE_HOME"] = old_home
    bib = directory / "library.bib"
    bib.write_text(generated_bib(generated, seed=7) + "\n" + digest_bib, encoding="utf-8")

    key_of = {}
    for entry in scan_bib(bib, ("eprint",)):
        if entry.fields.get("eprint", "").startswith("2601."):
            key_of[entry.fields["eprint"]] = entry.key
    out = []
    for paper in papers:
        out.append(
            LibraryPaper(
                key_of[paper.arxiv_id],
                paper.title,
                paper.arxiv_id,
                paper.authors[0].split()[-1],
                paper.year or "",
            )
        )
    return Library(bib, out, generated)
