"""`bibbridge parse`: digests in, JSON Lines (or a table) out; counts, warnings and errors on stderr."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import AS_OF, FIXTURES, digest_path

from bibbridge.cli import READ_FORMATS, cli
from bibbridge.model import FIELD_ORDER
from bibbridge.readers import available_formats
from tests.support.console import assert_one_line_error, console

LISTING = digest_path("000_15dd5ef3f356a94c.txt")
BLOCKS = digest_path("001_88429e94ceb0c524.txt")
ABSTRACT = (
    "We present a model trained on many tokens that reaches strong results on agentic, reasoning and "
    "coding tasks, and we release the weights and the code for everyone to use."
)


def run(*args: str, input: bytes | str | None = None):
    return CliRunner().invoke(cli, ["parse", *args], input=input)


def test_parse_writes_one_json_object_per_paper():
    result = run(str(LISTING), "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 30
    assert list(records[0]) == list(FIELD_ORDER)
    assert records[0]["title"] == "Generative Marginalization Models"
    assert (records[0]["author_count"], records[0]["published"]) == (3, "2023-10-19")
    assert records[0]["source"] == {"file": str(LISTING), "line": 13}
    assert result.stderr == "bibbridge: 30 papers\n"


def test_parse_reads_stdin():
    result = run("-", "--as-of", AS_OF, input=BLOCKS.read_bytes())
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 74
    assert json.loads(lines[0])["source"] == {"file": "<stdin>", "line": 11}


def test_parse_table():
    result = run(str(LISTING), "--as-of", AS_OF, "--table")
    assert result.exit_code == 0
    header, first, second, *rest = result.stdout.splitlines()
    assert header.split() == ["#", "published", "authors", "up", "arxiv", "title"]
    assert first.split()[:3] == ["1", "2023-10-19", "3"]
    assert second.split()[:2] == ["2", "The"]  # no date, no author count: empty cells
    assert len(rest) == 28


def test_parse_several_digests_merges_shared_papers():
    result = run(str(LISTING), str(BLOCKS), "--as-of", AS_OF)
    titles = [json.loads(line)["title"] for line in result.stdout.splitlines()]
    assert len(titles) == 99 and titles.count("Order Matters: Sequence to sequence for sets") == 1
    assert result.stderr.endswith("bibbridge: 99 papers\n")


def test_parse_says_which_capture_date_it_assumed():
    result = run(str(LISTING))
    assert result.exit_code == 0
    assert "year-less dates read as of today" in result.stderr and "--as-of" in result.stderr


def test_parse_json_input_and_forced_format():
    daily = FIXTURES / "huggingface" / "daily_papers.json"
    result = run(str(daily), "--as-of", AS_OF, "--format", "hf-daily")
    assert [json.loads(line)["arxiv_id"] for line in result.stdout.splitlines()] == [
        "2508.06471",
        "2310.12920",
        "1511.06391",
    ]
    wrong = run(str(daily), "--as-of", AS_OF, "--format", "hf-paper")
    assert wrong.exit_code == 2
    assert wrong.stderr == f"bibbridge: error: {daily}:1: expected a paper object, found an array\n"


def test_read_formats_match_the_registry():
    assert list(READ_FORMATS) == ["auto", *available_formats(include_plugins=False)]


def test_warnings_go_to_stderr_with_line_numbers(tmp_path):
    digest = tmp_path / "digest.txt"
    digest.write_text(f"First Title\nSecond Title\n{ABSTRACT}\n")
    result = run(str(digest), "--as-of", AS_OF)
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 2
    assert f"bibbridge: {digest}:1: warning: title with no abstract: 'First Title'\n" in result.stderr


def test_strict_makes_warnings_errors_and_writes_nothing(tmp_path):
    digest = tmp_path / "digest.txt"
    digest.write_text(f"First Title\nSecond Title\n{ABSTRACT}\n")
    result = run(str(LISTING), str(digest), "--as-of", AS_OF, "--strict")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (
        result.stderr == f"bibbridge: error: {digest}:1: title with no abstract: 'First Title' (--strict)\n"
    )


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "empty file, no papers in it"),
        (b"\x00\x01\x02binary\x00", "binary data (NUL byte), not a text digest"),
        (b"just a note\n", "not a digest bibbridge recognises"),
        (b"new\n\nSubscribe\n\nApr 17\n", "no papers found (read as text)"),
        (b"[1, 2", "invalid JSON"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, content, message):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    result = console("parse", LISTING, bad, "--as-of", AS_OF)  # the real script: tracebacks would show
    assert result.stdout == ""  # the good digest before it is not half-written either
    assert assert_one_line_error(result, message).startswith(f"bibbridge: error: {bad}")
    assert result.stderr.count("\n") == 1


def test_missing_file_and_bad_options():
    missing = run("no-such-digest.txt", "--as-of", AS_OF)
    assert (missing.exit_code, missing.stderr) == (2, "bibbridge: error: no-such-digest.txt: no such file\n")
    bad_date = run(str(LISTING), "--as-of", "2026-13-01")
    assert bad_date.exit_code == 2
    assert bad_date.stderr == "bibbridge: error: invalid capture date '2026-13-01' (expected YYYY-MM-DD)\n"
    bad_format = run(str(LISTING), "--format", "bibtex")
    assert bad_format.exit_code == 2 and "Invalid value for '--format'" in bad_format.stderr


def _console_script() -> list[str]:
    exe = shutil.which("bibbridge")
    return [exe] if exe else [sys.executable, "-m", "bibbridge"]


def test_the_installed_command_end_to_end(tmp_path):
    ok = subprocess.run(
        [*_console_script(), "parse", "-", "--as-of", AS_OF, "--table"],
        input=LISTING.read_bytes(),
        capture_output=True,
        check=False,
    )
    assert ok.returncode == 0 and len(ok.stdout.decode().splitlines()) == 31
    assert ok.stderr.decode() == "bibbridge: 30 papers\n"
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00")
    failed = subprocess.run([*_console_script(), "parse", str(bad)], capture_output=True, check=False)
    assert failed.returncode == 2 and failed.stdout == b""
    assert failed.stderr.decode().endswith(
        f"bibbridge: error: {bad}: binary data (NUL byte), not a text digest\n"
    )
    assert b"Traceback (most recent call last)" not in failed.stderr  # a real process would show one
    assert failed.stderr.count(b"bibbridge: error: ") == 1
