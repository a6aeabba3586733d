"""The local Zotero Web API v3 server, driven the way bibbridge drives Zotero: real pyzotero over real HTTP.

Each test reads as a usage example of tests/support/zotero_server.py and checks a documented behaviour
of the real server (../shared/notes/zotero-web-api.md).
"""

from __future__ import annotations

import json
import threading
import time

import httpx2
import pytest
from pyzotero import zotero
from pyzotero import zotero_errors as ze

from tests.support.zotero_server import ZoteroServer

KEY = "bbTESTkeyQ1w2e3r4t5y6u7i8"
USER = 4242
GROUP = 777


def preprint(title: str, **fields: object) -> dict:
    return {
        "itemType": "preprint",
        "title": title,
        "creators": [{"creatorType": "author", "firstName": "Ada", "lastName": "Lovelace"}],
        **fields,
    }


def client_for(server: ZoteroServer, library_type: str = "user", library_id: int = USER) -> zotero.Zotero:
    zot = zotero.Zotero(library_id, library_type, server.api_key)
    zot.endpoint = server.url
    return zot


def raw(server: ZoteroServer, method: str, path: str, **kwargs: object) -> httpx2.Response:
    """A request pyzotero cannot send (reused write token, conditional GET, no version ...)."""
    headers = {"Zotero-API-Key": server.api_key, "Zotero-API-Version": "3", **kwargs.pop("headers", {})}
    with httpx2.Client(trust_env=False, timeout=10) as client:
        return client.request(method, server.url + path, headers=headers, **kwargs)


@pytest.fixture
def server():
    with ZoteroServer(api_key=KEY, user_id=USER, group_ids=[GROUP]) as srv:
        yield srv
        assert srv.errors == []


@pytest.fixture
def schema_server(shared_dir):
    with ZoteroServer(api_key=KEY, user_id=USER, schema_path=shared_dir / "zotero" / "schema.json") as srv:
        yield srv
        assert srv.errors == []


@pytest.fixture
def zot(server):
    return client_for(server)


# ------------------------------------------------------------------------------------------- auth


def test_keys_current_tells_user_and_access_without_echoing_the_key(server, zot):
    info = zot.key_info()  # pyzotero asks /keys/<key>
    assert info["userID"] == USER
    assert info["access"]["user"] == {"library": True, "files": True, "notes": True, "write": True}
    assert info["access"]["groups"] == {str(GROUP): {"library": True, "write": True}}
    answer = raw(
        server, "GET", "/keys/current", headers={"Zotero-API-Key": "", "Authorization": f"Bearer {KEY}"}
    )
    assert answer.status_code == 200 and answer.json()["userID"] == USER
    assert KEY not in answer.text and KEY not in json.dumps(info)


def test_a_missing_or_wrong_key_is_forbidden(server):
    assert raw(server, "GET", f"/users/{USER}/items", headers={"Zotero-API-Key": ""}).status_code == 403
    wrong = raw(server, "GET", f"/users/{USER}/items", headers={"Zotero-API-Key": "nope"})
    assert (wrong.status_code, wrong.text) == (403, "Invalid key")
    assert raw(server, "GET", "/users/99/items").status_code == 403  # another user's library


def test_a_read_only_key_gets_403_on_writes(server):
    server.set_write_access([f"user:{USER}"])  # the user library only, not the group
    group = client_for(server, "group", GROUP)
    with pytest.raises(ze.UserNotAuthorisedError, match="Write access denied"):
        group.create_items([preprint("Nope")])
    assert group.key_info()["access"]["groups"][str(GROUP)]["write"] is False
    assert group.items() == []
    server.set_write_access(False)
    with pytest.raises(ze.UserNotAuthorisedError):
        client_for(server).create_items([preprint("Nope")])
    assert server.items() == [] and server.items(f"group:{GROUP}") == []


def test_the_api_key_never_appears_in_answers_or_records(server, zot, capfd):
    seen: list[str] = []

    def keep(response: httpx2.Response) -> None:
        response.read()
        seen.append(f"{response.status_code} {response.headers} {response.content.decode()}")

    zot.client = httpx2.Client(trust_env=False, event_hooks={"response": [keep]})
    zot.key_info()
    zot.create_items([preprint("One"), {"itemType": "nope"}])
    zot.items(limit=1)
    server.inject_429(1, retry_after="0.01")
    zot.items()
    zot.endpoint = server.url + "/"
    with pytest.raises(ze.ResourceNotFoundError):
        zot.item("ZZZZZZZZ")
    raw(server, "GET", f"/users/{USER}/items?key={KEY}&limit=1")
    assert len(seen) >= 5
    assert all(KEY not in text for text in seen)
    assert all(KEY not in repr(record) for record in server.requests)
    out, err = capfd.readouterr()
    assert KEY not in out + err


# ------------------------------------------------------------------------------------ reads, versions


def test_created_items_read_back_like_the_real_api(server, zot):
    answer = zot.create_items([preprint("Attention", key="ABCD2345", version=0, date="2023-10-19")])
    assert answer["success"] == {"0": "ABCD2345"} and answer["failed"] == {} and answer["unchanged"] == {}
    made = answer["successful"]["0"]
    assert set(made) == {"key", "version", "library", "links", "meta", "data"}
    assert made["data"]["key"] == "ABCD2345" and made["data"]["version"] == made["version"] == 1
    assert made["library"]["type"] == "user" and made["library"]["id"] == USER
    assert made["meta"] == {"creatorSummary": "Lovelace", "parsedDate": "2023-10-19", "numChildren": 0}
    assert zot.request.headers["Last-Modified-Version"] == "1"
    item = zot.item("ABCD2345")
    assert item["data"]["title"] == "Attention" and item["data"]["dateAdded"].endswith("Z")
    assert zot.items()[0]["key"] == "ABCD2345"
    assert zot.last_modified_version() == 1


def test_since_and_format_versions_give_only_what_changed(server, zot):
    old = server.add_items([preprint(f"Old {i}") for i in range(3)])
    seen = zot.last_modified_version()
    new = zot.create_items([preprint("New")])["success"]["0"]
    server.update_item(old[0], {"title": "Old 0, edited"})
    changed = zot.item_versions(since=seen)
    assert set(changed) == {new, old[0]}
    assert all(v > seen for v in changed.values())
    assert {i["key"] for i in zot.items(since=seen)} == {new, old[0]}
    assert "Total-Results" in zot.request.headers


def test_if_modified_since_version_answers_304(server):
    server.add_item(preprint("One"))
    path = f"/users/{USER}/items?format=versions"
    now = raw(server, "GET", path)
    version = now.headers["Last-Modified-Version"]
    unchanged = raw(server, "GET", path, headers={"If-Modified-Since-Version": version})
    assert unchanged.status_code == 304 and unchanged.headers["Last-Modified-Version"] == version
    server.add_item(preprint("Two"))
    assert raw(server, "GET", path, headers={"If-Modified-Since-Version": version}).status_code == 200


def test_everything_pages_100_at_a_time_with_link_headers(server, zot):
    server.add_items([preprint(f"Paper {i}") for i in range(250)])
    server.reset_requests()
    items = zot.everything(zot.items(limit=100))
    assert len({i["key"] for i in items}) == 250
    assert [r.query.get("start", "0") for r in server.requests] == ["0", "100", "200"]
    first = raw(server, "GET", f"/users/{USER}/items?limit=100&format=json")
    assert first.headers["Total-Results"] == "250"
    links = {link["rel"]: link["url"] for link in first.links.values()}
    assert links["next"] == f"{server.url}/users/{USER}/items?limit=100&format=json&start=100"
    assert links["last"].endswith("start=200")
    assert len(raw(server, "GET", f"/users/{USER}/items").json()) == 25  # default limit
    assert len(raw(server, "GET", f"/users/{USER}/items?limit=500").json()) == 100  # capped


def test_item_keys_sort_and_quick_search(server, zot):
    first = server.add_item(
        preprint(
            "Diffusion models",
            DOI="10.48550/arXiv.2401.00001",
            extra="arXiv:2401.00001 [cs]",
            url="http://arxiv.org/abs/2401.00001",
        )
    )
    second = server.add_item(preprint("Graph networks"))
    assert [i["key"] for i in zot.items(sort="dateAdded", direction="asc")] == [first, second]
    assert [i["key"] for i in zot.items(itemKey=f"{first},{second}")] != []
    assert [i["key"] for i in zot.items(q="diffusion")] == [first]
    assert [i["key"] for i in zot.items(q="lovelace graph")] == [second]
    for hidden in ("2401.00001", "10.48550", "arxiv.org"):  # quick search skips DOI, Extra and URL
        assert zot.items(q=hidden) == []
    too_many = ",".join(["ABCD2345"] * 51)
    assert raw(server, "GET", f"/users/{USER}/items?itemKey={too_many}").status_code == 400


def test_trashed_items_are_hidden_unless_asked_for(server, zot):
    kept = server.add_item(preprint("Kept"))
    binned = server.add_item(preprint("Binned"), trashed=True)
    assert [i["key"] for i in zot.items()] == [kept]
    assert {i["key"] for i in zot.items(includeTrashed=1)} == {kept, binned}
    assert [i["key"] for i in zot.trash()] == [binned]
    assert zot.item(binned)["data"]["deleted"] == 1
    assert set(zot.item_versions(includeTrashed=1)) == {kept, binned}


def test_deletions_are_logged_for_deleted_since(server, zot):
    gone, stays = server.add_items([preprint("Gone"), preprint("Stays")])
    seen = zot.last_modified_version()
    zot.delete_item(zot.item(gone))
    assert zot.deleted(since=seen) == {
        "collections": [],
        "items": [gone],
        "searches": [],
        "tags": [],
        "settings": [],
    }
    assert zot.deleted(since=zot.last_modified_version())["items"] == []
    assert raw(server, "GET", f"/users/{USER}/deleted").status_code == 400
    with pytest.raises(ze.PreConditionFailedError):
        zot.delete_item(zot.item(stays), last_modified=0)
    assert server.item(stays) is not None


def test_group_libraries_live_under_groups(server):
    group = client_for(server, "group", GROUP)
    key = group.create_items([preprint("Group paper")])["success"]["0"]
    assert [i["key"] for i in group.items()] == [key]
    assert group.item(key)["library"]["type"] == "group"
    assert server.items() == [] and server.library_version(f"group:{GROUP}") == 1


# ------------------------------------------------------------------------------------------- writes


def test_client_keys_make_creates_retry_safe(server, zot, capfd):
    payload = [preprint("Once", key="QWER2345", version=0)]
    server.lose_next_write_response()
    with pytest.raises(httpx2.HTTPError):  # the write was applied, its answer lost
        zot.create_items(payload)
    assert server.requests[-1].dropped and server.item("QWER2345")["title"] == "Once"
    retried = zot.create_items(payload)
    assert retried["successful"] == {}
    assert retried["failed"]["0"]["code"] == 412
    assert (
        retried["failed"]["0"]["message"]
        == "Item has been modified since specified version (expected 0, found 1)"
    )
    assert [i["title"] for i in server.items()] == ["Once"]
    assert capfd.readouterr().err == ""  # a dropped answer is a fault we made, not a server error


def test_client_keys_make_child_creates_retry_safe_too(server, zot):
    parent = server.add_item(preprint("Parent"))
    link = {
        "key": "LINK2345",
        "version": 0,
        "itemType": "attachment",
        "parentItem": parent,
        "linkMode": "linked_url",
        "title": "Preprint PDF",
        "url": "https://arxiv.org/pdf/1706.03762",
        "contentType": "application/pdf",
    }
    note = {"key": "NXTE2345", "version": 0, "itemType": "note", "parentItem": parent, "note": "<p>x</p>"}
    server.lose_next_write_response()
    with pytest.raises(httpx2.HTTPError):
        zot.create_items([link, note])
    retried = zot.create_items([link, note])
    assert [f["code"] for f in retried["failed"].values()] == [412, 412]
    children = sorted(i["key"] for i in server.items() if i.get("parentItem") == parent)
    assert children == ["LINK2345", "NXTE2345"]
    assert sorted(i["key"] for i in zot.children(parent)) == ["LINK2345", "NXTE2345"]
    # a stale version on a child is a 412 as for any item; its parent's version did not move
    version = server.item(parent)["version"]
    answer = zot.create_items([{"key": "LINK2345", "version": 0, "title": "Renamed"}])
    assert answer["failed"]["0"]["code"] == 412 and server.item(parent)["version"] == version


def test_a_reused_write_token_is_a_whole_request_412(server):
    body = [preprint("Tokened")]
    headers = {"Zotero-Write-Token": "a" * 32}
    server.lose_next_write_response()
    with pytest.raises(httpx2.HTTPError):
        raw(server, "POST", f"/users/{USER}/items", json=body, headers=headers)
    again = raw(server, "POST", f"/users/{USER}/items", json=body, headers=headers)
    assert (again.status_code, again.text) == (412, "Write token already used")
    assert len(server.items()) == 1


def test_updates_need_a_current_version(server, zot):
    key = server.add_item(preprint("Draft"))
    item = zot.item(key)
    stale = item["version"]
    server.update_item(key, {"title": "Edited in Zotero desktop"})
    answer = zot.create_items([{**item["data"], "title": "Mine"}])
    assert answer["failed"]["0"]["code"] == 412 and "expected 1, found 2" in answer["failed"]["0"]["message"]
    no_version = {k: v for k, v in item["data"].items() if k != "version"}
    assert zot.create_items([no_version])["failed"]["0"]["code"] == 428
    fresh = zot.item(key)
    assert zot.create_items([fresh["data"]])["unchanged"] == {"0": key}
    assert zot.create_items([{**fresh["data"], "title": "Mine"}])["success"] == {"0": key}
    assert server.item(key)["title"] == "Mine" and server.item(key)["version"] > stale
    missing = zot.create_items([preprint("Ghost", key="GHSTA234", version=3)])["failed"]["0"]
    assert missing["code"] == 404


def test_a_multi_object_post_updates_existing_items_with_patch_semantics(server, zot):
    """Updating Multiple Objects: each object its key, its version and only what changes."""
    collection = server.add_collection("HF Daily")
    fresh, stale, unversioned = server.add_items(
        [preprint("One", extra="Citation Key: one"), preprint("Two"), preprint("Three")]
    )
    trashed = server.add_item(preprint("Four"), trashed=True)
    read = {item["key"]: item for item in zot.everything(zot.items(includeTrashed=1))}
    before = server.item(fresh)
    server.update_item(stale, {"title": "Two, edited in Zotero desktop"})
    answer = zot.create_items(
        [
            {"key": fresh, "version": read[fresh]["version"], "collections": [collection]},
            {"key": stale, "version": read[stale]["version"], "collections": [collection]},
            {"key": unversioned, "collections": [collection]},
            {"key": trashed, "version": read[trashed]["version"], "collections": [collection]},
        ]
    )
    assert set(answer["successful"]) == {"0", "3"} and answer["unchanged"] == {}
    assert answer["failed"]["1"]["code"] == 412
    expected = f"(expected {read[stale]['version']}, found {server.item(stale)['version']})"
    assert answer["failed"]["1"]["message"].endswith(expected)
    assert answer["failed"]["2"] == {
        "key": unversioned,
        "code": 428,
        "message": "Either If-Unmodified-Since-Version or 'version' property must be provided "
        "for 'key'-based writes",
    }
    after = server.item(fresh)
    # only the collections changed: title, Extra, creators and dateModified stay as they were
    assert after == {**before, "collections": [collection], "version": after["version"]}
    assert after["version"] == answer["successful"]["0"]["version"] > before["version"]
    assert answer["successful"]["0"]["data"]["collections"] == [collection]
    assert server.item(trashed)["deleted"] == 1 and server.item(trashed)["collections"] == [collection]
    assert server.item(stale)["title"] == "Two, edited in Zotero desktop"
    assert server.item(stale)["collections"] == server.item(unversioned)["collections"] == []
    write = server.requests[-1]
    assert "If-Unmodified-Since-Version" not in write.headers and "Zotero-Write-Token" in write.headers
    assert write.json()[0] == {"key": fresh, "version": read[fresh]["version"], "collections": [collection]}
    # sent again: the version is now stale (412); with the current one and the same list, unchanged
    again = {"key": fresh, "version": read[fresh]["version"], "collections": [collection]}
    assert zot.create_items([again])["failed"]["0"]["code"] == 412
    current = {**again, "version": after["version"]}
    assert zot.create_items([current])["unchanged"] == {"0": fresh}
    # a library-version header stands in for the per-object version
    header = server.library_version()
    answer = zot.create_items([{"key": unversioned, "collections": [collection]}], last_modified=header)
    assert list(answer["successful"]) == ["0"] and server.item(unversioned)["title"] == "Three"


def test_batches_are_partly_applied_and_capped_at_50(server, zot):
    collection = server.add_collection("Reading")
    answer = zot.create_items(
        [
            preprint("Good", collections=[collection]),
            preprint("Bad", collections=["ZZZZ2222"]),
            preprint("Also good"),
        ]
    )
    assert set(answer["successful"]) == {"0", "2"}
    assert answer["failed"]["1"] == {"code": 409, "message": "Collection ZZZZ2222 doesn't exist"}
    versions = {answer["successful"][i]["version"] for i in ("0", "2")}
    assert len(versions) == 2  # each object its own transaction
    too_many = raw(server, "POST", f"/users/{USER}/items", json=[preprint(str(i)) for i in range(51)])
    assert too_many.status_code == 413
    assert len(server.items()) == 2


def test_patch_adds_an_item_to_a_collection(server, zot):
    collection = server.add_collection("HF Daily")
    key = server.add_item(preprint("Paper"))
    item = zot.item(key)
    assert zot.addto_collection(collection, item) is True
    assert server.item(key)["collections"] == [collection]
    assert zot.request.status_code == 204
    with pytest.raises(ze.PreConditionFailedError):
        zot.addto_collection(collection, item)  # stale version
    path = f"/users/{USER}/items/{key}"
    assert raw(server, "PATCH", path, json={"collections": []}).status_code == 428
    current = str(server.item(key)["version"])
    done = raw(
        server, "PATCH", path, json={"collections": []}, headers={"If-Unmodified-Since-Version": current}
    )
    assert done.status_code == 204 and int(done.headers["Last-Modified-Version"]) > int(current)
    assert (
        raw(
            server,
            "PATCH",
            f"/users/{USER}/items/ABCD2345",
            json={"title": "x"},
            headers={"If-Unmodified-Since-Version": current},
        ).status_code
        == 404
    )


def test_collections_nest_and_list(server, zot):
    answer = zot.create_collections([{"name": "Reading"}])
    parent = answer["success"]["0"]
    child = zot.create_collections([{"name": "HF Daily", "parentCollection": parent}])["success"]["0"]
    orphan = zot.create_collections([{"name": "Orphan", "parentCollection": "ZZZZ2222"}])
    assert orphan["failed"]["0"]["code"] == 409
    assert server.collection_path(child) == "Reading/HF Daily"
    names = {c["data"]["name"]: c for c in zot.all_collections()}
    assert names["Reading"]["meta"]["numCollections"] == 1
    assert names["HF Daily"]["data"]["parentCollection"] == parent
    assert [c["key"] for c in zot.collections_top()] == [parent]
    key = server.add_item(preprint("Inside", collections=[child]))
    assert [i["key"] for i in zot.collection_items(child)] == [key]
    seen = zot.last_modified_version()
    zot.delete_collection(zot.collection(parent))
    assert set(zot.deleted(since=seen)["collections"]) == {parent, child}
    assert server.item(key)["collections"] == []


# --------------------------------------------------------------------------------- schema validation


def test_schema_errors_are_per_object_400s_with_the_real_messages(schema_server):
    zot = client_for(schema_server)
    answer = zot.create_items(
        [
            preprint("Good", repository="arXiv", archiveID="arXiv:2401.00001"),
            preprint("Publisher", publisher="arXiv"),
            {"itemType": "preprintz", "title": "Bad type"},
            preprint("Bad creator", creators=[{"creatorType": "wizard", "firstName": "A", "lastName": "B"}]),
            preprint(
                "Wrong creator",
                creators=[{"creatorType": "editor", "name": "X"}, {"creatorType": "composer", "name": "Y"}],
            ),
            preprint("List title", extra=["not", "a", "string"]),
            preprint("Unknown", foo="bar"),
            preprint("x" * 70000),
        ]
    )
    assert list(answer["successful"]) == ["0"]
    failed = {i: (f["code"], f["message"]) for i, f in answer["failed"].items()}
    assert failed["1"] == (400, "'publisher' is not a valid field for type 'preprint'")
    assert failed["2"] == (400, "'preprintz' is not a valid itemType")
    assert failed["3"] == (400, "'wizard' is not a valid creator type")
    assert failed["4"] == (400, "'composer' is not a valid creator type for item type 'preprint'")
    assert failed["5"] == (400, "Unexpected array for property 'extra'")
    assert failed["6"] == (400, "Invalid property 'foo'")
    assert failed["7"][0] == 413 and answer["failed"]["7"]["data"]["field"] == "Title"
    assert [i["title"] for i in schema_server.items()] == ["Good"]


def test_items_come_back_with_every_field_of_their_type(schema_server, shared_dir):
    zot = client_for(schema_server)
    schema = json.loads((shared_dir / "zotero" / "schema.json").read_text())
    fields = next(t["fields"] for t in schema["itemTypes"] if t["itemType"] == "preprint")
    key = zot.create_items([preprint("Full")])["success"]["0"]
    data = zot.item(key)["data"]
    assert {f["field"] for f in fields} <= set(data)
    template = zot.item_template("preprint")  # served from the schema, as /items/new
    assert template["itemType"] == "preprint" and "repository" in template and "publisher" not in template
    assert zot.update_item({**data, "title": "Updated"}) is True  # pyzotero checks fields via /itemFields
    assert schema_server.item(key)["title"] == "Updated"


def test_without_a_schema_validation_is_minimal(tmp_path):
    with ZoteroServer(api_key=KEY, user_id=USER, schema_path=tmp_path / "absent.json") as server:
        zot = client_for(server)
        answer = zot.create_items([preprint("Anything", publisher="arXiv"), {"title": "No type"}])
        assert list(answer["successful"]) == ["0"]
        assert answer["failed"]["1"] == {"code": 400, "message": "'itemType' property not provided"}


def test_injected_create_failures_hit_matching_items_only(server, zot):
    server.item_create_failures({"^Doomed": 400, "LCKD": 409})
    answer = zot.create_items(
        [preprint("Doomed paper"), preprint("Fine"), preprint("Keyed", key="LCKD2345", version=0)]
    )
    assert answer["failed"]["0"]["code"] == 400 and answer["failed"]["2"]["code"] == 409
    assert list(answer["successful"]) == ["1"]
    server.item_create_failures({})
    assert zot.create_items([preprint("Doomed paper")])["success"]


def test_injected_update_failures_hit_matching_existing_items_only(server, zot):
    collection = server.add_collection("HF Daily")
    doomed, fine = server.add_items([preprint("Doomed paper"), preprint("Fine")])
    server.item_update_failures({"^Doomed": 413})
    version = server.library_version()
    answer = zot.create_items(
        [{"key": key, "version": version, "collections": [collection]} for key in (doomed, fine)]
        + [preprint("Doomed too, but new")]
    )
    assert answer["failed"]["0"]["code"] == 413 and set(answer["successful"]) == {"1", "2"}
    assert server.item(doomed)["collections"] == [] and server.item(fine)["collections"] == [collection]


# ----------------------------------------------------------------------------------------- faults


def test_a_429_storm_is_waited_out_by_pyzotero_get_retry(server, zot):
    server.add_item(preprint("Patience"))
    server.inject_429(2, retry_after="0.2")
    started = time.monotonic()
    assert len(zot.items()) == 1
    assert time.monotonic() - started >= 0.4
    assert [r.status for r in server.requests[-3:]] == [429, 429, 200]
    server.inject_429(3, retry_after="0.01")
    with pytest.raises(ze.TooManyRetriesError):
        zot.items()


def test_a_429_on_a_write_surfaces_as_a_json_error_in_pyzotero(server, zot):
    server.inject_429(1, retry_after="0.05", method="POST")
    with pytest.raises(ValueError):  # pyzotero parses the plain-text 429 body as JSON
        zot.create_items([preprint("Rate limited")])
    assert server.items() == []
    assert zot.create_items([preprint("Rate limited")])["success"]


def test_5xx_and_backoff_headers(server, zot):
    server.inject_5xx(1, status=503, retry_after="0.1")
    answer = raw(server, "GET", f"/users/{USER}/items")
    assert (answer.status_code, answer.headers["Retry-After"]) == (503, "0.1")
    server.inject_5xx(1)
    with pytest.raises(ze.HTTPError):
        zot.items()
    server.inject_backoff("0.3", count=1)
    assert raw(server, "GET", f"/users/{USER}/items").headers["Backoff"] == "0.3"
    assert "Backoff" not in raw(server, "GET", f"/users/{USER}/items").headers
    server.inject_backoff(0.2)
    zot.items()
    started = time.monotonic()
    zot.items()  # pyzotero sleeps out the Backoff before its next request
    assert time.monotonic() - started >= 0.15


def test_faults_can_target_methods_and_paths(server, zot):
    server.inject_5xx(1, status=500, method="POST", path="/collections")
    assert zot.items() == []
    assert zot.create_items([preprint("Unaffected")])["success"]
    with pytest.raises(ze.HTTPError):
        zot.create_collections([{"name": "Hit"}])
    assert zot.create_collections([{"name": "Fine"}])["success"]


def test_a_concurrent_edit_makes_the_next_conditional_write_412(server, zot):
    key = server.add_item(preprint("Shared"))
    seen = zot.last_modified_version()
    server.edit_concurrently(lambda s: s.update_item(key, {"title": "Edited on the desktop"}), method="POST")
    with pytest.raises(ze.PreConditionFailedError, match="Library has been modified since specified version"):
        zot.create_items([preprint("Mine")], last_modified=seen)
    assert server.library_version() == seen + 1 and len(server.items()) == 1
    assert zot.create_items([preprint("Mine")], last_modified=zot.last_modified_version())["success"]


def test_concurrent_edit_after_counts_requests(server, zot):
    server.concurrent_edit_after(2, lambda s: s.add_item(preprint("Sneaked in")))
    assert zot.items() == [] and zot.items() == []
    assert [i["data"]["title"] for i in zot.items()] == ["Sneaked in"]


def test_parallel_writes_are_serialised(server):
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            client_for(server).create_items([preprint(f"T{n}-{i}") for i in range(10)])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    versions = [i["version"] for i in server.items()]
    assert len(versions) == 40 and len(set(versions)) == 40 and server.library_version() == 40


def test_a_bulk_seeded_library_is_one_version_and_versions_are_unpaged(server, zot):
    keys = server.add_items([preprint(f"Paper {i}", archiveID=f"arXiv:2401.{i:05d}") for i in range(3_000)])
    assert server.library_version() == 1
    server.reset_requests()
    assert zot.item_versions() == dict.fromkeys(keys, 1)
    assert len(server.requests) == 1
    again = ZoteroServer(api_key=KEY, user_id=USER)  # server-made keys are reproducible
    assert again.add_items([preprint(f"Paper {i}") for i in range(3)]) == keys[:3]


def test_put_replaces_an_item_and_needs_its_full_json(schema_server):
    # Fields the replacement leaves out come back empty: the server fills every field of the type
    # from its schema.
    server = schema_server
    key = server.add_item(preprint("Before", extra="Citation Key: old"))
    path = f"/users/{USER}/items/{key}"
    version = str(server.item(key)["version"])
    partial = raw(
        server,
        "PUT",
        path,
        json={"itemType": "preprint", "title": "After"},
        headers={"If-Unmodified-Since-Version": version},
    )
    assert (partial.status_code, partial.text) == (400, "'tags' property not provided")
    full = {"itemType": "preprint", "title": "After", "tags": [], "collections": [], "relations": {}}
    done = raw(server, "PUT", path, json=full, headers={"If-Unmodified-Since-Version": version})
    assert done.status_code == 204
    after = server.item(key)
    assert (after["title"], after["extra"], after["creators"]) == ("After", "", [])
    stale = raw(server, "PUT", path, json=full, headers={"If-Unmodified-Since-Version": version})
    assert stale.status_code == 412


def test_bulk_delete_checks_the_library_version(server, zot):
    first, second = server.add_items([preprint("A"), preprint("B")])
    server.update_item(second, {"title": "B, edited"})
    items = [zot.item(first), zot.item(second)]
    with pytest.raises(ze.PreConditionFailedError):  # pyzotero sends the first item's version
        zot.delete_item(items)
    assert zot.delete_item(items, last_modified=zot.last_modified_version()) is True
    assert server.items() == [] and set(server.deleted()["items"]) == {first, second}
    assert server.requests[-1].query == {"itemKey": f"{first},{second}"}


def test_collections_rename_and_guard_their_version(server, zot):
    key = server.add_collection("Reading")
    collection = zot.collection(key)
    assert zot.update_collection({**collection["data"], "name": "Reading list"}) is True
    assert server.collections()[0]["name"] == "Reading list"
    with pytest.raises(ze.PreConditionFailedError):
        zot.update_collection({**collection["data"], "name": "Stale"})
    bad = raw(server, "POST", f"/users/{USER}/collections", json=[{"name": ""}, {"name": "x" * 300}])
    assert [f["code"] for f in bad.json()["failed"].values()] == [400, 413]
