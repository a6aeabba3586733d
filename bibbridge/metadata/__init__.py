"""Complete digest records (arXiv id, authors, DOI) from Hugging Face, arXiv and Semantic Scholar.

See ``docs/resolve.md`` for the sources, the matching rule, the cache and the rate limits. Names are
loaded lazily, so that the CLI's options module can be imported without the resolver.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_NAMES = {
    "resolve": "resolver",
    "maybe_resolve": "resolver",
    "complete": "resolver",
    "needs_completion": "resolver",
    "ResolveReport": "resolver",
    "ResolveProgress": "resolver",
    "Unresolved": "resolver",
    "ResolveSettings": "settings",
}

__all__ = sorted(_NAMES)


__getattr__, __dir__ = lazy_exports(__name__, _NAMES, globals())
