"""bibbridge: paper digests → BibTeX/BibLaTeX/CSL-JSON with stable keys, Zotero sync and key lookup.

The public Python API mirrors the CLI (every command has a twin here). Names are imported lazily so
that ``import bibbridge`` (and ``bibbridge --version``) stays fast.
"""

from __future__ import annotations

from ._lazy import lazy_exports

__version__ = "0.1.0"

# public name -> "module:attribute"; modules are imported on first use only.
_API: dict[str, str] = {
    "Paper": "bibbridge.model:Paper",
    "dedupe": "bibbridge.model:dedupe",
    "BibbridgeError": "bibbridge.errors:BibbridgeError",
    "InputError": "bibbridge.errors:InputError",
    "read_digest": "bibbridge.readers:read_digest",
    "read_digests": "bibbridge.readers:read_digests",
    "lookup": "bibbridge.keylookup.api:lookup",
    "check_citations": "bibbridge.keylookup.api:check_citations",
    "assign_keys": "bibbridge.keys.registry:assign_keys",
    "KeyRegistry": "bibbridge.keys.registry:KeyRegistry",
    "sync": "bibbridge.zotero.sync:sync",
    "SyncReport": "bibbridge.zotero.sync:SyncReport",
    "configure_zotero": "bibbridge.zotero.client:save_credentials",
    "to_bibtex": "bibbridge.bib.export:to_bibtex",
    "to_biblatex": "bibbridge.bib.export:to_biblatex",
    "to_csl_json": "bibbridge.bib.export:to_csl_json",
    "merge_bib": "bibbridge.bib.merge:merge_bib",
    "MergeReport": "bibbridge.bib.merge:MergeReport",
    "read_bib": "bibbridge.bib.reader:read_bib",
    "parse_bib": "bibbridge.bib.reader:parse_bib",
    "resolve": "bibbridge.metadata:resolve",
    "complete": "bibbridge.metadata:complete",
    "read_source": "bibbridge.readers.hf_live:read_source",
    "ResolveReport": "bibbridge.metadata:ResolveReport",
    "ResolveSettings": "bibbridge.metadata:ResolveSettings",
}

__all__ = ["__version__", *_API]


__getattr__, __dir__ = lazy_exports(__name__, _API, globals())
