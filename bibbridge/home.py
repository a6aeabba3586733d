"""Where bibbridge keeps its state, cache and config.

With ``$BIBBRIDGE_HOME`` set, everything lives in that one directory. Otherwise the platformdirs user
directories are used (config, data and cache for the app ``bibbridge``).

Files:
    config.toml   user settings (mode 0600, since it may hold the Zotero API key)
    state.sqlite  the citation-key registry and other durable state
    zotero-<library>.sqlite  the incremental index of one Zotero library
    cache.sqlite  fetched metadata (resolve) and derived indexes (lookup)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .atomic import atomic_write_text
from .errors import UsageError

ENV_HOME = "BIBBRIDGE_HOME"


def _platform_dir(kind: str) -> Path:
    import platformdirs  # imported only when no BIBBRIDGE_HOME is set

    return Path(getattr(platformdirs, f"user_{kind}_dir")("bibbridge", appauthor=False))


def _dir(kind: str) -> Path:
    home = os.environ.get(ENV_HOME)
    path = Path(home).expanduser() if home else _platform_dir(kind)
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    return _dir("config")


def data_dir() -> Path:
    return _dir("data")


def cache_dir() -> Path:
    return _dir("cache")


def config_path() -> Path:
    return config_dir() / "config.toml"


def state_db_path() -> Path:
    """The SQLite file of durable state (the key registry)."""
    return data_dir() / "state.sqlite"


def cache_db_path() -> Path:
    """The SQLite file of caches (safe to delete)."""
    return cache_dir() / "cache.sqlite"


def load_config() -> dict[str, Any]:
    """The parsed config file as nested dicts ({} when there is none)."""
    path = config_path()
    if not path.exists():
        return {}
    import tomllib

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read config: {exc}", file=str(path)) from None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):  # e.g. [zotero] tags
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def save_config(config: dict[str, Any]) -> Path:
    """Write ``config`` (sections of scalar values) atomically with mode 0600."""
    lines: list[str] = []
    for key, value in config.items():
        if not isinstance(value, dict):
            lines.append(f"{key} = {_toml_value(value)}")
    for section, values in config.items():
        if isinstance(values, dict):
            lines.append("")
            lines.append(f"[{section}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in values.items())
    path = config_path()
    atomic_write_text(path, "\n".join(lines).lstrip("\n") + "\n", mode=0o600)
    return path
