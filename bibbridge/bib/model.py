"""The records a .bib file is read into: problems, entries, the file, and its columns (no parsing here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

#: Entry types BibTeX's standard styles or biblatex know; others read fine but draw a warning.
KNOWN_TYPES = frozenset(
    "article book booklet conference inbook incollection inproceedings manual mastersthesis misc phdthesis "
    "proceedings techreport unpublished online electronic www mvbook bookinbook suppbook collection "
    "mvcollection suppcollection dataset mvproceedings periodical suppperiodical reference mvreference "
    "inreference report set software thesis xdata patent artwork audio bibnote commentary image "
    "jurisdiction legislation legal letter movie music performance review standard video customa "
    "customb customc customd custome customf".split()
)


class BibProblem(NamedTuple):
    """A spot in the file: ``line`` (1-based) and a one-line ``message``. Unpacks as ``line, message``."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(slots=True)
class BibEntry:
    """One entry; ``text[start:end]`` of its :class:`BibFile` is the entry verbatim ('@' to closing brace)."""

    entry_type: str  # lower-case
    key: str
    fields: dict[str, str]  # lower-case names → values as bibtexparser 1.4.4 gives them
    line: int  # 1-based line of the '@'
    end_line: int  # line of the closing brace
    start: int
    end: int


@dataclass
class BibFile:
    """A parsed .bib file. ``problems`` are malformed spots (a merge must not rewrite such a file);
    ``warnings`` are readable oddities (unknown entry type, duplicate key, undefined macro, an entry
    commented out with ``%``, which BibTeX itself still reads)."""

    text: str = field(repr=False)
    file: str | None = None
    entries: list[BibEntry] = field(default_factory=list)
    strings: dict[str, str] = field(default_factory=dict)  # this file's @string macros, names lower-case
    preambles: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    problems: list[BibProblem] = field(default_factory=list)
    warnings: list[BibProblem] = field(default_factory=list)
    encoding: str = "utf-8"  # how read_bib decoded the file; text.encode(encoding) gives its bytes back

    def verbatim(self, entry: BibEntry) -> str:
        """The entry exactly as written in the file."""
        return self.text[entry.start : entry.end]

    def get(self, key: str) -> BibEntry | None:
        """The first entry with citation key ``key`` (case-insensitive, as BibTeX compares keys)."""
        folded = key.lower()
        return next((e for e in self.entries if e.key.lower() == folded), None)

    def raise_for_problems(self) -> None:
        """Raise :class:`~bibbridge.errors.InputError` at the first problem, if there is any."""
        if self.problems:
            from ..errors import InputError

            line, message = self.problems[0]
            more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
            raise InputError(f"malformed .bib: {message}{more}", file=self.file, line=line)


@dataclass
class BibColumns:
    """The entries of a .bib as columns (what :func:`scan_columns` gives): per entry, in file order, its
    ``key`` and 1-based ``line``, and per wanted field one list of values ("" where the entry has none).
    ``strings``: the file's @string macros; ``problems``: its malformed spots (those entries are not in
    the columns, as :func:`scan_bib` leaves them out)."""

    keys: list[str]
    lines: list[int]
    fields: dict[str, list[str]]
    strings: dict[str, str]
    problems: list[BibProblem]

    def __len__(self) -> int:
        return len(self.keys)
