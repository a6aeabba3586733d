"""The text layer: the one place for each rule about text every subsystem applies.

- here: folding (:func:`fold`), whitespace, arXiv ids and DOIs (normalising a value, finding one in
  running text), years in running text;
- :mod:`.latex`: LaTeX → text (the one decoder of BibTeX values, with its column variant);
- :mod:`.names`: personal names (given/family, particles, suffixes).

The writing direction (text → BibTeX) is :mod:`bibbridge.bib.latex`. Everything here is pure and cheap
to import (``unidecode`` is imported lazily, the submodules when used).
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
#: bytes.translate table: ASCII letters and digits kept, every other byte a space.
_ASCII_NON_WORD = bytes(c if chr(c).isalnum() and c < 128 else 32 for c in range(256))

# New-style (0704.0001 … 2512.12345) and old-style (hep-th/9901001, math.GT/0309136) arXiv ids,
# optionally with a version.
ARXIV_NEW = r"\d{4}\.\d{4,5}"
ARXIV_OLD = r"[a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7}"
_ARXIV_ID = re.compile(
    rf"^(?:arxiv:\s*)?(?:https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)?"
    rf"(?P<id>{ARXIV_NEW}|{ARXIV_OLD})(?P<version>v\d+)?(?:\.pdf)?$",
    re.IGNORECASE,
)
_DOI = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(?P<doi>10\.\d{4,9}/\S+)$", re.IGNORECASE)


def fold(text: str) -> str:
    """Fold ``text`` to lower-case ASCII words separated by single spaces.

    Case, accents, punctuation and whitespace do not matter after folding, so two spellings of one
    title compare equal: ``"Müller’s  GPT-4: a Study"`` → ``"muller s gpt 4 a study"``.
    """
    if not text.isascii():  # NFKC and unidecode leave ASCII as it is: skip them (and the import)
        from unidecode import unidecode

        text = unidecode(unicodedata.normalize("NFKC", text))
    # unidecode gives ASCII: a bytes translate + split is ~4x faster than _NON_WORD.sub (readers dedupe
    # thousands of titles), with the same result.
    data = text.lower().encode("ascii", "ignore").translate(_ASCII_NON_WORD)
    return b" ".join(data.split()).decode("ascii")


def normalise_title(title: str) -> str:
    """The identity form of a title (see :func:`fold`)."""
    return fold(title)


def clean_spaces(text: str) -> str:
    """Collapse runs of whitespace (arXiv's hard line wraps included) into single spaces."""
    return _SPACES.sub(" ", text).strip()


def normalise_arxiv_id(value: str | None) -> str | None:
    """``arXiv:2310.12920v2`` / ``https://arxiv.org/abs/2310.12920`` → ``2310.12920``; None if not an id."""
    if not value:
        return None
    m = _ARXIV_ID.match(value.strip())
    if not m:
        return None
    ident = m.group("id")
    # Old-style archive names are lower-case; the subject class suffix (math.GT) keeps its capitals.
    if "/" in ident:
        archive, number = ident.split("/", 1)
        head, dot, sub = archive.partition(".")
        ident = f"{head.lower()}{dot}{sub.upper()}/{number}"
    return ident


def normalise_doi(value: str | None) -> str | None:
    """``https://doi.org/10.48550/ARXIV.2310.12920`` → ``10.48550/arxiv.2310.12920``.

    DOIs are case-insensitive, so the comparable form is lower-case.
    """
    if not value:
        return None
    m = _DOI.match(value.strip())
    if not m:
        return None
    return m.group("doi").rstrip(".,;").lower()


def arxiv_doi(arxiv_id: str) -> str:
    """The DataCite DOI arXiv registers for every paper (no version suffix)."""
    return f"10.48550/arXiv.{arxiv_id}"


# An arXiv id in running text: an arXiv URL, ``arXiv:2310.12920``, ``arXiv 2310.12920``, the arXiv DOI
# ``10.48550/arXiv.2310.12920``; a bare number is not taken for an id.
_ARXIV_IN_TEXT = re.compile(rf"arxiv(?:\.org/(?:abs|pdf)/|[:\s./]*)({ARXIV_NEW}|{ARXIV_OLD})", re.IGNORECASE)
_DOI_IN_TEXT = re.compile(r"\b10\.\d{4,9}/[^\s\"<>{}]+")
_YEAR_IN_TEXT = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")


def find_arxiv_id(*texts: str | None) -> str | None:
    """The first arXiv id named in ``texts`` (``howpublished = {arXiv:2310.12920}``, an arXiv URL or
    DOI), normalised; None when none names one. Texts without ``rxiv`` are not searched."""
    for text in texts:
        if text and "rxiv" in text.lower():
            match = _ARXIV_IN_TEXT.search(text)
            if match:
                found = normalise_arxiv_id(match.group(1))
                if found:
                    return found
    return None


def find_doi(text: str | None) -> str | None:
    """The first DOI in ``text`` (a bare DOI, ``doi:…``, a doi.org URL), in comparable form."""
    if not text:
        return None
    match = _DOI_IN_TEXT.search(text)
    return normalise_doi(match.group(0)) if match else None


def find_year(text: str | None) -> str:
    """The first plausible year (1500–2099) in ``text`` (``2023-05-01``, ``Spring 2023``), else ""."""
    match = _YEAR_IN_TEXT.search(text or "")
    return match.group(1) if match else ""
