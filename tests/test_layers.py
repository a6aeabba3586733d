"""Code where it belongs: only the CLI layer imports click; one copy of each text rule."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

PACKAGE = ROOT / "bibbridge"
CLI_LAYER = {"cli.py", "cli_resolve.py"}


def imported_modules(path) -> set[str]:  # noqa: ANN001
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_no_library_module_imports_click() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted(PACKAGE.rglob("*.py"))
        if not (path.parent == PACKAGE and path.name in CLI_LAYER) and "click" in imported_modules(path)
    ]
    assert offenders == []


def test_one_latex_decoder_and_one_name_rule() -> None:
    """Decoding lives in bibbridge/text/latex.py only; family names in bibbridge/text/names.py only."""
    decoders, name_rules = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                if node.name in {
                    "detex",
                    "detex_many",
                    "latex_to_unicode",
                    "latex_to_text",
                    "latex_to_text_many",
                }:
                    decoders.append(str(path.relative_to(PACKAGE)))
                if node.name in {"family_name", "split_name"}:
                    name_rules.append(str(path.relative_to(PACKAGE)))
    assert set(decoders) == {"text/latex.py"}
    # zotero/mapper.py's split_name is Zotero's own (last space), kept as Zotero splits names.
    assert set(name_rules) == {"text/names.py", "zotero/mapper.py"}
