"""Query parsing, LaTeX decoding, folding, scoring rules and cited-key extraction, piece by piece."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bibbridge.keylookup.check import aux_citations, key_as_words, latex_citations, markdown_citations
from bibbridge.keylookup.index import Table, fold_many, fold_words
from bibbridge.keylookup.match import parse_query, search_table
from bibbridge.text import fold
from bibbridge.text.latex import latex_to_text


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        ("{GPT}-4 Technical Report", "GPT-4 Technical Report"),
        (r"M{\"u}ller and M\"{u}ller and M\"uller", "Müller and Müller and Müller"),
        (r"Pad{\'e} Approximants \emph{in} {\textbf{Neural}} Nets", "Padé Approximants in Neural Nets"),
        (r"Erd\H{o}s, Fran\c{c}ois and \v{S}ime\v{c}ek", "Erdős, François and Šimeček"),
        (r"Stra\ss e, {\o}resund, {\aa}ngstr{\"o}m, na\"{\i}ve", "Straße, øresund, ångström, naïve"),
        (r"50\% of $x^2$ -- Q\&A~here --- really \{x\}", "50% of x^2 -- Q&A here --- really {x}"),
        ("plain\n   wrapped  title", "plain wrapped title"),
    ],
)
def test_latex_to_text(latex: str, text: str) -> None:
    assert latex_to_text(latex, tie=" ") == text


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
@example("\u0363")  # a combining letter, which unidecode spells out ("a"), unlike a combining accent
@example("Me\u0301moire a\u0364")
def test_fold_words_agrees_with_bibbridge_fold(text: str) -> None:
    assert fold_words(text) == fold(text)
    assert fold_many([text.replace("\n", " "), "x"]) == [fold(text.replace("\n", " ")), "x"]


@pytest.mark.parametrize(
    ("query", "arxiv", "doi", "key", "words", "years"),
    [
        ("arXiv:2310.12920v2", ["2310.12920"], [], None, [], []),
        ("arXiv: 2310.12920", ["2310.12920"], [], None, [], []),
        ("https://arxiv.org/abs/2310.12920v1", ["2310.12920"], [], None, [], []),
        (
            "https://doi.org/10.48550/ARXIV.2310.12920",
            ["2310.12920"],
            ["10.48550/arxiv.2310.12920"],
            None,
            [],
            [],
        ),
        ("doi:10.1038/nature14539", [], ["10.1038/nature14539"], None, [], []),
        ("the Müller paper from 2023", [], [], None, ["muller"], ["2023"]),
        ("@vaswani2017attention", [], [], "vaswani2017attention", ["vaswani2017attention"], []),
        ("Attention Is All You Need", [], [], None, ["attention", "is", "all", "you", "need"], []),
    ],
)
def test_parse_query(query, arxiv, doi, key, words, years) -> None:  # noqa: ANN001
    parsed = parse_query(query)
    assert (parsed.arxiv_ids, parsed.dois, parsed.key, parsed.words, parsed.years) == (
        arxiv,
        doi,
        key,
        words,
        years,
    )


TABLE = Table.build(
    "t",
    [
        (
            "vaswani2017attention",
            "Attention Is All You Need",
            ["Ashish Vaswani", "Noam Shazeer"],
            "2017",
            "",
            "1706.03762",
            1,
        ),
        ("attention2017", "Attention", ["Some Body"], "2017", "", "", 2),
        ("mueller2023fast", "Fast Attention for Long Documents", ["Müller, Anna"], "2023", "10.1/x", "", 3),
        ("smith2023fast", "Fast Attention, Again", ["Smith, Jo", "Müller, Anna"], "2023", "", "", 4),
        ("mueller2021slow", "Slow Attention", ["Müller, Anna"], "2021", "", "", 5),
    ],
)


def ranked(query: str) -> list[tuple[str, int, str]]:
    return [(TABLE.row(r).key, s, m) for r, s, m in search_table(TABLE, parse_query(query), limit=10)]


def test_exact_identifiers_beat_every_fuzzy_match() -> None:
    assert ranked("1706.03762") == [("vaswani2017attention", 100, "arxiv")]
    assert ranked("10.48550/arXiv.1706.03762")[0] == ("vaswani2017attention", 100, "arxiv")
    # "attention2017" is a key, and the word "attention" is in every title: the key wins.
    top = ranked("attention2017")
    assert top[0] == ("attention2017", 100, "key")
    assert all(score < 100 for _, score, _ in top[1:])
    assert max(score for _, score, _ in ranked("Attention Is All You Need")) == 95


def test_whole_title_outranks_titles_holding_the_same_words() -> None:
    keys = [key for key, _, _ in ranked("attention")]
    assert keys[0] == "attention2017"  # the title that is only that word


def test_first_author_outranks_coauthor_and_year_counts() -> None:
    top = ranked("the Müller paper from 2023")
    assert [key for key, _, _ in top[:2]] == ["mueller2023fast", "smith2023fast"]
    assert top[0][1] > top[1][1] > dict((k, s) for k, s, _ in top)["mueller2021slow"]


def test_key_prefix_and_typo_in_key() -> None:
    assert ranked("vaswani20")[0][::2] == ("vaswani2017attention", "key-prefix")
    assert ranked("vaswnai2017attention")[0][::2] == ("vaswani2017attention", "key-fuzzy")


def test_typos_and_partial_words() -> None:
    assert ranked("atention is al you ned")[0][0] == "vaswani2017attention"
    assert ranked("fast atten long docs")[0][0] == "mueller2023fast"


def test_citations_in_latex() -> None:
    tex = r"""
    As shown \cite{a, b} and \citep[p.~3]{c}; \citet*{d} % \cite{commented}
    \parencite[see][12]{e}\textcite{f} \autocite{g}\nocite{h,*}
    \cites[1]{i}[2]{j} and \Textcite{k}. \citestyle{authoryear} \cite
      {l}
    """
    assert [k for k, _ in latex_citations(tex)] == list("abcdefghijkl")


def test_citations_in_aux_and_markdown() -> None:
    aux = "\\relax\n\\citation{a,b}\n\\citation{c}\n\\abx@aux@cite{0}{d}\n\\bibdata{refs}\n"
    assert [k for k, _ in aux_citations(aux)] == ["a", "b", "c", "d"]
    md = "As [@smith2020; see @doe2021, p. 3] and @{odd:key} show. Mail me@example.org.\n"
    assert [k for k, _ in markdown_citations(md)] == ["smith2020", "doe2021", "odd:key"]


def test_key_as_words() -> None:
    assert key_as_words("brownLanguageModelsAre2020") == "brown Language Models Are 2020"
    assert key_as_words("lecun_2015-deep") == "lecun 2015 deep"
