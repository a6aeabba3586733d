"""bibbridge's own JSON Lines (what ``parse`` and ``resolve`` print): one :class:`Paper` record a line.

Reading it back makes every command composable: ``bibbridge resolve digest.txt > papers.jsonl`` and
then ``bibbridge bib papers.jsonl`` gives the entries ``bibbridge bib digest.txt`` gives. Each record
keeps its ``source`` (the digest's file and line, or the Hub URL and date), so messages still point to
where a paper came from.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from typing import Any

from ..errors import InputError, ReadWarning
from ..model import Paper
from . import Reader
from .decode import clean_text

#: Keys every record bibbridge writes carries (and a Hub paper object does not: it says ``summary``).
_SIGNATURE = frozenset({"title", "abstract", "authors", "urls", "source"})
# The field types come from Paper itself, so a field added to Paper is checked here too.
_TYPES = {field.name: field.type for field in dataclasses.fields(Paper)}
_LIST_FIELDS = tuple(name for name, kind in _TYPES.items() if kind == "list[str]")
_STR_FIELDS = tuple(
    name for name, kind in _TYPES.items() if kind in ("str", "str | None") and name != "title"
)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def detect(text: str) -> float:
    line = _first_line(text).strip()
    if not line.startswith("{") or not line.endswith("}"):
        return 0.0
    try:
        data = json.loads(line)
    except ValueError:
        return 0.0
    return 1.0 if isinstance(data, dict) and _SIGNATURE <= data.keys() else 0.0


def _check(data: Any, file: str | None, line: int) -> Paper:
    if not isinstance(data, dict):
        raise InputError("expected one paper record (a JSON object) per line", file=file, line=line)
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise InputError("paper record without a title", file=file, line=line)
    for name in _LIST_FIELDS:
        value = data.get(name)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise InputError(f"{name!r} must be a list of strings", file=file, line=line)
    for name in _STR_FIELDS:
        if data.get(name) is not None and not isinstance(data[name], str):
            raise InputError(f"{name!r} must be a string or null", file=file, line=line)
    for name in ("urls", "source"):
        if data.get(name) is not None and not isinstance(data[name], dict):
            raise InputError(f"{name!r} must be an object", file=file, line=line)
    for name in ("upvotes", "author_count"):
        value = data.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise InputError(f"{name!r} must be a whole number or null", file=file, line=line)
    try:
        paper = Paper.from_dict(data)
    except (TypeError, ValueError) as exc:
        raise InputError(f"not a paper record ({exc})", file=file, line=line) from None
    # the same clean-up as every other reader (NFC, odd spaces): records written by hand or by another
    # tool are otherwise written as "?" by the ASCII .bib style (a decomposed "é")
    paper.title = clean_text(paper.title)
    paper.abstract = clean_text(paper.abstract or "")
    paper.authors = [clean_text(name) for name in paper.authors]
    return paper


def read(text: str, file: str | None, as_of: datetime.date) -> tuple[list[Paper], list[ReadWarning]]:
    papers: list[Paper] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"invalid JSON Lines record: {exc.msg} (column {exc.colno})", file=file, line=number
            ) from None
        papers.append(_check(data, file, number))
    return papers, []


READER = Reader("jsonl", detect, read, "bibbridge's own JSON Lines (parse / resolve output).")
