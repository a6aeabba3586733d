"""What BibTeX and biber see at the end of a file: whether an '@' block is still open there."""

from __future__ import annotations

import re

from .model import BibEntry

# -- what BibTeX and biber see at the end of a file --------------------------------------------------
# BibTeX reads every '@' outside an entry (after '%' too: it has no comments) and skips @comment's word
# only; biber (btparse) reads @comment{...} as a balanced block. An entry left open swallows all after it.
_BIBTEX_HEAD = re.compile(r"@[ \t\n\r]*([^\s\"#%'(),={}@]+)[ \t\n\r]*")
_BIBTEX_SPECIAL = re.compile(r'[{}"()]')


def _bibtex_block_end(text: str, pos: int) -> int | None:
    """After the block whose '{' or '(' is at ``pos``, as BibTeX scans it (braces counted everywhere,
    quotes at brace level 0); where BibTeX stops on an error (then it looks for the next '@'); None when
    the block is still open at the end of the text."""
    closer = "}" if text[pos] == "{" else ")"
    depth, quoted = 0, False
    for m in _BIBTEX_SPECIAL.finditer(text, pos + 1):
        ch = m.group()
        if ch == "{":
            depth += 1
        elif ch == "}":
            if not depth:  # the closing brace, or an error (BibTeX then looks for the next '@')
                return m.end()
            depth -= 1
        elif ch == '"':
            if depth == 0:
                quoted = not quoted
        elif ch == ")" and closer == ")" and depth == 0 and not quoted:
            return m.end()
    return None


def bibtex_open_entry(text: str, entries: list[BibEntry] | None = None) -> int | None:
    """The offset of an '@' whose block BibTeX or biber would still be reading at the end of ``text``
    (so whatever is appended would vanish into it), or None. ``entries``, the well-formed entries
    :func:`parse_bib` found (sorted by offset), are skipped whole: only the text between them is scanned."""
    spans = [(e.start, e.end) for e in entries] if entries else []
    index, count = 0, len(spans)
    pos = 0
    while True:
        at = text.find("@", pos)
        if at < 0:
            return None
        while index < count and spans[index][1] <= at:
            index += 1
        if index < count and spans[index][0] <= at:
            pos = spans[index][1]
            continue
        m = _BIBTEX_HEAD.match(text, at)
        if m is None:
            pos = at + 1
            continue
        body = m.end()
        opener = text[body : body + 1]
        if opener not in ("{", "("):
            pos = body
            continue
        end = _bibtex_block_end(text, body)
        if end is None:
            return at
        # BibTeX itself goes on right after "@comment" (entries inside it count); biber skips the block.
        pos = body if m.group(1).lower() == "comment" else end
