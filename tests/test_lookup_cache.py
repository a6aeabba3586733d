"""A .bib's lookup table is the same, and so are the answers, whatever the cache did: read cold, loaded
warm, updated by the entries that changed after a rewrite (in any order), rebuilt from a corrupt cache,
or read by two processes. After a rewrite only the new entries are read again."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bibbridge.bib import reader
from bibbridge.keylookup import BibFile, Lookup, bibtable
from bibbridge.keylookup.bibtable import bib_file_table
from bibbridge.keylookup.index import cache_path_for
from tests.support.generated_bib import entry, generated_bib, many
from tests.support.lookup_tables import table_content


def chunks(text: str) -> list[str]:
    """The file's entries (and what follows each), cut before every line starting with '@'."""
    return ["@" + part if index else part for index, part in enumerate(text.split("\n@"))]


def joined(parts: list[str]) -> str:
    return "\n".join(part.rstrip("\n") + "\n" for part in parts)


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many entries each read of .bib text parsed (appended per read)."""
    counts: list[int] = []
    real = reader.scan_columns

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        columns = real(*args, **kwargs)
        counts.append(len(columns))
        return columns

    monkeypatch.setattr(reader, "scan_columns", counting)
    return counts


def cold_content(path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """The table of ``path`` read whole, with an empty cache."""
    monkeypatch.setenv("BIBBRIDGE_HOME", str(home))
    assert not cache_path_for(path.resolve(), "bib").exists()
    return table_content(bib_file_table(path, str(path)))


def answers(path: Path, queries: list[str]) -> list[list[tuple]]:
    finder = Lookup([BibFile(path)])
    return [
        [(m.key, m.score, m.matched, m.candidate.paper.source["line"]) for m in finder.search(q, min_score=0)]
        for q in queries
    ]


def test_a_rewrite_in_another_order_reads_only_the_new_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: list[int]
) -> None:
    """Better BibTeX's auto-export: the whole file rewritten, in another order, one entry added, one
    title changed, one entry removed."""
    monkeypatch.setenv("BIBBRIDGE_HOME", str(tmp_path / "home"))
    bib = tmp_path / "refs.bib"
    parts = chunks(generated_bib(600, seed=5))
    bib.write_text(joined(parts), encoding="utf-8")
    assert answers(bib, ["deep learning"])[0]
    assert parsed == [600]

    head, entries = parts[:4], parts[4:]  # the comment and @string lines opening the file, the entries
    assert all(part.startswith("@string") for part in head[1:])
    removed = re.match(r"@\w+\{([^,]+),", entries[10]).group(1)
    changed = re.match(r"@\w+\{([^,]+),", entries[20]).group(1)
    entries[20] = re.sub(
        r"title *= \{[^\n]*\},", "title = {Quokka Habitats of Rottnest},", entries[20], count=1
    )
    del entries[10]
    random.Random(1).shuffle(entries)
    entries.insert(
        300,
        "@article{newcomer2026,\n  title = {Wombat Burrows},\n  author = {Roo, Kanga},\n"
        "  year = {2026},\n}\n",
    )
    bib.write_text(joined([*head, *entries]), encoding="utf-8")

    found = answers(bib, ["quokka habitats rottnest", "wombat burrows", removed, "newcomer2026"])
    assert parsed == [600, 2]  # the changed entry and the new one
    assert found[0][0][:3] == (changed, 95, "words")
    assert found[1][0][:3] == ("newcomer2026", 95, "words")
    assert all(key != removed for key, *_ in found[2])
    assert not Lookup([BibFile(bib)]).knows(removed)
    assert found[3][0][:3] == ("newcomer2026", 100, "key")
    lines = bib.read_text(encoding="utf-8").splitlines()
    for ranking in found:
        for key, _, _, line in ranking:
            assert re.match(rf"@\w+\{{{re.escape(key)},", lines[line - 1])  # lines follow the new file

    updated = table_content(bib_file_table(bib, str(bib)))
    assert updated == cold_content(bib, tmp_path / "other-home", monkeypatch)


def edited_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: str, second: str) -> Path:
    """Read ``first``, then ``second`` in its place; assert the table is the one a full read gives."""
    import tempfile

    tmp_path = Path(tempfile.mkdtemp(dir=tmp_path))
    monkeypatch.setenv("BIBBRIDGE_HOME", str(tmp_path / "home"))
    bib = tmp_path / "refs.bib"
    bib.write_bytes(first.encode("utf-8") if isinstance(first, str) else first)
    bib_file_table(bib, str(bib))
    bib.write_bytes(second.encode("utf-8") if isinstance(second, str) else second)
    updated = table_content(bib_file_table(bib, str(bib)))
    assert updated == cold_content(bib, tmp_path / "cold-home", monkeypatch)
    return bib


def test_string_macros(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: list[int]) -> None:
    text = "@string{jname = {Journal of arXiv:2101.00001}}\n\n" + many("a", 40)
    bib = edited_twice(tmp_path, monkeypatch, text, text.replace("number 3}", "number three}"))
    assert parsed[1] == 1  # one entry read again, with the macro in front of it
    assert answers(bib, ["2101.00001"])[0][0][0] == "a0"  # the arXiv id the macro puts in the journal
    parsed.clear()
    edited_twice(tmp_path, monkeypatch, text, text.replace("2101.00001", "2101.00002"))
    assert parsed[1] == 40  # a macro changed: every entry is read again
    macro_later = text + "@string{other = {x}}\n" + entry("z", "Last one")
    parsed.clear()
    edited_twice(tmp_path, monkeypatch, macro_later, macro_later.replace("number 3}", "number three}"))
    assert parsed[1] == 1


def test_a_value_holding_a_line_starting_with_at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inner = "\n".join(f"@misc{{fake{i}, title={{not an entry}}}}" for i in range(5))
    text = many("a", 10) + entry("long", "Long abstract", f"\n  abstract = {{{inner}}},") + many("b", 10)
    bib = edited_twice(
        tmp_path, monkeypatch, text, text.replace("not an entry}}\n@misc{fake3", "x}}\n@misc{fake3")
    )
    assert all(k != "fake3" for k, *_ in answers(bib, ["fake3"])[0])
    assert answers(bib, ["long abstract"])[0][0][0] == "long"


def test_a_file_that_is_not_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = many("a", 10) + entry("m", "M\xfcller") + many("b", 10)
    bib = edited_twice(
        tmp_path,
        monkeypatch,
        text.encode("latin-1"),
        text.replace("number 4}", "number four}").encode("latin-1"),
    )
    assert answers(bib, ["müller"])[0][0][0] == "m"


def test_an_entry_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    twice = many("a", 5) + entry("same", "Twice over") + entry("same", "Twice over")
    bib = edited_twice(tmp_path, monkeypatch, twice, many("a", 5) + entry("same", "Twice over"))
    assert [k for k, *_ in answers(bib, ["twice over"])[0]] == ["same"]
    assert len(bib_file_table(bib, str(bib))) == 6


# -- the property: any query scores the same whatever the cache state ---------------------------------
BASE = chunks(generated_bib(400, seed=3))


def query_forms(parts: list[str], rng: random.Random) -> list[str]:
    out = []
    entries = [part for part in parts[4:] if re.match(r"@\w+\{[^,]+,", part) and "title" in part]
    for part in rng.sample(entries, 4):
        title = re.search(r"title *= \{([^\n]*)\},", part).group(1).replace("{", "").replace("}", "")
        words = title.split()
        rng.shuffle(words)
        out.append(" ".join(words[: rng.randint(1, 4)]))
        out.append(" ".join(w[:1] + w[2:] if len(w) > 5 else w for w in words[:3]))  # typos
        key = re.match(r"@\w+\{([^,]+),", part).group(1)
        out.append(key[: rng.randint(3, len(key))])
        out.append(f"{re.sub(r'[0-9a-z]+$', '', key)} {key[-4:]}")
    out += ["deep learning cats", "the Miller paper from 2015", "attention", "2019"]
    return out


def rewrite(parts: list[str], rng: random.Random) -> list[str]:
    head, entries = parts[:4], list(parts[4:])
    for _ in range(rng.randint(0, 5)):
        choice = rng.random()
        if choice < 0.3 and entries:
            del entries[rng.randrange(len(entries))]
        elif choice < 0.6 and entries:
            at = rng.randrange(len(entries))
            entries[at] = re.sub(r"title *= \{", "title = {Revised deep cat ", entries[at], count=1)
        else:
            n = rng.randrange(10**6)
            entries.insert(rng.randrange(len(entries) + 1), entry(f"new{n}", f"Learning cats number {n}"))
    if rng.random() < 0.5:
        rng.shuffle(entries)
    return [*head, *entries]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6))
def test_answers_do_not_depend_on_the_cache(seed: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    rng = random.Random(seed)
    work = tmp_path_factory.mktemp("states")
    before, after = rewrite(BASE, rng), None
    after = rewrite(before, rng)
    queries = query_forms(after, rng)
    bib = work / "refs.bib"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BIBBRIDGE_HOME", str(work / "partly"))
        bib.write_text(joined(before), encoding="utf-8")
        answers(bib, queries[:1])
        bib.write_text(joined(after), encoding="utf-8")
        partly = answers(bib, queries)  # updated by the entries that changed
        warm = answers(bib, queries)  # from the cache as just stored
        cache_path_for(bib.resolve(), "bib").write_bytes(b"torn")
        rebuilt = answers(bib, queries)
        patch.setenv("BIBBRIDGE_HOME", str(work / "cold"))
        cold = answers(bib, queries)
        patch.setattr(bibtable, "PARALLEL_BYTES", 0)  # read by two processes, half the file each
        patch.setenv("BIBBRIDGE_HOME", str(work / "halves"))
        halves = answers(bib, queries)
    assert partly == warm == rebuilt == cold == halves
    assert any(cold)


def test_a_macro_redefined_along_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: list[int]
) -> None:
    """A new entry is read with the macros as the file defines them before it, not after."""
    text = (
        "@string{jname = {arXiv:2101.00001}}\n\n"
        + many("a", 20)
        + '@STRING( jname = "arXiv:2101.00002" )\n'
        + many("b", 20)
        + "% @string{jname = {a comment, not a macro}}\n@comment{jabref-meta: x;}\n"
    )
    edit = text.replace("number 3}", "number three}")  # a3 and b3
    bib = edited_twice(tmp_path, monkeypatch, text, edit)
    assert parsed[1] == 2
    finder = Lookup([BibFile(bib)])
    assert {m.key for m in finder.search("2101.00002", limit=50)} == {f"b{i}" for i in range(20)}
    assert {m.key for m in finder.search("2101.00001", limit=50)} == {f"a{i}" for i in range(20)}


def test_a_macro_defined_inside_an_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: list[int]
) -> None:
    """An indented @string inside an entry's chunk changes how the later entries read: read whole."""
    host = entry("m", "Macro host")
    text = "@string{jname = {arXiv:2101.00001}}\n" + many("a", 5) + host + many("b", 5)
    bib = edited_twice(
        tmp_path, monkeypatch, text, text.replace(host, host + "  @string{jname = {arXiv:2101.00002}}\n")
    )
    assert parsed[1] == 11
    assert {m.key for m in Lookup([BibFile(bib)]).search("2101.00002", limit=20)} == {
        f"b{i}" for i in range(5)
    }
