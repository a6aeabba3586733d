"""The public Python API: every CLI command has a twin importable from ``bibbridge``."""

from __future__ import annotations


def test_the_python_twins_stay_functions_once_the_cli_is_loaded() -> None:
    """``bibbridge.resolve`` and ``bibbridge.lookup`` are functions, not the packages behind them."""
    import bibbridge
    import bibbridge.cli  # noqa: F401 - imports the packages the commands use

    for name in ("read_digest", "to_bibtex", "merge_bib", "sync", "lookup", "resolve", "check_citations"):
        assert callable(getattr(bibbridge, name)), name
        assert getattr(bibbridge, name).__class__.__name__ == "function", name
