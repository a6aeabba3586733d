"""`bibbridge sync`: the real command, through pyzotero over HTTP, against a local Zotero API server.

Every test ends by checking the invariant users care about: each paper is in the library exactly
once, in the target collection.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import bibbridge
from bibbridge.cli import cli
from bibbridge.keys import KeyRegistry
from bibbridge.readers import read_digests
from bibbridge.text import normalise_title
from bibbridge.zotero.index import library_records
from tests.conftest import AS_OF, REAL_DIGESTS, ROOT, digest_path
from tests.support.console import assert_one_line_error, console
from tests.support.zotero_server import ZoteroServer

D0, D1, D4 = sorted(REAL_DIGESTS)  # 30, 74 and 233 papers
COLLECTION = "Reading/HF Daily"


@pytest.fixture
def server():
    with ZoteroServer(group_ids=(777,)) as srv:
        yield srv
        assert srv.errors == []


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setenv("BIBBRIDGE_RETRY_BASE", "0.01")


def sync(server, *files, args=(), library=None, env=None, collection=COLLECTION):
    """Run `bibbridge sync` in-process (real CLI, real HTTP); returns the click Result."""
    argv = ["sync", *map(str, files), "--as-of", AS_OF, "--api-url", server.url]
    argv += ["--library", library or f"user:{server.user_id}"]
    if collection:
        argv += ["--collection", collection]
    environment = {"ZOTERO_API_KEY": server.api_key, **(env or {})}
    return CliRunner().invoke(cli, [*argv, *args], env=environment, catch_exceptions=False)


def papers_of(*names):
    return bibbridge.dedupe(read_digests([digest_path(n) for n in names], as_of=AS_OF).papers)


def collection_key(server, path=COLLECTION, library=None):
    keys = [
        c["key"] for c in server.collections(library) if server.collection_path(c["key"], library) == path
    ]
    assert len(keys) == 1, f"{path!r} exists {len(keys)} times"
    return keys[0]


def assert_each_once_in_collection(server, papers, path=COLLECTION, library=None):
    """Each paper is exactly one item of the library, and that item is in the collection."""
    target = collection_key(server, path, library)
    items = [i for i in server.items(library) if i["itemType"] not in ("note", "attachment")]
    by_title: dict[str, list[dict]] = {}
    for item in items:
        by_title.setdefault(normalise_title(item["title"]), []).append(item)
    for paper in papers:
        found = by_title.get(paper.title_key, [])
        assert len(found) == 1, f"{paper.title!r} is in the library {len(found)} times"
        assert target in found[0]["collections"], f"{paper.title!r} is not in {path}"


def top_items(server, library=None):
    """The regular items of the library (no child attachments or notes)."""
    return [i for i in server.items(library) if not i.get("parentItem")]


def children_of(server, key, library=None):
    return [i for i in server.items(library) if i.get("parentItem") == key]


def writes(server):
    return [r for r in server.requests if r.method in ("POST", "PUT", "PATCH", "DELETE")]


def hf_daily_json(tmp_path: Path, entries: list[tuple[str, str]]) -> Path:
    """A Hugging Face /api/daily_papers answer with arXiv ids and authors (the real digests have none)."""
    data = [
        {
            "paper": {
                "id": arxiv_id,
                "title": title,
                "summary": f"Abstract of {title}.",
                "authors": [{"name": "Ada Lovelace"}, {"name": "Alan Turing"}],
                "publishedAt": "2026-01-06T00:00:00.000Z",
            }
        }
        for arxiv_id, title in entries
    ]
    path = tmp_path / "daily_papers.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# -- first and second syncs -------------------------------------------------------------------------


@pytest.mark.parametrize("name", [D0, D1, D4])
def test_first_sync_puts_every_paper_of_a_real_digest_into_the_collection(server, name):
    result = sync(server, digest_path(name))
    assert result.exit_code == 0, result.stderr
    count = REAL_DIGESTS[name]
    assert f"{count} created" in result.stderr
    assert "\r" not in result.stderr  # no progress bar when stderr is not a terminal
    papers = papers_of(name)
    assert len(top_items(server)) == count
    assert_each_once_in_collection(server, papers)
    # the item carries the key the registry gave (the one the .bib gets)
    with KeyRegistry() as registry:
        keys = {normalise_title(i["title"]): i["citationKey"] for i in top_items(server)}
        assert all(keys[p.title_key] == registry.find(p) for p in papers)
    # batches of at most 50, one page to read an empty library; the children (code and project
    # links: these digests have no arXiv ids) after their parents, 50 a request too
    creates = [r for r in writes(server) if r.path.endswith("/items")]
    parents = [r for r in creates if not any("parentItem" in o for o in r.json())]
    children = [o for i in top_items(server) for o in children_of(server, i["key"])]
    assert len(parents) == -(-count // 50)
    assert len(creates) - len(parents) == -(-len(children) // 50)
    assert all("If-Unmodified-Since-Version" in r.headers for r in parents)
    links = sum(len(p.urls["code"]) + len(p.urls["project"]) for p in papers)
    assert len(children) == links and all(c["linkMode"] == "linked_url" for c in children)


def test_second_sync_creates_nothing_and_makes_at_most_three_requests(server):
    assert sync(server, digest_path(D4)).exit_code == 0
    server.reset_requests()
    result = sync(server, digest_path(D4), args=["--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["created"] == [] and len(report["already_present"]) == 233
    assert report["added_to_collection"] == []
    assert len(server.requests) <= 3 and report["requests"] == len(server.requests)
    assert writes(server) == []
    assert len(top_items(server)) == 233


def test_a_later_sync_reads_only_what_changed(server):
    assert sync(server, digest_path(D1)).exit_code == 0
    first_key = top_items(server)[0]["key"]
    server.add_items([{"itemType": "book", "title": f"Desk book {n}"} for n in range(120)])
    server.delete_item(first_key)  # emptied from the trash in Zotero desktop: synced again
    server.reset_requests()
    result = sync(server, digest_path(D1))
    assert result.exit_code == 0, result.stderr
    assert "1 created" in result.stderr
    reads = [r for r in server.requests if r.method == "GET"]
    fetched = [r for r in reads if "itemKey" in r.query]
    assert len(fetched) == 3  # 120 new keys, 50 per request; nothing re-read in full
    assert not any(r.path.endswith("/items/top") and r.query.get("format") != "versions" for r in reads)
    assert_each_once_in_collection(server, papers_of(D1))


def test_two_digests_sharing_papers(server):
    shared = {p.identity for p in papers_of(D0)} & {p.identity for p in papers_of(D1)}
    assert len(shared) == 5
    assert sync(server, digest_path(D0)).exit_code == 0
    result = sync(server, digest_path(D0), digest_path(D1), args=["--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert len(report["created"]) == 74 - 5
    assert len(report["already_present"]) == 30
    assert len(top_items(server)) == 30 + 74 - 5
    assert_each_once_in_collection(server, papers_of(D0, D1))
    # the shared papers also go into a second collection without being copied
    result = sync(server, digest_path(D1), collection="Reading/Other", args=["--json"])
    report = json.loads(result.stdout)
    assert report["created"] == [] and len(report["added_to_collection"]) == 74
    assert_each_once_in_collection(server, papers_of(D1), "Reading/Other")
    assert len([c for c in server.collections() if c["name"] == "Reading"]) == 1


def test_papers_already_in_the_library_by_hand_are_not_created_again(server, tmp_path):
    entries = [(f"2601.0{n:04d}", f"Paper number {n} about models") for n in range(1, 8)]
    digest = hf_daily_json(tmp_path, entries)
    server.add_items([{"itemType": "book", "title": f"Unrelated {n}"} for n in range(300)])
    by_hand = server.add_items(
        [
            {
                "itemType": "journalArticle",
                "title": "Different title A",
                "url": "http://arxiv.org/abs/2601.00001v2",
            },
            {"itemType": "journalArticle", "title": "Different title B", "extra": "arXiv: 2601.00002"},
            {"itemType": "journalArticle", "title": "Different title C", "DOI": "10.48550/arXiv.2601.00003"},
            {"itemType": "preprint", "title": "PAPER NUMBER 4 — about models!"},
            {
                "itemType": "preprint",
                "title": "Paper number 6 about models",
                "archiveID": "arXiv:2601.00006",
                "citationKey": "mine2026six",
            },
        ]
    )
    trashed = server.add_item(
        {"itemType": "preprint", "title": "Old", "archiveID": "arXiv:2601.00005"}, trashed=True
    )
    result = sync(server, digest, args=["--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert sorted(e["arxiv_id"] for e in report["created"]) == ["2601.00007"]
    assert {e["item_key"] for e in report["already_present"]} == {*by_hand, trashed}
    assert [e["item_key"] for e in report["in_trash"]] == [trashed]
    assert len(top_items(server)) == 300 + 6 + 1
    target = collection_key(server)
    for key in [*by_hand, trashed]:
        assert server.item(key)["collections"] == [target]
    assert server.item(trashed)["deleted"]  # not restored: the user trashed it
    # the key a user gave an item is the key bibbridge uses from now on
    with KeyRegistry() as registry:
        paper6 = next(p for p in read_digests([digest]).papers if p.arxiv_id == "2601.00006")
        assert registry.find(paper6) == "mine2026six"
    created = next(i for i in top_items(server) if i.get("archiveID") == "arXiv:2601.00007")
    assert created["DOI"] == "10.48550/arXiv.2601.00007"
    assert created["creators"][0] == {"creatorType": "author", "firstName": "Ada", "lastName": "Lovelace"}


def test_group_libraries_work_the_same(server):
    result = sync(server, digest_path(D0), library="group:777")
    assert result.exit_code == 0, result.stderr
    assert_each_once_in_collection(server, papers_of(D0), library="group:777")
    assert top_items(server) == []


# -- papers already in the library: added to the collection, 50 per request --------------------------


def by_hand(server, tmp_path, count):
    """A library holding ``count`` arXiv papers added by hand (in no collection), and a digest of them.

    Returns (digest path, item keys in digest order)."""
    entries = [(f"2601.{n:05d}", f"Hand-added paper {n} on models") for n in range(1, count + 1)]
    keys = server.add_items(
        [{"itemType": "preprint", "title": title, "archiveID": f"arXiv:{ident}"} for ident, title in entries]
    )
    return hf_daily_json(tmp_path, entries), keys


def item_writes(server):
    return [r for r in writes(server) if r.path.endswith("/items")]


def test_papers_already_in_the_library_are_added_to_the_collection_50_per_request(server, tmp_path):
    server.add_items([{"itemType": "book", "title": f"Unrelated {n}"} for n in range(30)])
    elsewhere = server.add_collection("Elsewhere")
    digest, keys = by_hand(server, tmp_path, 120)
    server.update_item(keys[0], {"collections": [elsewhere]})
    result = sync(server, digest, args=["--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["created"] == [] and report["failed"] == []
    assert sorted(e["item_key"] for e in report["added_to_collection"]) == sorted(keys)
    target = collection_key(server)
    assert server.item(keys[0])["collections"] == [elsewhere, target]  # the full list, kept
    assert all(server.item(key)["collections"] == [target] for key in keys[1:])
    # 2 collections made, then ceil(120 / 50) = 3 item writes: no PATCH per item
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in writes(server)] == [
        ("POST", "collections"),
        ("POST", "collections"),
        ("POST", "items"),
        ("POST", "items"),
        ("POST", "items"),
    ]
    batches = [r.json() for r in item_writes(server)]
    assert [len(b) for b in batches] == [50, 50, 20]
    assert all(set(obj) == {"key", "version", "collections"} for b in batches for obj in b)
    assert all("If-Unmodified-Since-Version" not in r.headers for r in item_writes(server))
    # read the library (150 items: 2 pages) and its collections, write 5 times, then record the new
    # library version (versions since, deletions, collections; our own writes are not read again)
    assert report["requests"] == len(server.requests) == 3 + 5 + 3
    server.reset_requests()
    again = json.loads(sync(server, digest, args=["--json"]).stdout)
    assert again["added_to_collection"] == [] and len(again["already_present"]) == 120
    assert writes(server) == [] and len(server.requests) == 1


def test_adding_and_creating_in_one_run_take_one_round(server, tmp_path):
    by_hand(server, tmp_path, 3)
    entries = [(f"2601.{n:05d}", f"Hand-added paper {n} on models") for n in range(1, 5)]
    digest = hf_daily_json(tmp_path, entries)  # the three, and one more
    result = sync(server, digest, args=["--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["added_to_collection"]) == 3
    assert [e["arxiv_id"] for e in report["created"]] == ["2601.00004"]
    # our own collection write moves the library version; the create that follows knows it was ours
    assert [(r.path.rsplit("/", 1)[-1], r.status) for r in writes(server)] == [
        ("collections", 200),
        ("collections", 200),
        ("items", 200),
        ("items", 200),
        ("items", 200),  # the new item's children: its PDF and Hugging Face links
    ]
    assert [len(r.json()) for r in item_writes(server)] == [3, 1, 2]
    assert report["requests"] == len(server.requests) == 2 + 5 + 3
    assert_each_once_in_collection(server, read_digests([digest]).papers)


def test_an_item_edited_between_the_read_and_the_write_is_added_with_the_edit_kept(server, tmp_path):
    digest, keys = by_hand(server, tmp_path, 7)
    edited = keys[3]
    edit_version = []  # the item's version after the other user's edit
    server.edit_concurrently(
        lambda s: edit_version.append(
            s.update_item(edited, {"title": "Retitled in Zotero desktop", "extra": "Read: yes"})
        ),
        method="POST",
        path="/items",
    )
    result = sync(server, digest, args=["--json"])
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["added_to_collection"]) == 7
    target = collection_key(server)
    assert all(server.item(key)["collections"] == [target] for key in keys)
    item = server.item(edited)
    assert (item["title"], item["extra"]) == ("Retitled in Zotero desktop", "Read: yes")
    # the batch: six go in, the edited one is refused (412), read again and sent with its new version
    first, second = item_writes(server)
    assert [o["key"] for o in first.json()] == keys
    assert second.json() == [{"key": edited, "version": edit_version[0], "collections": [target]}]
    reads = [r.query["itemKey"] for r in server.requests if r.method == "GET" and "itemKey" in r.query]
    assert reads == [edited]
    assert len(top_items(server)) == 7


def test_a_lost_answer_to_the_collection_write_is_not_applied_twice(server, tmp_path):
    digest, keys = by_hand(server, tmp_path, 7)
    server.lose_next_write_response(1, path="/items")
    result = sync(server, digest, args=["--json"])
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["added_to_collection"]) == 7
    target = collection_key(server)
    assert all(server.item(key)["collections"] == [target] for key in keys)
    # applied, answer lost; the retry is refused per object (stale versions): the items are read
    # again, found in the collection, and not written a third time
    lost, retried = item_writes(server)
    assert lost.dropped and not retried.dropped and retried.json() == lost.json()
    seeded = lost.json()[0]["version"]
    assert server.library_version() == seeded + 2 + 7  # two collections, each item changed once
    server.reset_requests()
    assert sync(server, digest).exit_code == 0 and writes(server) == []


def test_a_per_object_failure_names_its_paper_and_the_others_are_added(server, tmp_path):
    digest, keys = by_hand(server, tmp_path, 7)
    server.item_update_failures({"paper 2 on": 413})
    server.edit_concurrently(lambda s: s.delete_item(keys[5]), method="POST", path="/items")
    result = sync(server, digest, args=["--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    failed = [(f["arxiv_id"], f["code"]) for f in report["failed"]]
    assert failed == [("2601.00002", 413), ("2601.00006", 404)]
    assert "failed: Hand-added paper 2 on models" in result.stderr
    assert "Injected failure 413" in result.stderr and "Item doesn't exist" in result.stderr
    target = collection_key(server)
    added = [key for key in keys if key not in (keys[1], keys[5])]
    assert all(server.item(key)["collections"] == [target] for key in added)
    assert server.item(keys[1])["collections"] == [] and len(item_writes(server)) == 1
    server.clear_faults()
    again = json.loads(sync(server, digest, args=["--json"]).stdout)
    assert [e["arxiv_id"] for e in again["added_to_collection"]] == ["2601.00002"]
    assert [e["arxiv_id"] for e in again["created"]] == ["2601.00006"]  # deleted for good: made again
    assert_each_once_in_collection(server, read_digests([digest]).papers)


# -- faults ------------------------------------------------------------------------------------------


def storm_429(server):
    server.inject_429(8, retry_after="0.05")


def storm_429_on_writes(server):
    server.inject_429(3, retry_after="0.05", method="POST", path="/items")


def errors_500(server):
    server.inject_5xx(4)


def errors_503_on_writes(server):
    server.inject_5xx(3, status=503, retry_after="0.02", method="POST")


def lost_item_write(server):
    server.lose_next_write_response(1, path="/items")


def lost_collection_write(server):
    server.lose_next_write_response(2, path="/collections")


def lost_collection_add(server):
    server.add_item({"itemType": "preprint", "title": papers_of(D1)[3].title})
    # the first item write is the one adding the items already there to the collection
    server.lose_next_write_response(1, path="/items")


def storm_429_on_collection_adds(server):
    server.add_item({"itemType": "preprint", "title": papers_of(D1)[5].title})
    server.inject_429(2, retry_after="0.05", method="POST", path="/items")  # the first is the add


def errors_503_on_collection_adds(server):
    server.add_item({"itemType": "preprint", "title": papers_of(D1)[5].title})
    server.inject_5xx(2, status=503, retry_after="0.02", method="POST", path="/items")


def concurrent_edit(server):
    # someone syncs Zotero desktop between our reads and our first item write
    server.edit_concurrently(
        lambda s: s.add_item({"itemType": "book", "title": "Added meanwhile"}), method="POST", path="/items"
    )


def concurrent_edit_of_a_matched_item(server):
    key = server.add_item({"itemType": "preprint", "title": papers_of(D1)[0].title})
    server.edit_concurrently(
        lambda s: s.update_item(key, {"extra": "edited meanwhile"}), method="POST", path="/items"
    )


FAULTS = [
    storm_429,
    storm_429_on_writes,
    errors_500,
    errors_503_on_writes,
    lost_item_write,
    lost_collection_write,
    lost_collection_add,
    storm_429_on_collection_adds,
    errors_503_on_collection_adds,
    concurrent_edit,
    concurrent_edit_of_a_matched_item,
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.__name__ for f in FAULTS])
def test_after_a_fault_each_paper_is_in_the_library_exactly_once(server, fault):
    fault(server)
    result = sync(server, digest_path(D1))
    assert result.exit_code == 0, result.stderr
    assert_each_once_in_collection(server, papers_of(D1))
    # and a second run agrees: nothing left to do
    server.clear_faults()
    server.reset_requests()
    again = sync(server, digest_path(D1), args=["--json"])
    assert json.loads(again.stdout)["created"] == [] and writes(server) == []


def test_backoff_and_retry_after_are_waited_for(server):
    server.inject_backoff("0.4", count=1, method="GET")
    started = time.monotonic()
    assert sync(server, digest_path(D0)).exit_code == 0
    assert time.monotonic() - started >= 0.4
    server.inject_429(1, retry_after="0.5", method="POST", path="/items")
    # retry-after is honoured once (not slept by pyzotero and again by us)
    started = time.monotonic()
    result = sync(server, digest_path(D1))
    elapsed = time.monotonic() - started
    assert result.exit_code == 0
    assert 0.5 <= elapsed < 0.5 + 0.9
    assert_each_once_in_collection(server, papers_of(D0, D1))


def test_a_server_that_keeps_failing_is_reported_not_hidden(server):
    server.inject_5xx(100, method="POST", path="/items")
    result = sync(server, digest_path(D0), env={"BIBBRIDGE_RETRY_BASE": "0.001"})
    assert result.exit_code == 1
    assert "30 failed" in result.stderr
    assert "answered 500" in result.stderr
    server.clear_faults()
    assert sync(server, digest_path(D0)).exit_code == 0
    assert_each_once_in_collection(server, papers_of(D0))


def test_per_object_failures_name_their_paper_and_the_rest_goes_in(server):
    papers = papers_of(D0)
    victim = papers[7]
    server.item_create_failures({"^" + __import__("re").escape(victim.title[:30]): 400})
    result = sync(server, digest_path(D0), args=["--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [(f["title"], f["code"]) for f in report["failed"]] == [(victim.title, 400)]
    assert f"{victim.source['file']}:{victim.source['line']}: failed: {victim.title}" in result.stderr
    assert len(top_items(server)) == 29
    server.item_create_failures({})
    result = sync(server, digest_path(D0))
    assert result.exit_code == 0 and "1 created" in result.stderr
    assert_each_once_in_collection(server, papers)


@pytest.mark.parametrize(
    ("path", "kill_at", "items_left"),
    [("/collections", 2, 0), ("/items", 1, 50), ("/items", 3, 150), ("/items", 5, 233)],
    ids=["second-collection-write", "first-items-write", "third-items-write", "last-items-write"],
)
def test_a_killed_sync_run_again_leaves_each_paper_once(server, path, kill_at, items_left):
    """kill -9 the real command as its Nth write reaches the server (the write still applies)."""
    env = {**os.environ, "ZOTERO_API_KEY": server.api_key, "PYTHONPATH": str(ROOT)}
    argv = [
        sys.executable,
        "-m",
        "bibbridge",
        "sync",
        str(digest_path(D4)),
        "--as-of",
        AS_OF,
        "--library",
        f"user:{server.user_id}",
        "--collection",
        COLLECTION,
        "--api-url",
        server.url,
    ]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    server.concurrent_edit_after(
        kill_at - 1,
        lambda s: os.kill(proc.pid, signal.SIGKILL),
        method="POST",
        path=f"/users/{server.user_id}{path}",
    )
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert len(top_items(server)) == items_left
    result = sync(server, digest_path(D4))
    assert result.exit_code == 0, result.stderr
    assert len(top_items(server)) == 233
    assert_each_once_in_collection(server, papers_of(D4))
    assert len(server.collections()) == 2


def arxiv_daily_json(tmp_path: Path, count: int) -> Path:
    """A Daily Papers answer whose papers get three children each (PDF, Hugging Face page, code)."""
    data = [
        {
            "paper": {
                "id": f"2601.{n:05d}",
                "title": f"Killed paper {n}: on models",
                "summary": f"Abstract {n}.",
                "authors": [{"name": "Ada Lovelace"}],
                "publishedAt": "2026-01-06T00:00:00.000Z",
                "githubRepo": f"https://github.com/lab/killed-{n}",
            }
        }
        for n in range(1, count + 1)
    ]
    path = tmp_path / "arxiv_daily.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("kill_at", "parents_left", "children_left"),
    # item writes: 1-3 the 120 parents, 4-11 their 360 children (the Nth write still applies)
    [(2, 100, 0), (3, 120, 0), (4, 120, 50), (7, 120, 200), (11, 120, 360)],
    ids=[
        "second-parent-write",
        "last-parent-write",
        "first-children-write",
        "a-children-write",
        "last-children-write",
    ],
)
def test_a_sync_killed_around_its_children_writes_completes_them_once(
    server, tmp_path, kill_at, parents_left, children_left
):
    """kill -9 the real command between parents and children and inside the children writes; the
    next run sends what is missing, with the same keys: no paper and no child twice."""
    digest = arxiv_daily_json(tmp_path, 120)
    env = {**os.environ, "ZOTERO_API_KEY": server.api_key, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "bibbridge", "sync", str(digest), "--library", f"user:{server.user_id}"]
    argv += ["--collection", COLLECTION, "--api-url", server.url]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    server.concurrent_edit_after(
        kill_at - 1,
        lambda s: os.kill(proc.pid, signal.SIGKILL),
        method="POST",
        path=f"/users/{server.user_id}/items",
    )
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert len(top_items(server)) == parents_left
    assert len(server.items()) - parents_left == children_left
    result = sync(server, digest)
    assert result.exit_code == 0, result.stderr
    papers = read_digests([digest]).papers
    assert_each_once_in_collection(server, papers)
    for item in top_items(server):
        roles = sorted(c.get("title") for c in children_of(server, item["key"]))
        assert roles == ["Code", "Hugging Face paper page", "Preprint PDF"], item["title"]
    # and nothing is left for a third run
    server.reset_requests()
    assert sync(server, digest).exit_code == 0
    assert writes(server) == [] and len(server.requests) <= 3


# -- dry run, errors, secrets ------------------------------------------------------------------------


def test_dry_run_shows_the_plan_and_writes_nothing(server, bibbridge_home):
    papers = papers_of(D0)
    server.add_item({"itemType": "preprint", "title": papers[0].title})
    before = server.library_version()
    result = sync(server, digest_path(D0), args=["--dry-run"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert sum(line.startswith("create ") for line in lines) == 29
    assert sum(line.startswith("add ") for line in lines) == 1
    assert "29 would create" in result.stderr
    assert writes(server) == [] and server.library_version() == before
    assert server.collections() == []
    assert not (bibbridge_home / "state.sqlite").exists()  # no citation keys given out


def test_dry_run_leaves_the_key_registry_as_it_was(server, bibbridge_home):
    """A paper the registry knows by its title only would get its arXiv id recorded when found: not in
    a dry run."""
    from bibbridge.keys import KeyRegistry
    from bibbridge.model import Paper

    paper = Paper(title="Generative Marginalization Models", arxiv_id="2310.12920")
    with KeyRegistry(bibbridge_home / "state.sqlite") as registry:
        registry.record(Paper(title=paper.title), "known2024")
        before = list(registry.rows())
    report = bibbridge.sync(
        [paper],
        library=f"user:{server.user_id}",
        collection="Inbox",
        api_key=server.api_key,
        api_url=server.url,
        dry_run=True,
    )
    assert [entry.citation_key for entry in report.created] == ["known2024"]
    with KeyRegistry(bibbridge_home / "state.sqlite") as registry:
        assert list(registry.rows()) == before


def test_a_key_without_write_access_is_told_so(server):
    server.set_write_access(False)
    result = console(  # the real script: a traceback would show there
        "sync", digest_path(D0), "--as-of", AS_OF, "--api-url", server.url,
        "--library", f"user:{server.user_id}", "--collection", COLLECTION,
        env={"ZOTERO_API_KEY": server.api_key},
    )  # fmt: skip
    assert_one_line_error(result, f"the API key lacks write access to user:{server.user_id}")
    assert server.api_key not in result.stderr + result.stdout


def test_a_wrong_key_or_missing_settings_are_usage_errors(server):
    result = sync(server, digest_path(D0), env={"ZOTERO_API_KEY": "wrongkey123"})
    assert result.exit_code == 2 and "API key was refused" in result.stderr
    result = sync(server, digest_path(D0), library="me")
    assert result.exit_code == 2 and "bad Zotero library 'me'" in result.stderr
    result = sync(server, digest_path(D0), collection="Reading//Daily")
    assert result.exit_code == 2 and "empty level" in result.stderr
    result = CliRunner().invoke(
        cli,
        ["sync", str(digest_path(D0)), "--as-of", AS_OF, "--library", "user:1", "--collection", "X"],
        env={"ZOTERO_API_KEY": ""},
    )
    assert result.exit_code == 2 and "no Zotero API key" in result.stderr


def test_the_api_key_never_appears_in_output_errors_or_files(server, bibbridge_home):
    outputs = []
    server.inject_5xx(2)
    server.lose_next_write_response(1)
    outputs.append(sync(server, digest_path(D0), args=["--json"]))
    outputs.append(sync(server, digest_path(D1), args=["--dry-run"]))
    server.item_create_failures({".": 400})
    outputs.append(sync(server, digest_path(D1)))
    server.set_write_access(False)
    outputs.append(sync(server, digest_path(D4)))
    outputs.append(sync(server, digest_path(D4), env={"ZOTERO_API_KEY": server.api_key + "x"}))
    assert [r.exit_code for r in outputs] == [0, 0, 1, 2, 2]
    for result in outputs:
        assert server.api_key not in result.output
    secret = server.api_key.encode()
    for path in bibbridge_home.rglob("*"):
        if path.is_file():
            assert secret not in path.read_bytes(), path


def test_the_key_can_be_stored_with_hidden_input_and_is_used_from_there(server, bibbridge_home):
    result = CliRunner().invoke(
        cli,
        ["config", "zotero", "--library", f"user:{server.user_id}", "--api-url", server.url],
        input=server.api_key + "\n",
    )
    assert result.exit_code == 0, result.output
    assert server.api_key not in result.output
    config = bibbridge_home / "config.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    result = CliRunner().invoke(
        cli, ["sync", str(digest_path(D0)), "--as-of", AS_OF, "--collection", "Inbox"]
    )
    assert result.exit_code == 0, result.output
    assert_each_once_in_collection(server, papers_of(D0), "Inbox")


def test_python_twin_returns_the_report_and_library_records_list_the_items(server):
    papers = papers_of(D0)
    report = bibbridge.sync(
        papers,
        library=f"user:{server.user_id}",
        collection="Inbox",
        api_key=server.api_key,
        api_url=server.url,
    )
    assert report.ok and len(report.created) == 30 and report.requests > 0
    assert all(s.item_key and s.citation_key for s in report.created)
    records = library_records(f"user:{server.user_id}", api_url=server.url, api_key=server.api_key)
    assert sorted(r["item_key"] for r in records) == sorted(i["key"] for i in top_items(server))
    assert {r["citation_key"] for r in records} == {s.citation_key for s in report.created}
    offline = library_records(f"user:{server.user_id}", api_url=server.url, refresh=False)
    assert offline == records


def test_every_command_names_the_server_alike_so_the_local_index_is_kept(server):
    """`sync` and `key --zotero` share one local index per library and server URL: a trailing '/' on
    the URL (as a user may write it in $ZOTERO_API_URL) must not make the other command start over."""
    papers = papers_of(D0)
    bibbridge.sync(
        papers,
        library=f"user:{server.user_id}",
        collection="Inbox",
        api_key=server.api_key,
        api_url=server.url + "/",
    )
    offline = library_records(f"user:{server.user_id}", api_url=server.url, refresh=False)
    assert len(offline) == 30  # the index sync left, not a new empty one
    offline_slash = library_records(f"user:{server.user_id}", api_url=server.url + "/", refresh=False)
    assert offline_slash == offline
