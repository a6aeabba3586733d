"""Split a personal name given as one string into (given, family), keeping family-name particles.

Better BibTeX reads the family name from Zotero's separate ``lastName`` field. Digests and arXiv give
one string per author ("Aaron van den Oord"), so the family name has to be recovered the way BibTeX
itself does it: the family name starts at the first lower-case particle ("van", "de la", "al") and
runs to the end; "Last, First" puts it before the comma; a quoted or braced group is one family name.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Lower-case words that begin a family name when they follow the given names ("Vincent van Gogh",
# "Walter de la Mare", "Tawfiq al Hakim"). BibTeX's "von part" rule, restricted to known particles so
# that an all-lower-case name ("yang liu") is not read as a particle.
PARTICLES = frozenset(
    """
    af al av ben bin d da dal dalla das de degli dei del dell della delle dello den der des di do dos
    du el het ibn l la las le les lo los op st te ten ter van vom von zu zum zur y
    """.split()
)

# Capitalised particles that still belong to the family name ("Thomas De Quincey", "Luca Della
# Robbia", "Lorenzo Da Ponte"). "Van" and "Le" are left out on their own: they are far more often a
# Vietnamese middle or family name ("Thanh Van Nguyen", "Quoc Le Minh"); "Van der Berg" still counts.
CAPITALISED_PARTICLES = frozenset(
    """
    Da Dal Dalla Das De Degli Dei Del Dell Della Delle Den Der Des Di Dos Du La Ten Ter Vom Von Zu Zum
    """.split()
)
_LINKED_WITH_VAN = frozenset({"der", "den", "de", "het", "t"})

# Generational and honorific suffixes: "Martin Luther King, Jr." / "King Jr." / "Henry Ford II".
SUFFIXES = frozenset("jr jr. sr sr. ii iii iv v phd ph.d. md m.d.".split())

# Apostrophe-particles written without a space before the family name: d'Alembert, D'Annunzio.
_ELIDED = re.compile(r"^(?:d|l|dell|all|degl|dall|sant)['\u2019]", re.IGNORECASE)
_QUOTED = re.compile(r'"([^"]+)"|\{([^{}]+)\}')
_SPACES = re.compile(r"\s+")


class Name(NamedTuple):
    """A personal name split: ``given`` ("" for a single name) and ``family`` (with its particles)."""

    given: str
    family: str


def _is_suffix(word: str) -> bool:
    return word.lower().strip(",") in SUFFIXES


def _starts_family(words: list[str], i: int) -> bool:
    """Does ``words[i]`` (not the first, not the last word) begin the family name?"""
    word = words[i]
    bare = word.rstrip(".")
    if bare in PARTICLES or word in PARTICLES:
        return True
    if _ELIDED.match(word) and word[0].islower():
        return True
    if bare in CAPITALISED_PARTICLES:
        return True
    # "Van der Berg", "Van Den Heuvel": a capitalised "Van" followed by a second particle.
    return bare == "Van" and words[i + 1].lower() in _LINKED_WITH_VAN


def split_name(name: str) -> Name:
    """``(given, family)`` of a personal name written as one string (a :class:`Name`).

    >>> split_name("Aaron van den Oord")
    Name(given='Aaron', family='van den Oord')
    >>> split_name("van Gogh, Vincent")
    Name(given='Vincent', family='van Gogh')
    >>> split_name("José Ortega y Gasset")
    Name(given='José', family='Ortega y Gasset')
    >>> split_name("Martin Luther King, Jr.")
    Name(given='Martin Luther', family='King')
    >>> split_name("Henry Ford II")
    Name(given='Henry', family='Ford')
    >>> split_name("OECD")
    Name(given='', family='OECD')
    """
    name = _SPACES.sub(" ", name or "").strip().strip(",").strip()
    if not name:
        return Name("", "")

    # A quoted or braced group is the family name when it ends the name or precedes the comma.
    quoted = list(_QUOTED.finditer(name))
    if quoted:
        last = quoted[-1]
        family = last.group(1) or last.group(2)
        before, after = name[: last.start()].strip(), name[last.end() :].strip()
        if after.startswith(","):  # '"van Gulik", Robert'
            return Name(after[1:].strip(), family.strip())
        if not after or _is_suffix(after):
            return Name(before.rstrip(",").strip(), family.strip())

    if "," in name:
        parts = [part.strip() for part in name.split(",")]
        parts = [part for part in parts if part]
        if len(parts) >= 2 and all(_is_suffix(part) for part in parts[1:]):
            name = parts[0]  # "Martin Luther King, Jr.": a suffix, not a given name
        elif len(parts) >= 2:
            rest = [part for part in parts[1:] if not _is_suffix(part)]
            return Name(" ".join(rest), parts[0])  # "von Last, Jr, First" / "Last, First"
        else:
            name = parts[0] if parts else ""

    words = name.split(" ")
    while len(words) > 1 and _is_suffix(words[-1]):
        words.pop()
    if len(words) == 1:
        return Name("", words[0])

    start = len(words) - 1
    for i in range(1, len(words) - 1):
        if _starts_family(words, i):
            start = i
            break
    # Spanish double family names joined by "y": "José Ortega y Gasset".
    if start > 1 and words[start] == "y":
        start -= 1
    return Name(" ".join(words[:start]), " ".join(words[start:]))


def family_name(name: str) -> str:
    """The family name of ``name`` with its particles ("Vincent van Gogh" → "van Gogh")."""
    return split_name(name).family
