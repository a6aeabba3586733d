"""The HTTP semantics of the fake Zotero Web API v3: routes, auth, paging, versions, write answers.

`ZoteroApi` is a mixin of `zotero_server.ZoteroServer`; it turns a parsed `Request` into a `Response`
and never touches sockets. It expects the server's attributes: ``libraries`` ({"user:1": Library}),
``schema``, ``api_key``, ``user_id``, ``username``, ``_writable(ref)``, ``_create_failure(lib, obj)``
and ``_update_failure(lib, obj)``.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.support.zotero_store import MAX_WRITE_OBJECTS, Library, WriteError, creator_summary, parsed_date

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
ITEM_SORTS = ("dateModified", "dateAdded", "title", "creator", "itemType", "date")
DESC_BY_DEFAULT = ("dateModified", "dateAdded")


@dataclass
class Request:
    method: str
    path: str
    query_pairs: list[tuple[str, str]]
    headers: Any  # case-insensitive mapping (http.client.HTTPMessage)
    body: bytes
    base_url: str

    @property
    def query(self) -> dict[str, str]:
        return dict(self.query_pairs)


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """A whole-request error: the status and the plain-text message the real API answers with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def json_response(payload: object, status: int = 200, **headers: str) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(status, body, {"Content-Type": "application/json", **headers})


def text_response(status: int, message: str) -> Response:
    return Response(status, message.encode("utf-8"), {"Content-Type": "text/plain; charset=utf-8"})


def _int_param(query: dict[str, str], name: str, default: int | None = None) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid '{name}' value '{raw}'") from None
    if value < 0:
        raise ApiError(400, f"Invalid '{name}' value '{raw}'")
    return value


def _header_version(req: Request, name: str) -> int | None:
    raw = req.headers.get(name)
    if raw is None:
        return None
    try:
        return int(raw.strip())
    except ValueError:
        raise ApiError(400, f"Invalid {name} value '{raw}'") from None


class ZoteroApi:
    """Route one request. Subclassed by ZoteroServer, which provides the state (see module docstring)."""

    libraries: dict[str, Library]

    def _init_api(self) -> None:
        self._list_cache: OrderedDict[tuple, tuple[int, list[str]]] = OrderedDict()
        self._count_cache: dict[str, tuple[int, dict[str, int], dict[str, int], dict[str, int]]] = {}

    # ------------------------------------------------------------------------------------- entry

    def handle(self, req: Request) -> Response:
        parts = [p for p in req.path.split("/") if p]
        lib = None
        try:
            if parts[:1] == ["keys"] and len(parts) == 2:
                return self._keys(req)
            if parts[:1] in (["users"], ["groups"]) and len(parts) >= 2:
                lib = self._authorised_library(req, parts)
                response = self._library_route(req, lib, parts[2:])
            else:
                return self._schema_route(req, parts)
        except ApiError as error:
            response = text_response(error.status, error.message)
        if lib is not None:
            response.headers["Last-Modified-Version"] = str(lib.version)
        return response

    def presented_key(self, req: Request) -> str | None:
        key = req.headers.get("Zotero-API-Key")
        auth = req.headers.get("Authorization") or ""
        if not key and auth.lower().startswith("bearer "):
            key = auth[7:].strip()
        return key or req.query.get("key") or None

    def _keys(self, req: Request) -> Response:
        if req.method != "GET":
            raise ApiError(405, "Method not allowed")
        key = self.presented_key(req)
        wanted = [p for p in req.path.split("/") if p][1]
        if wanted != "current":
            key = wanted
        if not key:
            return text_response(403, "Forbidden")
        if key != self.api_key:
            return text_response(403, "Invalid key")
        user = self.libraries[f"user:{self.user_id}"]
        groups: dict[str, Any] = {}
        for ref, lib in self.libraries.items():
            if lib.kind == "group":
                groups[str(lib.id)] = {"library": True, "write": self._writable(ref)}
        # The real answer also repeats the key; this stand-in never echoes it.
        return json_response(
            {
                "userID": self.user_id,
                "username": self.username,
                "displayName": self.username,
                "access": {
                    "user": {
                        "library": True,
                        "files": True,
                        "notes": True,
                        "write": self._writable(user.ref),
                    },
                    "groups": groups,
                },
            }
        )

    def _authorised_library(self, req: Request, parts: list[str]) -> Library:
        key = self.presented_key(req)
        if not key:
            raise ApiError(403, "Forbidden")
        if key != self.api_key:
            raise ApiError(403, "Invalid key")
        ref = f"{parts[0][:-1]}:{parts[1]}"
        lib = self.libraries.get(ref)
        if lib is None:
            raise ApiError(403, "Forbidden")
        if req.method not in ("GET", "HEAD") and not self._writable(ref):
            raise ApiError(403, "Write access denied")
        return lib

    # -------------------------------------------------------------------------------- schema routes

    def _schema_route(self, req: Request, parts: list[str]) -> Response:
        schema = self.schema
        if req.method != "GET" or not schema.present:
            raise ApiError(404, "Not found")
        query = req.query
        item_type = query.get("itemType", "")
        route = "/".join(parts)
        if route == "schema":
            return json_response(schema.raw, **{"Zotero-Schema-Version": str(schema.version)})
        if route == "itemTypes":
            return json_response(
                [{"itemType": t, "localized": schema.label("itemTypes", t)} for t in schema.fields]
            )
        if route == "itemFields":
            names = sorted(schema.all_fields)
            return json_response([{"field": f, "localized": schema.label("fields", f)} for f in names])
        if route == "creatorFields":
            return json_response(
                [{"field": f, "localized": f[0].upper() + f[1:]} for f in ("firstName", "lastName", "name")]
            )
        if route in ("itemTypeFields", "itemTypeCreatorTypes", "items/new"):
            if item_type not in schema.fields:
                raise ApiError(400, f"Invalid item type '{item_type}'")
            if route == "itemTypeFields":
                return json_response(
                    [{"field": f, "localized": schema.label("fields", f)} for f in schema.fields[item_type]]
                )
            if route == "itemTypeCreatorTypes":
                return json_response(
                    [
                        {"creatorType": c, "localized": schema.label("creatorTypes", c)}
                        for c in schema.creator_types[item_type]
                    ]
                )
            return json_response(schema.template(item_type))
        raise ApiError(404, "Not found")

    # ------------------------------------------------------------------------------- library routes

    def _library_route(self, req: Request, lib: Library, rest: list[str]) -> Response:
        method = req.method
        head = rest[0] if rest else ""
        if head == "items":
            if len(rest) == 1 or (len(rest) == 2 and rest[1] in ("top", "trash")):
                if method == "GET":
                    scope = ("all",) if len(rest) == 1 else (rest[1],)
                    return self._item_list(req, lib, scope)
                if method == "POST" and len(rest) == 1:
                    return self._post_objects(req, lib, "items")
                if method == "DELETE" and len(rest) == 1:
                    return self._delete_many(req, lib, "items", "itemKey")
            elif len(rest) == 2:
                if method == "GET":
                    return self._single(req, lib, "items", rest[1])
                if method in ("PATCH", "PUT"):
                    return self._write_single(req, lib, "items", rest[1], partial=method == "PATCH")
                if method == "DELETE":
                    return self._delete_single(req, lib, "items", rest[1])
            elif len(rest) == 3 and rest[2] == "children" and method == "GET":
                self._get_object(lib, "items", rest[1])
                return self._item_list(req, lib, ("children", rest[1]))
            elif rest[-1] == "tags" and method == "GET":
                return json_response([], **{"Total-Results": "0"})
        elif head == "collections":
            if len(rest) == 1 or (len(rest) == 2 and rest[1] == "top"):
                if method == "GET":
                    return self._collection_list(req, lib, ("top",) if len(rest) == 2 else ("all",))
                if method == "POST" and len(rest) == 1:
                    return self._post_objects(req, lib, "collections")
                if method == "DELETE" and len(rest) == 1:
                    return self._delete_many(req, lib, "collections", "collectionKey")
            else:
                key = rest[1]
                if len(rest) == 2:
                    if method == "GET":
                        return self._single(req, lib, "collections", key)
                    if method in ("PATCH", "PUT"):
                        return self._write_single(req, lib, "collections", key, partial=method == "PATCH")
                    if method == "DELETE":
                        return self._delete_single(req, lib, "collections", key)
                elif method == "GET":
                    self._get_object(lib, "collections", key)
                    if rest[2:] == ["collections"]:
                        return self._collection_list(req, lib, ("children", key))
                    if rest[2:] in (["items"], ["items", "top"]):
                        return self._item_list(req, lib, ("collection", key, len(rest) == 4))
                    if rest[-1] == "tags":
                        return json_response([], **{"Total-Results": "0"})
        elif head == "deleted" and len(rest) == 1 and method == "GET":
            return self._deleted(req, lib)
        elif head in ("searches", "tags") and len(rest) == 1 and method == "GET":
            return json_response([], **{"Total-Results": "0"})
        elif head == "settings" and method == "GET":
            return json_response({})
        if method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            raise ApiError(405, "Method not allowed")
        raise ApiError(404, "Not found")

    # ------------------------------------------------------------------------------------- reads

    def _not_modified(self, req: Request, version: int) -> bool:
        since = _header_version(req, "If-Modified-Since-Version")
        return since is not None and version <= since

    def _get_object(self, lib: Library, kind: str, key: str) -> dict[str, Any]:
        store = lib.items if kind == "items" else lib.collections
        data = store.get(key.upper())
        if data is None:
            raise ApiError(404, f"{'Item' if kind == 'items' else 'Collection'} not found")
        return data

    def _single(self, req: Request, lib: Library, kind: str, key: str) -> Response:
        data = self._get_object(lib, kind, key)
        if self._not_modified(req, data["version"]):
            return Response(304)
        fmt = req.query.get("format", "json")
        if fmt == "versions":
            return json_response({data["key"]: data["version"]})
        if fmt != "json":
            raise ApiError(400, f"Invalid 'format' value '{fmt}'")
        maker = self.item_json if kind == "items" else self.collection_json
        return json_response(maker(lib, data, req.base_url))

    def _item_list(self, req: Request, lib: Library, scope: tuple) -> Response:
        if self._not_modified(req, lib.version):
            return Response(304)
        query = req.query
        since = _int_param(query, "since")
        keys_param = [k for k in query.get("itemKey", "").split(",") if k]
        if len(keys_param) > MAX_WRITE_OBJECTS:
            raise ApiError(400, f"Cannot specify more than {MAX_WRITE_OBJECTS} item keys")
        include_trashed = query.get("includeTrashed", "0") not in ("0", "", "false")
        sort = query.get("sort", "dateModified")
        if sort not in ITEM_SORTS:
            raise ApiError(400, f"Invalid 'sort' value '{sort}'")
        direction = query.get("direction", "desc" if sort in DESC_BY_DEFAULT else "asc")
        if direction not in ("asc", "desc"):
            raise ApiError(400, f"Invalid 'direction' value '{direction}'")
        filters = (
            since,
            tuple(keys_param),
            include_trashed,
            query.get("itemType", ""),
            query.get("q", ""),
            query.get("qmode", "titleCreatorYear"),
            query.get("tag", ""),
        )
        cache_key = (lib.ref, "items", scope, filters, sort, direction)
        keys = self._cached(lib, cache_key, lambda: self._select_items(lib, scope, filters, sort, direction))
        return self._list_answer(req, lib, "items", keys)

    def _select_items(
        self, lib: Library, scope: tuple, filters: tuple, sort: str, direction: str
    ) -> list[str]:
        since, wanted, include_trashed, item_type, q, qmode, tag = filters
        wanted_set = set(wanted)
        type_rules = [t.strip() for t in item_type.split("||") if t.strip()]
        words = q.casefold().split()
        out = []
        # itemKey= names at most 50 keys: look those up rather than scan a large library.
        candidates = (
            ((k, lib.items[k]) for k in dict.fromkeys(wanted) if k in lib.items)
            if wanted
            else lib.items.items()
        )
        for key, data in candidates:
            parent = data.get("parentItem")
            trashed = bool(data.get("deleted"))
            kind = scope[0]
            if kind == "trash":
                if not trashed:
                    continue
            elif trashed and not include_trashed:
                continue
            if kind == "top" and parent:
                continue
            if kind == "children" and parent != scope[1]:
                continue
            if kind == "collection":
                if scope[1] not in data.get("collections", ()) or (scope[2] and parent):
                    continue
            if since is not None and data["version"] <= since:
                continue
            if wanted_set and key not in wanted_set:
                continue
            if type_rules and not _type_matches(data["itemType"], type_rules):
                continue
            if tag and tag not in {t["tag"] for t in data.get("tags", ())}:
                continue
            if words and not _quick_search(data, words, qmode):
                continue
            out.append(key)
        sort_key = _item_sort_key(sort)
        out.sort(key=lambda k: (sort_key(lib.items[k]), lib.order_of(k)), reverse=direction == "desc")
        return out

    def _collection_list(self, req: Request, lib: Library, scope: tuple) -> Response:
        if self._not_modified(req, lib.version):
            return Response(304)
        query = req.query
        since = _int_param(query, "since")
        wanted = tuple(k for k in query.get("collectionKey", "").split(",") if k)
        sort = query.get("sort", "dateModified")
        direction = query.get("direction", "desc" if sort in DESC_BY_DEFAULT else "asc")
        cache_key = (lib.ref, "collections", scope, since, wanted, sort, direction)

        def select() -> list[str]:
            out = []
            for key, data in lib.collections.items():
                parent = data["parentCollection"]
                if scope[0] == "top" and parent:
                    continue
                if scope[0] == "children" and parent != scope[1]:
                    continue
                if since is not None and data["version"] <= since:
                    continue
                if wanted and key not in wanted:
                    continue
                out.append(key)
            if sort == "title":
                out.sort(key=lambda k: lib.collections[k]["name"].casefold(), reverse=direction == "desc")
            else:
                out.sort(key=lambda k: lib.collections[k]["version"], reverse=direction == "desc")
            return out

        keys = self._cached(lib, cache_key, select)
        return self._list_answer(req, lib, "collections", keys)

    def _cached(self, lib: Library, cache_key: tuple, compute: Any) -> list[str]:
        hit = self._list_cache.get(cache_key)
        if hit is not None and hit[0] == lib.revision:
            self._list_cache.move_to_end(cache_key)
            return hit[1]
        keys = compute()
        self._list_cache[cache_key] = (lib.revision, keys)
        while len(self._list_cache) > 32:
            self._list_cache.popitem(last=False)
        return keys

    def _list_answer(self, req: Request, lib: Library, kind: str, keys: list[str]) -> Response:
        store = lib.items if kind == "items" else lib.collections
        query = req.query
        fmt = query.get("format", "json")
        total = {"Total-Results": str(len(keys))}
        if fmt == "versions":
            return json_response({k: store[k]["version"] for k in keys}, **total)
        if fmt == "keys":
            response = Response(200, "".join(k + "\n" for k in keys).encode(), {"Content-Type": "text/plain"})
            response.headers.update(total)
            return response
        if fmt != "json":
            raise ApiError(400, f"Invalid 'format' value '{fmt}'")
        limit = _int_param(query, "limit", DEFAULT_LIMIT)
        if limit == 0:
            raise ApiError(400, "Invalid 'limit' value '0'")
        limit = min(limit, MAX_LIMIT)
        start = _int_param(query, "start", 0)
        page = keys[start : start + limit]
        maker = self.item_json if kind == "items" else self.collection_json
        payload = [maker(lib, store[k], req.base_url) for k in page]
        return json_response(payload, Link=_link_header(req, len(keys), start, limit, lib), **total)

    def _deleted(self, req: Request, lib: Library) -> Response:
        since = _int_param(req.query, "since")
        if since is None:
            raise ApiError(400, "'since' parameter must be provided")
        if self._not_modified(req, lib.version):
            return Response(304)
        return json_response(
            {kind: [k for k, v in log.items() if v > since] for kind, log in lib.deleted.items()}
        )

    # ------------------------------------------------------------------------------- JSON objects

    def library_json(self, lib: Library) -> dict[str, Any]:
        slug = self.username if lib.kind == "user" else f"groups/{lib.id}"
        return {
            "type": lib.kind,
            "id": lib.id,
            "name": lib.name,
            "links": {"alternate": {"href": f"https://www.zotero.org/{slug}", "type": "text/html"}},
        }

    def _counts(self, lib: Library) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        """Children per item, items per collection, subcollections per collection (cached per revision)."""
        hit = self._count_cache.get(lib.ref)
        if hit is not None and hit[0] == lib.revision:
            return hit[1], hit[2], hit[3]
        children: dict[str, int] = {}
        in_collection: dict[str, int] = {}
        for data in lib.items.values():
            parent = data.get("parentItem")
            if parent and not data.get("deleted"):
                children[parent] = children.get(parent, 0) + 1
            if not data.get("deleted"):
                for collection in data.get("collections", ()):
                    in_collection[collection] = in_collection.get(collection, 0) + 1
        subcollections: dict[str, int] = {}
        for data in lib.collections.values():
            if data["parentCollection"]:
                subcollections[data["parentCollection"]] = subcollections.get(data["parentCollection"], 0) + 1
        self._count_cache[lib.ref] = (lib.revision, children, in_collection, subcollections)
        return children, in_collection, subcollections

    def item_json(self, lib: Library, data: dict[str, Any], base_url: str) -> dict[str, Any]:
        key = data["key"]
        meta: dict[str, Any] = {}
        summary = creator_summary(data.get("creators", []))
        if summary:
            meta["creatorSummary"] = summary
        parsed = parsed_date(data.get("date", ""))
        if parsed:
            meta["parsedDate"] = parsed
        if not data.get("parentItem") and data["itemType"] not in ("note", "attachment", "annotation"):
            meta["numChildren"] = self._counts(lib)[0].get(key, 0)
        return {
            "key": key,
            "version": data["version"],
            "library": self.library_json(lib),
            "links": self._links_json(lib, "items", key, base_url),
            "meta": meta,
            "data": data,
        }

    def collection_json(self, lib: Library, data: dict[str, Any], base_url: str) -> dict[str, Any]:
        key = data["key"]
        _, in_collection, subcollections = self._counts(lib)
        return {
            "key": key,
            "version": data["version"],
            "library": self.library_json(lib),
            "links": self._links_json(lib, "collections", key, base_url),
            "meta": {"numCollections": subcollections.get(key, 0), "numItems": in_collection.get(key, 0)},
            "data": data,
        }

    def _links_json(self, lib: Library, kind: str, key: str, base_url: str) -> dict[str, Any]:
        slug = self.username if lib.kind == "user" else f"groups/{lib.id}"
        return {
            "self": {"href": f"{base_url}{lib.prefix}/{kind}/{key}", "type": "application/json"},
            "alternate": {"href": f"https://www.zotero.org/{slug}/{kind}/{key}", "type": "text/html"},
        }

    # ------------------------------------------------------------------------------------ writes

    def _json_body(self, req: Request) -> Any:
        try:
            return json.loads(req.body.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "Invalid JSON") from None

    def _check_library_version(self, req: Request, lib: Library) -> int | None:
        expected = _header_version(req, "If-Unmodified-Since-Version")
        if expected is not None and lib.version > expected:
            raise ApiError(
                412,
                f"Library has been modified since specified version "
                f"(expected {expected}, found {lib.version})",
            )
        return expected

    def _post_objects(self, req: Request, lib: Library, kind: str) -> Response:
        token = req.headers.get("Zotero-Write-Token")
        if token is not None:
            if not 0 < len(token) <= 32:
                raise ApiError(400, "Write token must be 1-32 characters")
            if token in lib.write_tokens:
                raise ApiError(412, "Write token already used")
        objects = self._json_body(req)
        if not isinstance(objects, list):
            raise ApiError(400, "Uploaded data must be a JSON array")
        if len(objects) > MAX_WRITE_OBJECTS:
            raise ApiError(413, f"Only {MAX_WRITE_OBJECTS} objects can be saved in a single request")
        expected = self._check_library_version(req, lib)
        if token is not None:
            lib.write_tokens.add(token)
        results: dict[str, dict[str, Any]] = {"successful": {}, "success": {}, "unchanged": {}, "failed": {}}
        maker = self.item_json if kind == "items" else self.collection_json
        written: list[tuple[str, dict[str, Any]]] = []
        for index, obj in enumerate(objects):
            slot = str(index)
            try:
                # An existing object is updated with PATCH semantics (the dataserver's
                # updateMultipleFromJSON passes partialUpdate=true): properties left out stay as they are.
                if kind == "items":
                    failure = self._create_failure(lib, obj) or self._update_failure(lib, obj)
                    outcome, key = lib.save_item(
                        obj, has_header=expected is not None, partial=True, failure=failure
                    )
                else:
                    outcome, key = lib.save_collection(obj, has_header=expected is not None, partial=True)
            except WriteError as error:
                failed: dict[str, Any] = {"code": error.code, "message": error.message}
                if isinstance(obj, dict) and isinstance(obj.get("key"), str):
                    failed = {"key": obj["key"], **failed}
                if error.data:
                    failed["data"] = error.data
                results["failed"][slot] = failed
                continue
            if outcome == "unchanged":
                results["unchanged"][slot] = key
            else:
                # Saving stores a new dict, so this is the object as this transaction left it.
                written.append((slot, (lib.items if kind == "items" else lib.collections)[key]))
                results["success"][slot] = key
        # Built once all are saved, so meta counts are computed once per request, not per object.
        for slot, data in written:
            results["successful"][slot] = maker(lib, data, req.base_url)
        return json_response(results)

    def _write_single(self, req: Request, lib: Library, kind: str, key: str, *, partial: bool) -> Response:
        label = "Item" if kind == "items" else "Collection"
        store = lib.items if kind == "items" else lib.collections
        obj = self._json_body(req)
        if not isinstance(obj, dict):
            raise ApiError(400, f"Invalid {label.lower()} object")
        existing = store.get(key)
        expected = _header_version(req, "If-Unmodified-Since-Version")
        if existing is None and (partial or expected is not None):
            raise ApiError(404, f"{label} not found")
        if existing is not None:
            if expected is not None and existing["version"] > expected:
                raise ApiError(
                    412,
                    f"{label} has been modified since specified version "
                    f"(expected {expected}, found {existing['version']})",
                )
        try:
            if kind == "items":
                failure = (
                    self._create_failure(lib, {**obj, "key": key})
                    if existing is None
                    else self._update_failure(lib, {"key": key})
                )
                lib.save_item(
                    obj,
                    has_header=expected is not None,
                    url_key=key,
                    partial=partial,
                    single=True,
                    failure=failure,
                )
            else:
                lib.save_collection(
                    obj, has_header=expected is not None, url_key=key, partial=partial, single=True
                )
        except WriteError as error:
            raise ApiError(error.code, error.message) from None
        return Response(204)

    def _delete_single(self, req: Request, lib: Library, kind: str, key: str) -> Response:
        label = "Item" if kind == "items" else "Collection"
        data = self._get_object(lib, kind, key)
        expected = _header_version(req, "If-Unmodified-Since-Version")
        if expected is None:
            raise ApiError(428, "If-Unmodified-Since-Version not provided")
        if data["version"] > expected:
            raise ApiError(
                412,
                f"{label} has been modified since specified version "
                f"(expected {expected}, found {data['version']})",
            )
        (lib.delete_items if kind == "items" else lib.delete_collections)([data["key"]])
        return Response(204)

    def _delete_many(self, req: Request, lib: Library, kind: str, param: str) -> Response:
        keys = [k for k in req.query.get(param, "").split(",") if k]
        if not keys:
            raise ApiError(400, f"'{param}' not provided")
        if len(keys) > MAX_WRITE_OBJECTS:
            raise ApiError(413, f"Cannot delete more than {MAX_WRITE_OBJECTS} objects at a time")
        if _header_version(req, "If-Unmodified-Since-Version") is None:
            raise ApiError(428, "If-Unmodified-Since-Version not provided")
        self._check_library_version(req, lib)
        (lib.delete_items if kind == "items" else lib.delete_collections)(keys)
        return Response(204)


# ---------------------------------------------------------------------------------------- helpers


def _type_matches(item_type: str, rules: list[str]) -> bool:
    for rule in rules:
        if rule.startswith("-"):
            if item_type == rule[1:]:
                return False
        elif item_type == rule:
            return True
    return all(rule.startswith("-") for rule in rules)


def _quick_search(data: dict[str, Any], words: list[str], qmode: str) -> bool:
    """Zotero's quick search: every word in title, creators or year (or, in 'everything', any field)."""
    parts = [data.get("title", ""), data.get("note", "")]
    for creator in data.get("creators", ()):
        parts.extend(creator.get(k, "") for k in ("firstName", "lastName", "name"))
    year = parsed_date(data.get("date", ""))
    if year:
        parts.append(year[:4])
    if qmode == "everything":
        parts.extend(v for v in data.values() if isinstance(v, str))
    haystack = " ".join(parts).casefold()
    return all(word in haystack for word in words)


def _item_sort_key(sort: str) -> Any:
    if sort == "creator":
        return lambda d: creator_summary(d.get("creators", [])).casefold()
    if sort == "title":
        return lambda d: (d.get("title") or d.get("note", "")).casefold()
    if sort == "date":
        return lambda d: parsed_date(d.get("date", "")) or ""
    return lambda d: d.get(sort, "")


def _link_header(req: Request, total: int, start: int, limit: int, lib: Library) -> str:
    """rel=first/prev/next/last (absolute, on the host the client used) and rel=alternate."""
    params = [(k, v) for k, v in req.query_pairs if k not in ("start", "key")]

    def url(offset: int) -> str:
        pairs = params + ([("start", str(offset))] if offset else [])
        return f"{req.base_url}{req.path}" + (f"?{urlencode(pairs)}" if pairs else "")

    links = []
    if start > 0:
        links.append(f'<{url(0)}>; rel="first"')
        links.append(f'<{url(max(0, start - limit))}>; rel="prev"')
    if start + limit < total:
        links.append(f'<{url(start + limit)}>; rel="next"')
    if total > limit:
        links.append(f'<{url((total - 1) // limit * limit)}>; rel="last"')
    slug = "" if lib.kind == "user" else f"groups/{lib.id}/"
    links.append(f'<https://www.zotero.org/{slug}items>; rel="alternate"')
    return ", ".join(links)
