"""Reading digests: a small registry of readers, input decoding, and the public ``read_digest(s)``.

A reader is a :class:`Reader`: a ``name``, a ``detect(text) -> float`` score (0 = not mine, 1 = surely
mine) and ``read(text, file, as_of) -> (papers, warnings)``. The built-in readers live in
:mod:`bibbridge.readers.text` and :mod:`bibbridge.readers.hf_json`; other packages add readers through
the entry-point group ``bibbridge.readers`` (each entry point names a :class:`Reader`). Entry points are
only looked up when no built-in reader recognises an input or a format name is unknown, so start-up
stays light.
"""

from __future__ import annotations

import datetime
import gc
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

from ..errors import InputError, ReadWarning, UsageError
from ..model import Paper, dedupe
from .decode import decode_bytes

__all__ = [
    "Reader",
    "ReadResult",
    "available_formats",
    "detect_reader",
    "get_reader",
    "parse_as_of",
    "read_digest",
    "read_digests",
    "register",
]

ReadFunc = Callable[[str, "str | None", datetime.date], "tuple[list[Paper], list[ReadWarning]]"]


@dataclass(frozen=True)
class Reader:
    """One input format.

    Attributes:
        name: the ``--format`` name (``text``, ``hf-daily`` …).
        detect: ``detect(text) -> float``: how sure the reader is that ``text`` is its format (0–1).
        read: ``read(text, file, as_of) -> (papers, warnings)``; raises
            :class:`~bibbridge.errors.InputError` for input it cannot read.
        description: one line for help texts.
    """

    name: str
    detect: Callable[[str], float]
    read: ReadFunc
    description: str = ""


@dataclass
class ReadResult:
    """What :func:`read_digests` returns: the merged papers and every warning, in input order."""

    papers: list[Paper] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)
    #: One line per live source read (``hf:2024-W43: 212 papers, 3 requests``).
    notices: list[str] = field(default_factory=list)


# Built-in readers, by name -> "module:attribute"; imported on first use.
_BUILTIN: dict[str, str] = {
    "jsonl": "bibbridge.readers.jsonl:READER",  # first: a one-record file also looks like a paper object
    "text": "bibbridge.readers.text:READER",
    "hf-daily": "bibbridge.readers.hf_json:DAILY",
    "hf-paper": "bibbridge.readers.hf_json:PAPER",
    "hf-search": "bibbridge.readers.hf_json:SEARCH",
    "hf-html": "bibbridge.readers.hf_json:HTML",
}
_registered: dict[str, Reader] = {}
_plugins_loaded = False


def register(reader: Reader) -> None:
    """Add (or replace) a reader; later detection and ``format=`` lookups see it."""
    _registered[reader.name] = reader


def _builtin(name: str) -> Reader:
    module_name, attr = _BUILTIN[name].split(":")
    return getattr(import_module(module_name), attr)


def _load_plugins() -> None:
    """Register readers from the ``bibbridge.readers`` entry-point group (once)."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from importlib.metadata import entry_points

    for ep in entry_points(group="bibbridge.readers"):
        try:
            reader = ep.load()
        except Exception as exc:  # a broken plug-in must not break the built-in formats
            print(f"bibbridge: warning: reader plug-in {ep.name!r} failed to load: {exc}", file=sys.stderr)
            continue
        if callable(reader) and not isinstance(reader, Reader) and not hasattr(reader, "detect"):
            reader = reader()  # a factory
        if not hasattr(reader, "name") or ep.name in _BUILTIN:
            continue
        _registered.setdefault(reader.name, reader)


def available_formats(include_plugins: bool = True) -> list[str]:
    """Names accepted by ``format=``: the built-ins, then registered and plug-in readers."""
    if include_plugins:
        _load_plugins()
    return [*_BUILTIN, *(name for name in _registered if name not in _BUILTIN)]


def get_reader(name: str) -> Reader:
    """The reader called ``name``; :class:`UsageError` when there is none."""
    if name in _registered:
        return _registered[name]
    if name in _BUILTIN:
        return _builtin(name)
    _load_plugins()
    if name in _registered:
        return _registered[name]
    raise UsageError(f"unknown format {name!r} (known: {', '.join(available_formats())})")


def _best(readers: Sequence[Reader], text: str) -> Reader | None:
    best, best_score = None, 0.0
    for reader in readers:
        score = float(reader.detect(text) or 0)
        if score > best_score:
            best, best_score = reader, score
    return best


def detect_reader(text: str, file: str | None = None) -> Reader:
    """The reader most sure of ``text``; plug-ins are asked only when no built-in recognises it."""
    own = [_registered[n] if n in _registered else _builtin(n) for n in _BUILTIN]
    own += [r for n, r in _registered.items() if n not in _BUILTIN]
    reader = _best(own, text)
    if reader is None:
        _load_plugins()
        reader = _best([r for n, r in _registered.items() if n not in _BUILTIN], text)
    if reader is None:
        from .text import other_format

        kind = other_format(text)
        raise InputError(
            "not a digest bibbridge recognises (a Hugging Face Daily Papers text copy, JSON or HTML page)"
            f"{f'; it looks like {kind}' if kind else ''}; use --format to force one",
            file=file,
        )
    return reader


# -- capture date ------------------------------------------------------------------------------
def parse_as_of(as_of: datetime.date | str | None) -> datetime.date:
    """The capture date: a date, ``'YYYY-MM-DD'``, or None for today."""
    if as_of is None:
        return datetime.date.today()
    if isinstance(as_of, datetime.datetime):
        return as_of.date()
    if isinstance(as_of, datetime.date):
        return as_of
    try:
        return datetime.date.fromisoformat(str(as_of).strip())
    except ValueError:
        raise UsageError(f"invalid capture date {as_of!r} (expected YYYY-MM-DD)") from None


# -- sources -----------------------------------------------------------------------------------
def _looks_like_content(value: str) -> bool:
    return "\n" in value or value.lstrip()[:1] in ("{", "[", "<")


def _load_source(source: str | Path | bytes) -> tuple[str, str]:
    """``(display name, decoded text)`` for a path, ``-`` (stdin), raw bytes or a digest's text."""
    if isinstance(source, bytes):
        return "<bytes>", decode_bytes(source, "<bytes>")
    if isinstance(source, str) and source == "-":
        stream = getattr(sys.stdin, "buffer", None)
        data = stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
        return "<stdin>", decode_bytes(data, "<stdin>")
    if isinstance(source, str) and _looks_like_content(source):
        return "<text>", decode_bytes(source.encode("utf-8", "surrogatepass"), "<text>")
    name = str(source)
    try:
        data = Path(source).read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", file=name) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a digest", file=name) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=name) from None
    return name, decode_bytes(data, name)


def _read_one(
    source: str | Path | bytes, as_of: datetime.date, format: str | None, strict: bool
) -> tuple[list[Paper], list[ReadWarning]]:
    name, text = _load_source(source)
    if not text.strip():
        raise InputError("empty file, no papers in it", file=name)
    reader = get_reader(format) if format else detect_reader(text, name)
    papers, warnings = reader.read(text, name, as_of)
    if strict and warnings:
        first = warnings[0]
        raise InputError(f"{first.message} (--strict)", file=first.file or name, line=first.line)
    if not papers:
        raise InputError(f"no papers found (read as {reader.name})", file=name)
    return papers, warnings


def read_digests(
    sources: Sequence[str | Path | bytes],
    as_of: datetime.date | str | None = None,
    format: str | None = None,
    strict: bool = False,
    offline: bool = False,
    today: datetime.date | str | None = None,
) -> ReadResult:
    """Read several digests into one deduplicated list of papers.

    Args:
        sources: paths, ``"-"`` for standard input, a digest's text itself, or live Hugging Face
            sources (``hf:2024-10-25``, ``hf:yesterday``, ``hf:2024-W43``, ``hf:2024-10``,
            ``hf:FROM..TO``, ``arxiv:ID``; see :mod:`bibbridge.readers.hf_live`).
        as_of: capture date for year-less dates (date or ``'YYYY-MM-DD'``; default today).
        format: force a reader (``text``, ``hf-daily``, ``hf-paper``, ``hf-search``, ``hf-html`` or a
            plug-in's name); detected from each input's content when None.
        strict: raise :class:`InputError` on the first warning instead of reporting it.
        offline: live sources from the cache only (no request).
        today: what ``hf:today`` means (default ``$BIBBRIDGE_TODAY``, else the local date).

    Returns:
        :class:`ReadResult` with the papers (the same paper met twice is merged, first-seen order)
        and the warnings (each with file and line).

    Raises:
        InputError: an input is missing, unreadable, binary, empty, unrecognised or holds no paper;
            a live source's paper is unknown or the Hub cannot be reached (a day without papers is
            no error).
        UsageError: a bad ``as_of``, an unknown ``format``, a malformed or future live source.
    """
    capture = parse_as_of(as_of)
    if format == "auto":
        format = None
    result = ReadResult()
    papers: list[Paper] = []
    # Reading makes many small objects and no reference cycles: the cyclic collector would only walk
    # them over and over (about 15% of the time on a 10 MB digest), so it pauses while we read.
    collecting = gc.isenabled()
    gc.disable()
    hub = None
    try:
        for source in sources:
            if _is_live(source):
                from .hf_live import Hub

                hub = hub or Hub(offline=offline, today=today)
                got, warnings, stats = hub.read(str(source))
                result.notices.append(
                    f"{source}: {len(got)} paper{'' if len(got) == 1 else 's'} "
                    f"({stats.requests} request{'' if stats.requests == 1 else 's'}, "
                    f"{stats.from_cache} of {stats.queries} from cache)"
                )
                if strict and warnings:
                    raise InputError(f"{warnings[0].message} (--strict)", file=str(source))
            else:
                got, warnings = _read_one(source, capture, format, strict)
            papers.extend(got)
            result.warnings.extend(warnings)
        result.papers = dedupe(papers)
    finally:
        if hub is not None:
            hub.close()
        if collecting:
            gc.enable()
    return result


def _is_live(source: str | Path | bytes) -> bool:
    head = source[:6].lower() if isinstance(source, str) else ""
    if not (head.startswith("hf:") or head == "arxiv:") or "\n" in source:
        return False
    from .hf_live import is_live_spec

    return is_live_spec(source)


def read_digest(
    path_or_text: str | Path | bytes,
    as_of: datetime.date | str | None = None,
    format: str | None = None,
    strict: bool = False,
    offline: bool = False,
    today: datetime.date | str | None = None,
) -> list[Paper]:
    """Read one digest (a path, ``"-"`` for stdin, or the digest's text) into papers.

    A ``str`` holding a line break, or starting with ``{``, ``[`` or ``<``, is read as the digest's
    content; any other ``str`` and every :class:`~pathlib.Path` is a file name. Warnings are dropped
    here (use :func:`read_digests` to see them, or ``strict=True`` to make them errors). A live source
    (``"hf:yesterday"``, ``"arxiv:2401.01234"`` …) is fetched from the Hub, see :func:`read_digests`.
    """
    return read_digests(
        [path_or_text], as_of=as_of, format=format, strict=strict, offline=offline, today=today
    ).papers
