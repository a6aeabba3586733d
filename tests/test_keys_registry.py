"""The key registry: a key once given never changes; clashes get Better BibTeX postfixes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import bibbridge
from bibbridge import home
from bibbridge.errors import UsageError
from bibbridge.keys import KeyRegistry, compile_formula
from bibbridge.keys.fold import key_fold
from bibbridge.keys.registry import KeyRow, postfix
from bibbridge.model import Paper

GPT3_TITLE = "Language Models are Few-Shot Learners"


@pytest.fixture
def registry(tmp_path: Path):
    with KeyRegistry(tmp_path / "state.sqlite") as reg:
        yield reg


def paper(title: str = GPT3_TITLE, **fields) -> Paper:
    return Paper(title=title, **fields)


# -- stability --------------------------------------------------------------------------------------
def test_a_key_never_changes_when_the_paper_gains_authors_and_an_arxiv_id(registry: KeyRegistry) -> None:
    bare = paper(published="2020-05-28")
    first = registry.assign([bare])
    assert first == {bare.identity: "LanguageModelsAre2020"}

    complete = paper(arxiv_id="2005.14165", authors=["Tom B. Brown", "Benjamin Mann"], published="2020-07-22")
    again = registry.assign([complete])
    assert again == {complete.identity: "LanguageModelsAre2020"}  # not brownLanguageModelsAre2020
    # The arXiv id and authors found later are stored, so the paper is now found by its id alone.
    assert registry.find(paper("a different title", arxiv_id="2005.14165")) == "LanguageModelsAre2020"
    assert list(registry.rows()) == [
        KeyRow(
            "LanguageModelsAre2020", "2005.14165", None, GPT3_TITLE, ["Tom B. Brown", "Benjamin Mann"], "2020"
        )
    ]


def test_a_key_never_changes_when_the_formula_changes(registry: KeyRegistry) -> None:
    p = paper(arxiv_id="2005.14165", authors=["Tom B. Brown"], published="2020-07-22")
    assert registry.assign([p]) == {p.identity: "brownLanguageModelsAre2020"}
    assert registry.assign([p], formula="auth.upper + year") == {p.identity: "brownLanguageModelsAre2020"}
    other = paper("Attention Is All You Need", authors=["Ashish Vaswani"], published="2017")
    assert registry.assign([other], formula="auth.upper + year") == {other.identity: "VASWANI2017"}


def test_keys_survive_reopening_the_registry(tmp_path: Path) -> None:
    p = paper(arxiv_id="2005.14165")
    with KeyRegistry(tmp_path / "s.sqlite") as reg:
        key = reg.assign([p])[p.identity]
    with KeyRegistry(tmp_path / "s.sqlite") as reg:
        assert reg.find(p) == key
        assert reg.assign([p]) == {p.identity: key}


def test_find_by_arxiv_id_doi_or_folded_title(registry: KeyRegistry) -> None:
    registry.assign(
        [paper(doi="https://doi.org/10.5555/ABC.1"), paper("Another Paper", arxiv_id="2401.00001")]
    )
    assert registry.find(paper("Renamed", doi="10.5555/abc.1")) == "LanguageModelsAre"
    assert registry.find(paper("language models are few shot learners!")) == "LanguageModelsAre"
    assert registry.find(paper("Renamed", doi="10.48550/arXiv.2401.00001")) == "AnotherPaper"
    assert registry.find(paper("Never seen")) is None


def test_a_title_match_stores_the_new_arxiv_id(registry: KeyRegistry) -> None:
    registry.assign([paper()])
    assert registry.find(paper(arxiv_id="2005.14165", doi="10.1000/xyz")) == "LanguageModelsAre"
    (row,) = registry.rows()
    assert (row.arxiv_id, row.doi) == ("2005.14165", "10.1000/xyz")


def test_same_title_different_arxiv_ids_are_different_papers(registry: KeyRegistry) -> None:
    a, b = paper(arxiv_id="2401.00001"), paper(arxiv_id="2401.00002")
    assert registry.assign([a, b]) == {a.identity: "LanguageModelsAre", b.identity: "LanguageModelsArea"}


def test_the_same_paper_twice_in_one_batch_gets_one_key(registry: KeyRegistry) -> None:
    keys = registry.assign([paper(arxiv_id="2005.14165"), paper(arxiv_id="2005.14165")])
    assert keys == {"arxiv:2005.14165": "LanguageModelsAre"}
    assert len(registry) == 1


# -- clashes and postfixes ------------------------------------------------------------------------------
def test_postfix_sequence() -> None:
    assert [postfix(n) for n in (0, 1, 2, 26, 27, 28, 52, 53, 702, 703)] == [
        "", "a", "b", "z", "aa", "ab", "az", "ba", "zz", "aaa",
    ]  # fmt: skip


def test_clashing_papers_get_a_to_z_then_aa(registry: KeyRegistry) -> None:
    papers = [paper(arxiv_id=f"2401.{i:05d}") for i in range(29)]
    keys = registry.assign(papers)
    suffixes = [keys[p.identity].removeprefix("LanguageModelsAre") for p in papers]
    assert suffixes == ["", *"abcdefghijklmnopqrstuvwxyz", "aa", "ab"]


def test_clashes_are_case_and_accent_insensitive(registry: KeyRegistry) -> None:
    p = paper(authors=["Tom Brown"], published="2020")
    assert registry.assign([p], taken=["BROWNlanguagemodelsare2020"]) == {
        p.identity: "brownLanguageModelsAre2020a"
    }
    q = paper("Über Alles", authors=["Ann Müller"], published="2020")
    assert registry.assign([q], taken=["MüllerÜberAlles2020"]) == {q.identity: "mullerUberAlles2020a"}


def test_taken_keys_constrain_new_keys_but_are_not_stored(registry: KeyRegistry) -> None:
    p = paper()
    assert registry.assign([p], taken={"LanguageModelsAre", "languagemodelsarea"}) == {
        p.identity: "LanguageModelsAreb"
    }
    assert registry.all_keys() == {"LanguageModelsAreb"}


def test_existing_keys_are_never_postfixed(registry: KeyRegistry) -> None:
    first = paper(arxiv_id="2401.00001")
    registry.assign([first])
    newcomer = paper(arxiv_id="2401.00002")
    keys = registry.assign([newcomer, first], taken=["LanguageModelsAre"])
    assert keys == {first.identity: "LanguageModelsAre", newcomer.identity: "LanguageModelsArea"}


# -- adopting keys found elsewhere -----------------------------------------------------------------------
def test_record_adopts_a_key_from_the_users_bib(registry: KeyRegistry) -> None:
    p = paper(arxiv_id="2005.14165", authors=["Tom B. Brown"], published="2020")
    registry.record(p, "brown2020language")
    assert registry.find(p) == "brown2020language"
    assert registry.assign([p]) == {p.identity: "brown2020language"}


def test_record_replaces_a_given_key_but_keeps_it_reserved(registry: KeyRegistry) -> None:
    p = paper(arxiv_id="2005.14165")
    old = registry.assign([p])[p.identity]
    registry.record(p, "gpt3")
    assert registry.find(p) == "gpt3"
    assert registry.all_keys() == {old, "gpt3"}
    other = paper(arxiv_id="2401.99999")
    assert registry.assign([other])[other.identity] == old + "a"
    registry.record(p, old)  # going back to the first key
    assert registry.find(p) == old
    assert len(registry) == 3  # gpt3 stays reserved beside the two formula keys


def test_recorded_keys_are_avoided_by_new_keys(registry: KeyRegistry) -> None:
    registry.record(paper("Something else entirely"), "languagemodelsare")
    p = paper()
    assert registry.assign([p]) == {p.identity: "LanguageModelsArea"}


def test_record_many_adopts_a_whole_bib_file_in_one_transaction(registry: KeyRegistry) -> None:
    entries = [(paper(f"Paper {i}", arxiv_id=f"2401.{i:05d}"), f"key{i}") for i in range(2000)]
    registry.record_many(entries)
    assert registry.find(paper("Paper 1999", arxiv_id="2401.01999")) == "key1999"
    assert len(registry.all_keys()) == 2000
    newcomer = paper("Key 7")
    assert registry.assign([newcomer], formula='"key" + "7"') == {newcomer.identity: "key7a"}


def test_record_rejects_an_empty_key(registry: KeyRegistry) -> None:
    with pytest.raises(UsageError, match="empty citation key"):
        registry.record(paper(), "  ")


# -- storage ---------------------------------------------------------------------------------------------
def test_default_registry_lives_in_the_state_database_beside_other_tables() -> None:
    db = sqlite3.connect(home.state_db_path())
    db.execute("CREATE TABLE zotero_something (x)")
    db.commit()
    db.close()
    p = paper(arxiv_id="2005.14165", authors=["Tom B. Brown"], published="2020")
    assert bibbridge.assign_keys([p]) == {p.identity: "brownLanguageModelsAre2020"}
    with bibbridge.KeyRegistry() as reg:
        assert reg.path == home.state_db_path()
        assert reg.find(p) == "brownLanguageModelsAre2020"
    tables = {
        row[0] for row in sqlite3.connect(home.state_db_path()).execute("SELECT name FROM sqlite_master")
    }
    assert "zotero_something" in tables
    assert {t for t in tables if not t.startswith("zotero_")} <= {
        "keys_schema",
        "keys_entries",
        "keys_entries_fold",
        "keys_entries_arxiv",
        "keys_entries_doi",
        "keys_entries_title",
    }


def test_assign_uses_the_config_file_formula_by_default() -> None:
    home.save_config({"keys": {"format": "auth.lower + year"}})
    p = paper(authors=["Tom B. Brown"], published="2020")
    assert bibbridge.assign_keys([p]) == {p.identity: "brown2020"}
    q = paper("Other", authors=["Ann Lee"], published="2021")
    assert bibbridge.assign_keys([q], formula=compile_formula("year + auth")) == {q.identity: "2021Lee"}


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    KeyRegistry(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE keys_schema SET version = 99")
    db.commit()
    db.close()
    with pytest.raises(UsageError) as caught:
        KeyRegistry(path)
    assert str(caught.value).startswith(f"{path}: the key registry has schema version 99")


def test_a_corrupt_state_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(UsageError, match="cannot open the key registry"):
        KeyRegistry(path)


def test_rows_carry_what_key_lookup_needs(registry: KeyRegistry) -> None:
    registry.assign(
        [paper(arxiv_id="2005.14165", doi="10.1000/J.1", authors=["Tom B. Brown"], published="2020")]
    )
    ((key, arxiv_id, doi, title, authors, year),) = list(registry.rows())
    assert (key, arxiv_id, doi, title, authors, year) == (
        "brownLanguageModelsAre2020", "2005.14165", "10.1000/j.1", GPT3_TITLE, ["Tom B. Brown"], "2020",
    )  # fmt: skip


# -- two writers ---------------------------------------------------------------------------------------
def test_two_connections_never_hand_out_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    KeyRegistry(path).close()
    results: list[dict[str, str]] = []
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            with KeyRegistry(path) as reg:
                for i in range(10):
                    results.append(reg.assign([paper(arxiv_id=f"2401.{offset + i:05d}")]))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(offset,)) for offset in (0, 100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    keys = [key for result in results for key in result.values()]
    assert len(keys) == 20 and len({key_fold(k) for k in keys}) == 20


def test_two_processes_never_hand_out_the_same_key(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    script = (
        "import json, sys\n"
        "from bibbridge.keys import KeyRegistry\n"
        "from bibbridge.model import Paper\n"
        "offset = int(sys.argv[2])\n"
        "keys = {}\n"
        "with KeyRegistry(sys.argv[1]) as reg:\n"
        "    for i in range(40):\n"
        "        keys.update(reg.assign([Paper(title=sys.argv[3], arxiv_id=f'2401.{offset + i:05d}')]))\n"
        "print(json.dumps(keys))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(path), str(offset), GPT3_TITLE],
            stdout=subprocess.PIPE,
            text=True,
        )
        for offset in (0, 1000)
    ]
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0]
    keys = [key for out in outputs for key in json.loads(out).values()]
    assert len(keys) == 80
    assert len({key_fold(k) for k in keys}) == 80
    with KeyRegistry(path) as reg:
        assert len(reg.all_keys()) == 80


def test_a_registry_of_the_older_title_rule_still_finds_a_title_with_tex_math(tmp_path):
    """Schema 1 folded ``$^3$He`` as "3 he"; the one rule now decodes the math first ("3he"). Opening
    an older registry recomputes its title keys, so the key given out is found, not made again."""
    import sqlite3

    from bibbridge.keys import KeyRegistry
    from bibbridge.model import Paper
    from bibbridge.text import fold

    paper = Paper(title="Measuring $^3$He polarisation with $\\alpha$ particles")
    path = tmp_path / "state.sqlite"
    with KeyRegistry(path) as registry:
        registry.record(paper, "Measuring3$HePolarisation")
    db = sqlite3.connect(path)
    db.execute("UPDATE keys_entries SET title_key = ?", (fold(paper.title),))  # as schema 1 wrote it
    db.execute("UPDATE keys_schema SET version = 1")
    db.commit()
    db.close()
    with KeyRegistry(path) as registry:
        assert registry.assign([paper]) == {paper.identity: "Measuring3$HePolarisation"}
