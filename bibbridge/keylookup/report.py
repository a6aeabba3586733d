"""Text and JSON renderings of lookup answers (what ``bibbridge key`` prints)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .candidates import Match

TITLE_WIDTH = 70


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def matches_to_lines(matches: Sequence[Match]) -> list[str]:
    """One aligned line per match: score, key, year, first author, title, sources."""
    if not matches:
        return []
    key_width = max(len(m.key) for m in matches)
    author_width = min(18, max(len(m.candidate.first_author) for m in matches))
    lines = []
    for match in matches:
        candidate = match.candidate
        sources = ", ".join(match.sources or [candidate.source])
        lines.append(
            f"{match.score:3d}  {match.key:<{key_width}}  {candidate.paper.year or '----'}  "
            f"{_cut(candidate.first_author, 18):<{author_width}}  {_cut(candidate.paper.title, TITLE_WIDTH)}"
            f"  [{sources}]"
        )
    return lines


def matches_to_json(matches: Sequence[Match]) -> str:
    import json

    return json.dumps([m.to_dict() for m in matches], ensure_ascii=False, indent=2)


def citations_to_json(file: str, citations: Sequence[Any]) -> str:
    import json

    return json.dumps(
        [
            {"key": c.key, "file": file, "line": c.line, "suggestions": [m.to_dict() for m in c.suggestions]}
            for c in citations
        ],
        ensure_ascii=False,
        indent=2,
    )


def citation_line(file: str, citation: Any) -> str:
    """``paper.tex:12: unknown key 'vaswni2017': did you mean vaswani2017attention (84), …?``"""
    head = f"{file}:{citation.line}: unknown key {citation.key!r}"
    if not citation.suggestions:
        return head + " (no similar key in any source)"
    hints = ", ".join(f"{m.key} ({m.score})" for m in citation.suggestions)
    return f"{head}: did you mean {hints}?"
