"""Command-line glue for resolving: the ``--resolve/--offline/--s2`` options and stderr progress.

Part of the CLI layer (only :mod:`bibbridge.cli` and this module import click). Used by ``bibbridge
resolve`` and by the ``bib`` and ``sync`` commands' ``--resolve``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from .metadata.resolver import ResolveProgress
    from .model import Paper


def s2_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--s2/--no-s2",
        "use_s2",
        default=None,
        help="Also ask Semantic Scholar's title match (default: config [resolve] s2, else off).",
    )(func)


def offline_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--offline",
        is_flag=True,
        help="Make no request: resolve from the cache only, hf: sources from the cache only.",
    )(func)


def resolving_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--resolve``, ``--offline`` and ``--s2`` for commands that take digests."""
    func = s2_option(func)
    func = offline_option(func)
    func = click.option(
        "--resolve/--no-resolve",
        "resolve_papers",
        default=True,
        show_default=True,
        help="Complete records lacking an arXiv id or authors from Hugging Face and arXiv first "
        "(see `bibbridge resolve`); needs the network, or the cache with --offline.",
    )(func)
    return func


def s2_default(use_s2: bool | None) -> bool:
    """``--s2``/``--no-s2`` when given, else the config file's ``[resolve] s2`` (off by default)."""
    if use_s2 is not None:
        return use_s2
    from .home import load_config

    section = load_config().get("resolve", {})
    return bool(section.get("s2", False)) if isinstance(section, dict) else False


def echo_err(line: str) -> None:
    click.echo(f"bibbridge: {line}", err=True)


class StderrProgress:
    """Progress counts on stderr: rewritten in place on a terminal, every 50 papers otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.dirty = False

    def __call__(self, event: ResolveProgress) -> None:
        last = event.done == event.total
        if event.stage == "search":
            text = (
                f"searching titles {event.done}/{event.total} (matched {event.matched}, "
                f"unmatched {event.unmatched}, from cache {event.cached})"
            )
        else:
            text = f"arXiv metadata {event.done}/{event.total} ids"
        if self.tty:
            click.echo(f"\rbibbridge: {text}\x1b[K", err=True, nl=last)
            self.dirty = not last
        elif last or event.done % 50 == 0:
            echo_err(text)

    def close(self) -> None:
        if self.dirty:
            click.echo("", err=True)
            self.dirty = False

    def say(self, line: str) -> None:
        """A line of its own (``could not be reached`` …), not glued to a progress line."""
        self.close()
        echo_err(line)


def resolve_if_asked(
    papers: list[Paper], resolve_papers: bool, offline: bool, use_s2: bool | None, verbose: bool = False
) -> list[Paper]:
    """For ``bib``/``sync``: the completed records unless ``--no-resolve`` was given."""
    from .metadata.resolver import maybe_resolve, needs_completion

    if not resolve_papers or not any(needs_completion(p) for p in papers):
        return papers
    progress = StderrProgress()
    try:
        return maybe_resolve(
            papers, True, offline, s2_default(use_s2), echo=progress.say, progress=progress, verbose=verbose
        )
    finally:
        progress.close()
