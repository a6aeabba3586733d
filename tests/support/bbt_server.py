"""A local stand-in for Better BibTeX's JSON-RPC endpoint (Zotero desktop, port 23119), real HTTP.

It answers ``POST /better-bibtex/json-rpc`` as Better BibTeX does: JSON-RPC 2.0; ``item.search`` with
``[terms]`` (or ``[terms, library]``) returns the CSL-JSON items whose title, creators or year contain
every term (Zotero's quick search), each with ``citekey`` and ``citation-key`` added; errors (unknown
method, bad params, an injected failure) come back as HTTP 200 with an ``error`` member. Other paths are
404, other methods 405, as Zotero's connector server does.

    with serve_bbt(items) as (url, server):   # url ends in /better-bibtex/json-rpc
        server.fail_next = "Zotero is busy"    # the next call answers with an error member
        server.calls                           # [(method, params), ...]
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.support.http import QuietHandler, serve

PATH = "/better-bibtex/json-rpc"


def _haystack(item: dict[str, Any]) -> str:
    names = " ".join(
        f"{a.get('given', '')} {a.get('family', '')} {a.get('literal', '')}" for a in item.get("author", [])
    )
    year = " ".join(str(p[0]) for p in item.get("issued", {}).get("date-parts", []) if p)
    return f"{item.get('title', '')} {names} {year} {item.get('citation-key', '')}".lower()


class _Handler(QuietHandler):
    def _send(self, status: int, body: dict[str, Any] | None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._send(404 if self.path != PATH else 405, None)

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path != PATH:
            self._send(404, None)
            return
        server = self.server
        try:
            request = json.loads(raw)
        except ValueError:
            self._send(
                200, {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": None}
            )
            return
        ident = request.get("id")
        method, params = request.get("method"), request.get("params") or []
        server.calls.append((method, params))
        if server.fail_next:
            message, server.fail_next = server.fail_next, None
            self._send(200, {"jsonrpc": "2.0", "error": {"code": -32603, "message": message}, "id": ident})
            return
        if method != "item.search":
            self._send(
                200,
                {
                    "jsonrpc": "2.0",
                    "error": {"code": -32601, "message": f"Method not found: {method}"},
                    "id": ident,
                },
            )
            return
        if not params or not isinstance(params[0], str):
            self._send(
                200, {"jsonrpc": "2.0", "error": {"code": -32602, "message": "Invalid params"}, "id": ident}
            )
            return
        terms = params[0].lower().split()
        found = [item for item in server.items if all(t in _haystack(item) for t in terms)]
        self._send(200, {"jsonrpc": "2.0", "result": found, "id": ident})


def bbt_item(
    key: str,
    title: str,
    family: str,
    given: str,
    year: int,
    arxiv_id: str | None = None,
    doi: str | None = None,
) -> dict[str, Any]:
    """A CSL-JSON item as Better BibTeX's ``item.search`` answers it (citekey fields included)."""
    item: dict[str, Any] = {
        "id": f"http://zotero.org/users/local/AbCdEfGh/items/{abs(hash(key)) % 10**8:08d}",
        "type": "article",
        "title": title,
        "author": [{"family": family, "given": given}],
        "issued": {"date-parts": [[year]]},
        "citekey": key,
        "citation-key": key,
    }
    if arxiv_id:
        item.update(
            {
                "number": f"arXiv:{arxiv_id}",
                "publisher": "arXiv",
                "URL": f"http://arxiv.org/abs/{arxiv_id}",
                "DOI": doi or f"10.48550/arXiv.{arxiv_id}",
            }
        )
    elif doi:
        item["DOI"] = doi
    return item


@contextmanager
def serve_bbt(items: list[dict[str, Any]]) -> Iterator[tuple[str, Any]]:
    with serve(_Handler, items=items, calls=[], fail_next=None) as (base, server):
        yield base + PATH, server
