"""Render records for people and pipes: JSON Lines and a readable table."""

from __future__ import annotations

import json
from collections.abc import Iterable

from .model import Paper


def papers_to_jsonl(papers: Iterable[Paper]) -> str:
    """One JSON object per paper per line, fields in :data:`bibbridge.model.FIELD_ORDER`."""
    return "".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in papers)


def papers_from_jsonl(text: str) -> list[Paper]:
    """Read ``bibbridge parse`` output back into Papers."""
    return [Paper.from_dict(json.loads(line)) for line in text.splitlines() if line.strip()]


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def papers_to_table(papers: Iterable[Paper], title_width: int = 60) -> str:
    """A fixed-width table: number, date, authors, upvotes, arXiv id, title."""
    rows = [("#", "published", "authors", "up", "arxiv", "title")]
    for n, p in enumerate(papers, 1):
        count = p.author_count if p.author_count is not None else (len(p.authors) or None)
        rows.append(
            (
                str(n),
                p.published or "",
                "" if count is None else str(count),
                "" if p.upvotes is None else str(p.upvotes),
                p.arxiv_id or "",
                _cut(p.title, title_width),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1] for r in rows]
    return "\n".join(line.rstrip() for line in lines) + "\n"
