"""A real HTTP server on 127.0.0.1 for tests: start a handler class in a thread, get its base URL.

Fake services (Zotero, Hugging Face, arXiv, Semantic Scholar, Better BibTeX) build on this so tests
talk real HTTP through the product's own client stack.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that does not log to stderr and speaks HTTP/1.1."""

    protocol_version = "HTTP/1.1"
    # Answers go out as headers then body; without TCP_NODELAY each small answer waits ~40 ms for
    # the client's delayed ACK. Production servers (nginx) set it too.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


@contextmanager
def serve(
    handler: type[BaseHTTPRequestHandler], **attrs: object
) -> Iterator[tuple[str, ThreadingHTTPServer]]:
    """Serve ``handler`` on an ephemeral port of 127.0.0.1; yields ``(base_url, server)``.

    ``attrs`` are set on the server object, where handlers reach them as ``self.server.<name>``.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    for name, value in attrs.items():
        setattr(server, name, value)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
