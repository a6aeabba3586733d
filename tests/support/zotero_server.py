"""A local Zotero Web API v3 server for tests and benchmarks, with deterministic fault injection.

It stands in for api.zotero.org on 127.0.0.1 (real HTTP, stdlib server, one lock around every request),
behaving as ../shared/notes/zotero-web-api.md and the Zotero dataserver describe. Point pyzotero at it:

    with ZoteroServer(api_key="k" * 24, user_id=12345) as server:
        zot = zotero.Zotero(12345, "user", "k" * 24)
        zot.endpoint = server.url
        key = server.add_item({"itemType": "preprint", "title": "Attention"})
        zot.items()                      # real HTTP, real headers
        server.requests[-1]              # RequestRecord(method="GET", path="/users/12345/items", ...)

Python interface (all methods are thread-safe; ``library`` is "user:<id>" or "group:<id>", default the user's)
- ``ZoteroServer(api_key=DEFAULT_API_KEY, user_id=DEFAULT_USER_ID, group_ids=(), schema_path=None,
  write_access=True, username="bibbridge-test")``: ``schema_path=None`` loads ../shared/zotero/schema.json
  when it exists, else validation is minimal (itemType present, scalar fields). ``write_access`` is a bool
  or the refs of the libraries the key may write. Use as a context manager (or ``start()``/``stop()``);
  ``.url`` is "http://127.0.0.1:PORT"; ``.api_key``, ``.user_id``, ``.schema`` (``.schema.present``).
- Seeding (each call is one library change, like a sync from Zotero desktop; items are validated unless
  ``validate=False``): ``add_item(data, library=None, trashed=False, validate=True) -> key``;
  ``add_items(list_of_data, library=None, trashed=False, validate=True) -> list[key]`` (20,000 in ~1 s);
  ``add_collection(name, parent=None, library=None, key=None) -> key``. ``data`` may carry its own ``key``;
  keys the server makes are reproducible (a seeded generator per library), so runs are repeatable.
- Edits as another client would make them (bump the library version): ``update_item(key, changes,
  library=None) -> version`` (partial), ``trash_item(key)``, ``delete_item(key)`` (goes to /deleted),
  ``delete_collection(key)``.
- Inspection (copies): ``items(library=None, include_trashed=True) -> list[dict]`` (the ``data`` objects,
  with key/version), ``item(key, library=None) -> dict | None``, ``collections(library=None)``,
  ``collection_path(key)`` -> "A/B", ``library_version(library=None) -> int``, ``deleted(library=None)``,
  ``write_tokens(library=None)``; ``requests -> list[RequestRecord]`` (method, path, query dict, status,
  headers = the If-*/Zotero-Write-Token/Content-Type request headers, dropped, body of a write and
  ``.json()``), ``reset_requests()``;
  ``errors`` lists server tracebacks (a test should expect none).
- Access: ``set_write_access(True | False | refs)``.
- Faults, consumed in order by the requests that match (``method``: "GET", "POST", … or "write";
  ``path``: a substring of the path), all deterministic:
  ``inject_429(count, retry_after="0.1", method=None, path=None)`` - a 429 storm on the next ``count``
  requests (``retry_after=None`` sends none); ``inject_5xx(count, status=500, retry_after=None, ...)``;
  ``inject_backoff(seconds, count=1, ...)`` - a ``Backoff`` header on the next answers (processed normally);
  ``lose_next_write_response(n=1, path=None)`` - the next ``n`` writes are applied, then the connection is
  closed without an answer; ``concurrent_edit_after(n_requests, fn, method=None, path=None)`` -
  ``fn(server)`` runs after ``n_requests`` more matching requests, just before the next one is handled
  (someone edits the library in Zotero desktop mid-sync); ``edit_concurrently(fn, method=None, path=None)``
  = ``concurrent_edit_after(0, ...)``; ``item_create_failures({regex: code})`` - creating an item whose
  title or key matches fails per object with that code (``{}`` clears); ``item_update_failures({regex:
  code})`` - the same for updates of existing items whose title or key matches; ``clear_faults()``.

Behaviour (see the notes for the why)
- Auth: ``Zotero-API-Key`` or ``Authorization: Bearer`` (or ``?key=``); no key 403 "Forbidden", a wrong
  key 403 "Invalid key", a write without write access 403 "Write access denied". ``GET /keys/current``
  (and ``/keys/<key>``) tells userID, username and access; the key is never echoed, nor recorded.
- Every library answer carries ``Last-Modified-Version``; ``If-Modified-Since-Version`` gives 304.
- Reads: ``/items``, ``/items/top``, ``/items/trash``, ``/items/{k}``, ``/items/{k}/children``,
  ``/collections``, ``/collections/top``, ``/collections/{k}``, ``/collections/{k}/items[/top]``,
  ``/collections/{k}/collections``, ``/deleted?since=`` (400 without), empty ``/searches`` ``/tags``;
  ``format=json|versions|keys`` (versions/keys unpaged), ``since``, ``includeTrashed``, ``itemKey`` (<=50),
  ``collectionKey``, ``itemType`` (``-x``, ``a || b``), ``tag``, ``q``/``qmode`` (title, creators and year
  only; not DOI/Extra/URL), ``sort`` (dateModified, dateAdded, title, creator, itemType, date) and
  ``direction``, ``limit`` (default 25, max 100), ``start``; ``Total-Results``; ``Link`` rel=first/prev/
  next/last as absolute URLs on the Host the client used. Objects have key, version, library, links, meta
  (creatorSummary, parsedDate, numChildren / numCollections, numItems) and data (every field of the type,
  empty ones as ""; ``deleted: 1`` when trashed; server-set dateAdded/dateModified).
- Writes: ``POST /items`` and ``/collections`` take a JSON array of at most 50 (413 otherwise) and answer
  200 {"successful", "success", "unchanged", "failed"} keyed by string indices; each object is its own
  transaction and gets its own version. An object whose ``key`` exists is updated with PATCH semantics
  (properties left out stay unchanged; the dataserver's updateMultipleFromJSON passes partialUpdate=true),
  its ``version`` the precondition. Client keys with ``version: 0`` mean "must not exist": if it does,
  per-object 412 "Item has been modified since specified version (expected 0, found N)"; a stale version
  412; a key-based update without version or If-Unmodified-Since-Version 428; schema errors 400 with the
  dataserver's messages ("'publisher' is not a valid field for type 'preprint'"); a missing collection or
  parent 409; a value over 65,535 bytes 413. A reused ``Zotero-Write-Token`` is a whole-request 412 "Write
  token already used"; ``If-Unmodified-Since-Version`` behind the library a whole-request 412.
  ``PATCH``/``PUT``/``DELETE /items/{k}`` and ``/collections/{k}`` (204; 412 stale; 428 no version),
  ``DELETE /items?itemKey=`` and ``/collections?collectionKey=`` (logged in /deleted). A key with a version
  above 0 that does not exist is a per-object 404 "Item doesn't exist (expected version N; use 0 instead)".
- Children (notes, attachments) as the dataserver has them: ``parentItem`` must name an existing item
  (per-object 409 "Parent item K doesn't exist"), not a note or attachment (400); only notes and
  attachments may have a parent (400 "Child item must be note or attachment"), and children are in no
  collection (400); a new attachment needs a ``linkMode`` (400 "'linkMode' property not provided"), one
  of imported_file, imported_url, linked_file, linked_url, embedded_image; ``note`` only on notes and
  attachments. Creating a child leaves its parent's version as it is; ``/items/top`` leaves children
  out; ``meta.numChildren`` counts them; deleting an item deletes its children. Tags (``{"tag", "type"}``)
  are stored and validated on every item; client keys, versions, 412s and partial failures apply to
  children as to any item.
- Schema (no auth, from schema.json): ``/itemTypes``, ``/itemFields``, ``/itemTypeFields``,
  ``/itemTypeCreatorTypes``, ``/creatorFields``, ``/items/new?itemType=``, ``/schema``, so pyzotero's
  ``item_template()``, ``check_items()`` and ``update_item()`` work.
- Not modelled: file uploads, full text, saved searches and tags (empty lists), atom/bib/csljson formats,
  rate limits other than the injected ones.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import socket
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.support.http import QuietHandler, serve
from tests.support.zotero_api import ApiError, Request, Response, ZoteroApi, text_response
from tests.support.zotero_store import Library, Schema, utc_now

DEFAULT_API_KEY = "bbTESTkey0123456789abcdef"
DEFAULT_USER_ID = 12345
SCHEMA_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "zotero" / "schema.json"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
RECORDED_HEADERS = (
    "If-Unmodified-Since-Version",
    "If-Modified-Since-Version",
    "Zotero-Write-Token",
    "Content-Type",
    "Zotero-API-Version",
)
STATUS_TEXT = {
    429: "Rate limit exceeded",
    500: "An error occurred",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it (the API key redacted from path and query)."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    dropped: bool = False
    body: bytes = b""  # of writes only

    def json(self) -> Any:
        """The body of a write, decoded."""
        return json.loads(self.body.decode("utf-8"))


@dataclass
class _Fault:
    kind: str  # "status", "backoff" or "lose"
    remaining: int
    method: str | None = None
    path: str | None = None
    status: int = 0
    retry_after: str | None = None
    backoff: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method == "write":
            if method not in WRITE_METHODS:
                return False
        elif self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or self.path in path


@dataclass
class _Edit:
    skip: int
    fn: Callable[[ZoteroServer], Any]
    method: str | None
    path: str | None

    def matches(self, method: str, path: str) -> bool:
        return _Fault("", 0, self.method, self.path).matches(method, path)


@dataclass
class _Outcome:
    response: Response
    drop: bool


class _Handler(QuietHandler):
    server_version = "ZoteroTestServer/1.0"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        outcome = self.server.zotero._process(method, self.path, self.headers, body)  # type: ignore[attr-defined]
        if outcome.drop:
            # The write happened; the answer is lost on the way back (the client sees a connection error).
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up: not our error
            self._send(outcome.response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status not in (204, 304):
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.status not in (204, 304):
            self.wfile.write(response.body)


class ZoteroServer(ZoteroApi):
    """A fake but faithful Zotero Web API v3 server; see the module docstring for the interface."""

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        user_id: int = DEFAULT_USER_ID,
        group_ids: Iterable[int] = (),
        schema_path: Path | str | None = None,
        write_access: bool | Iterable[str] = True,
        username: str = "bibbridge-test",
        clock: Callable[[], str] = utc_now,
    ) -> None:
        self.api_key = api_key
        self.user_id = int(user_id)
        self.username = username
        self.schema = Schema.load(Path(schema_path) if schema_path else SCHEMA_PATH)
        self.libraries: dict[str, Library] = {}
        user = Library("user", self.user_id, username, self.schema, clock)
        self.libraries[user.ref] = user
        for group_id in group_ids:
            group = Library("group", int(group_id), f"Group {group_id}", self.schema, clock)
            self.libraries[group.ref] = group
        self._lock = threading.RLock()
        self._write_access: bool | set[str] = True
        self.set_write_access(write_access)
        self._records: list[RequestRecord] = []
        self._faults: list[_Fault] = []
        self._edits: list[_Edit] = []
        self._create_failures: list[tuple[re.Pattern[str], int]] = []
        self._update_failures: list[tuple[re.Pattern[str], int]] = []
        self.errors: list[str] = []
        self._init_api()
        self._stack: contextlib.ExitStack | None = None
        self.url = ""

    # ------------------------------------------------------------------------------------ lifecycle

    def start(self) -> ZoteroServer:
        if self._stack is None:
            self._stack = contextlib.ExitStack()
            self.url, _ = self._stack.enter_context(serve(_Handler, zotero=self))
        return self

    def stop(self) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None

    def __enter__(self) -> ZoteroServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -------------------------------------------------------------------------------- the request

    def _process(self, method: str, raw_path: str, headers: Any, body: bytes) -> _Outcome:
        split = urlsplit(raw_path)
        path = unquote(split.path)
        pairs = parse_qsl(split.query, keep_blank_values=True)
        host = headers.get("Host") or self.url.removeprefix("http://")
        req = Request(method, path, pairs, headers, body, f"http://{host}")
        with self._lock:
            for edit in [e for e in self._edits if e.matches(method, path)]:
                if edit.skip == 0:
                    self._edits.remove(edit)
                    edit.fn(self)
                else:
                    edit.skip -= 1
            response = self._injected_status(method, path)
            drop = False
            if response is None:
                try:
                    response = self.handle(req)
                except ApiError as error:
                    response = text_response(error.status, error.message)
                except Exception:
                    self.errors.append(traceback.format_exc())
                    response = text_response(500, "An error occurred")
                drop = method in WRITE_METHODS and self._take("lose", method, path) is not None
            backoff = self._take("backoff", method, path)
            if backoff is not None:
                response.headers["Backoff"] = backoff.backoff or "0"
            response.headers.setdefault("Zotero-API-Version", "3")
            if self.schema.present:
                response.headers.setdefault("Zotero-Schema-Version", str(self.schema.version))
            self._records.append(self._record(req, response.status, drop))
        return _Outcome(response, drop)

    def _take(self, kind: str, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.kind == kind and fault.remaining > 0 and fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _injected_status(self, method: str, path: str) -> Response | None:
        fault = self._take("status", method, path)
        if fault is None:
            return None
        response = text_response(fault.status, STATUS_TEXT.get(fault.status, "Error"))
        if fault.retry_after is not None:
            response.headers["Retry-After"] = fault.retry_after
        return response

    def _record(self, req: Request, status: int, dropped: bool) -> RequestRecord:
        secrets_seen = {s for s in (self.api_key, self.presented_key(req)) if s}
        parts = [p for p in req.path.split("/") if p]
        if parts[:1] == ["keys"] and len(parts) == 2 and parts[1] != "current":
            secrets_seen.add(parts[1])  # pyzotero's key_info() puts the key in the path

        def redact(text: str) -> str:
            for secret in secrets_seen:
                text = text.replace(secret, "<redacted>")
            return text

        headers = {name: req.headers[name] for name in RECORDED_HEADERS if req.headers.get(name) is not None}
        return RequestRecord(
            req.method,
            redact(req.path),
            {k: redact(v) for k, v in req.query_pairs if k != "key"},
            status,
            headers,
            dropped,
            req.body if req.method in WRITE_METHODS else b"",
        )

    # ------------------------------------------------------------------------------ API callbacks

    def _writable(self, ref: str) -> bool:
        return self._write_access is True or (
            isinstance(self._write_access, set) and ref in self._write_access
        )

    def _update_failure(self, lib: Library, obj: object) -> tuple[int, str] | None:
        if not self._update_failures or not isinstance(obj, dict):
            return None
        existing = lib.items.get(obj.get("key"))  # type: ignore[arg-type]
        if existing is None:
            return None
        title = str(existing.get("title", ""))
        for pattern, code in self._update_failures:
            if pattern.search(title) or pattern.search(existing["key"]):
                return code, f"Injected failure {code} for item '{title[:60]}'"
        return None

    def _create_failure(self, lib: Library, obj: object) -> tuple[int, str] | None:
        if not self._create_failures or not isinstance(obj, dict) or obj.get("key") in lib.items:
            return None
        title = str(obj.get("title", ""))
        for pattern, code in self._create_failures:
            if pattern.search(title) or pattern.search(str(obj.get("key", ""))):
                return code, f"Injected failure {code} for item '{title[:60]}'"
        return None

    # ----------------------------------------------------------------------------- test interface

    def library(self, library: str | None = None) -> Library:
        ref = library or f"user:{self.user_id}"
        if ref not in self.libraries:
            raise KeyError(f"no library {ref!r}; have {sorted(self.libraries)}")
        return self.libraries[ref]

    def set_write_access(self, access: bool | Iterable[str]) -> None:
        with self._lock:
            self._write_access = access if isinstance(access, bool) else set(access)

    def add_item(
        self, data: dict[str, Any], library: str | None = None, trashed: bool = False, validate: bool = True
    ) -> str:
        return self.add_items([data], library, trashed, validate)[0]

    def add_items(
        self,
        items: Iterable[dict[str, Any]],
        library: str | None = None,
        trashed: bool = False,
        validate: bool = True,
    ) -> list[str]:
        with self._lock:
            return self.library(library).seed_items(list(items), trashed=trashed, validate=validate)

    def add_collection(
        self, name: str, parent: str | None = None, library: str | None = None, key: str | None = None
    ) -> str:
        with self._lock:
            obj: dict[str, Any] = {"name": name, "parentCollection": parent or False}
            if key:
                obj.update(key=key, version=0)
            return self.library(library).save_collection(obj, has_header=True)[1]

    def update_item(self, key: str, changes: dict[str, Any], library: str | None = None) -> int:
        with self._lock:
            lib = self.library(library)
            lib.save_item({**changes, "key": key}, has_header=True, partial=True)
            return lib.items[key]["version"]

    def trash_item(self, key: str, library: str | None = None) -> int:
        return self.update_item(key, {"deleted": 1}, library)

    def delete_item(self, key: str, library: str | None = None) -> None:
        with self._lock:
            self.library(library).delete_items([key])

    def delete_collection(self, key: str, library: str | None = None) -> None:
        with self._lock:
            self.library(library).delete_collections([key])

    def items(self, library: str | None = None, include_trashed: bool = True) -> list[dict[str, Any]]:
        with self._lock:
            lib = self.library(library)
            return [copy.deepcopy(d) for d in lib.items.values() if include_trashed or not d.get("deleted")]

    def item(self, key: str, library: str | None = None) -> dict[str, Any] | None:
        with self._lock:
            data = self.library(library).items.get(key)
            return copy.deepcopy(data) if data is not None else None

    def collections(self, library: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(d) for d in self.library(library).collections.values()]

    def collection_path(self, key: str, library: str | None = None) -> str:
        with self._lock:
            collections = self.library(library).collections
            names = []
            while key:
                names.append(collections[key]["name"])
                key = collections[key]["parentCollection"]
            return "/".join(reversed(names))

    def library_version(self, library: str | None = None) -> int:
        with self._lock:
            return self.library(library).version

    def deleted(self, library: str | None = None) -> dict[str, dict[str, int]]:
        with self._lock:
            return copy.deepcopy(self.library(library).deleted)

    def write_tokens(self, library: str | None = None) -> set[str]:
        with self._lock:
            return set(self.library(library).write_tokens)

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def reset_requests(self) -> None:
        with self._lock:
            self._records.clear()

    # ---------------------------------------------------------------------------------- faults

    def _add_fault(self, fault: _Fault) -> None:
        if fault.remaining > 0:
            with self._lock:
                self._faults.append(fault)

    def inject_429(
        self, count: int, retry_after: str | None = "0.1", method: str | None = None, path: str | None = None
    ) -> None:
        self._add_fault(_Fault("status", count, method, path, status=429, retry_after=retry_after))

    def inject_5xx(
        self,
        count: int,
        status: int = 500,
        retry_after: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        if not 500 <= status <= 599:
            raise ValueError("inject_5xx wants a 5xx status")
        self._add_fault(_Fault("status", count, method, path, status=status, retry_after=retry_after))

    def inject_backoff(
        self, seconds: str | float, count: int = 1, method: str | None = None, path: str | None = None
    ) -> None:
        self._add_fault(_Fault("backoff", count, method, path, backoff=str(seconds)))

    def lose_next_write_response(self, n: int = 1, path: str | None = None) -> None:
        self._add_fault(_Fault("lose", n, "write", path))

    def concurrent_edit_after(
        self,
        n_requests: int,
        fn: Callable[[ZoteroServer], Any],
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        with self._lock:
            self._edits.append(_Edit(n_requests, fn, method, path))

    def edit_concurrently(
        self, fn: Callable[[ZoteroServer], Any], method: str | None = None, path: str | None = None
    ) -> None:
        self.concurrent_edit_after(0, fn, method, path)

    def item_create_failures(self, failures: dict[str, int]) -> None:
        with self._lock:
            self._create_failures = [(re.compile(pattern), int(code)) for pattern, code in failures.items()]

    def item_update_failures(self, failures: dict[str, int]) -> None:
        with self._lock:
            self._update_failures = [(re.compile(pattern), int(code)) for pattern, code in failures.items()]

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._edits.clear()
            self._create_failures = []
            self._update_failures = []
