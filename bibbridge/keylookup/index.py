"""The compact searchable form of one source: a :class:`Table` of rows plus inverted word indexes.

A source (a .bib, a CSL-JSON file, the registry, Zotero) becomes one Table:

- ``text``/``row_starts``: the search text, one line a row holding its folded title and author-name
  words, each word between spaces (a *plain* table is searched by scanning it with ``str.find``);
- ``years``, ``title_lengths``: one small integer per row (year scoring, tie-breaks);
- ``key_column``, ``doi_column``, ``arxiv_column``: lower-case keys, DOIs and arXiv ids, one a line,
  searched with ``str.find`` (exact, prefix);
- ``rows``: every row's key, title, authors, year, DOI, arXiv id and line, packed into one UTF-8 blob
  with an offset array, decoded only for the rows a query scores in full or shows;
- after :meth:`Table.enrich`, the inverted word index: ``vocabulary`` (sorted words), ``postings`` and
  ``posting_offsets`` (every word's rows, grouped in vocabulary order).

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
import re
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import accumulate, chain, repeat
from operator import add
from pathlib import Path
from typing import Any, NamedTuple

from ..atomic import write_cache_file
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
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_ASCII_BYTES = bytes(range(128))
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
    ``Lukasz``): each run of non-ASCII characters is replaced by its cached transliteration, so a
    large text costs one regex scan and a dictionary lookup a run."""
    return _NON_ASCII_RUN.sub(_transliterate, text)


def _transliterate(match: re.Match[str]) -> str:
    run = match.group(0)
    value = _TRANSLITERATED.get(run)
    if value is None:
        # NFKD splits accented letters into letter + combining marks (dropped); unidecode (pure
        # Python) sees only what that cannot reduce to ASCII. NFKD needs no context beyond the run:
        # marks after an ASCII letter form a run of their own and are dropped the same way.
        value = _COMBINING.sub("", unicodedata.normalize("NFKD", run))
        if not value.isascii():
            from unidecode import unidecode

            value = unidecode(value)
        value = _TRANSLITERATED[run] = value.replace("\n", " ")
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
    data = _fold_bytes(texts)
    while b"  " in data:
        data = data.replace(b"  ", b" ")
    data = data.replace(b"\n ", b"\n").replace(b" \n", b"\n").strip(b" ")
    return data.decode("ascii").split("\n")


def _fold_bytes(texts: list[str]) -> bytes:
    """The texts (no newline in any) folded and joined by newlines, spaces not collapsed."""
    joined = "\n".join(texts)
    if not joined.isascii():
        # Only the texts that need it are transliterated, in one go.
        plain = list(map(str.isascii, texts))
        odd = [text for text, ascii in zip(texts, plain, strict=True) if not ascii]
        others = iter(ascii_bulk("\n".join(odd)).split("\n"))
        joined = "\n".join([t if ascii else next(others) for t, ascii in zip(texts, plain, strict=True)])
    # One table lookup a byte for case and punctuation.
    return joined.encode("ascii").translate(_FOLD_BYTES)


def ascii_bulk(text: str) -> str:
    """:func:`_ascii` of a large text, by C loops: one NFKD pass over it all, each of the few distinct
    characters that leaves outside ASCII (but combining accents) replaced by its transliteration, the
    combining accents dropped by encoding. (NFKD and the transliteration work character by character,
    so this is what :func:`_ascii` makes of each run.)"""
    if text.isascii():
        return text
    normal = unicodedata.normalize("NFKD", text)
    encoded = normal.encode("utf-8", "surrogatepass")
    rest = encoded.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")
    for char in set(rest):
        if not "\u0300" <= char <= "\u036f":
            normal = normal.replace(char, _ascii(char))
    return normal.encode("ascii", "ignore").decode("ascii")


def line_numbers(text: str, needle: str) -> Iterator[int]:
    """The 0-based line of each occurrence of ``needle`` in ``text`` (the newlines before it), found with
    ``str.find`` and ``str.count``: C loops, a Python step only for each occurrence."""
    position = text.find(needle)
    line = last = 0
    while position >= 0:
        line += text.count("\n", last, position)
        last = position
        yield line
        position = text.find(needle, position + 1)


def each_line_matches(pattern: re.Pattern[str], values: list[str], joined: str | None = None) -> bool:
    """True when every value, none holding a newline, fully matches ``pattern`` (which matches the values
    joined by newlines: one regex pass for a whole column). ``joined``: that join, when made already."""
    if joined is None:
        joined = "\n".join(values)
    return joined.count("\n") == len(values) - 1 and pattern.fullmatch(joined) is not None


def _clean_doi(doi: str) -> str:
    doi = doi.strip()
    if doi.startswith("10.") and " " not in doi and "\n" not in doi:
        return doi.lower().rstrip(".,;")
    return normalise_doi(doi) or ""


def clean_arxiv_id(value: str) -> str:
    """The normalised arXiv id in ``value``, or "" (quick for bare new-style ids)."""
    # The common case, a bare new-style id ("2310.12920"), without the full pattern.
    if len(value) in (9, 10) and value[4] == "." and value[:4].isdigit() and value[5:].isdigit():
        return value
    return normalise_arxiv_id(value) or ""


#: Bare new-style arXiv ids, or nothing, one a line; four-digit years one a line.
_CLEAN_ARXIV_IDS = re.compile(r"(?:\d{4}\.\d{4,5})?(?:\n(?:\d{4}\.\d{4,5})?)*")
YEARS = re.compile(r"\d{4}(?:\n\d{4})*")
#: Lower-case DOIs that :func:`_clean_doi` leaves as they are (or nothing), one a line.
_CLEAN_DOIS = re.compile(r"(?:10\.\S*[^\s.,;])?(?:\n(?:10\.\S*[^\s.,;])?)*")


def clean_arxiv_ids(values: list[str]) -> list[str]:
    """:func:`clean_arxiv_id` of each value ("" stays ""), checked in one regex pass when all are bare."""
    if each_line_matches(_CLEAN_ARXIV_IDS, values):
        return list(values)
    return [clean_arxiv_id(value) if value else "" for value in values]


def _clean_dois(dois: list[str]) -> list[str]:
    """:func:`_clean_doi` of each DOI ("" stays ""): checked in one regex pass when all are clean."""
    lowered = "\n".join(dois).lower()
    if each_line_matches(_CLEAN_DOIS, dois, lowered):  # the common case: nothing to strip or normalise
        return lowered.split("\n") if dois else []
    return [_clean_doi(doi) if doi else "" for doi in dois]


def _column(values: Iterable[str]) -> str:
    return "\n" + "\n".join(values) + "\n"


class Table:
    """One source's entries as lazily unpacked sections (see the module docs).

    A table starts *plain*: rows, the folded search text, identifiers and keys. Word queries on a
    plain table scan the search text (a few milliseconds a word). :meth:`enrich` adds the inverted
    word index, which makes word queries cheaper still but costs more to build than reading a large
    file does; see :func:`cached_table` for when that happens.
    """

    SECTIONS = (
        "text",
        "row_starts",
        "years",
        "title_lengths",
        "key_column",
        "doi_column",
        "arxiv_column",
        "rows",
        "offsets",
    )
    #: The inverted word index, added by :meth:`enrich`.
    WORD_SECTIONS = ("vocabulary", "postings", "posting_offsets")

    def __init__(self, name: str, file: str | None = None, size: int = 0) -> None:
        self.name = name
        self.file = file
        self.size = size
        self._values: dict[str, Any] = {}
        self._packed: dict[str, bytes] = {}
        self._scans: dict[str, dict[str, list[int]]] = {}  # prefix → word → rows (plain tables)
        self._scan_vocabulary: list[str] | None = None
        # word → the table's words that a misspelt ``word`` may stand for, when the parts that read
        # the file found them (see typo_choices).
        self._typo_choices: dict[str, list[str]] = {}
        #: Where the table is cached and for which version of its file (set by :func:`cached_table`).
        self.cache: Path | None = None
        self.stamp: tuple | None = None

    def __len__(self) -> int:
        return self.size

    def _get(self, section: str) -> Any:
        try:
            return self._values[section]
        except KeyError:
            value = self._values[section] = marshal.loads(self._packed.pop(section))
            return value

    @property
    def indexed(self) -> bool:
        """True when the inverted word index is there (see :meth:`enrich`)."""
        return "vocabulary" in self._values or "vocabulary" in self._packed

    # Sections, unpacked on first use.
    text: str = property(lambda self: self._get("text"))  # type: ignore[assignment]

    @property
    def vocabulary(self) -> list[str]:
        """Every folded title and author-name word, sorted."""
        if self.indexed:
            return self._get("vocabulary")
        if self._scan_vocabulary is None:
            self._scan_vocabulary = sorted(set(self.text.split()))
        return self._scan_vocabulary

    def typo_choices(self, word: str) -> list[str]:
        """Sorted words among which are all the best that ``word`` may be a typo of (see
        :func:`.match.typo_candidates`): the vocabulary, or on a plain table read in parts, the best
        of each part (:mod:`.parallel`), so the whole vocabulary need not be listed."""
        choices = self._typo_choices.get(word)  # cleared by enrich()
        return self.vocabulary if choices is None else choices

    @property
    def years(self) -> array:
        return self._array("years", "H")

    @property
    def title_lengths(self) -> array:
        return self._array("title_lengths", "H")

    def _array(self, section: str, code: str) -> array:
        value = self._get(section)
        if isinstance(value, bytes):
            value = self._values[section] = array(code, value)
        return value

    def _word_index(self, word: str) -> int:
        """The position of ``word`` in the (indexed) vocabulary, or -1."""
        vocabulary = self._get("vocabulary")
        index = bisect_left(vocabulary, word)
        return index if index < len(vocabulary) and vocabulary[index] == word else -1

    def _scan(self, prefix: str) -> dict[str, list[int]]:
        """The words of the search text starting with ``prefix``, each with its rows (one pass).

        Every word in the text is preceded and followed by a space, so ``" " + prefix`` finds word
        starts only, and the next space ends the word.
        """
        found = self._scans.get(prefix)
        if found is not None:
            return found
        found = self._scans[prefix] = {}
        text = self.text
        starts = self._array("row_starts", "I")
        needle = " " + prefix
        skip = len(needle)
        find = text.find
        position = find(needle)
        while position >= 0:
            end = find(" ", position + skip)
            word = text[position + 1 : end]
            row = bisect_right(starts, position) - 1
            rows = found.get(word)
            if rows is None:
                found[word] = [row]
            elif rows[-1] != row:
                rows.append(row)
            position = find(needle, end)
        return found

    def _scanned_rows(self, word: str) -> list[int]:
        if not word:
            return []
        for prefix, found in self._scans.items():
            if word.startswith(prefix):
                return found.get(word, [])
        return self._scan(word).get(word, [])

    def has_word(self, word: str) -> bool:
        """True when some row's title or author names contain the folded ``word``."""
        if self.indexed:
            return self._word_index(word) >= 0
        return bool(self._scanned_rows(word))

    def words_starting(self, prefix: str, limit: int) -> list[str]:
        """The first ``limit`` words (in sorted order) that are longer than ``prefix`` and start with it."""
        if self.indexed:
            vocabulary = self._get("vocabulary")
            start = bisect_right(vocabulary, prefix)
            out = []
            for word in vocabulary[start : start + limit]:
                if not word.startswith(prefix):
                    break
                out.append(word)
            return out
        return sorted(word for word in self._scan(prefix) if word != prefix)[:limit]

    def rows_of(self, word: str) -> Sequence[int]:
        """The rows whose title or author names contain the folded ``word`` (a row may repeat)."""
        if not self.indexed:
            return self._scanned_rows(word)
        index = self._word_index(word)
        if index < 0:
            return ()
        offsets = self._array("posting_offsets", "I")
        return self._array("postings", "i")[offsets[index] : offsets[index + 1]]

    def df(self, word: str) -> int:
        """How many rows contain ``word`` (its document frequency)."""
        rows = self.rows_of(word)
        return len(set(rows)) if self.indexed else len(rows)

    def row(self, index: int) -> Row:
        offsets = self._array("offsets", "I")
        blob: bytes = self._get("rows")
        fields = blob[offsets[index] : offsets[index + 1]].decode("utf-8").split(_FIELD_SEP)
        key, title, authors, year, doi, arxiv_id, line = fields
        if not arxiv_id and doi.startswith(_ARXIV_DOI):
            arxiv_id = normalise_arxiv_id(doi[len(_ARXIV_DOI) :]) or ""
        # Columns of large files come with their spaces as they were (see detex_many).
        title = " ".join(title.split())
        names = [" ".join(name.split()) for name in authors.split(NAME_SEP)] if authors else []
        names = [name for name in names if name and name != "others"]
        return Row(key, title, names, year, doi, arxiv_id, int(line) if line else None, fold_words(title))

    # Identifiers and keys: each a column of one line a row ("\n" + "\n".join(values) + "\n"), searched
    # with str.find (C speed, no per-row objects to build or load).
    @staticmethod
    def _column_rows(column: str, value: str) -> list[int]:
        """The rows whose line in ``column`` is exactly ``value``."""
        return list(line_numbers(column, "\n" + value + "\n"))

    def id_rows(self, arxiv_id: str = "", doi: str = "") -> list[int]:
        """The rows with this arXiv id (or its arXiv DOI) or this DOI (lower-case)."""
        if arxiv_id:
            rows = self._column_rows(self._get("arxiv_column"), arxiv_id)
            return rows + self._column_rows(self._get("doi_column"), _ARXIV_DOI + arxiv_id.lower())
        return self._column_rows(self._get("doi_column"), doi) if doi else []

    def key_rows(self, key: str) -> list[int]:
        """The rows whose key is ``key`` ignoring case."""
        return self._column_rows(self._get("key_column"), key.lower()) if key else []

    def keys_starting(self, prefix: str, limit: int) -> list[tuple[int, str]]:
        """``(row, lower-case key)`` of up to ``limit`` keys longer than ``prefix`` that start with it."""
        column: str = self._get("key_column")
        out: list[tuple[int, str]] = []
        needle = "\n" + prefix.lower()
        position = column.find(needle)
        row = last = 0
        while position >= 0 and len(out) < limit:
            row += column.count("\n", last, position)
            last = position
            end = column.find("\n", position + 1)
            if end > position + len(needle):
                out.append((row, column[position + 1 : end]))
            position = column.find(needle, end)
        return out

    def lower_keys(self) -> list[str]:
        """Every row's key, lower-cased, in row order."""
        return self._get("key_column")[1:-1].split("\n") if self.size else []

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
        """A plain table from parallel columns (the fast path for large files: no per-record tuples).

        ``names``: each row's author names joined by :data:`NAME_SEP`. Text is already decoded.
        """
        size = len(keys)
        table = cls(name, file, size)
        if "\n" in "".join(titles):
            titles = [t.replace("\n", " ") if "\n" in t else t for t in titles]
        if "\n" in "".join(names):
            names = [n.replace("\n", " ") if "\n" in n else n for n in names]

        # The search text: one line a row, " title words  name words \n", every word between spaces
        # (runs of spaces are left: scans and splits do not mind). Titles and names are folded column
        # by column, then paired.
        if size:
            folded = zip(_fold_bytes(titles).split(b"\n"), _fold_bytes(names).split(b"\n"), strict=True)
            pairs = map(b" ".join, folded)
            text = (b" " + b" \n ".join(pairs) + b" \n").decode("ascii")
        else:
            text = ""

        dois = _clean_dois(dois)
        arxiv_ids = clean_arxiv_ids(arxiv_ids)
        line_texts = list(map(str, lines)) if None not in lines else [str(n) if n else "" for n in lines]
        row_fields = zip(keys, titles, names, years, dois, arxiv_ids, line_texts, strict=True)
        encoded = list(map(str.encode, map(_FIELD_SEP.join, row_fields)))
        values = table._values
        values["text"] = text
        line_lengths = map(add, map(len, text.split("\n")[:-1]), repeat(1))
        values["row_starts"] = array("I", accumulate(line_lengths, initial=0))
        if each_line_matches(YEARS, years):
            values["years"] = array("H", map(int, years))
        else:
            values["years"] = array("H", [int(y) if len(y) == 4 and y.isdigit() else 0 for y in years])
        lengths = list(map(len, titles))
        if max(lengths, default=0) > 65535:
            lengths = [min(n, 65535) for n in lengths]
        values["title_lengths"] = array("H", lengths)
        key_column = _column(keys).lower()
        if key_column.count("\n") != size + 1:  # a key with a newline in it
            key_column = _column(key.lower().replace("\n", " ") for key in keys)
        values["key_column"] = key_column
        values["doi_column"] = _column(dois)
        values["arxiv_column"] = _column(arxiv_ids)
        values["rows"] = b"".join(encoded)
        values["offsets"] = array("I", accumulate(map(len, encoded), initial=0))
        return table

    def enrich(self) -> None:
        """Add the inverted word index (vocabulary and postings), built from the search text by C loops:
        every word's rows in one ``map(list.append, …)`` pass (a row holding a word twice lists it
        twice; :meth:`df` counts rows)."""
        if self.indexed:
            return
        row_words = list(map(str.split, self.text.split("\n")[:-1]))
        words = list(chain.from_iterable(row_words))
        row_numbers = chain.from_iterable(map(repeat, range(self.size), map(len, row_words)))
        by_word: dict[str, list[int]] = {word: [] for word in dict.fromkeys(words)}
        deque(map(list.append, map(by_word.__getitem__, words), row_numbers), maxlen=0)
        ordered = sorted(by_word)
        postings = list(map(by_word.__getitem__, ordered))
        self._values["vocabulary"] = ordered
        self._values["postings"] = array("i", chain.from_iterable(postings))
        self._values["posting_offsets"] = array("I", accumulate(map(len, postings), initial=0))
        self._scans.clear()
        self._scan_vocabulary = None
        self._typo_choices.clear()

    # -- (de)serialising ---------------------------------------------------------------------
    def dumps(self, stamp: tuple) -> bytes:
        packed = {}
        for section in self.SECTIONS + (self.WORD_SECTIONS if self.indexed else ()):
            if section in self._packed:
                packed[section] = self._packed[section]
                continue
            value = self._values[section]
            packed[section] = marshal.dumps(value.tobytes() if isinstance(value, array) else value)
        return marshal.dumps((FORMAT_VERSION, stamp, self.name, self.file, self.size, packed))

    @classmethod
    def loads(cls, data: bytes, stamp: tuple | None) -> Table | None:
        """The table stored in ``data`` when it was made by this version for ``stamp`` (any stamp when
        None), else None."""
        try:
            state = marshal.loads(data)
            version, stored_stamp, name, file, size, packed = state
        except (EOFError, ValueError, TypeError):
            return None
        if version != FORMAT_VERSION or (stamp is not None and stored_stamp != stamp):
            return None
        if set(packed) not in (set(cls.SECTIONS), set(cls.SECTIONS + cls.WORD_SECTIONS)):
            return None
        table = cls(name, file, size)
        table._packed = dict(packed)
        table.stamp = stored_stamp
        return table

    def store(self) -> None:
        """Write the table back to its cache file (after :meth:`enrich`); no-op for uncached tables."""
        if self.cache is not None and self.stamp is not None:
            write_cache_file(self.cache, self.dumps(self.stamp))


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


#: Tables with fewer rows get their word index at once; larger ones are plain at first (see
#: :func:`cached_table`).
INDEX_AT_ONCE_ROWS = 5000


def indexed_if_small(table: Table) -> Table:
    """``table``, given its word index now when it has fewer than :data:`INDEX_AT_ONCE_ROWS` rows: a
    query then scores the same whichever source the table came from (only an indexed table looks a
    word it has up as a typo too)."""
    if len(table) < INDEX_AT_ONCE_ROWS:
        table.enrich()
    return table


def cached_table(path: Path, kind: str, name: str, build: Callable[[Path], Table]) -> Table:
    """The table of file ``path``, from the cache when the file's size and mtime are unchanged.

    ``build(path)`` reads the file when the cache is missing or stale; its result is stored by
    writing a temporary file and renaming it over the old one (a cache needs no fsync: a lost or torn
    cache file only costs the next run a rebuild).

    A large file's table is stored plain (no word index): its first query then costs little more
    than reading the file. The word index is added later by :meth:`Table.enrich` and
    :meth:`Table.store`, in a background process for the CLI (:mod:`.background`), or on the next
    query for a long-lived :class:`~.api.Lookup`.
    """
    path = path.resolve()
    stamp = file_stamp(path)
    cache = cache_path_for(path, kind)
    table = _load(cache, stamp)
    if table is None:
        table = indexed_if_small(build(path))
        # Stored under the stamp taken before reading: if the file changed meanwhile, the next run
        # sees a mismatch and reads it again rather than trusting a torn read.
        write_cache_file(cache, table.dumps(stamp))
    table.name = name
    table.cache, table.stamp = cache, stamp
    return table


def _load(cache: Path, stamp: tuple) -> Table | None:
    try:
        return Table.loads(cache.read_bytes(), stamp)
    except OSError:
        return None
