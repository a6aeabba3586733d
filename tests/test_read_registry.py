"""The reader registry: built-ins, readers registered in code, and plug-ins from the
``bibbridge.readers`` entry-point group (installed here as a real distribution on sys.path)."""

from __future__ import annotations

import sys
import textwrap

import pytest
from conftest import AS_OF, digest_path

import bibbridge.readers as readers
from bibbridge import read_digest
from bibbridge.errors import InputError, UsageError

PLUGIN = """
from bibbridge.model import Paper
from bibbridge.readers import Reader


def detect(text):
    return 1.0 if text.startswith("title\\tabstract\\n") else 0.0


def read(text, file, as_of):
    papers = []
    for number, line in enumerate(text.split("\\n")[1:], 2):
        if line.strip():
            title, abstract = line.split("\\t")
            papers.append(Paper(title=title, abstract=abstract, source={"file": file, "line": number}))
    return papers, []


READER = Reader("tsv", detect, read, "Tab-separated title and abstract.")
"""

TSV = "title\tabstract\nA Tab Paper\tIts abstract.\nAnother One\tAnother abstract.\n"


@pytest.fixture
def fresh_registry(monkeypatch):
    """An empty plug-in state, restored afterwards."""
    monkeypatch.setattr(readers, "_registered", {})
    monkeypatch.setattr(readers, "_plugins_loaded", False)


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch, fresh_registry):
    (tmp_path / "bbplugin_tsv.py").write_text(PLUGIN)
    dist = tmp_path / "bbplugin_tsv-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bbplugin-tsv\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        textwrap.dedent("""\
        [bibbridge.readers]
        tsv = bbplugin_tsv:READER
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "bbplugin_tsv", raising=False)
    yield
    sys.modules.pop("bbplugin_tsv", None)


def test_built_in_formats_do_not_load_plug_ins(installed_plugin):
    assert len(read_digest(digest_path("000_15dd5ef3f356a94c.txt"), as_of=AS_OF)) == 30
    assert "bbplugin_tsv" not in sys.modules  # start-up stays light
    assert readers.available_formats(include_plugins=False) == [
        "jsonl",
        "text",
        "hf-daily",
        "hf-paper",
        "hf-search",
        "hf-html",
    ]


def test_plug_in_reads_what_built_ins_do_not_recognise(installed_plugin):
    papers = read_digest(TSV)
    assert [(p.title, p.source["line"]) for p in papers] == [("A Tab Paper", 2), ("Another One", 3)]
    assert "bbplugin_tsv" in sys.modules
    assert "tsv" in readers.available_formats()


def test_plug_in_format_by_name(installed_plugin):
    assert len(read_digest(TSV, format="tsv")) == 2


def test_without_plug_ins_unknown_content_and_names_are_errors(fresh_registry):
    with pytest.raises(InputError, match="not a digest bibbridge recognises"):
        read_digest(TSV)
    with pytest.raises(UsageError, match="unknown format 'tsv'"):
        read_digest(TSV, format="tsv")


def test_register_in_code(fresh_registry):
    namespace: dict = {}
    exec(PLUGIN, namespace)  # the same reader, registered without packaging
    readers.register(namespace["READER"])
    assert [p.title for p in read_digest(TSV)] == ["A Tab Paper", "Another One"]
