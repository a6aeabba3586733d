"""Name splitting for keys: the one rule lives in :mod:`bibbridge.text.names` (lookup, writers and
CSL-JSON call it too); this module only keeps the old import path working."""

from __future__ import annotations

from ..text.names import PARTICLES, SUFFIXES, Name, family_name, split_name

__all__ = ["PARTICLES", "SUFFIXES", "Name", "family_name", "split_name"]
