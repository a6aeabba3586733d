"""The matching rule: when is a source's paper the digest's paper?

A wrong match silently replacing authors is the worst failure a resolver can have, so the rule is
strict and a refusal only leaves a record unresolved. Titles are compared after
:func:`bibbridge.text.fold` (case, accents, punctuation and spacing ignored):

1. **exact**: the folded titles are equal;
2. **compact**: they are equal once spaces are removed too (``Pre-Training`` / ``Pretraining``);
3. **fuzzy**: the word counts differ by at most one, the rapidfuzz ratio of the folded titles is at
   least :data:`TITLE_RATIO` (95), and every word-level difference is a spelling variant (both words
   of 4+ letters, no digits, not a roman numeral, character ratio ≥ :data:`WORD_RATIO`, 80) or an
   added/dropped article or preposition. So ``Llama 2`` never matches ``Llama 3``, ``Part I`` never
   matches ``Part II``, and an extra content word (``Sparse``) is a different paper.

When the digest states an author count (``• 3 authors``), the candidate must have exactly that many
authors. If two different papers pass at the best level (say, two exact titles), the record is left
unresolved (ambiguous).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Paper
from ..text import fold
from .candidate import Candidate

TITLE_RATIO = 95.0
WORD_RATIO = 80.0
MATCH_RANK = {"exact": 3, "compact": 2, "fuzzy": 1}
SMALL_WORDS = frozenset("a an the of on in for to and with via by from at as towards toward into its".split())
_ROMAN = frozenset("i ii iii iv v vi vii viii ix x xi xii".split())


def _ratio(a: str, b: str) -> float:
    from rapidfuzz import fuzz

    return float(fuzz.ratio(a, b))


def _spelling_variant(a: str, b: str) -> bool:
    if a == b:
        return True
    if any(ch.isdigit() for ch in a + b) or a in _ROMAN or b in _ROMAN:
        return False
    return len(a) >= 4 and len(b) >= 4 and _ratio(a, b) >= WORD_RATIO


def compare_titles(record_title: str, candidate_title: str) -> str | None:
    """``"exact"``, ``"compact"`` or ``"fuzzy"`` when the titles name the same paper, else None."""
    a, b = fold(record_title), fold(candidate_title)
    if not a or not b:
        return None
    if a == b:
        return "exact"
    if a.replace(" ", "") == b.replace(" ", ""):
        return "compact"
    words_a, words_b = a.split(), b.split()
    if abs(len(words_a) - len(words_b)) > 1 or _ratio(a, b) < TITLE_RATIO:
        return None
    from difflib import SequenceMatcher

    for tag, i1, i2, j1, j2 in SequenceMatcher(None, words_a, words_b, autojunk=False).get_opcodes():
        left, right = words_a[i1:i2], words_b[j1:j2]
        if tag == "equal":
            continue
        if tag == "replace" and len(left) == len(right):
            if all(_spelling_variant(x, y) for x, y in zip(left, right, strict=True)):
                continue
            return None
        if tag == "replace":  # words split or joined differently: "data set" / "dataset"
            if _spelling_variant("".join(left), "".join(right)):
                continue
            return None
        if all(w in SMALL_WORDS for w in left + right):  # insert / delete
            continue
        return None
    return "fuzzy"


def expected_authors(paper: Paper) -> int | None:
    """The author count the record is sure of: the digest's ``N authors``, else its author list."""
    if paper.author_count is not None:
        return paper.author_count
    return len(paper.authors) or None


@dataclass
class Choice:
    """The accepted candidate, or None and the reason nothing was accepted."""

    candidate: Candidate | None
    reason: str = ""
    kind: str | None = None


def _describe(c: Candidate) -> str:
    where = f"arXiv:{c.arxiv_id}" if c.arxiv_id else c.source
    return f"{c.title!r} ({where})"


def choose(paper: Paper, candidates: Sequence[Candidate]) -> Choice:
    """Pick the candidate that is ``paper`` under the rule above, or say why none is."""
    if not candidates:
        return Choice(None, "no result")
    want = expected_authors(paper)
    passed: list[tuple[int, float, Candidate]] = []
    refusals: list[str] = []
    closest: tuple[float, Candidate] | None = None
    folded = fold(paper.title)
    for candidate in candidates:
        kind = compare_titles(paper.title, candidate.title)
        if kind is None:
            score = _ratio(folded, fold(candidate.title))
            if closest is None or score > closest[0]:
                closest = (score, candidate)
            continue
        if want is not None and candidate.authors and len(candidate.authors) != want:
            refusals.append(f"{_describe(candidate)} has {len(candidate.authors)} authors, the record {want}")
            continue
        passed.append((MATCH_RANK[kind], _ratio(folded, fold(candidate.title)), candidate))
    if not passed:
        if refusals:
            return Choice(None, "refused " + "; ".join(refusals[:2]))
        if closest is not None and closest[0] >= 80:
            return Choice(None, f"refused closest title {_describe(closest[1])}")
        return Choice(None, f"no matching title among {len(candidates)} results")
    passed.sort(key=lambda item: (item[0], item[1]), reverse=True)
    top_rank, _, best = passed[0]
    rivals = {c.arxiv_id or fold(c.title) for rank, _, c in passed if rank == top_rank}
    if len(rivals) > 1:
        return Choice(None, "ambiguous: " + ", ".join(sorted(rivals)))
    kind = next(k for k, r in MATCH_RANK.items() if r == top_rank)
    return Choice(best, kind=kind)
