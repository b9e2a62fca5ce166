"""Turn a transcript's bytes into text: BOMs, UTF-16, the cp1252 fallback, newlines, and binary detection."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable

from coach.errors import TranscriptError

# Byte-order marks, longest first: a UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# C0 control characters that never appear in a text transcript (tab, newlines, form feed and ESC are allowed).
_CONTROL = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")


def decode(data: bytes, path: str) -> tuple[str, str]:
    """Decode a transcript file, returning ``(text, encoding)`` with newlines normalized to ``\\n``.

    UTF-8 (with or without BOM) and UTF-16/32 with a BOM are read as such; anything else that is not valid
    UTF-8 is read as cp1252 (Windows exports). Raises TranscriptError for empty or binary files.

    >>> decode(b"\\xef\\xbb\\xbfAgent: hi\\r\\n", "a.txt")
    ('Agent: hi\\n', 'utf-8')
    """
    if not data.strip():
        raise TranscriptError(path, None, "file is empty")
    encoding, bom = "", b""
    for mark, name in _BOMS:
        if data.startswith(mark):
            encoding, bom = name, mark
            break
    if encoding and encoding != "utf-8":
        try:
            text = data[len(bom) :].decode(encoding)
        except UnicodeDecodeError as e:
            raise TranscriptError(
                path, None, f"not valid {encoding.upper()} (bad bytes at byte {e.start + len(bom)}); save the file as UTF-8"
            ) from None
        _check_controls(text, path, lambda i: len(bom) + len(text[:i].encode(encoding)))
    else:
        body = data[len(bom) :]
        nul = body.find(b"\x00")
        if nul >= 0:
            raise TranscriptError(path, None, f"not a text file (binary data at byte {nul + len(bom)})")
        try:
            text = body.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            try:
                text = body.decode("cp1252")
                encoding = "cp1252"
            except UnicodeDecodeError as e:
                raise TranscriptError(path, None, f"not a text file (binary data at byte {e.start + len(bom)})") from None
        _check_controls(text, path, lambda i: len(bom) + len(text[:i].encode(encoding)))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise TranscriptError(path, None, "file is empty")
    return text, encoding


def _check_controls(text: str, path: str, byte_offset: Callable[[int], int]) -> None:
    bad = _CONTROL.search(text)
    if bad:
        raise TranscriptError(path, None, f"not a text file (binary data at byte {byte_offset(bad.start())})")
