"""Lazy exports for packages: names are imported from their modules on first use.

Keeps ``import bibbridge`` (and so ``bibbridge --version``) from importing sqlite3, httpx2, pyzotero
or rapidfuzz before a command needs them.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, names: dict[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``.

    ``names`` maps each public name to ``"module:attribute"`` (absolute) or to a submodule of
    ``package`` (relative, e.g. ``"registry"``); the value is cached in ``namespace`` once loaded.
    """

    def __getattr__(name: str) -> Any:
        target = names.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attr = target.partition(":")
        if not attr:
            module_name, attr = f"{package}.{module_name}", name
        value = getattr(import_module(module_name), attr)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*names, *(k for k in namespace if not k.startswith("_"))})

    return __getattr__, __dir__
