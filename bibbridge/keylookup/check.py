"""``bibbridge key --check``: the keys a document cites that no source knows, with suggestions.

Cited keys are read from LaTeX (``\\cite``, ``\\citep``, ``\\citet``, ``\\parencite``, ``\\textcite``,
``\\autocite``, ``\\nocite`` and every other ``\\…cite…`` command, starred, with optional ``[…]``/``(…)``
arguments, several keys each, and the multi-cite forms ``\\cites{a}{b}``), from ``.aux`` files
(``\\citation{…}``, biblatex's ``\\abx@aux@cite{…}``) and from pandoc Markdown (``[@key]``, ``@key``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from .candidates import Match

if TYPE_CHECKING:
    from .api import Lookup

MARKDOWN_SUFFIXES = (".md", ".markdown", ".qmd", ".rmd", ".pandoc")

_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
_CITE_COMMAND = re.compile(r"\\([A-Za-z]*cite[A-Za-z]*)\*?")
_NOT_CITING = frozenset({"citestyle", "citesetup", "citereset", "citename", "citefield", "citelist"})
_AUX = re.compile(r"\\(?:citation|abx@aux@cite)\s*(?:\{\d+\})?\s*\{([^}]*)\}")
_PANDOC = re.compile(r"(?<![\w@.])@(\{[^}\s]+\}|[A-Za-z0-9_][\w:.#$%&\-+?<>~/]*)")
_KEY = re.compile(r"[^,\s{}]+")  # one key of a comma-separated list
_WORD_SPLIT = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])|[_:\-.]+")


@dataclass
class Citation:
    """A cited key and where it is first cited (1-based line)."""

    key: str
    line: int
    suggestions: list[Match] = field(default_factory=list)


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _group(text: str, pos: int, opener: str, closer: str) -> int | None:
    """The end of a (non-nested for ``[``/``(``, nested for ``{``) group starting at ``pos``."""
    depth = 0
    for index in range(pos, len(text)):
        char = text[index]
        if char == opener:
            depth += 1
        elif char == closer:
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def latex_citations(text: str) -> list[tuple[str, int]]:
    """Every ``(key, offset)`` cited in LaTeX source, in order (comments ignored, ``*`` skipped)."""
    text = _COMMENT.sub(lambda m: " " * len(m.group(0)), text)
    found: list[tuple[str, int]] = []
    for command in _CITE_COMMAND.finditer(text):
        name = command.group(1)
        if name.lower() in _NOT_CITING:
            continue
        multi = name.endswith("s")  # \cites{a}{b}, \parencites[…]{a}[…]{b}
        pos = command.end()
        while True:
            pos = _skip_space(text, pos)
            if pos < len(text) and text[pos] in "[(":
                end = _group(text, pos, text[pos], "]" if text[pos] == "[" else ")")
                if end is None:
                    break
                pos = end
                continue
            if pos < len(text) and text[pos] == "{":
                end = _group(text, pos, "{", "}")
                if end is None:
                    break
                for key in _KEY.finditer(text, pos + 1, end - 1):
                    if key.group(0) != "*":
                        found.append((key.group(0), key.start()))
                pos = end
                if multi:
                    continue
            break
    return found


def aux_citations(text: str) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for match in _AUX.finditer(text):
        for key in _KEY.finditer(text, match.start(1), match.end(1)):
            if key.group(0) != "*":
                found.append((key.group(0), key.start()))
    return found


def markdown_citations(text: str) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for match in _PANDOC.finditer(text):
        key = match.group(1)
        key = key[1:-1] if key.startswith("{") else key.rstrip(".:;,?!-/")
        if key:
            found.append((key, match.start(1)))
    return found


def cited_keys(path: str | Path) -> list[Citation]:
    """The distinct keys a .tex, .aux or pandoc Markdown file cites, each with its first line."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    suffix = source.suffix.lower()
    if suffix == ".aux":
        found = aux_citations(text)
    elif suffix in MARKDOWN_SUFFIXES:
        found = markdown_citations(text)
    else:
        found = latex_citations(text)
    seen: dict[str, Citation] = {}
    for key, offset in found:
        if key not in seen:
            seen[key] = Citation(key, text.count("\n", 0, offset) + 1)
    return list(seen.values())


def key_as_words(key: str) -> str:
    """``brownLanguageModels2020`` → ``brown Language Models 2020`` (a key read as a words query)."""
    return " ".join(part for part in _WORD_SPLIT.split(key) if part)


#: Suggestions may score lower than answers to a query: a misspelt key shares little with its title.
SUGGESTION_MIN_SCORE = 45


def suggest(finder: Lookup, key: str, limit: int = 3) -> list[Match]:
    """The keys ``key`` was probably meant to be: by key spelling and by the words the key is made of."""
    best: dict[str, Match] = {}
    queries = [key]
    words = key_as_words(key)
    if words.lower() != key.lower():
        queries.append(words)
    for query in queries:
        for match in finder.search(query, limit=limit, min_score=SUGGESTION_MIN_SCORE):
            if match.key not in best or match.score > best[match.key].score:
                best[match.key] = match
    return sorted(best.values(), key=lambda m: (-m.score, m.key.lower()))[:limit]


def unknown_citations(path: str | Path, finder: Lookup, suggestions: int = 3) -> list[Citation]:
    """The keys cited in ``path`` that no source of ``finder`` has, each with its best suggestions."""
    unknown: list[Citation] = []
    for citation in cited_keys(path):
        if finder.knows(citation.key):
            continue
        citation.suggestions = suggest(finder, citation.key, suggestions)
        unknown.append(citation)
    return unknown
