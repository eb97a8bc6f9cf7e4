"""Apply a WorkspaceEdit's text edits the way an LSP client does, written apart from the server's
own code: every range against the original document; lines end at "\\n", "\\r\\n" or "\\r" only;
columns in the negotiated encoding; edits that start at one place in array order."""

from __future__ import annotations

import re

from lsprotocol import types as lsp

_BREAK = re.compile(r"\r\n|\r|\n")


def _width(char: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(char.encode("utf-8"))
    if encoding == "utf-16":
        return len(char.encode("utf-16-le")) // 2
    return 1


def apply_edits(text: str, edits: list[lsp.TextEdit], encoding: str) -> str:
    lines = _BREAK.split(text)
    starts = [0] + [m.end() for m in _BREAK.finditer(text)]

    def offset(position: lsp.Position) -> int:
        if position.line >= len(lines):
            return len(text)
        line, units, index = lines[position.line], 0, 0
        while index < len(line) and units < position.character:
            units += _width(line[index], encoding)
            index += 1
        return starts[position.line] + index

    placed = sorted(((offset(e.range.start), offset(e.range.end), n, e.new_text)
                     for n, e in enumerate(edits)))
    out, at = [], 0
    for start, end, _, new_text in placed:
        assert start >= at, "overlapping edits"
        out += [text[at:start], new_text]
        at = end
    return "".join(out) + text[at:]


def document_edits(params: lsp.ApplyWorkspaceEditParams) -> tuple[int | None, list[lsp.TextEdit]]:
    """The version and text edits of the single document a WorkspaceEdit changes."""
    changes = params.edit.document_changes or []
    assert len(changes) == 1
    change = changes[0]
    assert isinstance(change, lsp.TextDocumentEdit)
    return change.text_document.version, [e for e in change.edits
                                          if isinstance(e, lsp.TextEdit)]
