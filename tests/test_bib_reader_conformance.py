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
from pathlib import Path

import pytest
from conftest import SHARED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bibbridge.bib import reader
from bibbridge.bib.reader import SCAN_FIELDS, BibColumns, parse_bib, scan_bib, scan_columns
from bibbridge.keylookup.sources import BIB_FIELDS
from tests.support.generated_bib import generated_bib

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


def careful_only(text: str, fields=None):
    """The same text read with the fast path switched off."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader._Reader, "fast_entries", lambda self, pos: pos)
        return parse_bib(text, fields=fields)


def everything(bib) -> tuple:
    entries = [(e.entry_type, e.key, e.fields, e.line, e.end_line, e.start, e.end) for e in bib.entries]
    return entries, bib.problems, bib.warnings, bib.strings, bib.preambles, bib.comments


#: The field sets the fast path is checked with (None: a full parse).
FIELD_SETS = (None, SCAN_FIELDS, ("title", "Year", "abstract", "urldate"), ())
#: scan_columns takes a collection of names: the scans above, what key lookup reads, and names with
#: punctuation (captured by the fast regex) or that no field name can have (never captured).
COLUMN_FIELD_SETS = tuple(fields for fields in FIELD_SETS if fields is not None) + (
    BIB_FIELDS,
    ("n.b", "A-B", "field_x", "x(y)+", "na\u0308me", "two words", ""),
)


def as_columns(bib, fields) -> BibColumns:
    """What scan_columns promises for ``fields``: parse_bib's entries as columns."""
    names = [name.lower() for name in fields]
    entries = bib.entries
    return BibColumns(
        keys=[e.key for e in entries],
        lines=[e.line for e in entries],
        fields={name: [e.fields.get(name, "") for e in entries] for name in names},
        strings=bib.strings,
        problems=bib.problems,
    )


def assert_columns_are_careful(text: str, field_sets=COLUMN_FIELD_SETS) -> None:
    """scan_columns gives the careful parser's entries, values, macros and problems, as columns."""
    for fields in field_sets:
        got = scan_columns(text, fields)
        expected = as_columns(careful_only(text, fields), fields)
        assert got.keys == expected.keys, fields
        assert got.lines == expected.lines, fields
        assert got.fields == expected.fields, fields
        assert got.strings == expected.strings, fields
        assert got.problems == expected.problems, fields
        assert len(got) == len(expected.keys)


def assert_fast_is_careful(text: str) -> None:
    """The fast path gives exactly what the careful parser gives: full parse, scans and columns."""
    for fields in FIELD_SETS:
        assert everything(parse_bib(text, fields=fields)) == everything(careful_only(text, fields)), fields
    assert_columns_are_careful(text)


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
    assert_columns_are_careful(text)


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
    assert_agrees(generated_bib(150, seed=7))


# -- generated .bib text ----------------------------------------------------------------------------
WS = st.sampled_from(["", " ", "  ", "\n", "\n  ", "\t", " \r\n   "])
PLAIN = st.lists(
    st.sampled_from(list("abcXYZ019 .,:;-_/\\$^~'&=%#@()\n\t\"") + ["é", "Ł", "{}", "\r\n"]), max_size=12
).map("".join)


@st.composite
def braced(draw, depth=0):
    parts = draw(st.lists(PLAIN if depth >= 2 else st.one_of(PLAIN, braced(depth + 1)), max_size=3))
    return "{" + "".join(parts) + "}"


@st.composite
def quoted(draw):
    inner = draw(
        st.lists(st.one_of(PLAIN.map(lambda s: s.replace('"', "").replace("{}", "")), braced(1)), max_size=3)
    )
    return '"' + "".join(inner) + '"'


MACROS = ["jan", "Dec", "venue", "short"]
PART = st.one_of(braced(), quoted(), st.sampled_from(MACROS))
VALUE = st.one_of(
    braced(),
    braced(),
    quoted(),
    st.from_regex(r"[0-9]{1,4}", fullmatch=True),
    st.sampled_from(MACROS),
    st.builds(lambda a, w, b: f"{a}{w}#{w}{b}", PART, WS, PART),
    # long values take the str.find path
    st.integers(300, 700).map(lambda n: "{" + ("long text " * n)[:n] + "{x} end}"),
)
NAME = st.sampled_from(
    [
        "title",
        "Title",
        "author",
        "year",
        "doi",
        "eprint",
        "abstract",
        "note",
        "url",
        "archivePrefix",
        "field_x",
        "a-b",
        "n.b",
        "X(y)+",
    ]
)


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
    entry(),
    entry(),
    entry(),
    st.sampled_from(
        [
            "% a comment line",
            "junk text",
            "@comment{ignored}",
            '@preamble{ "x" }',
            '@string{venue = "Conf."}',
            '@string(short = {S} # "hort")',
            "% @misc{commented, a={b}}",
            "@comment{jabref-meta: x;}",
            "",
        ]
    ),
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


# -- the fast path against the careful parser, on adversarial text -----------------------------------
# Values holding what the fast path must not be fooled by: lines that look like fields or entries,
# backslash-"escaped" braces (BibTeX does not escape them), quotes, '%', '#', '@', tabs, every line
# break str.splitlines knows, empty and deeply nested braces.
TRAPS = [
    "\n  title = {evil}",
    "},\n  year = {2020",
    "\n}\n@misc{inner,\n  title = {x}",
    "@misc{x,",
    "\\{",
    "\\}",
    '"',
    '"quoted"',
    "% not a comment",
    "#",
    " = ",
    ",",
    "\t",
    "\r\n",
    "\u2028",
    "\x85",
    "\x0b",
    "{}",
    "{{}}",
    "{a{b{c{d{e}}}}}",
    "{a{b{c}}}",
    "Ł",
    "$x^{2}$",
    '{\\"u}',
]
ADVERSE = st.lists(st.one_of(PLAIN, st.sampled_from(TRAPS)), max_size=6).map("".join)


@st.composite
def adverse_braced(draw, depth=0):
    inner = ADVERSE if depth >= 3 else st.one_of(ADVERSE, adverse_braced(depth + 1))
    parts = draw(st.lists(inner, max_size=3))
    return "{" + "".join(parts) + "}"


ADVERSE_VALUE = st.one_of(
    adverse_braced(),
    adverse_braced(),
    quoted(),
    st.from_regex(r"[0-9]{1,4}", fullmatch=True),
    st.sampled_from(MACROS + ["undefined"]),
    st.builds(lambda a, b: f"{a} # {b}", PART, PART),
    st.integers(300, 900).map(lambda n: "{" + ("An abstract, " * n)[:n] + "{LoRA} $N^{2}$ end.}"),
)
ADVERSE_NAME = st.sampled_from(
    [
        "title",
        "Title",
        "TITLE",
        "author",
        "year",
        "abstract",
        "url",
        "urldate",
        "doi",
        "eprint",
        "archivePrefix",
        "note",
    ]
)


@st.composite
def adverse_entry(draw):
    fields = draw(st.lists(st.tuples(ADVERSE_NAME, ADVERSE_VALUE), min_size=1, max_size=6))
    indent = draw(st.sampled_from(["\n  ", "\n\t", " ", "\r\n    "]))
    body = ",".join(f"{indent}{name}{draw(WS)}={draw(WS)}{value}" for name, value in fields)
    kind = draw(st.sampled_from(["article", "misc", "online", "String", "webpage"]))
    key = draw(st.sampled_from(["k1", "k2", "K1", "Key:2020", "k-3"]))
    return f"@{kind}{{{key},{body}{draw(st.sampled_from(['', ',']))}{indent[:1]}}}"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.one_of(adverse_entry(), adverse_entry(), BLOCK),
            st.sampled_from(["\n", "\n\n", "\r\n", " ", "\n% comment\n"]),
        ),
        max_size=5,
    )
)
def test_fast_path_is_the_careful_parser_on_adversarial_text(blocks):
    text = '@string{venue = "Conf."}\n@string{short = {S}}\n' + "".join(b + sep for b, sep in blocks)
    assert_fast_is_careful(text)


def test_fast_path_is_the_careful_parser_on_the_benchmark_library():
    text = generated_bib(300, seed=3)
    assert_fast_is_careful(text)
    assert_fast_is_careful(text.replace("\n", "\r\n"))


def test_regular_entries_take_the_fast_path():
    # Only @string, @comment and the like should reach the careful parser in a well-formed library.
    text = generated_bib(600, seed=5)
    careful_blocks = []
    block = reader._Reader.block

    def counted(self, pos):
        careful_blocks.append(pos)
        return block(self, pos)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader._Reader, "block", counted)
        for fields in (None, SCAN_FIELDS):
            careful_blocks.clear()
            bib = parse_bib(text, fields=fields)
            assert len(bib.entries) == 600
            assert all(text.startswith(("@string", "@comment"), pos) for pos in careful_blocks)


@pytest.mark.parametrize(
    "text",
    [
        "@misc{a,\n  title = {x},\n  Title = {y},\n  title = {z}\n}\n",  # bibtexparser's repeat rule
        "@misc{a,\n  title = {x},\n  title = {y}\n}\n",
        "@misc{a,\n  title = {A\tB},\n  year = 2020\n}\n",  # tabs are expanded by column
        "@misc{a,\n  title = {{Learning {GPT}}},\n  year = 2020\n}\n",
        "@misc{a,\n  title = {Two\r\n   lines},\n  note = {a\u2028b}\n}\n",
        '@misc{a,\n  title = "The {LaTeX} \\"{u}" # venue,\n  year = {2020}}\n',
        "@misc{a,\n  title = {x}} junk }\n@misc{b, title = {y}}\n",
        "@misc{a,\n  abstract = {has \\} inside},\n  title = {t}\n}\n",
        "@misc{a,\n  abstract = {line\n  title = {fake}},\n  title = {real}\n}\n",
        "@misc{a,\n  title = {deep {1{2{3{4{5}}}}}}\n}\n",
        "@misc{a, title = {x}, year = 2020a}\n",
        "@misc{a, title = {x}, month = jan, journal = undefinedmacro}\n",
        "@article{k1,\n  title={@misc{x,\n}\n@misc{inner,\n  title = {x}}\n}\n",  # lines after a broken entry
    ],
)
def test_fast_path_is_the_careful_parser_on_tricky_entries(text):
    assert_fast_is_careful(text)


# -- scan_columns: the same reading, as columns ------------------------------------------------------
def test_columns_name_the_fields_as_asked_lower_cased():
    text = "@misc{a,\n  Title = {T},\n  YEAR = 2020\n}\n@misc{b, note = {n}}\n"
    columns = scan_columns(text, ("Title", "year", "doi"))
    assert columns.keys == ["a", "b"] and columns.lines == [1, 5] and len(columns) == 2
    assert columns.fields == {"title": ["T", ""], "year": ["2020", ""], "doi": ["", ""]}
    assert_columns_are_careful(text, [("Title", "year", "doi"), ("TITLE", "title")])
    with pytest.raises(TypeError):
        scan_columns(text, "title")


def test_columns_around_entries_read_the_careful_way():
    # Runs of fast entries broken by blocks the careful parser reads (a '#', a tab, a repeated field, a
    # malformed entry, @string, text hiding an entry): values, lines and problems stay in file order.
    good = "".join(f"@article{{g{i},\n  title = {{Good {i}}},\n  year = {2000 + i},\n}}\n" for i in range(3))
    text = (
        good
        + '@string{venue = "Conf."}\n'
        + "@misc{cat,\n  title = {A} # venue,\n  journal = venue\n}\n"
        + good.replace("{g", "{h")
        + "@misc{tab,\n  title = {A\tB}}\n"
        + "@misc{rep,\n  title = {one},\n  Title = {two}\n}\n"
        + "@misc{broken,\n  title = {unclosed,\n  year = 2020\n}\n\n"
        + good.replace("{g", "{i")
        + "junk @misc{hidden, title = {x}}\n"
        + good.replace("{g", "{j")
    )
    columns = scan_columns(text, BIB_FIELDS)
    assert columns.keys[:4] == ["g0", "g1", "g2", "cat"]
    assert columns.fields["journal"][3] == "Conf."
    assert columns.problems  # the unclosed entry and the hidden one
    assert_columns_are_careful(text)


def test_columns_of_a_path_are_those_of_its_text(tmp_path):
    text = "\ufeff" + generated_bib(200, seed=11)
    path = tmp_path / "library.bib"
    path.write_text(text, encoding="utf-8")
    for fields in COLUMN_FIELD_SETS:
        from_path = scan_columns(path, fields)
        assert from_path == scan_columns(text, fields)
        assert from_path == as_columns(reader.read_bib(path, fields), fields)
    assert len(scan_columns(str(path), BIB_FIELDS)) == 0  # a str is .bib text, not a file name
    assert len(scan_columns(path, BIB_FIELDS)) == 200


def test_columns_of_a_latin1_file(tmp_path):
    text = (
        "@string{pub = {Universit\xe4t}}\n"
        "@article{mueller,\n  title = {M\xfcller's \xabnotes\xbb},\n  author = {G\xf6del, Kurt},\n"
        "  journal = pub,\n  year = 1931\n}\n"
        "@misc{plain,\n  title = {Plain ASCII},\n  year = {2020}\n}\n"
    )
    path = tmp_path / "latin1.bib"
    path.write_bytes(text.encode("latin-1"))
    columns = scan_columns(path, BIB_FIELDS)
    assert columns.keys == ["mueller", "plain"] and columns.lines == [2, 8]
    assert columns.fields["title"] == ["M\xfcller's \xabnotes\xbb", "Plain ASCII"]
    assert columns.fields["author"] == ["G\xf6del, Kurt", ""]
    assert columns.fields["journal"] == ["Universit\xe4t", ""]
    assert columns.strings == {"pub": "Universit\xe4t"}
    assert columns == scan_columns(text, BIB_FIELDS)
    assert columns == as_columns(reader.read_bib(path, BIB_FIELDS), BIB_FIELDS)


# A macro whose value is "{}" (two parts joined by '#', so it is not cleaned to "") stays "{}" where an
# entry uses it alone: bibtexparser 1.4.4 and the careful parser give "{}".
EMPTY_BRACES_MACRO = (
    "@string{e = {{}} # {}}\n@misc{a,\n  title = e,\n  year = 2020\n}\n@misc{b, title = {x}}\n"
)


def test_a_macro_holding_empty_braces_is_read_as_bibtexparser_reads_it():
    assert theirs(EMPTY_BRACES_MACRO)[0]["title"] == "{}"
    assert careful_only(EMPTY_BRACES_MACRO).entries[0].fields["title"] == "{}"
    assert parse_bib(EMPTY_BRACES_MACRO, fields=("title",)).entries[0].fields["title"] == "{}"


def test_columns_keep_a_macro_holding_empty_braces():
    assert scan_columns(EMPTY_BRACES_MACRO, ("title",)).fields["title"] == ["{}", "x"]


def test_full_parse_keeps_a_macro_holding_empty_braces():
    assert parse_bib(EMPTY_BRACES_MACRO).entries[0].fields["title"] == "{}"
