"""Errors a user can act on. The CLI prints ``str(error)`` as one line and exits with ``exit_code``."""

from __future__ import annotations


def location(file: str | None, line: int | None) -> str:
    """``"FILE:LINE: "``, ``"FILE: "`` or ``""``: the prefix of every message about an input."""
    if file is None:
        return ""
    return f"{file}:{line}: " if line is not None else f"{file}: "


class BibbridgeError(Exception):
    """Base class: a one-line message, optionally located at ``file:line``."""

    exit_code = 2

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        return f"{location(self.file, self.line)}{self.message}"


class InputError(BibbridgeError):
    """A digest, .bib or other input that cannot be read (exit 2)."""


class UsageError(BibbridgeError):
    """Bad arguments or configuration (exit 2)."""


class AuthError(BibbridgeError):
    """Credentials missing or refused (exit 2). Never carries the secret itself."""


class ReadWarning:
    """A suspicious but readable spot in an input (a title with no abstract, a stray metadata line)."""

    __slots__ = ("message", "file", "line")

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        return f"{location(self.file, self.line)}warning: {self.message}"

    def __repr__(self) -> str:
        return f"ReadWarning({str(self)!r})"
