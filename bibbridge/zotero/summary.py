"""Text renderings of a :class:`~bibbridge.zotero.sync.SyncReport` for people (the CLI prints these)."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from ..model import Paper


def _name(paper: Paper) -> str:
    ident = f" (arXiv:{paper.arxiv_id})" if paper.arxiv_id else ""
    return f"{paper.title}{ident}"


def _where(paper: Paper) -> str:
    source = paper.source or {}
    if source.get("file") and source.get("line"):
        return f"{source['file']}:{source['line']}: "
    return ""


def summary_line(report: Any) -> str:
    """One line: counts and requests."""
    verb = "would create" if report.dry_run else "created"
    add = "would add" if report.dry_run else "added"
    parts = [
        f"{len(report.created)} {verb}",
        f"{len(report.already_present)} already in the library ({len(report.added_to_collection)} {add} "
        "to the collection)",
    ]
    if report.in_trash:
        parts.append(f"{len(report.in_trash)} in the trash")
    parts.append(f"{len(report.failed)} failed")
    if report.children_created or report.children_failed:
        children = f"{report.children_created} attachments/notes"
        parts.append(f"would add {children}" if report.dry_run else f"{children} added")
    if report.children_failed:
        parts.append(f"{len(report.children_failed)} attachments/notes failed")
    if report.completed:
        parts.append(f"{len(report.completed)} completed")
    if report.not_completed:
        parts.append(f"{len(report.not_completed)} left as edited")
    return f"{report.collection} in {report.library}: " + ", ".join(parts) + f"; {report.requests} requests"


def plan_lines(report: Any) -> list[str]:
    """The dry-run plan, one paper a line: ``create``, ``add`` (to the collection) or ``present``."""
    added = {id(s.paper) for s in report.added_to_collection}
    trashed = {id(s.paper) for s in report.in_trash}
    lines = [
        f"create   {_name(s.paper)}" + (f"  [{s.citation_key}]" if s.citation_key else "")
        for s in report.created
    ]
    for s in report.already_present:
        verb = "add" if id(s.paper) in added else "present"
        note = " (in the trash)" if id(s.paper) in trashed else ""
        lines.append(f"{verb:<8} {_name(s.paper)}  -> {s.item_key}{note}")
    return lines


def failure_lines(report: Any) -> list[str]:
    """Each failed paper (and child), named with where it came from and why; each item left
    uncompleted because it was edited in Zotero."""
    lines = [
        f"{_where(f.paper)}failed: {_name(f.paper)}: {f.code or 'error'} {f.message}".rstrip()
        for f in [*report.failed, *report.children_failed]
    ]
    lines += [
        f"{_where(s.paper)}left as it is: {_name(s.paper)} -> {s.item_key}: {s.reason}"
        for s in report.not_completed
    ]
    return lines


class ProgressBar:
    """``progress(stage, done, total)`` drawn on one terminal line; silent when not a terminal."""

    def __init__(self, stream: TextIO | None = None, minimum: int = 100) -> None:
        self.stream = stream or sys.stderr
        self.minimum = minimum
        self.active = False
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total < self.minimum:
            return
        width = 30
        filled = int(width * done / total) if total else width
        self.stream.write(f"\r{stage:<22} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        self.stream.flush()
        self.active = True

    def close(self) -> None:
        if self.active:
            self.stream.write("\r" + " " * 70 + "\r")
            self.stream.flush()
            self.active = False
