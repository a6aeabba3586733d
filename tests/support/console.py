"""Run the real console script (``.venv/bin/bibbridge``) for bad-input tests: click's CliRunner catches
every exception itself, so only a real process can show that no traceback reaches the user."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

_BESIDE_PYTHON = Path(sys.executable).parent / "bibbridge"


def console_command() -> list[str]:
    """The installed ``bibbridge`` script of this environment (else ``python -m bibbridge``)."""
    if _BESIDE_PYTHON.exists():
        return [str(_BESIDE_PYTHON)]
    found = shutil.which("bibbridge")
    return [found] if found else [sys.executable, "-m", "bibbridge"]


def console(
    *args: object, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``bibbridge ARGS…`` as a process, with this test's environment (its BIBBRIDGE_HOME) plus ``env``."""
    environment = {**os.environ, **(env or {})}
    return subprocess.run(
        [*console_command(), *map(str, args)],
        capture_output=True,
        text=True,
        env=environment,
        input=input,
        timeout=120,
        check=False,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *parts: str, code: int = 2) -> str:
    """Exit ``code``, nothing on stdout but what came before, and stderr ending in exactly one
    ``bibbridge: error: …`` line holding ``parts``, with no traceback anywhere; returns that line."""
    assert proc.returncode == code, proc.stderr
    assert "Traceback (most recent call last)" not in proc.stderr, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines and lines[-1].startswith("bibbridge: error: "), proc.stderr
    assert sum(line.startswith("bibbridge: error: ") for line in lines) == 1, proc.stderr
    for part in parts:
        assert part in lines[-1], proc.stderr
    return lines[-1]


def assert_usage_error(proc: subprocess.CompletedProcess[str], *parts: str) -> None:
    """A click usage error (exit 2, ``Usage:`` … ``Error: …``), with no traceback."""
    assert proc.returncode == 2, proc.stderr
    assert "Traceback (most recent call last)" not in proc.stderr, proc.stderr
    for part in parts:
        assert part in proc.stderr, proc.stderr
