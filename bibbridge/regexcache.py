"""Large regular expressions compiled once per machine rather than once per process.

``re.compile`` of the .bib reader's entry pattern (~10,000 characters) takes ~40 ms here: a tenth of a
first key lookup's whole budget, paid again by every process. What it produces is CPython's ``_sre``
program, a list of integers; :func:`compile_cached` stores that list under ``cache_dir()/regex/`` and
hands it straight to ``_sre.compile`` the next time (which checks the program before using it). The
stored program is used only by the very same Python build (``sys.version``, ``_sre.MAGIC``, code size)
for the very same pattern and flags; on any other interpreter, and on any error, it is plain
``re.compile``. A lost or torn cache file only costs one compilation.
"""

from __future__ import annotations

import marshal
import re
import sys
import zlib
from pathlib import Path

from .atomic import write_cache_file

_MEMORY: dict[tuple[str, int], re.Pattern[str]] = {}


def compile_cached(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, its compiled program kept on disk between processes."""
    known = _MEMORY.get((pattern, flags))
    if known is not None:
        return known
    compiled = _compile(pattern, flags)
    _MEMORY[(pattern, flags)] = compiled
    return compiled


def _compile(pattern: str, flags: int) -> re.Pattern[str]:
    if sys.implementation.name != "cpython":
        return re.compile(pattern, flags)
    import _sre

    key = (sys.version, _sre.MAGIC, _sre.CODESIZE, int(flags), pattern)
    try:
        path = _path(key)
    except OSError:  # no cache directory to be had: compile every time
        return re.compile(pattern, flags)
    try:
        stored_key, program = marshal.loads(path.read_bytes())
        if stored_key == key:
            return _sre.compile(pattern, *program)
    except (OSError, EOFError, ValueError, TypeError, RuntimeError):
        pass  # no cache yet, or one this interpreter cannot use: compile
    try:
        from re import _compiler, _parser

        parsed = _parser.parse(pattern, flags)
        code = _compiler._code(parsed, flags)
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, index in groupindex.items():
            indexgroup[index] = name
        # The arguments re._compiler.compile hands to _sre.compile after the pattern, as plain ints
        # (the opcodes are int subclasses, which marshal refuses).
        program = (
            int(flags | parsed.state.flags),
            list(map(int, code)),
            parsed.state.groups - 1,
            groupindex,
            tuple(indexgroup),
        )
        compiled = _sre.compile(pattern, *program)
        data = marshal.dumps((key, program))
    except Exception:  # noqa: BLE001 - another CPython's internals: compile the documented way
        return re.compile(pattern, flags)
    write_cache_file(path, data)
    return compiled


def _path(key: tuple) -> Path:
    from .home import cache_dir

    digest = zlib.crc32(repr(key).encode("utf-8", "surrogatepass"))  # the key inside tells collisions
    return cache_dir() / "regex" / f"{digest:08x}.marshal"
