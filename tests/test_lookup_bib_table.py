"""A .bib's lookup table built from columns (``bib_columns_table`` over ``scan_columns``) is the table of
its entries (``bib_table`` over ``scan_bib``), and both follow the rules entry by entry: the year (else
the date's), the arXiv id from the eprint when its type is arXiv or not given (else from the URL or
journal), the authors (else the editors). The entry-by-entry rules are spelled out below as the
reference, so the column shortcuts (checks over whole columns that skip the per-row work) are tested."""

from __future__ import annotations

from pathlib import Path

import pytest

from bibbridge.bib.reader import scan_bib, scan_columns
from bibbridge.identity import bib_arxiv_id
from bibbridge.keylookup.index import NAME_SEP, Table
from bibbridge.keylookup.sources import BIB_FIELDS, _year, bib_columns_table, bib_table
from bibbridge.text.latex import latex_to_text_many as detex_many
from tests.support.generated_bib import generated_bib
from tests.support.lookup_tables import table_content


def entry_by_entry(name: str, entries: list) -> Table:
    """The table by the rules applied one entry at a time (the reference)."""
    fields = [entry.fields for entry in entries]
    years = []
    for f in fields:
        year = f.get("year") or f.get("date") or ""
        years.append(year if len(year) == 4 and year.isdigit() else _year(year))
    arxiv_ids = [bib_arxiv_id(f) or "" for f in fields]  # the one rule, bibbridge.identity
    return Table.from_columns(
        name,
        [entry.key for entry in entries],
        detex_many([f.get("title", "") for f in fields]),
        detex_many([f.get("author") or f.get("editor") or "" for f in fields], replace=(" and ", NAME_SEP)),
        years,
        [f.get("doi", "") for f in fields],
        arxiv_ids,
        [entry.line for entry in entries],
        name,
    )


def columns_table(name: str, source) -> Table:
    columns = scan_columns(source, BIB_FIELDS)
    return bib_columns_table(name, columns.keys, columns.fields, columns.lines)


def assert_same_tables(source, name: str = "refs.bib") -> Table:
    entries = scan_bib(source, BIB_FIELDS)
    from_columns = columns_table(name, source)
    assert len(from_columns) == len(entries)
    expected = table_content(entry_by_entry(name, entries))
    assert table_content(bib_table(name, entries)) == expected
    assert table_content(from_columns) == expected
    return from_columns


def test_the_benchmark_library(tmp_path: Path) -> None:
    path = tmp_path / "library.bib"
    path.write_text(generated_bib(1500, seed=7), encoding="utf-8")
    table = assert_same_tables(path)
    assert len(table) == 1500
    rows = [table.row(i) for i in range(0, 1500, 50)]
    assert all(row.year for row in rows)
    assert any(row.arxiv_id for row in rows) and any(row.doi for row in rows)


HAND_MADE = r"""@string{arx = {arXiv preprint arXiv:2105.01601}}

@article{pubmedOnly,
  title = {A Clinical Study},
  author = {Smith, Jane and Doe, John},
  year = {2019},
  eprint = {31452104},
  eprinttype = {pubmed},
}

@article{pubmedPrefix,
  title = {Another Clinical Study},
  author = {Roe, Richard},
  year = 2018,
  eprint = {29999999},
  archivePrefix = {PubMed},
}

@misc{eprintArxivCased,
  title = {Cased Types},
  author = {Lee, Ann},
  year = {2023},
  eprint = {2310.12920},
  eprinttype = {ArXiv},
}

@misc{eprintNoType,
  title = {No Type Given},
  author = {Kim, Bo},
  year = {2022},
  eprint = {arXiv:2201.00001v3},
}

@misc{pubmedWithArxivUrl,
  title = {PubMed Id, arXiv URL},
  author = {Ng, Andrew},
  year = {2020},
  eprint = {123456},
  eprinttype = {pubmed},
  url = {https://arxiv.org/abs/2004.05150v2},
}

@misc{urlOnly,
  title = {Only a URL},
  author = {Vaswani, Ashish},
  year = {2017},
  url = {https://arxiv.org/pdf/1706.03762.pdf},
}

@article{journalOnly,
  title = {Only a Journal},
  author = {Tolstikhin, Ilya},
  year = {2021},
  journal = arx,
}

@article{oldStyle,
  title = {Old-Style Identifier},
  author = {Witten, Edward},
  year = {1998},
  url = {http://arxiv.org/abs/hep-th/9802150},
}

@article{biorxiv,
  title = {A bioRxiv Preprint},
  author = {Cell, Mark},
  year = {2020},
  journal = {bioRxiv},
}

@book{editorOnly,
  title = {Handbook of Things},
  editor = {Editor, Eve and Other, Otto},
  year = {2010},
}

@book{authorAndEditor,
  title = {Written and Edited},
  author = {Writer, Will},
  editor = {Editor, Eve},
  year = {2011},
}

@online{dateOnly,
  title = {Dated Post},
  author = {Blogger, Bea},
  date = {2021-05-03},
}

@online{yearAndDate,
  title = {Both Year and Date},
  author = {Both, Bob},
  year = {2015},
  date = {2016-01-01},
}

@misc{noYear,
  title = {Timeless},
  author = {Nobody, Nora},
}

@misc{oddYear,
  title = {Circa},
  author = {Old, Olga},
  year = {circa 1998},
}

@misc{inPress,
  title = {In Press},
  author = {Press, Pat},
  year = {in press},
}

@article{doiUpper,
  title = {Deep Learning},
  author = {LeCun, Yann and Bengio, Yoshua and Hinton, Geoffrey},
  journal = {Nature},
  year = 2015,
  doi = {10.1038/NATURE14539.},
}

@misc{latex,
  title = {{M}{\"u}ller's {\'E}tude of \textit{GPT}-4 in Stra{\ss}e},
  author = {M{\"u}ller, Anna and {\L}ukasz, Kowalski and others},
  year = {2024},
}

@misc{noAuthor,
  title = {Anonymous},
}
"""


@pytest.fixture
def hand_made(tmp_path: Path) -> Path:
    path = tmp_path / "hand-made.bib"
    path.write_text(HAND_MADE, encoding="utf-8")
    return path


def test_a_hand_made_file(hand_made: Path) -> None:
    table = assert_same_tables(hand_made)
    rows = {row.key: row for row in map(table.row, range(len(table)))}
    assert len(rows) == HAND_MADE.count("\n@") == 19  # every entry (the @string opens the file)
    assert rows["pubmedOnly"].arxiv_id == rows["pubmedPrefix"].arxiv_id == ""
    assert rows["eprintArxivCased"].arxiv_id == "2310.12920"
    assert rows["eprintNoType"].arxiv_id == "2201.00001"
    assert rows["pubmedWithArxivUrl"].arxiv_id == "2004.05150"
    assert rows["urlOnly"].arxiv_id == "1706.03762"
    assert rows["journalOnly"].arxiv_id == "2105.01601"
    assert rows["oldStyle"].arxiv_id == "hep-th/9802150"
    assert rows["biorxiv"].arxiv_id == ""
    assert rows["editorOnly"].authors == ["Editor, Eve", "Other, Otto"]
    assert rows["authorAndEditor"].authors == ["Writer, Will"]
    assert rows["dateOnly"].year == "2021" and rows["yearAndDate"].year == "2015"
    assert rows["noYear"].year == rows["inPress"].year == rows["noAuthor"].year == ""
    assert rows["oddYear"].year == "1998"
    assert rows["doiUpper"].doi == "10.1038/nature14539"
    assert rows["latex"].title == "Müller's Étude of GPT-4 in Straße"
    assert rows["latex"].authors == ["Müller, Anna", "Łukasz, Kowalski"]
    assert rows["noAuthor"].authors == []
    assert rows["pubmedOnly"].line == 3


# Each shortcut of bib_columns_table on and off: columns where every row takes the quick way, and the
# same columns with one row that does not.
VARIANTS = {
    "all years four digits": ("  year = {2020},\n", "  year = {2020},\n"),
    "a missing year": ("  year = {2020},\n", ""),
    "a date instead": ("  year = {2020},\n", "  date = {2020-02-02},\n"),
    "every eprint arXiv": (
        "  eprint = {2301.00001},\n  archivePrefix = {arXiv},\n",
        "  eprint = {2301.00002},\n  eprinttype = {arxiv},\n",
    ),
    "one pubmed eprint": (
        "  eprint = {2301.00001},\n",
        "  eprint = {2301.00002},\n  eprinttype = {pubmed},\n",
    ),
    "no rxiv anywhere": ("  journal = {Nature},\n", "  url = {https://example.org/x},\n"),
    "one arXiv URL": ("  journal = {Nature},\n", "  url = {https://arxiv.org/abs/2301.00003},\n"),
    "no editors": ("  author = {Ann Author},\n", "  author = {Bob Author},\n"),
    "an editor only": ("  author = {Ann Author},\n", "  editor = {Eve Editor},\n"),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_each_column_shortcut(variant: str) -> None:
    usual, odd = VARIANTS[variant]
    text = "".join(
        f"@misc{{k{i},\n  title = {{Title {i}}},\n{odd if i == 7 else usual}}}\n\n" for i in range(20)
    )
    assert_same_tables(text)


@pytest.mark.parametrize("field", ["year", "date"])
def test_a_year_on_two_lines(field: str) -> None:
    text = f"@misc{{a,\n  title = {{A}},\n  {field} = {{2020\n    2021}}\n}}\n"
    text += "@misc{b, title = {B}, year = 2022}\n"
    assert scan_bib(text, BIB_FIELDS)[0].fields[field] == "2020\n2021"
    table = assert_same_tables(text)
    assert [table.row(i).year for i in range(2)] == ["2020", "2022"]
