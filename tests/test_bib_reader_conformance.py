"""bibbridge.bib.reader agrees with bibtexparser 1.4.4 (default parser): on every file of its own test
suite (../shared/conformance/bibtexparser-1.4.4-data), on generated .bib text (hypothesis), and on a
slice of the benchmark's realistic library. Its fast path agrees with its careful parser everywhere.

Deliberate difference (see docs/python-api.md): bibtexparser's default parser drops entries whose type
is not one of plain BibTeX's 14; we return them (with a warning for types biblatex does not know
either). So entries are compared against BibTexParser(ignore_nonstandard_types=False), and the
standard-type subset against the default parser.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SHARED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bibbridge.bib import reader
from bibbridge.bib.reader import SCAN_FIELDS, parse_bib, scan_bib

bibtexparser = pytest.importorskip("bibtexparser")
from bibtexparser.bibdatabase import STANDARD_TYPES, UndefinedString  # noqa: E402
from bibtexparser.bparser import BibTexParser  # noqa: E402

DATA = SHARED / "conformance" / "bibtexparser-1.4.4-data"
FILES = sorted(p.name for p in DATA.glob("*.bib")) if DATA.is_dir() else []
NO_DATA = "../shared/conformance/bibtexparser-1.4.4-data is not beside this clone"


@pytest.fixture(autouse=True)
def quiet_bibtexparser():
    # bibtexparser logs a line for every non-standard entry type and every redefined macro.
    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)


def theirs(text: str, standard_only: bool = False) -> list[dict[str, str]]:
    parser = BibTexParser(ignore_nonstandard_types=standard_only)
    return bibtexparser.loads(text, parser).entries


def ours(bib) -> list[dict[str, str]]:
    return [dict(e.fields, ENTRYTYPE=e.entry_type, ID=e.key) for e in bib.entries]


def careful_only(text: str):
    """The same text read with the fast path switched off."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader._Reader, "fast_entries", lambda self, pos: pos)
        return parse_bib(text)


def assert_agrees(text: str) -> None:
    bib = parse_bib(text)
    assert ours(bib) == theirs(text)
    standard = [e for e in ours(bib) if e["ENTRYTYPE"] in STANDARD_TYPES]
    assert standard == theirs(text, standard_only=True)
    careful = careful_only(text)
    assert ours(careful) == ours(bib)
    assert [(e.start, e.end, e.line, e.end_line) for e in careful.entries] == [
        (e.start, e.end, e.line, e.end_line) for e in bib.entries
    ]
    assert careful.problems == bib.problems
    scanned = scan_bib(text)
    assert [(e.key, e.start, e.end, e.line) for e in scanned] == [
        (e.key, e.start, e.end, e.line) for e in bib.entries
    ]
    assert [e.fields for e in scanned] == [
        {k: v for k, v in e.fields.items() if k in SCAN_FIELDS} for e in bib.entries
    ]


@pytest.mark.skipif(not FILES, reason=NO_DATA)
@pytest.mark.parametrize("name", FILES)
def test_agrees_with_bibtexparser_on_its_own_test_files(name):
    text = (DATA / name).read_text(encoding="utf-8")
    assert_agrees(text)
    bib = parse_bib(text)
    theirs_db = bibtexparser.loads(text, BibTexParser(ignore_nonstandard_types=False))
    assert bib.comments == theirs_db.comments
    assert all(theirs_db.strings[name] == value for name, value in bib.strings.items())


# What we say about the "broken" files of that suite. None of them is malformed BibTeX: wrong.bib has an
# entry type no style knows (bibtexparser silently drops it; we return it and warn), the others read
# the same in bibtex(1). So no problems, which would make a merge refuse the file.
EXPECTED_WARNINGS = {
    "wrong.bib": [(3, "unknown entry type @wrong{foo}")],
    "article_missing_coma.bib": [],
    "traps.bib": [],
    "biber-examples.bib": [
        (1543, "duplicate citation key 'tmn4'"),
        (1632, "unknown entry type @CONVERSATION{us1}"),
    ],
}


@pytest.mark.skipif(not FILES, reason=NO_DATA)
@pytest.mark.parametrize("name", sorted(EXPECTED_WARNINGS))
def test_reports_the_suites_odd_files(name):
    bib = parse_bib((DATA / name).read_text(encoding="utf-8"))
    assert bib.problems == []
    expected = EXPECTED_WARNINGS[name]
    assert len(bib.warnings) == len(expected)
    got = [(w.line, w.message[: len(text)]) for w, (_, text) in zip(bib.warnings, expected, strict=True)]
    assert got == expected


def test_agrees_on_a_slice_of_the_benchmark_library():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from genbib import generate_bib
    finally:
        sys.path.remove(str(ROOT / "bench"))
    assert_agrees(generate_bib(150, seed=7))


# -- generated .bib text ----------------------------------------------------------------------------
WS = st.sampled_from(["", " ", "  ", "\n", "\n  ", "\t", " \r\n   "])
PLAIN = st.lists(st.sampled_from(list("abcXYZ019 .,:;-_/\\$^~'&=%#@()\n\t\"") + ["é", "Ł", "{}", "\r\n"]),
                 max_size=12).map("".join)


@st.composite
def braced(draw, depth=0):
    parts = draw(st.lists(PLAIN if depth >= 2 else st.one_of(PLAIN, braced(depth + 1)), max_size=3))
    return "{" + "".join(parts) + "}"


@st.composite
def quoted(draw):
    inner = draw(st.lists(st.one_of(PLAIN.map(lambda s: s.replace('"', "").replace("{}", "")), braced(1)),
                          max_size=3))
    return '"' + "".join(inner) + '"'


MACROS = ["jan", "Dec", "venue", "short"]
PART = st.one_of(braced(), quoted(), st.sampled_from(MACROS))
VALUE = st.one_of(
    braced(), braced(), quoted(), st.from_regex(r"[0-9]{1,4}", fullmatch=True), st.sampled_from(MACROS),
    st.builds(lambda a, w, b: f"{a}{w}#{w}{b}", PART, WS, PART),
    # long values take the str.find path
    st.integers(300, 700).map(lambda n: "{" + ("long text " * n)[:n] + "{x} end}"),
)
NAME = st.sampled_from(["title", "Title", "author", "year", "doi", "eprint", "abstract", "note", "url",
                        "archivePrefix", "field_x", "a-b", "n.b"])


@st.composite
def entry(draw):
    ws = draw(WS)
    fields = draw(st.lists(st.tuples(NAME, VALUE), min_size=0, max_size=5))
    comma_first = draw(st.booleans())
    body = "".join(
        (f"{ws}, {name}{draw(WS)}={draw(WS)}{value}" if comma_first else f",{ws}{name} = {value}")
        for name, value in fields
    )
    trailing = draw(st.sampled_from(["", ",", f",{ws}"]))
    kind = draw(st.sampled_from(["article", "MISC", "online", "inproceedings", "wrongtype"]))
    key = draw(st.sampled_from(["k1", "Key:2020", "k-3", "k1", ""]))
    text = f"@{kind}{draw(WS)}{{{key}{body}{trailing}{draw(WS)}}}"
    # sometimes break it the ways users do
    damage = draw(st.sampled_from(["", "", "", "drop_brace", "drop_comma", "extra_brace", "drop_quote"]))
    if damage == "drop_brace" and "}" in text:
        text = text[: text.rfind("}")] + text[text.rfind("}") + 1 :]
    elif damage == "drop_comma" and "," in text:
        text = text.replace(",", "", 1)
    elif damage == "extra_brace":
        text = text.replace("=", "= {", 1)
    elif damage == "drop_quote" and '"' in text:
        text = text.replace('"', "", 1)
    return text


BLOCK = st.one_of(
    entry(), entry(), entry(),
    st.sampled_from(["% a comment line", "junk text", "@comment{ignored}", "@preamble{ \"x\" }",
                     '@string{venue = "Conf."}', "@string(short = {S} # \"hort\")",
                     "% @misc{commented, a={b}}", "@comment{jabref-meta: x;}", ""]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(BLOCK, st.sampled_from(["\n", "\n\n", "\r\n", " ", "\n  "])), max_size=6))
def test_agrees_with_bibtexparser_on_generated_text(blocks):
    text = '@string{venue = "Conf."}\n@string{short = {S}}\n' + "".join(b + sep for b, sep in blocks)
    try:
        expected = theirs(text)
    except UndefinedString:
        return  # e.g. a macro inside a broken block; bibtexparser reads nothing at all then
    bib = parse_bib(text)
    assert ours(bib) == expected
    assert_agrees(text)
    for entry_ in bib.entries:
        assert text[entry_.start] == "@" and text[entry_.end - 1] == "}"


def test_offsets_cover_the_file_between_entries_and_comments():
    if not FILES:
        pytest.skip(NO_DATA)
    bib = parse_bib(Path(DATA / "biber-examples.bib").read_text(encoding="utf-8"))
    previous = 0
    for entry_ in bib.entries:
        assert entry_.start >= previous
        verbatim = bib.verbatim(entry_)
        assert verbatim.count("{") == verbatim.count("}")
        previous = entry_.end
