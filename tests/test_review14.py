"""Found in review of issue 14 (chunks as offsets, read_in_halves): cases where the table depended on
the cache state, or the read failed. The first came with read_in_halves; the other two were older (the
update logic they hit was unchanged from f132a57) but broke the same invariant."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from bibbridge.keylookup.bibtable import Chunks, bib_file_table, read_in_halves

FILLER = "".join(f"@article{{f{i}, title={{Filler {i}}}, author={{A, B}}}}\n" for i in range(10))


def rows(table) -> list[tuple]:  # noqa: ANN001
    return sorted(
        (table.row(s).key, table.row(s).title, table.lines[s])
        for s in range(table.slots)
        if table._get("rows")[s]
    )


def warm_and_cold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: str, second: str, bookkeeping: bool = True
) -> tuple:
    """``second``'s rows after a cache of ``first`` was updated, and read cold; ``bookkeeping``: whether
    ``first`` can be updated chunk by chunk (else it is read whole on every change)."""
    bib = tmp_path / "refs.bib"
    monkeypatch.setenv("BIBBRIDGE_HOME", str(tmp_path / "warm"))
    bib.write_text(first, encoding="utf-8")
    assert bool(bib_file_table(bib, "refs.bib").extra) == bookkeeping
    bib.write_text(second, encoding="utf-8")
    os.utime(bib, ns=(10**18, 10**18))
    warm = rows(bib_file_table(bib, "refs.bib"))
    monkeypatch.setenv("BIBBRIDGE_HOME", str(tmp_path / "cold"))
    return warm, rows(bib_file_table(bib, "refs.bib"))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
@pytest.mark.usefixtures("single_threaded")
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


def test_an_entry_moved_before_the_string_block_it_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(older than this change) The @string blocks are unchanged, so the context hash is too, and the
    entry's chunk is unchanged, so its cached row (macro expanded) is kept; read cold, the macro is not
    defined yet where the entry now stands."""
    entry = "@article{m, title = jn # { X}, author={A, B}}\n"
    first = "% head\n@string{jn = {Journal}}\n" + entry + FILLER
    second = "% head\n" + entry + "@string{jn = {Journal}}\n" + FILLER
    warm, cold = warm_and_cold(tmp_path, monkeypatch, first, second)
    assert warm == cold


@pytest.mark.parametrize(
    "block", ['@preamble("x\n@misc{b, title={y}}")\n', '@article(a, title = "x\n@misc{b, title={y}}")\n']
)
def test_a_quoted_value_holding_a_line_that_starts_with_at(
    block: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counting braces alone missed a chunk ending inside a quoted value (a quoted @preamble, or a
    parenthesised entry's quoted value, holding a line starting with "@"): when that line changed it
    was read alone, as an entry a full read never sees. Unpaired quotes now make the file one that is
    read whole."""
    first = FILLER + block + FILLER.replace("f", "g")
    second = first.replace("title={y}", "title={y2}")
    warm, cold = warm_and_cold(tmp_path, monkeypatch, first, second, bookkeeping=False)
    assert warm == cold
    assert "b" not in {key for key, *_ in warm}


def test_quotes_that_pair_up_keep_the_bookkeeping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    quoted = '@article{q, title = "M{\\"u}ller and {"}Quotes{"}", author={A, B}}\n'
    first = FILLER + quoted + FILLER.replace("f", "g")
    warm, cold = warm_and_cold(tmp_path, monkeypatch, first, first.replace("Filler 3", "Filler three"))
    assert warm == cold


def test_rows_tied_at_the_refine_cut_go_by_key_not_by_slot() -> None:
    """More rows than are refined tie on coverage, title length and line (entries on one line): which
    are refined must not depend on where the rows sit in the table (that is the cache's history)."""
    from bibbridge.keylookup.index import Record, Table
    from bibbridge.keylookup.match import REFINE_ROWS, parse_query, search_table

    records = [Record(f"k{n:03d}", f"Deep cats {n:03d}", ["Ann Author"], "2020", line=1) for n in range(90)]
    assert len(records) > REFINE_ROWS
    query = parse_query("deep cats")
    answers = []
    for order in (records, records[::-1], records[45:] + records[:45]):
        table = Table.build("refs.bib", order)
        answers.append([(table.row(row).key, score) for row, score, _ in search_table(table, query)])
    assert answers[0] == answers[1] == answers[2]
    assert [key for key, _ in answers[0]][:3] == ["k000", "k001", "k002"]
