"""`bibbridge key`: find a citation key from what you remember; `--check` a document's citations."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bibbridge.cli import cli
from tests.support.bbt_server import bbt_item, serve_bbt
from tests.support.console import assert_one_line_error, assert_usage_error, console
from tests.support.generated_bib import generated_bib

REFS = r"""@misc{mullerGenerativeMarginalizationModels2023,
  title = {Generative Marginalization Models},
  author = {M{\"u}ller, Anna and Pad{\'e}, Henri},
  year = {2023},
  eprint = {2310.12920},
  archivePrefix = {arXiv},
  doi = {10.48550/arXiv.2310.12920},
}

@article{lecun2015deep,
  title = {Deep learning},
  author = {LeCun, Yann and Bengio, Yoshua and Hinton, Geoffrey},
  journal = {Nature},
  year = 2015,
  doi = {10.1038/nature14539},
}

@inproceedings{vaswani2017attention,
  title = {Attention is All you Need},
  author = {Vaswani, Ashish and Shazeer, Noam},
  booktitle = {Advances in Neural Information Processing Systems},
  year = {2017},
}
"""


@pytest.fixture
def refs(tmp_path: Path) -> Path:
    path = tmp_path / "refs.bib"
    path.write_text(REFS, encoding="utf-8")
    return path


def run(*args: str):  # noqa: ANN201
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)  # .stdout and .stderr apart


def test_ranked_list(refs: Path) -> None:
    result = run("key", "generative", "marginalisation", "models", "--bib", str(refs))
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0].split()
    assert first[1:4] == ["mullerGenerativeMarginalizationModels2023", "2023", "Müller"]
    assert 85 <= int(first[0]) < 100  # one misspelt word
    assert first[-1] == f"[{refs}]"


def test_first_prints_only_the_best_key(refs: Path) -> None:
    result = run("key", "--first", "attention is all you need", "--bib", str(refs))
    assert (result.exit_code, result.stdout) == (0, "vaswani2017attention\n")


@pytest.mark.parametrize(
    "query",
    [
        "arXiv:2310.12920v2",
        "https://arxiv.org/abs/2310.12920",
        "https://doi.org/10.48550/arXiv.2310.12920",
        "the müller paper from 2023",
        "Marginalisation Generative",
        "mullerGen",
    ],
)
def test_query_forms(refs: Path, query: str) -> None:
    result = run("key", query, "--first", "--bib", str(refs))
    assert result.stdout == "mullerGenerativeMarginalizationModels2023\n"


def test_json_is_the_whole_ranking(refs: Path) -> None:
    result = run("key", "--json", "10.1038/NATURE14539", "--bib", str(refs))
    data = json.loads(result.stdout)
    assert [(d["key"], d["score"], d["matched"], d["doi"], d["line"]) for d in data] == [
        ("lecun2015deep", 100, "doi", "10.1038/nature14539", 10)
    ]
    assert data[0]["authors"] == ["LeCun, Yann", "Bengio, Yoshua", "Hinton, Geoffrey"]


def test_limit(refs: Path) -> None:
    result = run("key", "2023", "--bib", str(refs), "--limit", "1", "--min-score", "0")
    assert len(result.stdout.splitlines()) == 1


def test_nothing_found_exits_1_with_a_message(refs: Path) -> None:
    result = run("key", "phonon transport in knitted sweaters", "--bib", str(refs))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no key matches 'phonon transport in knitted sweaters'" in result.stderr
    assert run("key", "--json", "2601.99999", "--bib", str(refs)).stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["key"], "give a QUERY or --check FILE"),
        (["key", "x", "--check", "paper.tex"], "give a QUERY or --check FILE"),
        (["key", "x", "--first", "--json"], "exclude each other"),
        (["key", "x", "--bib", "missing.bib"], "missing.bib: cannot read: no such file"),
        (["key", "x", "--limit", "0"], "Invalid value for '--limit'"),
        (["key", "x", "--zotero", "--no-local"], "no Zotero library"),
    ],
)
def test_bad_arguments_exit_2(args: list[str], message: str) -> None:
    result = console(*args)  # the real script: a traceback would show there
    if message.startswith("Invalid value"):
        assert_usage_error(result, message)
    else:
        assert_one_line_error(result, message)


def test_csl_json_source(tmp_path: Path) -> None:
    csl = tmp_path / "export.json"
    csl.write_text(
        json.dumps(
            [
                {
                    "id": "ITEM-1",
                    "citation-key": "brownLanguageModelsAre2020",
                    "title": "Language Models are Few-Shot Learners",
                    "author": [{"family": "Brown", "given": "Tom"}],
                    "issued": {"date-parts": [[2020]]},
                }
            ]
        ),
        encoding="utf-8",
    )
    result = run("key", "few shot learners", "--csl", str(csl), "--first")
    assert result.stdout == "brownLanguageModelsAre2020\n"


def test_better_bibtex_source_and_unreachable_warning(refs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    items = [
        bbt_item("brownLanguageModelsAre2020", "Language Models are Few-Shot Learners", "Brown", "Tom", 2020)
    ]
    with serve_bbt(items) as (url, server):
        monkeypatch.setenv("BIBBRIDGE_BBT_URL", url)
        result = run("key", "language models few shot", "--bbt", "--bib", str(refs))
        assert result.stdout.split()[1] == "brownLanguageModelsAre2020"
        assert result.stdout.rstrip().endswith("[bbt]")
        assert server.calls == [("item.search", ["language models few shot"])]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("BIBBRIDGE_BBT_URL", f"http://127.0.0.1:{port}/better-bibtex/json-rpc")
    result = run("key", "deep learning", "--bbt", "--bib", str(refs), "--first")
    assert (result.exit_code, result.stdout) == (0, "lecun2015deep\n")
    assert "bibbridge: warning: Better BibTeX at http://127.0.0.1:" in result.stderr


def test_zotero_source(refs: Path) -> None:
    from tests.support.zotero_server import ZoteroServer

    with ZoteroServer() as server:
        server.add_item(
            {
                "itemType": "preprint",
                "title": "Scaling Laws for Neural Language Models",
                "creators": [{"creatorType": "author", "firstName": "Jared", "lastName": "Kaplan"}],
                "date": "2020-01-23",
                "citationKey": "kaplanScalingLawsNeural2020",
            }
        )
        result = CliRunner(env={"ZOTERO_API_KEY": server.api_key}).invoke(
            cli,
            [
                "key",
                "kaplan scaling laws",
                "--zotero",
                "--library",
                f"user:{server.user_id}",
                "--api-url",
                server.url,
                "--bib",
                str(refs),
            ],
        )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split()[1] == "kaplanScalingLawsNeural2020"
    assert server.api_key not in result.stdout + result.stderr


TEX = r"""\documentclass{article}
\begin{document}
Marginals \cite{mullerGenerativeMarginalizationModels2023} and attention \citep[see][]{vaswani2017attention,
  vaswani2017atention}.
% \cite{commentedOut}
Deep nets \parencite{lecun2015deep} \textcite{hinton2006fast}.
\nocite{*}
\end{document}
"""


def test_check_tex_lists_unknown_keys_with_suggestions(refs: Path, tmp_path: Path) -> None:
    tex = tmp_path / "paper.tex"
    tex.write_text(TEX, encoding="utf-8")
    result = run("key", "--check", str(tex), "--bib", str(refs))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        f"{tex}:4: unknown key 'vaswani2017atention': did you mean vaswani2017attention ("
    )
    assert lines[1] == f"{tex}:6: unknown key 'hinton2006fast' (no similar key in any source)"
    assert len(lines) == 2


def test_check_aux_and_json(refs: Path, tmp_path: Path) -> None:
    aux = tmp_path / "paper.aux"
    aux.write_text(
        "\\relax\n\\citation{lecun2015deep}\n\\citation{vaswani2017attention,lecun2015Deep}\n"
        "\\bibstyle{plain}\n\\bibdata{refs}\n",
        encoding="utf-8",
    )
    result = run("key", "--check", str(aux), "--bib", str(refs), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [(d["key"], d["line"], d["suggestions"][0]["key"]) for d in data] == [
        ("lecun2015Deep", 3, "lecun2015deep")
    ]  # keys are case-sensitive for biber: suggested, not accepted


def test_check_all_known_exits_0(refs: Path, tmp_path: Path) -> None:
    aux = tmp_path / "ok.aux"
    aux.write_text("\\citation{lecun2015deep}\n", encoding="utf-8")
    result = run("key", "--check", str(aux), "--bib", str(refs))
    assert (result.exit_code, result.stdout) == (0, "")
    assert "every key cited in" in result.stderr


def test_check_missing_file_exits_2(refs: Path) -> None:
    result = run("key", "--check", "nope.tex", "--bib", str(refs))
    assert result.exit_code == 2
    assert "nope.tex: cannot read" in result.stderr


# -- the real process: `bibbridge key` ends with os._exit once its output is flushed -----------------------
def bibbridge_process(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BIBBRIDGE_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "bibbridge", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_the_real_process_flushes_its_answer_and_keeps_its_exit_status(refs: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    found = bibbridge_process("key", "--first", "--no-local", "--bib", str(refs), "2310.12920", home=home)
    assert (found.returncode, found.stdout, found.stderr) == (
        0,
        "mullerGenerativeMarginalizationModels2023\n",
        "",
    )
    listed = bibbridge_process("key", "deep", "learning", "--no-local", "--bib", str(refs), home=home)
    assert listed.returncode == 0 and "lecun2015deep" in listed.stdout.splitlines()[0]
    missing = bibbridge_process("key", "--first", "--no-local", "--bib", str(refs), "zzyzx", home=home)
    assert (missing.returncode, missing.stdout) == (1, "")
    assert "no key matches 'zzyzx'" in missing.stderr
    unreadable = bibbridge_process("key", "x", "--no-local", "--bib", str(tmp_path / "no.bib"), home=home)
    assert unreadable.returncode == 2 and unreadable.stderr.startswith("bibbridge: error: ")
    assert unreadable.stderr.count("\n") == 1  # that one line: no traceback


def test_the_real_process_reads_a_large_file_on_its_cores_and_caches_it(tmp_path: Path) -> None:
    """A first query over a file large enough for the parallel path, then a later one from the cache."""
    big = tmp_path / "big.bib"
    big.write_text(REFS + generated_bib(3500, seed=11), encoding="utf-8")
    assert big.stat().st_size > 4_000_000  # parallel.PARALLEL_MIN_BYTES
    home = tmp_path / "home"
    ask = ("key", "--first", "--no-local", "--bib", str(big))
    first = bibbridge_process(*ask, "attention all need", home=home)
    assert (first.returncode, first.stdout) == (0, "vaswani2017attention\n")
    assert list((home / "lookup").glob("bib-big.bib-*.marshal"))
    later = bibbridge_process(*ask, "attnetion all need", home=home)
    assert (later.returncode, later.stdout) == (0, "vaswani2017attention\n")


def test_the_same_query_scores_the_same_on_the_first_and_the_second_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: over a .bib of more than 5,000 entries, "deep learning cats" once scored an entry 64 on
    the first run (a quick table) and 87 on the second (the indexed one), the file unchanged."""
    cats = (
        "@article{smith2020cat,\n  title = {Deep Learning for the Cat},\n  author = {Smith, Jane},\n"
        "  year = {2020},\n}\n\n@article{jones2021cats,\n  title = {Cats},\n  author = {Jones, Bob},\n"
        "  year = {2021},\n}\n"
    )
    big = tmp_path / "big.bib"
    big.write_text(generated_bib(5500, seed=0) + "\n" + cats, encoding="utf-8")
    home = tmp_path / "home"
    ask = ("key", "--json", "--no-local", "--min-score", "0", "--bib", str(big), "deep", "learning", "cats")
    runs = []
    for _ in range(3):
        done = bibbridge_process(*ask, home=home)
        assert done.returncode == 0, done.stderr
        runs.append([(m["key"], m["score"]) for m in json.loads(done.stdout)])
        deadline = time.monotonic() + 30  # let any work a run left behind finish before the next
        while list(home.glob("**/*.indexing")) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert all("smith2020cat" in dict(found) for found in runs)
    assert runs[0] == runs[1] == runs[2]
    # The same in this process, with a cache of its own.
    from bibbridge.keylookup import BibFile, Lookup

    monkeypatch.setenv("BIBBRIDGE_HOME", str(tmp_path / "in-process"))
    matches = Lookup([BibFile(big)]).search("deep learning cats", min_score=0)
    assert [(m.key, m.score) for m in matches] == runs[0]
