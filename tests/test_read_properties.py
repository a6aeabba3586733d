"""Property tests: random records rendered in each text layout read back to the same fields."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from bibbridge import read_digests
from bibbridge.text import fold

AS_OF = datetime.date(2026, 1, 20)
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

# Title words: plain, capitalised, with digits, hyphens and Unicode; never a month name, "new",
# "Subscribe" or "authors" (those would be page chrome or metadata on a line of their own).
WORDS = [
    "Learning",
    "Models",
    "Language",
    "Diffusion",
    "Sparse",
    "Graph",
    "Neural",
    "Reasoning",
    "Scaling",
    "Laws",
    "for",
    "of",
    "the",
    "via",
    "with",
    "and",
    "in",
    "Any2Point",
    "GPT-4",
    "3D",
    "2024",
    "7B",
    "Zero/Few-Shot",
    "LLMs",
    "Müller",
    "Étude",
    "Ω-Net",
    "学习",
    "naïve",
    "Café",
    "Δ-Tuning",
    "Orca",
    "k-NN",
    "(ARC)",
    "O(n²)",
    "Self-Play",
    "Vision-Language",
    "MoE",
    "R1",
    "Z.ai",
]
SENTENCE_WORDS = [
    "we",
    "propose",
    "a",
    "method",
    "that",
    "improves",
    "the",
    "accuracy",
    "of",
    "large",
    "language",
    "models",
    "on",
    "several",
    "benchmarks",
    "by",
    "up",
    "to",
    "12%",
    "experiments",
    "show",
    "results",
    "naïve",
    "baselines",
    "Müller",
    "et",
    "al.",
    "3D",
    "scenes",
    "über",
    "données",
    "résultats",
    "模型",
]


@dataclass
class Record:
    title: str
    abstract: str
    author_count: int | None = None
    organization: str | None = None
    month: int | None = None
    day: int | None = None
    year: int | None = None
    upvotes: int | None = None

    def date_line(self) -> str:
        line = f"{MONTHS[self.month - 1]} {self.day}"
        if self.year is not None:
            line += f", {self.year}"
        if self.upvotes is not None:
            line += f" {self.upvotes}"
        return line

    def expected_date(self) -> tuple[str | None, bool]:
        if self.month is None:
            return None, False
        if self.year is not None:
            return datetime.date(self.year, self.month, self.day).isoformat(), False
        date = datetime.date(AS_OF.year, self.month, self.day)
        if date > AS_OF:
            date = date.replace(year=AS_OF.year - 1)
        return date.isoformat(), True


@st.composite
def titles(draw) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=14))
    if len(words) > 2 and draw(st.booleans()):
        cut = draw(st.integers(1, len(words) - 1))
        words[cut - 1] += ":"
    title = " ".join(words)
    if draw(st.booleans()):
        title += draw(st.sampled_from(["?", "!", ""]))
    return title[0].upper() + title[1:]


@st.composite
def abstracts(draw) -> str:
    sentences = []
    for _ in range(draw(st.integers(2, 4))):
        words = draw(st.lists(st.sampled_from(SENTENCE_WORDS), min_size=6, max_size=16))
        sentence = " ".join(words)
        sentences.append(sentence[0].upper() + sentence[1:] + draw(st.sampled_from([".", ".", "!", "?"])))
    return " ".join(sentences).rstrip("!?") + "."


@st.composite
def records(draw, with_metadata: bool) -> Record:
    record = Record(draw(titles()), draw(abstracts()))
    if with_metadata and draw(st.integers(0, 4)):  # now and then a paper without a metadata block
        record.author_count = draw(st.integers(1, 400))  # "1 authors", as the page prints it
        record.month = draw(st.integers(1, 12))
        record.day = draw(st.integers(1, 28))
        record.year = draw(st.one_of(st.none(), st.integers(2010, 2026)))
        if record.year is not None and datetime.date(record.year, record.month, record.day) > AS_OF:
            record.year = 2025
        record.upvotes = draw(st.one_of(st.none(), st.integers(1, 5000)))
        if draw(st.booleans()):
            org_id = draw(st.from_regex(r"[a-z][a-z0-9-]{1,14}", fullmatch=True))
            name = draw(st.sampled_from(["Z.ai", "Google", "NVIDIA", "Université Paris", "Meta AI"]))
            record.organization = f"{org_id} {name}"
    return record


def digests(with_metadata: bool):
    return st.lists(records(with_metadata), min_size=1, max_size=6, unique_by=lambda r: fold(r.title))


CHROME_TOP = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"
    "byAK and the research community\n\nApr 17\n\n"
)


def render_listing(records: list[Record]) -> str:
    out = [CHROME_TOP]
    for r in records:
        out.append(f"{r.title}\n\n{r.abstract}\n\n")
        if r.author_count is not None:
            out.append(f"  • {r.author_count} authors\n")
            if r.organization:
                out.append(f"{r.organization}\n")
            out.append(f"·\n{r.date_line()}\n\n")
    return "".join(out)


def render_blocks(records: list[Record]) -> str:
    return CHROME_TOP + "".join(f"{r.title}\n\n{r.abstract}\n\n" for r in records)


def render_lines(records: list[Record]) -> str:
    body = "\n".join(f"{r.title}\n{r.abstract}" for r in records)
    # The page's chrome is glued to the first title, as in the real line-by-line digest.
    return (
        "Get trending papers in your email inbox once a day!\nGet trending papers in your email inbox!\n"
        f"Subscribe{body}\n"
    )


def _read(text: str):
    result = read_digests([text], as_of=AS_OF)
    assert result.warnings == []
    return result.papers


def _check_text(records, papers):
    assert [(p.title, p.abstract) for p in papers] == [(r.title, r.abstract) for r in records]


@settings(max_examples=100, deadline=None)
@given(digests(with_metadata=True))
def test_listing_with_metadata_round_trips(records):
    papers = _read(render_listing(records))
    _check_text(records, papers)
    for record, paper in zip(records, papers, strict=True):
        published, inferred = record.expected_date()
        assert paper.author_count == record.author_count
        assert paper.organization == record.organization
        assert (paper.published, paper.year_inferred) == (published, inferred)
        assert paper.upvotes == record.upvotes


@settings(max_examples=100, deadline=None)
@given(digests(with_metadata=False))
def test_title_abstract_blocks_round_trip(records):
    papers = _read(render_blocks(records))
    _check_text(records, papers)
    assert all(p.author_count is None and p.published is None for p in papers)


@settings(max_examples=100, deadline=None)
@given(digests(with_metadata=False))
def test_title_abstract_lines_round_trip(records):
    _check_text(records, _read(render_lines(records)))


@settings(max_examples=50, deadline=None)
@given(digests(with_metadata=True), st.sampled_from(["\r\n", "\n"]), st.booleans())
def test_line_ends_and_encoding_do_not_matter(records, newline, utf16):
    text = render_listing(records)
    data = text.replace("\n", newline).encode("utf-16" if utf16 else "utf-8-sig")
    assert [p.to_dict() for p in read_digests([data], as_of=AS_OF).papers] == [
        {**p.to_dict(), "source": {"file": "<bytes>", "line": p.source["line"]}} for p in _read(text)
    ]
