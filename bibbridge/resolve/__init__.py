"""Complete digest records (arXiv id, authors, DOI) from Hugging Face, arXiv and Semantic Scholar.

See ``docs/resolve.md`` for the sources, the matching rule, the cache and the rate limits. Names are
loaded lazily, so that the CLI's options module can be imported without the resolver.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_NAMES = {
    "resolve": "resolver",
    "maybe_resolve": "resolver",
    "ResolveReport": "resolver",
    "ResolveProgress": "resolver",
    "Unresolved": "resolver",
    "ResolveSettings": "settings",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'bibbridge.resolve' has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
