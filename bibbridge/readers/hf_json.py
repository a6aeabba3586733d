"""Hugging Face Hub JSON: ``/api/daily_papers``, ``/api/papers/{id}``, ``/api/papers/search``, and the
JSON embedded in a saved papers page (``<div data-target="DailyPapers" data-props='…'>`` on a listing,
``data-target="PaperContent"`` on a paper's page).

Each entry's inner ``paper`` object carries the arXiv id, the authors (hidden ones included), the
arXiv publication date, upvotes and links; everything beyond id and title is optional. arXiv's hard
line wraps in ``title``/``summary`` are folded into single spaces.
"""

from __future__ import annotations

import datetime
import functools
import html
import json
import re
from typing import Any

from ..errors import InputError, ReadWarning
from ..model import Paper
from ..text import normalise_arxiv_id
from . import Reader
from .decode import clean_text
from .urls import add_url, find_urls

_DATA_TARGET = re.compile(r"""data-target\s*=\s*["'](?P<target>DailyPapers|PaperContent)["']""")
_DATA_PROPS = re.compile(r"""data-props\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')""")
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


@functools.lru_cache(maxsize=1)
def _parse(text: str) -> Any:
    """The parsed JSON, or the :class:`json.JSONDecodeError` (cached: detection and reading share it)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        return exc
    except RecursionError:
        return json.JSONDecodeError("nested too deeply", text, 0)


def _looks_json(text: str) -> bool:
    return text.lstrip()[:1] in ("{", "[")


def _is_entry_list(data: Any) -> bool:
    return isinstance(data, list) and bool(data) and all(isinstance(e, dict) and "paper" in e for e in data)


def _is_search_list(data: Any) -> bool:
    # /api/papers/search answers entries with the paper and little else; daily entries carry their
    # submission details (submittedBy, numComments, mediaUrls …).
    return _is_entry_list(data) and all(
        not ({"submittedBy", "numComments", "mediaUrls", "thumbnail"} & e.keys()) for e in data
    )


def _is_paper_object(data: Any) -> bool:
    return isinstance(data, dict) and (
        ("title" in data and ("id" in data or "authors" in data))
        or (isinstance(data.get("paper"), dict) and "dailyPapers" not in data)
    )


# -- detection ---------------------------------------------------------------------------------
def _detect_daily(text: str) -> float:
    if not _looks_json(text):
        return 0.0
    data = _parse(text)
    if isinstance(data, json.JSONDecodeError):
        # broken JSON: reading it reports where; but several JSON values in a row not about papers (a
        # JSON Lines log) are no digest
        if data.msg == "Extra data" and '"title"' not in text[:65536] and '"paper"' not in text[:65536]:
            return 0.0
        return 0.6
    if isinstance(data, list) and (not data or _is_entry_list(data)) and not _is_search_list(data):
        return 1.0
    if isinstance(data, dict) and isinstance(data.get("dailyPapers"), list):
        return 1.0
    return 0.0


def _detect_search(text: str) -> float:
    if not _looks_json(text):
        return 0.0
    data = _parse(text)
    return 0.95 if not isinstance(data, json.JSONDecodeError) and _is_search_list(data) else 0.0


def _detect_paper(text: str) -> float:
    if not _looks_json(text):
        return 0.0
    data = _parse(text)
    return 1.0 if not isinstance(data, json.JSONDecodeError) and _is_paper_object(data) else 0.0


def _detect_html(text: str) -> float:
    if text[:1024].lstrip()[:1] != "<":  # a saved page (or a fragment of one) starts with a tag
        return 0.0
    if _DATA_TARGET.search(text):
        return 1.0
    # A Hugging Face page without the papers data (reading it says so); any other site's page is no digest.
    lowered = text.lower()
    return 0.3 if "huggingface" in lowered or "daily papers" in lowered else 0.0


# -- mapping -----------------------------------------------------------------------------------
def _text(value: Any) -> str:
    return clean_text(value) if isinstance(value, str) else ""


def _organization(*candidates: Any) -> str | None:
    """``{"name": "zai-org", "fullname": "Z.ai"}`` → ``zai-org Z.ai``, as the listing page shows it."""
    for org in candidates:
        if isinstance(org, dict):
            name, fullname = _text(org.get("name")), _text(org.get("fullname"))
            parts = [p for p in (name, fullname) if p]
            if len(parts) == 2 and parts[0] == parts[1]:
                parts = parts[:1]
            if parts:
                return " ".join(parts)
        elif isinstance(org, str) and org.strip():
            return _text(org)
    return None


def _date(value: Any) -> str | None:
    if isinstance(value, str):
        m = _ISO_DATE.match(value.strip())
        if m:
            try:
                return datetime.date.fromisoformat(m.group(1)).isoformat()
            except ValueError:
                return None
    return None


def paper_from_hf(
    paper: dict[str, Any],
    entry: dict[str, Any] | None = None,
    file: str | None = None,
    line: int | None = None,
    extra_org: Any = None,
) -> Paper | None:
    """One Hub paper object (and its daily-papers entry, if any) as a :class:`Paper`; None without title."""
    entry = entry or {}
    title = _text(paper.get("title")) or _text(entry.get("title"))
    if not title:
        return None
    abstract = _text(paper.get("summary")) or _text(entry.get("summary"))
    raw_authors = paper.get("authors") if isinstance(paper.get("authors"), list) else []
    authors = []
    for author in raw_authors:  # hidden authors are still authors of the paper
        name = author.get("name") if isinstance(author, dict) else author
        if isinstance(name, str) and name.strip():
            authors.append(_text(name))
        elif isinstance(author, dict) and isinstance(author.get("user"), dict):
            fullname = _text(author["user"].get("fullname"))
            if fullname:
                authors.append(fullname)
    urls = find_urls(abstract)
    for kind, key in (("code", "githubRepo"), ("project", "projectPage")):
        add_url(urls, kind, paper.get(key) or entry.get(key))
    upvotes = paper.get("upvotes", entry.get("upvotes"))
    ident = paper.get("id") if isinstance(paper.get("id"), str) else None
    return Paper(
        title=title,
        abstract=abstract,
        authors=authors,
        author_count=len(raw_authors) if raw_authors else None,
        published=_date(paper.get("publishedAt")),
        upvotes=upvotes if isinstance(upvotes, int) and not isinstance(upvotes, bool) else None,
        organization=_organization(paper.get("organization"), entry.get("organization"), extra_org),
        arxiv_id=normalise_arxiv_id(ident),
        urls=urls,
        source={"file": file, "line": line},
    )


def _from_entries(
    entries: list[Any], file: str | None, line: int | None = None, what: str = "entry"
) -> tuple[list[Paper], list[ReadWarning]]:
    papers: list[Paper] = []
    warnings: list[ReadWarning] = []
    for index, entry in enumerate(entries):
        inner = entry.get("paper") if isinstance(entry, dict) else None
        if not isinstance(inner, dict):
            inner = entry if isinstance(entry, dict) and "title" in entry else None
        paper = paper_from_hf(inner, entry, file, line) if inner is not None else None
        if paper is None:
            warnings.append(ReadWarning(f"{what} {index} has no paper title; skipped", file, line))
            continue
        papers.append(paper)
    return papers, warnings


def _load(text: str, file: str | None) -> Any:
    data = _parse(text)
    _parse.cache_clear()  # the cache only serves detection + reading of one input: free the text
    if isinstance(data, json.JSONDecodeError):
        raise InputError(f"invalid JSON: {data.msg} (column {data.colno})", file=file, line=data.lineno)
    return data


def _shape(data: Any) -> str:
    if isinstance(data, list):
        return "an empty array" if not data else "an array"
    return "an object" if isinstance(data, dict) else f"a JSON {type(data).__name__}"


def read_daily(text: str, file: str | None, as_of: datetime.date) -> tuple[list[Paper], list[ReadWarning]]:
    """``/api/daily_papers``: an array of ``{"paper": {...}, ...}`` (or ``{"dailyPapers": [...]}``)."""
    data = _load(text, file)
    if isinstance(data, dict) and isinstance(data.get("dailyPapers"), list):
        data = data["dailyPapers"]
    if not isinstance(data, list):
        raise InputError(f"expected a daily-papers array, found {_shape(data)}", file=file, line=1)
    return _from_entries(data, file)


def read_search(text: str, file: str | None, as_of: datetime.date) -> tuple[list[Paper], list[ReadWarning]]:
    """``/api/papers/search``: an array of ``{"paper": {...}}``."""
    data = _load(text, file)
    if not isinstance(data, list):
        raise InputError(f"expected a search-results array, found {_shape(data)}", file=file, line=1)
    return _from_entries(data, file, what="result")


def read_paper(text: str, file: str | None, as_of: datetime.date) -> tuple[list[Paper], list[ReadWarning]]:
    """``/api/papers/{id}``: one paper object (also the ``PaperContent`` props ``{"paper": {...}}``)."""
    data = _load(text, file)
    return _read_paper_data(data, file, None)


def _read_paper_data(data: Any, file: str | None, line: int | None) -> tuple[list[Paper], list[ReadWarning]]:
    if not isinstance(data, dict):
        raise InputError(f"expected a paper object, found {_shape(data)}", file=file, line=line or 1)
    inner = data["paper"] if isinstance(data.get("paper"), dict) else data
    paper = paper_from_hf(
        inner, data if inner is not data else None, file, line, extra_org=data.get("submitterOrganization")
    )
    if paper is None:
        raise InputError("paper object without a title", file=file, line=line or 1)
    return [paper], []


def read_html(text: str, file: str | None, as_of: datetime.date) -> tuple[list[Paper], list[ReadWarning]]:
    """A saved huggingface.co papers page: the JSON in its ``data-props`` attributes."""
    papers: list[Paper] = []
    warnings: list[ReadWarning] = []
    found = False
    for target in _DATA_TARGET.finditer(text):
        start = text.rfind("<", 0, target.start())
        end = text.find(">", target.end())
        tag = text[start : end + 1 if end >= 0 else len(text)]
        line = text.count("\n", 0, start) + 1
        props_match = _DATA_PROPS.search(tag)
        if props_match is None:
            warnings.append(ReadWarning(f"{target.group('target')} element without data-props", file, line))
            continue
        raw = props_match.group("dq") if props_match.group("dq") is not None else props_match.group("sq")
        try:
            props = json.loads(html.unescape(raw))
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON in data-props: {exc.msg}", file=file, line=line) from None
        found = True
        if target.group("target") == "DailyPapers":
            entries = props.get("dailyPapers") if isinstance(props, dict) else None
            if not isinstance(entries, list):
                warnings.append(ReadWarning("DailyPapers data-props without a dailyPapers list", file, line))
                continue
            got, more = _from_entries(entries, file, line)
        else:
            got, more = _read_paper_data(props, file, line)
        papers.extend(got)
        warnings.extend(more)
    if not found:
        raise InputError(
            'HTML without Hugging Face papers data (no data-target="DailyPapers" or "PaperContent" '
            "element with data-props)",
            file=file,
        )
    return papers, warnings


DAILY = Reader("hf-daily", _detect_daily, read_daily, "Hugging Face /api/daily_papers JSON array.")
PAPER = Reader("hf-paper", _detect_paper, read_paper, "Hugging Face /api/papers/{id} JSON object.")
SEARCH = Reader("hf-search", _detect_search, read_search, "Hugging Face /api/papers/search JSON array.")
HTML = Reader("hf-html", _detect_html, read_html, "Saved huggingface.co/papers HTML page (data-props).")
