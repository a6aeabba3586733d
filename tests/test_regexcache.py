"""bibbridge.regexcache: a pattern compiled from its stored ``_sre`` program is ``re.compile``'s pattern.

Every test runs with its own empty BIBBRIDGE_HOME (tests/conftest.py), so ``cache_dir()/regex/`` starts
empty; the in-process memo is emptied too, so each call below really goes to the disk (or compiles).
"""

from __future__ import annotations

import json
import marshal
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from bibbridge import regexcache
from bibbridge.home import cache_dir
from bibbridge.regexcache import compile_cached
from tests.support.generated_bib import generated_bib

pytestmark = pytest.mark.skipif(sys.implementation.name != "cpython", reason="the cache stores _sre programs")

# (pattern, flags): named and numbered groups, back references, look-behind, possessive and lazy
# quantifiers, a conditional group, inline and explicit flags, Unicode classes, and a bytes pattern.
PATTERNS = [
    (r"(?P<year>\d{4})-(?P<month>\d\d)(?:-(?P<day>\d\d))?", 0),
    (r"^\s*(?P<name>[a-z]+)\s*=\s*(?P<value>.*?)\s*$", re.MULTILINE),
    (r"m(?:ü|ue)ller.+?(\d+)", re.IGNORECASE | re.DOTALL),
    (r"(?x) \b (?P<word> \w+ ) \s+ (?P=word) \b  # a doubled word", 0),
    (r"(?<=@)[a-z]++\{(?P<key>[^,]*+),", re.IGNORECASE),
    (r"(<)?\w+(?(1)>|;)", 0),
    (r"[^\x00-\x7f]+|\w+", re.ASCII),
    (r"(?i:ARXIV):(\d{4}\.\d{4,5})(v\d+)?", 0),
    (rb"(?P<tag>[A-Z]+)=(?P<value>[^\x00;]*)", re.IGNORECASE),
]
SAMPLES = [
    "2023-05-17 and 1999-12, not 12-2023",
    "title = Attention\n  year=2017 \nauthor = Vaswani\n= nothing",
    "MÜLLER et al.\n wrote 42 papers; Mueller 7",
    "the the cat sat sat on the mat mat",
    "@article{vaswani2017attention,\n @MISC{Key:2020, @misc{,",
    "<tag> word; <open word> ;",
    "Łukasz naïve café ½ — Müller",
    "arXiv:2310.12920v2, ARXIV:1706.03762 and arxiv:99",
    "",
]


@pytest.fixture(autouse=True)
def empty_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    """No pattern is remembered in this process: compile_cached reads the disk or compiles."""
    monkeypatch.setattr(regexcache, "_MEMORY", {})


def key_of(pattern: str | bytes, flags: int) -> tuple:
    import _sre

    return (sys.version, _sre.MAGIC, _sre.CODESIZE, int(flags), pattern)


def cache_file(pattern: str | bytes, flags: int) -> Path:
    return regexcache._path(key_of(pattern, flags))


def behaviour(compiled: re.Pattern, samples: list[str] = SAMPLES) -> dict:
    """Everything a caller can see of a pattern, on the samples (as bytes for a bytes pattern)."""
    texts = [s.encode("utf-8") if isinstance(compiled.pattern, bytes) else s for s in samples]
    empty = texts[-1][:0]
    return {
        "pattern": compiled.pattern,
        "flags": compiled.flags,
        "groups": compiled.groups,
        "groupindex": dict(compiled.groupindex),
        "finditer": [
            [
                (m.span(), m.group(), m.groups(), m.groupdict(), m.lastindex, m.lastgroup)
                for m in compiled.finditer(text)
            ]
            for text in texts
        ],
        "match": [m and m.span() for m in map(compiled.match, texts)],
        "fullmatch": [m and m.span() for m in map(compiled.fullmatch, texts)],
        "sub": [
            compiled.sub(empty + type(empty)(b"<\\g<0>>" if empty == b"" else "<\\g<0>>"), text)
            for text in texts
        ],
        "split": [compiled.split(text) for text in texts],
    }


def counting_code(monkeypatch: pytest.MonkeyPatch) -> list:
    """Count the calls of the regex compiler proper (re._compiler._code): none when a program is loaded."""
    from re import _compiler

    calls: list = []
    real = _compiler._code

    def counted(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(_compiler, "_code", counted)
    return calls


@pytest.mark.parametrize(("pattern", "flags"), PATTERNS)
def test_a_cached_pattern_is_re_compiles_pattern(pattern, flags, monkeypatch):
    expected = behaviour(re.compile(pattern, flags))
    first = compile_cached(pattern, flags)  # compiled, and its program stored
    assert behaviour(first) == expected
    stored = cache_file(pattern, flags)
    assert stored.is_file() and stored.parent == cache_dir() / "regex"
    assert marshal.loads(stored.read_bytes())[0] == key_of(pattern, flags)

    monkeypatch.setattr(regexcache, "_MEMORY", {})
    compiler_calls = counting_code(monkeypatch)
    second = compile_cached(pattern, flags)  # from the stored program
    assert compiler_calls == []
    assert second is not first
    assert behaviour(second) == expected
    assert compile_cached(pattern, flags) is second  # then remembered in this process


def test_patterns_differing_in_flags_only_are_kept_apart():
    plain = compile_cached("abc")
    caseless = compile_cached("abc", re.IGNORECASE)
    assert cache_file("abc", 0) != cache_file("abc", re.IGNORECASE)
    assert plain.match("ABC") is None and caseless.match("ABC") is not None
    assert caseless.flags == re.compile("abc", re.IGNORECASE).flags


def test_invalid_patterns_raise_as_re_compile_does():
    with pytest.raises(re.error, match="missing \\)"):
        compile_cached("(unclosed")
    with pytest.raises(ValueError, match="LOCALE"):
        compile_cached("a", re.LOCALE)
    assert not (cache_dir() / "regex").exists() or not list((cache_dir() / "regex").iterdir())


def test_the_bib_readers_entry_pattern_from_disk_reads_a_library_as_re_compile(monkeypatch):
    from bibbridge.bib import reader

    text = generated_bib(60, seed=2)
    source = reader._entry_pattern(("author", "title", "year")).pattern  # ~10,000 characters
    compile_cached(source)
    monkeypatch.setattr(regexcache, "_MEMORY", {})
    compiler_calls = counting_code(monkeypatch)
    loaded = compile_cached(source)
    assert compiler_calls == []

    def entries(compiled: re.Pattern) -> list:
        return [(m.span(), m.groups()) for m in compiled.finditer(text)]

    expected = entries(re.compile(source))
    assert len(expected) >= 50  # whole entries, with their fields
    assert all(any(groups[2:]) for _, groups in expected)  # each with a wanted field captured
    assert entries(loaded) == expected


# -- between processes --------------------------------------------------------------------------------
CHILD = """
import json, sys
from re import _compiler
import bibbridge.home, bibbridge.regexcache as regexcache
calls = []
real = _compiler._code
_compiler._code = lambda *args: calls.append(1) or real(*args)
pattern, flags, samples = json.loads(sys.argv[1])
compiled = regexcache.compile_cached(pattern, flags)
print(json.dumps({
    "compiled": len(calls),
    "flags": compiled.flags,
    "groupindex": dict(compiled.groupindex),
    "found": [[[m.span(), m.groups()] for m in compiled.finditer(text)] for text in samples],
}))
"""


def run_child(pattern: str, flags: int, home: Path) -> dict:
    env = dict(os.environ, BIBBRIDGE_HOME=str(home), PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps([pattern, flags, SAMPLES])],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def test_a_fresh_process_loads_the_stored_program(bibbridge_home: Path, tmp_path: Path):
    pattern, flags = PATTERNS[2]
    reference = re.compile(pattern, flags)
    expected_found = [[[list(m.span()), list(m.groups())] for m in reference.finditer(t)] for t in SAMPLES]

    compile_cached(pattern, flags)  # this process stores the program
    stored = cache_file(pattern, flags)
    before = stored.read_bytes(), stored.stat().st_mtime_ns
    child = run_child(pattern, flags, bibbridge_home)
    assert child["compiled"] == 0  # the child never ran the compiler: it loaded the program
    assert child["flags"] == reference.flags and child["groupindex"] == dict(reference.groupindex)
    assert child["found"] == expected_found
    assert (stored.read_bytes(), stored.stat().st_mtime_ns) == before

    # The control: a process with an empty home compiles, and stores the program for the next one.
    other_home = tmp_path / "other-home"
    child = run_child(pattern, flags, other_home)
    assert child["compiled"] >= 1 and child["found"] == expected_found
    assert [p.name for p in (other_home / "regex").iterdir()] == [stored.name]
    assert run_child(pattern, flags, other_home)["compiled"] == 0


# -- damaged, foreign and unwritable caches ------------------------------------------------------------
def damage(kind: str, data: bytes) -> bytes:
    key, program = marshal.loads(data)
    return {
        "garbage": b"\x00not marshal data\xff" * 4,
        "empty": b"",
        "truncated": data[: len(data) // 2],
        "one byte short": data[:-1],
        "not a pair": marshal.dumps(42),
        "a triple": marshal.dumps((key, program, "extra")),
        # The right key, but a program _sre refuses (it checks a program before using it).
        "broken program": marshal.dumps((key, (program[0], program[1][:-5], *program[2:]))),
        "scrambled program": marshal.dumps((key, (program[0], program[1][::-1], *program[2:]))),
        "program of wrong shape": marshal.dumps((key, "not a program")),
    }[kind]


@pytest.mark.parametrize(
    "kind",
    [
        "garbage",
        "empty",
        "truncated",
        "one byte short",
        "not a pair",
        "a triple",
        "broken program",
        "scrambled program",
        "program of wrong shape",
    ],
)
def test_a_damaged_cache_file_is_compiled_again(kind, monkeypatch):
    pattern, flags = PATTERNS[0]
    expected = behaviour(re.compile(pattern, flags))
    compile_cached(pattern, flags)
    stored = cache_file(pattern, flags)
    stored.write_bytes(damage(kind, stored.read_bytes()))

    monkeypatch.setattr(regexcache, "_MEMORY", {})
    compiler_calls = counting_code(monkeypatch)
    assert behaviour(compile_cached(pattern, flags)) == expected
    assert compiler_calls  # compiled, not loaded
    # ... and the good program is stored again.
    assert marshal.loads(stored.read_bytes())[0] == key_of(pattern, flags)
    assert [p.name for p in stored.parent.iterdir()] == [stored.name]  # no temporary file left


@pytest.mark.parametrize(
    "other",
    [(PATTERNS[1][0], PATTERNS[1][1]), (PATTERNS[0][0], re.IGNORECASE), (PATTERNS[0][0] + "x", 0)],
    ids=["another pattern", "other flags", "a longer pattern"],
)
def test_a_cache_file_for_another_key_is_not_used(other, monkeypatch):
    # As if two keys' checksums collided (or the file was copied): the key stored inside tells them apart.
    pattern, flags = PATTERNS[0]
    other_pattern, other_flags = other
    compile_cached(other_pattern, other_flags)
    cache_file(pattern, flags).write_bytes(cache_file(other_pattern, other_flags).read_bytes())

    compiler_calls = counting_code(monkeypatch)
    compiled = compile_cached(pattern, flags)
    assert compiler_calls
    assert behaviour(compiled) == behaviour(re.compile(pattern, flags))
    assert marshal.loads(cache_file(pattern, flags).read_bytes())[0] == key_of(pattern, flags)


def test_a_stored_program_of_another_python_build_is_not_used(monkeypatch):
    pattern, flags = PATTERNS[3]
    compile_cached(pattern, flags)
    stored = cache_file(pattern, flags)
    key, program = marshal.loads(stored.read_bytes())
    stored.write_bytes(marshal.dumps((("3.0.0 (other build)", *key[1:]), program)))
    monkeypatch.setattr(regexcache, "_MEMORY", {})
    compiler_calls = counting_code(monkeypatch)
    assert behaviour(compile_cached(pattern, flags)) == behaviour(re.compile(pattern, flags))
    assert compiler_calls


def test_an_unwritable_cache_dir_still_compiles(bibbridge_home: Path):
    # A file where the regex folder should be: nothing can be read from or stored under it.
    blocker = bibbridge_home / "regex"
    blocker.write_text("not a folder")
    for pattern, flags in PATTERNS:
        assert behaviour(compile_cached(pattern, flags)) == behaviour(re.compile(pattern, flags))
    assert blocker.read_text() == "not a folder"
    assert sorted(p.name for p in bibbridge_home.iterdir()) == ["regex"]  # no temporary file left


def test_a_cache_file_that_is_a_folder_is_compiled_around():
    pattern, flags = PATTERNS[4]
    cache_file(pattern, flags).mkdir(parents=True)
    assert behaviour(compile_cached(pattern, flags)) == behaviour(re.compile(pattern, flags))
    assert cache_file(pattern, flags).is_dir()
    assert [p.name for p in cache_file(pattern, flags).parent.iterdir()] == [cache_file(pattern, flags).name]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_cache_dir_still_compiles(bibbridge_home: Path):
    folder = bibbridge_home / "regex"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        for pattern, flags in PATTERNS:
            assert behaviour(compile_cached(pattern, flags)) == behaviour(re.compile(pattern, flags))
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_a_cache_home_that_cannot_be_created_still_compiles(tmp_path: Path, monkeypatch):
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("")
    monkeypatch.setenv("BIBBRIDGE_HOME", str(in_the_way / "home"))
    pattern, flags = PATTERNS[0]
    assert behaviour(compile_cached(pattern, flags)) == behaviour(re.compile(pattern, flags))
