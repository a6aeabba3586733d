"""Better BibTeX conformance: our keys against the keys Better BibTeX itself produced.

The cases live in ``../shared/conformance/bbt-citekeys.json`` (items from Better BibTeX's own test
fixtures, with the key it exported under its default formula); the test skips when that file is
absent. Each case's base key (before disambiguation) is compared, and disambiguation is simulated per
fixture library with our postfix rule. Disagreements are printed grouped by category; the categories
are explained in docs/keys.md.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from bibbridge.keys import DEFAULT_FORMULA, compile_formula
from bibbridge.keys.fold import key_fold
from bibbridge.keys.item import KeyItem, creator_family, date_year
from bibbridge.keys.registry import postfix

REQUIRED_AGREEMENT = 0.95


@pytest.fixture
def conformance(shared_dir: Path) -> dict:
    path = shared_dir / "conformance" / "bbt-citekeys.json"
    if not path.is_file():
        pytest.skip("../shared/conformance/bbt-citekeys.json is not beside this clone")
    return json.loads(path.read_text(encoding="utf-8"))


def _cases(data: dict) -> list[dict]:
    return data["cases"] + data["component_cases"]


def _formula_text(data: dict, case: dict) -> str:
    return case.get("formula") or data["formula"]


def _item(case: dict) -> dict:
    return {name: case.get(name) for name in ("title", "creators", "date", "language", "extra", "itemType")}


def _expected_base(case: dict) -> str:
    return case["base_key"] if case["postfixed"] else case["expected_key"]


def _category(case: dict, got: str) -> str:
    """Which part of the key differs (the categories docs/keys.md explains)."""
    expected = _expected_base(case)
    item = KeyItem.from_zotero(_item(case))
    names = item.names()
    auth = compile_formula("auth.lower").key_for_item(item)
    year = date_year(item.date)
    if not expected.startswith(auth):
        return f"creator name ({creator_family(names[0]) if names else 'no creator'})"
    if not expected.endswith(year):
        return f"date ({item.date!r})"
    return "title words"


def test_the_conformance_file_uses_our_default_formula(conformance: dict) -> None:
    assert compile_formula(conformance["formula"]) == compile_formula(DEFAULT_FORMULA)
    assert conformance["defaults_in_effect"]["citekeyFold"] is True


def test_base_keys_agree_with_better_bibtex(conformance: dict) -> None:
    disagreements: dict[str, list[str]] = defaultdict(list)
    by_origin: Counter[str] = Counter()
    agree_by_origin: Counter[str] = Counter()
    cases = _cases(conformance)
    for case in cases:
        got = compile_formula(_formula_text(conformance, case)).key_for_item(_item(case))
        by_origin[case["key_origin"]] += 1
        if got == _expected_base(case):
            agree_by_origin[case["key_origin"]] += 1
        else:
            disagreements[_category(case, got)].append(
                f"{case['fixture']}: got {got!r}, BBT {case['expected_key']!r}"
            )
    agreed = sum(agree_by_origin.values())
    print(f"\nBetter BibTeX conformance: {agreed}/{len(cases)} base keys agree ({agreed / len(cases):.1%})")
    for origin, total in sorted(by_origin.items()):
        print(f"  {origin}: {agree_by_origin[origin]}/{total}")
    for category, lines in sorted(disagreements.items()):
        print(f"  disagreement category {category}: {len(lines)}")
        for line in lines:
            print(f"    {line}")
    assert len(cases) > 200
    assert agreed / len(cases) >= REQUIRED_AGREEMENT, dict(disagreements)


def test_disambiguation_within_each_fixture_gives_better_bibtex_postfixes(conformance: dict) -> None:
    """Items of one fixture share a library: identical base keys get a, b, c … as in Better BibTeX.

    Which of the identical items gets which letter depends on Better BibTeX's generation order, so
    the keys of each fixture are compared as a multiset.
    """
    libraries: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for case in _cases(conformance):
        libraries[(case["fixture"], _formula_text(conformance, case))].append(case)
    postfixed = 0
    for (fixture, formula), cases in libraries.items():
        used: set[str] = set()
        ours = []
        for case in cases:
            base = compile_formula(formula).key_for_item(_item(case))
            n = 0
            while key_fold(base + postfix(n)) in used:
                n += 1
            used.add(key_fold(base + postfix(n)))
            ours.append(base + postfix(n))
        expected = [case["expected_key"] for case in cases]
        assert Counter(ours) == Counter(expected), fixture
        postfixed += sum(case["postfixed"] for case in cases)
    assert postfixed >= 4  # the fixture really exercises postfixes (huang…2013a/b/c, koller…2012a)
