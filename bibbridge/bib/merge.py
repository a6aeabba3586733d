"""Merge papers into an existing .bib (or CSL-JSON) file without ever damaging it.

- The file's bytes are kept exactly: its entries, comments and ``@string`` lines are never parsed
  back into records and re-written; new entries are appended after a blank line.
- A paper already in the file (same arXiv id, DOI or folded title) is skipped and reported, and the
  key registry adopts the key found there, so that key wins over the formula from then on.
- A malformed file (anything the reader reports as a problem) is refused: InputError naming the file
  and line, nothing written.
- The new file replaces the old atomically (temporary file, fsync, rename); a merge that adds
  nothing leaves the file untouched, so running it twice gives a byte-identical file.
- Only a .bib (or, for CSL, a JSON array) in a regular file is a target: devices, FIFOs, folders,
  read-only files, binary or UTF-16 files, other formats (.tex, images …) are refused before anything
  is read or written; a symlink is written through. Merges into one file take turns (a lock beside it),
  and a file BibTeX or biber would still be reading at its end (an entry left open) is refused, since
  what is appended would vanish into it. See docs/guarantees.md.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..errors import InputError
from ..identity import (
    BIB_IDENTITY_FIELDS,
    IdentityIndex,
    Ids,
    bib_arxiv_id,
    make_ids,
    paper_ids,
    title_key,
)
from ..model import Paper, dedupe
from ..text.latex import latex_to_text_many
from .export import check_style, open_registry, render

if TYPE_CHECKING:
    from ..keys import KeyFormula

_PRESENT = "already in file"
#: What matched an entry already in the file, as the report says it.
_MATCHED = {"arxiv": "arXiv id", "doi": "DOI", "title": "title"}


class Added(NamedTuple):
    """A paper appended to the file, with its key."""

    key: str
    paper: Paper


class Skipped(NamedTuple):
    """A paper not appended: ``key`` is the key of its entry already in the file (or the clashing key)."""

    key: str
    paper: Paper
    reason: str


@dataclass
class MergeReport:
    """What :func:`merge_bib` did (or, with ``dry_run``, would do).

    Attributes:
        added: ``(key, paper)`` for every entry appended, in order.
        skipped: ``(key, paper, reason)``: ``key`` is the key of the entry already in the file.
        clashes: the part of ``skipped`` whose formula key the file uses for another entry.
        path: the target file.
        written: True when the file was (re)written.
        style: ``bibtex``, ``biblatex`` or ``csl-json``.
        text: the text appended (or that would be appended).
    """

    added: list[Added] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    clashes: list[Skipped] = field(default_factory=list)
    path: Path | None = None
    written: bool = False
    style: str = "bibtex"
    text: str = ""

    @property
    def ok(self) -> bool:
        """True when every paper is in the file now: none was skipped for another reason (a key the
        file uses for another entry, listed in ``clashes``)."""
        return not self.clashes


@dataclass
class _Known:
    key: str
    line: int | None
    fields: dict[str, str]


def entry_arxiv_id(fields: dict[str, str]) -> str | None:
    """The arXiv id of an existing entry (:func:`bibbridge.identity.bib_arxiv_id`)."""
    return bib_arxiv_id(fields)


_FIRST_WORD = re.compile(r"[\W_]*([A-Za-z0-9]+)")

#: (key, line, fields) of one entry already in the target file.
Record = tuple[str, "int | None", dict[str, str]]


class ExistingEntries:
    """The entries already in the target file, indexed for matching ``papers`` by the rule of
    :mod:`bibbridge.identity`. Only what can match is indexed: with 20,000 entries and a few hundred
    papers, most titles are ruled out by their first word without being folded."""

    def __init__(self, records: list[Record], papers: list[Paper], latex: bool = True) -> None:
        """``latex``: the titles are BibTeX values (decoded by the one decoder); False for CSL-JSON,
        whose titles are plain text, as the papers' are."""
        self.records = records
        self.keys = [key for key, _, _ in records]
        self._by_key: dict[str, int] | None = None
        self.index: IdentityIndex[_Known] = IdentityIndex()
        wanted = [paper_ids(p) for p in papers]
        want_arxiv = {ids.arxiv_id for ids in wanted if ids.arxiv_id}
        want_doi = {ids.doi for ids in wanted if ids.doi}
        first_words = {ids.title.split(" ", 1)[0] for ids in wanted if ids.title}
        first_word = _FIRST_WORD.match
        # The records that can match (by first title word, DOI or arXiv id) → their folded title.
        candidates: dict[int, str] = {}
        odd: list[int] = []  # titles with LaTeX or non-ASCII: decoded together, then tested
        for i, (_, _, fields) in enumerate(records):
            title = fields.get("title")
            if not title:
                continue
            # A backslash or a brace changes the words (\emph{Deep}, {G}PT); "$" math is decoded before
            # folding (identity.title_key), so its first word is not the raw one either.
            if not title.isascii() or "$" in title or (latex and ("\\" in title or "{" in title)):
                odd.append(i)
                continue
            m = first_word(title)
            if m is not None and m.group(1).lower() in first_words:
                candidates[i] = title_key(title)
        # One pass of the one decoder over those titles; non-ASCII ones folded first (™ → tm is a word).
        odd_titles = [records[i][2]["title"] for i in odd]
        decoded = latex_to_text_many(odd_titles) if latex else odd_titles
        for i, text in zip(odd, decoded, strict=True):
            if text.isascii():
                m = first_word(text)
                if m is not None and m.group(1).lower() in first_words:
                    candidates[i] = title_key(text)
                continue
            folded = title_key(text)
            if folded.split(" ", 1)[0] in first_words:
                candidates[i] = folded
        if want_doi or want_arxiv:
            for i, (_, _, fields) in enumerate(records):
                if i in candidates:
                    continue
                doi = fields.get("doi")
                if (want_doi and doi and make_ids(None, doi).doi in want_doi) or (
                    want_arxiv and bib_arxiv_id(fields) in want_arxiv
                ):
                    title = fields.get("title") or ""
                    text = latex_to_text_many([title])[0] if latex and title else title
                    candidates[i] = title_key(text) if text else ""
        for i in sorted(candidates):
            key, line, fields = records[i]
            if want_doi or want_arxiv:
                ids = make_ids(bib_arxiv_id(fields), fields.get("doi"), candidates[i], folded=True)
            else:  # no paper has an arXiv id or DOI: the entries' cannot tell papers apart
                ids = Ids(None, None, candidates[i])
            self.index.add(ids, _Known(key, line, fields))

    def entry_with_key(self, key: str) -> _Known | None:
        """The entry whose key equals ``key`` as BibTeX compares keys (case-insensitively)."""
        if self._by_key is None:
            self._by_key = {}
            for index, (existing, _, _) in enumerate(self.records):
                self._by_key.setdefault(existing.lower(), index)
        index = self._by_key.get(key.lower())
        return None if index is None else _Known(*self.records[index])

    def match(self, paper: Paper) -> tuple[_Known, str] | None:
        """The entry ``paper`` already has in the file, and what matched, or None."""
        kind, found = self.index.match(paper_ids(paper))
        return (found[0], _MATCHED[kind]) if found else None


def match_fields(papers: list[Paper]) -> list[str]:
    """The fields of the existing entries that can match ``papers`` (the reader skips the rest)."""
    fields = ["title"]
    if any(p.doi or p.arxiv_id for p in papers):  # the DOI field can hold arXiv's DOI too
        fields.extend(name for name in BIB_IDENTITY_FIELDS if name not in fields)
    return fields


def _existing_bib(text: str, path: Path, papers: list[Paper]) -> list[Record]:
    from .reader import bibtex_open_entry, parse_bib

    bib = parse_bib(text, file=str(path), fields=match_fields(papers))
    if bib.problems:
        line, message = bib.problems[0]
        more = f" (and {len(bib.problems) - 1} more problems)" if len(bib.problems) > 1 else ""
        raise InputError(f"malformed .bib, not changed: {message}{more}", file=str(path), line=line)
    if not bib.entries and not bib.strings and not bib.preambles and _has_prose(text):
        raise InputError("not a .bib file (text but no BibTeX entry in it), not changed", file=str(path))
    open_at = bibtex_open_entry(text, bib.entries)
    if open_at is not None:
        line = text.count("\n", 0, open_at) + 1 if "\n" in text else text.count("\r", 0, open_at) + 1
        raise InputError(
            "malformed .bib, not changed: BibTeX reads an entry here (after '%' or in @comment too) that "
            "is still open at the end of the file, so anything appended would vanish into it",
            file=str(path),
            line=line,
        )
    skip = ("string", "comment", "preamble")
    return [(e.key, e.line, e.fields) for e in bib.entries if e.entry_type not in skip]


_PROSE_LINE = re.compile(r"^[ \t]*[^\s%@]", re.MULTILINE)


def _has_prose(text: str) -> bool:
    """Lines that are neither blank, '%' comments nor @-blocks (a file of notes, not references)."""
    return "@comment" not in text.lower() and _PROSE_LINE.search(text.replace("\r", "\n")) is not None


def _existing_csl(text: str, path: Path) -> list[Record]:
    import json

    if not text.strip():
        return []
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"malformed CSL-JSON, not changed: {exc.msg}"
        raise InputError(message, file=str(path), line=exc.lineno) from None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise InputError("not a CSL-JSON array of items, not changed", file=str(path), line=1)
    names = {"title": "title", "DOI": "doi", "URL": "url", "number": "number"}
    records: list[Record] = []
    for item in items:
        fields = {ours: str(item[csl]) for csl, ours in names.items() if item.get(csl)}
        records.append((str(item.get("id", "")), None, fields))
    return records


def _newline_of(raw: bytes) -> bytes:
    """The file's line end: that of its first line (CRLF, LF, or a classic-Mac CR alone)."""
    first = raw.find(b"\n")
    if first < 0:
        return b"\r" if b"\r" in raw else b"\n"
    carriage = raw.find(b"\r", 0, first)
    if carriage >= 0 and carriage < first - 1:
        return b"\r"
    return b"\r\n" if first > 0 and raw[first - 1 : first] == b"\r" else b"\n"


def _appended_bib(raw: bytes, new_text: str) -> bytes:
    newline = _newline_of(raw)
    addition = new_text.encode("utf-8")
    if newline != b"\n":
        addition = addition.replace(b"\n", newline)
    if not raw.strip():
        return raw + addition
    return b"".join((raw, b"" if raw.endswith((b"\n", b"\r")) else newline, newline, addition))


# Files that are surely not a .bib (or, for CSL, a JSON array): refused as targets even when missing.
_OTHER_FORMATS = frozenset(
    ".tex .ltx .latex .sty .cls .dtx .ins .aux .bbl .blg .bcf .log .toc .fls .synctex .pdf .ps .eps "
    ".dvi .png .jpg .jpeg .gif .svg .webp .tif .tiff .bmp .ico .doc .docx .odt .rtf .xls .xlsx .ppt .pptx "
    ".html .htm .xml .md .rst .py .js .ts .c .h .cpp .java .sh .zip .gz .tgz .bz2 .xz .7z .tar .exe .so "
    ".dll .bin .sqlite .db .jsonl .yaml .yml .toml .ini .cfg .csv .tsv .ris .enw .nbib".split()
)


def _checked_target(target: Path, style: str) -> Path:
    """The regular file a merge into ``target`` writes (a symlink followed); InputError for what may not
    be a target. Nothing is read here, so a FIFO cannot block."""
    name = str(target)
    suffix = target.suffix.lower()
    if style == "csl-json":
        if suffix in _OTHER_FORMATS or suffix in (".bib", ".bibtex", ".biblatex"):
            raise InputError(
                f"not a CSL-JSON file ({suffix}): -o takes a .json file for --style csl-json", file=name
            )
    elif suffix in _OTHER_FORMATS or suffix == ".json":
        raise InputError(f"not a .bib file ({suffix}): -o takes a .bib file, or - for stdout", file=name)
    from ..atomic import real_path

    real = real_path(target)
    try:
        info = os.stat(real)
    except FileNotFoundError:
        if not real.parent.is_dir() and real.parent.exists():
            raise InputError("cannot write: its folder is not a folder", file=name) from None
        return real
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=name) from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a device, FIFO or socket"
        raise InputError(f"not a regular file ({kind}): -o takes a .bib file, or - for stdout", file=name)
    if not info.st_mode & 0o222 or not os.access(real, os.W_OK):
        mode = stat.S_IMODE(info.st_mode)
        raise InputError(
            f"read-only file (mode {mode:o}), not changed: make it writable to merge into it", file=name
        )
    return real


def _check_bytes(raw: bytes, name: str) -> None:
    """Refuse a binary or UTF-16/32 target (its bytes cannot take UTF-8/ASCII entries)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:4096] and raw[1:4096:2].count(0) > 100:
        raise InputError("UTF-16 text, not changed: save it as UTF-8 to merge into it", file=name)
    if b"\x00" in raw:
        raise InputError("binary data (NUL byte), not a .bib file, not changed", file=name)
    head = raw[:65536]
    controls = sum(
        head.count(bytes([c]))
        for c in (
            *range(1, 9),
            11,
            14,
            15,
            16,
            17,
            18,
            19,
            20,
            21,
            22,
            23,
            24,
            25,
            26,
            27,
            28,
            29,
            30,
            31,
            127,
        )
    )
    if controls > max(8, len(head) // 200):
        raise InputError("binary data (control bytes), not a text file, not changed", file=name)


def _appended_csl(raw: bytes, new_text: str) -> bytes:
    """Insert the new items before the array's closing bracket; the existing bytes stay as they are."""
    if not raw.strip():
        return new_text.encode("utf-8")
    close = raw.rstrip().rfind(b"]")
    new_items = new_text.strip()[1:-1].strip("\n")  # the items of the new "[\n  {…}\n]" array
    head = raw[:close].rstrip()
    separator = b"\n" if head.endswith(b"[") else b",\n"
    return head + separator + new_items.encode("utf-8") + b"\n" + raw[close:]


def merge_bib(
    papers: Iterable[Paper],
    path: str | os.PathLike[str],
    style: str = "bibtex",
    formula: KeyFormula | str | None = None,
    dry_run: bool = False,
) -> MergeReport:
    """Append the papers not yet in ``path`` to it as ``style`` entries; see the module doc.

    Raises InputError (file and line) when the existing file is malformed; nothing is written then,
    nor with ``dry_run`` (which still reports what would be added, with the keys it would get).
    """
    check_style(style)
    target = Path(path)
    report = MergeReport(path=target, style=style)
    real = _checked_target(target, style)
    if dry_run:
        return _merge(papers, target, real, style, formula, dry_run, report)
    from ..atomic import locked, remove_stale_temporaries

    try:
        real.parent.mkdir(parents=True, exist_ok=True)  # the lock file lives there
        with locked(real, f"writing {target}"):
            remove_stale_temporaries(real)
            return _merge(papers, target, real, style, formula, dry_run, report)
    except OSError as exc:  # taking the lock failed (writing failures are InputErrors): nothing written
        raise InputError(f"cannot lock, not changed: {exc.strerror or exc}", file=str(target)) from None


def _merge(
    papers: Iterable[Paper],
    target: Path,
    real: Path,
    style: str,
    formula: KeyFormula | str | None,
    dry_run: bool,
    report: MergeReport,
) -> MergeReport:
    try:
        raw = real.read_bytes() if real.exists() else b""
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(target)) from None
    _check_bytes(raw, str(target))
    try:
        text = raw.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        text, utf8 = raw.decode("latin-1"), False
    unique = dedupe(list(papers))
    records = _existing_csl(text, target) if style == "csl-json" else _existing_bib(text, target, unique)
    existing = ExistingEntries(records, unique, latex=style != "csl-json")

    new: list[Paper] = []
    found: list[tuple[Paper, str]] = []
    for paper in unique:
        hit = existing.match(paper)
        if hit is None:
            new.append(paper)
            continue
        known, what = hit
        where = f" (line {known.line})" if known.line else ""
        report.skipped.append(Skipped(known.key, paper, f"{_PRESENT}: {what}{where}"))
        found.append((paper, known.key))

    with open_registry(dry_run=dry_run) as registry:
        registry.record_many(found)  # one transaction for them all
        keys = registry.assign(new, formula=formula, taken=existing.keys) if new else {}

    for paper in new:
        key = keys[paper.identity]
        clash = existing.entry_with_key(key)
        if clash is not None:  # a key given out earlier, now used by a different entry of this file
            where = f" (line {clash.line})" if clash.line else ""
            clash_skip = Skipped(key, paper, f"key {key} is used in the file by another entry{where}")
            report.skipped.append(clash_skip)
            report.clashes.append(clash_skip)
            continue
        report.added.append(Added(key, paper))
    if not report.added:
        return report

    added = [paper for _, paper in report.added]
    report.text = render(added, keys, style)
    if style != "csl-json" and not utf8 and not report.text.isascii():
        raise InputError(
            "the file is not UTF-8, and biblatex entries are: use --style bibtex (ASCII) or convert the file",
            file=str(target),
        )
    if dry_run:
        return report
    from ..atomic import append_in_place, atomic_write_bytes

    data = _appended_csl(raw, report.text) if style == "csl-json" else _appended_bib(raw, report.text)
    try:
        if raw and real.stat().st_nlink > 1:  # a rename would split the hard links: write in place
            append_in_place(real, raw, data)
        else:
            atomic_write_bytes(real, data)
    except OSError as exc:  # the old file is intact: atomic_write_bytes only renames a complete file
        raise InputError(f"cannot write, file unchanged: {exc.strerror or exc}", file=str(target)) from None
    report.written = True
    return report
