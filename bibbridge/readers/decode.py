"""Bytes → text, and clean lines: encodings, line ends and the odd Unicode that copying from a browser
brings.

A digest saved as UTF-8, UTF-8 with a BOM, UTF-16 (with a BOM, or plainly recognisable without one),
with CRLF or CR line ends, in NFD, or sprinkled with no-break and zero-width spaces, ligatures or
full-width letters reads exactly like its plain UTF-8 twin: :func:`decode_bytes` fixes the encoding
and line ends of the whole text, :func:`clean_line` the characters of one line (readers call it on
lines that are not pure ASCII, which keeps the common case fast). Text keeps NFC, not NFKC: NFKC would
also turn ``n²`` into ``n2``, which changes what an abstract says; the compatibility characters that
carry no meaning (spaces, zero-width marks, ligatures, full-width ASCII) are mapped here instead, and
identity folding (:func:`bibbridge.text.fold`) applies NFKC anyway.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from ..errors import InputError

# Characters that carry no meaning of their own in a digest: spaces become " ", invisible marks go.
_ODD_MAP: dict[str, str] = {
    "\u00a0": " ",  # no-break space
    "\u1680": " ",
    "\u202f": " ",  # narrow no-break space
    "\u205f": " ",
    "\u3000": " ",  # ideographic space
    "\t": " ",
    # Separators that editors do not count as line breaks: spaces, so line numbers match the editor's.
    "\x0b": " ",
    "\x0c": " ",
    "\x85": " ",
    "\u2028": " ",  # line separator
    "\u2029": " ",  # paragraph separator
    "\u200b": "",  # zero-width space
    "\u200c": "",  # zero-width non-joiner
    "\u200d": "",  # zero-width joiner
    "\u2060": "",  # word joiner
    "\ufeff": "",  # BOM / zero-width no-break space inside the text
    "\u00ad": "",  # soft hyphen
}
_ODD_MAP.update({chr(c): " " for c in range(0x2000, 0x200B)})  # en/em/thin/hair… spaces
# Latin ligatures (ﬁ, ﬂ …) and full-width ASCII (Ａ, ：) → their plain letters.
_ODD_MAP.update({chr(c): unicodedata.normalize("NFKC", chr(c)) for c in range(0xFB00, 0xFB07)})
_ODD_MAP.update({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})
_ODD = re.compile("[" + "".join(re.escape(c) for c in _ODD_MAP) + "]")
_ASCII_SPACES = str.maketrans("\t\x0b\x0c", "   ")
_LINE_END = re.compile(r"\r\n?")
_SPACES = re.compile(r"\s+")


def clean_line(text: str) -> str:
    """Map odd spaces and invisible marks, and compose to NFC (no-op for ASCII without tabs)."""
    if text.isascii():  # O(1) in CPython
        if "\t" in text or "\x0b" in text or "\x0c" in text:
            text = text.translate(_ASCII_SPACES)
        return text
    if _ODD.search(text):
        text = _ODD.sub(lambda m: _ODD_MAP[m.group()], text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def clean_text(text: str) -> str:
    """:func:`clean_line` plus collapsed whitespace (arXiv's hard line wraps): for JSON strings."""
    text = clean_line(text)
    return _SPACES.sub(" ", text).strip() if "  " in text or "\n" in text or "\r" in text else text.strip()


def _line_of(data: bytes, offset: int, encoding: str = "utf-8") -> int:
    """The 1-based line holding byte ``offset``."""
    if encoding == "utf-8":
        return data.count(b"\n", 0, offset) + 1
    return data[:offset].decode(encoding, errors="replace").count("\n") + 1


def _sniff_utf16(head: bytes) -> str | None:
    """UTF-16 without a BOM: ASCII text then has a NUL in every other byte."""
    if len(head) < 8 or len(head) % 2:
        head = head[: len(head) // 2 * 2]
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def decode_bytes(data: bytes, file: str | None = None) -> str:
    """Decode a digest's bytes (BOM dropped) with ``\\n`` line ends.

    Raises:
        InputError: binary data, or bytes that are not valid in the detected encoding (with the line).
    """
    encoding = "utf-8"
    if data.startswith(codecs.BOM_UTF8):
        data, encoding = data[3:], "utf-8"
    elif data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) and len(data) % 4 == 0:
        encoding = "utf-32"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif b"\x00" in data[:4096]:
        sniffed = _sniff_utf16(data[:4096])
        if sniffed is None:  # binary: no line number, lines mean nothing there
            raise InputError("binary data (NUL byte), not a text digest", file=file)
        encoding = sniffed
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not valid {encoding.upper()} text (byte 0x{data[exc.start]:02x}); save the digest as UTF-8",
            file=file,
            line=_line_of(data, exc.start, encoding),
        ) from None
    if "\x00" in text:
        raise InputError("binary data (NUL character), not a text digest", file=file)
    if "\r" in text:
        text = _LINE_END.sub("\n", text)
    return text
