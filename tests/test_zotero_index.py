"""The local index of a Zotero library: identity lookups, and upgrading an index an older bibbridge wrote."""

from __future__ import annotations

import json

from bibbridge.zotero.client import Library
from bibbridge.zotero.index import SEP, LibraryIndex

LIBRARY = Library("user", "12345")


def item(key, title, version=5, **data):
    return {"key": key, "version": version, "data": {"itemType": "preprint", "title": title, **data}}


def seeded(path):
    index = LibraryIndex(LIBRARY, path=path, api_url="http://127.0.0.1:1")
    index.upsert_items(
        [
            item(
                "AAAA2222",
                "Attention Is All You Need",
                archiveID="arXiv:1706.03762",
                creators=[{"creatorType": "author", "firstName": "Ashish", "lastName": "Vaswani"}],
            ),
            item("BBBB3333", "A Trashed Paper", deleted=1, DOI="10.1000/xyz"),
            item("CCCC4444", "Unrelated"),
        ]
    )
    index.add_pending([{"key": "DDDD5555", "itemType": "preprint", "title": "Sent Before A Kill"}])
    index._set_meta("version", 42)
    index._set_meta("complete", 1)
    index.db.commit()
    return index


def test_items_with_finds_items_by_any_identity_trash_and_pending_included(tmp_path):
    with seeded(tmp_path / "index.sqlite") as index:
        wanted = ["arxiv:1706.03762", "doi:10.1000/xyz", "title:sent before a kill", "title:nope"]
        found = index.items_with(wanted)
        assert sorted(i.key for i in found) == ["AAAA2222", "BBBB3333", "DDDD5555"]
        by_key = {i.key: i for i in found}
        assert by_key["AAAA2222"].creators == ["Ashish Vaswani"]
        assert by_key["BBBB3333"].trashed and by_key["DDDD5555"].pending
        assert index.items_with([]) == []


def test_removed_and_replaced_items_leave_no_stale_identities(tmp_path):
    with seeded(tmp_path / "index.sqlite") as index:
        index.upsert_items([item("AAAA2222", "Renamed", version=6)])
        assert index.items_with(["arxiv:1706.03762", "title:attention is all you need"]) == []
        assert [i.key for i in index.items_with(["title:renamed"])] == ["AAAA2222"]
        index.remove_items(["AAAA2222"])
        assert index.items_with(["title:renamed"]) == []
        assert index.db.execute("SELECT COUNT(*) FROM identities WHERE key = 'AAAA2222'").fetchone() == (0,)


def test_an_index_in_format_1_is_upgraded_in_place_keeping_pending_keys(tmp_path):
    path = tmp_path / "index.sqlite"
    with seeded(path) as index:
        # what bibbridge wrote before format 2: JSON creators, no identities table
        rows = index.db.execute("SELECT key, creators FROM items").fetchall()
        index.db.executemany(
            "UPDATE items SET creators = ? WHERE key = ?",
            [(json.dumps(c.split(SEP) if c else []), k) for k, c in rows],
        )
        index.db.execute("DELETE FROM identities")
        index._set_meta("format", "1")
    with LibraryIndex(LIBRARY, path=path, api_url="http://127.0.0.1:1") as index:
        # the tags of old rows are unknown (format 3 keeps them): the next refresh reads the library
        # again, but the pending keys of an interrupted sync are kept
        assert index.version is None
        assert [i.key for i in index.items_with(["title:sent before a kill"])] == ["DDDD5555"]
        assert index.items_with(["arxiv:1706.03762"])[0].creators == ["Ashish Vaswani"]
        assert index._meta("format") == "3"


def test_an_index_in_format_2_gets_a_tags_column_and_is_read_again_keeping_pending_keys(tmp_path):
    import sqlite3

    path = tmp_path / "index.sqlite"
    with seeded(path) as index:
        index._set_meta("format", "2")
    db = sqlite3.connect(path)  # format 2 had no tags column
    db.execute("ALTER TABLE items DROP COLUMN tags")
    db.commit()
    db.close()
    with LibraryIndex(LIBRARY, path=path, api_url="http://127.0.0.1:1") as index:
        assert index.version is None and index._meta("format") == "3"
        pending = index.item("DDDD5555")
        assert pending is not None and pending.pending and pending.tags == []
        index.upsert_items([item("EEEE6666", "Tagged", version=7, tags=[{"tag": "mine"}])])
        assert index.item("EEEE6666").tags == [{"tag": "mine"}]
