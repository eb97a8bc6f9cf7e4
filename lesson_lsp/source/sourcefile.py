"""A Python file read and written byte for byte: its encoding (a coding cookie or UTF-8), a BOM,
and the line endings inside the text, so that writing back the text the harness verified gives
exactly those bytes and no others."""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass
from pathlib import Path

_BOM = b"\xef\xbb\xbf"


class SourceFileError(Exception):
    """The file cannot be read or written exactly; the message says why."""


@dataclass(frozen=True)
class SourceFile:
    path: Path
    raw: bytes  # as read
    text: str  # decoded, without the BOM, line endings as they are
    encoding: str  # the codec Python reads the file with
    bom: bool

    def encode(self, text: str) -> bytes:
        """`text` as this file's bytes (BOM and encoding kept)."""
        try:
            data = text.encode(self.encoding, "surrogatepass" if self.encoding == "utf-8"
                               else "strict")
        except UnicodeEncodeError as exc:
            raise SourceFileError(f"{self.path}: the new text cannot be written in the file's "
                                  f"encoding {self.encoding}: {exc.reason}") from exc
        return (_BOM if self.bom else b"") + data

    def write(self, text: str) -> bytes:
        """Write `text` if the file on disk is still the one that was read; return the bytes."""
        data = self.encode(text)
        try:
            if self.path.read_bytes() != self.raw:
                raise SourceFileError(f"{self.path} changed on disk during the run; nothing "
                                      "was written")
            self.path.write_bytes(data)
        except OSError as exc:
            raise SourceFileError(f"{self.path}: cannot write it: {exc}") from exc
        return data


def read(path: Path) -> SourceFile:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceFileError(f"{path}: cannot read it: {exc}") from exc
    try:
        codec, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as exc:
        raise SourceFileError(f"{path}: {exc}") from exc
    bom = raw.startswith(_BOM)
    encoding = "utf-8" if codec in ("utf-8-sig", "utf-8") else codec
    try:
        text = raw[len(_BOM) if bom else 0:].decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceFileError(f"{path}: not valid {encoding}: {exc.reason} at byte "
                              f"{exc.start}") from exc
    file = SourceFile(path, raw, text, encoding, bom)
    if file.encode(text) != raw:
        raise SourceFileError(f"{path}: its bytes do not survive a round trip through "
                              f"{encoding}; it is left alone")
    return file
