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
  API key (messages are scrubbed before they are cut; pyzotero's exceptions are not chained): transport
  failures, redirect loops, answers of the wrong shape (HTML pages, JSON that is not what the API
  returns, truncated bodies) are each one line (:meth:`ZoteroClient.call` is the one place);
- waits the server asks for (``Retry-After``/``Backoff``) longer than :data:`MAX_SERVER_WAIT` fail at
  once (``inf`` included), long ones are announced on stderr; the key is never sent over plain
  ``http://`` to a host other than this machine unless ``$BIBBRIDGE_ALLOW_HTTP=1``;
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
MAX_SERVER_WAIT = 600.0  # a longer Retry-After/Backoff fails the request at once (try again later)
ANNOUNCE_WAIT = 5.0  # waits at least this long are announced on stderr
ENV_ALLOW_HTTP = "BIBBRIDGE_ALLOW_HTTP"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


class ZoteroError(BibbridgeError):
    """The Zotero server could not be reached or kept failing (exit 1: nothing about the input is wrong)."""

    exit_code = 1


class StillFailing(ZoteroError):
    """A request kept failing (connection, 429/5xx) through every attempt: the sync gives up."""


class PreconditionFailed(ZoteroError):
    """412: the library (or object) changed since the version we sent; refresh and retry."""


class NotFound(ZoteroError):
    """404 for a library or object."""


class NotZoteroAnswer(ZoteroError):
    """The server at the API URL does not answer as the Zotero API does (a redirect loop, an HTML page,
    JSON of another shape, a truncated body): exit 2, the URL or a proxy needs fixing."""

    exit_code = 2


class _WaitTooLong(Exception):
    """Raised from the response hook: the server asks for a wait longer than MAX_SERVER_WAIT."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def host_of(url: str) -> str:
    """The host of ``http(s)://host[:port]/…`` (brackets kept for IPv6)."""
    rest = url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    if rest.startswith("["):
        return rest.split("]", 1)[0] + "]"
    return rest.split(":", 1)[0].lower()


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
    check_transport(url)
    return lib, url


def check_transport(url: str) -> None:
    """UsageError for a plain ``http://`` URL to another machine: the API key would cross the network
    in clear text. ``$BIBBRIDGE_ALLOW_HTTP=1`` allows it (a trusted network, a TLS-terminating proxy)."""
    local = host_of(url) in LOCAL_HOSTS
    if url.startswith("http://") and not local and os.environ.get(ENV_ALLOW_HTTP) != "1":
        raise UsageError(
            f"refusing to send the Zotero API key over plain http:// to {host_of(url)}: use https://, "
            f"or set {ENV_ALLOW_HTTP}=1 if this network is trusted"
        )


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
    if not api_key.isprintable() or not api_key.isascii():
        raise UsageError("the Zotero API key contains control or non-ASCII characters (a paste gone wrong?)")
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
    """Seconds from a ``Retry-After``/``Backoff`` value: a number (``inf`` included) or an HTTP date;
    None when absent or unreadable."""
    if not value:
        return None
    from ..metadata.http import parse_retry_after

    return parse_retry_after(value)


# -- the shapes of the API's answers (a wrong one raises; ZoteroClient.call turns that into a message) --
def _objects(value: Any) -> list[dict[str, Any]]:
    """A list of API objects (``{"key", "version", "data": {...}}``, or bare data)."""
    if not isinstance(value, list):
        raise TypeError(f"expected a JSON array of objects, not {type(value).__name__}")
    for obj in value:
        if not isinstance(obj, dict) or not isinstance(obj.get("data", obj), dict):
            raise TypeError("expected a JSON array of objects")
        if not isinstance(obj.get("key") or obj.get("data", obj).get("key"), str):
            raise KeyError("an object without a key")
    return value


def _versions(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON object of versions, not {type(value).__name__}")
    return {str(key): int(version) for key, version in value.items()}


def _deletions(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict) or not all(isinstance(keys, list) for keys in value.values()):
        raise TypeError("expected a JSON object of key lists")
    return value


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
        check_transport(self.api_url)
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
        # pyzotero sleeps out Backoff/Retry-After itself (float(value), so "inf" or an HTTP date would
        # break it): give it plain seconds, refuse waits too long to sit out, announce long ones.
        for name in ("backoff", "retry-after"):
            value = response.headers.get(name)
            if value is None:
                continue
            seconds = _seconds(value)
            if seconds is None:
                del response.headers[name]
                continue
            if seconds > MAX_SERVER_WAIT:
                raise _WaitTooLong(seconds)
            response.headers[name] = f"{seconds:.3f}"
            if seconds >= ANNOUNCE_WAIT:
                import sys

                print(
                    f"bibbridge: {host_of(self.api_url)} asks to wait {seconds:.0f} s before the next "
                    "request; waiting",
                    file=sys.stderr,
                    flush=True,
                )

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
        # Masked first, then cut: a cut made first could leave part of an echoed key on screen.
        return scrub(" ".join(text.split()), self._key)[:200]

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

    def _shape_error(self, what: str, exc: BaseException) -> NotZoteroAnswer:
        response = self._last
        if response is None:
            return NotZoteroAnswer(f"unexpected answer to {what} ({type(exc).__name__})")
        kind = response.headers.get("content-type", "").split(";", 1)[0] or "no content type"
        return NotZoteroAnswer(
            f"{self.api_url} does not answer as the Zotero API ({what}: "
            f"{response.status_code} {kind}): {self._body(response)}"
        )

    def call(
        self, what: str, fn: Callable[[], T], raw: bool = False, check: Callable[[Any], Any] | None = None
    ) -> T:
        """Run ``fn`` (one request) with retries; translate every failure into a BibbridgeError.

        ``raw`` calls return an httpx2 response themselves; their status is checked here. ``check``
        turns the answer into what the caller wants and raises (TypeError, KeyError, ValueError …) when
        its shape is wrong: that becomes :class:`NotZoteroAnswer`, as every shape error here does.
        """
        import httpx2
        from pyzotero.errors import PyZoteroError

        reason = ""
        for attempt in range(self.attempts):
            self._wait()
            self._last = None
            try:
                result = fn()
            except _WaitTooLong as exc:
                told = "forever" if exc.seconds == float("inf") else f"{exc.seconds:.0f} s"
                raise ZoteroError(
                    f"{host_of(self.api_url)} asks to wait {told} before {what} (more than "
                    f"{MAX_SERVER_WAIT:.0f} s): try again later"
                ) from None
            except httpx2.TooManyRedirects:
                raise NotZoteroAnswer(
                    f"{what}: {self.api_url} redirects in a loop; is the API URL right?"
                ) from None
            except httpx2.TransportError as exc:
                reason = f"connection failed ({type(exc).__name__})"
            except httpx2.HTTPError as exc:  # a body that cannot be decoded, any other request error
                raise NotZoteroAnswer(
                    scrub(f"{what} failed: {type(exc).__name__}: {exc}", self._key)[:300]
                ) from None
            except (AttributeError, TypeError, KeyError, IndexError, OverflowError) as exc:
                if self._last is None:
                    raise  # no answer to blame: a bug, not the server
                # JSON that is not what the API returns: pyzotero choked on its shape
                raise self._shape_error(what, exc) from None
            except (PyZoteroError, ValueError) as exc:
                # ValueError: pyzotero parsed a non-JSON body as JSON (a 429 on a write does that)
                response = self._last
                if response is None:
                    raise ZoteroError(scrub(f"{what} failed: {type(exc).__name__}", self._key)) from None
                if response.status_code not in RETRY_STATUSES:
                    if 200 <= response.status_code < 300:
                        raise self._shape_error(what, exc) from None
                    raise self._status_error(what, response) from None
                reason = f"server answered {response.status_code}"
            else:
                if not raw:
                    return self._checked(what, check, result)
                response = result
                if response.status_code in RETRY_STATUSES:
                    reason = f"server answered {response.status_code}"
                elif response.status_code >= 400:
                    raise self._status_error(what, response)
                else:
                    self._note_backoff(response)
                    return self._checked(what, check, result)
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

    def _checked(self, what: str, check: Callable[[Any], Any] | None, result: Any) -> Any:
        if check is None:
            return result
        try:
            return check(result)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            raise self._shape_error(what, exc) from None

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

        def shaped(items: Any) -> tuple[list[dict[str, Any]], int, int]:
            headers = self.zot.request.headers
            return (
                _objects(items),
                int(headers.get("total-results", len(items))),
                int(headers.get("last-modified-version", 0)),
            )

        return self.call(f"read items {start}-{start + limit}", fetch, check=shaped)

    def item_versions_since(self, since: int) -> tuple[dict[str, int] | None, int]:
        """``{key: version}`` of top-level items changed after ``since`` (trash included), or None when
        the library has not changed at all (304); and the library version."""

        def shaped(response: Any) -> tuple[dict[str, int] | None, int]:
            version = int(response.headers.get("last-modified-version", since))
            if response.status_code == 304:
                return None, version
            return _versions(response.json()), version

        return self.call(
            "read item versions",
            lambda: self._get(
                "/items/top",
                {"since": since, "format": "versions", "includeTrashed": 1},
                {"If-Modified-Since-Version": str(since)},
            ),
            raw=True,
            check=shaped,
        )

    def all_item_versions(self) -> tuple[dict[str, int], int]:
        """``{key: version}`` of every top-level item (trash included): one unpaged request."""
        return self.call(
            "read item versions",
            lambda: self.zot.top(includeTrashed=1, format="versions", limit=None),
            check=lambda versions: (
                _versions(versions),
                int(self.zot.request.headers.get("last-modified-version", 0)),
            ),
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
            check=_objects,
        )

    def deleted_since(self, since: int) -> dict[str, list[str]]:
        """Keys of objects deleted after ``since``: ``{"items": [...], "collections": [...], ...}``."""
        return self.call("read deletions", lambda: self.zot.deleted(since=since), check=_deletions)

    def collections_page(self, start: int, since: int | None = None) -> tuple[list[dict[str, Any]], int]:
        """One page of collections (changed after ``since`` when given): (collections, total)."""
        params: dict[str, Any] = {"limit": PAGE_SIZE, "start": start}
        if since is not None:
            params["since"] = since
        return self.call(
            "read collections",
            lambda: self.zot.collections(**params),
            check=lambda found: (
                _objects(found),
                int(self.zot.request.headers.get("total-results", len(found))),
            ),
        )

    # -- writes -----------------------------------------------------------------------------------
    def _write_result(self, answer: Any) -> WriteResult:
        try:
            return self._write_result_of(answer)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise self._shape_error(f"a write to {self.library}", exc) from None

    def _write_result_of(self, answer: Any) -> WriteResult:
        result = WriteResult()
        if not isinstance(answer, dict):
            raise TypeError(f"expected a JSON object, not {type(answer).__name__}")
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
