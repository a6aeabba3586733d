"""The compact searchable form of one source: a :class:`Table` of rows plus inverted word indexes.

A source (a .bib, a CSL-JSON file, the registry, Zotero) becomes one Table:

- ``vocabulary``: the folded title and author-name words, sorted (exact, prefix and typo search);
- ``postings``/``posting_offsets``: the rows holding each vocabulary word, one ``array('i')`` of all
  rows grouped by word in vocabulary order, with the offset where each word's rows start;
- ``years``, ``title_lengths``: one small integer per row (year scoring, tie-breaks);
- ``ids``: ``arxiv:<id>`` / ``doi:<doi>`` → rows; ``sorted_keys``/``sorted_key_rows``: keys lower-cased
  and sorted (exact and prefix search by bisection);
- ``rows``: every row's key, title, authors, year, DOI, arXiv id and line, packed into one UTF-8 blob
  with an offset array, decoded only for the rows a query scores in full or shows.

Matching touches only the rows the query's words point to, so a query over 20,000 entries scores a few
hundred rows, not all of them.

Building a table is column work done by C loops (``str.translate`` on all titles at once, ``map`` over
C functions, postings filled by ``map(list.append, …)``): a Python statement per row, let alone per
word, would cost more than reading the file (20,000 entries hold ~400,000 title and name words).

Tables of files are cached under ``$BIBBRIDGE_HOME`` (``cache_dir()/lookup/``) as marshal files keyed by
the file's absolute path and checked against its size and mtime: a changed file is read again, an
unchanged one is loaded in milliseconds. Each part of the table is stored as its own marshal blob and
unpacked on first use, so a title query never pays for the identifier index and vice versa.
"""

from __future__ import annotations

import marshal
import os
import re
import unicodedata
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from itertools import accumulate, chain, repeat
from operator import add
from pathlib import Path
from typing import Any, NamedTuple

from ..text import normalise_arxiv_id, normalise_doi

#: Bump when the table layout or the folding changes: old cache files are then rebuilt.
FORMAT_VERSION = 5

#: Every ASCII character but letters, digits and newline → space (the input is ASCII by then).
_PUNCTUATION_TO_SPACE = {code: " " for code in range(128) if not chr(code).isalnum() and chr(code) != "\n"}
#: The same for ASCII bytes, lower-casing as well (``bytes.translate`` is a plain table lookup).
_FOLD_BYTES = bytes(
    code + 32 if 65 <= code <= 90 else code if chr(code).isalnum() or code == 10 or code > 127 else 32
    for code in range(256)
)
_COMBINING = re.compile(r"[\u0300-\u036f]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_TRANSLITERATED: dict[str, str] = {}
_FIELD_SEP = "\x1f"
#: Separates author names inside one row (ASCII punctuation: folding turns it into a space).
NAME_SEP = "\x1e"
_ARXIV_DOI = "10.48550/arxiv."

#: One row as sources hand it over: key, title, authors ("First Last" or "Last, First"), year,
#: DOI, arXiv id, line (1-based line of the entry in its file, or None). Text is already decoded.
Record = tuple[str, str, Sequence[str], str, str, str, "int | None"]


class Row(NamedTuple):
    key: str
    title: str
    authors: list[str]
    year: str
    doi: str
    arxiv_id: str
    line: int | None
    folded_title: str


def _ascii(text: str) -> str:
    """Transliterate to ASCII like :func:`bibbridge.text.fold` (``Müller`` → ``Muller``, ``Łukasz`` →
    ``Lukasz``), but with C-speed steps first: unidecode (pure Python) sees only the rare characters
    that NFKD decomposition cannot reduce to ASCII."""
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    if text.isascii():
        return text
    return _NON_ASCII.sub(_transliterate, text)


def _transliterate(match: re.Match[str]) -> str:
    char = match.group(0)
    value = _TRANSLITERATED.get(char)
    if value is None:
        from unidecode import unidecode

        value = _TRANSLITERATED[char] = unidecode(char).replace("\n", " ")
    return value


def fold_words(text: str) -> str:
    """Case, accents and punctuation folded away: ``"Müller’s GPT-4"`` → ``"muller s gpt 4"``.

    Same words as :func:`bibbridge.text.fold`; queries and indexes both fold with this function.
    """
    if not text.isascii():
        text = _ascii(text)
    return " ".join(text.lower().translate(_PUNCTUATION_TO_SPACE).split())


def fold_many(texts: list[str]) -> list[str]:
    """:func:`fold_words` of each text, done in one pass over all of them (texts hold no newline)."""
    if not texts:
        return []
    joined = "\n".join(texts)
    if not joined.isascii():
        # Only the texts that need it are transliterated (NFKD of every title costs more).
        joined = "\n".join([text if text.isascii() else _ascii(text) for text in texts])
    # One table lookup a byte for case and punctuation, then whitespace runs collapsed line by line.
    lines = joined.encode("ascii").translate(_FOLD_BYTES).decode("ascii").split("\n")
    return list(map(" ".join, map(str.split, lines)))


def _clean_doi(doi: str) -> str:
    doi = doi.strip()
    if doi.startswith("10.") and " " not in doi:
        return doi.lower().rstrip(".,;")
    return normalise_doi(doi) or ""


class Table:
    """One source's entries as lazily unpacked sections (see the module docs)."""

    SECTIONS = (
        "vocabulary",
        "postings",
        "posting_offsets",
        "years",
        "title_lengths",
        "ids",
        "sorted_keys",
        "sorted_key_rows",
        "rows",
        "offsets",
    )

    def __init__(self, name: str, file: str | None = None, size: int = 0) -> None:
        self.name = name
        self.file = file
        self.size = size
        self._values: dict[str, Any] = {}
        self._packed: dict[str, bytes] = {}

    def __len__(self) -> int:
        return self.size

    def _get(self, section: str) -> Any:
        try:
            return self._values[section]
        except KeyError:
            value = self._values[section] = marshal.loads(self._packed.pop(section))
            return value

    # Sections, unpacked on first use.
    vocabulary: list[str] = property(lambda self: self._get("vocabulary"))  # type: ignore[assignment]
    ids: dict[str, list[int]] = property(lambda self: self._get("ids"))  # type: ignore[assignment]
    sorted_keys: list[str] = property(lambda self: self._get("sorted_keys"))  # type: ignore[assignment]

    @property
    def years(self) -> array:
        return self._array("years", "H")

    @property
    def title_lengths(self) -> array:
        return self._array("title_lengths", "H")

    @property
    def sorted_key_rows(self) -> array:
        return self._array("sorted_key_rows", "i")

    def _array(self, section: str, code: str) -> array:
        value = self._get(section)
        if isinstance(value, bytes):
            value = self._values[section] = array(code, value)
        return value

    def _word_index(self, word: str) -> int:
        """The position of ``word`` in the vocabulary, or -1."""
        vocabulary = self.vocabulary
        index = bisect_left(vocabulary, word)
        return index if index < len(vocabulary) and vocabulary[index] == word else -1

    def has_word(self, word: str) -> bool:
        """True when some row's title or author names contain the folded ``word``."""
        return self._word_index(word) >= 0

    def rows_of(self, word: str) -> array:
        """The rows whose title or author names contain the folded ``word``."""
        index = self._word_index(word)
        if index < 0:
            return array("i")
        offsets = self._array("posting_offsets", "I")
        return self._array("postings", "i")[offsets[index] : offsets[index + 1]]

    def df(self, word: str) -> int:
        """How many rows contain ``word`` (its document frequency)."""
        index = self._word_index(word)
        if index < 0:
            return 0
        offsets = self._array("posting_offsets", "I")
        return offsets[index + 1] - offsets[index]

    def row(self, index: int) -> Row:
        offsets = self._array("offsets", "I")
        blob: bytes = self._get("rows")
        fields = blob[offsets[index] : offsets[index + 1]].decode("utf-8").split(_FIELD_SEP)
        key, title, authors, year, doi, arxiv_id, line = fields
        return Row(
            key,
            title,
            authors.split(NAME_SEP) if authors else [],
            year,
            doi,
            arxiv_id,
            int(line) if line else None,
            fold_words(title),
        )

    def key_rows(self, key: str) -> list[int]:
        """The rows whose key is ``key`` ignoring case."""
        lower = key.lower()
        keys = self.sorted_keys
        out = []
        index = bisect_left(keys, lower)
        while index < len(keys) and keys[index] == lower:
            out.append(self.sorted_key_rows[index])
            index += 1
        return out

    # -- building ----------------------------------------------------------------------------
    @classmethod
    def build(cls, name: str, records: Iterable[Record], file: str | None = None) -> Table:
        """A table from records (see :data:`Record`)."""
        columns: list[list[Any]] = [[], [], [], [], [], [], []]
        for record in records:
            for column, value in zip(columns, record, strict=True):
                column.append(value)
        keys, titles, authors, years, dois, arxiv_ids, lines = columns
        names = [NAME_SEP.join(name.replace(NAME_SEP, " ") for name in names) for names in authors]
        return cls.from_columns(name, keys, titles, names, years, dois, arxiv_ids, lines, file)

    @classmethod
    def from_columns(
        cls,
        name: str,
        keys: list[str],
        titles: list[str],
        names: list[str],
        years: list[str],
        dois: list[str],
        arxiv_ids: list[str],
        lines: list[int | None],
        file: str | None = None,
    ) -> Table:
        """A table from parallel columns (the fast path for large files: no per-record tuples).

        ``names``: each row's author names joined by :data:`NAME_SEP`. Text is already decoded.
        """
        size = len(keys)
        table = cls(name, file, size)
        titles = [t.replace("\n", " ") if "\n" in t else t for t in titles]
        dois, arxiv_ids = list(dois), list(arxiv_ids)  # cleaned in place below
        names = [n.replace("\n", " ") if "\n" in n else n for n in names]
        folded_titles = fold_many(titles)
        folded_names = fold_many(names)

        # The inverted index, filled by C loops: each row's distinct words, every word's list of rows
        # (rows come in order, so each list is sorted), the lists laid out in vocabulary order.
        row_texts = map(add, map(add, folded_titles, repeat(" ")), folded_names)
        row_words = list(map(set, map(str.split, row_texts)))
        by_word: dict[str, list[int]] = {word: [] for word in chain.from_iterable(row_words)}
        row_numbers = chain.from_iterable(map(repeat, range(size), map(len, row_words)))
        word_lists = map(by_word.__getitem__, chain.from_iterable(row_words))
        deque(map(list.append, word_lists, row_numbers), maxlen=0)
        vocabulary = sorted(by_word)
        postings = list(map(by_word.__getitem__, vocabulary))

        ids: dict[str, list[int]] = {}
        for row in range(size):
            doi, arxiv_id = dois[row], arxiv_ids[row]
            if not (doi or arxiv_id):
                continue
            doi = dois[row] = _clean_doi(doi) if doi else ""
            arxiv_id = arxiv_ids[row] = (normalise_arxiv_id(arxiv_id) or "") if arxiv_id else ""
            if not arxiv_id and doi.startswith(_ARXIV_DOI):
                arxiv_id = arxiv_ids[row] = normalise_arxiv_id(doi[len(_ARXIV_DOI) :]) or ""
            if doi:
                ids.setdefault("doi:" + doi, []).append(row)
            if arxiv_id:
                ids.setdefault("arxiv:" + arxiv_id, []).append(row)
                arxiv_doi = "doi:" + _ARXIV_DOI + arxiv_id.lower()
                if arxiv_doi != "doi:" + doi:
                    ids.setdefault(arxiv_doi, []).append(row)

        lower_keys = list(map(str.lower, keys))
        order = sorted(range(size), key=lower_keys.__getitem__)
        line_texts = [str(line) if line else "" for line in lines]
        row_fields = zip(keys, titles, names, years, dois, arxiv_ids, line_texts, strict=True)
        encoded = list(map(str.encode, map(_FIELD_SEP.join, row_fields)))
        values = table._values
        values["vocabulary"] = vocabulary
        values["postings"] = array("i", chain.from_iterable(postings))
        values["posting_offsets"] = array("I", accumulate(map(len, postings), initial=0))
        values["years"] = array("H", [int(y) if len(y) == 4 and y.isdigit() else 0 for y in years])
        values["title_lengths"] = array("H", [min(len(t), 65535) for t in folded_titles])
        values["ids"] = ids
        values["sorted_keys"] = list(map(lower_keys.__getitem__, order))
        values["sorted_key_rows"] = array("i", order)
        values["rows"] = b"".join(encoded)
        values["offsets"] = array("I", accumulate(map(len, encoded), initial=0))
        return table

    # -- (de)serialising ---------------------------------------------------------------------
    def dumps(self, stamp: tuple) -> bytes:
        packed = {}
        for section in self.SECTIONS:
            if section in self._packed:
                packed[section] = self._packed[section]
                continue
            value = self._values[section]
            packed[section] = marshal.dumps(value.tobytes() if isinstance(value, array) else value)
        return marshal.dumps((FORMAT_VERSION, stamp, self.name, self.file, self.size, packed))

    @classmethod
    def loads(cls, data: bytes, stamp: tuple) -> Table | None:
        """The table stored in ``data`` when it was made by this version for ``stamp``, else None."""
        try:
            state = marshal.loads(data)
            version, stored_stamp, name, file, size, packed = state
        except (EOFError, ValueError, TypeError):
            return None
        if version != FORMAT_VERSION or stored_stamp != stamp or set(packed) != set(cls.SECTIONS):
            return None
        table = cls(name, file, size)
        table._packed = dict(packed)
        return table


def file_stamp(path: Path) -> tuple:
    """What identifies one version of a file: absolute path, size and mtime (ns)."""
    info = path.stat()
    return (str(path), info.st_size, info.st_mtime_ns)


def cache_path_for(path: Path, kind: str) -> Path:
    import zlib  # a checksum is enough: the stamp inside names the file exactly

    from ..home import cache_dir

    digest = zlib.crc32(str(path).encode("utf-8", "surrogateescape"))
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in path.name)[:60]
    return cache_dir() / "lookup" / f"{kind}-{stem}-{digest:08x}.marshal"


def cached_table(path: Path, kind: str, name: str, build: Callable[[Path], Table]) -> Table:
    """The table of file ``path``, from the cache when the file's size and mtime are unchanged.

    ``build(path)`` reads the file when the cache is missing or stale; its result is stored by
    writing a temporary file and renaming it over the old one (a cache needs no fsync: a lost or torn
    cache file only costs the next run a rebuild).
    """
    path = path.resolve()
    stamp = file_stamp(path)
    cache = cache_path_for(path, kind)
    try:
        table = Table.loads(cache.read_bytes(), stamp)
    except OSError:
        table = None
    if table is None:
        table = build(path)
        # Stored under the stamp taken before reading: if the file changed meanwhile, the next run
        # sees a mismatch and reads it again rather than trusting a torn read.
        _store(cache, table.dumps(stamp))
    table.name = name
    return table


def _store(cache: Path, data: bytes) -> None:
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, cache)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass
