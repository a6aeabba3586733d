"""Talking to the Zotero Web API v3 through pyzotero: the only module that imports it (lazily).

What this layer adds to pyzotero 1.16.0 (see ../shared/notes/zotero-web-api.md):

- retries: 429, 5xx, 408 and connection errors are retried with bounded exponential backoff; ``Retry-After``
  (fractional) and ``Backoff`` are honoured through pyzotero's own backoff clock (``zot.backoff_until``),
  so a wait is slept once, never once by pyzotero and again here;
- pyzotero's traps: ``create_items`` raises above 50 objects (callers batch), a 429 on a write surfaces as
  a JSON decode error (recognised by the status of the last response), connection errors come raw;
- conditional reads (``If-Modified-Since-Version`` → 304), which pyzotero cannot send, go through
  pyzotero's own HTTP client with its default headers;
- errors: every failure becomes a :class:`bibbridge.errors.BibbridgeError` whose text never holds the
  API key (messages are scrubbed; pyzotero's exceptions are not chained);
- a request counter (every request sent, retries included).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..errors import AuthError, BibbridgeError, UsageError

T = TypeVar("T")

DEFAULT_API_URL = "https://api.zotero.org"
ENV_API_KEY = "ZOTERO_API_KEY"
ENV_LIBRARY = "ZOTERO_LIBRARY"
ENV_API_URL = "ZOTERO_API_URL"
ENV_RETRY_BASE = "BIBBRIDGE_RETRY_BASE"
CONFIG_SECTION = "zotero"

MAX_BATCH = 50  # objects per write request and keys per itemKey= read (API limit)
PAGE_SIZE = 100  # items per page when reading the whole library
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
DEFAULT_ATTEMPTS = 7
DEFAULT_RETRY_BASE = 1.0  # seconds; doubled per attempt
RETRY_CAP = 60.0  # never wait longer than this between two attempts (unless the server says so)


class ZoteroError(BibbridgeError):
    """The Zotero server could not be reached or kept failing (exit 1: nothing about the input is wrong)."""

    exit_code = 1


class StillFailing(ZoteroError):
    """A request kept failing (connection, 429/5xx) through every attempt: the sync gives up."""


class PreconditionFailed(ZoteroError):
    """412: the library (or object) changed since the version we sent; refresh and retry."""


class NotFound(ZoteroError):
    """404 for a library or object."""


@dataclass(frozen=True)
class Library:
    """A Zotero library: ``user:<id>`` or ``group:<id>``."""

    type: str
    id: str

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"

    @property
    def prefix(self) -> str:
        return f"/{self.type}s/{self.id}"


def parse_library(text: str | None) -> Library:
    """``user:123`` / ``group:456`` (also ``users/123``) → :class:`Library`; UsageError otherwise."""
    if not text or not text.strip():
        raise UsageError(
            "no Zotero library: pass --library user:<id> or group:<id> (or set ZOTERO_LIBRARY); "
            "your user id is shown at https://www.zotero.org/settings/keys"
        )
    raw = text.strip()
    kind, sep, ident = raw.replace("/", ":").partition(":")
    kind = kind.lower().rstrip("s")
    if not sep or kind not in ("user", "group") or not ident.isdigit():
        raise UsageError(f"bad Zotero library {raw!r}: expected user:<numeric id> or group:<numeric id>")
    return Library(kind, ident)


# -- credentials -----------------------------------------------------------------------------------


def resolve_api_key(api_key: str | None = None) -> str:
    """The API key: the argument, else ``$ZOTERO_API_KEY``, else ``[zotero] api_key`` in the config file."""
    if api_key:
        return api_key
    env = os.environ.get(ENV_API_KEY, "").strip()
    if env:
        return env
    from ..home import load_config

    saved = str(load_config().get(CONFIG_SECTION, {}).get("api_key") or "").strip()
    if saved:
        return saved
    raise AuthError(
        "no Zotero API key: set ZOTERO_API_KEY or run `bibbridge config zotero` to store one "
        "(make a key at https://www.zotero.org/settings/keys)"
    )


def configured(name: str) -> str | None:
    """A non-secret ``[zotero]`` setting from the config file (``library``, ``api_url``, ``collection``)."""
    from ..home import load_config

    value = load_config().get(CONFIG_SECTION, {}).get(name)
    return str(value) if value else None


def zotero_settings(library: str | Library | None, api_url: str | None) -> tuple[Library, str]:
    """The library and server base URL to use, each from the argument, else the environment
    (``$ZOTERO_LIBRARY``, ``$ZOTERO_API_URL``), else the config file; the URL defaults to
    https://api.zotero.org and loses a trailing ``/`` (so every command names one server alike: the
    local index of a library is kept per URL)."""
    lib = (
        library
        if isinstance(library, Library)
        else parse_library(library or os.environ.get(ENV_LIBRARY) or configured("library"))
    )
    url = (api_url or os.environ.get(ENV_API_URL) or configured("api_url") or DEFAULT_API_URL).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"bad Zotero API URL {url!r}: expected http(s)://host[:port]")
    return lib, url


def save_credentials(
    api_key: str, library: str | None = None, api_url: str | None = None, collection: str | None = None
) -> str:
    """Store the API key (and optional defaults) in the config file, mode 0600; returns its path.

    The Python twin of ``bibbridge config zotero``.
    """
    from ..home import load_config, save_config

    api_key = api_key.strip()
    if not api_key or any(c.isspace() for c in api_key):
        raise UsageError("the Zotero API key is empty or contains spaces")
    if library:
        parse_library(library)
    config = load_config()
    section = dict(config.get(CONFIG_SECTION, {}))
    section["api_key"] = api_key
    for name, value in (("library", library), ("api_url", api_url), ("collection", collection)):
        if value:
            section[name] = value
    config[CONFIG_SECTION] = section
    return str(save_config(config))


def scrub(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced by ``***``."""
    if secret:
        text = text.replace(secret, "***")
    return text


def retry_base_from_env() -> float:
    value = os.environ.get(ENV_RETRY_BASE)
    if not value:
        return DEFAULT_RETRY_BASE
    try:
        return max(0.0, float(value))
    except ValueError:
        raise UsageError(f"{ENV_RETRY_BASE} must be a number of seconds, not {value!r}") from None


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


@dataclass
class WriteResult:
    """Per-object results of one multi-object write, by index into the sent list."""

    successful: dict[int, dict[str, Any]] = field(default_factory=dict)
    unchanged: dict[int, str] = field(default_factory=dict)
    failed: dict[int, tuple[int, str]] = field(default_factory=dict)
    version: int | None = None


class ZoteroClient:
    """One library on one server, through a pyzotero ``Zotero`` instance.

    Args:
        library: the library to talk to.
        api_key: the key (see :func:`resolve_api_key`).
        api_url: the server base URL (default https://api.zotero.org).
        retry_base: first retry delay in seconds (default ``$BIBBRIDGE_RETRY_BASE`` or 1).
        attempts: attempts per request before giving up.
    """

    def __init__(
        self,
        library: Library,
        api_key: str,
        api_url: str | None = None,
        retry_base: float | None = None,
        attempts: int = DEFAULT_ATTEMPTS,
    ) -> None:
        import httpx2
        from pyzotero import zotero

        self.library = library
        self._key = api_key
        self.api_url = (api_url or DEFAULT_API_URL).rstrip("/")
        self.retry_base = retry_base_from_env() if retry_base is None else retry_base
        self.attempts = max(1, attempts)
        self.requests = 0
        self._last: Any = None  # the last response seen (its status tells what a pyzotero error was)
        host = self.api_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        http = httpx2.Client(
            follow_redirects=True,
            timeout=30,
            # a local test or self-hosted server on loopback is never reached through a proxy
            trust_env=host not in ("127.0.0.1", "localhost", "::1"),
            event_hooks={"request": [self._on_request], "response": [self._on_response]},
        )
        self.zot = zotero.Zotero(library.id, library.type, api_key, client=http)
        self.zot.endpoint = self.api_url

    # -- plumbing ---------------------------------------------------------------------------------
    def _on_request(self, request: Any) -> None:
        self.requests += 1

    def _on_response(self, response: Any) -> None:
        self._last = response

    def close(self) -> None:
        self.zot.client.close()

    def __enter__(self) -> ZoteroClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _url(self, path: str) -> str:
        return f"{self.api_url}{self.library.prefix}{path}"

    def _wait(self) -> None:
        """Sleep out the shared backoff clock (set by pyzotero from Backoff/Retry-After, or by us)."""
        remainder = self.zot.backoff_until - time.time()
        if remainder > 0:
            time.sleep(remainder)

    def _defer(self, seconds: float) -> None:
        self.zot.backoff_until = max(self.zot.backoff_until, time.time() + seconds)

    def _note_backoff(self, response: Any) -> None:
        seconds = _seconds(response.headers.get("backoff")) or _seconds(response.headers.get("retry-after"))
        if seconds:
            self._defer(seconds)

    def _body(self, response: Any) -> str:
        try:
            text = response.text
        except Exception:  # noqa: BLE001 - a body that cannot be read is simply not shown
            return ""
        return scrub(" ".join(text.split())[:200], self._key)

    def _status_error(self, what: str, response: Any) -> BibbridgeError:
        status = response.status_code
        body = self._body(response)
        if status in (401, 403):
            if what.startswith(("create", "add", "update", "write")):
                return AuthError(f"the API key lacks write access to {self.library} ({status} on {what})")
            return AuthError(
                f"the API key was refused for {self.library} ({status} on {what}): check the key and that "
                "it has access to this library"
            )
        if status == 404:
            return NotFound(f"{self.library}: not found on {self.api_url} ({what}): {body}")
        if status == 412:
            return PreconditionFailed(f"{self.library} changed during {what}: {body}")
        return ZoteroError(f"Zotero answered {status} to {what}: {body}")

    def call(self, what: str, fn: Callable[[], T], raw: bool = False) -> T:
        """Run ``fn`` (one request) with retries; translate every failure into a BibbridgeError.

        ``raw`` calls return an httpx2 response themselves; their status is checked here.
        """
        import httpx2
        from pyzotero.errors import PyZoteroError

        reason = ""
        for attempt in range(self.attempts):
            self._wait()
            self._last = None
            try:
                result = fn()
            except httpx2.TransportError as exc:
                reason = f"connection failed ({type(exc).__name__})"
            except (PyZoteroError, ValueError) as exc:
                # ValueError: pyzotero parsed a non-JSON body as JSON (a 429 on a write does that)
                response = self._last
                if response is None:
                    raise ZoteroError(scrub(f"{what} failed: {type(exc).__name__}", self._key)) from None
                if response.status_code not in RETRY_STATUSES:
                    if 200 <= response.status_code < 300:
                        raise ZoteroError(f"unexpected answer to {what}: {self._body(response)}") from None
                    raise self._status_error(what, response) from None
                reason = f"server answered {response.status_code}"
            else:
                if not raw:
                    return result
                response = result
                if response.status_code in RETRY_STATUSES:
                    reason = f"server answered {response.status_code}"
                elif response.status_code >= 400:
                    raise self._status_error(what, response)
                else:
                    self._note_backoff(response)
                    return result
            if attempt + 1 == self.attempts:
                break
            delay = min(RETRY_CAP, self.retry_base * 2**attempt)
            if self._last is not None:
                # Retry-After (429/503) or Backoff: wait at least that long, once
                told = _seconds(self._last.headers.get("retry-after")) or _seconds(
                    self._last.headers.get("backoff")
                )
                delay = max(delay, told or 0.0)
            self._defer(delay)
        raise StillFailing(f"{what} still failing after {self.attempts} attempts: {reason}")

    def _get(self, path: str, params: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        """A GET through pyzotero's client and default headers (for what pyzotero cannot send)."""
        return self.zot.client.get(
            self._url(path), params=params, headers={**self.zot.default_headers(), **(headers or {})}
        )

    # -- reads ------------------------------------------------------------------------------------
    def items_page(self, start: int, limit: int = PAGE_SIZE) -> tuple[list[dict[str, Any]], int, int]:
        """One page of top-level items, trash included: (items, total, library version)."""

        def fetch() -> list[dict[str, Any]]:
            return self.zot.top(includeTrashed=1, limit=limit, start=start)

        items = self.call(f"read items {start}-{start + limit}", fetch)
        headers = self.zot.request.headers
        return (
            items,
            int(headers.get("total-results", len(items))),
            int(headers.get("last-modified-version", 0)),
        )

    def item_versions_since(self, since: int) -> tuple[dict[str, int] | None, int]:
        """``{key: version}`` of top-level items changed after ``since`` (trash included), or None when
        the library has not changed at all (304); and the library version."""
        response = self.call(
            "read item versions",
            lambda: self._get(
                "/items/top",
                {"since": since, "format": "versions", "includeTrashed": 1},
                {"If-Modified-Since-Version": str(since)},
            ),
            raw=True,
        )
        version = int(response.headers.get("last-modified-version", since))
        if response.status_code == 304:
            return None, version
        return {k: int(v) for k, v in response.json().items()}, version

    def all_item_versions(self) -> tuple[dict[str, int], int]:
        """``{key: version}`` of every top-level item (trash included): one unpaged request."""
        versions = self.call(
            "read item versions", lambda: self.zot.top(includeTrashed=1, format="versions", limit=None)
        )
        return {k: int(v) for k, v in versions.items()}, int(
            self.zot.request.headers.get("last-modified-version", 0)
        )

    def items_by_key(self, keys: list[str]) -> list[dict[str, Any]]:
        """The items with these keys (at most 50), trash included."""
        if not keys:
            return []
        if len(keys) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} keys per request")
        return self.call(
            "read items",
            lambda: self.zot.items(itemKey=",".join(keys), includeTrashed=1, limit=MAX_BATCH),
        )

    def deleted_since(self, since: int) -> dict[str, list[str]]:
        """Keys of objects deleted after ``since``: ``{"items": [...], "collections": [...], ...}``."""
        return self.call("read deletions", lambda: self.zot.deleted(since=since))

    def collections_page(self, start: int, since: int | None = None) -> tuple[list[dict[str, Any]], int]:
        """One page of collections (changed after ``since`` when given): (collections, total)."""
        params: dict[str, Any] = {"limit": PAGE_SIZE, "start": start}
        if since is not None:
            params["since"] = since
        found = self.call("read collections", lambda: self.zot.collections(**params))
        return found, int(self.zot.request.headers.get("total-results", len(found)))

    # -- writes -----------------------------------------------------------------------------------
    def _write_result(self, answer: Any) -> WriteResult:
        result = WriteResult()
        if not isinstance(answer, dict):
            raise ZoteroError(f"unexpected answer to a write in {self.library}")
        for index, obj in (answer.get("successful") or {}).items():
            result.successful[int(index)] = obj
        if not answer.get("successful"):  # very old servers answer only the deprecated "success"
            for index, key in (answer.get("success") or {}).items():
                result.successful[int(index)] = {"key": key}
        for index, key in (answer.get("unchanged") or {}).items():
            result.unchanged[int(index)] = key
        for index, failure in (answer.get("failed") or {}).items():
            failure = failure or {}
            result.failed[int(index)] = (
                int(failure.get("code") or 0),
                scrub(str(failure.get("message") or ""), self._key),
            )
        if self._last is not None and self._last.headers.get("last-modified-version"):
            result.version = int(self._last.headers["last-modified-version"])
        return result

    def create_items(self, objects: list[dict[str, Any]], library_version: int | None) -> WriteResult:
        """POST up to 50 items (with client keys and ``version: 0``); whole-request 412 raises."""
        if len(objects) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} objects per write")
        answer = self.call(
            "create items",
            lambda: self.zot.create_items([dict(o) for o in objects], last_modified=library_version),
        )
        return self._write_result(answer)

    def create_collections(self, objects: list[dict[str, Any]], library_version: int | None) -> WriteResult:
        """POST up to 50 collections (client keys, ``version: 0``); whole-request 412 raises."""
        answer = self.call(
            "create collections",
            lambda: self.zot.create_collections([dict(o) for o in objects], last_modified=library_version),
        )
        return self._write_result(answer)

    def update_items(self, objects: list[dict[str, Any]]) -> WriteResult:
        """POST up to 50 partial updates of existing items in one request.

        Each object carries its ``key``, its ``version`` (the item's current version: a per-object
        412 when it moved on) and only the properties to change; the server applies them with PATCH
        semantics. No library-version header: a change to another item must not fail the batch.
        """
        if len(objects) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} objects per write")
        answer = self.call("update items", lambda: self.zot.create_items([dict(o) for o in objects]))
        return self._write_result(answer)
