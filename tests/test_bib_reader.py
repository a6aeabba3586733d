"""Reading users' existing .bib files: bibbridge.bib.reader (parse_bib, read_bib, scan_bib)."""

from __future__ import annotations

import pytest

from bibbridge.bib.reader import BibProblem, parse_bib, read_bib, scan_bib
from bibbridge.errors import InputError

LIBRARY = """\
% My library -- edited by hand.
@string{nips = "Advances in Neural Information Processing Systems"}
@preamble{ "\\newcommand{\\noopsort}[1]{}" }
@comment{jabref-meta: databaseType:bibtex;}

@inproceedings{vaswani2017attention,
  title     = {Attention Is All You Need},
  author    = {Vaswani, Ashish and Shazeer, Noam},
  booktitle = nips,
  year      = 2017,
  month     = dec,
}

@misc{brown2020language,
  title         = {Language Models are {Few-Shot} Learners},
  author        = "Brown, Tom B. and Mann, Benjamin",
  eprint        = {2005.14165},
  archivePrefix = {arXiv},
  note          = "Version " # "4",
  abstract      = {Recent work has demonstrated
                   substantial gains.},
}
"""


def test_entries_fields_and_line_numbers():
    bib = parse_bib(LIBRARY, file="refs.bib")
    assert [(e.entry_type, e.key, e.line, e.end_line) for e in bib.entries] == [
        ("inproceedings", "vaswani2017attention", 6, 12),
        ("misc", "brown2020language", 14, 22),
    ]
    first, second = bib.entries
    assert first.fields == {
        "title": "Attention Is All You Need",
        "author": "Vaswani, Ashish and Shazeer, Noam",
        "booktitle": "Advances in Neural Information Processing Systems",  # @string macro interpolated
        "year": "2017",
        "month": "December",  # bibtexparser 1.4's predefined month macros
    }
    assert second.fields["title"] == "Language Models are {Few-Shot} Learners"  # inner braces kept
    assert second.fields["archiveprefix"] == "arXiv"  # names lower-cased
    assert second.fields["note"] == "Version 4"  # '#' concatenation resolved
    assert second.fields["abstract"] == "Recent work has demonstrated\nsubstantial gains."
    assert bib.problems == [] and bib.warnings == []


def test_offsets_give_each_entry_verbatim():
    bib = parse_bib(LIBRARY)
    for entry in bib.entries:
        verbatim = bib.verbatim(entry)
        assert verbatim == LIBRARY[entry.start : entry.end]
        assert verbatim.startswith("@") and verbatim.endswith("}")
        assert parse_bib(verbatim).entries[0].key == entry.key
    assert bib.verbatim(bib.entries[0]).startswith("@inproceedings{vaswani2017attention,\n")
    assert LIBRARY[bib.entries[-1].end :] == "\n"


def test_strings_preambles_and_comments():
    bib = parse_bib(LIBRARY)
    assert bib.strings == {"nips": "Advances in Neural Information Processing Systems"}
    assert bib.preambles == ["\\newcommand{\\noopsort}[1]{}"]
    assert bib.comments == ["% My library -- edited by hand.", "jabref-meta: databaseType:bibtex;"]


def test_get_finds_a_key_case_insensitively():
    bib = parse_bib(LIBRARY)
    assert bib.get("Brown2020Language").key == "brown2020language"
    assert bib.get("nobody") is None


def test_scan_extracts_only_the_named_fields():
    entries = scan_bib(LIBRARY, ("title", "eprint"))
    assert [(e.key, e.fields) for e in entries] == [
        ("vaswani2017attention", {"title": "Attention Is All You Need"}),
        ("brown2020language", {"title": "Language Models are {Few-Shot} Learners", "eprint": "2005.14165"}),
    ]
    full = parse_bib(LIBRARY).entries
    assert [(e.start, e.end, e.line) for e in entries] == [(e.start, e.end, e.line) for e in full]
    with pytest.raises(TypeError):
        scan_bib(LIBRARY, "title")


def test_scan_reads_a_path(tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text(LIBRARY, encoding="utf-8")
    assert [e.key for e in scan_bib(path)] == ["vaswani2017attention", "brown2020language"]


# -- malformed files: problems a user can act on ------------------------------------------------------
@pytest.mark.parametrize(
    "text, line, words",
    [
        ("@article{a,\n  title = {Open {brace},\n  year = 2020\n}\n", 1, "not closed before the end of"),
        ("@article{a,\n  title = {Open {brace},\n", 1, "the '{' opening 'title' is never closed"),
        ("@article{,\n  title = {No key}\n}\n", 1, "no citation key"),
        ("@article{nokeycomma\n  title = {x}\n}\n", 1, "no ',' after the citation key 'nokeycomma'"),
        ("@article{a,\n  title = {x}\n  year = 2020\n}\n", 1, "missing ',' or '}' after field 'title'"),
        ('@article{a,\n  title = "Unterminated,\n}\n', 1, "unbalanced '}' inside the quoted value"),
        ('@article{a,\n  title = "Unterminated,\n', 1, "'\"' opening the value of 'title' is never closed"),
        ("@article{a,\n  title\n}\n", 1, "no '=' after field name 'title'"),
        ("@misc{alone}\n", 1, "has no fields"),
        ("@misc{b,}\n", 1, "has no fields"),
        ("\n\n@article{a, title = {x}} junk @article{b, title = {y}}\n", 3, "hidden by the text before it"),
        ("@misc{a}@misc{b, title = {x}}\n", 1, "suspicious citation key 'a}@misc{b'"),
        ("@misc{title = {x},\n  year = 2020}\n", 1, "has no citation key (it starts with field 'title'"),
        ("@misc{title={x},\n  year = 2020}\n", 1, "suspicious citation key 'title={x}'"),
        ("@string{x = }\n", 1, "malformed @string"),
    ],
)
def test_malformed_spots_are_problems_with_a_line(text, line, words):
    bib = parse_bib(text, file="refs.bib")
    assert bib.problems, text
    assert bib.problems[0].line == line
    assert words in bib.problems[0].message
    problem_line, message = bib.problems[0]  # unpacks like a (line, message) pair
    with pytest.raises(InputError) as caught:
        bib.raise_for_problems()
    assert str(caught.value).startswith(f"refs.bib:{problem_line}: malformed .bib: {message}")


def test_a_broken_entry_does_not_hide_the_next_one():
    text = "@article{a,\n  title = {Open {brace},\n}\n@article{b,\n  title = {Fine}\n}\n"
    bib = parse_bib(text)
    assert [e.key for e in bib.entries] == ["b"]
    assert bib.entries[0].line == 4
    assert [p.line for p in bib.problems] == [1]


def test_readable_oddities_are_warnings_not_problems():
    text = (
        "@online{site, url = {https://example.org}}\n"
        "@webpage{page, title = {Unknown type}}\n"
        "@misc{Dup, title = {One}}\n"
        "@misc{dup, title = {Two}}\n"
        "@misc{m, journal = undefinedmacro}\n"
        "%@misc{commented, title = {Out}}\n"
    )
    bib = parse_bib(text)
    assert bib.problems == []
    assert [e.key for e in bib.entries] == ["site", "page", "Dup", "dup", "m"]
    assert bib.entries[-1].fields == {"journal": ""}
    messages = [(w.line, w.message.split(" ")[0:2]) for w in bib.warnings]
    assert messages == [
        (2, ["unknown", "entry"]),
        (4, ["duplicate", "citation"]),
        (5, ["undefined", "@string"]),
        (6, ["'@misc{'", "after"]),
    ]


# -- files on disk --------------------------------------------------------------------------------
def test_read_bib_keeps_a_bom_and_skips_it(tmp_path):
    path = tmp_path / "bom.bib"
    path.write_bytes(b"\xef\xbb\xbf" + LIBRARY.encode("utf-8"))
    bib = read_bib(path)
    assert bib.text.startswith("\ufeff%") and bib.encoding == "utf-8"
    assert bib.text.encode(bib.encoding) == path.read_bytes()
    assert [e.key for e in bib.entries] == ["vaswani2017attention", "brown2020language"]
    assert bib.verbatim(bib.entries[0]).startswith("@inproceedings{")
    assert bib.file == str(path)


def test_crlf_files_keep_their_bytes(tmp_path):
    path = tmp_path / "crlf.bib"
    path.write_bytes(LIBRARY.replace("\n", "\r\n").encode("utf-8"))
    bib = read_bib(path)
    assert bib.entries[1].fields["abstract"] == "Recent work has demonstrated\nsubstantial gains."
    assert bib.entries[0].fields == parse_bib(LIBRARY).entries[0].fields
    assert [e.line for e in bib.entries] == [6, 14]
    assert bib.verbatim(bib.entries[0]).count("\r\n") == 6


def test_latin1_files_are_read_with_a_warning(tmp_path):
    path = tmp_path / "old.bib"
    path.write_bytes("@misc{g,\n  author = {Gödel, Kurt}\n}\n".encode("latin-1"))
    bib = read_bib(path)
    assert bib.entries[0].fields["author"] == "Gödel, Kurt"
    assert bib.encoding == "latin-1"
    assert bib.warnings == [BibProblem(2, "not UTF-8; read as Latin-1")]


def test_unreadable_files_raise_input_error_naming_the_file(tmp_path):
    with pytest.raises(InputError) as caught:
        read_bib(tmp_path / "missing.bib")
    assert str(caught.value).startswith(f"{tmp_path / 'missing.bib'}: cannot read")
    with pytest.raises(InputError):
        read_bib(tmp_path)


def test_empty_and_comment_only_files():
    assert parse_bib("").entries == []
    bib = parse_bib("% nothing here\n\n")
    assert bib.entries == [] and bib.problems == [] and bib.comments == ["% nothing here"]
