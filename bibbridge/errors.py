"""Errors a user can act on. The CLI prints ``str(error)`` as one line and exits with ``exit_code``."""

from __future__ import annotations


class BibbridgeError(Exception):
    """Base class: a one-line message, optionally located at ``file:line``."""

    exit_code = 2

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        return f"{where}{self.message}"


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
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        return f"{where}warning: {self.message}"

    def __repr__(self) -> str:
        return f"ReadWarning({str(self)!r})"
