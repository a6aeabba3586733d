"""The ``bibbridge`` command: a thin click layer over the Python API.

Each command parses its options, calls one library function and prints the result. Errors derived
from :class:`bibbridge.errors.BibbridgeError` become one line on stderr and exit status 2 (or the
error's own ``exit_code``); nothing here holds logic a notebook could not reach through the API.
Heavy modules are imported inside the commands that need them, to keep ``--version`` fast.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from . import __version__
from . import cli_resolve as _resolve_options
from .errors import BibbridgeError

READ_FORMATS = ("auto", "jsonl", "text", "hf-daily", "hf-paper", "hf-search", "hf-html")


def zotero_library_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--library`` (also $ZOTERO_LIBRARY) for the commands that talk to Zotero (sync, key)."""
    return click.option(
        "--library",
        envvar="ZOTERO_LIBRARY",
        metavar="user:ID|group:ID",
        help=f"{what} (default $ZOTERO_LIBRARY or the config file).",
    )


def zotero_api_url_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--api-url`` (also $ZOTERO_API_URL): another Zotero server, for sync and key."""
    return click.option(
        "--api-url",
        envvar="ZOTERO_API_URL",
        metavar="URL",
        help="Zotero API base URL, for self-hosted servers (default https://api.zotero.org).",
    )(func)


def reading_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The FILE arguments and reading options shared by every command that reads digests."""
    func = click.option("--strict", is_flag=True, help="Treat warnings about suspicious blocks as errors.")(
        func
    )
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
    func = click.argument("files", nargs=-1, required=True, metavar="DIGEST|hf:DATE|arxiv:ID...")(func)
    return func


def read_inputs(
    files: tuple[str, ...], as_of: str | None, read_format: str, strict: bool, offline: bool = False
) -> list[Any]:
    """Read the digests (files or live hf:/arxiv: sources) named on the command line; warnings and a
    line per live source go to stderr, errors raise."""
    from .readers import read_digests

    if as_of is None and not all(f[:3].lower() == "hf:" or f[:6].lower() == "arxiv:" for f in files):
        import datetime

        click.echo(
            f"bibbridge: year-less dates read as of today ({datetime.date.today().isoformat()}); "
            "use --as-of to set the capture date",
            err=True,
        )
    result = read_digests(
        list(files),
        as_of=as_of,
        format=None if read_format == "auto" else read_format,
        strict=strict,
        offline=offline,
    )
    for notice in result.notices:
        click.echo(f"bibbridge: {notice}", err=True)
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


def echo_warnings(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print bibbridge's own warnings (those whose class sets ``cli_message``) as
    ``bibbridge: warning: …`` lines on stderr, as they happen; other warnings as Python shows them."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import warnings

        with warnings.catch_warnings():
            previous = warnings.showwarning

            def show(message: Any, category: type[Warning], *rest: Any, **more: Any) -> None:
                if getattr(category, "cli_message", False):
                    click.echo(f"bibbridge: warning: {message}", err=True)
                else:
                    previous(message, category, *rest, **more)

            warnings.showwarning = show
            return func(*args, **kwargs)

    return wrapper


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="""\b
Examples:
  bibbridge sync hf:yesterday --collection "Reading/HF Daily"
  bibbridge bib hf:2026-W03 -o refs.bib
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
  bibbridge parse hf:yesterday --table
  bibbridge parse hf:2024-10-01..2024-10-07 > week.jsonl
  cat digest.txt | bibbridge parse - --strict
"""
)
@reading_options
@click.option("--table", is_flag=True, help="Print a readable table instead of JSON Lines.")
@_resolve_options.offline_option
@handle_errors
def parse(
    files: tuple[str, ...],
    as_of: str | None,
    read_format: str,
    strict: bool,
    table: bool,
    offline: bool = False,
) -> None:
    """Read digests (or fetch hf: sources) and print one JSON object per paper (JSON Lines)."""
    from .output import papers_to_jsonl, papers_to_table

    papers = read_inputs(files, as_of, read_format, strict, offline)
    click.echo(papers_to_table(papers) if table else papers_to_jsonl(papers), nl=False)
    click.echo(f"bibbridge: {len(papers)} paper{'' if len(papers) == 1 else 's'}", err=True)


@cli.command(
    "sync",
    epilog="""\b
Examples:
  export ZOTERO_API_KEY=...            (or: bibbridge config zotero --library user:123456)
  bibbridge sync hf:yesterday --collection "Reading/HF Daily"      (the daily loop)
  bibbridge sync digest.txt --library user:123456 --collection "Reading/HF Daily" --as-of 2026-01-20
  bibbridge sync *.txt --library group:98765 --collection "HF Daily" --dry-run
  bibbridge sync digest.txt --library user:123456 --collection Inbox --json > report.json

Records lacking an arXiv id or authors are completed first (--no-resolve: not); papers that
cannot be resolved are synced as they are and counted, not a failure.

Exit status: 0 all papers are in the collection, 1 some failed (named on stderr), 2 bad usage,
input or credentials (e.g. a key without write access).
""",
)
@reading_options
@_resolve_options.resolving_options
@zotero_library_option("The Zotero library")
@click.option(
    "--collection",
    metavar="PATH",
    help='Target collection, levels separated by "/"; missing ones are created.',
)
@zotero_api_url_option
@click.option(
    "--key-format",
    metavar="FORMULA",
    default=None,
    help="Better BibTeX key formula for new citation keys (as for `bib`).",
)
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="TAG",
    help="Tag new items and items added to the collection (repeatable; default [zotero] tags).",
)
@click.option(
    "--no-attachments",
    is_flag=True,
    help="No child links (Preprint PDF, Hugging Face page, code, project) nor comment note.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be created or added; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option("-v", "--verbose", is_flag=True, help="Also name each paper that could not be resolved.")
@handle_errors
def sync_command(
    files: tuple[str, ...],
    as_of: str | None,
    read_format: str,
    strict: bool,
    library: str | None,
    collection: str | None,
    api_url: str | None,
    key_format: str | None,
    tags: tuple[str, ...],
    no_attachments: bool,
    dry_run: bool,
    as_json: bool,
    verbose: bool = False,
    resolve_papers: bool = True,
    offline: bool = False,
    use_s2: bool | None = None,
) -> None:
    """Put the papers of DIGEST... into a Zotero collection, never twice.

    Papers already in the library (matched by arXiv id, DOI or title, trash included) are not created
    again, only added to the collection. The API key comes from $ZOTERO_API_KEY or the config file
    (`bibbridge config zotero`), never from the command line.
    """
    import json

    from .zotero.summary import ProgressBar, failure_lines, plan_lines, summary_line
    from .zotero.sync import sync as run_sync

    papers = read_inputs(files, as_of, read_format, strict, offline)
    papers = _resolve_options.resolve_if_asked(papers, resolve_papers, offline, use_s2, verbose)
    bar = ProgressBar()
    try:
        report = run_sync(
            papers,
            library=library,
            collection=collection,
            api_url=api_url,
            dry_run=dry_run,
            formula=key_format,
            progress=bar,
            tags=list(tags) or None,
            attachments=not no_attachments,
        )
    finally:
        bar.close()
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    elif dry_run:
        for line in plan_lines(report):
            click.echo(line)
    for line in failure_lines(report):
        click.echo(f"bibbridge: {line}", err=True)
    click.echo(f"bibbridge: {summary_line(report)}", err=True)
    sys.exit(0 if report.ok else 1)


@cli.group("config")
def config_group() -> None:
    """Store settings in the config file (mode 0600)."""


@config_group.command(
    "zotero",
    epilog="""\b
Examples:
  bibbridge config zotero --library user:123456
  bibbridge config zotero --library group:98765 --collection "Reading/HF Daily"
""",
)
@click.option("--library", metavar="user:ID|group:ID", help="Default library for sync.")
@click.option("--collection", metavar="PATH", help="Default collection for sync.")
@click.option("--api-url", metavar="URL", help="Default API base URL (self-hosted servers).")
@handle_errors
def config_zotero(library: str | None, collection: str | None, api_url: str | None) -> None:
    """Ask for the Zotero API key (hidden input) and store it with optional defaults."""
    from .zotero.client import save_credentials

    key = click.prompt("Zotero API key (input hidden)", hide_input=True, err=True)
    path = save_credentials(key, library=library, api_url=api_url, collection=collection)
    click.echo(f"bibbridge: saved to {path} (mode 0600)", err=True)


@cli.command(
    "bib",
    epilog="""\b
Examples:
  bibbridge bib digest.txt --as-of 2026-01-20 > refs.bib
  bibbridge bib digest.txt -o refs.bib                 (append new papers, keep the rest)
  bibbridge bib *.txt -o refs.bib --dry-run            (show what would be added)
  bibbridge bib digest.txt --style biblatex -o refs.bib
  bibbridge bib digest.txt --style csl-json -o refs.json
  bibbridge bib digest.txt --key-format "auth.lower + year + veryshorttitle"
  bibbridge bib hf:yesterday -o refs.bib                (fetch the day's papers from the Hub)
  bibbridge bib digest.txt --no-resolve -o refs.bib     (no network: records as the digest has them)

Records lacking an arXiv id or authors are completed first (Hugging Face, arXiv; cached); without
the network that is skipped within seconds and said once. Unresolved papers are written as they
are and counted; they do not change the exit status.

Exit status: 0 done (papers already in the file are skipped, not errors), 1 some papers could not
be added (their key is used by another entry of the file), 2 bad usage or input (e.g. a malformed
existing file, which is never rewritten).
""",
)
@reading_options
@_resolve_options.resolving_options
@click.option(
    "-o",
    "--output",
    default="-",
    show_default=True,
    metavar="FILE",
    help="File to merge into (created if missing); - prints to stdout and touches no file.",
)
@click.option(
    "--style",
    type=click.Choice(["bibtex", "biblatex", "csl-json"]),
    default="bibtex",
    show_default=True,
    help="@misc (ASCII) for BibTeX, @misc (UTF-8) for BibLaTeX, or CSL-JSON.",
)
@click.option(
    "--key-format",
    metavar="FORMULA",
    default=None,
    help="Better BibTeX key formula for new keys (default: config [keys] format, else "
    "auth.lower + shorttitle(3,3) + year).",
)
@click.option("--dry-run", is_flag=True, help="Print what would be added; write nothing, store no keys.")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Also name each paper skipped as already in the file, and each one not resolved.",
)
@handle_errors
@echo_warnings
def bib_command(
    files: tuple[str, ...],
    as_of: str | None,
    read_format: str,
    strict: bool,
    output: str,
    style: str,
    key_format: str | None,
    dry_run: bool,
    verbose: bool = False,
    resolve_papers: bool = True,
    offline: bool = False,
    use_s2: bool | None = None,
) -> None:
    """Write the papers of DIGEST... as BibTeX, BibLaTeX or CSL-JSON with stable citation keys.

    With -o FILE, papers already in FILE (same arXiv id, DOI or title) are skipped and keep the key
    they have there; new ones are appended; every byte already in FILE stays as it was.
    """
    papers = read_inputs(files, as_of, read_format, strict, offline)
    papers = _resolve_options.resolve_if_asked(papers, resolve_papers, offline, use_s2, verbose)
    if output == "-":
        from .bib.export import open_registry, render
        from .model import dedupe

        unique = dedupe(papers)
        with open_registry(dry_run=dry_run) as registry:
            keys = registry.assign(unique, formula=key_format)
        click.echo(render(unique, keys, style), nl=False)
        click.echo(f"bibbridge: {len(unique)} entries written to stdout", err=True)
        return

    from .bib.merge import merge_bib

    report = merge_bib(papers, output, style=style, formula=key_format, dry_run=dry_run)
    if dry_run:
        click.echo(report.text, nl=False)
    for skip in report.skipped:
        key, paper, reason = skip
        # Papers already in the file are the normal case on a re-run: name them only when asked.
        if verbose or skip in report.clashes:
            click.echo(f"bibbridge: skipped {paper.title[:60]!r} ({key}): {reason}", err=True)
    verb = "would add" if dry_run else "added"
    where = "nothing written" if not report.written else f"written to {output}"
    click.echo(f"bibbridge: {verb} {len(report.added)}, skipped {len(report.skipped)}; {where}", err=True)
    sys.exit(0 if report.ok else 1)


@cli.command(
    "resolve",
    epilog="""\b
Examples:
  bibbridge resolve digest.txt --as-of 2026-01-20 > resolved.jsonl
  bibbridge resolve digest.txt --s2             (also ask Semantic Scholar)
  bibbridge resolve digest.txt --offline        (cache only, no request)
  bibbridge resolve digest.txt > papers.jsonl && bibbridge bib papers.jsonl -o refs.bib

Records that cannot be matched safely are written unchanged and counted (named with -v); the exit
status is 0 unless the input cannot be read (2). A service that cannot be reached is said once and
left out for the run. See docs/resolve.md for sources, matching and rate limits.
""",
)
@reading_options
@_resolve_options.s2_option
@_resolve_options.offline_option
@click.option("-v", "--verbose", is_flag=True, help="Name each paper that could not be resolved, and why.")
@handle_errors
def resolve_command(
    files: tuple[str, ...],
    as_of: str | None,
    read_format: str,
    strict: bool,
    use_s2: bool | None,
    offline: bool,
    verbose: bool = False,
) -> None:
    """Complete the papers of DIGEST... (arXiv id, authors, DOI, dates) and print them as JSON Lines.

    Titles are looked up on Hugging Face, then arXiv (then Semantic Scholar with --s2); a match must
    have the same title (and author count, when the digest gives one). Then arXiv gives authors,
    category, DOI and dates, 100 ids per request. Everything fetched is cached.
    """
    from .metadata import resolve
    from .output import papers_to_jsonl

    papers = read_inputs(files, as_of, read_format, strict, offline)
    progress = _resolve_options.StderrProgress()
    try:
        use_s2 = _resolve_options.s2_default(use_s2)
        report = resolve(papers, offline=offline, use_s2=use_s2, progress=progress, notify=progress.say)
    finally:
        progress.close()
    click.echo(papers_to_jsonl(report.papers), nl=False)
    if verbose:
        for item in report.unresolved:
            click.echo(f"bibbridge: unresolved: {item}", err=True)
    click.echo(f"bibbridge: {report.summary()}", err=True)


@cli.command(
    "key",
    epilog="""\b
Examples:
  bibbridge key attention all you need --bib refs.bib
  bibbridge key "the Müller paper from 2023" --bib refs.bib --csl zotero.json
  bibbridge key arXiv:2310.12920v2 --first
  bibbridge key https://doi.org/10.48550/arXiv.2310.12920 --json
  bibbridge key generative marginalization --zotero --library user:123456 --bbt
  bibbridge key --check paper.tex --bib refs.bib

Exit status: 0 found, 1 nothing scores above the threshold (or --check found unknown keys),
2 bad arguments or an unreadable source. See docs/lookup.md for query forms and scoring.
""",
)
@click.argument("query", nargs=-1)
@click.option("--bib", "bib_files", multiple=True, metavar="FILE", help="A .bib file to search (repeatable).")
@click.option(
    "--csl", "csl_files", multiple=True, metavar="FILE", help="A CSL-JSON export to search (repeatable)."
)
@click.option("--no-local", is_flag=True, help="Leave out the keys bibbridge has given out itself.")
@click.option("--zotero", is_flag=True, help="Search the Zotero library (Web API, through the local index).")
@zotero_library_option("The Zotero library for --zotero")
@zotero_api_url_option
@click.option(
    "--bbt",
    is_flag=True,
    help="Ask a running Zotero with Better BibTeX (localhost:23119; $BIBBRIDGE_BBT_URL).",
)
@click.option("--first", is_flag=True, help="Print only the best key (for editors and scripts).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole ranking as JSON.")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True, help="Show at most N.")
@click.option(
    "--min-score",
    type=click.IntRange(0, 100),
    default=None,
    help="Hide answers scoring below this (default 60).",
)
@click.option(
    "--check",
    "check_file",
    metavar="FILE.tex|FILE.aux",
    help="List the keys FILE cites that no source knows, with suggestions.",
)
@handle_errors
def key_command(
    query: tuple[str, ...],
    bib_files: tuple[str, ...],
    csl_files: tuple[str, ...],
    no_local: bool,
    zotero: bool,
    library: str | None,
    api_url: str | None,
    bbt: bool,
    first: bool,
    as_json: bool,
    limit: int,
    min_score: int | None,
    check_file: str | None,
) -> None:
    """Find the citation key of a paper from whatever you remember: title words (any order, typos
    allowed), an arXiv id, a DOI, an author and/or year, or a key prefix."""
    from .errors import UsageError
    from .keylookup import DEFAULT_MIN_SCORE, Lookup

    if bool(query) == bool(check_file):
        raise UsageError("give a QUERY or --check FILE (one of them)")
    if first and as_json:
        raise UsageError("--first and --json exclude each other")
    spec: dict[str, Any] = {"bib": bib_files, "csl": csl_files, "local": not no_local}
    if zotero:
        spec["zotero"] = {"library": library, "api_url": api_url}
    if bbt:
        spec["bbt"] = True
    finder = Lookup(spec)
    text = " ".join(query)
    if check_file:
        from .keylookup.check import unknown_citations

        unknown = unknown_citations(check_file, finder)
        results: Any = unknown
    else:
        matches = finder.search(
            text, limit=1 if first else limit, min_score=DEFAULT_MIN_SCORE if min_score is None else min_score
        )
        results = matches
    for message in finder.warnings:
        click.echo(f"bibbridge: warning: {message}", err=True)
    if check_file:
        if as_json:
            click.echo(_citations_to_json(check_file, unknown))
        for citation in unknown:
            click.echo(_citation_line(check_file, citation), err=as_json)
        if not unknown:
            click.echo(f"bibbridge: every key cited in {check_file} is known", err=True)
        sys.exit(1 if unknown else 0)
    if as_json:
        click.echo(_matches_to_json(results))
    elif first and results:
        click.echo(results[0].key)
    else:
        for line in _matches_to_lines(results):
            click.echo(line)
    if not results:
        click.echo(f"bibbridge: no key matches {text!r} well enough (try fewer or other words)", err=True)
        sys.exit(1)


# -- what `bibbridge key` prints ---------------------------------------------------------------------
_TITLE_WIDTH = 70


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _matches_to_lines(matches: Sequence[Any]) -> list[str]:
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
            f"{_cut(candidate.first_author, 18):<{author_width}}  {_cut(candidate.paper.title, _TITLE_WIDTH)}"
            f"  [{sources}]"
        )
    return lines


def _matches_to_json(matches: Sequence[Any]) -> str:
    import json

    return json.dumps([m.to_dict() for m in matches], ensure_ascii=False, indent=2)


def _citations_to_json(file: str, citations: Sequence[Any]) -> str:
    import json

    return json.dumps(
        [
            {"key": c.key, "file": file, "line": c.line, "suggestions": [m.to_dict() for m in c.suggestions]}
            for c in citations
        ],
        ensure_ascii=False,
        indent=2,
    )


def _citation_line(file: str, citation: Any) -> str:
    """``paper.tex:12: unknown key 'vaswni2017': did you mean vaswani2017attention (84), …?``"""
    head = f"{file}:{citation.line}: unknown key {citation.key!r}"
    if not citation.suggestions:
        return head + " (no similar key in any source)"
    hints = ", ".join(f"{m.key} ({m.score})" for m in citation.suggestions)
    return f"{head}: did you mean {hints}?"


def main() -> None:
    """Console-script entry point.

    After ``bibbridge key`` (one query a process, often run by an editor, every millisecond counts) the
    process ends with ``os._exit`` once its output is flushed: tearing the interpreter down (freeing
    every object, unloading modules) takes ~12 ms and nothing is left to do by then (files it writes
    are complete and renamed into place before it answers). Such a process also runs without the cyclic
    garbage collector (it makes no cycles worth collecting; its passes cost ~5 ms).
    """
    quick = sys.argv[1:2] == ["key"]
    if quick:
        import gc

        gc.disable()
    try:
        cli(prog_name="bibbridge")
    except SystemExit as done:
        if not quick or not (done.code is None or isinstance(done.code, int)):
            raise
        import os

        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (BrokenPipeError, ValueError):
            pass
        os._exit(done.code or 0)


if __name__ == "__main__":
    main()
