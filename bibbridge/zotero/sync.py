"""Put papers into a Zotero collection: never twice, safe to re-run and to interrupt.

The steps of :func:`sync`:

1. refresh the local index of the library (incremental; one request when nothing changed);
2. the collection path (``Reading/HF Daily``) is found or created level by level (client-chosen keys,
   ``version: 0``, so a retried create cannot make a second collection);
3. plan: each paper is matched against the library by arXiv id (archiveID, Extra, URL, arXiv DOI), DOI
   or folded title, trashed items included. A match is not created again; if it is not in the target
   collection it is added to it: up to 50 items per ``POST /items``, each object only its key, its
   current version and its full new collection list (applied with PATCH semantics). A per-object 412
   (the item changed meanwhile, or a retry after a lost answer) re-reads the item and sends it again
   with its fresh version and list, a bounded number of times;
4. new items get client-chosen keys with ``version: 0``, written to the index *before* they are sent,
   in batches of at most 50 with ``If-Unmodified-Since-Version``. A lost answer followed by a retry gives
   a whole-request 412 (the library moved: refresh, the items are there) or a per-object 412 (the key
   exists: fetched and counted as done). A killed run leaves pending keys that the next run re-sends.
5. children (link attachments, the comment note) get client-chosen keys stored with their parent's
   pending row, in the same transaction, *before* the parent is sent; once the parent is on the server
   they are sent, 50 per request, with ``version: 0`` (a lost answer's retry is a per-object 412: the
   child is there). A run interrupted between parent and children sends the same children next time.
6. items bibbridge created and nobody edited since (their version is still the one bibbridge's own
   write left) get their empty fields (authors, arXiv id, DOI, date) filled when this run knows them,
   each update guarded by that version; an item edited meanwhile is left alone and reported.
7. a final incremental refresh records the new library version (our own writes are not fetched again).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..errors import UsageError
from ..identity import IdentityIndex, make_ids, paper_ids
from ..model import Paper, dedupe
from ..text import arxiv_doi
from .client import (
    MAX_BATCH,
    Library,
    NotZoteroAnswer,
    PreconditionFailed,
    StillFailing,
    WriteResult,
    ZoteroClient,
    ZoteroError,
    configured,
    resolve_api_key,
    zotero_settings,
)
from .index import IndexedCollection, IndexedItem, LibraryIndex
from .mapper import access_date, paper_children, paper_identities, paper_to_item, split_name

KEY_ALPHABET = "23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"
MAX_ROUNDS = 6  # whole-request 412s answered by refresh-and-retry before giving up
MAX_ADD_ROUNDS = 4  # tries to add an item that keeps changing (per-object 412) to the collection

#: progress(stage, done, total)
Progress = Callable[[str, int, int], None]


class SyncedPaper(NamedTuple):
    paper: Paper
    item_key: str | None
    citation_key: str | None


class FailedPaper(NamedTuple):
    paper: Paper
    code: int
    message: str


class LeftAlone(NamedTuple):
    """An item bibbridge made that this run could have completed, and why it did not."""

    paper: Paper
    item_key: str
    reason: str


EDITED = "edited in Zotero since bibbridge created it, so its empty fields were not filled"


@dataclass
class SyncReport:
    """What a sync did (or, with ``dry_run``, would do).

    ``already_present`` lists every paper the library held before (trashed items included);
    ``added_to_collection`` is the part of those that was added to the target collection;
    ``in_trash`` the part that sits in the library's trash (added to the collection, not restored).
    """

    library: str
    collection: str
    dry_run: bool = False
    created: list[SyncedPaper] = field(default_factory=list)
    already_present: list[SyncedPaper] = field(default_factory=list)
    added_to_collection: list[SyncedPaper] = field(default_factory=list)
    in_trash: list[SyncedPaper] = field(default_factory=list)
    failed: list[FailedPaper] = field(default_factory=list)
    completed: list[SyncedPaper] = field(default_factory=list)
    not_completed: list[LeftAlone] = field(default_factory=list)
    children_created: int = 0
    children_failed: list[FailedPaper] = field(default_factory=list)
    collection_key: str | None = None
    requests: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.children_failed

    def to_dict(self) -> dict[str, Any]:
        def entry(s: SyncedPaper) -> dict[str, Any]:
            return {
                "title": s.paper.title,
                "arxiv_id": s.paper.arxiv_id,
                "item_key": s.item_key,
                "citation_key": s.citation_key,
            }

        def failure(f: FailedPaper) -> dict[str, Any]:
            return {
                "title": f.paper.title,
                "arxiv_id": f.paper.arxiv_id,
                "code": f.code,
                "message": f.message,
                "source": f.paper.source,
            }

        return {
            "library": self.library,
            "collection": self.collection,
            "collection_key": self.collection_key,
            "dry_run": self.dry_run,
            "created": [entry(s) for s in self.created],
            "already_present": [entry(s) for s in self.already_present],
            "added_to_collection": [entry(s) for s in self.added_to_collection],
            "in_trash": [entry(s) for s in self.in_trash],
            "failed": [failure(f) for f in self.failed],
            "completed": [entry(s) for s in self.completed],
            "not_completed": [
                {
                    "title": s.paper.title,
                    "arxiv_id": s.paper.arxiv_id,
                    "item_key": s.item_key,
                    "reason": s.reason,
                }
                for s in self.not_completed
            ],
            "children_created": self.children_created,
            "children_failed": [failure(f) for f in self.children_failed],
            "requests": self.requests,
        }


def new_key() -> str:
    """A Zotero object key chosen by the client (8 characters of Zotero's alphabet)."""
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(8))


def collection_path(text: str | None) -> list[str]:
    """``"Reading/HF Daily"`` → ``["Reading", "HF Daily"]``; UsageError for an empty path or level."""
    if not text or not text.strip():
        raise UsageError('no collection: pass --collection "Parent/Child" (created when missing)')
    parts = [p.strip() for p in text.strip().strip("/").split("/")]
    if any(not p for p in parts):
        raise UsageError(f"bad collection path {text!r}: empty level between slashes")
    return parts


# -- matching -------------------------------------------------------------------------------------


class LibraryMatcher:
    """Finds the library item that is a given paper (arXiv id, then DOI, then folded title), by the
    one rule of :mod:`bibbridge.identity` (different arXiv ids or DOIs are different papers)."""

    def __init__(self, items: Iterable[IndexedItem]) -> None:
        self.index: IdentityIndex[IndexedItem] = IdentityIndex(
            (make_ids(item.arxiv_id, item.doi, item.title), item) for item in items
        )

    def match(self, paper: Paper, collection_key: str | None = None) -> IndexedItem | None:
        candidates = self.index.find_all(paper_ids(paper))
        if not candidates:
            return None
        # prefer what the server holds, outside the trash, already in the collection
        return min(
            candidates, key=lambda i: (i.pending, i.trashed, collection_key not in i.collections, i.key)
        )


# -- the sync -------------------------------------------------------------------------------------


class _Sync:
    def __init__(
        self,
        papers: list[Paper],
        client: ZoteroClient,
        index: LibraryIndex,
        path: list[str],
        report: SyncReport,
        registry: Any,
        formula: str | None,
        progress: Progress | None,
        tags: list[str] | None = None,
        attachments: bool = True,
    ) -> None:
        self.papers = papers
        self.tags = list(tags or [])
        self.attachments = attachments
        self.accessed = access_date()  # one accessDate for the run, as one save in Zotero
        self.client = client
        self.index = index
        self.path = path
        self.report = report
        self.registry = registry
        self.formula = formula
        self.progress = progress
        self.version: int | None = None  # the library version to send as a write precondition
        self.created: dict[str, SyncedPaper] = {}  # paper identity → created this run
        self.added: dict[str, SyncedPaper] = {}  # paper identity → added to the collection this run
        self.failed: dict[str, FailedPaper] = {}
        self.completed: dict[str, SyncedPaper] = {}
        self.not_completed: dict[str, LeftAlone] = {}
        self.children_created = 0
        self.children_failed: dict[str, FailedPaper] = {}
        self.wrote = False
        self.last_plan: list[tuple[Paper, IndexedItem]] | None = None  # "present" of the last round

    # -- collections --------------------------------------------------------------------------------
    def find_collection(self, dry_run: bool) -> str | None:
        """The key of the target collection, creating missing levels (None in a dry run if missing)."""
        parent: str | None = None
        for name in self.path:
            existing = self._child(parent, name)
            if existing is None or existing.pending:
                if dry_run:
                    return None
                if existing is None:
                    existing = self._create_collection(parent, name)
                else:  # made by an interrupted run and maybe never sent: send the same key again
                    existing = self._send_collection(
                        {
                            "key": existing.key,
                            "version": 0,
                            "name": existing.name,
                            "parentCollection": parent or False,
                        }
                    )
            parent = existing.key
        return parent

    def _child(self, parent: str | None, name: str) -> IndexedCollection | None:
        live = [c for c in self.index.collections() if c.parent == parent and not c.trashed]
        for same in (lambda c: c.name == name, lambda c: c.name.casefold() == name.casefold()):
            found = sorted((c for c in live if same(c)), key=lambda c: (c.pending, c.key))
            if found:
                return found[0]
        return None

    def _create_collection(self, parent: str | None, name: str) -> IndexedCollection:
        obj = {"key": new_key(), "version": 0, "name": name, "parentCollection": parent or False}
        self.index.upsert_collections([obj], pending=True)  # stored before sending: a retry reuses it
        return self._send_collection(obj)

    def _send_collection(self, obj: dict[str, Any]) -> IndexedCollection:
        result = self.client.create_collections([obj], self.version)
        self.wrote = True
        self._advance(result.version)
        if 0 in result.successful:
            self.index.upsert_collections([result.successful[0]])
        elif 0 in result.failed and result.failed[0][0] != 412:
            code, message = result.failed[0]
            self.index.remove_collections([obj["key"]])
            raise ZoteroError(
                f"cannot create collection {obj['name']!r} in {self.client.library}: {code} {message}"
            )
        else:  # 412 "exists" after a lost answer, or unchanged: it is there
            self.index.upsert_collections([{**obj, "version": result.version or 0}])
        self.index.db.commit()
        return IndexedCollection(obj["key"], 0, obj["name"], obj["parentCollection"] or None, False)

    def _advance(self, version: int | None) -> None:
        if version is not None:
            self.version = version

    # -- one round ------------------------------------------------------------------------------------
    def plan(
        self, collection_key: str | None
    ) -> tuple[list[tuple[Paper, IndexedItem]], list[tuple[Paper, IndexedItem | None]]]:
        """(present: each paper with its library item; to create: each paper with the pending item
        an interrupted run made for it, whose key is sent again, or None)."""
        papers = [paper for paper in self.papers if paper.identity not in self.failed]
        # only the items sharing an identity with a paper are read from the index (indexed lookups)
        wanted = {ident for paper in papers for ident in paper_identities(paper)}
        matcher = LibraryMatcher(self.index.items_with(wanted))
        present: list[tuple[Paper, IndexedItem]] = []
        to_create: list[tuple[Paper, IndexedItem | None]] = []
        for paper in papers:
            item = matcher.match(paper, collection_key)
            if item is None or item.pending:
                to_create.append((paper, item))
            else:
                present.append((paper, item))
        return present, to_create

    def run_round(self) -> None:
        self.version = self.index.version
        collection = self.find_collection(dry_run=False)
        assert collection is not None
        self.report.collection_key = collection
        present, to_create = self.plan(collection)
        self.last_plan = present
        work = len(present) + len(to_create)
        self._complete(present)
        to_add = [
            (paper, self.index.item(item.key) or item)  # completing may have moved its version
            for paper, item in present
            if collection not in item.collections and paper.identity not in self.added
        ]
        self._add_to_collection(to_add, collection, len(present) - len(to_add), work)
        done = len(present)
        keys = self._citation_keys(present, [p for p, _ in to_create])
        used: set[str] = set()
        for start in range(0, len(to_create), MAX_BATCH):
            batch = to_create[start : start + MAX_BATCH]
            self._create_batch(batch, keys, used, collection)
            done += len(batch)
            if self.progress and work:
                self.progress("creating items", done, work)
        self._send_children()

    # -- children -------------------------------------------------------------------------------------
    def _plan_children(self, objects: list[dict[str, Any]], papers: list[Paper]) -> None:
        """Choose keys for the children of items about to be created (stored, not committed: the
        caller's add_pending commits them with their parents). A parent re-sent after an interruption
        keeps the children chosen the first time."""
        if not self.attachments:
            return
        planned = self.index.parents_with_children(o["key"] for o in objects)
        rows = []
        for obj, paper in zip(objects, papers, strict=True):
            if obj["key"] in planned:
                continue
            for child in paper_children(paper, obj["key"], self.accessed):
                rows.append((new_key(), obj["key"], child.role, child.data))
        self.index.add_children(rows)

    def _send_children(self) -> None:
        """Create the children whose parent the server holds, 50 per request (see the module doc)."""
        pending = self.index.pending_children()
        if not pending:
            return
        paper_of = {item.key: paper for paper, item in self._created_items()}
        for start in range(0, len(pending), MAX_BATCH):
            batch = pending[start : start + MAX_BATCH]
            objects = [{**data, "key": key, "version": 0} for key, _, data in batch]
            try:
                result = self.client.create_items(objects, None)
            except (PreconditionFailed, NotZoteroAnswer):
                raise
            except ZoteroError as exc:  # the rows stay: the next run sends them again
                message = f"{exc.message} (sent again by the next run)"
                for _, parent, data in batch:
                    self._child_failed(paper_of.get(parent), parent, data, 0, message)
                if isinstance(exc, StillFailing):
                    raise _GiveUp() from None
                continue
            self.wrote = True
            self._advance_past_own(result)
            done: list[str] = []
            for n, (key, parent, data) in enumerate(batch):
                if n in result.successful or n in result.unchanged:
                    self.children_created += n in result.successful
                    done.append(key)
                elif n in result.failed and result.failed[n][0] in (412, 409):
                    done.append(key)  # 412: there already (a lost answer); 409: its parent was deleted
                else:
                    code, message = result.failed.get(n, (0, "no result for this child in the answer"))
                    done.append(key)  # refused for what it is: sending it again would fail again
                    self._child_failed(paper_of.get(parent), parent, data, code, message)
            self.index.remove_children(done)
            self.index.db.commit()

    def _created_items(self) -> list[tuple[Paper, IndexedItem]]:
        out = []
        for synced in self.created.values():
            item = self.index.item(synced.item_key) if synced.item_key else None
            if item is not None:
                out.append((synced.paper, item))
        return out

    def _child_failed(
        self, paper: Paper | None, parent: str, data: dict[str, Any], code: int, message: str
    ) -> None:
        what = data.get("title") or "note"
        if paper is None:
            item = self.index.item(parent)
            paper = Paper(title=item.title if item else parent)
        self.children_failed[f"{parent}:{what}"] = FailedPaper(paper, code, f"{what}: {message}")

    # -- completing items bibbridge made ----------------------------------------------------------------
    def _complete(self, present: list[tuple[Paper, IndexedItem]]) -> None:
        """Fill empty fields of items bibbridge created when this run knows more (module doc, 6)."""
        own = self.index.own_versions(item.key for _, item in present)
        todo: list[tuple[Paper, IndexedItem, dict[str, Any]]] = []
        for paper, item in present:
            if item.key not in own or paper.identity in self.completed or item.trashed:
                continue
            fills = _fills(paper, item)
            if not fills:
                continue
            if own[item.key] != item.version:  # edited in Zotero since bibbridge's write: hands off
                self.not_completed[paper.identity] = LeftAlone(paper, item.key, EDITED)
                continue
            todo.append((paper, item, {"key": item.key, "version": item.version, **fills}))
        for start in range(0, len(todo), MAX_BATCH):
            batch = todo[start : start + MAX_BATCH]
            # an item that gains its arXiv id gets the PDF and Hugging Face links it was made without;
            # chosen (and committed) before the write, so an interrupted run sends them, and only once
            links = self._plan_links([(paper, item) for paper, item, obj in batch if "archiveID" in obj])
            try:
                result = self.client.update_items([obj for _, _, obj in batch])
            except (PreconditionFailed, NotZoteroAnswer):
                self.index.remove_children(links)
                self.index.db.commit()
                raise
            except ZoteroError as exc:  # not written: the next run tries again
                self.index.remove_children(links)
                self.index.db.commit()
                if isinstance(exc, StillFailing):
                    raise _GiveUp() from None
                continue
            self.wrote = True
            self._advance_past_own(result)
            stored: list[dict[str, Any]] = []
            dropped: list[str] = []
            for n, (paper, item, _) in enumerate(batch):
                written = result.successful.get(n)
                if written is not None and isinstance(written.get("version"), int):
                    if "data" in written:
                        stored.append(written)
                    self.index.set_own_versions([(item.key, written["version"])])
                    self.completed[paper.identity] = SyncedPaper(paper, item.key, item.citation_key)
                    continue
                dropped.append(item.key)
                code, message = result.failed.get(n, (0, "no result for this item in the answer"))
                reason = EDITED if code == 412 else f"not completed: {code or 'error'} {message}".rstrip()
                self.not_completed[paper.identity] = LeftAlone(paper, item.key, reason)
            self.index.upsert_items(stored)
            self.index.remove_children(parents=dropped)
            self.index.db.commit()

    def _plan_links(self, completing: list[tuple[Paper, IndexedItem]]) -> list[str]:
        """Keys of the PDF / Hugging Face / comment children planned for items being completed."""
        if not self.attachments or not completing:
            return []
        planned = self.index.parents_with_children(item.key for _, item in completing)
        rows = [
            (new_key(), item.key, child.role, child.data)
            for paper, item in completing
            if item.key not in planned
            for child in paper_children(paper, item.key, self.accessed)
            if child.role in ("pdf", "hf", "comment")
        ]
        self.index.add_children(rows)
        self.index.db.commit()
        return [key for key, *_ in rows]

    def _citation_keys(self, present: list[tuple[Paper, IndexedItem]], papers: list[Paper]) -> dict[str, str]:
        """Keys from the registry (the ones the .bib gets). A key an existing item already carries is
        adopted by the registry; new keys avoid every key in the library, as Better BibTeX does."""
        if self.registry is None:
            return {}
        adopted = [
            (paper, item.citation_key)
            for paper, item in present
            if item.citation_key and self.registry.find(paper) is None
        ]
        if adopted:
            self.registry.record_many(adopted)  # one transaction
        if not papers:
            return {}
        taken = self.index.citation_keys()
        return dict(self.registry.assign(papers, formula=self.formula, taken=taken))

    def _add_to_collection(
        self, planned: list[tuple[Paper, IndexedItem]], collection: str, done: int, work: int
    ) -> None:
        """Add library items to the collection, up to 50 per request (Updating Multiple Objects).

        Each object is the item's key, its version and its full new collection list, nothing else:
        the server applies it with PATCH semantics, so whatever else someone changed stays. An item
        that changed since it was read (per-object 412: an edit meanwhile, or our own write whose
        answer was lost) is read again and, unless already in the collection, sent again with its
        fresh version and list, at most MAX_ADD_ROUNDS times. Sending the whole fresh list makes a
        retry idempotent: it can never add the item twice nor drop a collection someone else added.
        """
        papers_of: dict[str, list[Paper]] = {}  # two papers may match one item: one object per item
        items: dict[str, IndexedItem] = {}
        for paper, item in planned:
            papers_of.setdefault(item.key, []).append(paper)
            items[item.key] = item
        todo = list(items.values())
        for _ in range(MAX_ADD_ROUNDS):
            stale: list[str] = []
            for start in range(0, len(todo), MAX_BATCH):
                batch = todo[start : start + MAX_BATCH]
                stale += self._add_batch(batch, collection, papers_of)
                done += sum(len(papers_of[item.key]) for item in batch)
                if self.progress and work:
                    self.progress("adding to collection", min(done, work), work)
            if not stale:
                return
            todo = self._read_again(stale, collection, papers_of)
            if not todo:
                return
        for item in todo:
            self._fail(papers_of[item.key], 412, "the item kept changing while we added it to the collection")

    def _add_batch(
        self, items: list[IndexedItem], collection: str, papers_of: dict[str, list[Paper]]
    ) -> list[str]:
        """One multi-object update; returns the keys refused as stale (per-object 412)."""
        objects = []
        for item in items:
            obj: dict[str, Any] = {
                "key": item.key,
                "version": item.version,
                "collections": [*item.collections, collection],
            }
            have = {t.get("tag") for t in item.tags}
            missing = [{"tag": t} for t in dict.fromkeys(self.tags) if t not in have]
            if missing:  # the full list: the item's own tags stay, ours are added
                obj["tags"] = [*item.tags, *missing]
            objects.append(obj)
        own = self.index.own_versions(item.key for item in items)
        try:
            result = self.client.update_items(objects)
        except (PreconditionFailed, NotZoteroAnswer):
            raise  # whole-request 412: refresh and plan again, as for every write of the sync
        except ZoteroError as exc:
            for item in items:
                self._fail(papers_of[item.key], 0, exc.message)
            if isinstance(exc, StillFailing):
                raise _GiveUp() from None
            return []
        self.wrote = True
        self._advance_past_own(result)
        stored: list[dict[str, Any]] = []
        gone: list[str] = []
        stale: list[str] = []
        for n, (item, obj) in enumerate(zip(items, objects, strict=True)):
            if n in result.successful or n in result.unchanged:
                written = result.successful.get(n, {})
                if "data" in written:
                    stored.append(written)  # the server's copy, with the item's new version
                else:  # unchanged, or a server that answers with keys only: the next refresh reads it
                    self.index.set_item_state(item.key, None, obj["collections"], obj.get("tags"))
                if own.get(item.key) == item.version and isinstance(written.get("version"), int):
                    self.index.set_own_versions([(item.key, written["version"])])  # still only ours
                self._added(item, papers_of)
            elif n in result.failed and result.failed[n][0] == 412:
                stale.append(item.key)
            else:
                code, message = result.failed.get(n, (0, "no result for this item in the server's answer"))
                if code == 404:  # deleted for good meanwhile: forget it, the next run creates it again
                    gone.append(item.key)
                self._fail(papers_of[item.key], code, message)
        self.index.upsert_items(stored)
        self.index.remove_items(gone)
        self.index.db.commit()
        return stale

    def _read_again(
        self, keys: list[str], collection: str, papers_of: dict[str, list[Paper]]
    ) -> list[IndexedItem]:
        """Fetch items refused as stale; returns those still to add (with their fresh version)."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), MAX_BATCH):
            found.update((o["key"], o) for o in self.client.items_by_key(keys[start : start + MAX_BATCH]))
        gone = [key for key in keys if key not in found]
        self.index.upsert_items(found.values())
        self.index.remove_items(gone)
        self.index.db.commit()
        todo: list[IndexedItem] = []
        for key in keys:
            item = self.index.item(key) if key in found else None
            if item is None:
                self._fail(papers_of[key], 404, "the item was deleted meanwhile")
            elif collection in item.collections:  # our write whose answer was lost, or someone else's
                self._added(item, papers_of)
            else:
                todo.append(item)
        return todo

    def _advance_past_own(self, result: WriteResult) -> None:
        """Move the write precondition past our own updates, and only ours.

        Updates carry no library-version precondition, so the library version after them may include
        someone else's change that the index has not seen. The new version is taken only when the
        written objects' versions start right after the one we hold and end at the library's (whether
        the server gives a batch one version or one per object); otherwise the next create is refused
        with 412 and the sync reads what changed, as it should.
        """
        versions = [o.get("version") for o in result.successful.values()]
        if (
            self.version is not None
            and versions
            and all(isinstance(v, int) for v in versions)
            and min(versions) == self.version + 1
            and max(versions) == result.version
        ):
            self.version = result.version

    def _added(self, item: IndexedItem, papers_of: dict[str, list[Paper]]) -> None:
        for paper in papers_of[item.key]:
            self.added[paper.identity] = SyncedPaper(paper, item.key, item.citation_key)

    def _fail(self, papers: list[Paper], code: int, message: str) -> None:
        for paper in papers:
            self.failed[paper.identity] = FailedPaper(paper, code, message)

    def _create_batch(
        self,
        planned: list[tuple[Paper, IndexedItem | None]],
        keys: dict[str, str],
        used: set[str],
        collection: str,
    ) -> None:
        batch = [paper for paper, _ in planned]
        objects = []
        for paper, pending in planned:
            obj = paper_to_item(
                paper,
                keys.get(paper.identity),
                [collection],
                tags=self.tags,
                accessed=self.accessed,
                links_in_extra=not self.attachments,
            )
            obj["key"] = pending.key if pending is not None and pending.key not in used else new_key()
            obj["version"] = 0
            used.add(obj["key"])
            objects.append(obj)
        self._plan_children(objects, batch)
        self.index.add_pending(objects)  # durable before the request, children too: re-runs re-send keys
        try:
            result = self.client.create_items(objects, self.version)
        except (PreconditionFailed, NotZoteroAnswer):  # NotZoteroAnswer: the URL is wrong, stop (exit 2)
            raise
        except ZoteroError as exc:
            for paper in batch:
                self.failed[paper.identity] = FailedPaper(paper, 0, exc.message)
            if isinstance(exc, StillFailing):
                raise _GiveUp() from None
            return
        self.wrote = True
        self._advance(result.version)
        verify: dict[str, Paper] = {}
        own: list[tuple[str, int]] = []  # versions our creates left the items at
        stored: list[dict[str, Any]] = []  # the server's copies, written to the index in one go
        refused: list[str] = []
        for n, (paper, obj) in enumerate(zip(batch, objects, strict=True)):
            if n in result.successful:
                created = result.successful[n]
                if "data" not in created:  # a server that answers with keys only
                    verify[obj["key"]] = paper
                    continue
                stored.append(created)
                if isinstance(created.get("version"), int):
                    own.append((obj["key"], created["version"]))
                self.created[paper.identity] = SyncedPaper(paper, obj["key"], obj.get("citationKey"))
            elif n in result.unchanged or (n in result.failed and result.failed[n][0] == 412):
                verify[obj["key"]] = paper  # "already exists": a lost answer to an earlier try
            else:
                code, message = result.failed.get(n, (0, "no result for this item in the server's answer"))
                refused.append(obj["key"])
                self.failed[paper.identity] = FailedPaper(paper, code, message)
        self.index.upsert_items(stored)
        self.index.remove_items(refused)
        self.index.remove_children(parents=refused)
        self.index.set_own_versions(own)
        self.index.db.commit()
        if verify:
            found = {o["key"]: o for o in self.client.items_by_key(list(verify))}
            self.index.upsert_items(found.values())
            # made by our earlier try; a version moved since then by a user is not told apart here
            self.index.set_own_versions(
                (k, int(o.get("version") or 0)) for k, o in found.items() if k in verify
            )
            self.index.remove_children(parents=[k for k in verify if k not in found])
            self.index.db.commit()
            for key, paper in verify.items():
                if key in found:
                    citation_key = found[key].get("data", {}).get("citationKey") or None
                    self.created[paper.identity] = SyncedPaper(paper, key, citation_key)
                else:
                    self.failed[paper.identity] = FailedPaper(
                        paper, 412, "the server refused the key and has no such item"
                    )


def _fills(paper: Paper, item: IndexedItem) -> dict[str, Any]:
    """The empty fields of ``item`` that ``paper`` can fill: authors, arXiv id, DOI, date (never
    the citation key, never a field that holds anything)."""
    fills: dict[str, Any] = {}
    if not item.creators and any(a.strip() for a in paper.authors):
        fills["creators"] = [split_name(a) for a in paper.authors if a.strip()]
    if not item.arxiv_id and paper.arxiv_id:
        fills["repository"] = "arXiv"
        fills["archiveID"] = f"arXiv:{paper.arxiv_id}"
    if not item.doi and (paper.arxiv_id or paper.doi):
        fills["DOI"] = arxiv_doi(paper.arxiv_id) if paper.arxiv_id else paper.doi
    if not item.date and paper.published:
        fills["date"] = paper.published
    return fills


def configured_tags() -> list[str]:
    """``[zotero] tags`` of the config file: a list of names, or one name; anything else is refused."""
    from ..home import config_path, load_config

    value = load_config().get("zotero", {}).get("tags")
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(
            f'[zotero] tags must be a list of strings, e.g. tags = ["hf-daily"] (found {value!r})',
            file=str(config_path()),
        )
    return [v for v in value if v.strip()]


class _GiveUp(Exception):
    """The server keeps failing: stop writing, report what is left as failed."""


def sync(
    papers: Iterable[Paper],
    library: str | Library | None = None,
    collection: str | None = None,
    api_key: str | None = None,
    api_url: str | None = None,
    dry_run: bool = False,
    formula: str | None = None,
    progress: Progress | None = None,
    registry: Any = None,
    tags: Iterable[str] | None = None,
    attachments: bool = True,
) -> SyncReport:
    """Put ``papers`` into ``collection`` of a Zotero library; the Python twin of ``bibbridge sync``.

    Args:
        papers: the papers (duplicates are merged first).
        library: ``user:<id>`` / ``group:<id>`` (default ``$ZOTERO_LIBRARY`` or the config file).
        collection: collection path, levels separated by ``/``; missing levels are created
            (default: ``[zotero] collection`` in the config file).
        api_key: the API key (default ``$ZOTERO_API_KEY`` or the config file). Never printed.
        api_url: server base URL (default ``$ZOTERO_API_URL``, the config file, or api.zotero.org).
        dry_run: plan only: read the library, write nothing (no items, no keys given out).
        formula: citation-key formula for new keys (default: the registry's).
        progress: ``progress(stage, done, total)`` callback.
        registry: a :class:`bibbridge.keys.KeyRegistry` (default: the one in ``$BIBBRIDGE_HOME``).
        tags: tags for new items and for items added to the collection (added, never removed;
            default ``[zotero] tags`` of the config file). The primary category is tagged anyway.
        attachments: give new items their children: link attachments ("Preprint PDF", the Hugging
            Face page, code, project) and the arXiv comment note. Off: code/project links go to Extra.

    Returns:
        A :class:`SyncReport`. Raises :class:`bibbridge.errors.AuthError` (bad or read-only key),
        :class:`bibbridge.errors.UsageError` (bad library or collection) or
        :class:`bibbridge.zotero.client.ZoteroError` (server unreachable or failing).
    """
    papers = dedupe(list(papers))
    lib, url = zotero_settings(library, api_url)
    path = collection_path(collection or configured("collection"))
    key = resolve_api_key(api_key)
    report = SyncReport(library=str(lib), collection="/".join(path), dry_run=dry_run)
    own_registry = None
    if registry is None and not dry_run:
        from ..keys import KeyRegistry

        registry = own_registry = KeyRegistry()
    try:
        with ZoteroClient(lib, key, api_url=url) as client, LibraryIndex(lib, api_url=url) as index:
            index.refresh(client, progress)
            state = _Sync(
                papers,
                client,
                index,
                path,
                report,
                registry,
                formula,
                progress,
                tags=configured_tags() if tags is None else [t for t in tags if t.strip()],
                attachments=attachments,
            )
            if dry_run:
                _dry_run(state, report)
            else:
                _write(state, client, index, progress)
                _fill_report(state, report)
            report.requests = client.requests
    finally:
        if own_registry is not None:
            own_registry.close()
    return report


def _write(state: _Sync, client: ZoteroClient, index: LibraryIndex, progress: Progress | None) -> None:
    for _ in range(MAX_ROUNDS):
        try:
            state.run_round()
            break
        except PreconditionFailed:
            index.refresh(client)  # someone (or our own lost write) moved the library: look again
        except _GiveUp:
            break
    else:
        raise ZoteroError(f"{client.library} kept changing during the sync; nothing is lost, run it again")
    if state.wrote:
        index.refresh(client)  # record the new library version (our own writes are not read again)


def _fill_report(state: _Sync, report: SyncReport) -> None:
    # nothing written: the index is as the last round planned on, so its plan still holds
    present = state.last_plan if not state.wrote and state.last_plan is not None else None
    if present is None:
        present, _ = state.plan(report.collection_key)
    by_identity = {p.identity: item for p, item in present}
    for paper in state.papers:
        ident = paper.identity
        if ident in state.created:
            report.created.append(state.created[ident])
        elif ident in state.failed:
            report.failed.append(state.failed[ident])
        elif ident in by_identity:
            item = by_identity[ident]
            entry = SyncedPaper(paper, item.key, item.citation_key)
            report.already_present.append(entry)
            if ident in state.added:
                report.added_to_collection.append(entry)
            if item.trashed:
                report.in_trash.append(entry)
        else:
            report.failed.append(FailedPaper(paper, 0, "not written: the server kept failing"))
        if ident in state.completed:
            report.completed.append(state.completed[ident])
        elif ident in state.not_completed:
            report.not_completed.append(state.not_completed[ident])
    report.children_created = state.children_created
    report.children_failed = list(state.children_failed.values())


def _dry_run(state: _Sync, report: SyncReport) -> None:
    collection = state.find_collection(dry_run=True)
    report.collection_key = collection
    present, to_create = state.plan(collection)
    registry_keys: dict[str, str | None] = {}
    from ..home import state_db_path

    if state_db_path().exists():  # keys already given out; a dry run gives out none
        from ..bib.export import open_registry

        # A copy: finding a paper may complete its row (new identifiers), which a dry run must not.
        with open_registry(dry_run=True) as registry:
            registry_keys = {p.identity: registry.find(p) for p, _ in to_create}
    for paper, _ in to_create:
        report.created.append(SyncedPaper(paper, None, registry_keys.get(paper.identity)))
    if state.attachments:  # the children the new items would get
        report.children_created = sum(len(paper_children(paper, "")) for paper, _ in to_create)
    for paper, item in present:
        entry = SyncedPaper(paper, item.key, item.citation_key)
        report.already_present.append(entry)
        if collection is None or collection not in item.collections:
            report.added_to_collection.append(entry)
        if item.trashed:
            report.in_trash.append(entry)
