"""Key-lookup tables compared by what they hold, not by slot numbers or bytes (two tables of the same
entries may lay their rows out differently: one read whole, one updated entry by entry)."""

from __future__ import annotations

from typing import Any

from bibbridge.keylookup.index import Table


def table_content(table: Table) -> dict[str, Any]:
    """Every row (decoded, with its line, year and title length) and every index, rows named by their
    place in (line, key, title) order."""
    live = [slot for slot in range(table.slots) if table._get("rows")[slot]]
    rows = sorted(live, key=lambda slot: (table.lines[slot], table.row(slot)))
    name = {slot: index for index, slot in enumerate(rows)}

    def named(slots: Any) -> list[int]:
        return sorted(name[slot] for slot in ([slots] if isinstance(slots, int) else slots))

    return {
        "rows": [(table.row(s), table.years[s], table.title_lengths[s]) for s in rows],
        "size": len(table),
        "vocabulary": table.vocabulary,
        "postings": {word: named(table.rows_of(word)) for word in table.vocabulary},
        "keys": {key: named(slots) for key, slots in table._get("keys").items()},
        "sorted_keys": table._get("sorted_keys"),
        "ids": {key: named(slots) for key, slots in table._get("ids").items()},
    }


def bookkeeping_content(table: Table) -> dict[str, Any]:
    """A .bib table's chunk bookkeeping (see bibbridge.keylookup.bibtable), rows named by (line, key)
    rather than slot: each chunk's rows, each row's line in its chunk, each chunk's line count."""
    extra = table.extra
    if not extra:
        return {}

    def named(slot: int) -> tuple[int, str]:
        return (table.lines[slot], table.row(slot).key)

    content = {
        chunk: sorted(named(slot) for slot in ([held] if isinstance(held, int) else held))
        for chunk, held in extra["content"].items()
    }
    offsets = {
        named(slot): extra["offsets"][slot]
        for held in extra["content"].values()
        for slot in ([held] if isinstance(held, int) else held)
    }
    return {"context": extra["context"], "content": content, "offsets": offsets, "counts": extra["counts"]}
