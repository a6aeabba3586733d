"""Zotero: map papers to Zotero items and push them into a library collection (``bibbridge sync``).

- :mod:`.mapper`: pure ``Paper`` → item data, and the identities of an existing item.
- :mod:`.index`: the per-library local SQLite index, refreshed incrementally.
- :mod:`.client`: the only module that talks to Zotero (through pyzotero), with retries.
- :mod:`.sync`: plan and run a sync; :func:`bibbridge.zotero.sync.sync` is the Python twin of the command.
"""
