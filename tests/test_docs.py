"""The documentation keeps up with the code: every CLI option of every command is in docs/cli.md."""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest

from bibbridge.cli import cli
from tests.conftest import ROOT

CLI_DOC = ROOT / "docs" / "cli.md"


def commands(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    yield " ".join(("bibbridge", *path)), command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from commands(sub, (*path, name))


OPTIONS = [
    (name, flag)
    for name, command in commands(cli)
    for param in command.params
    if isinstance(param, click.Option)
    for flag in (*param.opts, *param.secondary_opts)
    if flag != "--help"
]


def test_the_cli_has_options_to_check() -> None:
    assert len(OPTIONS) > 20 and any(name == "bibbridge bib" for name, _ in OPTIONS)


@pytest.mark.parametrize(("command", "flag"), OPTIONS, ids=[f"{c}:{f}" for c, f in OPTIONS])
def test_every_cli_option_is_in_docs_cli_md(command: str, flag: str) -> None:
    text = CLI_DOC.read_text(encoding="utf-8")
    # The flag as a word of its own (``--s2`` is not found inside ``--no-s2``; ``-o`` not in ``-or``).
    assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text), (
        f"{command} {flag} is not in docs/cli.md"
    )


@pytest.mark.parametrize("name", sorted(n for n, _ in commands(cli) if n != "bibbridge"))
def test_every_command_has_a_section(name: str) -> None:
    text = CLI_DOC.read_text(encoding="utf-8")
    assert re.search(rf"^##+ .*\b{re.escape(name.split()[-1])}\b", text, re.MULTILINE), name
