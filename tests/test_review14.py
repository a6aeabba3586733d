"""Review of issue 14 (chunks as offsets, read_in_halves): cases where the table depends on the cache
state or the read fails. The first is new with read_in_halves; the other two are older than it (the
update logic they hit is unchanged from f132a57) but break the same invariant."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from bibbridge.keylookup.bibtable import Chunks, bib_file_table, read_in_halves

FILLER = "".join(f"@article{{f{i}, title={{Filler {i}}}, author={{A, B}}}}\n" for i in range(10))


def rows(table) -> list[tuple]:  # noqa: ANN001
    return sorted(
        (table.row(s).key, table.row(s).title, table.lines[s]) for s in range(table.slots) if table._get("rows")[s]
    )


def warm_and_cold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: str, second: str) -> tuple:
    """``second``'s rows after a cache of ``first`` was updated, and read cold."""
    bib = tmp_path / "refs.bib"
    monkeypatch.setenv("BIBBRIDGE_HOME", str(tmp_path / "warm"))
    bib.write_text(first, encoding="utf-8")
    assert bib_file_table(bib, "refs.bib").extra  # chunk bookkeeping kept
    bib.write_text(second, encoding="utf-8")
    os.utime(bib, ns=(10**18, 10**18))
    warm = rows(bib_file_table(bib, "refs.bib"))
    monkeypatch.setenv("BIBBRIDGE_HOME", str(tmp_path / "cold"))
    return warm, rows(bib_file_table(bib, "refs.bib"))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_halves_when_sigchld_is_ignored() -> None:
    """SIG_IGN for SIGCHLD is inherited across exec: the child is reaped by the kernel and
    os.waitpid raises ChildProcessError, which escapes bib_file_table."""
    text = "".join(f"@article{{f{i}, title={{Filler {i}}}, author={{A, B}}}}\n" for i in range(500))
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        table = read_in_halves(Chunks(text.encode()), "refs.bib")
    finally:
        signal.signal(signal.SIGCHLD, previous)
    assert table is not None and len(table) == 500


def test_an_entry_moved_before_the_string_block_it_uses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """(older than this change) The @string blocks are unchanged, so the context hash is too, and the
    entry's chunk is unchanged, so its cached row (macro expanded) is kept; read cold, the macro is not
    defined yet where the entry now stands."""
    entry = "@article{m, title = jn # { X}, author={A, B}}\n"
    first = "% head\n@string{jn = {Journal}}\n" + entry + FILLER
    second = "% head\n" + entry + "@string{jn = {Journal}}\n" + FILLER
    warm, cold = warm_and_cold(tmp_path, monkeypatch, first, second)
    assert warm == cold


def test_a_quoted_preamble_holding_a_line_that_starts_with_at(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(older than this change) Only braces are counted to find a chunk that ends inside a block: a
    quoted @preamble (or a parenthesised entry's quoted value) holding a line starting with "@" passes,
    and when that line changes it is read alone, as an entry a full read never sees."""
    first = FILLER + '@preamble("x\n@misc{b, title={y}}")\n' + FILLER.replace("f", "g")
    second = first.replace("title={y}", "title={y2}")
    warm, cold = warm_and_cold(tmp_path, monkeypatch, first, second)
    assert warm == cold
