"""The ``bibbridge`` command: a thin click layer over the Python API.

Each command parses its options, calls one library function and prints the result. Errors derived
from :class:`bibbridge.errors.BibbridgeError` become one line on stderr and exit status 2 (or the
error's own ``exit_code``); nothing here holds logic a notebook could not reach through the API.
Heavy modules are imported inside the commands that need them, to keep ``--version`` fast.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from . import __version__
from .errors import BibbridgeError

READ_FORMATS = ("auto", "text", "hf-daily", "hf-paper", "hf-search", "hf-html")


def reading_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The FILE arguments and reading options shared by every command that reads digests."""
    func = click.option(
        "--strict", is_flag=True, help="Treat warnings about suspicious blocks as errors."
    )(func)
    func = click.option(
        "--format",
        "read_format",
        type=click.Choice(READ_FORMATS),
        default="auto",
        show_default=True,
        help="Input format; detected from the content by default.",
    )(func)
    func = click.option(
        "--as-of",
        "as_of",
        metavar="YYYY-MM-DD",
        default=None,
        help="Capture date of the digests: year-less dates get this date's year (default: today).",
    )(func)
    func = click.argument("files", nargs=-1, required=True, metavar="DIGEST...")(func)
    return func


def read_inputs(files: tuple[str, ...], as_of: str | None, read_format: str, strict: bool) -> list[Any]:
    """Read the digests named on the command line; warnings go to stderr, errors raise."""
    from .readers import read_digests

    if as_of is None:
        import datetime

        click.echo(
            f"bibbridge: year-less dates read as of today ({datetime.date.today().isoformat()}); "
            "use --as-of to set the capture date",
            err=True,
        )
    result = read_digests(
        list(files), as_of=as_of, format=None if read_format == "auto" else read_format, strict=strict
    )
    for warning in result.warnings:
        click.echo(f"bibbridge: {warning}", err=True)
    return result.papers


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into one line on stderr and a non-zero exit, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BibbridgeError as exc:
            click.echo(f"bibbridge: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except BrokenPipeError:
            sys.exit(0)

    return wrapper


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="""\b
Examples:
  bibbridge parse digest.txt --as-of 2026-01-20 > papers.jsonl
  bibbridge bib digest.txt -o refs.bib
  bibbridge sync digest.txt --library user:123456 --collection "Reading/HF Daily"
  bibbridge key "language models few-shot" --bib refs.bib
  bibbridge resolve digest.txt > resolved.jsonl
""",
)
@click.version_option(__version__, "--version", "-V", prog_name="bibbridge", message="%(prog)s %(version)s")
def cli() -> None:
    """Turn Hugging Face Daily Papers digests into references you can cite and keep."""


@cli.command(
    epilog="""\b
Examples:
  bibbridge parse digest.txt --as-of 2026-01-20
  bibbridge parse daily_papers.json --table
  cat digest.txt | bibbridge parse - --strict
"""
)
@reading_options
@click.option("--table", is_flag=True, help="Print a readable table instead of JSON Lines.")
@handle_errors
def parse(files: tuple[str, ...], as_of: str | None, read_format: str, strict: bool, table: bool) -> None:
    """Read digests and print one JSON object per paper (JSON Lines)."""
    from .output import papers_to_jsonl, papers_to_table

    papers = read_inputs(files, as_of, read_format, strict)
    click.echo(papers_to_table(papers) if table else papers_to_jsonl(papers), nl=False)
    click.echo(f"bibbridge: {len(papers)} papers", err=True)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="bibbridge")


if __name__ == "__main__":
    main()
