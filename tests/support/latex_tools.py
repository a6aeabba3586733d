"""Run the real ``bibtex`` (plain.bst over \\nocite{*}) and ``biber --tool`` on .bib files we wrote.

No LaTeX is needed: BibTeX only reads the .aux file, written here by hand. Tests skip when the tools
are absent locally, but fail in CI (``$CI`` set), where ``.ci/run`` installs them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import in_ci


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (Debian: apt-get install texlive-base biber)"
        if in_ci():
            pytest.fail(message + " — CI must have it")
        pytest.skip(message)
    return path


@dataclass
class BibtexRun:
    returncode: int
    log: str  # the .blg
    bbl: str

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.log.splitlines() if line.startswith("Warning--")]

    @property
    def errors(self) -> list[str]:
        """Error lines; BibTeX reports each with a '---line N of file' or '---while reading' trailer."""
        pattern = re.compile(r"---(line \d+ of|while)|^I('m| was)|error message")
        return [line for line in self.log.splitlines() if pattern.search(line)]

    @property
    def items(self) -> int:
        return self.bbl.count("\\bibitem")


def run_bibtex(bib_text: str, workdir: Path, style: str = "plain") -> BibtexRun:
    """``bibtex`` with ``style``.bst over every entry of ``bib_text`` (``\\nocite{*}``)."""
    require("bibtex")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "refs.bib").write_text(bib_text, encoding="utf-8")
    (workdir / "doc.aux").write_text(f"\\citation{{*}}\n\\bibstyle{{{style}}}\n\\bibdata{{refs}}\n")
    proc = subprocess.run(["bibtex", "doc"], cwd=workdir, capture_output=True, text=True, timeout=120)
    log = (workdir / "doc.blg").read_text(encoding="utf-8", errors="replace")
    bbl_path = workdir / "doc.bbl"
    bbl = bbl_path.read_text(encoding="utf-8", errors="replace") if bbl_path.exists() else ""
    return BibtexRun(proc.returncode, log, bbl)


@dataclass
class BiberRun:
    returncode: int
    output: str

    @property
    def problems(self) -> list[str]:
        """Every line biber prints that is not INFO (WARN, ERROR)."""
        return [line for line in self.output.splitlines() if line.strip() and not line.startswith("INFO")]


def run_biber(bib_path: Path) -> BiberRun:
    """``biber --tool --validate-datamodel --dieondatamodel`` on ``bib_path`` (no output kept)."""
    require("biber")
    proc = subprocess.run(
        ["biber", "--tool", "--validate-datamodel", "--dieondatamodel", "--output-file=/dev/null",
         "--logfile", str(bib_path.with_suffix(".biberlog")), str(bib_path)],
        capture_output=True, text=True, timeout=300,
    )
    return BiberRun(proc.returncode, proc.stdout + proc.stderr)
