"""The matching rule: close titles of the same paper match; near-identical titles of others never do."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bibbridge.metadata.candidate import Candidate
from bibbridge.metadata.match import choose, compare_titles
from bibbridge.model import Paper


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        ("Scaling Laws for Neural Language Models", "Scaling laws for neural language models", "exact"),
        ("GPT-4V(ision) System Card", "GPT-4V (ision): System Card", "exact"),
        ("Müller’s Lemma, Revisited", "Muller's Lemma — revisited", "exact"),
        ("Self-Supervised Pre-Training at Scale", "Self-Supervised Pretraining at Scale", "compact"),
        (
            "Towards Robust Optimisation of Deep Networks",
            "Towards Robust Optimization of Deep Networks",
            "fuzzy",
        ),
        (
            "Toward Robust Optimization of Deep Networks at Scale",
            "Towards Robust Optimization of Deep Networks at Scale",
            "fuzzy",
        ),
        (
            "A Survey on the Evaluation of Large Language Models",
            "A Survey on Evaluation of Large Language Models",
            "fuzzy",
        ),
    ],
)
def test_same_paper_titles_match(a, b, kind):
    assert compare_titles(a, b) == kind


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "Llama 2: Open Foundation and Fine-Tuned Chat Models",
            "Llama 3: Open Foundation and Fine-Tuned Chat Models",
        ),
        (
            "Video Diffusion Models are Zero-Shot 3D Reasoners",
            "Video Diffusion Models are Zero-Shot 4D Reasoners",
        ),
        ("Learning to Reason over Long Contexts, Part I", "Learning to Reason over Long Contexts, Part II"),
        (
            "Efficient Fine-Tuning of Large Multilingual Language Models for Code Generation",
            "Efficient Fine-Tuning of Large Multilingual Language Models for Code Translation",
        ),
        (
            "Improving Retrieval Augmented Generation with Long Context Language Models",
            "Improving Retrieval Augmented Generation with Sparse Long Context Language Models",
        ),
        ("Vision Transformers Need Registers", "Visual Transformers Need Registers"),
        ("", "Anything"),
    ],
)
def test_near_identical_titles_of_different_papers_do_not_match(a, b):
    assert compare_titles(a, b) is None


def _cand(title, arxiv_id, n_authors):
    return Candidate("hf", title, arxiv_id, [f"Author {i}" for i in range(n_authors)])


def test_author_count_from_the_digest_must_agree():
    paper = Paper("Counting Tokens Is All You Need", author_count=3)
    choice = choose(paper, [_cand("Counting Tokens Is All You Need", "2401.00001", 2)])
    assert choice.candidate is None and "has 2 authors, the record 3" in choice.reason
    assert (
        choose(paper, [_cand("Counting Tokens Is All You Need", "2401.00001", 3)]).candidate.arxiv_id
        == "2401.00001"
    )


def test_best_candidate_wins_and_two_identical_titles_are_ambiguous():
    paper = Paper("Counting Tokens Is All You Need")
    best = choose(
        paper, [_cand("Counting Tokens Is All You Need!", "2401.1", 1), _cand("Counting Tokens", "2401.2", 1)]
    )
    assert best.candidate.arxiv_id == "2401.1" and best.kind == "exact"
    tie = choose(
        paper,
        [
            _cand("Counting Tokens Is All You Need", "2401.00001", 1),
            _cand("Counting tokens is all you need", "2402.00002", 2),
        ],
    )
    assert tie.candidate is None and tie.reason == "ambiguous: 2401.00001, 2402.00002"


def test_refusal_names_the_closest_title():
    paper = Paper("Video Diffusion Models are Zero-Shot 3D Reasoners")
    choice = choose(paper, [_cand("Video Diffusion Models are Zero-Shot 4D Reasoners", "2409.22222", 3)])
    assert choice.candidate is None
    assert (
        choice.reason
        == "refused closest title 'Video Diffusion Models are Zero-Shot 4D Reasoners' (arXiv:2409.22222)"
    )


words = st.lists(st.from_regex(r"[A-Za-z]{2,9}", fullmatch=True), min_size=3, max_size=12)


@settings(max_examples=100, deadline=None)
@given(words, st.integers(min_value=0, max_value=11), st.integers(min_value=0, max_value=99))
def test_changing_a_number_in_a_title_never_matches(ws, at, number):
    at %= len(ws)
    a = " ".join([*ws[:at], str(number), *ws[at:]])
    b = " ".join([*ws[:at], str(number + 1), *ws[at:]])
    assert compare_titles(a, b) is None


@settings(max_examples=100, deadline=None)
@given(words, st.sampled_from([":", " -", ",", "?", "  "]))
def test_punctuation_and_case_never_matter(ws, mark):
    title = " ".join(ws)
    assert compare_titles(title, (mark.join(ws)).upper()) in ("exact", "compact")
