"""Benchmark `bibbridge sync`: requests and seconds against libraries of several sizes.

For each library size (items already there, none of them the digest's papers), against the local
Zotero Web API server of the tests (real HTTP on 127.0.0.1, so seconds are a lower bound: no network
latency; requests are what the real server would see):

- bibbridge: the first sync of the 233 papers of 004_… (fresh local index), then a no-op re-sync;
- naive: what a script on pyzotero would do: fetch every item with ``everything(items())``, match by
  title, create the missing ones with ``create_items`` (50 per call); and its re-sync, which fetches
  everything again.

The fake server runs in a child process, as the real one runs on another machine: in the same process
its threads would share the GIL with the client and every request would wait out thread switches.
"server" is the time the fake server spent handling requests (the rest of "seconds" is the client and
the loopback). The fake server's sockets get TCP_NODELAY, as production servers have (nginx's default):
without it the stdlib server writes headers and body apart and Nagle's algorithm meets the client's
delayed ACK, adding up to ~40 ms to an answer on loopback, noise that no real server adds.
Each figure is the median of ``--repeat`` runs, each on a freshly seeded library.

With ``--present`` the library also holds the 233 papers already (added by hand, in no collection):
the sync then creates nothing and adds them to the collection (bibbridge: 50 per ``POST /items``); the
naive script adds them one ``addto_collection`` PATCH per item, as bibbridge did before.

New items get their children (issue 12): link attachments and notes, sent 50 per request after their
parents. The text digest has no arXiv ids, so only its 25 code/project links become children; with
``--arxiv`` each paper gets an arXiv id and a primary category first (as after ``--resolve``), so each
also gets its "Preprint PDF" and Hugging Face links (233 x 2 + 25 = 491 children). The rows
"bibbridge first sync, --no-attachments" show the same sync without children.

Usage: python bench/bench_sync.py [--sizes 0,1000,20000] [--repeat 3] [--present] [--arxiv]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIGEST = ROOT / "tests" / "fixtures" / "digests" / "004_928061713d22a60e.txt"
AS_OF = "2026-01-20"
PRESENT = False  # --present: the digest's papers are in the library already, in no collection

sys.path.insert(0, str(ROOT))


# -- the server process ---------------------------------------------------------------------------


def serve(size: int, present: bool = False) -> None:
    """Child process: a seeded server; answers ``reset`` / ``stats`` / ``quit`` lines on stdin."""
    from tests.support.http import QuietHandler
    from tests.support.zotero_server import ZoteroServer

    QuietHandler.disable_nagle_algorithm = True  # see the module docstring
    with ZoteroServer() as server:
        if present:
            from bibbridge.readers import read_digests

            papers = read_digests([DIGEST], as_of=AS_OF).papers
            server.add_items([{"itemType": "preprint", "title": p.title} for p in papers])
        for start in range(0, size, 5000):
            server.add_items(
                [
                    {"itemType": "journalArticle", "title": f"Existing paper {n}", "date": "2020"}
                    for n in range(start, min(size, start + 5000))
                ]
            )
        busy = [0.0]
        process = server._process

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return process(*args, **kwargs)
            finally:
                busy[0] += time.perf_counter() - started

        server._process = timed  # the handler calls server._process for every request
        info = {"url": server.url, "api_key": server.api_key, "user_id": server.user_id}
        print(json.dumps(info), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "reset":
                server.reset_requests()
                busy[0] = 0.0
                print("{}", flush=True)
            elif command == "stats":
                items = server.items()
                stats = {
                    "requests": len(server.requests),
                    "busy": busy[0],
                    "items": sum(1 for i in items if not i.get("parentItem")),
                    "children": sum(1 for i in items if i.get("parentItem")),
                }
                print(json.dumps(stats), flush=True)
            elif command == "quit":
                break


class Server:
    """The parent's handle on a server process."""

    def __init__(self, size: int, present: bool = False) -> None:
        command = [sys.executable, __file__, "--serve", str(size)] + (["--present"] if present else [])
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        info = json.loads(self.proc.stdout.readline())
        self.url, self.api_key, self.user_id = info["url"], info["api_key"], info["user_id"]

    def ask(self, command: str) -> dict:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


# -- the two approaches -----------------------------------------------------------------------------


def measure(server: Server, run) -> tuple[int, float, float]:
    server.ask("reset")
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    stats = server.ask("stats")
    return stats["requests"], seconds, stats["busy"]


def run_bibbridge(server: Server, papers, attachments: bool = True) -> list[tuple[str, int, float, float]]:
    from bibbridge.zotero.sync import sync

    reports = []

    def once() -> None:
        reports.append(
            sync(
                papers,
                library=f"user:{server.user_id}",
                collection="Reading/HF Daily",
                api_key=server.api_key,
                api_url=server.url,
                attachments=attachments,
            )
        )

    rows = []
    suffix = "" if attachments else ", --no-attachments"
    for label in (f"bibbridge first sync{suffix}", f"bibbridge no-op re-sync{suffix}"):
        requests, seconds, busy = measure(server, once)
        assert reports[-1].ok and requests == reports[-1].requests
        rows.append((label, requests, seconds, busy))
    children = server.ask("stats")["children"]
    rows[0] = (f"{rows[0][0]} ({children} children)", *rows[0][1:])
    return rows


def run_bibbridge_without_attachments(server: Server, papers) -> list[tuple[str, int, float, float]]:
    return run_bibbridge(server, papers, attachments=False)


def run_naive(server: Server, papers) -> list[tuple[str, int, float, float]]:
    from pyzotero import zotero

    from bibbridge.zotero.mapper import paper_to_item

    collection: list[str] = []

    def once() -> None:
        zot = zotero.Zotero(server.user_id, "user", server.api_key)
        zot.endpoint = server.url
        everything = zot.everything(zot.items())
        by_title = {item["data"].get("title", "").casefold(): item for item in everything}
        missing = [paper_to_item(p, None) for p in papers if p.title.casefold() not in by_title]
        for start in range(0, len(missing), 50):
            zot.create_items(missing[start : start + 50])
        if PRESENT:  # add what is already there to a collection: one PATCH per item
            if not collection:
                collection.append(zot.create_collections([{"name": "HF Daily"}])["success"]["0"])
            for paper in papers:
                item = by_title.get(paper.title.casefold())
                if item is not None and collection[0] not in item["data"]["collections"]:
                    zot.addto_collection(collection[0], item)

    return [(label, *measure(server, once)) for label in ("naive first sync", "naive re-sync")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,1000,20000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--present", action="store_true", help="the papers are in the library already")
    parser.add_argument("--arxiv", action="store_true", help="give each paper an arXiv id and category")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.present)
        return
    global PRESENT
    PRESENT = args.present
    import pyzotero.zotero  # noqa: F401 - import once up front so no row pays for it

    from bibbridge.readers import read_digests

    papers = read_digests([DIGEST], as_of=AS_OF).papers
    if args.arxiv:
        for n, paper in enumerate(papers, start=1):
            paper.arxiv_id, paper.primary_category = f"2601.{n:05d}", "cs.LG"
    print(
        f"# {len(papers)} papers; Python {platform.python_version()}, {os.cpu_count()} cores; "
        f"median of {args.repeat} runs; load average before: {os.getloadavg()[0]:.2f}"
        + ("; the papers already in the library" if args.present else "")
        + ("; each paper with an arXiv id" if args.arxiv else "")
    )
    print("| library items | approach | requests | seconds | of which server |")
    print("|---:|---|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        for runner in (run_bibbridge, run_bibbridge_without_attachments, run_naive):
            runs: dict[str, list[tuple[int, float, float]]] = {}
            for _ in range(args.repeat):
                with tempfile.TemporaryDirectory() as home, Server(size, args.present) as server:
                    os.environ["BIBBRIDGE_HOME"] = home
                    for label, requests, seconds, busy in runner(server, papers):
                        runs.setdefault(label, []).append((requests, seconds, busy))
                    assert server.ask("stats")["items"] == size + len(papers)
            for label, figures in runs.items():
                assert len({r for r, _, _ in figures}) == 1, f"request count varied: {figures}"
                seconds = statistics.median(s for _, s, _ in figures)
                busy = statistics.median(b for _, _, b in figures)
                print(f"| {size:,} | {label} | {figures[0][0]} | {seconds:.2f} | {busy:.2f} |", flush=True)
    print(f"# load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
