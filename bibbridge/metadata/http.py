"""A polite HTTP client for the public metadata services, built on ``httpx2``.

One :class:`PoliteClient` per service: one connection at a time, a minimum interval between requests
(arXiv asks for 3 seconds), bounded retries on timeouts, connection errors, 429 and 5xx answers, and
``Retry-After`` honoured (seconds, fractional seconds or an HTTP date). A service that keeps failing is
skipped for the rest of the run instead of being asked again for every paper. A service that cannot be
reached at all (DNS failure, connection refused, connect timeout, or a request timing out on every try)
is switched off at its first failure: offline, a run goes on within seconds instead of waiting out
retries for every paper; :attr:`PoliteClient.unreachable` then says which host it was, once.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import __version__

USER_AGENT = f"bibbridge/{__version__} (reference manager helper; polite metadata lookups)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The longest wait for a connection: a host that does not answer a TCP handshake in this time is
#: taken as unreachable (a black-holed network must not cost the full read timeout).
CONNECT_TIMEOUT = 5.0


class FetchError(Exception):
    """A request that could not be answered after the allowed retries (the message says why)."""


@dataclass
class Answer:
    """What a service answered: the status, the body as text, and the headers that matter."""

    status: int
    text: str
    headers: Mapping[str, str]


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from ``Retry-After``: ``"2"``, ``"0.5"`` or an HTTP date; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


class PoliteClient:
    """GET requests to one service, spaced, retried and counted.

    Args:
        base_url: the service root (``https://export.arxiv.org``); paths are appended to it.
        name: the service's name in messages (``arXiv``).
        min_interval: seconds from the end of one request to the start of the next (retries too).
        timeout: seconds for connecting and for each read.
        retries: extra attempts after the first for retryable failures.
        backoff: first wait (doubled each time) when a retryable answer gives no ``Retry-After``.
        max_wait: the longest ``Retry-After`` obeyed; a longer one fails the request at once.
        give_up_after: consecutive failed requests after which the service is skipped for this run.
    """

    def __init__(
        self,
        base_url: str,
        *,
        name: str,
        min_interval: float = 0.0,
        timeout: float = 20.0,
        retries: int = 2,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        give_up_after: int = 3,
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.min_interval = min_interval
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_wait = max_wait
        self.give_up_after = give_up_after
        self.headers = {"User-Agent": USER_AGENT, **(headers or {})}
        self.requests = 0
        self._sleep = sleep
        self._lock = threading.Lock()  # one request (and so one connection) at a time
        self._last_end: float | None = None
        self._failures = 0
        self._client: Any = None
        #: ``"huggingface.co (connection refused)"`` once the host could not be reached; None before.
        self.unreachable: str | None = None

    # -- plumbing -----------------------------------------------------------------------------
    def _http(self) -> Any:
        if self._client is None:
            import httpx2

            self._client = httpx2.Client(
                base_url=self.base_url,
                verify=_ssl_context(),
                timeout=httpx2.Timeout(self.timeout, connect=min(self.timeout, CONNECT_TIMEOUT)),
                limits=httpx2.Limits(max_connections=1, max_keepalive_connections=1),
                headers=self.headers,
                follow_redirects=True,
                trust_env=True,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait_turn(self) -> None:
        # Counted from the end of the previous request, so the service never sees two closer together.
        if self._last_end is not None and self.min_interval > 0:
            delay = self._last_end + self.min_interval - time.monotonic()
            if delay > 0:
                self._sleep(delay)

    @property
    def skipped(self) -> bool:
        """True once the service failed ``give_up_after`` requests in a row, or could not be reached."""
        return self.unreachable is not None or self._failures >= self.give_up_after

    @property
    def host(self) -> str:
        from urllib.parse import urlsplit

        return urlsplit(self.base_url).netloc or self.base_url

    def _switch_off(self, why: str) -> None:
        self.unreachable = f"{self.host} ({why})"

    # -- the one public call ------------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Answer:
        """GET ``path``; returns any final answer (2xx/3xx/4xx); raises :class:`FetchError` otherwise."""
        import httpx2

        with self._lock:
            if self.unreachable is not None:
                raise FetchError(f"{self.name} off for this run: {self.unreachable} could not be reached")
            if self.skipped:
                raise FetchError(f"{self.name} skipped after {self._failures} failed requests in a row")
            problem = "no answer"
            timed_out = 0
            for attempt in range(self.retries + 1):
                self._wait_turn()
                self.requests += 1
                wait: float | None = None
                try:
                    try:
                        response = self._http().get(path, params=params)
                    finally:
                        self._last_end = time.monotonic()
                except httpx2.ConnectTimeout:
                    # No handshake: the host is not there for us; retrying would only wait again.
                    self._switch_off(f"no connection within {min(self.timeout, CONNECT_TIMEOUT):g}s")
                    self._failures += 1
                    raise FetchError(f"{self.name}: {self.unreachable} could not be reached") from None
                except httpx2.TimeoutException:
                    problem = f"timed out after {self.timeout:g}s"
                    timed_out += 1
                except httpx2.ConnectError as exc:  # DNS failure, connection refused, no route
                    self._switch_off(_connect_reason(exc))
                    self._failures += 1
                    raise FetchError(f"{self.name}: {self.unreachable} could not be reached") from None
                except httpx2.TransportError as exc:
                    problem = f"connection failed ({type(exc).__name__})"
                except httpx2.TooManyRedirects:
                    self._failures += 1
                    raise FetchError(f"{self.name}: {self.host} redirects in a loop") from None
                except httpx2.InvalidURL as exc:  # e.g. a query too long for a URL: a stable refusal
                    raise FetchError(f"{self.name}: request not sent ({exc})") from None
                else:
                    if response.status_code not in RETRY_STATUSES:
                        self._failures = 0
                        return Answer(response.status_code, response.text, dict(response.headers))
                    problem = f"HTTP {response.status_code}"
                    wait = parse_retry_after(response.headers.get("Retry-After"))
                    if wait is not None and wait > self.max_wait:
                        told = "never" if wait == float("inf") else f"after {wait:g}s"
                        problem += f" (asked to retry {told}, more than the {self.max_wait:g}s we wait)"
                        break
                if attempt < self.retries:
                    delay = wait if wait is not None else self.backoff * (2**attempt)
                    if wait is not None and wait >= 5:  # a long silent pause looks like a hang
                        print(
                            f"bibbridge: {self.name} asks to wait {wait:.0f} s; waiting",
                            file=sys.stderr,
                            flush=True,
                        )
                    self._sleep(delay)
            self._failures += 1
            tries = "1 try" if attempt == 0 else f"{attempt + 1} tries"
            if timed_out == attempt + 1:  # every try timed out: the service is not answering us
                self._switch_off(f"timed out after {self.timeout:g}s, {tries}")
            raise FetchError(f"{self.name}: {problem} ({tries})")


@functools.lru_cache(maxsize=1)
def _ssl_context() -> Any:
    """httpx's default verifying SSL context, built once a process: loading the CA bundle costs
    ~0.06–0.09 s, and each service's client would otherwise load it again."""
    import httpx2

    return httpx2.create_ssl_context()


def _connect_reason(exc: Exception) -> str:
    """A short reason for a failed connection: ``name not resolved``, ``connection refused`` …"""
    text = str(exc).lower()
    if "name or service" in text or "nodename" in text or "getaddrinfo" in text or "resolv" in text:
        return "name not resolved"
    if "refused" in text:
        return "connection refused"
    if "unreachable" in text or "no route" in text:
        return "network unreachable"
    return f"connection failed: {type(exc).__name__}"
