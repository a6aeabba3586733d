"""The data side of the fake Zotero server: libraries, the item schema, and the write rules.

`zotero_server.py` speaks HTTP; this module decides what a write does. The rules follow the Zotero
dataserver (validateJSONItem, checkJSONObjectVersion, Item::save) and ../shared/notes/zotero-web-api.md;
messages are the dataserver's own where we know them. Nothing here locks: the server holds one lock
around every request and every helper call.
"""

from __future__ import annotations

import copy
import json
import random
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

KEY_CHARS = "23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"
KEY_RE = re.compile(f"^[{KEY_CHARS}]{{8}}$")
#: Longest field value the dataserver stores (bytes of UTF-8; Zotero_Items::$maxDataValueLength).
MAX_VALUE_BYTES = 65535
MAX_COLLECTION_NAME = 255
#: Most objects one write request may carry, and most keys one itemKey= may name.
MAX_WRITE_OBJECTS = 50
RELATION_PREDICATES = ("owl:sameAs", "dc:replaces", "dc:relation")
RELATION_URI_RE = re.compile(r"^http://zotero\.org/(users|groups)/[0-9]+/items/[A-Z0-9]{8}$")
ATTACHMENT_PROPS = ("linkMode", "contentType", "charset", "filename", "md5", "mtime", "path")
LINK_MODES = ("imported_file", "imported_url", "linked_file", "linked_url", "embedded_image")
#: Properties every item may carry that are not schema fields.
STRUCTURAL = {
    "key",
    "version",
    "itemType",
    "creators",
    "tags",
    "collections",
    "relations",
    "deleted",
    "parentItem",
    "dateAdded",
    "dateModified",
    "note",
    "inPublications",
    *ATTACHMENT_PROPS,
}
DELETED_KINDS = ("collections", "items", "searches", "tags", "settings")
#: Changing only these leaves an item's dateModified as it was (the dataserver does the same).
DATE_NEUTRAL = frozenset({"collections", "deleted", "inPublications", "relations"})
_RNG = random.SystemRandom()


class WriteError(Exception):
    """One object's write failed: ``code`` and ``message`` go into the answer's ``failed`` entry."""

    def __init__(self, code: int, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def new_key(rng: random.Random | None = None) -> str:
    """A fresh object key; pass a seeded ``rng`` for reproducible keys."""
    return "".join((rng or _RNG).choices(KEY_CHARS, k=8))


def is_valid_key(value: object) -> bool:
    return isinstance(value, str) and bool(KEY_RE.match(value))


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# --------------------------------------------------------------------------------------------- schema


class Schema:
    """Item types, their fields (in Zotero's order) and creator types, from Zotero's schema.json.

    ``Schema(None)`` is the minimal fallback when the file is absent: any item type, any scalar field.
    """

    def __init__(self, raw: dict[str, Any] | None) -> None:
        self.raw = raw
        self.version = raw.get("version", 0) if raw else 0
        self.fields: dict[str, list[str]] = {}
        self.creator_types: dict[str, list[str]] = {}
        self.base_fields: dict[str, dict[str, str]] = {}
        self.all_fields: set[str] = set()
        self.all_creator_types: set[str] = set()
        locale = (raw or {}).get("locales", {}).get("en-US", {})
        self.labels: dict[str, dict[str, str]] = {
            kind: locale.get(kind, {}) for kind in ("itemTypes", "fields", "creatorTypes")
        }
        for item_type in (raw or {}).get("itemTypes", []):
            name = item_type["itemType"]
            self.fields[name] = [f["field"] for f in item_type["fields"]]
            self.base_fields[name] = {
                f["field"]: f["baseField"] for f in item_type["fields"] if "baseField" in f
            }
            self.creator_types[name] = [c["creatorType"] for c in item_type["creatorTypes"]]
            self.all_fields.update(self.fields[name])
            self.all_fields.update(self.base_fields[name].values())
            self.all_creator_types.update(self.creator_types[name])
        self._field_sets = {name: set(fields) for name, fields in self.fields.items()}
        self._creator_sets = {name: set(types) for name, types in self.creator_types.items()}

    @classmethod
    def load(cls, path: Path | None) -> Schema:
        if path is None or not Path(path).is_file():
            return cls(None)
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    @property
    def present(self) -> bool:
        return self.raw is not None

    def label(self, kind: str, name: str) -> str:
        return self.labels.get(kind, {}).get(name, name)

    def is_valid_type(self, item_type: str) -> bool:
        return not self.present or item_type in self.fields

    def field_valid_for(self, field: str, item_type: str) -> bool:
        return not self.present or field in self._field_sets.get(item_type, ())

    def is_known_field(self, field: str) -> bool:
        return not self.present or field in self.all_fields

    def template(self, item_type: str) -> dict[str, Any]:
        """The empty item GET /items/new?itemType= answers with."""
        data: dict[str, Any] = {"itemType": item_type}
        creators = self.creator_types.get(item_type, [])
        for field in self.fields.get(item_type, []):
            data[field] = ""
            if field == "title" and creators:
                data["creators"] = [{"creatorType": creators[0], "firstName": "", "lastName": ""}]
        if item_type == "note":
            data["note"] = ""
        data.update({"tags": [], "collections": [], "relations": {}})
        return data

    # ------------------------------------------------------------------------------------ validation

    def normalise_item(self, obj: dict[str, Any], *, is_new: bool, is_child: bool = False) -> dict[str, Any]:
        """Check one item's JSON the way the dataserver does; return its stored form (no key/version/dates).

        Raises WriteError(400) for anything the real server refuses, WriteError(413) for a value too long.
        """
        item_type = obj.get("itemType")
        if not isinstance(item_type, str):
            raise WriteError(
                400,
                "'itemType' must be a string" if "itemType" in obj else "'itemType' property not provided",
            )
        if is_child or obj.get("parentItem"):
            if item_type not in ("note", "attachment"):
                raise WriteError(400, "Child item must be note or attachment")
        if not item_type or not self.is_valid_type(item_type):
            raise WriteError(400, f"'{item_type}' is not a valid itemType")
        out: dict[str, Any] = {}
        if obj.get("parentItem"):
            if not is_valid_key(obj["parentItem"]):
                raise WriteError(400, "'parentItem' must be a valid item key")
            out["parentItem"] = obj["parentItem"]
        out["itemType"] = item_type
        fields: dict[str, str] = {}
        known = self.all_fields if self.present else None
        valid = self._field_sets.get(item_type, set()) if self.present else None
        for name, value in obj.items():
            if name in STRUCTURAL:
                continue
            if known is not None and name not in known:
                raise WriteError(400, f"Invalid property '{name}'")
            if value.__class__ is str:
                text = value
            elif isinstance(value, (list, dict)):
                raise WriteError(400, f"Unexpected array for property '{name}'")
            elif isinstance(value, bool):
                raise WriteError(400, f"'{name}' must be a string")
            else:
                text = "" if value is None else str(value)
            if text and valid is not None and name not in valid:
                raise WriteError(400, f"'{name}' is not a valid field for type '{item_type}'")
            # A character is at most 4 bytes of UTF-8: only long values need encoding to check.
            if len(text) * 4 > MAX_VALUE_BYTES and len(text.encode("utf-8")) > MAX_VALUE_BYTES:
                label = self.label("fields", name)
                raise WriteError(
                    413,
                    f"{label} field value '{text[:50]}...' too long",
                    {"field": label, "value": text[:50] + "..."},
                )
            fields[name] = text
        if "note" in obj:
            if item_type not in ("note", "attachment"):
                raise WriteError(400, "'note' property is valid only for note and attachment items")
            if not isinstance(obj["note"], str):
                raise WriteError(400, "'note' must be a string")
        for prop in ATTACHMENT_PROPS:
            if prop in obj and item_type != "attachment":
                raise WriteError(400, f"'{prop}' is valid only for attachment items")
        if item_type == "attachment":
            if "linkMode" not in obj:
                if is_new:
                    raise WriteError(400, "'linkMode' property not provided")
            elif obj["linkMode"] not in LINK_MODES:
                raise WriteError(400, f"'{obj['linkMode']}' is not a valid linkMode")
            if obj.get("linkMode") == "embedded_image" and not obj.get("parentItem"):
                raise WriteError(400, "Embedded-image attachment must have a parent item")
        creators = self._creators(obj.get("creators", []), item_type, is_new)
        # Stored like the API shows it: every field of the type, empty ones as "".
        order = self.fields.get(item_type) or sorted(fields)
        for name in order:
            out[name] = fields.get(name, "")
            if name == "title" and item_type not in ("note", "attachment", "annotation"):
                out["creators"] = creators
        if item_type not in ("note", "attachment", "annotation") and "creators" not in out:
            out["creators"] = creators
        for prop in ("note", *ATTACHMENT_PROPS):
            if prop in obj:
                out[prop] = obj[prop]
        if item_type == "note" and "note" not in out:
            out["note"] = ""
        out["tags"] = self._tags(obj.get("tags", []))
        out["collections"] = self._collection_keys(obj.get("collections", []), is_child)
        out["relations"] = self._relations(obj.get("relations", {}))
        if obj.get("deleted"):
            out["deleted"] = 1
        if obj.get("inPublications"):
            out["inPublications"] = True
        return out

    def _creators(self, creators: object, item_type: str, is_new: bool) -> list[dict[str, str]]:
        if not isinstance(creators, list):
            raise WriteError(400, "'creators' property must be an array")
        out = []
        for creator in creators:
            if not isinstance(creator, dict) or not creator:
                raise WriteError(400, "Creator object is empty")
            if "creatorType" not in creator:
                raise WriteError(400, "creator object must contain 'creatorType'")
            names = [str(creator.get(k) or "").strip() for k in ("name", "firstName", "lastName")]
            if not any(names):
                # The item template carries one nameless creator; a new item may keep it (it is dropped).
                if len(creators) == 1 and is_new:
                    continue
                raise WriteError(400, "creator object must contain 'firstName'/'lastName' or 'name'")
            for prop, value in creator.items():
                if prop == "creatorType":
                    if self.present and value not in self.all_creator_types:
                        raise WriteError(400, f"'{value}' is not a valid creator type")
                    if (
                        self.present
                        and value != "author"
                        and value not in self._creator_sets.get(item_type, ())
                    ):
                        raise WriteError(
                            400, f"'{value}' is not a valid creator type for item type '{item_type}'"
                        )
                elif prop in ("firstName", "lastName"):
                    other = "lastName" if prop == "firstName" else "firstName"
                    if other not in creator:
                        raise WriteError(400, f"'{other}' creator field must be set if '{prop}' is set")
                    if "name" in creator:
                        raise WriteError(400, f"'{prop}' and 'name' creator fields are mutually exclusive")
                elif prop != "name":
                    raise WriteError(400, f"Invalid creator property '{prop}'")
                if not isinstance(value, str):
                    raise WriteError(400, f"Creator '{prop}' must be a string")
            if "name" in creator:
                out.append({"creatorType": creator["creatorType"], "name": creator["name"]})
            else:
                out.append(
                    {
                        "creatorType": creator["creatorType"],
                        "firstName": creator["firstName"],
                        "lastName": creator["lastName"],
                    }
                )
        return out

    @staticmethod
    def _tags(tags: object) -> list[dict[str, Any]]:
        if not isinstance(tags, list):
            raise WriteError(400, "'tags' property must be an array")
        out = []
        for tag in tags:
            if not isinstance(tag, dict) or not tag:
                raise WriteError(400, "Tag object is empty")
            for prop, value in tag.items():
                if prop == "tag":
                    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                        raise WriteError(400, "Invalid tag name")
                    if value == "":
                        raise WriteError(400, "Tag cannot be empty")
                elif prop == "type":
                    if not isinstance(value, int) or isinstance(value, bool):
                        raise WriteError(400, f"Invalid tag type '{value}'")
                else:
                    raise WriteError(400, f"Invalid tag property '{prop}'")
            if "tag" not in tag:
                raise WriteError(400, "Tag object is empty")
            entry: dict[str, Any] = {"tag": str(tag["tag"])}
            if tag.get("type"):
                entry["type"] = tag["type"]
            out.append(entry)
        return out

    @staticmethod
    def _collection_keys(keys: object, is_child: bool) -> list[str]:
        if not isinstance(keys, list):
            raise WriteError(400, "'collections' property must be an array")
        if is_child and keys:
            raise WriteError(400, "Child items cannot be assigned to collections")
        for key in keys:
            if not is_valid_key(key):
                raise WriteError(400, f"'{key}' is not a valid collection key")
        return list(dict.fromkeys(keys))

    @staticmethod
    def _relations(relations: object) -> dict[str, Any]:
        if relations == []:
            return {}
        if not isinstance(relations, dict):
            raise WriteError(400, "'relations' property must be an object")
        for predicate, objects in relations.items():
            if predicate not in RELATION_PREDICATES:
                raise WriteError(400, f"Unsupported predicate '{predicate}'")
            for uri in objects if isinstance(objects, list) else [objects]:
                if not isinstance(uri, str) or not RELATION_URI_RE.match(uri):
                    raise WriteError(400, "'relations' values currently must be Zotero item URIs")
        return copy.deepcopy(relations)


# -------------------------------------------------------------------------------------------- library


def creator_summary(creators: list[dict[str, str]]) -> str:
    names = [c.get("lastName") or c.get("name", "") for c in creators if c.get("creatorType") == "author"]
    if not names:
        names = [c.get("lastName") or c.get("name", "") for c in creators]
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} et al."


def parsed_date(date: str) -> str | None:
    match = re.search(r"\b(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\b", date or "")
    if not match:
        return None
    year, month, day = match.groups()
    return "-".join([year] + [f"{int(p):02d}" for p in (month, day) if p])


class Library:
    """One user or group library: items, collections, the version counter, the delete log, write tokens."""

    def __init__(
        self, kind: str, library_id: int, name: str, schema: Schema, clock: Callable[[], str] = utc_now
    ) -> None:
        self.kind = kind  # "user" or "group"
        self.id = library_id
        self.name = name
        self.schema = schema
        self.clock = clock
        self.version = 0
        self.items: dict[str, dict[str, Any]] = {}
        self.collections: dict[str, dict[str, Any]] = {}
        self.deleted: dict[str, dict[str, int]] = {kind: {} for kind in DELETED_KINDS}
        self.write_tokens: set[str] = set()
        #: Bumped on every change, so cached orderings know when they are stale.
        self.revision = 0
        # Server-made keys are reproducible: the same seeding gives the same keys.
        self._rng = random.Random(f"{kind}:{library_id}")
        self._order: dict[str, int] = {}
        self._next_order = 0

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def prefix(self) -> str:
        return f"/{self.kind}s/{self.id}"

    # ------------------------------------------------------------------------------------- helpers

    def _fresh_key(self) -> str:
        while True:
            key = new_key(self._rng)
            if key not in self.items and key not in self.collections:
                return key

    def _bump(self) -> int:
        self.version += 1
        self.revision += 1
        return self.version

    def order_of(self, key: str) -> int:
        return self._order.get(key, 0)

    def _store_item(self, key: str, body: dict[str, Any], version: int, date_added: str, now: str) -> None:
        data = {"key": key, "version": version, **body, "dateAdded": date_added, "dateModified": now}
        if key not in self._order:
            self._order[key] = self._next_order
            self._next_order += 1
        self.items[key] = data
        self.deleted["items"].pop(key, None)

    def _check_references(self, body: dict[str, Any]) -> None:
        for collection in body.get("collections", []):
            if collection not in self.collections:
                raise WriteError(409, f"Collection {collection} doesn't exist")
        parent = body.get("parentItem")
        if parent and parent not in self.items:
            raise WriteError(409, f"Parent item {parent} doesn't exist")
        parent_type = self.items[parent]["itemType"] if parent else None
        if parent_type in ("note", "attachment") and body["itemType"] != "annotation":
            raise WriteError(400, f"Parent item {parent} cannot be a note or attachment")

    @staticmethod
    def editable(data: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in data.items() if k not in ("key", "version", "dateAdded", "dateModified")}

    # -------------------------------------------------------------------------------------- writes

    def check_object_version(
        self,
        kind: str,
        obj: dict[str, Any],
        existing: dict[str, Any] | None,
        key: str | None,
        has_header: bool,
        single: bool = False,
    ) -> None:
        """The dataserver's checkJSONObjectVersion: 412 on a stale version, 428 when none is given."""
        label = "Item" if kind == "items" else "Collection"
        if "version" in obj:
            version = obj["version"]
            if isinstance(version, bool) or not isinstance(version, int):
                if isinstance(version, str) and version.isdigit():
                    version = int(version)
                else:
                    raise WriteError(400, "'version' must be an integer")
            if key is None:
                raise WriteError(400, "'version' is valid only with 'key' property")
            if existing is not None and existing["version"] > version:
                raise WriteError(
                    412,
                    f"{label} has been modified since specified version "
                    f"(expected {version}, found {existing['version']})",
                )
            if existing is None and version > 0:
                raise WriteError(404, f"{label} doesn't exist (expected version {version}; use 0 instead)")
        elif existing is not None and not has_header:
            what = f"single-{label.lower()} writes" if single else "'key'-based writes"
            raise WriteError(
                428, f"Either If-Unmodified-Since-Version or 'version' property must be provided for {what}"
            )

    def save_item(
        self,
        obj: object,
        *,
        has_header: bool,
        url_key: str | None = None,
        partial: bool = False,
        single: bool = False,
        failure: tuple[int, str] | None = None,
    ) -> tuple[str, str]:
        """Create or update one item; returns ("successful" | "unchanged", key) or raises WriteError."""
        if not isinstance(obj, dict):
            raise WriteError(400, f"Invalid item object (found {type(obj).__name__} '{obj}')")
        key = obj.get("key", url_key)
        if url_key is not None and "key" in obj and obj["key"] != url_key:
            raise WriteError(409, "'key' property in JSON does not match item key of request")
        if key is not None:
            if not isinstance(key, str):
                raise WriteError(400, "'key' must be a string")
            if not is_valid_key(key):
                raise WriteError(400, f"'{key}' is not a valid item key")
        existing = self.items.get(key) if key else None
        self.check_object_version("items", obj, existing, key, has_header, single)
        incoming = {k: v for k, v in obj.items() if k not in ("key", "version", "dateAdded", "dateModified")}
        if existing is not None and partial:
            merged = {**self.editable(existing), **incoming}
        else:
            merged = incoming
            if existing is not None:
                for prop in ("itemType", "tags", "collections", "relations"):
                    if prop not in merged and not (prop == "itemType" and partial):
                        raise WriteError(400, f"'{prop}' property not provided")
        body = self.schema.normalise_item(merged, is_new=existing is None)
        self._check_references(body)
        if failure is not None:
            raise WriteError(*failure)
        if existing is not None and body == self.editable(existing):
            return "unchanged", existing["key"]
        key = key or self._fresh_key()
        now = self.clock()
        modified = now
        if existing is not None:
            old = self.editable(existing)
            changed = {k for k in old.keys() | body.keys() if old.get(k) != body.get(k)}
            if changed <= DATE_NEUTRAL:  # Item::updateFromJSON's skipDateModifiedUpdate
                modified = existing["dateModified"]
        self._store_item(key, body, self._bump(), existing["dateAdded"] if existing else now, now)
        self.items[key]["dateModified"] = modified
        return "successful", key

    def save_collection(
        self,
        obj: object,
        *,
        has_header: bool,
        url_key: str | None = None,
        partial: bool = False,
        single: bool = False,
    ) -> tuple[str, str]:
        if not isinstance(obj, dict):
            raise WriteError(400, f"Invalid collection object (found {type(obj).__name__} '{obj}')")
        key = obj.get("key", url_key)
        if url_key is not None and "key" in obj and obj["key"] != url_key:
            raise WriteError(409, "'key' property in JSON does not match collection key of request")
        if key is not None and not is_valid_key(key):
            raise WriteError(400, f"'{key}' is not a valid collection key")
        existing = self.collections.get(key) if key else None
        self.check_object_version("collections", obj, existing, key, has_header, single)
        incoming = {k: v for k, v in obj.items() if k not in ("key", "version")}
        merged = {**self.editable(existing), **incoming} if existing is not None and partial else incoming
        for prop in merged:
            if prop not in ("name", "parentCollection", "relations", "deleted"):
                raise WriteError(400, f"Invalid property '{prop}'")
        name = merged.get("name")
        if not isinstance(name, str) or not name.strip():
            raise WriteError(
                400,
                "Collection name cannot be empty"
                if isinstance(name, str)
                else "'name' property not provided",
            )
        if len(name) > MAX_COLLECTION_NAME:
            raise WriteError(413, f"Collection name '{name[:50]}...' too long")
        parent = merged.get("parentCollection") or False
        if parent is not False:
            if not is_valid_key(parent):
                raise WriteError(400, f"'{parent}' is not a valid collection key")
            if parent not in self.collections:
                raise WriteError(409, f"Parent collection {parent} doesn't exist")
            if key is not None and (parent == key or key in self._ancestors(parent)):
                raise WriteError(400, "Cannot move collection under one of its own descendants")
        body: dict[str, Any] = {
            "name": name,
            "parentCollection": parent,
            "relations": self.schema._relations(merged.get("relations", {})),
        }
        if merged.get("deleted"):
            body["deleted"] = True
        if existing is not None and body == self.editable(existing):
            return "unchanged", existing["key"]
        key = key or self._fresh_key()
        self.collections[key] = {"key": key, "version": self._bump(), **body}
        self.deleted["collections"].pop(key, None)
        return "successful", key

    def _ancestors(self, key: str) -> list[str]:
        out = []
        while key in self.collections and self.collections[key]["parentCollection"]:
            key = self.collections[key]["parentCollection"]
            if key in out:
                break
            out.append(key)
        return out

    def delete_items(self, keys: Iterable[str]) -> None:
        keys = [k for k in keys if k in self.items]
        if not keys:
            return
        # the dataserver deletes an item's children with it
        gone = set(keys)
        keys += [k for k, d in self.items.items() if d.get("parentItem") in gone and k not in gone]
        version = self._bump()
        for key in keys:
            del self.items[key]
            self._order.pop(key, None)
            self.deleted["items"][key] = version

    def delete_collections(self, keys: Iterable[str]) -> None:
        """Delete collections with their subcollections; their items leave them (and get new versions)."""
        doomed: list[str] = []
        for key in keys:
            if key in self.collections and key not in doomed:
                doomed.append(key)
                doomed.extend(k for k in self.descendants(key) if k not in doomed)
        if not doomed:
            return
        version = self._bump()
        gone = set(doomed)
        for key in doomed:
            del self.collections[key]
            self.deleted["collections"][key] = version
        now = self.clock()
        for data in self.items.values():
            if gone.intersection(data.get("collections", ())):
                data["collections"] = [c for c in data["collections"] if c not in gone]
                data["version"] = version
                data["dateModified"] = now

    def descendants(self, key: str) -> list[str]:
        children = [k for k, c in self.collections.items() if c["parentCollection"] == key]
        out = list(children)
        for child in children:
            out.extend(self.descendants(child))
        return out

    # -------------------------------------------------------------------------------------- seeding

    def seed_items(
        self, items: list[dict[str, Any]], *, trashed: bool = False, validate: bool = True
    ) -> list[str]:
        """Add items as one library change (one version for all), as if synced in from a desktop client."""
        prepared = []
        for obj in items:
            obj = dict(obj)
            key = obj.pop("key", None) or self._fresh_key()
            if not is_valid_key(key) or key in self.items:
                raise ValueError(f"seed item key {key!r} is invalid or already used")
            obj.pop("version", None)
            if trashed:
                obj["deleted"] = 1
            body = self.schema.normalise_item(obj, is_new=True) if validate else _loose(obj)
            self._check_references(body)
            prepared.append((key, body))
        if not prepared:
            return []
        version = self._bump()
        now = self.clock()
        for key, body in prepared:
            self._store_item(key, body, version, now, now)
        return [key for key, _ in prepared]


def _loose(obj: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in obj.items() if k not in ("dateAdded", "dateModified")}
    for prop, default in (("tags", []), ("collections", []), ("relations", {})):
        body.setdefault(prop, copy.deepcopy(default))
    if body.get("deleted"):
        body["deleted"] = 1
    return body
