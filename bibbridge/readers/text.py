"""The text of a Hugging Face Daily Papers page as people copy or save it.

Three layouts occur, and one reader handles them all, since blank lines carry no meaning of their own:

* the listing with metadata: title, abstract, then an optional block ``• N authors`` /
  [``<org-id> <Org Name>``] / ``·`` / ``Oct 19, 2023 [upvotes]``;
* title/abstract blocks separated by blank lines;
* title/abstract lines alternating with no blank lines, page chrome glued to the first title.

Titles and abstracts alternate. The reader follows that alternation from the first title after the
page chrome and checks each line against its expected role: an abstract is long, or a sentence that
ends with a full stop; a title is short and does not end with one. Where the alternation breaks (a title
with no abstract, two abstract paragraphs, metadata out of place) it says so in a warning with the line
number instead of dropping or inventing a paper.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from ..errors import ReadWarning
from ..model import Paper
from ..text import clean_spaces
from . import Reader
from .decode import clean_line
from .urls import find_urls

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_DATE = re.compile(
    r"^(?P<month>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2})(?:,\s*(?P<year>\d{4}))?(?:\s+(?P<upvotes>\d{1,7}))?$"
)
_AUTHORS = re.compile(r"^(?:[•·*\-–]\s*)?(?P<count>\d{1,5})\s+authors?$", re.IGNORECASE)
_DOT = "·"
_NUMBER = re.compile(r"^\d{1,7}$")

#: Lines of the Hugging Face page around the papers (compared case-insensitively).
CHROME = (
    "Get trending papers in your email inbox once a day!",
    "Get trending papers in your email inbox!",
    "byAK and the research community",
    "by AK and the research community",
    "Daily Papers",
    "Subscribe",
    "new",
)
_CHROME_LINES = {c.lower() for c in CHROME}
# Chrome and metadata lines are all shorter than this; longer lines are text without further checks.
_LONGEST_SHORT_LINE = 80

# Roles of the lines between the chrome.
TEXT, AUTHORS, ORG, DOT, DATE, UPVOTES = "text", "authors", "org", "dot", "date", "upvotes"


@dataclass(slots=True)
class _Item:
    line: int
    kind: str
    text: str
    after_chrome: bool = False


@dataclass(slots=True)
class _Draft:
    """A paper being assembled; ``stage`` tracks how far its metadata block has got."""

    title: str
    line: int
    abstract: str = ""
    abstract_line: int | None = None
    author_count: int | None = None
    organization: str | None = None
    published: str | None = None
    year_inferred: bool = False
    upvotes: int | None = None
    stage: int = 0  # 0 none, 1 authors, 2 organization, 3 "·", 4 date, 5 upvotes
    notes: list[str] = field(default_factory=list)


# -- line roles --------------------------------------------------------------------------------
def looks_like_abstract(text: str) -> bool:
    """Long, or a real sentence: ten words or more ending with a full stop. (Not ``?`` or ``!``:
    titles end with those too, "When Do Curricula Work in Federated Learning?".)"""
    if len(text) >= 250:
        return True
    return len(text) >= 60 and text[-1] == "." and text.count(" ") >= 9


def looks_like_title(text: str) -> bool:
    """Short and not ending like a sentence (titles end with letters, ``?``, ``!``, ``)``…)."""
    return len(text) < 250 and not text.endswith(".") and not looks_like_abstract(text)


def _is_abstract(item: _Item | None) -> bool:
    return item is not None and item.kind == TEXT and looks_like_abstract(item.text)


def _strip_glued_chrome(text: str) -> str:
    """``SubscribeOn Sequential …`` → ``On Sequential …`` (chrome glued to the first title)."""
    changed = True
    while changed:
        changed = False
        for chrome in CHROME:
            if text.startswith(chrome) and len(text) > len(chrome):
                rest = text[len(chrome) :]
                # "SubscribeOn …", "Subscribe3D …", "Subscribe学习 …" — but not "Subscribers …".
                glued = not rest[0].islower() and not rest[0].isspace()
                if glued or any(rest.startswith(c) for c in CHROME):
                    text, changed = rest.strip(), True
                    break
    return text


def _is_date_line(text: str) -> re.Match[str] | None:
    m = _DATE.match(text)
    if m and m.group("month").lower() in _MONTHS:
        return m
    return None


def _tokens(text: str) -> list[_Item]:
    """Non-blank, non-chrome lines with their roles (the organization line is found later)."""
    items: list[_Item] = []
    in_header = True  # before the first title: chrome may be glued, the page's date stands alone
    after_chrome = False
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip() if raw.isascii() else clean_line(raw).strip()
        if not line:
            continue
        if len(line) > _LONGEST_SHORT_LINE and not in_header:
            # An abstract or a long title: neither chrome nor metadata (the common case, kept fast).
            items.append(_Item(number, TEXT, line, after_chrome))
            after_chrome = False
            continue
        if line.lower() in _CHROME_LINES:
            after_chrome = True
            continue
        if in_header:
            line = _strip_glued_chrome(line)
            if not line:
                continue
        if line == _DOT:
            kind = DOT
        elif _AUTHORS.match(line):
            kind = AUTHORS
        elif _is_date_line(line):
            if in_header:  # the page's own date ("Apr 17")
                after_chrome = True
                continue
            kind = DATE
        elif items and items[-1].kind == DATE and items[-1].line == number - 1 and _NUMBER.match(line):
            kind = UPVOTES
        else:
            kind = TEXT
            in_header = False
        items.append(_Item(number, kind, line, after_chrome))
        after_chrome = False
    # The organization line (``zai-org Z.ai``) is the text line just before the "·".
    for i in range(len(items) - 1):
        item = items[i]
        if item.kind == TEXT and items[i + 1].kind == DOT and len(item.text) < 120 and i > 0:
            if items[i - 1].kind in (TEXT, AUTHORS):
                item.kind = ORG
    return items


# -- dates -------------------------------------------------------------------------------------
def resolve_date(
    month: int, day: int, year: int | None, as_of: datetime.date
) -> tuple[datetime.date, bool] | None:
    """The date printed as ``month day[, year]``; a year-less date takes the capture year, or the
    year before when that would fall after the capture date (Feb 29: the latest leap year)."""
    if year is not None:
        try:
            return datetime.date(year, month, day), False
        except ValueError:
            return None
    for candidate in range(as_of.year, as_of.year - 8, -1):
        try:
            date = datetime.date(candidate, month, day)
        except ValueError:
            continue
        if date <= as_of:
            return date, True
    return None


# -- reading -----------------------------------------------------------------------------------
class _Assembler:
    def __init__(self, file: str | None, as_of: datetime.date) -> None:
        self.file = file
        self.as_of = as_of
        self.drafts: list[_Draft] = []
        self.warnings: list[ReadWarning] = []
        self.current: _Draft | None = None
        self.expect_abstract = False

    def warn(self, message: str, line: int) -> None:
        self.warnings.append(ReadWarning(message, self.file, line))

    def start(self, item: _Item) -> None:
        self.current = _Draft(item.text, item.line)
        self.drafts.append(self.current)
        self.expect_abstract = True

    def no_abstract(self) -> None:
        draft = self.current
        if draft is not None and self.expect_abstract:
            self.warn(f"title with no abstract: {draft.title[:60]!r}", draft.line)
        self.expect_abstract = False

    def text(self, item: _Item, following: _Item | None) -> None:
        draft = self.current
        line = item.text
        if draft is not None and self.expect_abstract:
            if looks_like_title(line) and _is_abstract(following):
                self.no_abstract()  # two titles in a row: the first has no abstract
                self.start(item)
            else:
                draft.abstract, draft.abstract_line = line, item.line
                self.expect_abstract = False
            return
        if draft is not None and draft.abstract and looks_like_abstract(line) and not _is_abstract(following):
            if draft.stage == 0:
                self.warn(
                    f"a second abstract paragraph for {draft.title[:60]!r}; joined to the first", item.line
                )
                draft.abstract = f"{draft.abstract} {line}"
            else:
                self.warn("an abstract with no title before it; skipped", item.line)
            return
        self.start(item)

    def meta(self, item: _Item) -> None:
        draft = self.current
        if draft is None:
            self.warn(f"stray metadata line {item.text!r} before the first paper", item.line)
            return
        if self.expect_abstract:
            self.no_abstract()
        stage = {AUTHORS: 1, ORG: 2, DOT: 3, DATE: 4, UPVOTES: 5}[item.kind]
        if item.kind == DATE and draft.stage == 0:
            if not item.after_chrome:  # after chrome it is a page's own date line
                self.warn(f"stray date line {item.text!r} (no '·' or authors line before it)", item.line)
            return
        if stage <= draft.stage:
            self.warn(
                f"stray metadata line {item.text!r} (the paper at line {draft.line} has it already)",
                item.line,
            )
            return
        draft.stage = stage
        if item.kind == AUTHORS:
            m = _AUTHORS.match(item.text)
            assert m is not None
            draft.author_count = int(m.group("count"))
        elif item.kind == ORG:
            draft.organization = item.text
        elif item.kind == DATE:
            self.date(draft, item)
        elif item.kind == UPVOTES:
            draft.upvotes = int(item.text)

    def date(self, draft: _Draft, item: _Item) -> None:
        m = _is_date_line(item.text)
        assert m is not None
        year = int(m.group("year")) if m.group("year") else None
        resolved = resolve_date(_MONTHS[m.group("month").lower()], int(m.group("day")), year, self.as_of)
        if resolved is None:
            self.warn(f"not a valid date: {item.text!r}", item.line)
        else:
            draft.published, draft.year_inferred = resolved[0].isoformat(), resolved[1]
        if m.group("upvotes"):
            draft.upvotes = int(m.group("upvotes"))
            draft.stage = 5

    def finish(self) -> list[Paper]:
        if self.expect_abstract:
            self.no_abstract()
        for draft in self.drafts:
            if draft.stage in (1, 2, 3):
                self.warn(f"metadata block of {draft.title[:60]!r} has no date line", draft.line)
        self.warnings.sort(key=lambda w: w.line or 0)
        return [
            Paper(
                title=clean_spaces(d.title) if "  " in d.title or "\t" in d.title else d.title,
                abstract=d.abstract.replace("\t", " ") if "\t" in d.abstract else d.abstract,
                author_count=d.author_count,
                published=d.published,
                year_inferred=d.year_inferred,
                upvotes=d.upvotes,
                organization=d.organization,
                urls=find_urls(d.abstract),
                source={"file": self.file, "line": d.line},
            )
            for d in self.drafts
        ]


def read_text(text: str, file: str | None, as_of: datetime.date) -> tuple[list[Paper], list[ReadWarning]]:
    """Read a text digest (already decoded and cleaned) into papers and warnings."""
    items = _tokens(text)
    assembler = _Assembler(file, as_of)
    for i, item in enumerate(items):
        if item.kind == TEXT:
            assembler.text(item, items[i + 1] if i + 1 < len(items) else None)
        else:
            assembler.meta(item)
    papers = assembler.finish()
    return papers, assembler.warnings


# Lines no digest has, which other text files are made of: a file with a few of them is not a digest
# (a .bib, LaTeX source or a log file would otherwise read as titles and abstracts).
_BIBTEX_LINE = re.compile(r"@[A-Za-z]+[ \t]*[{(]|[A-Za-z][\w-]*[ \t]*=[ \t]*[{\"\d]")
_LATEX_LINE = re.compile(
    r"\\(?:documentclass|usepackage|begin|end|section|subsection|chapter|maketitle|title|author|item"
    r"|label|input|include|bibliography|newcommand|def|caption|includegraphics)\b"
)
_LOG_LINE = re.compile(
    r"\[?(?:\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}|\d{2}:\d{2}:\d{2}|[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2})"
    r"|(?:DEBUG|INFO|WARN|WARNING|ERROR|CRITICAL|FATAL|TRACE)\b[\]:]?"
)


def other_format(text: str) -> str | None:
    """What ``text`` is when it is plainly not a digest (``"a BibTeX file"``, ``"LaTeX source"``,
    ``"a log file"``), judged on its first 400 non-blank lines; None otherwise."""
    lines = [line.strip() for line in text[:65536].split("\n")[:600]]
    lines = [line for line in lines if line][:400]
    if not lines:
        return None
    enough = max(2, len(lines) // 20)  # a digest may quote the odd such line in an abstract
    for kind, pattern in (
        ("a BibTeX file", _BIBTEX_LINE),
        ("LaTeX source", _LATEX_LINE),
        ("a log file", _LOG_LINE),
    ):
        if sum(1 for line in lines if pattern.match(line)) >= enough:
            return kind
    return None


def detect_text(text: str) -> float:
    """Sure when the page chrome or a metadata line shows; likely when a title precedes an abstract;
    0 for what is plainly another format (see :func:`other_format`)."""
    head = text[:65536].lstrip()
    if head[:1] in ("{", "[", "<") or other_format(head) is not None:
        return 0.0
    lines = [line.strip() for line in head.split("\n")[:400]]
    lines = [line for line in lines if line]
    for line in lines[:50]:
        if line.lower() in _CHROME_LINES or _AUTHORS.match(line) or _strip_glued_chrome(line) != line:
            return 0.9
    for first, second in zip(lines, lines[1:], strict=False):
        if looks_like_title(first) and looks_like_abstract(second):
            return 0.5
    return 0.0


READER = Reader(
    name="text",
    detect=detect_text,
    read=read_text,
    description="Text of a Hugging Face Daily Papers page as copied or saved (three layouts).",
)
