"""One source's searchable :class:`Table`: its entries (rows) and their word, key and identifier indexes.

Every source (a .bib, a CSL-JSON file, the registry, Zotero, Better BibTeX's answer) becomes one Table,
always built whole, so a query is scored one way whatever the source and whatever the cache did:

- ``rows``: one string a row (key, title, names, year, DOI, arXiv id), decoded
  into a :class:`Row` only for the rows a query scores in full or shows;
- ``postings``: every folded title and name word → its rows (an ``array`` each); the vocabulary is
  their sorted words;
- ``keys`` (lower-case key → rows, and those keys sorted, for prefixes), ``ids`` (arXiv id or
  lower-case DOI → rows), ``years``, ``title_lengths`` and ``lines``, one small integer a row.

Rows are *slots*: :meth:`Table.remove` empties some and :meth:`Table.add` fills free ones first, so a
file that changed in a few entries updates its cached table in place (see :mod:`.bibtable`). No score
depends on slot numbers: every tie is broken by the key, then the line.

Tables of files are cached under ``$BIBBRIDGE_HOME`` (``cache_dir()/lookup/``) as marshal files, one blob
a section, each unpacked on first use (a title query never pays for the identifier index).
"""

from __future__ import annotations

import marshal
import re
import unicodedata
from array import array
from bisect import bisect_left, bisect_right, insort
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, compress, repeat
from operator import add
from pathlib import Path
from typing import Any, NamedTuple

from ..atomic import write_cache_file
from ..text import normalise_arxiv_id, normalise_doi

#: Bump when the table layout or the folding changes: old cache files are then rebuilt. (7: an index
#: value of one slot is an int; 8: a chunk's id counts the @string blocks before it.)
FORMAT_VERSION = 8

#: Every ASCII character but letters, digits and newline → space (the input is ASCII by then).
_PUNCTUATION_TO_SPACE = {code: " " for code in range(128) if not chr(code).isalnum() and chr(code) != "\n"}
#: The same for ASCII bytes, lower-casing as well (``bytes.translate`` is a plain table lookup).
_FOLD_BYTES = bytes(
    code + 32 if 65 <= code <= 90 else code if chr(code).isalnum() or code == 10 or code > 127 else 32
    for code in range(256)
)
#: Combining accents (dropped, as unidecode drops them); U+0363-036F, combining letters, it spells out.
_COMBINING = re.compile(r"[\u0300-\u0362]+")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_ASCII_BYTES = bytes(range(128))
_TRANSLITERATED: dict[str, str] = {}
_FIELD_SEP = "\x1f"
#: Separates author names inside one row (ASCII punctuation: folding turns it into a space).
NAME_SEP = "\x1e"
_ARXIV_DOI = "10.48550/arxiv."


class Record(NamedTuple):
    """One entry as a source hands it over (text already decoded from LaTeX)."""

    key: str
    title: str
    authors: Sequence[str]  # "First Last" or "Last, First"
    year: str = ""
    doi: str = ""
    arxiv_id: str = ""
    line: int | None = None  # 1-based line of the entry in its file


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
        if not "\u0300" <= char <= "\u0362":
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


class Table:
    """One source's rows and indexes, each section unpacked on first use (see the module docs)."""

    SECTIONS = ("rows", "lines", "years", "title_lengths", "postings", "keys", "sorted_keys", "ids", "free")
    SECTIONS += ("extra",)
    _ARRAYS = {"years": "H", "title_lengths": "H"}

    def __init__(self, name: str, file: str | None = None) -> None:
        self.name = name
        self.file = file
        self.live = 0  # rows that are not empty slots
        self._values: dict[str, Any] = {}
        self._packed: dict[str, bytes] = {}
        self._vocabulary: list[str] | None = None
        #: Where the table is cached and for which version of its file (set by the source).
        self.cache: Path | None = None
        self.stamp: tuple | None = None

    def __len__(self) -> int:
        return self.live

    def _get(self, section: str) -> Any:
        try:
            return self._values[section]
        except KeyError:
            value = marshal.loads(self._packed.pop(section))
            if section in self._ARRAYS:
                value = array(self._ARRAYS[section], value)
            self._values[section] = value
            return value

    years: array = property(lambda self: self._get("years"))  # type: ignore[assignment]
    title_lengths: array = property(lambda self: self._get("title_lengths"))  # type: ignore[assignment]
    lines: list[int] = property(lambda self: self._get("lines"))  # type: ignore[assignment]

    @property
    def extra(self) -> dict[str, Any]:
        """What a file source keeps along (see :mod:`.bibtable`): marshal-able, stored with the table."""
        return self._get("extra")

    @extra.setter
    def extra(self, value: dict[str, Any]) -> None:
        self._values["extra"] = value
        self._packed.pop("extra", None)

    @property
    def slots(self) -> int:
        """How many slots there are (rows and empty slots)."""
        return len(self.lines)

    # -- words --------------------------------------------------------------------------------------
    @property
    def vocabulary(self) -> list[str]:
        """Every folded title and author-name word, sorted."""
        if self._vocabulary is None:
            self._vocabulary = sorted(self._get("postings"))
        return self._vocabulary

    def rows_of(self, word: str) -> Sequence[int]:
        """The rows whose title or author names contain the folded ``word`` (a row may repeat)."""
        postings = self._get("postings")
        rows = postings.get(word, ())
        if isinstance(rows, bytes):
            rows = postings[word] = array("i", rows)
        return rows

    def has_word(self, word: str) -> bool:
        return word in self._get("postings")

    def df(self, word: str) -> int:
        """How many rows contain ``word`` (its document frequency)."""
        return len(set(self.rows_of(word)))

    def words_starting(self, prefix: str, limit: int) -> list[str]:
        """The first ``limit`` words (in sorted order) that are longer than ``prefix`` and start with it."""
        vocabulary = self.vocabulary
        start = bisect_right(vocabulary, prefix)
        out = []
        for word in vocabulary[start : start + limit]:
            if not word.startswith(prefix):
                break
            out.append(word)
        return out

    # -- identifiers and keys -----------------------------------------------------------------------
    def id_rows(self, arxiv_id: str = "", doi: str = "") -> list[int]:
        """The rows with this arXiv id (or its arXiv DOI) or this DOI (lower-case)."""
        ids = self._get("ids")
        if arxiv_id:
            return held_slots(ids.get(arxiv_id)) + held_slots(ids.get(_ARXIV_DOI + arxiv_id.lower()))
        return held_slots(ids.get(doi)) if doi else []

    def key_rows(self, key: str) -> list[int]:
        """The rows whose key is ``key`` ignoring case."""
        return held_slots(self._get("keys").get(key.lower())) if key else []

    def keys_starting(self, prefix: str, limit: int) -> list[tuple[int, str]]:
        """``(row, lower-case key)`` of up to ``limit`` keys longer than ``prefix`` that start with it,
        in key order."""
        keys, ordered = self._get("keys"), self._get("sorted_keys")
        out: list[tuple[int, str]] = []
        for key in ordered[bisect_right(ordered, prefix) : bisect_right(ordered, prefix) + limit]:
            if not key.startswith(prefix) or len(out) >= limit:
                break
            out += [(row, key) for row in held_slots(keys[key])]
        return out[:limit]

    @property
    def sorted_keys(self) -> list[str]:
        """Every distinct key, lower-cased, sorted."""
        return self._get("sorted_keys")

    def row(self, index: int) -> Row:
        fields = self._get("rows")[index].split(_FIELD_SEP)
        key, title, authors, year, doi, arxiv_id = fields
        if not arxiv_id and doi.startswith(_ARXIV_DOI):
            arxiv_id = normalise_arxiv_id(doi[len(_ARXIV_DOI) :]) or ""
        title = " ".join(title.split())  # columns of large files keep their spaces (see detex_many)
        names = [" ".join(name.split()) for name in authors.split(NAME_SEP)] if authors else []
        names = [name for name in names if name and name != "others"]
        return Row(key, title, names, year, doi, arxiv_id, self.lines[index] or None, fold_words(title))

    # -- building and changing ----------------------------------------------------------------------
    @classmethod
    def build(cls, name: str, records: Iterable[Record], file: str | None = None) -> Table:
        """A table from records."""
        columns: list[list[Any]] = [[], [], [], [], [], [], []]
        for record in records:
            for column, value in zip(columns, record, strict=True):
                column.append(value)
        table = cls(name, file)
        table.add(
            *columns[:2],
            [NAME_SEP.join(n.replace(NAME_SEP, " ") for n in a) for a in columns[2]],
            *columns[3:],
        )
        return table

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
        """A table from parallel columns (``names``: each row's names joined by :data:`NAME_SEP`)."""
        table = cls(name, file)
        table.add(keys, titles, names, years, dois, arxiv_ids, lines)
        return table

    def add(
        self,
        keys: list[str],
        titles: list[str],
        names: list[str],
        years: list[str],
        dois: list[str],
        arxiv_ids: list[str],
        lines: list[int | None],
    ) -> list[int]:
        """Add rows given as columns (text decoded; ``names`` joined by :data:`NAME_SEP`), empty slots
        first; their slots. Column work done by C loops, no Python step a row (20,000 entries hold
        ~400,000 title and name words)."""
        self._begin()
        count = len(keys)
        rows, free = self._get("rows"), self._get("free")
        free.sort()
        reused = free[:count]
        del free[:count]
        grow = count - len(reused)
        slots = reused + list(range(len(rows), len(rows) + grow))
        if "\n" in "".join(titles):
            titles = [t.replace("\n", " ") for t in titles]
        if "\n" in "".join(names):
            names = [n.replace("\n", " ") for n in names]
        folded_titles, folded_names = fold_many(titles), fold_many(names)
        dois, arxiv_ids = _clean_dois(dois), clean_arxiv_ids(arxiv_ids)
        if each_line_matches(YEARS, years):
            year_numbers = list(map(int, years))
        else:
            year_numbers = [int(y) if len(y) == 4 and y.isdigit() else 0 for y in years]
        texts = list(map(_FIELD_SEP.join, zip(keys, titles, names, years, dois, arxiv_ids, strict=True)))
        if sum(map(str.count, texts, repeat(_FIELD_SEP))) != 5 * count:  # a separator in some value
            texts = [
                _FIELD_SEP.join(v.replace(_FIELD_SEP, " ") for v in fields)
                for fields in zip(keys, titles, names, years, dois, arxiv_ids, strict=True)
            ]
        lengths = list(map(len, folded_titles))
        if max(lengths, default=0) > 65535:
            lengths = [min(n, 65535) for n in lengths]
        lines = [line or 0 for line in lines] if None in lines else lines
        columns = (self._get("rows"), self.years, self.title_lengths, self.lines)
        if not reused:  # the common case (every new table): appended, column by column
            for column, new in zip(columns, (texts, year_numbers, lengths, lines), strict=True):
                column.extend(new)
        else:
            for column, new in zip(columns, (texts, year_numbers, lengths, lines), strict=True):
                column.extend(repeat("" if column is columns[0] else 0, grow))
                for slot, value in zip(slots, new, strict=True):
                    column[slot] = value
        key_index, ordered = self._get("keys"), self._get("sorted_keys")
        lower_keys = list(map(str.lower, keys))
        if not ordered:
            _index_rows(key_index, slots, lower_keys)
            ordered.extend(sorted(key_index))
        else:
            for key in set(lower_keys) - key_index.keys():
                insort(ordered, key)
            _index_rows(key_index, slots, lower_keys)
        _index_rows(self._get("ids"), slots, dois)
        _index_rows(self._get("ids"), slots, arxiv_ids)
        # Every word's rows in one map(list.append, …) pass: a column's words in one split, each row's
        # slot repeated once per word (a folded text is single-spaced, so its words are its spaces plus
        # one, none when it is empty; a stray space could only add to that, so the sum checks it).
        found: defaultdict[str, list[int]] = defaultdict(list)
        for folded in (folded_titles, folded_names):
            words = " ".join(folded).split()
            counts = list(map(add, map(str.count, folded, repeat(" ")), map(bool, folded)))
            if sum(counts) != len(words):
                counts = [len(text.split()) for text in folded]
            numbers = chain.from_iterable(map(repeat, slots, counts))
            deque(map(list.append, map(found.__getitem__, words), numbers), maxlen=0)
        postings = self._get("postings")
        if not postings:
            postings.update(zip(found, map(array, repeat("i"), found.values()), strict=True))
        else:
            for word, new in found.items():
                if word in postings:
                    self.rows_of(word).extend(new)  # type: ignore[attr-defined]
                else:
                    postings[word] = array("i", new)
        self._vocabulary = None
        self.live += count
        return slots

    def _begin(self) -> None:
        """Make the sections of a new table."""
        if "rows" not in self._values and "rows" not in self._packed:
            self._values.update(
                rows=[],
                lines=[],
                years=array("H"),
                title_lengths=array("H"),
                postings={},
                keys={},
                sorted_keys=[],
                ids={},
                free=[],
                extra={},
            )

    def reserve(self, count: int) -> None:
        """Leave this new table's first ``count`` slots empty, for the rows of another table that this
        one is to be appended to by :meth:`extend`: the rows added next take the slots after them, so
        the other table takes them as they are (no index built again, no slot moved)."""
        self._begin()
        if self.slots:
            raise ValueError("only a new table reserves slots")
        self._append_empty(count)

    def _append_empty(self, count: int) -> None:
        """Append ``count`` empty slots (not yet free)."""
        self._get("rows").extend(repeat("", count))
        for column in (self.years, self.title_lengths, self.lines):
            column.extend(repeat(0, count))

    def extend(self, other: Table, reserved: int) -> None:
        """Append ``other``'s rows, added after it reserved (:meth:`reserve`) its first ``reserved``
        slots for this table's: the table :meth:`add` makes of this table's rows, then ``other``'s. The
        slots this table does not fill are left empty."""
        self._begin()
        mine = self.slots
        if mine > reserved or other.slots < reserved or other._get("free"):
            raise ValueError("the table appended did not reserve these slots")
        self._append_empty(reserved - mine)
        self._get("free").extend(range(mine, reserved))
        for column, theirs in (
            (self._get("rows"), other._get("rows")),
            (self.years, other.years),
            (self.title_lengths, other.title_lengths),
            (self.lines, other.lines),
        ):
            column.extend(theirs[reserved:])
        for section in ("keys", "ids"):
            index, more = self._get(section), other._get(section)
            if index.keys().isdisjoint(more):
                index.update(more)
            else:
                for value, held in more.items():
                    have = index.get(value)
                    index[value] = held if have is None else holding(held_slots(have) + held_slots(held))
        ordered, more_keys, keys = self._get("sorted_keys"), other._get("sorted_keys"), self._get("keys")
        # Two sorted runs (sorted joins them in one pass), or the distinct keys when some are in both.
        disjoint = len(keys) == len(ordered) + len(more_keys)
        self._values["sorted_keys"] = sorted(ordered + more_keys if disjoint else keys)
        postings = self._get("postings")
        for word in other._get("postings"):
            if word in postings:
                self.rows_of(word).extend(other.rows_of(word))  # type: ignore[attr-defined]
            else:
                postings[word] = other.rows_of(word)
        self._vocabulary = None
        self.live += other.live

    def remove(self, slots: Iterable[int]) -> None:
        """Empty these slots (their rows leave every index)."""
        rows, postings, keys, ids = (self._get(s) for s in ("rows", "postings", "keys", "ids"))
        years, lengths, lines, free = self.years, self.title_lengths, self.lines, self._get("free")
        for slot in slots:
            key, title, names, _, doi, arxiv_id = rows[slot].split(_FIELD_SEP)
            for word in set(fold_words(f"{title} {names}").split()):
                found = self.rows_of(word)
                for _ in range(found.count(slot)):  # type: ignore[attr-defined]
                    found.remove(slot)  # type: ignore[attr-defined]
                if not found:
                    del postings[word]
            for index, value in ((keys, key.lower()), (ids, doi), (ids, arxiv_id)):
                held = held_slots(index.get(value)) if value else []
                if slot in held:
                    held.remove(slot)
                    if held:
                        index[value] = holding(held)
                    else:
                        del index[value]
                        if index is keys:
                            ordered = self._get("sorted_keys")
                            del ordered[bisect_left(ordered, value)]
            rows[slot], years[slot], lengths[slot], lines[slot] = "", 0, 0, 0
            free.append(slot)
            self.live -= 1
        self._vocabulary = None

    # -- (de)serialising ----------------------------------------------------------------------------
    def dumps(self, stamp: tuple) -> bytes:
        """A header (format, stamp, name, sizes of the sections) and the sections, each marshalled alone
        (so loading slices them out without a copy, and a query unpacks only those it needs)."""
        packed = dict(self._packed)
        for section, value in self._values.items():
            if section == "postings":
                value = {word: getattr(rows, "tobytes", lambda r=rows: r)() for word, rows in value.items()}
            packed[section] = marshal.dumps(value.tobytes() if isinstance(value, array) else value)
        names = sorted(packed)
        sizes = [len(packed[name]) for name in names]
        header = marshal.dumps((FORMAT_VERSION, stamp, self.name, self.file, self.live, names, sizes))
        return b"".join([len(header).to_bytes(4, "big"), header, *(packed[name] for name in names)])

    @classmethod
    def loads(cls, data: bytes) -> Table | None:
        """The table stored in ``data`` by this version (its ``stamp`` set), else None."""
        view = memoryview(data)
        try:
            start = 4 + int.from_bytes(view[:4], "big")
            version, stamp, name, file, live, names, sizes = marshal.loads(view[4:start])
        except (EOFError, ValueError, TypeError):
            return None
        if version != FORMAT_VERSION or set(names) != set(cls.SECTIONS) or start + sum(sizes) != len(data):
            return None
        table = cls(name, file)
        table.live, table.stamp = live, stamp
        for section, size in zip(names, sizes, strict=True):
            table._packed[section] = view[start : start + size]
            start += size
        return table

    def store(self) -> None:
        """Write the table to its cache file (no-op for uncached tables)."""
        if self.cache is not None and self.stamp is not None:
            write_cache_file(self.cache, self.dumps(self.stamp))


def held_slots(held: int | list[int] | None) -> list[int]:
    """The slots an index holds for one value: one slot is held as an int, several (or none, in a
    file's chunk bookkeeping) as a list."""
    return [] if held is None else [held] if isinstance(held, int) else list(held)


def holding(slots: list[int]) -> int | list[int]:
    """How an index holds these slots of one value (see :func:`held_slots`)."""
    return slots[0] if len(slots) == 1 else slots


def _index_rows(index: dict[str, int | list[int]], slots: list[int], values: list[str]) -> None:
    """Add each slot to ``index`` under its value ("" left out). Keys and identifiers are nearly all
    unique, so a value of one slot holds it as an int: a dict built by C loops, no list a value."""
    values, slots = list(compress(values, values)), list(compress(slots, values))
    found = dict(zip(values, slots, strict=True))
    if len(found) == len(values) and index.keys().isdisjoint(found):
        index.update(found)
        return
    for value, slot in zip(values, slots, strict=True):
        held = index.get(value)
        if held is None:
            index[value] = slot
        elif isinstance(held, int):
            index[value] = [held, slot]
        else:
            held.append(slot)


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


def load_cache(cache: Path) -> Table | None:
    """The table cached in ``cache`` (whatever file version it was made for), or None."""
    try:
        return Table.loads(cache.read_bytes())
    except OSError:
        return None
