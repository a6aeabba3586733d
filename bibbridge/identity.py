"""When two records are the same paper: the one rule dedupe, merge, the key registry, sync and lookup use.

A paper is identified by up to three things (:class:`Ids`):

- its arXiv id, without version (``2310.12920``);
- its DOI in comparable form (lower case), when it is not the arXiv DOI ``10.48550/arXiv.<id>`` (that
  one is the arXiv id written differently, and is read as such);
- its folded title (:func:`title_key`).

The rule (:func:`same_paper`):

- two records with different arXiv ids, or different DOIs, are never the same paper, whatever their
  titles (:func:`certainly_different`);
- otherwise they are the same paper when they share the arXiv id, or the DOI, or the folded title (an
  empty title matches only a record that has nothing else to go by either).

Readers give the :class:`Ids` of every kind of record: :func:`paper_ids` (:class:`~bibbridge.model.Paper`),
:func:`bib_ids` (the fields of a .bib entry, LaTeX decoded), :func:`csl_ids` (a CSL-JSON item),
:func:`zotero_ids` (a Zotero item's data), :func:`registry_ids` (a row of the key registry).
:class:`IdentityIndex` finds the records of a paper among many; :func:`best_group` is the matching
procedure itself, for stores that look rows up their own way (the registry's SQLite table).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from .text import clean_spaces, find_arxiv_id, fold, normalise_arxiv_id, normalise_doi

if TYPE_CHECKING:
    from .model import Paper

T = TypeVar("T")

ARXIV_DOI_PREFIX = "10.48550/arxiv."
#: The .bib fields that can name an entry's arXiv id besides ``eprint`` (``howpublished =
#: {arXiv:2310.12920}``, an arXiv URL or DOI, ``journal = {arXiv preprint arXiv:…}``).
BIB_ARXIV_TEXT_FIELDS = ("url", "doi", "journal", "number", "howpublished")
#: Every .bib field :func:`bib_ids` reads.
BIB_IDENTITY_FIELDS = ("title", "eprint", "eprinttype", "archiveprefix", *BIB_ARXIV_TEXT_FIELDS)


class Ids(NamedTuple):
    """What identifies a paper: arXiv id (no version), DOI (comparable, not arXiv's), folded title.

    A named tuple: made for every record matched, so it must be cheap to make.
    """

    arxiv_id: str | None = None
    doi: str | None = None
    title: str = ""


_new_ids = tuple.__new__


def title_key(title: str) -> str:
    """The folded title (case, accents, punctuation and whitespace ignored). A title made only of
    symbols folds to nothing; it then stands for itself (whitespace collapsed). TeX math the writer
    keeps as math is decoded first (:func:`bibbridge.text.latex.decode_math`), as it will be when the
    entry is read back."""
    if "$" in title:
        from .text.latex import decode_math

        title = decode_math(title)
    return fold(title) or clean_spaces(title)


def make_ids(arxiv_id: str | None, doi: str | None, title: str = "", folded: bool = False) -> Ids:
    """:class:`Ids` from raw values: the arXiv id normalised, the DOI normalised (the arXiv DOI read as
    the arXiv id), the title folded unless ``folded`` says it is already."""
    arxiv = normalise_arxiv_id(arxiv_id) if arxiv_id else None
    comparable = normalise_doi(doi) if doi else None
    if comparable and comparable.startswith(ARXIV_DOI_PREFIX):
        arxiv = arxiv or normalise_arxiv_id(comparable[len(ARXIV_DOI_PREFIX) :])
        comparable = None
    return Ids(arxiv, comparable, title if folded else title_key(title) if title else "")


# -- readers ----------------------------------------------------------------------------------------
def paper_ids(paper: Paper, title: str | None = None) -> Ids:
    """The :class:`Ids` of a Paper (``title``: its folded title when the caller has it already)."""
    arxiv_id = paper.arxiv_id or None  # normalised by Paper itself
    doi = paper.doi
    if doi:
        doi = normalise_doi(doi)
        if doi and doi.startswith(ARXIV_DOI_PREFIX):
            arxiv_id = arxiv_id or normalise_arxiv_id(doi[len(ARXIV_DOI_PREFIX) :])
            doi = None
    else:
        doi = None
    # tuple.__new__ directly: made for every paper deduped, and Ids() costs a Python call more.
    return _new_ids(Ids, (arxiv_id, doi, title_key(paper.title) if title is None else title))


def bib_arxiv_id(fields: Mapping[str, str]) -> str | None:
    """The arXiv id of a .bib entry (field names lower case): its ``eprint`` when the entry's
    ``eprinttype``/``archivePrefix`` is arXiv or not given, else an id named in its URL, DOI, journal,
    number or howpublished (``arXiv:2310.12920``). An eprint of another archive (HAL, PubMed…)
    is not an arXiv id."""
    eprint = fields.get("eprint")
    if eprint:
        kind = (fields.get("eprinttype") or fields.get("archiveprefix") or "arxiv").strip().lower()
        if kind == "arxiv":
            found = normalise_arxiv_id(eprint)
            if found:
                return found
    return find_arxiv_id(*(fields.get(name) for name in BIB_ARXIV_TEXT_FIELDS))


def bib_title(value: str) -> str:
    """A .bib title as text: LaTeX decoded (the one decoder, :mod:`bibbridge.text.latex`)."""
    from .text.latex import latex_to_text, needs_decoding

    return latex_to_text(value, tie=" ") if needs_decoding(value) else value


def bib_ids(fields: Mapping[str, str]) -> Ids:
    """The :class:`Ids` of a .bib entry's fields (lower-case names; values as written, LaTeX and all)."""
    title = fields.get("title") or ""
    return make_ids(bib_arxiv_id(fields), fields.get("doi"), bib_title(title) if title else "")


def csl_arxiv_id(item: Mapping[str, Any]) -> str | None:
    """The arXiv id of a CSL-JSON item: named in its ``number``, ``URL``, ``archive_location`` or DOI."""
    names = ("number", "URL", "archive_location", "DOI")
    return find_arxiv_id(*(str(item.get(name) or "") for name in names))


def csl_ids(item: Mapping[str, Any]) -> Ids:
    """The :class:`Ids` of a CSL-JSON item (``DOI``, :func:`csl_arxiv_id`, ``title``). CSL titles are
    plain text, as a Paper's are: not LaTeX-decoded (a title ``\\textbf{Bold} claim`` is those words)."""
    return make_ids(csl_arxiv_id(item), str(item.get("DOI") or ""), str(item.get("title") or ""))


def zotero_ids(data: Mapping[str, Any]) -> Ids:
    """The :class:`Ids` of a Zotero item's data (arXiv id and DOI as :func:`bibbridge.zotero.mapper.
    item_facts` reads them: ``archiveID``, Extra, URL, DOI)."""
    from .zotero.mapper import item_facts

    facts = item_facts(dict(data))
    return make_ids(facts.arxiv_id, facts.doi, str(data.get("title") or ""))


def registry_ids(row: Any) -> Ids:
    """The :class:`Ids` of a key registry row (:class:`bibbridge.keys.registry.KeyRow` or any object
    with ``arxiv_id``, ``doi`` and ``title``)."""
    return make_ids(row.arxiv_id, row.doi, row.title or "")


# -- the rule -----------------------------------------------------------------------------------------
def certainly_different(a: Ids, b: Ids) -> bool:
    """True when ``a`` and ``b`` cannot be one paper: different arXiv ids or different DOIs."""
    return bool(
        (a.arxiv_id and b.arxiv_id and a.arxiv_id != b.arxiv_id) or (a.doi and b.doi and a.doi != b.doi)
    )


def same_paper(a: Ids, b: Ids) -> bool:
    """True when ``a`` and ``b`` are the same paper (see the module doc)."""
    arxiv_a, doi_a, title_a = a
    arxiv_b, doi_b, title_b = b
    if (arxiv_a and arxiv_b and arxiv_a != arxiv_b) or (doi_a and doi_b and doi_a != doi_b):
        return False  # certainly different
    if (arxiv_a and arxiv_a == arxiv_b) or (doi_a and doi_a == doi_b):
        return True
    if title_a != title_b:
        return False
    return bool(title_a) or not (arxiv_a or doi_a or arxiv_b or doi_b)


#: How a store answers "rows with this arXiv id / DOI / folded title": ``(kind, value)`` → ``(ids, row)``.
Lookup = Callable[[str, str], Iterable[tuple[Ids, T]]]


def best_match(ids: Ids, lookup: Lookup[T]) -> tuple[str, list[T]]:
    """What matched (``"arxiv"``, ``"doi"``, ``"title"``; ``""`` for nothing) and the records of the
    paper ``ids`` a store holds, best first: those found by arXiv id, else by DOI, else by folded
    title, keeping only those :func:`same_paper` accepts (in the store's order)."""
    arxiv_id, doi, title = ids
    if arxiv_id:
        found = [row for other, row in lookup("arxiv", arxiv_id) if same_paper(ids, other)]
        if found:
            return "arxiv", found
    if doi:
        found = [row for other, row in lookup("doi", doi) if same_paper(ids, other)]
        if found:
            return "doi", found
    found = [row for other, row in lookup("title", title) if same_paper(ids, other)]
    return ("title", found) if found else ("", found)


def best_group(ids: Ids, lookup: Lookup[T]) -> list[T]:
    """The records of :func:`best_match`."""
    return best_match(ids, lookup)[1]


class IdentityIndex(Generic[T]):
    """Records (any values) indexed by their :class:`Ids`, to find those of a paper among many.

    A record that gains identifiers (a merge) is :meth:`add`-ed again with its new :class:`Ids`; its
    earlier entries stay, so a caller whose records change checks the current :class:`Ids` too.
    """

    __slots__ = ("_arxiv", "_doi", "_title", "_lookup")

    def __init__(self, records: Iterable[tuple[Ids, T]] = ()) -> None:
        self._arxiv: dict[str, list[tuple[Ids, T]]] = {}
        self._doi: dict[str, list[tuple[Ids, T]]] = {}
        self._title: dict[str, list[tuple[Ids, T]]] = {}
        by = {"arxiv": self._arxiv, "doi": self._doi, "title": self._title}

        def lookup(kind: str, value: str) -> list[tuple[Ids, T]]:
            return by[kind].get(value, _NONE)

        self._lookup = lookup
        for ids, value in records:
            self.add(ids, value)

    def add(self, ids: Ids, value: T) -> None:
        arxiv_id, doi, title = ids
        entry = (ids, value)
        if arxiv_id:
            self._arxiv.setdefault(arxiv_id, []).append(entry)
        if doi:
            self._doi.setdefault(doi, []).append(entry)
        found = self._title.get(title)
        if found is None:
            self._title[title] = [entry]
        else:
            found.append(entry)

    def match(self, ids: Ids) -> tuple[str, list[T]]:
        """:func:`best_match` in this index."""
        arxiv_id, doi, title = ids
        # The common case, a paper the index has never seen: three dict probes, no matching.
        if title not in self._title and (not arxiv_id or arxiv_id not in self._arxiv):
            if not doi or doi not in self._doi:
                return "", _NONE
        return best_match(ids, self._lookup)

    def match_or_add(self, ids: Ids, value: T) -> list[T]:
        """The records of the paper ``ids`` (as :meth:`find_all`); when there are none, ``value`` is
        added under ``ids`` and ``[]`` returned. One call for the common case of a dedupe."""
        arxiv_id, doi, title = ids
        titled = self._title.get(title)
        if titled is None and (not arxiv_id or arxiv_id not in self._arxiv):
            if not doi or doi not in self._doi:
                entry = (ids, value)
                self._title[title] = [entry]
                if arxiv_id:
                    self._arxiv[arxiv_id] = [entry]
                if doi:
                    self._doi[doi] = [entry]
                return _NONE
        found = best_match(ids, self._lookup)[1]
        if not found:
            self.add(ids, value)
        return found

    def find_all(self, ids: Ids) -> list[T]:
        """Every record of the paper ``ids`` in the best group (see :func:`best_match`)."""
        return self.match(ids)[1]

    def find(self, ids: Ids) -> T | None:
        """The first record of the paper ``ids``, or None."""
        found = self.match(ids)[1]
        return found[0] if found else None


_NONE: list = []
