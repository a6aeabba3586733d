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
        message = f"{tool} is not installed (Debian: see the apt-get line in .ci/run)"
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
        [
            "biber",
            "--tool",
            "--validate-datamodel",
            "--output-file=/dev/null",
            "--logfile",
            str(bib_path.with_suffix(".biberlog")),
            str(bib_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
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
    items: int = 0  # references the tool produced (.bbl items, or pandoc's reference paragraphs)
    plain_paragraphs: bool = False  # pandoc: one paragraph per reference, URLs unbroken


def _tex_problems(log: str) -> tuple[list[str], list[str]]:
    lines = log.splitlines()
    errors = [line for line in lines if line.startswith("! ")]
    warnings = [
        line
        for line in lines
        if "Warning" in line
        and not line.startswith(("Overfull", "Underfull"))
        # LaTeX's own "rerun" and font notes are not about our entries.
        and "rerun" not in line.lower()
        and "Font Warning" not in line
        and "Font shape" not in line
    ]
    return errors, warnings


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=600, errors="replace", stdin=subprocess.DEVNULL
    )


def _pdflatex(cwd: Path, draft: bool = False) -> str:
    """One pdflatex pass; ``draft``: no PDF written (a pass that only collects labels)."""
    _run(["pdflatex", "-interaction=nonstopmode", *(["-draftmode"] if draft else []), "doc.tex"], cwd)
    return (cwd / "doc.log").read_text(encoding="latin-1")


def _bbl(cwd: Path) -> str:
    path = cwd / "doc.bbl"
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def _pdftotext(cwd: Path) -> str:
    proc = _run(["pdftotext", "-raw", "-enc", "UTF-8", "-nopgbrk", "doc.pdf", "-"], cwd)
    return proc.stdout


def latex_bibtex_document(bib_text: str, keys: list[str], workdir: Path, style: str) -> Rendered:
    """bibtex + pdflatex ×2 on a document citing every key (natbib styles: ``\\citet``).

    The first LaTeX pass only writes the .aux, so it is written here directly (as in run_bibtex);
    no page numbers, so a reference broken across pages still reads as one."""
    require_tex("pdflatex", "bibtex", "pdftotext")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "refs.bib").write_text(bib_text, encoding="utf-8")
    natbib = style.endswith("nat")
    cites = " ".join(f"\\citet{{{k}}}." if natbib else f"\\cite{{{k}}}." for k in keys)
    (workdir / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage{url}\n"
        + ("\\usepackage{natbib}\n" if natbib else "")
        + f"\\pagestyle{{empty}}\n\\begin{{document}}\n{cites}\n\\bibliographystyle{{{style}}}\n"
        "\\bibliography{refs}\n\\end{document}\n",
        encoding="utf-8",
    )
    citations = "".join(f"\\citation{{{k}}}\n" for k in keys)
    (workdir / "doc.aux").write_text(
        f"\\relax\n{citations}\\bibstyle{{{style}}}\n\\bibdata{{refs}}\n", encoding="utf-8"
    )
    bibtex = _run(["bibtex", "doc"], workdir)
    blg = (workdir / "doc.blg").read_text(encoding="utf-8", errors="replace")
    _pdflatex(workdir, draft=True)
    log = _pdflatex(workdir)
    errors, warnings = _tex_problems(log)
    run = BibtexRun(bibtex.returncode, blg, _bbl(workdir))
    return Rendered(_pdftotext(workdir), errors + run.errors, warnings + run.warnings, log + blg, run.items)


def latex_biber_document(bib_text: str, keys: list[str], workdir: Path, style: str) -> Rendered:
    """pdflatex + biber + pdflatex ×2 with biblatex ``style`` (numeric, authoryear), citing every key."""
    require_tex("pdflatex", "biber", "pdftotext")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "refs.bib").write_text(bib_text, encoding="utf-8")
    cites = " ".join(f"\\cite{{{k}}}." for k in keys)
    (workdir / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n"
        f"\\usepackage[style={style},backend=biber]{{biblatex}}\n\\addbibresource{{refs.bib}}\n"
        f"\\pagestyle{{empty}}\n\\begin{{document}}\n{cites}\n\\printbibliography\n\\end{{document}}\n",
        encoding="utf-8",
    )
    _pdflatex(workdir, draft=True)
    biber = _run(["biber", "doc"], workdir)
    _pdflatex(workdir, draft=True)  # biblatex: the .bbl is read here, citations resolve in the next
    log = _pdflatex(workdir)
    errors, warnings = _tex_problems(log)
    biber_lines = (biber.stdout + biber.stderr).splitlines()
    errors += [line for line in biber_lines if "ERROR" in line]
    warnings += [line for line in biber_lines if "WARN" in line]
    if biber.returncode != 0:
        errors.append(f"biber exited with {biber.returncode}")
    items = _bbl(workdir).count("\\entry{")
    return Rendered(_pdftotext(workdir), errors, warnings, log + "\n".join(biber_lines), items)


def pandoc_document(bibliography: Path, keys: list[str], workdir: Path, csl: Path | None = None) -> Rendered:
    """``pandoc --citeproc`` (plain text out) on a Markdown document citing every key as ``@key``."""
    require("pandoc")
    workdir.mkdir(parents=True, exist_ok=True)
    body = "\n\n".join(f"See @{k}." for k in keys)
    (workdir / "doc.md").write_text(f"# Text\n\n{body}\n\n# References\n", encoding="utf-8")
    cmd = [
        "pandoc",
        "doc.md",
        "--citeproc",
        "--bibliography",
        str(bibliography.resolve()),
        "-t",
        "plain",
        "--wrap=none",
    ]
    if csl is not None:
        cmd += ["--csl", str(csl.resolve())]
    proc = _run(cmd, workdir)
    errors = [line for line in proc.stderr.splitlines() if line and "WARNING" not in line]
    if proc.returncode != 0:
        errors.append(f"pandoc exited with {proc.returncode}")
    warnings = [line for line in proc.stderr.splitlines() if "WARNING" in line]
    items = [p for p in references_part(proc.stdout).split("\n\n") if p.strip()]
    return Rendered(proc.stdout, errors, warnings, proc.stderr, len(items), plain_paragraphs=True)


# -- reading what was rendered -------------------------------------------------------------------------
def normalise(text: str) -> str:
    """Letters and digits only, lower-case ASCII: line breaks, hyphenation, quotes, ligatures and
    accents (as pdftotext or pandoc give them) do not matter."""
    import unicodedata

    from unidecode import unidecode

    return re.sub(r"[^a-z0-9]+", "", unidecode(unicodedata.normalize("NFKC", text)).lower())


def references_part(text: str) -> str:
    """The text after the last "References" heading (LaTeX's \\refname, biblatex's, ours in pandoc)."""
    at = text.rfind("References")
    return text[at + len("References") :] if at >= 0 else ""


def body_part(text: str) -> str:
    at = text.rfind("References")
    return text[:at] if at >= 0 else text


_LABELLED_URL = re.compile(r"(?:URL|url:)(https?://(?:www\.)?([a-z0-9.-]+))(/?[a-z]*)", re.I)
_BARE_URL = re.compile(r"https?://\S+")


def _code_host(url: str, path: str = "") -> bool:
    from bibbridge.readers.urls import classify

    url = url + path
    rest = url.split("://", 1)[-1].lower().removeprefix("www.")
    return classify(url) == "code" and not rest.startswith(("huggingface.co/papers", "hf.co/papers"))


def render_problems(rendered: Rendered, titles: list[str], *, titled_citations: bool) -> list[str]:
    """What is wrong with a rendered bibliography of entries with ``titles`` (one per entry):

    - a reference count other than the number of entries;
    - a title printed other than once in the references (a title inside a longer one counts there);
    - with ``titled_citations`` False, a title in the text's citations (natbib citing by title);
    - an empty ``()``;
    - a link to a code host printed as the entry's URL (``URL …`` / ``url: …``, or in pandoc's
      output a bare code link not introduced by ``Code:`` / ``Code at``).
    """
    found = []
    if rendered.items != len(titles):
        found.append(f"{rendered.items} references rendered for {len(titles)} entries")
    refs, body = normalise(references_part(rendered.text)), normalise(body_part(rendered.text))
    keys = [normalise(t) for t in titles]
    for title, key in zip(titles, keys, strict=True):
        expected = sum(1 for other in keys if key in other)
        count = refs.count(key)
        if count != expected:
            found.append(f"title printed {count} times in the references (expected {expected}): {title!r}")
        if not titled_citations and key in body:
            found.append(f"title printed in a citation: {title!r}")
    if re.search(r"\(\s*\)", rendered.text):
        found.append("empty () in the output")
    compact = re.sub(r"\s+", "", rendered.text)
    for match in _LABELLED_URL.finditer(compact):
        if _code_host(match.group(1), match.group(3)):
            found.append(f"code host as the entry's URL: {match.group()!r}")
    for paragraph in references_part(rendered.text).split("\n\n") if rendered.plain_paragraphs else []:
        for match in _BARE_URL.finditer(paragraph):
            url = match.group().rstrip(".,;")
            if _code_host(url) and "Code" not in paragraph[: match.start()]:
                found.append(f"code host link not labelled as code: {url!r}")
    return found


# -- what the consumer tests render --------------------------------------------------------------------
def resolved_papers() -> list:
    """Papers as a resolver gives them (authors, arXiv ids and categories, DOIs, code and project
    links), chosen for what breaks styles: no author, no date, no arXiv id, a code link only, a Hugging
    Face page only, inner capitals, TeX math, particles, accents, an organisation, a title whose
    Better BibTeX key holds ``^``."""
    from bibbridge import Paper

    def urls(code=(), project=(), other=()):
        return {"code": list(code), "project": list(project), "other": list(other)}

    return [
        Paper(
            title="Language Models are Few-Shot Learners",
            arxiv_id="2005.14165",
            primary_category="cs.CL",
            authors=["Tom B. Brown", "Benjamin Mann", "Nick Ryder"],
            author_count=31,
            published="2020-05-28",
            urls=urls(code=["https://github.com/openai/gpt-3"]),
        ),
        Paper(
            title="LLaMA: Open and Efficient Foundation Language Models",
            arxiv_id="2302.13971",
            primary_category="cs.CL",
            authors=["Hugo Touvron", "Thibaut Lavril", "Gautier Izacard"],
            published="2023-02-27",
            urls=urls(code=["https://github.com/facebookresearch/llama"]),
        ),
        Paper(
            title="Break-a-Scene: Extracting Multiple Concepts from a Single Image",
            doi="10.1145/3610548.3618154",
            authors=["Omri Avrahami", "Kfir Aberman", "Ohad Fried", "Daniel Cohen-Or", "Dani Lischinski"],
            published="2023-05-25",
            journal_ref="SIGGRAPH Asia 2023",
            urls=urls(
                code=["https://github.com/google/break-a-scene"],
                project=["https://omriavrahami.com/break-a-scene/"],
            ),
        ),
        Paper(
            title="GPT-4o System Card",
            authors=["OpenAI"],
            published="2024-10-25",
            arxiv_id="2410.21276",
            primary_category="cs.CL",
        ),
        Paper(
            title="WaveNet: A Generative Model for Raw Audio",
            arxiv_id="1609.03499",
            primary_category="cs.SD",
            authors=["Aaron van den Oord", "Sander Dieleman", "Heiga Zen"],
            published="2016-09-12",
        ),
        Paper(
            title="Polarized $^3$He Targets for Neutron Spin Filters",
            authors=["Thomas R. Gentile", "Łukasz Müller-Šimić"],
            published="2017-01-05",
            doi="10.1103/RevModPhys.89.045004",
        ),
        Paper(
            title="BT^2: Backward-compatible Training with Basis Transformation",
            arxiv_id="2211.03989",
            primary_category="cs.CV",
            authors=["Yifei Zhou", "Zilu Li"],
            published="2022-11-08",
        ),
        Paper(
            title="Scaling Rectified Flow Transformers for High-Resolution Image Synthesis",
            arxiv_id="2403.03206",
            primary_category="cs.CV",
            published="2024-03-05",
        ),
        Paper(
            title="Code-only Paper About Diffusion",
            authors=["Ada Lovelace"],
            urls=urls(code=["https://github.com/example/code-only"]),
        ),
        Paper(
            title="A Paper Known by its Hugging Face Page",
            published="2025-01-02",
            urls=urls(
                other=["https://huggingface.co/papers/2501.00001"],
                code=["https://huggingface.co/spaces/example/demo"],
            ),
        ),
    ]


@dataclass
class Outputs:
    """The three files bibbridge writes for one set of papers, and what each entry should show."""

    keys: list[str]
    titles: list[str]
    bibtex: Path
    biblatex: Path
    csl_json: Path


def write_outputs(papers: list, workdir: Path) -> Outputs:
    """``papers`` in the three styles (keys from a registry in ``workdir``), as the CLI writes them."""
    from bibbridge.bib.export import open_registry, render
    from bibbridge.model import dedupe

    workdir.mkdir(parents=True, exist_ok=True)
    unique = dedupe(list(papers))
    with open_registry(path=workdir / "state.sqlite") as registry:
        keys = registry.assign(unique)
    paths = {}
    for style, name in (("bibtex", "refs.bib"), ("biblatex", "refs-biblatex.bib"), ("csl-json", "refs.json")):
        paths[style] = workdir / name
        paths[style].write_text(render(unique, keys, style), encoding="utf-8")
    return Outputs(
        [keys[p.identity] for p in unique],
        [p.title for p in unique],
        paths["bibtex"],
        paths["biblatex"],
        paths["csl-json"],
    )


def corpora() -> list[str]:
    """What the consumer tests render: each real digest, and the resolved papers."""
    from tests.conftest import REAL_DIGESTS

    return [*sorted(REAL_DIGESTS), "resolved"]


def corpus_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outputs]:
    """Every corpus (:func:`corpora`) written as the CLI writes it (:func:`write_outputs`)."""
    from bibbridge.readers import read_digests
    from tests.conftest import AS_OF, digest_path

    made = {}
    for corpus in corpora():
        if corpus == "resolved":
            papers = resolved_papers()
        else:
            papers = read_digests([digest_path(corpus)], as_of=AS_OF).papers
        made[corpus] = write_outputs(papers, tmp_path_factory.mktemp(corpus.split("_")[0]))
    return made
