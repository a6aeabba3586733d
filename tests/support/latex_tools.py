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
    """``biber --tool --validate-datamodel`` on ``bib_path`` (no output kept). Data-model problems are
    WARN lines (see :func:`unexplained_biber_problems`); syntax errors and duplicate keys still fail."""
    require("biber")
    proc = subprocess.run(
        ["biber", "--tool", "--validate-datamodel", "--output-file=/dev/null",
         "--logfile", str(bib_path.with_suffix(".biberlog")), str(bib_path)],
        capture_output=True, text=True, timeout=300,
    )
    return BiberRun(proc.returncode, proc.stdout + proc.stderr)


# -- whole documents: LaTeX + bibtex/biber, pandoc --citeproc -----------------------------------------
# The tests below compile real documents that cite every entry and read what the reader would see:
# the PDF's text (pdftotext) or pandoc's plain-text output.

#: Warnings a consumer gives on our files that are true of the entry they name, and only these.
#: bibtex: an entry without author (and so, rightly, without an invented ``key``) cannot be sorted
#: by author; biber's data-model check: an entry without a date lacks biblatex's mandatory date.
NO_AUTHOR_BIBTEX = re.compile(r"^Warning--to sort, need (?:author|editor|organization|,| |or|key)+ in (\S+)$")
NO_YEAR_BIBTEX = re.compile(r"^Warning--empty year in (\S+)$")  # natbib's styles
NO_DATE_BIBER = re.compile(r"Datamodel: Entry '([^']+)' .*Missing mandatory field - one of 'date, year'")
_ENTRY = re.compile(r"^@(\w+)\{([^,\s]+),\n(.*?)^\}", re.M | re.S)
_FIELD = re.compile(r"^  (\w+) = ", re.M)


def entry_fields(bib_text: str) -> dict[str, set[str]]:
    """``{key: {field names}}`` of the entries we wrote (one field per line, as the writer does)."""
    return {m.group(2): set(_FIELD.findall(m.group(3))) for m in _ENTRY.finditer(bib_text)}


def unexplained_bibtex_warnings(warnings: list[str], bib_text: str) -> list[str]:
    """The bibtex warnings not of a listed kind true of the entry named: "to sort, need author or key"
    for an entry without author, "empty year" (natbib) for one without year."""
    fields = entry_fields(bib_text)
    left = []
    for line in warnings:
        author = NO_AUTHOR_BIBTEX.match(line)
        year = NO_YEAR_BIBTEX.match(line)
        if author and "author" not in fields.get(author.group(1), {"author"}):
            continue
        if year and "year" not in fields.get(year.group(1), {"year"}):
            continue
        left.append(line)
    return left


def unexplained_biber_problems(problems: list[str], bib_text: str) -> list[str]:
    """biber's lines not of a listed kind: "Missing mandatory field - one of 'date, year'" for an
    entry written without a date (nothing is invented for it)."""
    fields = entry_fields(bib_text)
    left = []
    for line in problems:
        date = NO_DATE_BIBER.search(line)
        if date and not {"date", "year"} & fields.get(date.group(1), {"date"}):
            continue
        left.append(line)
    return left


def require_tex(*tools: str) -> None:
    for tool in tools:
        require(tool)


def have_bst(style: str) -> bool:
    """True when ``style``.bst is installed (IEEEtran comes with Debian's texlive-publishers)."""
    kpsewhich = shutil.which("kpsewhich")
    if kpsewhich is None:
        return False
    found = subprocess.run([kpsewhich, f"{style}.bst"], capture_output=True, text=True)
    return bool(found.stdout.strip())


@dataclass
class Rendered:
    """A compiled document: the text a reader sees, and what the tools said."""

    text: str
    errors: list[str]
    warnings: list[str]
    log: str = ""


def _tex_problems(log: str) -> tuple[list[str], list[str]]:
    lines = log.splitlines()
    errors = [line for line in lines if line.startswith("! ")]
    warnings = [
        line for line in lines
        if "Warning" in line and not line.startswith(("Overfull", "Underfull"))
        # LaTeX's own "rerun" and font notes are not about our entries.
        and "Rerun to" not in line and "Font Warning" not in line and "Font shape" not in line
    ]
    return errors, warnings


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600,
                          errors="replace", stdin=subprocess.DEVNULL)


def _pdflatex(cwd: Path) -> str:
    _run(["pdflatex", "-interaction=nonstopmode", "-file-line-error-style", "doc.tex"], cwd)
    return (cwd / "doc.log").read_text(encoding="latin-1")


def _pdftotext(cwd: Path) -> str:
    proc = _run(["pdftotext", "-enc", "UTF-8", "-nopgbrk", "doc.pdf", "-"], cwd)
    return proc.stdout


def latex_bibtex_document(bib_text: str, keys: list[str], workdir: Path, style: str) -> Rendered:
    """pdflatex + bibtex + pdflatex ×2 on a document citing every key (natbib styles: ``\\citet``)."""
    require_tex("pdflatex", "bibtex", "pdftotext")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "refs.bib").write_text(bib_text, encoding="utf-8")
    natbib = style.endswith("nat")
    cites = " ".join(f"\\citet{{{k}}}." if natbib else f"\\cite{{{k}}}." for k in keys)
    (workdir / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage{url}\n"
        + ("\\usepackage{natbib}\n" if natbib else "")
        + f"\\begin{{document}}\n{cites}\n\\bibliographystyle{{{style}}}\n\\bibliography{{refs}}\n"
        "\\end{document}\n",
        encoding="utf-8",
    )
    _pdflatex(workdir)
    bibtex = _run(["bibtex", "doc"], workdir)
    blg = (workdir / "doc.blg").read_text(encoding="utf-8", errors="replace")
    _pdflatex(workdir)
    log = _pdflatex(workdir)
    errors, warnings = _tex_problems(log)
    run = BibtexRun(bibtex.returncode, blg, "")
    return Rendered(_pdftotext(workdir), errors + run.errors, warnings + run.warnings, log + blg)


def latex_biber_document(bib_text: str, keys: list[str], workdir: Path, style: str) -> Rendered:
    """pdflatex + biber + pdflatex ×2 with biblatex ``style`` (numeric, authoryear), citing every key."""
    require_tex("pdflatex", "biber", "pdftotext")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "refs.bib").write_text(bib_text, encoding="utf-8")
    cites = " ".join(f"\\cite{{{k}}}." for k in keys)
    (workdir / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n"
        f"\\usepackage[style={style},backend=biber]{{biblatex}}\n\\addbibresource{{refs.bib}}\n"
        f"\\begin{{document}}\n{cites}\n\\printbibliography\n\\end{{document}}\n",
        encoding="utf-8",
    )
    _pdflatex(workdir)
    biber = _run(["biber", "doc"], workdir)
    _pdflatex(workdir)
    log = _pdflatex(workdir)
    errors, warnings = _tex_problems(log)
    biber_lines = (biber.stdout + biber.stderr).splitlines()
    errors += [line for line in biber_lines if "ERROR" in line]
    warnings += [line for line in biber_lines if "WARN" in line]
    if biber.returncode != 0:
        errors.append(f"biber exited with {biber.returncode}")
    return Rendered(_pdftotext(workdir), errors, warnings, log + "\n".join(biber_lines))


def pandoc_document(bibliography: Path, keys: list[str], workdir: Path, csl: Path | None = None) -> Rendered:
    """``pandoc --citeproc`` (plain text out) on a Markdown document citing every key as ``@key``."""
    require("pandoc")
    workdir.mkdir(parents=True, exist_ok=True)
    body = "\n\n".join(f"See @{k}." for k in keys)
    (workdir / "doc.md").write_text(f"# Text\n\n{body}\n\n# References\n", encoding="utf-8")
    cmd = ["pandoc", "doc.md", "--citeproc", "--bibliography", str(bibliography), "-t", "plain",
           "--wrap=none"]
    if csl is not None:
        cmd += ["--csl", str(csl)]
    proc = _run(cmd, workdir)
    errors = [line for line in proc.stderr.splitlines() if line and "WARNING" not in line]
    if proc.returncode != 0:
        errors.append(f"pandoc exited with {proc.returncode}")
    warnings = [line for line in proc.stderr.splitlines() if "WARNING" in line]
    return Rendered(proc.stdout, errors, warnings, proc.stderr)
