"""Reading text digests: the three layouts of the real digests, encodings, chrome, warnings, errors."""

from __future__ import annotations

import codecs
import datetime
import unicodedata

import pytest
from conftest import AS_OF, REAL_DIGESTS, digest_path

from bibbridge import read_digest, read_digests
from bibbridge.errors import InputError, UsageError

LISTING = "000_15dd5ef3f356a94c.txt"
BLOCKS = "001_88429e94ceb0c524.txt"
LINES = "004_928061713d22a60e.txt"

# Every paper of 000_…, as printed in the file: title line, start of the title, "• N authors", date line.
# (Listed by hand from the file; "-" where the paper has no metadata block.)
LISTING_AS_PRINTED = """
13  | Generative Marginalization Models                  | 3  | Oct 19, 2023
21  | The Flexibility Trap: Why Arbitrary Order Limits   | -  | -
25  | Reviving Any-Subset Autoregressive Models          | 2  | Apr 29, 2025
33  | OrderChain: Towards General Instruct-Tuning        | 10 | Apr 7, 2025
41  | Exact Learning of Permutations for Nonzero Binary  | 3  | Feb 23, 2025
49  | The Functional Machine Calculus III: Control       | 1  | Oct 9, 2025
57  | Blackbox Model Provenance via Palimpsestic         | 6  | Oct 22, 2025
65  | Order Theory in the Context of Machine Learning    | 5  | Dec 8, 2024
73  | Skill-it! A Data-Driven Skills Framework           | 7  | Jul 26, 2023
81  | Universal features of price formation              | 2  | Mar 19, 2018
89  | From Entropy to Epiplexity                         | 6  | Jan 6
97  | MarS: a Financial Market Simulation Engine         | 7  | Sep 4, 2024 2
105 | A Neural Network Perturbation Theory               | 2  | Sep 7, 2020
113 | The Universality Lens                              | 3  | Jun 9, 2025
121 | Pard: Permutation-Invariant Autoregressive         | 3  | Feb 5, 2024
129 | Any2Point: Empowering Any-modality                 | 11 | Apr 11, 2024
137 | Set-Based Prompting                                | 5  | Jun 4, 2024
145 | Sparse Model Soups                                 | 3  | Jun 29, 2023
153 | DeepONet: Learning nonlinear operators             | 3  | Oct 7, 2019
161 | The Relational Machine Calculus                    | 3  | May 17, 2024
169 | Orca: Progressive Learning                         | 6  | Jun 5, 2023 18
177 | Approximating the Top Eigenvector                  | 2  | Dec 16, 2024
185 | Learning to Relax                                  | 4  | Oct 3, 2023
193 | Order Matters: Sequence to sequence for sets       | 3  | Nov 19, 2015
201 | On the Existence of Simpler Machine Learning       | 3  | Aug 5, 2019
209 | When Do Curricula Work in Federated Learning?      | 8  | Dec 24, 2022 1
217 | On Penalty Methods for Nonconvex Bilevel           | 4  | Sep 4, 2023
225 | Offline Planning and Online Learning               | 3  | Jun 28, 2021
233 | Manipulate-Anything                                | 7  | Jun 27, 2024
241 | Monotone deep Boltzmann machines                   | 3  | Jul 10, 2023
"""


def _as_printed() -> list[tuple[int, str, int | None, str | None]]:
    rows = []
    for row in LISTING_AS_PRINTED.strip().splitlines():
        line, title, authors, date = (cell.strip() for cell in row.split("|"))
        rows.append(
            (int(line), title, None if authors == "-" else int(authors), None if date == "-" else date)
        )
    return rows


def _expected_date(printed: str, as_of: datetime.date) -> tuple[str, bool, int | None]:
    """ISO date, year inferred?, upvotes — from the printed date line, by the documented rule."""
    words = printed.replace(",", "").split()
    month = datetime.datetime.strptime(words[0], "%b").month
    day = int(words[1])
    if len(words) >= 3 and len(words[2]) == 4:
        return (
            datetime.date(int(words[2]), month, day).isoformat(),
            False,
            (int(words[3]) if len(words) == 4 else None),
        )
    date = datetime.date(as_of.year, month, day)
    if date > as_of:
        date = date.replace(year=as_of.year - 1)
    return date.isoformat(), True, int(words[2]) if len(words) == 3 else None


def _dicts(papers):
    out = []
    for paper in papers:
        record = paper.to_dict()
        record["source"] = {"line": record["source"]["line"]}  # the file name differs between variants
        out.append(record)
    return out


# -- the real digests ---------------------------------------------------------------------------
@pytest.mark.parametrize("name,count", sorted(REAL_DIGESTS.items()))
def test_real_digest_gives_exact_count_without_warnings(name, count):
    result = read_digests([digest_path(name)], as_of=AS_OF)
    assert len(result.papers) == count
    assert result.warnings == []
    assert all(paper.title and paper.abstract for paper in result.papers)


def test_listing_every_paper_has_its_printed_author_count_date_and_upvotes():
    papers = read_digest(digest_path(LISTING), as_of=AS_OF)
    rows = _as_printed()
    assert len(papers) == len(rows) == 30
    as_of = datetime.date.fromisoformat(AS_OF)
    for paper, (line, title, authors, printed) in zip(papers, rows, strict=True):
        assert paper.source["line"] == line
        assert paper.title.startswith(title)
        assert paper.author_count == authors
        if printed is None:
            assert (paper.published, paper.upvotes) == (None, None)
        else:
            assert (paper.published, paper.year_inferred, paper.upvotes) == _expected_date(printed, as_of)
        assert paper.authors == []  # the text only says how many
        assert paper.organization is None


def test_listing_paper_without_metadata_block():
    papers = read_digest(digest_path(LISTING), as_of=AS_OF)
    trap = papers[1]
    assert trap.title == (
        "The Flexibility Trap: Why Arbitrary Order Limits Reasoning Potential in Diffusion Language Models"
    )
    assert trap.abstract.startswith("Diffusion Large Language Models (dLLMs) break the rigid")
    assert trap.abstract.endswith("Project page: https://nzl-thu.github.io/the-flexibility-trap")
    assert (trap.author_count, trap.published, trap.upvotes) == (None, None, None)
    assert trap.urls == {
        "code": [],
        "project": ["https://nzl-thu.github.io/the-flexibility-trap"],
        "other": [],
    }
    # The paper after it keeps its own metadata block.
    assert papers[2].title.startswith("Reviving Any-Subset") and papers[2].author_count == 2


def test_year_less_date_takes_the_capture_year():
    papers = read_digest(digest_path(LISTING), as_of="2026-01-20")
    epiplexity = papers[10]
    assert epiplexity.title.startswith("From Entropy to Epiplexity")
    assert (epiplexity.published, epiplexity.year_inferred) == ("2026-01-06", True)
    # Captured on Jan 5, "Jan 6" cannot be this year's: it is last year's.
    earlier = read_digest(digest_path(LISTING), as_of=datetime.date(2026, 1, 5))[10]
    assert (earlier.published, earlier.year_inferred) == ("2025-01-06", True)


def _pairs_by_position(name: str, first: int, step: int) -> list[tuple[int, str, str]]:
    """Title/abstract pairs read the simplest way: fixed positions (these files are regular)."""
    lines = digest_path(name).read_text(encoding="utf-8").split("\n")
    pairs = []
    for number in range(first, len(lines) + 1, step):
        pairs.append((number, lines[number - 1], lines[number - 1 + step // 2]))
    return pairs


@pytest.mark.parametrize("name,first,step", [(BLOCKS, 11, 4), (LINES, 3, 2)])
def test_title_abstract_layouts_pair_every_title_with_its_abstract(name, first, step):
    papers = read_digest(digest_path(name), as_of=AS_OF)
    expected = _pairs_by_position(name, first, step)
    if name == LINES:  # the page's "Subscribe" is glued to the first title
        number, title, abstract = expected[0]
        assert title.startswith("SubscribeOn Sequential")
        expected[0] = (number, title.removeprefix("Subscribe"), abstract)
    got = [(p.source["line"], p.title, p.abstract) for p in papers]
    assert got == [(n, t.strip(), a.strip()) for n, t, a in expected]
    assert all(p.author_count is None and p.published is None for p in papers)


def test_page_chrome_is_dropped():
    chrome = {
        "new",
        "Get trending papers in your email inbox!",
        "Get trending papers in your email inbox once a day!",
        "Subscribe",
        "Daily Papers",
        "byAK and the research community",
        "Apr 17",
        "Mar 13",
    }
    for name in REAL_DIGESTS:
        papers = read_digest(digest_path(name), as_of=AS_OF)
        assert not {p.title for p in papers} & chrome
        assert not any(p.title.startswith(("Subscribe", "Get trending")) for p in papers)
    assert read_digest(digest_path(LINES), as_of=AS_OF)[0].title == (
        "On Sequential Loss Approximation for Continual Learning"
    )


def test_links_in_abstracts_are_sorted_and_trimmed():
    listing = read_digest(digest_path(LISTING), as_of=AS_OF)
    by_title = {p.title.split(":")[0]: p for p in listing}
    assert by_title["Generative Marginalization Models"].urls["code"] == [
        "https://github.com/PrincetonLIPS/MaM"
    ]
    # "Project Page: https://order-chain.github.io/." — the sentence's full stop is not part of the link.
    assert by_title["OrderChain"].urls["project"] == ["https://order-chain.github.io/"]
    assert by_title["MarS"].urls["code"] == ["https://github.com/microsoft/MarS/"]
    lines = read_digest(digest_path(LINES), as_of=AS_OF)
    urls = {p.title: p.urls for p in lines}
    umbc = next(u for t, u in urls.items() if t.startswith("Scalable Set Encoding"))
    assert umbc["code"] == ["https://github.com/jeffwillette/umbc"]  # printed without https://
    trace = urls["Trace is the New AutoDiff -- Unlocking Efficient Optimization of Computational Workflows"]
    assert trace["project"] == ["https://microsoft.github.io/Trace"]  # "Website: https://…"
    n_hits = urls["N-HiTS: Neural Hierarchical Interpolation for Time Series Forecasting"]
    assert n_hits["code"] == ["https://bit.ly/3VA5DoT"]  # "Our code is available at bit.ly/3VA5DoT"
    # "… to be published at https://aka.ms/orca-lm), a …": the unbalanced ")" is not part of the link.
    assert by_title["Orca"].urls["other"] == ["https://aka.ms/orca-lm"]


def test_same_paper_in_two_digests_becomes_one_record():
    result = read_digests([digest_path(LISTING), digest_path(BLOCKS)], as_of=AS_OF)
    titles = [p.title for p in result.papers]
    assert titles.count("Order Matters: Sequence to sequence for sets") == 1
    assert len(result.papers) == 30 + 74 - 5  # five papers are in both
    merged = next(p for p in result.papers if p.title == "Order Matters: Sequence to sequence for sets")
    assert (merged.author_count, merged.published) == (3, "2015-11-19")  # from the listing
    assert merged.source["file"].endswith(LISTING)
    everything = read_digests([digest_path(n) for n in sorted(REAL_DIGESTS)], as_of=AS_OF)
    assert len(everything.papers) == 30 + 74 + 233 - 5 - 1 - 6


def test_the_same_digest_twice_reads_once():
    assert len(read_digests([digest_path(LISTING)] * 2, as_of=AS_OF).papers) == 30


# -- encodings and odd Unicode --------------------------------------------------------------------
def _listing_bytes() -> bytes:
    return digest_path(LISTING).read_bytes()


def _variants() -> dict[str, bytes]:
    text = _listing_bytes().decode("utf-8")
    return {
        "crlf": text.replace("\n", "\r\n").encode("utf-8"),
        "cr": text.replace("\n", "\r").encode("utf-8"),
        "utf-8 bom": codecs.BOM_UTF8 + text.encode("utf-8"),
        "utf-16 bom": text.encode("utf-16"),
        "utf-16-be bom": codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        "utf-16-le no bom": text.encode("utf-16-le"),
        "utf-16 crlf": text.replace("\n", "\r\n").encode("utf-16"),
        "trailing spaces": "\n".join(line + "  \t" for line in text.split("\n")).encode("utf-8"),
        "nbsp": text.replace("Generative Marginalization", "Generative\u00a0Marginalization")
        .replace("  • 3 authors", "\u00a0\u00a0•\u00a03\u00a0authors")
        .encode("utf-8"),
        "zero-width": text.replace("Order Matters", "Order\u200b Matters\u200d")
        .replace("MaMs", "Ma\u2060Ms")
        .replace("\n·\n", "\n\ufeff·\u200b\n")
        .encode("utf-8"),
        "nfd": unicodedata.normalize("NFD", text).encode("utf-8"),
        "nfkc": unicodedata.normalize("NFKC", text).encode("utf-8"),
        "tabs": text.replace("  • ", "\t• ").encode("utf-8"),
    }


@pytest.mark.parametrize("variant", sorted(_variants()))
def test_encodings_line_ends_and_odd_unicode_do_not_change_the_result(variant, tmp_path):
    plain = read_digest(digest_path(LISTING), as_of=AS_OF)
    path = tmp_path / f"{variant.replace(' ', '-')}.txt"
    path.write_bytes(_variants()[variant])
    assert _dicts(read_digest(path, as_of=AS_OF)) == _dicts(plain)


def test_compatibility_characters_read_as_their_plain_letters():
    text = (
        "Ef\ufb01cient Ｔｒａｎｓｆｏｒｍｅｒｓ\u2009for Caf\u0065\u0301s\n\n"
        "We study ef\ufb01cient transformers and show that they are much faster than the baselines on "
        "every benchmark we tried, including n² attention.\n"
    )
    [paper] = read_digest(text, as_of=AS_OF)
    assert paper.title == "Efficient Transformers for Cafés"
    assert paper.abstract.startswith("We study efficient transformers")
    assert "n² attention" in paper.abstract  # meaningful characters stay (no NFKC on the text)


# -- organization, warnings -------------------------------------------------------------------------
ABSTRACT = (
    "We present a model trained on many tokens that reaches strong results on agentic, reasoning and "
    "coding tasks, and we release the weights and the code for everyone to use."
)


def test_organization_line_before_the_dot():
    text = (
        "Daily Papers\n\nGLM-4.5: Agentic, Reasoning, and Coding (ARC) Foundation Models\n\n"
        f"{ABSTRACT}\n\n  • 171 authors\nzai-org Z.ai\n·\nAug 8, 2025 187\n\n"
        f"Another Paper Title\n\n{ABSTRACT} Second.\n\n  • 2 authors\n·\nJan 3\n"
    )
    glm, other = read_digest(text, as_of="2026-01-20")
    assert (glm.author_count, glm.organization, glm.published, glm.upvotes) == (
        171,
        "zai-org Z.ai",
        "2025-08-08",
        187,
    )
    assert (other.organization, other.published, other.year_inferred) == (None, "2026-01-03", True)


def test_title_with_no_abstract_is_kept_with_a_warning():
    text = f"First Title\nSecond Title\n{ABSTRACT}\nThird Title\n{ABSTRACT} More.\n"
    result = read_digests([text], as_of=AS_OF)
    assert [p.title for p in result.papers] == ["First Title", "Second Title", "Third Title"]
    assert result.papers[0].abstract == ""
    [warning] = result.warnings
    assert warning.line == 1 and "title with no abstract" in warning.message
    assert str(warning) == "<text>:1: warning: title with no abstract: 'First Title'"


def test_last_title_without_abstract_is_kept_with_a_warning():
    text = f"A Title\n\n{ABSTRACT}\n\n  • 2 authors\n·\nJan 3, 2025\n\nLonely Title\n"
    result = read_digests([text], as_of=AS_OF)
    assert [p.title for p in result.papers] == ["A Title", "Lonely Title"]
    assert [(w.line, "no abstract" in w.message) for w in result.warnings] == [(9, True)]


def test_stray_metadata_lines_are_warnings_with_line_numbers():
    text = (
        f"A Title\n\n{ABSTRACT}\n\n  • 2 authors\n·\nJan 3, 2025\n  • 4 authors\n\n"
        f"B Title\n\n{ABSTRACT}\n\nMar 5, 2024\n"
    )
    result = read_digests([text], as_of=AS_OF)
    assert [p.title for p in result.papers] == ["A Title", "B Title"]
    assert result.papers[0].author_count == 2  # the stray line does not overwrite
    assert result.papers[1].published is None  # a date with no "·" or authors line is not trusted
    assert [w.line for w in result.warnings] == [8, 14]
    assert all("stray" in w.message for w in result.warnings)


def test_strict_turns_the_first_warning_into_an_error():
    text = f"First Title\nSecond Title\n{ABSTRACT}\n"
    with pytest.raises(InputError) as info:
        read_digest(text, as_of=AS_OF, strict=True)
    assert (info.value.file, info.value.line) == ("<text>", 1)
    assert "title with no abstract" in str(info.value)


def test_second_abstract_paragraph_is_joined_with_a_warning():
    text = f"A Title\n\n{ABSTRACT}\n\n{ABSTRACT}\n\nB Title\n\n{ABSTRACT}\n"
    result = read_digests([text], as_of=AS_OF)
    assert [p.title for p in result.papers] == ["A Title", "B Title"]
    assert result.papers[0].abstract == f"{ABSTRACT} {ABSTRACT}"
    assert [w.line for w in result.warnings] == [5]


# -- the year rule -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "printed,as_of,expected",
    [
        ("Jan 6", "2026-01-20", "2026-01-06"),
        ("Jan 20", "2026-01-20", "2026-01-20"),  # the capture day itself
        ("Jan 21", "2026-01-20", "2025-01-21"),  # would be after the capture date
        ("Dec 31", "2026-01-01", "2025-12-31"),
        ("Feb 29", "2026-03-01", "2024-02-29"),  # the latest Feb 29 not after the capture date
        ("Feb 29", "2028-03-01", "2028-02-29"),
        ("Sep 4, 2024", "2026-01-20", "2024-09-04"),  # a printed year is kept as is
    ],
)
def test_year_rule(printed, as_of, expected):
    text = f"A Title\n\n{ABSTRACT}\n\n  • 1 authors\n·\n{printed}\n"
    [paper] = read_digest(text, as_of=as_of)
    assert paper.published == expected
    assert paper.year_inferred == ("," not in printed)
    assert paper.author_count == 1


def test_as_of_accepts_a_date_and_defaults_to_today():
    text = f"A Title\n\n{ABSTRACT}\n\n  • 1 authors\n·\nJan 1\n"
    assert read_digest(text, as_of=datetime.date(2025, 6, 1))[0].published == "2025-01-01"
    assert read_digest(text)[0].published == f"{datetime.date.today().year}-01-01"
    with pytest.raises(UsageError, match="expected YYYY-MM-DD"):
        read_digest(text, as_of="20-01-2026")


def test_invalid_printed_date_is_a_warning():
    text = f"A Title\n\n{ABSTRACT}\n\n  • 1 authors\n·\nFeb 30, 2024\n"
    result = read_digests([text], as_of=AS_OF)
    assert result.papers[0].published is None
    assert [(w.line, "not a valid date" in w.message) for w in result.warnings] == [(7, True)]


# -- inputs that are not digests ---------------------------------------------------------------
@pytest.mark.parametrize(
    "content,message,line",
    [
        (b"", "empty file", None),
        (b"  \n\n \r\n", "empty file", None),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data", None),
        (b"hello\nworld\n", "not a digest bibbridge recognises", None),
        (b"new\n\nSubscribe\n\nDaily Papers\n\nApr 17\n", "no papers found", None),
        (
            b"Title\n\nAn abstract\xe9 in Latin-1, long enough to look like one, with many words in it.\n",
            "not valid UTF-8",
            3,
        ),
    ],
)
def test_bad_input_raises_input_error_naming_the_file(tmp_path, content, message, line):
    path = tmp_path / "digest.txt"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_digest(path, as_of=AS_OF)
    assert message in str(info.value)
    assert info.value.file == str(path) and info.value.line == line
    assert "\n" not in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_digest(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="is a directory"):
        read_digest(tmp_path)


def test_unknown_format_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown format 'bibtex'"):
        read_digest(digest_path(LISTING), format="bibtex")


def test_forced_text_format_reads_the_digest():
    assert len(read_digest(digest_path(BLOCKS), as_of=AS_OF, format="text")) == 74


def test_line_layout_with_a_lost_abstract_keeps_every_title(tmp_path):
    lines = digest_path(LINES).read_text(encoding="utf-8").split("\n")
    lost = lines.pop(99)  # the abstract of the paper whose title is on line 99
    assert len(lost) > 250
    path = tmp_path / "lost-abstract.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = read_digests([path], as_of=AS_OF)
    assert len(result.papers) == 233
    [warning] = result.warnings
    assert warning.line == 99 and "title with no abstract" in warning.message
    original = read_digest(digest_path(LINES), as_of=AS_OF)
    assert [p.title for p in result.papers] == [p.title for p in original]
    assert [p.abstract for p in result.papers if p.abstract] == [
        p.abstract for p in original if p.abstract != lost
    ]


def test_line_layout_with_a_lost_title_warns_instead_of_inventing_a_paper(tmp_path):
    lines = digest_path(LINES).read_text(encoding="utf-8").split("\n")
    lines.pop(98)  # the title on line 99: its abstract now follows the previous abstract
    path = tmp_path / "lost-title.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = read_digests([path], as_of=AS_OF)
    assert len(result.papers) == 232
    [warning] = result.warnings
    assert warning.line == 99 and "second abstract paragraph" in warning.message
    assert all(len(p.title) < 250 for p in result.papers)


@pytest.mark.parametrize(
    "abstract,expected",
    [
        (
            "Code is at https://github.com/PrincetonLIPS/MaM.",
            {"code": ["https://github.com/PrincetonLIPS/MaM"]},
        ),
        ("Project page: https://example.org/mam.", {"project": ["https://example.org/mam"]}),
        ("Our website (https://x.github.io/y) has demos.", {"project": ["https://x.github.io/y"]}),
        (
            "Data: huggingface.co/datasets/a/b; see also www.example.org/faq!",
            {"code": ["https://huggingface.co/datasets/a/b"], "other": ["https://www.example.org/faq"]},
        ),
        (
            "The implementation is at https://example.com/impl, https://example.com/impl.",
            {"code": ["https://example.com/impl"]},
        ),
        (
            "Read https://en.wikipedia.org/wiki/Set_(mathematics).",
            {"other": ["https://en.wikipedia.org/wiki/Set_(mathematics)"]},
        ),
        ("Inputs and/or outputs, 1/2 of w/o, mail me@github.com/x.", {}),
    ],
)
def test_find_urls(abstract, expected):
    from bibbridge.readers.urls import find_urls

    assert find_urls(abstract) == {"code": [], "project": [], "other": [], **expected}
