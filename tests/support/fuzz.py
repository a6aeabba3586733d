"""Seeded mutations of real inputs for the fuzz suites (tests/test_fuzz_*.py).

Every case is ``(seed, index)``: the same pair always gives the same bytes, so a failure names the case
to replay (``mutate(data, random.Random(f"{seed}:{index}"))``). How many cases run: the
``BIBBRIDGE_FUZZ_EXAMPLES`` environment variable (default: a small fixed count for CI), the seed
``BIBBRIDGE_FUZZ_SEED`` (default fixed).
"""

from __future__ import annotations

import os
import random

DEFAULT_SEED = "bibbridge-15"


def examples(default: int) -> int:
    return int(os.environ.get("BIBBRIDGE_FUZZ_EXAMPLES", default))


def seed() -> str:
    return os.environ.get("BIBBRIDGE_FUZZ_SEED", DEFAULT_SEED)


def case_rng(index: int) -> random.Random:
    return random.Random(f"{seed()}:{index}")


_RANGES = (
    (0x0300, 0x036F),  # combining marks
    (0x0590, 0x06FF),  # Hebrew, Arabic (RTL)
    (0x200B, 0x200F),  # zero-width, LRM/RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2066, 0x2069),  # bidi isolates
    (0xE000, 0xE0FF),  # private use
    (0xF0000, 0xF00FF),  # supplementary private use
    (0x1D400, 0x1D7FF),  # mathematical alphanumerics
    (0x1F300, 0x1F64F),  # emoji
    (0x2100, 0x22FF),  # letterlike symbols, arrows, math operators
    (0x0080, 0x00FF),  # Latin-1 (C1 controls included)
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFF01, 0xFF5E),  # full-width ASCII
    (0x0250, 0x02FF),  # IPA, modifier letters (unidecode gives '@', quotes …)
    (0x3040, 0x30FF),  # kana
)
_SPECIAL = "{}\\%#$&_~^\"@,()=<>|'`"


def random_unicode(rng: random.Random, count: int) -> str:
    out = []
    for _ in range(count):
        low, high = rng.choice(_RANGES)
        out.append(chr(rng.randint(low, high)))
    return "".join(out)


def _insert(text: str, rng: random.Random, piece: str) -> str:
    at = rng.randint(0, len(text))
    return text[:at] + piece + text[at:]


def _at_line(text: str, rng: random.Random, piece: str) -> str:
    """``piece`` inside a random line (a title, an abstract, a field)."""
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    line = lines[i]
    at = rng.randint(0, len(line))
    lines[i] = line[:at] + piece + line[at:]
    return "\n".join(lines)


def mutate_text(text: str, rng: random.Random) -> str:
    """One to four text-level mutations."""
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(
            [
                "unicode",
                "unicode",
                "combining",
                "special",
                "long-run",
                "nesting",
                "open-nesting",
                "line-ends",
                "delete-line",
                "duplicate-line",
                "swap-lines",
                "truncate",
            ]
        )
        if kind == "unicode":
            text = _at_line(text, rng, random_unicode(rng, rng.randint(1, 8)))
        elif kind == "combining":
            marks = "".join(chr(rng.randint(0x300, 0x36F)) for _ in range(rng.randint(1, 40)))
            text = _at_line(text, rng, "e" + marks)
        elif kind == "special":
            text = _at_line(text, rng, "".join(rng.choice(_SPECIAL) for _ in range(rng.randint(1, 12))))
        elif kind == "long-run":
            unit = "".join(rng.choice(_SPECIAL + ".-!?:;* ") for _ in range(rng.randint(1, 3)))
            text = _at_line(text, rng, unit * (rng.randint(2000, 40000) // len(unit)))
        elif kind == "nesting":
            depth = rng.randint(10, 5000)
            text = _at_line(text, rng, "{" * depth + "x" + "}" * depth)
        elif kind == "open-nesting":
            text = _at_line(text, rng, rng.choice("{}") * rng.randint(1, 3000))
        elif kind == "line-ends":
            ending = rng.choice(["\r\n", "\r", "\n\r", "\r\r\n"])
            if rng.random() < 0.5:
                text = text.replace("\n", ending)
            else:  # a mix: some lines only
                lines = text.split("\n")
                text = "".join(line + (ending if rng.random() < 0.3 else "\n") for line in lines)
        elif kind == "delete-line":
            lines = text.split("\n")
            del lines[rng.randrange(len(lines))]
            text = "\n".join(lines)
        elif kind == "duplicate-line":
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        elif kind == "swap-lines":
            lines = text.split("\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif kind == "truncate":
            text = text[: rng.randint(len(text) // 2, len(text))]
    return text


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Byte-level damage: bit flips, a cut, a BOM, a NUL."""
    out = bytearray(data)
    kind = rng.choice(["flips", "cut", "bom", "nul", "none", "none"])
    if kind == "flips" and out:
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(out))
            out[i] ^= 1 << rng.randrange(8)
    elif kind == "cut" and out:
        del out[rng.randint(0, len(out)) :]
    elif kind == "bom":
        out[:0] = rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xef\xbb\xbf\xef\xbb\xbf"])
    elif kind == "nul" and out:
        out.insert(rng.randrange(len(out)), 0)
    return bytes(out)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """Text mutations of ``data`` (UTF-8), then maybe byte damage."""
    text = mutate_text(data.decode("utf-8", "replace"), rng)
    return mutate_bytes(text.encode("utf-8", "surrogatepass"), rng)
