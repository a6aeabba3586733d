"""Property tests: whatever the papers look like, keys are valid BibTeX keys and never clash."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bibbridge.keys import KeyRegistry, compile_formula
from bibbridge.keys.fold import key_fold
from bibbridge.model import Paper

VALID_KEY = re.compile(r"""^[^\s{}(),="#%'~\\]+$""")
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Titles and names drawn from everything: LaTeX specials, quotes, Unicode letters and symbols, emoji.
text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from(list("{}()=,\"#%'~\\ -:/<>$&_^") + ["ä", "ß", "Ø", "я", "中", "𝑘", "ǂ", "\u200b"]),
    ),
    max_size=60,
)
names = st.lists(text, max_size=3)
dates = st.one_of(st.none(), st.dates().map(lambda d: d.isoformat()))
papers = st.lists(
    st.builds(
        Paper,
        title=text,
        authors=names,
        published=dates,
        arxiv_id=st.one_of(st.none(), st.integers(0, 99999).map(lambda n: f"2401.{n:05d}")),
    ),
    max_size=25,
)
formulas = st.sampled_from(
    [
        "auth.lower + shorttitle(3,3) + year",
        "auth.upper + year",
        'authors(2) + "_" + title',
        "veryshorttitle + shortyear",
    ]
)


@SETTINGS
@given(paper=st.builds(Paper, title=text, authors=names, published=dates), formula=formulas)
def test_base_keys_are_valid_non_empty_ascii(paper: Paper, formula: str) -> None:
    key = compile_formula(formula).key_for(paper)
    assert VALID_KEY.match(key), key
    assert key.isascii()


@settings(SETTINGS, max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(batches=st.lists(papers, min_size=1, max_size=3), taken=st.lists(text, max_size=5), formula=formulas)
def test_assigned_keys_are_unique_valid_and_stable(
    batches: list[list[Paper]], taken: list[str], formula: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp, KeyRegistry(Path(tmp) / "state.sqlite") as registry:
        given_out: dict[str, str] = {}
        for batch in batches:
            keys = registry.assign(batch, formula=formula, taken=taken)
            for identity, key in keys.items():
                assert VALID_KEY.match(key), key
                # A key once given never changes.
                assert given_out.setdefault(identity, key) == key
        folded = [key_fold(key) for key in registry.all_keys()]
        assert len(folded) == len(set(folded))
        # Keys given in this registry avoid every taken key (case- and accent-insensitively).
        assert not {key_fold(k) for k in registry.all_keys()} & {key_fold(t) for t in taken}
