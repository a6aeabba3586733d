"""Each place keys live, as a lookup source: CSL-JSON files, the local registry, Zotero over the Web API
(the fake server, real HTTP), Better BibTeX's JSON-RPC (a fake endpoint, real HTTP), and .bib caching."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

import bibbridge
from bibbridge.errors import InputError, UsageError
from bibbridge.keylookup import BetterBibTeX, BibFile, CslFile, LocalRegistry, Lookup, LookupWarning
from bibbridge.keylookup.index import cache_path_for
from bibbridge.model import Paper
from tests.support.bbt_server import bbt_item, serve_bbt

BIB = r"""@misc{mullerGenerative2023,
  title = {Generative {M}arginalization Models},
  author = {M{\"u}ller, Anna and Pad{\'e}, Henri},
  year = {2023},
  eprint = {2310.12920},
  archivePrefix = {arXiv},
}

@article{lecun2015deep,
  title = {Deep learning},
  author = {LeCun, Yann and Bengio, Yoshua and Hinton, Geoffrey},
  journal = {Nature},
  year = 2015,
  doi = {10.1038/nature14539},
}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- CSL-JSON -------------------------------------------------------------------------------------
CSL = [
    {
        "id": "vaswani2017attention",
        "type": "paper-conference",
        "title": "Attention is All you Need",
        "author": [{"family": "Vaswani", "given": "Ashish"}, {"family": "Shazeer", "given": "Noam"}],
        "issued": {"date-parts": [[2017]]},
        "URL": "https://arxiv.org/abs/1706.03762",
    },
    {
        "id": "http://zotero.org/users/1/items/ABCD2345",
        "citation-key": "brownLanguageModelsAre2020",
        "type": "article",
        "title": "Language Models are Few-Shot Learners",
        "author": [{"family": "Brown", "given": "Tom B."}],
        "issued": {"date-parts": [["2020", 5, 28]]},
        "number": "arXiv:2005.14165",
        "DOI": "10.48550/arXiv.2005.14165",
    },
    {"type": "article", "title": "An item without any key is not citable"},
]


def test_csl_json_key_is_citation_key_else_id(tmp_path: Path) -> None:
    path = tmp_path / "zotero.json"
    path.write_text(json.dumps(CSL), encoding="utf-8")
    finder = Lookup([CslFile(path)])
    assert finder.search("attention you need vaswani")[0].key == "vaswani2017attention"
    assert finder.search("1706.03762")[0].key == "vaswani2017attention"  # arXiv id from the URL
    brown = finder.search("few shot learners brown 2020")[0]
    assert brown.key == "brownLanguageModelsAre2020"
    assert (brown.candidate.paper.year, brown.candidate.paper.arxiv_id) == ("2020", "2005.14165")
    assert finder.search("arXiv:2005.14165v3")[0].score == 100


def test_malformed_csl_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"id": "a",\n  "title": }\n]\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        Lookup([CslFile(path)]).search("anything")
    assert info.value.file == str(path) and info.value.line == 3


def test_missing_source_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        Lookup([BibFile(tmp_path / "nope.bib")]).search("anything")


# -- the local registry ----------------------------------------------------------------------------
def test_local_registry_answers_with_the_keys_bibbridge_gave_out() -> None:
    assert bibbridge.lookup("generative marginalization") == []  # nothing given out yet: empty, no error
    papers = [
        Paper(
            title="Generative Marginalization Models",
            authors=["Sulin Liu", "Peter Ramadge"],
            published="2023-10-19",
            arxiv_id="2310.12920",
        )
    ]
    keys = bibbridge.assign_keys(papers)
    key = keys[papers[0].identity]
    matches = bibbridge.lookup("generative marginalisation models")  # British spelling: a typo
    assert [m.key for m in matches] == [key]
    assert matches[0].sources == ["local"]
    assert bibbridge.lookup("2310.12920")[0].key == key
    assert bibbridge.lookup("liu 2023")[0].key == key
    assert bibbridge.lookup("generative marginalization", sources={"local": False}) == []


def test_same_key_in_two_sources_is_one_answer(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    csl = tmp_path / "refs.json"
    csl.write_text(
        json.dumps([{"id": "lecun2015deep", "title": "Deep learning", "DOI": "10.1038/nature14539"}])
    )
    matches = bibbridge.lookup("10.1038/NATURE14539", sources=[bib, csl])
    assert [(m.key, m.score, m.sources) for m in matches] == [("lecun2015deep", 100, [str(bib), str(csl)])]


# -- .bib tables and their cache --------------------------------------------------------------------
def test_bib_latex_is_decoded_for_matching_and_shown_decoded(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    match = bibbridge.lookup("the Müller paper from 2023", sources=[bib])[0]
    assert match.key == "mullerGenerative2023"
    assert match.candidate.paper.authors == ["Müller, Anna", "Padé, Henri"]
    assert match.candidate.paper.title == "Generative Marginalization Models"
    assert bibbridge.lookup("pade", sources=[bib])[0].key == "mullerGenerative2023"
    assert bibbridge.lookup("Generative Marginalization Models", sources=[bib])[0].score == 95


def test_cache_is_used_until_the_bib_changes_size_or_mtime(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    assert bibbridge.lookup("deep learning lecun", sources=[bib])[0].key == "lecun2015deep"
    cache = cache_path_for(bib.resolve(), "bib")
    assert cache.exists()
    first_cache = cache.stat().st_mtime_ns

    # Unchanged file: the cache answers (it is not rewritten).
    assert bibbridge.lookup("deep learning", sources=[bib])[0].key == "lecun2015deep"
    assert cache.stat().st_mtime_ns == first_cache

    # Same size, new mtime: a renamed key is seen.
    bib.write_text(BIB.replace("lecun2015deep", "lecun2015Deep"), encoding="utf-8")
    os.utime(bib, ns=(bib.stat().st_atime_ns, bib.stat().st_mtime_ns + 10**9))
    assert bibbridge.lookup("deep learning lecun", sources=[bib])[0].key == "lecun2015Deep"

    # Same mtime, new size: an added entry is seen.
    mtime = bib.stat().st_mtime_ns
    bib.write_text(BIB + "@misc{hinton2006fast, title = {A fast learning algorithm for deep belief nets}}\n")
    os.utime(bib, ns=(mtime, mtime))
    assert bibbridge.lookup("deep belief nets", sources=[bib])[0].key == "hinton2006fast"


def test_a_corrupt_cache_file_is_rebuilt(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    bibbridge.lookup("deep learning", sources=[bib])
    cache_path_for(bib.resolve(), "bib").write_bytes(b"\x00garbage")
    assert bibbridge.lookup("deep learning", sources=[bib])[0].key == "lecun2015deep"


def test_sources_spec_rejects_unknown_kinds() -> None:
    with pytest.raises(UsageError, match="unknown lookup source"):
        bibbridge.lookup("x", sources={"endnote": ["a.enl"]})


# -- Better BibTeX JSON-RPC ---------------------------------------------------------------------------
BBT_ITEMS = [
    bbt_item(
        "mullerGenerativeMarginalization2023",
        "Generative Marginalization Models",
        "Müller",
        "Anna",
        2023,
        arxiv_id="2310.12920",
    ),
    bbt_item("vaswaniAttentionAllYou2017", "Attention Is All You Need", "Vaswani", "Ashish", 2017),
]


def test_better_bibtex_search_over_json_rpc() -> None:
    with serve_bbt(BBT_ITEMS) as (url, server):
        finder = Lookup([BetterBibTeX(url)])
        match = finder.search("attention all you need")[0]
        assert (match.key, match.sources) == ("vaswaniAttentionAllYou2017", ["bbt"])
        assert server.calls == [("item.search", ["attention all you need"])]  # filler words are not sent
        assert finder.search("müller 2023")[0].key == "mullerGenerativeMarginalization2023"
        assert finder.search("marginalization 2023")[0].candidate.paper.arxiv_id == "2310.12920"
        calls = len(server.calls)
        # Zotero's quick search (title, creator, year) does not search identifiers: not asked.
        assert finder.search("arXiv:2310.12920v1") == []
        assert len(server.calls) == calls
        assert finder.warnings == []


def test_better_bibtex_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with serve_bbt(BBT_ITEMS) as (url, server):
        monkeypatch.setenv("BIBBRIDGE_BBT_URL", url)
        assert bibbridge.lookup("attention", sources={"bbt": True, "local": False})[0].key == (
            "vaswaniAttentionAllYou2017"
        )
        assert len(server.calls) == 1


def test_better_bibtex_error_member_is_a_warning_and_others_still_answer(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    with serve_bbt(BBT_ITEMS) as (url, server):
        server.fail_next = "Zotero is not ready"
        finder = Lookup([BetterBibTeX(url), BibFile(bib)])
        assert finder.search("deep learning")[0].key == "lecun2015deep"
        assert finder.warnings == [f"Better BibTeX at {url} answered an error: Zotero is not ready"]


def test_better_bibtex_unreachable_is_a_warning(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    url = f"http://127.0.0.1:{free_port()}/better-bibtex/json-rpc"
    with pytest.warns(LookupWarning, match="unreachable.*is Zotero running"):
        matches = bibbridge.lookup("deep learning", sources=[BetterBibTeX(url), bib])
    assert matches[0].key == "lecun2015deep"


# -- Zotero Web API (fake server, real HTTP through pyzotero) -----------------------------------------
@pytest.fixture
def zotero_server():
    from tests.support.zotero_server import ZoteroServer

    with ZoteroServer() as server:
        server.add_item(
            {
                "itemType": "preprint",
                "title": "Generative Marginalization Models",
                "creators": [{"creatorType": "author", "firstName": "Sulin", "lastName": "Liu"}],
                "date": "2023-10-19",
                "citationKey": "liuGenerativeMarginalizationModels2023",
                "DOI": "10.48550/arXiv.2310.12920",
                "url": "http://arxiv.org/abs/2310.12920",
                "archiveID": "arXiv:2310.12920",
                "repository": "arXiv",
            }
        )
        server.add_item(
            {
                "itemType": "journalArticle",
                "title": "Deep learning",
                "date": "2015",
                "creators": [{"creatorType": "author", "firstName": "Yann", "lastName": "LeCun"}],
                "DOI": "10.1038/nature14539",
                "extra": "PMID: 26017442\nCitation Key: lecun2015deep",
            }
        )
        server.add_item({"itemType": "journalArticle", "title": "An item without a citation key"})
        server.add_item(
            {
                "itemType": "journalArticle",
                "title": "A trashed deep learning paper",
                "extra": "Citation Key: trashed2015deep",
            },
            trashed=True,
        )
        yield server


def test_zotero_library_native_field_and_extra_line(zotero_server) -> None:  # noqa: ANN001
    spec = {
        "local": False,
        "zotero": {
            "library": f"user:{zotero_server.user_id}",
            "api_url": zotero_server.url,
            "api_key": zotero_server.api_key,
        },
    }
    first = bibbridge.lookup("generative marginalization", sources=spec)
    assert [(m.key, m.sources) for m in first] == [
        ("liuGenerativeMarginalizationModels2023", [f"zotero user:{zotero_server.user_id}"])
    ]
    assert bibbridge.lookup("10.48550/arXiv.2310.12920", sources=spec)[0].score == 100
    deep = bibbridge.lookup("deep learning", sources=spec)
    assert [m.key for m in deep] == ["lecun2015deep"]  # the trashed one and the keyless one are not citable

    zotero_server.reset_requests()
    bibbridge.lookup("lecun 2015", sources=spec)  # served from the local index: an unchanged library
    assert len(zotero_server.requests) <= 3


def test_zotero_settings_come_from_the_environment(zotero_server, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("ZOTERO_LIBRARY", f"user:{zotero_server.user_id}")
    monkeypatch.setenv("ZOTERO_API_URL", zotero_server.url)
    monkeypatch.setenv("ZOTERO_API_KEY", zotero_server.api_key)
    assert (
        bibbridge.lookup("deep learning", sources={"zotero": True, "local": False})[0].key == "lecun2015deep"
    )


def test_zotero_unreachable_answers_from_its_index_with_a_warning(zotero_server) -> None:  # noqa: ANN001
    library = f"user:{zotero_server.user_id}"
    spec = {
        "local": False,
        "zotero": {"library": library, "api_url": zotero_server.url, "api_key": zotero_server.api_key},
    }
    bibbridge.lookup("deep learning", sources=spec)  # fills the local index
    zotero_server.stop()
    with pytest.warns(LookupWarning, match=f"zotero {library} is unreachable.*local index"):
        assert bibbridge.lookup("deep learning", sources=spec)[0].key == "lecun2015deep"


def test_zotero_never_reached_is_a_warning_and_others_still_answer(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    finder = Lookup(
        {
            "bib": [bib],
            "local": False,
            "zotero": {
                "library": "user:1",
                "api_url": f"http://127.0.0.1:{free_port()}",
                "api_key": "k" * 24,
            },
        }
    )
    assert finder.search("deep learning")[0].key == "lecun2015deep"
    assert len(finder.warnings) == 1 and finder.warnings[0].startswith("zotero user:1 is unreachable")
    assert "k" * 24 not in finder.warnings[0]


def test_zotero_without_a_library_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no Zotero library"):
        bibbridge.lookup("x", sources={"zotero": True})


def test_local_registry_source_object() -> None:
    assert len(LocalRegistry().table()) == 0


def test_a_small_table_ranks_alike_whatever_source_it_comes_from(tmp_path: Path) -> None:
    """Every source's table is built the same way, so a query scores the same from the local registry
    as from a .bib holding the same papers (a word found as it is is also looked up as a typo)."""
    from bibbridge.keys import KeyRegistry

    papers = [
        Paper(title="Language model scaling", published="2021-01-01"),
        Paper(title="Modal logic for agents", published="2022-01-01"),
    ]
    state = tmp_path / "state.sqlite"
    with KeyRegistry(state) as registry:
        keys = registry.assign(papers)
    bib = tmp_path / "refs.bib"
    bib.write_text(bibbridge.to_bibtex(papers), encoding="utf-8")
    from_registry = Lookup([LocalRegistry(state)]).search("model", min_score=0)
    from_bib = Lookup([BibFile(bib)]).search("model", min_score=0)
    assert [(m.key, m.score) for m in from_registry] == [(m.key, m.score) for m in from_bib]
    assert {m.key for m in from_registry} == set(keys.values())  # "modal" is "model" within a typo
