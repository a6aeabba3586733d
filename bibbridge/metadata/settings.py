"""Where the metadata services are and how politely to ask them; read from the environment.

``BIBBRIDGE_HF_URL``, ``BIBBRIDGE_ARXIV_URL``, ``BIBBRIDGE_S2_URL`` move a service (mirrors, tests);
``BIBBRIDGE_ARXIV_INTERVAL`` (seconds between arXiv requests, default 3 as arXiv's terms ask),
``BIBBRIDGE_HF_INTERVAL`` (default 0.6: Hugging Face allows 500 anonymous requests per 5 minutes),
``BIBBRIDGE_S2_INTERVAL`` (default 3: Semantic Scholar's keyless pool is about 100 per 5 minutes),
``BIBBRIDGE_HTTP_TIMEOUT`` (seconds, default 20) and ``BIBBRIDGE_HTTP_RETRIES`` (default 2) tune them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import UsageError

HF_URL = "https://huggingface.co"
ARXIV_URL = "https://export.arxiv.org"
S2_URL = "https://api.semanticscholar.org"
ARXIV_INTERVAL = 3.0
HF_INTERVAL = 0.6
S2_INTERVAL = 3.0
TIMEOUT = 20.0
RETRIES = 2
#: How long a "nothing found" answer is trusted before the source is asked again (a paper only days
#: old may not be indexed yet). Found records are kept until the cache is deleted.
NEGATIVE_TTL = 7 * 24 * 3600.0


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value < 0:
        raise UsageError(f"{name} must not be negative")
    return value


@dataclass
class ResolveSettings:
    """Service addresses and politeness; :meth:`from_env` is what the CLI and the API use by default."""

    hf_url: str = HF_URL
    arxiv_url: str = ARXIV_URL
    s2_url: str = S2_URL
    arxiv_interval: float = ARXIV_INTERVAL
    hf_interval: float = HF_INTERVAL
    s2_interval: float = S2_INTERVAL
    timeout: float = TIMEOUT
    retries: int = RETRIES
    backoff: float = 1.0
    max_wait: float = 60.0
    negative_ttl: float = NEGATIVE_TTL

    @classmethod
    def from_env(cls) -> ResolveSettings:
        return cls(
            hf_url=os.environ.get("BIBBRIDGE_HF_URL") or HF_URL,
            arxiv_url=os.environ.get("BIBBRIDGE_ARXIV_URL") or ARXIV_URL,
            s2_url=os.environ.get("BIBBRIDGE_S2_URL") or S2_URL,
            arxiv_interval=_env_float("BIBBRIDGE_ARXIV_INTERVAL", ARXIV_INTERVAL),
            hf_interval=_env_float("BIBBRIDGE_HF_INTERVAL", HF_INTERVAL),
            s2_interval=_env_float("BIBBRIDGE_S2_INTERVAL", S2_INTERVAL),
            timeout=_env_float("BIBBRIDGE_HTTP_TIMEOUT", TIMEOUT),
            retries=int(_env_float("BIBBRIDGE_HTTP_RETRIES", RETRIES)),
        )
