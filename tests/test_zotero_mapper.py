"""Papers → Zotero items (the arXiv importer's shape), and recognising items already in a library."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bibbridge.model import Paper
from bibbridge.readers import read_digests
from bibbridge.zotero.mapper import (
    item_citation_key,
    item_identities,
    paper_identities,
    paper_to_item,
    split_name,
)
from tests.conftest import AS_OF, REAL_DIGESTS, digest_path

STRUCTURAL = {"itemType", "creators", "tags", "collections", "relations", "key", "version"}


@pytest.fixture
def schema(shared_dir):
    data = json.loads((shared_dir / "zotero" / "schema.json").read_text(encoding="utf-8"))
    return {
        t["itemType"]: ({f["field"] for f in t["fields"]}, {c["creatorType"] for c in t["creatorTypes"]})
        for t in data["itemTypes"]
    }


def assert_valid(item: dict, schema: dict) -> None:
    fields, creator_types = schema[item["itemType"]]
    unknown = set(item) - STRUCTURAL - fields
    assert not unknown, f"not valid for {item['itemType']}: {unknown}"
    for creator in item["creators"]:
        assert creator["creatorType"] in creator_types
        assert ("name" in creator) != ("lastName" in creator)
    for name, value in item.items():
        if name not in STRUCTURAL:
            assert isinstance(value, str) and value, name


def arxiv_paper(**changes) -> Paper:
    values = dict(
        title="Attention Is All You Need",
        abstract="The dominant sequence transduction models...",
        authors=["Ashish Vaswani", "Noam Shazeer", "Prafulla"],
        published="2017-06-12",
        arxiv_id="1706.03762",
        primary_category="cs.CL",
        urls={"code": ["https://github.com/tensorflow/tensor2tensor"], "project": [], "other": []},
    )
    values.update(changes)
    return Paper(**values)


@pytest.mark.parametrize("name", sorted(REAL_DIGESTS))
def test_every_item_made_from_the_real_digests_is_valid_against_zoteros_schema(name, schema):
    papers = read_digests([digest_path(name)], as_of=AS_OF).papers
    assert len(papers) == REAL_DIGESTS[name]
    for n, paper in enumerate(papers):
        item = paper_to_item(paper, f"key{n}", ["ABCD2345"])
        assert_valid(item, schema)
        assert item["title"] == paper.title
        assert item["citationKey"] == f"key{n}"
        assert item["collections"] == ["ABCD2345"]


def test_an_arxiv_paper_becomes_the_item_zoteros_arxiv_importer_makes(schema):
    item = paper_to_item(arxiv_paper(), "vaswani2017attention")
    assert_valid(item, schema)
    assert item["itemType"] == "preprint"
    assert item["repository"] == "arXiv"
    assert item["archiveID"] == "arXiv:1706.03762"
    assert item["DOI"] == "10.48550/arXiv.1706.03762"
    assert item["url"] == "https://arxiv.org/abs/1706.03762"
    assert item["libraryCatalog"] == "arXiv.org"
    assert item["date"] == "2017-06-12"
    assert item["citationKey"] == "vaswani2017attention"
    assert item["extra"].splitlines() == [
        "arXiv:1706.03762 [cs.CL]",
        "Code: https://github.com/tensorflow/tensor2tensor",
    ]
    assert item["creators"] == [
        {"creatorType": "author", "firstName": "Ashish", "lastName": "Vaswani"},
        {"creatorType": "author", "firstName": "Noam", "lastName": "Shazeer"},
        {"creatorType": "author", "name": "Prafulla"},
    ]


def test_without_a_category_the_extra_line_is_the_bare_id_and_a_publisher_doi_goes_to_extra():
    """No hybrids: the preprint keeps arXiv's DOI; the journal's DOI and reference go to Extra."""
    paper = arxiv_paper(primary_category=None, doi="10.1000/xyz", journal_ref="NeurIPS 2017", urls={})
    item = paper_to_item(paper, None)
    assert item["extra"].splitlines() == [
        "arXiv:1706.03762",
        "Publisher DOI: 10.1000/xyz",
        "Journal Reference: NeurIPS 2017",
    ]
    assert item["DOI"] == "10.48550/arXiv.1706.03762"
    assert "citationKey" not in item
    # and the item is still recognised by the journal's DOI
    assert "doi:10.1000/xyz" in item_identities(item)
    # a paper outside arXiv keeps its own DOI in the field
    assert paper_to_item(Paper(title="Elsewhere", doi="10.1000/abc"), None)["DOI"] == "10.1000/abc"


def test_a_paper_without_arxiv_id_points_at_its_project_page(schema):
    paper = Paper(
        title="A Demo Model",
        abstract="We show a demo.",
        published="2026-01-06",
        urls={"code": ["https://github.com/x/demo"], "project": ["https://x.github.io/demo"], "other": []},
    )
    item = paper_to_item(paper, "demo2026")
    assert_valid(item, schema)
    assert item["url"] == "https://x.github.io/demo"
    assert item["libraryCatalog"] == "Hugging Face Daily Papers"
    assert "archiveID" not in item and "DOI" not in item and "repository" not in item
    assert item["extra"].splitlines() == [
        "Code: https://github.com/x/demo",
        "Project: https://x.github.io/demo",
    ]


def test_a_repository_is_never_the_items_url_the_same_link_rule_as_the_bib():
    from bibbridge.bib.csl import csl_item

    code_only = Paper(
        title="A Demo Model", urls={"code": ["https://github.com/x/demo"], "project": [], "other": []}
    )
    item = paper_to_item(code_only, "demo2026")
    assert "url" not in item and "URL" not in csl_item(code_only, "demo2026")
    # a project page on a code host is still code; a Hugging Face page filed anywhere is the paper's
    on_github = Paper(
        title="B",
        urls={
            "code": [],
            "project": ["https://github.com/x/b"],
            "other": ["https://huggingface.co/papers/2401.01234"],
        },
    )
    assert paper_to_item(on_github, "b")["url"] == "https://huggingface.co/papers/2401.01234"
    assert csl_item(on_github, "b")["URL"] == "https://huggingface.co/papers/2401.01234"


def test_split_name_splits_at_the_last_space_like_zotero():
    assert split_name("Jean-Baptiste  de la Fontaine") == {
        "creatorType": "author",
        "firstName": "Jean-Baptiste de la",
        "lastName": "Fontaine",
    }
    assert split_name("Prafulla") == {"creatorType": "author", "name": "Prafulla"}


@pytest.mark.parametrize(
    "data",
    [
        {"itemType": "preprint", "title": "x", "archiveID": "arXiv:1706.03762"},
        {"itemType": "journalArticle", "title": "x", "url": "http://arxiv.org/abs/1706.03762v5"},
        {"itemType": "journalArticle", "title": "x", "url": "https://arxiv.org/pdf/1706.03762v2.pdf"},
        {"itemType": "journalArticle", "title": "x", "extra": "tex.foo: bar\narXiv: 1706.03762"},
        {"itemType": "journalArticle", "title": "x", "DOI": "10.48550/ARXIV.1706.03762"},
    ],
)
def test_item_identities_find_the_arxiv_id_wherever_a_user_put_it(data):
    assert "arxiv:1706.03762" in item_identities(data)
    assert "doi:10.48550/arxiv.1706.03762" in item_identities(data)


def test_item_identities_carry_doi_from_field_or_extra_and_the_folded_title():
    assert item_identities(
        {"itemType": "book", "title": "Müller’s  GPT-4: a Study", "extra": "DOI: 10.1000/ABC"}
    ) == {
        "doi:10.1000/abc",
        "title:muller s gpt 4 a study",
    }
    assert item_identities({"itemType": "note", "note": "arXiv:1706.03762"}) == set()
    assert (
        item_identities({"itemType": "attachment", "title": "x", "url": "https://arxiv.org/pdf/1706.03762"})
        == set()
    )


def test_citation_key_is_read_from_the_native_field_or_an_extra_line():
    assert item_citation_key({"citationKey": "a2020", "extra": "Citation Key: b2020"}) == "a2020"
    assert item_citation_key({"citationKey": "", "extra": "foo\nCitation Key: b2020\n"}) == "b2020"
    assert item_citation_key({"extra": ""}) is None


@settings(max_examples=100, deadline=None)
@given(
    title=st.text(min_size=1, max_size=80).filter(lambda t: any(c.isalnum() for c in t)),
    arxiv=st.one_of(st.none(), st.from_regex(r"2[0-5][01][0-9]\.[0-9]{5}", fullmatch=True)),
    authors=st.lists(st.text(alphabet="abc XYZé-", min_size=1, max_size=20).filter(str.strip), max_size=4),
)
def test_an_item_made_from_a_paper_is_recognised_as_that_paper(title, arxiv, authors):
    paper = Paper(title=title, arxiv_id=arxiv, authors=authors)
    item = paper_to_item(paper, "k")
    assert paper_identities(paper) <= item_identities(item) | {f"doi:{paper.doi_key}"}
    assert item_identities(item) & paper_identities(paper)


def test_the_preprint_pdf_link_names_the_version_the_item_describes():
    from bibbridge.zotero.mapper import pdf_url

    assert (
        pdf_url(Paper(title="T", arxiv_id="2401.01234", version="v2")) == "https://arxiv.org/pdf/2401.01234v2"
    )
    assert pdf_url(Paper(title="T", arxiv_id="2401.01234")) == "https://arxiv.org/pdf/2401.01234"
    assert pdf_url(Paper(title="T")) is None
