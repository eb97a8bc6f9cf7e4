"""Column conversions between UTF-8 bytes (tree-sitter), UTF-16 units and code points (LSP).

LSP clients count columns in UTF-16 code units unless they negotiate otherwise; tree-sitter counts
UTF-8 bytes. Every position that crosses that border goes through here.
"""

from __future__ import annotations

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"
ENCODINGS = (UTF8, UTF16, UTF32)


def _units(ch: str, encoding: str) -> int:
    if encoding == UTF8:
        return len(ch.encode("utf-8"))
    if encoding == UTF16:
        return 2 if ord(ch) > 0xFFFF else 1
    return 1


def column_from_bytes(line: bytes, byte_col: int, encoding: str) -> int:
    """A byte column of `line` as a column in `encoding`."""
    if encoding == UTF8:
        return byte_col
    prefix = line[:byte_col].decode("utf-8", errors="replace")
    if encoding == UTF16:
        return sum(_units(ch, UTF16) for ch in prefix)
    return len(prefix)


def column_to_bytes(line: bytes, col: int, encoding: str) -> int:
    """A column in `encoding` as a byte column of `line`; clamped to the line's end."""
    if encoding == UTF8:
        return min(col, len(line))
    text = line.decode("utf-8", errors="replace")
    units = 0
    for i, ch in enumerate(text):
        if units >= col:
            return len(text[:i].encode("utf-8"))
        units += _units(ch, encoding)
    return len(line)


def split_lines(data: bytes) -> list[bytes]:
    """Lines as tree-sitter counts rows (split on "\\n"; a "\\r" stays at a line's end)."""
    return data.split(b"\n")


def offset_of(lines: list[bytes], line: int, col: int, encoding: str) -> int:
    """Byte offset in the whole document of an LSP position."""
    line = max(0, min(line, len(lines) - 1))
    offset = sum(len(ln) + 1 for ln in lines[:line])
    return offset + column_to_bytes(lines[line], max(col, 0), encoding)
