"""Matching a query against a :class:`~bibbridge.keylookup.index.Table`: what the user typed → ranked rows.

Query forms (mixed freely): title words in any order, partial or misspelt; an arXiv id (``2310.12920``,
``arXiv:2310.12920v2``, ``https://arxiv.org/abs/2310.12920``); a DOI or DOI URL; author family names
and/or a year (``müller 2023``, ``the Müller paper from 2023``: filler words are ignored); a key or a
key prefix. Everything is folded first (case, accents, LaTeX markup, punctuation).

Scoring (0–100):

* 100: an exact identifier — arXiv id, DOI (the arXiv DOI ``10.48550/arXiv.<id>`` counts as the id),
  or the exact key (case-insensitive).
* 80–94: a key prefix (``80 + 15 × len(prefix) / len(key)``); up to 84: a key within a typo or two
  (rapidfuzz ratio ≥ 85, times 0.85).
* up to 95: words. Each query word is looked up in the inverted index of title and author
  family-name words: exactly (similarity 1), as a prefix of an indexed word (0.95 when at most two
  letters are missing, else 0.85: ``model`` finds ``models``, ``transf`` finds ``transformer``), and
  within typos (rapidfuzz ratio ≥ 75–80, similarity = ratio × 0.95). Every word is weighted by its
  rarity, ``ln(1 + N / (1 + df))``; a year weighs half of all the words together (a year alone weighs
  1) and counts when the entry's year is that year. Then

  ``coverage`` = weighted share of the query's words the entry has,
  ``precision`` = share of the entry's title words the query named,
  ``similarity`` = rapidfuzz ``token_set_ratio`` of the folded query and title / 100, and

  ``score = round(95 × (0.80 × coverage + 0.12 × precision + 0.08 × similarity))``.

  So a query of title words in any order, with words dropped, scores 76–95; each missing or
  unknown rare word costs much, a missing common word little; exact identifiers always rank above
  fuzzy matches.

Answers below :data:`DEFAULT_MIN_SCORE` (60) are not shown: at 60 the query's rare words are mostly
present in the entry, below it the entry usually shares only common words with the query.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..text import normalise_arxiv_id, normalise_doi
from ..text.names import family_name
from .index import Table, fold_words

DEFAULT_MIN_SCORE = 60

#: Words that say what the user is looking for rather than what the paper is called.
FILLER = frozenset(
    """a an the paper papers article preprint arxiv doi from by of in on about with et al and or
    for to that this which one work study published written""".split()
)
_YEAR = re.compile(r"^(?:1[89]|20)\d\d$")
_ID_PREFIX_SPACE = re.compile(r"\b(arxiv|doi):\s+", re.IGNORECASE)
_TOKEN_TRIM = "<>()[]{},;\"'`"
_ARXIV_DOI = "10.48550/arxiv."

#: How many rows get the full (rapidfuzz) scoring after the cheap coverage pass.
REFINE_ROWS = 60


@dataclass
class Query:
    """A parsed query. ``words`` are folded content words (filler and years removed)."""

    text: str
    words: list[str] = field(default_factory=list)
    years: list[str] = field(default_factory=list)
    arxiv_ids: list[str] = field(default_factory=list)
    dois: list[str] = field(default_factory=list)
    key: str | None = None

    @property
    def only_ids(self) -> bool:
        """True when the query is nothing but identifiers (then fuzzy matching is not wanted)."""
        return bool(self.arxiv_ids or self.dois) and not self.words and not self.years

    @property
    def terms(self) -> str:
        """The query as search terms for services that match words themselves (Better BibTeX)."""
        if self.arxiv_ids or self.dois:
            return " ".join(self.arxiv_ids or self.dois)
        return " ".join(self.words + self.years) or self.text


def parse_query(text: str) -> Query:
    """Split ``text`` into identifiers, a possible key, years and folded content words."""
    query = Query(text=text.strip())
    rest: list[str] = []
    for raw in _ID_PREFIX_SPACE.sub(r"\1:", query.text).split():
        token = raw.strip(_TOKEN_TRIM)
        doi = normalise_doi(token)
        if doi:
            query.dois.append(doi)
            if doi.startswith(_ARXIV_DOI):
                arxiv_id = normalise_arxiv_id(doi[len(_ARXIV_DOI) :])
                if arxiv_id:
                    query.arxiv_ids.append(arxiv_id)
            continue
        arxiv_id = normalise_arxiv_id(token)
        if arxiv_id:
            query.arxiv_ids.append(arxiv_id)
            continue
        rest.append(raw)
    if len(rest) == 1 and not (query.arxiv_ids or query.dois):
        key = rest[0].strip(_TOKEN_TRIM).lstrip("@")
        if key and not any(c.isspace() for c in key):
            query.key = key
    folded = fold_words(" ".join(rest)).split()
    content = [w for w in folded if w not in FILLER]
    for word in content or folded:
        if _YEAR.match(word):
            if word not in query.years:
                query.years.append(word)
        elif word not in query.words:
            query.words.append(word)
    return query


def search_table(table: Table, query: Query, limit: int = 10) -> list[tuple[int, int, str]]:
    """The best rows of ``table`` for ``query`` as ``(row, score, matched)``, best first."""
    best: dict[int, tuple[int, str]] = {}

    def offer(row: int, score: int, matched: str) -> None:
        if score > best.get(row, (-1, ""))[0]:
            best[row] = (score, matched)

    if query.arxiv_ids or query.dois:
        for arxiv_id in query.arxiv_ids:
            for row in table.id_rows(arxiv_id=arxiv_id):
                offer(row, 100, "arxiv")
        for doi in query.dois:
            for row in table.id_rows(doi=doi):
                offer(row, 100, "doi")
    if query.only_ids:
        return _ranked(table, best, limit)
    if query.key:
        _match_key(table, query.key, offer)
    if query.words or query.years:
        for row, score in _match_words(table, query, max(REFINE_ROWS, 3 * limit)):
            offer(row, score, "words")
    return _ranked(table, best, limit)


def _ranked(table: Table, best: dict[int, tuple[int, str]], limit: int) -> list[tuple[int, int, str]]:
    # Ties by key, then line: never by row number, which depends on the cache's history.
    lines = table.lines
    top = heapq.nsmallest(
        limit, best.items(), key=lambda item: (-item[1][0], table.row(item[0]).key.lower(), lines[item[0]])
    )
    return [(row, score, matched) for row, (score, matched) in top]


def _match_key(table: Table, key: str, offer: Callable[[int, int, str], None]) -> None:
    lower = key.lower()
    for row in table.key_rows(lower):
        offer(row, 100, "key")
    if len(lower) >= 3:
        for row, longer in table.keys_starting(lower, 200):
            offer(row, min(94, 80 + 15 * len(lower) // len(longer)), "key-prefix")
    if len(lower) >= 5 and len(table):
        from rapidfuzz import fuzz, process

        # Over the distinct keys in sorted order: ties go to the first in that order, whatever the rows.
        for longer, ratio, _ in process.extract(
            lower, table.sorted_keys, scorer=fuzz.ratio, score_cutoff=85, limit=5
        ):
            for row in table.key_rows(longer) if ratio < 100 else ():
                offer(row, int(ratio * 0.85), "key-fuzzy")


def _expansions(table: Table, word: str) -> dict[str, float]:
    """Indexed words standing for ``word``: itself, words it is a prefix of, words within typos."""
    found: dict[str, float] = {}
    if table.has_word(word):
        found[word] = 1.0
    if len(word) >= 3:
        for longer in table.words_starting(word, 30):
            found.setdefault(longer, 0.95 if len(longer) - len(word) <= 2 else 0.85)
    if len(word) >= 4:
        choices = table.vocabulary
        if choices:
            from rapidfuzz import fuzz, process

            for candidate, ratio, _ in process.extract(
                word, choices, scorer=fuzz.ratio, score_cutoff=typo_cutoff(word), limit=TYPO_LIMIT
            ):
                similarity = ratio / 100 * 0.95
                if similarity > found.get(candidate, 0.0):
                    found[candidate] = similarity
    return found


#: At most this many words are taken as what a misspelt query word stands for.
TYPO_LIMIT = 6


def typo_cutoff(word: str) -> int:
    """The least rapidfuzz ratio of a word that misspelt ``word`` may stand for."""
    return 80 if len(word) >= 7 else 75


def _match_words(table: Table, query: Query, refine: int) -> list[tuple[int, int]]:
    total = len(table)
    if not total:
        return []
    weights: list[float] = []
    per_word: list[dict[int, float]] = []
    claimed: set[str] = set()  # the indexed words the query words most likely mean (for precision)
    all_expansions: list[dict[str, float]] = []
    for word in query.words:
        sims: dict[int, float] = {}
        expansions = _expansions(table, word)
        all_expansions.append(expansions)
        best_word, best_sim = max(expansions.items(), key=lambda item: item[1], default=("", 0.0))
        claimed.update(w for w, similarity in expansions.items() if similarity >= best_sim - 0.05)
        # Each row gets its best similarity: the expansions in rising order, later ones overwriting.
        for indexed, similarity in sorted(expansions.items(), key=lambda item: item[1]):
            sims.update(dict.fromkeys(table.rows_of(indexed), similarity))
        weights.append(math.log(1 + total / (1 + table.df(best_word))))
        per_word.append(sims)

    word_weight = sum(weights)
    year_weight = 0.5 * word_weight if word_weight else 1.0
    years = {int(year) for year in query.years}
    row_years = table.years
    if per_word:
        rows: set[int] = set().union(*per_word)
    else:  # a year alone
        rows = {row for row, year in enumerate(row_years) if year in years}
    denominator = word_weight + (year_weight if years else 0.0)

    coverage: dict[int, float] = {}
    pairs = list(zip(weights, per_word, strict=True))
    for row in rows:
        got = 0.0
        for weight, sims in pairs:
            got += weight * sims.get(row, 0.0)
        if years and row_years[row] in years:
            got += year_weight
        coverage[row] = got / denominator
    lengths, lines = table.title_lengths, table.lines

    def rank(row: int) -> tuple[float, int, int]:
        return (coverage[row], -lengths[row], -lines[row])

    top = heapq.nlargest(refine, coverage, key=rank)
    if len(coverage) > refine and top:
        # Rows tied with the last one kept (entries on one line, alike): those kept go by key, never by
        # row number, which depends on the cache's history.
        last = rank(top[-1])
        tied = sorted((row for row in coverage if rank(row) == last), key=lambda r: table.row(r).key.lower())
        kept = [row for row in top if rank(row) != last]
        top = kept + tied[: refine - len(kept)]

    from rapidfuzz import fuzz

    query_text = " ".join(query.words + query.years)
    scored: list[tuple[int, int]] = []
    for row in top:
        entry = table.row(row)
        folded_title = entry.folded_title
        title_words = set(folded_title.split())
        content = (title_words - FILLER) or title_words
        precision = sum(1 for word in content if word in claimed) / len(content) if content else 0.0
        # Whole-title similarity only where the query named title words: for "müller 2023" it would
        # rank Müller's papers by how much their titles happen to resemble "muller 2023".
        similarity = fuzz.token_set_ratio(query_text, folded_title) / 100 if precision else 0.0
        precision = max(precision, _first_author_similarity(entry.authors, all_expansions))
        score = round(95 * (0.80 * coverage[row] + 0.12 * precision + 0.08 * similarity))
        scored.append((row, score))
    return scored


def _first_author_similarity(authors: list[str], expansions: list[dict[str, float]]) -> float:
    """How well a query word names the first author's family name (0 when none does): "the Müller
    paper" means the paper Müller wrote first, so it ranks above ones where Müller is a co-author."""
    if not authors:
        return 0.0
    family = set(fold_words(family_name(authors[0])).split())
    return max((sim for found in expansions for word, sim in found.items() if word in family), default=0.0)
