"""Positions by the LSP's rules: lines end at "\\n", "\\r\\n" or "\\r"; columns count UTF-16 code
units unless the client negotiated UTF-8 or UTF-32.

tree-sitter counts UTF-8 bytes and rows split on "\\n" only; every position that crosses that
border goes through here, by way of offsets into the text.
"""

from __future__ import annotations

import re
from typing import Any

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"
ENCODINGS = (UTF8, UTF16, UTF32)

_BREAK = re.compile(r"\r\n|\r|\n")
_LONE_CR = re.compile(rb"\r(?!\n)")


def encoding_name(kind: Any) -> str:
    """The negotiated `PositionEncodingKind` (an enum member or its string) as "utf-16" etc.

    `str()` of the enum member is 'PositionEncodingKind.Utf16' on Python 3.11, not its value.
    """
    value = getattr(kind, "value", kind)
    return value if value in ENCODINGS else UTF16


def units(text: str, encoding: str) -> int:
    """The length of `text` in columns of `encoding`."""
    if encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def rows_as_lsp_lines(data: bytes) -> bytes:
    """`data` with each lone "\\r" made "\\n" (same length, same offsets), so that tree-sitter's
    rows are the LSP's lines: tree-sitter-python does not take a lone "\\r" as a line break."""
    return _LONE_CR.sub(b"\n", data) if b"\r" in data else data


class LineIndex:
    """Where each line of a text starts, as offsets into the `str` (not bytes)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in _BREAK.finditer(text)]

    def __len__(self) -> int:
        return len(self.starts)

    def content_end(self, line: int) -> int:
        """Offset where `line`'s text ends, before its line break."""
        if line + 1 >= len(self.starts):
            return len(self.text)
        end = self.starts[line + 1]
        if self.text[end - 1] == "\n":
            end -= 1
            if end > self.starts[line] and self.text[end - 1] == "\r":
                end -= 1
        elif self.text[end - 1] == "\r":
            end -= 1
        return end

    def line_text(self, line: int) -> str:
        return self.text[self.starts[line]:self.content_end(line)]

    def offset(self, line: int, character: int, encoding: str) -> int:
        """The text offset of an LSP position; past a line's end it clamps to that end, past the
        last line to the end of the text (as the LSP says clients should treat it)."""
        if line >= len(self.starts):
            return len(self.text)
        line = max(line, 0)
        start, end = self.starts[line], self.content_end(line)
        if encoding == UTF32:
            return min(start + max(character, 0), end)
        count = 0
        for index in range(start, end):
            if count >= character:
                return index
            count += units(self.text[index], encoding)
        return end

    def position(self, offset: int, encoding: str) -> tuple[int, int]:
        """The LSP position of a text offset."""
        line = self.line_of(offset)
        return line, units(self.text[self.starts[line]:offset], encoding)

    def line_of(self, offset: int) -> int:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def line_break(self, line: int) -> str:
        """The characters that end `line` ("" for the last line)."""
        return self.text[self.content_end(line):self.starts[line + 1]] \
            if line + 1 < len(self.starts) else ""


def byte_to_offset(data: bytes, byte: int) -> int:
    """A UTF-8 byte offset into `data` as an offset into its decoded text."""
    return len(data[:byte].decode("utf-8", "surrogatepass"))


def offset_to_byte(text: str, offset: int) -> int:
    return len(text[:offset].encode("utf-8", "surrogatepass"))
