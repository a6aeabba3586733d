"""The column helpers of bibbridge.keylookup.index give exactly what their one-value-at-a-time references
give: ``ascii_bulk`` is ``_ascii`` (transliteration to ASCII), ``_clean_dois`` is ``_clean_doi`` mapped
over a list, ``fold_many`` (which uses ``ascii_bulk``) is ``fold_words`` mapped over a list, and
``clean_arxiv_ids`` is ``clean_arxiv_id`` mapped over a list."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bibbridge.keylookup.index import (
    _ascii,
    _clean_doi,
    _clean_dois,
    ascii_bulk,
    clean_arxiv_id,
    clean_arxiv_ids,
    fold_many,
    fold_words,
)

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- ascii_bulk ----------------------------------------------------------------------------------------
SAMPLES = [
    "",
    "plain ASCII, nothing to do\n",
    "Müller, Gödel and Pérez",
    "e\u0301 a\u0300\u0323 o\u0308\u0304",  # combining marks after ASCII letters
    "\u0301\u0302 marks with nothing before them",
    "x\u20d7 y\u0483 z\u1ab0 marks outside U+0300-U+036F",
    "\u0301\u05b0 marks in non-canonical order",
    "Łukasz Łódź ł",
    "Straße ß ẞ",
    "½ ¼ ¾ ⅞ 2⁄3",
    "ﬁnal ﬂow ﬀ Ĳssel æther Œuvre ǅ",
    "机器学习 深度学习 日本語のテキスト",
    "한국어 텍스트",
    "Привет, мир! Ёж",
    "αβγ Ω Ω µ",
    "line\u2028separator\u2029paragraph\x85next line",
    "emoji 🤗👍🏽 🇩🇪 ❤️ and ZWJ 👩\u200d💻",
    "\n\n\nmany\n\n\nnewlines\n\n" + "Müller\n" * 20 + "\n\n",
    "ＡＢＣ ｆｕｌｌｗｉｄｔｈ x² H₂O ™ ℃ №",
    "\ufeffBOM\u00a0NBSP\u2009thin\u3000ideographic\tTab",
    "مَرحَبًا עִבְרִית",
    "Dvořák Ødegaard García naïve café coöperate",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_ascii_bulk_is_ascii_of_each_run(text):
    got = ascii_bulk(text)
    assert got == _ascii(text)
    assert got.isascii()
    assert got.count("\n") == text.count("\n")  # rows joined by newlines stay rows


def test_ascii_bulk_transliterates():
    assert ascii_bulk("Müller\nŁukasz\nStraße\n½") == "Muller\nLukasz\nStrasse\n1/2"
    assert ascii_bulk("ﬁnal\nПривет") == "final\nPrivet"
    assert ascii_bulk("a\u2028b") == "a b"  # a line break inside a row does not split it


def test_ascii_bulk_of_all_samples_at_once_is_each_sample():
    joined = "\n".join(SAMPLES)
    assert ascii_bulk(joined) == _ascii(joined) == "\n".join(map(_ascii, SAMPLES))


@PROPERTY
@given(st.text())
@example("\u0301")
@example("a\n\u0308\n\u00bd\u2028")
def test_ascii_bulk_is_ascii_on_any_text(text):
    assert ascii_bulk(text) == _ascii(text)


@PROPERTY
@given(st.lists(st.one_of(st.text(), st.sampled_from(SAMPLES)), max_size=6).map("\n".join))
def test_ascii_bulk_is_ascii_on_many_rows(text):
    assert ascii_bulk(text) == _ascii(text)


@PROPERTY
@given(
    st.lists(st.one_of(st.text(), st.sampled_from(SAMPLES)).map(lambda t: t.replace("\n", " ")), max_size=6)
)
def test_fold_many_is_fold_words_of_each(texts):
    assert fold_many(texts) == [fold_words(text) for text in texts]


# -- _clean_dois -----------------------------------------------------------------------------------------
PREFIXES = ["", " ", "\t", "\u00a0", "doi:", "DOI: ", "https://doi.org/", "http://dx.doi.org/", "url "]
SUFFIX_CHARS = list("abcXYZ019-._;()/<>:\\ \t") + ["\u0130", "\u212a", "é"]
TAIL_CHARS = list(".,; \t\r\x0b\x0c\x1c\x85") + ["\u2028", "\u00a0"]
DOI_LIKE = st.builds(
    lambda prefix, registrant, suffix, tail: f"{prefix}10.{registrant}/{suffix}{tail}",
    st.sampled_from(PREFIXES),
    st.from_regex(r"[0-9]{1,10}", fullmatch=True),
    st.text(st.sampled_from(SUFFIX_CHARS), max_size=12),
    st.text(st.sampled_from(TAIL_CHARS), max_size=4),
)
DOI_ITEM = st.one_of(DOI_LIKE, DOI_LIKE, DOI_LIKE.map(str.upper), st.just(""), st.text(max_size=12))


def reference(dois: list[str]) -> list[str]:
    return [_clean_doi(doi) if doi else "" for doi in dois]


def assert_clean_dois(dois: list[str]) -> None:
    assert _clean_dois(dois) == reference(dois)


@pytest.mark.parametrize(
    "dois",
    [
        [],
        [""],
        ["", ""],
        ["10.1038/nature14539"],
        ["10.1038/NATURE14539", "", "10.48550/arXiv.2310.12920"],
        ["10.1038/nature14539.", "10.1038/x;,", " 10.1/a \t", "10.1234/a\u00a0", "\u00a010.1234/a"],
        ["https://doi.org/10.48550/ARXIV.2310.12920", "doi:10.1145/3292500", "DOI: 10.1145/ABC."],
        ["not a doi", "10.1234/has space", "10.1234/tab\tinside", "10.12/short-registrant"],
        ["10.1234/a\r", "10.1234/a\u2028", "10.1234/a\x85", "10.1234/a\x1c", "10.1234/K\u212a\u0130"],
        ["10.1234/line\nbreak", "DOI:10.1234/X.", "10.1234/x ;"],  # a newline: one at a time
        ["10.1234/x" + ".,;" * 3, "10.1234/" + "y" * 200, "10."],
    ],
)
def test_clean_dois_is_clean_doi_of_each(dois):
    assert_clean_dois(dois)
    assert all(" " not in d and d == d.lower() for d in _clean_dois(dois))


def test_clean_dois_normalises():
    assert _clean_dois(["10.1038/NATURE14539.", "", "https://doi.org/10.48550/ARXIV.2310.12920", "junk"]) == [
        "10.1038/nature14539",
        "",
        "10.48550/arxiv.2310.12920",
        "",
    ]


@PROPERTY
@given(st.lists(DOI_ITEM, max_size=8))
@example(["10.1234/a", "10.1234/b;", ""])
@example(["10.1234/x ;", "10.1234/a"])
def test_clean_dois_is_clean_doi_of_each_on_any_list(dois):
    assert_clean_dois(dois)


@PROPERTY
@given(st.lists(st.text(), max_size=6))
def test_clean_dois_is_clean_doi_of_each_on_any_text(dois):
    assert_clean_dois(dois)


@pytest.mark.parametrize("doi", ["10.1234/x ;", "doi: 10.1234/X ,", "doi:10.1234/;", "10.", "10.;"])
def test_clean_dois_strip_trailing_punctuation_first(doi):
    assert _clean_dois([doi]) == [_clean_doi(doi)]


# -- clean_arxiv_ids -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "values",
    [
        [],
        [""],
        ["2310.12920", "", "1706.03762"],
        ["2310.12920", "arXiv:2310.12920v2", "hep-th/9802150", "junk", "https://arxiv.org/abs/1706.03762"],
        ["2310.129201", "23101.2920", "2310.12920 ", " 2310.12920"],
    ],
)
def test_clean_arxiv_ids_is_clean_arxiv_id_of_each(values):
    assert clean_arxiv_ids(values) == [clean_arxiv_id(value) if value else "" for value in values]


def test_clean_arxiv_ids_of_a_value_on_two_lines():
    values = ["2310.12920\n2310.12921", "2401.00001"]
    assert clean_arxiv_ids(values) == [clean_arxiv_id(value) for value in values] == ["", "2401.00001"]
