"""Zotero items as complete as Zotero's own arXiv importer makes them, kept up to date safely.

Compared field by field with the importer's own test case for arXiv:1810.04805 (BERT) in
zotero/translators' arXiv.org.js: itemType, title, creators, date, DOI, abstract, archiveID, Extra,
libraryCatalog, repository, shortTitle, url, the "Preprint PDF" attachment, the category tag and the
"Comment: …" note. Every sync goes through pyzotero over real HTTP to the local Zotero API server,
which validates against ../shared/zotero/schema.json when it is there.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import bibbridge
from bibbridge.cli import cli
from bibbridge.home import save_config
from bibbridge.model import Paper
from bibbridge.zotero.mapper import category_tag, paper_children, paper_to_item, short_title
from tests.support.zotero_server import ZoteroServer

COLLECTION = "Reading/HF Daily"
BERT_ABSTRACT = "We introduce a new language representation model called BERT..."


@pytest.fixture
def server():
    with ZoteroServer() as srv:
        yield srv
        assert srv.errors == []


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setenv("BIBBRIDGE_RETRY_BASE", "0.01")


def bert(**changes) -> Paper:
    values = dict(
        title="BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        abstract=BERT_ABSTRACT,
        authors=["Jacob Devlin", "Ming-Wei Chang", "Kenton Lee", "Kristina Toutanova"],
        published="2019-05-24",
        arxiv_id="1810.04805",
        primary_category="cs.CL",
        comment="13 pages",
        urls={"code": ["https://github.com/google-research/bert"], "project": [], "other": []},
    )
    values.update(changes)
    return Paper(**values)


def run_sync(server, papers, **options):
    return bibbridge.sync(
        papers,
        library=f"user:{server.user_id}",
        collection=options.pop("collection", COLLECTION),
        api_key=server.api_key,
        api_url=server.url,
        **options,
    )


def cli_sync(server, digest, *args):
    argv = ["sync", str(digest), "--library", f"user:{server.user_id}", "--collection", COLLECTION]
    argv += ["--api-url", server.url, *args]
    return CliRunner().invoke(cli, argv, env={"ZOTERO_API_KEY": server.api_key}, catch_exceptions=False)


def top_items(server):
    return [i for i in server.items() if not i.get("parentItem")]


def children_of(server, key):
    return [i for i in server.items() if i.get("parentItem") == key]


def item_writes(server):
    return [r for r in server.requests if r.method == "POST" and r.path.endswith("/items")]


def daily_json(tmp_path: Path, count: int, start: int = 1, name: str = "daily.json") -> Path:
    """A Hugging Face /api/daily_papers answer: arXiv ids, authors, a code link each."""
    data = [
        {
            "paper": {
                "id": f"2601.{n:05d}",
                "title": f"Model number {n}: a study",
                "summary": f"Abstract {n}.",
                "authors": [{"name": "Ada Lovelace"}, {"name": "Alan Turing"}],
                "publishedAt": "2026-01-06T00:00:00.000Z",
                "githubRepo": f"https://github.com/lab/model-{n}",
            }
        }
        for n in range(start, start + count)
    ]
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# -- the item, as the importer makes it ----------------------------------------------------------------


def test_the_item_has_what_the_arxiv_importer_gives_bert(server):
    report = run_sync(server, [bert()], tags=["hf-daily"])
    assert report.ok and len(report.created) == 1
    (item,) = top_items(server)
    # the importer's test case, field by field (its date is v1's; ours is the Paper's date as given)
    expected = {
        "itemType": "preprint",
        "title": "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        "date": "2019-05-24",
        "DOI": "10.48550/arXiv.1810.04805",
        "abstractNote": BERT_ABSTRACT,
        "archiveID": "arXiv:1810.04805",
        "libraryCatalog": "arXiv.org",
        "repository": "arXiv",
        "shortTitle": "BERT",
        "url": "https://arxiv.org/abs/1810.04805",
    }
    assert {k: item[k] for k in expected} == expected
    assert item["extra"] == "arXiv:1810.04805 [cs.CL]"  # code links are attachments, not Extra lines
    assert [(c["firstName"], c["lastName"]) for c in item["creators"]][:2] == [
        ("Jacob", "Devlin"),
        ("Ming-Wei", "Chang"),
    ]
    # the importer's tag (automatic, as a translator's), then the user's
    assert item["tags"] == [
        {"tag": "Computer Science - Computation and Language", "type": 1},
        {"tag": "hf-daily"},
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item["accessDate"])
    assert item["citationKey"] == report.created[0].citation_key
    children = {c.get("title") or "note": c for c in children_of(server, item["key"])}
    assert sorted(children) == ["Code", "Hugging Face paper page", "Preprint PDF", "note"]
    pdf = children["Preprint PDF"]
    assert (pdf["itemType"], pdf["linkMode"], pdf["url"], pdf["contentType"]) == (
        "attachment",
        "linked_url",
        "https://arxiv.org/pdf/1810.04805",
        "application/pdf",
    )
    assert pdf["accessDate"] == item["accessDate"]
    assert children["Hugging Face paper page"]["url"] == "https://huggingface.co/papers/1810.04805"
    assert children["Code"]["url"] == "https://github.com/google-research/bert"
    assert children["note"]["note"] == "<p>Comment: 13 pages</p>"
    assert all(c["collections"] == [] for c in children.values())  # children never sit in collections
    assert report.children_created == 4


def test_items_and_children_are_valid_against_zoteros_schema(shared_dir):
    schema = json.loads((shared_dir / "zotero" / "schema.json").read_text(encoding="utf-8"))
    fields = {t["itemType"]: {f["field"] for f in t["fields"]} for t in schema["itemTypes"]}
    structural = {"itemType", "creators", "tags", "collections", "relations", "parentItem", "note"}
    structural |= {"linkMode", "contentType"}
    paper = bert(doi="10.18653/v1/N19-1423", journal_ref="NAACL 2019")
    item = paper_to_item(paper, "devlin2019bert", tags=["x"], accessed="2026-01-06T10:00:00Z")
    assert set(item) - structural <= fields["preprint"]
    for child in paper_children(paper, "ABCD2345", "2026-01-06T10:00:00Z"):
        assert set(child.data) - structural <= fields[child.data["itemType"]], child.role


def test_importer_names_for_category_tags_and_short_titles():
    assert category_tag("cs.LG") == "Computer Science - Machine Learning"
    assert category_tag("astro-ph.GA") == "Astrophysics - Astrophysics of Galaxies"
    assert category_tag("cond-mat.mes-hall") == "Condensed Matter - Mesoscale and Nanoscale Physics"
    assert category_tag("hep-ex") == "High Energy Physics - Experiment"
    assert category_tag("quant-ph") == "Quantum Physics"
    assert category_tag("xx.YY") == "xx.YY"
    assert short_title("Break-A-Scene: Extracting Multiple Concepts from a Single Image") == "Break-A-Scene"
    assert short_title("A dual pair for free boundary fluids") is None
    assert short_title(": leading colon") is None


def test_no_hybrid_a_published_arxiv_paper_stays_a_preprint_with_the_arxiv_doi(server):
    report = run_sync(server, [bert(doi="10.18653/v1/N19-1423", journal_ref="NAACL 2019, pp. 4171-4186")])
    assert report.ok
    (item,) = top_items(server)
    assert item["itemType"] == "preprint" and item["DOI"] == "10.48550/arXiv.1810.04805"
    assert item["extra"].splitlines() == [
        "arXiv:1810.04805 [cs.CL]",
        "Publisher DOI: 10.18653/v1/N19-1423",
        "Journal Reference: NAACL 2019, pp. 4171-4186",
    ]
    # the same paper met again by its journal DOI only is that item, not a new one
    again = run_sync(server, [Paper(title="BERT (NAACL version)", doi="10.18653/v1/N19-1423")])
    assert again.created == [] and [s.item_key for s in again.already_present] == [item["key"]]


def test_no_attachments_keeps_each_paper_one_object_with_its_links_in_extra(server, tmp_path):
    result = cli_sync(server, daily_json(tmp_path, 3), "--no-attachments")
    assert result.exit_code == 0, result.stderr
    assert len(server.items()) == 3 and len(item_writes(server)) == 1
    extra = {i["archiveID"]: i["extra"] for i in server.items()}
    assert extra["arXiv:2601.00002"].splitlines() == [
        "arXiv:2601.00002",
        "Code: https://github.com/lab/model-2",
    ]


# -- tags ---------------------------------------------------------------------------------------------


def test_tags_from_the_config_file_and_repeatable_tag_options(server, tmp_path):
    save_config({"zotero": {"tags": ["from-config", "hf"]}})
    result = cli_sync(server, daily_json(tmp_path, 2))
    assert result.exit_code == 0, result.stderr
    assert all([t["tag"] for t in i["tags"]] == ["from-config", "hf"] for i in top_items(server))
    # --tag replaces the configured tags for this run
    result = cli_sync(server, daily_json(tmp_path, 1, start=5, name="b.json"), "--tag", "a", "--tag", "b")
    assert result.exit_code == 0, result.stderr
    new = next(i for i in top_items(server) if i["archiveID"] == "arXiv:2601.00005")
    assert [t["tag"] for t in new["tags"]] == ["a", "b"]
    # the config file keeps the list when bibbridge writes it again
    from bibbridge.home import load_config

    save_config(load_config())
    assert load_config()["zotero"]["tags"] == ["from-config", "hf"]


def test_tags_are_added_to_items_added_to_the_collection_and_none_removed(server, tmp_path):
    digest = daily_json(tmp_path, 3)
    mine = server.add_item(
        {
            "itemType": "journalArticle",
            "title": "Model number 1: a study",
            "tags": [{"tag": "read-later"}, {"tag": "hf-daily"}, {"tag": "auto", "type": 1}],
        }
    )
    other = server.add_item(
        {"itemType": "journalArticle", "title": "Model number 2: a study", "tags": [{"tag": "keep me"}]}
    )
    result = cli_sync(server, digest, "--tag", "hf-daily", "--tag", "llm")
    assert result.exit_code == 0, result.stderr
    assert server.item(mine)["tags"] == [
        {"tag": "read-later"},
        {"tag": "hf-daily"},
        {"tag": "auto", "type": 1},
        {"tag": "llm"},
    ]
    assert server.item(other)["tags"] == [{"tag": "keep me"}, {"tag": "hf-daily"}, {"tag": "llm"}]
    # an item already in the collection is left as it is: a re-run writes nothing
    server.reset_requests()
    result = cli_sync(server, digest, "--tag", "another")
    assert result.exit_code == 0 and item_writes(server) == []
    assert len(server.requests) <= 3


def test_a_tag_edit_between_read_and_write_is_kept_and_ours_added(server, tmp_path):
    digest = daily_json(tmp_path, 1)
    key = server.add_item({"itemType": "preprint", "title": "Model number 1: a study"})
    server.edit_concurrently(
        lambda s: s.update_item(key, {"tags": [{"tag": "added in Zotero meanwhile"}]}),
        method="POST",
        path="/items",
    )
    result = cli_sync(server, digest, "--tag", "hf-daily")
    assert result.exit_code == 0, result.stderr
    assert [t["tag"] for t in server.item(key)["tags"]] == ["added in Zotero meanwhile", "hf-daily"]


# -- completing items later -----------------------------------------------------------------------------


TITLE = "Sparse Mixtures of Experts at Scale"


def bare() -> Paper:
    return Paper(title=TITLE, abstract="From a text digest.")


def known() -> Paper:
    return Paper(
        title=TITLE,
        abstract="From a text digest.",
        authors=["Ada Lovelace", "Alan Turing"],
        published="2026-01-07",
        arxiv_id="2601.01234",
    )


def test_a_later_run_fills_the_empty_fields_of_an_item_bibbridge_made(server):
    first = run_sync(server, [bare()])
    (item,) = top_items(server)
    assert item["creators"] == [] and item["archiveID"] == "" and item["date"] == ""
    server.reset_requests()
    second = run_sync(server, [known()])
    assert second.ok and [s.item_key for s in second.completed] == [item["key"]]
    now = server.item(item["key"])
    assert [(c["firstName"], c["lastName"]) for c in now["creators"]] == [
        ("Ada", "Lovelace"),
        ("Alan", "Turing"),
    ]
    assert (now["archiveID"], now["repository"], now["DOI"], now["date"]) == (
        "arXiv:2601.01234",
        "arXiv",
        "10.48550/arXiv.2601.01234",
        "2026-01-07",
    )
    assert now["citationKey"] == item["citationKey"] == first.created[0].citation_key  # never changed
    assert now["title"] == TITLE and now["abstractNote"] == item["abstractNote"]
    # one update, guarded by the version bibbridge's own write left the item at
    (update,) = [r for r in item_writes(server) if any(o.get("key") == item["key"] for o in r.json())]
    (sent,) = update.json()
    assert sent["version"] == item["version"]
    assert set(sent) == {"key", "version", "creators", "archiveID", "repository", "DOI", "date"}
    # nothing more to fill: the next run writes nothing
    server.reset_requests()
    third = run_sync(server, [known()])
    assert third.completed == [] and third.not_completed == [] and item_writes(server) == []


def test_an_item_the_user_edited_is_left_alone_and_reported(server, tmp_path):
    run_sync(server, [bare()])
    (item,) = top_items(server)
    server.update_item(item["key"], {"extra": "my own note"})
    edited = server.item(item["key"])
    digest = tmp_path / "papers.jsonl"
    digest.write_text(json.dumps(known().to_dict()) + "\n", encoding="utf-8")
    result = cli_sync(server, digest, "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [e["item_key"] for e in report["not_completed"]] == [item["key"]] and report["completed"] == []
    assert "left as it is" in result.stderr and "edited in Zotero" in result.stderr
    assert "1 left as edited" in result.stderr
    assert server.item(item["key"]) == edited


def test_an_edit_between_read_and_write_wins_over_completing(server):
    run_sync(server, [bare()])
    (item,) = top_items(server)
    server.edit_concurrently(
        lambda s: s.update_item(item["key"], {"date": "2025"}), method="POST", path="/items"
    )
    report = run_sync(server, [known()])
    assert [s.item_key for s in report.not_completed] == [item["key"]]
    now = server.item(item["key"])
    assert now["date"] == "2025" and now["creators"] == []  # their edit, nothing of ours


def test_items_bibbridge_did_not_make_are_never_completed(server):
    key = server.add_item({"itemType": "preprint", "title": TITLE})
    before = server.item(key)
    report = run_sync(server, [known()])
    assert report.completed == [] and report.not_completed == []
    now = server.item(key)
    assert now["creators"] == before["creators"] == [] and now["collections"]


# -- children: budget, faults -------------------------------------------------------------------------


def test_children_for_n_new_papers_are_sent_50_per_request_after_their_parents(server, tmp_path):
    result = cli_sync(server, daily_json(tmp_path, 60))
    assert result.exit_code == 0, result.stderr
    writes = item_writes(server)
    sizes = [len(r.json()) for r in writes]
    assert sizes == [50, 10, 50, 50, 50, 30]  # 60 parents, then 180 children (PDF, HF page, code)
    assert all(all("parentItem" in o and o["version"] == 0 for o in r.json()) for r in writes[2:])
    assert all(len(children_of(server, i["key"])) == 3 for i in top_items(server))
    assert "180 attachments/notes added" in result.stderr
    # a re-sync with nothing new: at most 3 requests, no writes
    server.reset_requests()
    result = cli_sync(server, daily_json(tmp_path, 60))
    assert result.exit_code == 0 and len(server.requests) <= 3 and item_writes(server) == []


def test_a_lost_answer_to_a_children_write_makes_no_duplicate(server, tmp_path):
    # the 3rd item write is the first children write: applied, its answer lost, retried
    server.concurrent_edit_after(
        2, lambda s: s.lose_next_write_response(1, path="/items"), method="POST", path="/items"
    )
    result = cli_sync(server, daily_json(tmp_path, 60))
    assert result.exit_code == 0, result.stderr
    assert any(r.dropped for r in server.requests)
    assert len(top_items(server)) == 60
    assert all(len(children_of(server, i["key"])) == 3 for i in top_items(server))


def test_a_refused_child_is_named_and_the_others_go_in(server, tmp_path):
    server.item_create_failures({"^Hugging Face": 400})
    result = cli_sync(server, daily_json(tmp_path, 2), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert len(report["created"]) == 2 and report["failed"] == []
    assert [(f["code"], f["message"].split(":")[0]) for f in report["children_failed"]] == [
        (400, "Hugging Face paper page"),
        (400, "Hugging Face paper page"),
    ]
    assert "failed: Model number 1: a study" in result.stderr
    assert all(len(children_of(server, i["key"])) == 2 for i in top_items(server))


def test_a_parent_deleted_before_its_children_are_sent_is_not_an_error(server, tmp_path):
    def delete_first_parent(s):
        s.delete_item(next(i["key"] for i in s.items() if i.get("archiveID") == "arXiv:2601.00001"))

    server.concurrent_edit_after(1, delete_first_parent, method="POST", path="/items")
    result = cli_sync(server, daily_json(tmp_path, 2), "--json")
    assert result.exit_code == 0, result.stderr
    assert [i["archiveID"] for i in top_items(server)] == ["arXiv:2601.00002"]
    assert len(server.items()) == 1 + 3


def test_the_fake_server_checks_children_like_the_dataserver(server):
    from pyzotero import zotero

    zot = zotero.Zotero(server.user_id, "user", server.api_key)
    zot.endpoint = server.url
    parent = server.add_item({"itemType": "preprint", "title": "P"})
    note = server.add_item({"itemType": "note", "note": "<p>n</p>", "parentItem": parent})
    version = server.item(parent)["version"]
    answer = zot.create_items(
        [
            {"itemType": "attachment", "parentItem": parent, "linkMode": "linked_url", "url": "https://x"},
            {"itemType": "attachment", "parentItem": parent, "url": "https://x"},
            {"itemType": "attachment", "parentItem": parent, "linkMode": "web_link", "url": "https://x"},
            {"itemType": "attachment", "parentItem": "ZZZZ2222", "linkMode": "linked_url"},
            {"itemType": "note", "parentItem": note, "note": "x"},
            {"itemType": "preprint", "parentItem": parent, "title": "not a child type"},
        ]
    )
    assert list(answer["successful"]) == ["0"]
    assert {k: (v["code"], v["message"]) for k, v in answer["failed"].items()} == {
        "1": (400, "'linkMode' property not provided"),
        "2": (400, "'web_link' is not a valid linkMode"),
        "3": (409, "Parent item ZZZZ2222 doesn't exist"),
        "4": (400, f"Parent item {note} cannot be a note or attachment"),
        "5": (400, "Child item must be note or attachment"),
    }
    assert server.item(parent)["version"] == version  # a child does not move its parent's version
    top = zot.top()
    assert [i["key"] for i in top] == [parent] and top[0]["meta"]["numChildren"] == 2
    server.delete_item(parent)  # children go with their parent
    assert server.items() == []


def test_the_arxiv_comment_comes_from_arxivs_feed_through_the_resolver(shared_dir):
    from bibbridge.metadata.arxiv import parse_feed
    from bibbridge.metadata.resolver import _fill

    feed = shared_dir / "fixtures" / "arxiv" / "arxiv_id_astro-ph_0601001_s0_m100_3150dca9dc76.xml"
    (record,) = parse_feed(feed.read_text(encoding="utf-8"))
    assert record.comment.startswith("62 pages including 16 figures and 9 tables.")
    paper = Paper(title=record.title)
    _fill(paper, record)
    assert paper.comment == record.comment
    (note,) = [c for c in paper_children(paper, "ABCD2345") if c.role == "comment"]
    assert note.data["note"].startswith("<p>Comment: 62 pages including 16 figures")


def test_bad_tags_in_the_config_file_are_one_clear_line(server, tmp_path, bibbridge_home):
    import os
    import subprocess
    import sys

    from bibbridge.home import config_path

    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text("[zotero]\ntags = [1, 2]\n", encoding="utf-8")
    script = Path(sys.executable).with_name("bibbridge")
    argv = [str(script), "sync", str(daily_json(tmp_path, 1)), "--library", f"user:{server.user_id}"]
    argv += ["--collection", COLLECTION, "--api-url", server.url, "--as-of", "2026-01-20"]
    env = {**os.environ, "ZOTERO_API_KEY": server.api_key}
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert str(config_path()) in line and "[zotero] tags must be a list of strings" in line
    assert server.items() == []


def test_an_item_completed_with_its_arxiv_id_gets_its_pdf_and_hugging_face_links(server):
    run_sync(server, [bare()])
    (item,) = top_items(server)
    assert children_of(server, item["key"]) == []
    report = run_sync(server, [known()])
    assert [s.item_key for s in report.completed] == [item["key"]]
    links = {c["title"]: c["url"] for c in children_of(server, item["key"])}
    assert links == {
        "Preprint PDF": "https://arxiv.org/pdf/2601.01234",
        "Hugging Face paper page": "https://huggingface.co/papers/2601.01234",
    }
    run_sync(server, [known()])  # and never twice
    assert len(children_of(server, item["key"])) == 2


def test_a_completion_refused_for_another_reason_says_why(server):
    run_sync(server, [bare()])
    (item,) = top_items(server)
    server.item_update_failures({"^Sparse": 413})
    report = run_sync(server, [known()])
    (left,) = report.not_completed
    assert left.item_key == item["key"] and left.reason.startswith("not completed: 413")
    assert children_of(server, item["key"]) == []  # the links wait for the fields


def test_children_the_server_keeps_failing_on_are_sent_by_the_next_run(server, tmp_path):
    digest = daily_json(tmp_path, 2)
    # the parents' write goes through, then every write fails
    server.concurrent_edit_after(
        1, lambda s: s.inject_5xx(100, method="POST", path="/items"), method="POST", path="/items"
    )
    result = cli_sync(server, digest, "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert len(report["created"]) == 2 and len(report["children_failed"]) == 6
    assert "sent again by the next run" in report["children_failed"][0]["message"]
    assert len(server.items()) == 2
    server.clear_faults()
    result = cli_sync(server, digest, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["children_created"] == 6
    assert all(len(children_of(server, i["key"])) == 3 for i in top_items(server))


def test_a_dry_run_counts_the_children_it_would_add_and_writes_nothing(server, tmp_path):
    result = cli_sync(server, daily_json(tmp_path, 4), "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "4 would create" in result.stderr and "would add 12 attachments/notes" in result.stderr
    assert server.items() == [] and item_writes(server) == []


def test_a_title_with_tex_math_finds_the_item_whose_title_has_the_symbols(server):
    """The index's prefilter and the identity rule fold titles alike: ``$^3$He … $\\alpha$`` in a
    digest is the library's "³He … α" item, as it is in a .bib (issue 13's one rule)."""
    server.add_item(
        {
            "itemType": "journalArticle",
            "title": "Measuring ³He polarisation with α particles",
            "creators": [{"creatorType": "author", "firstName": "Jane", "lastName": "Doe"}],
            "date": "2024",
            "tags": [],
            "collections": [],
            "relations": {},
        }
    )
    paper = Paper(title="Measuring $^3$He polarisation with $\\alpha$ particles", authors=["Jane Doe"])
    report = run_sync(server, [paper])
    assert report.ok and report.created == [] and len(report.already_present) == 1
    assert len(top_items(server)) == 1
