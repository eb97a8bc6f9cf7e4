"""Apply a WorkspaceEdit's text edits the way an LSP client does, independently of the server's
own code: every range against the original document, in the negotiated position encoding, edits
that start at one place in array order; pygls's document model does the position arithmetic."""

from __future__ import annotations

from lsprotocol import types as lsp
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import PositionCodec


def apply_edits(text: str, edits: list[lsp.TextEdit], encoding: str) -> str:
    kind = {"utf-8": lsp.PositionEncodingKind.Utf8, "utf-16": lsp.PositionEncodingKind.Utf16,
            "utf-32": lsp.PositionEncodingKind.Utf32}[encoding]
    document = TextDocument("file:///x.py", text, position_codec=PositionCodec(kind))
    order = sorted(range(len(edits)), key=lambda i: (edits[i].range.start.line,
                                                      edits[i].range.start.character, i))
    # From the end backwards, so earlier ranges still mean what they meant; inserts at one
    # place go in reverse array order, so that they read in array order afterwards.
    for i in reversed(order):
        edit = edits[i]
        document.apply_change(lsp.TextDocumentContentChangePartial(
            range=edit.range, text=edit.new_text))
    return document.source


def document_edits(params: lsp.ApplyWorkspaceEditParams) -> tuple[int | None, list[lsp.TextEdit]]:
    """The version and text edits of the single document a WorkspaceEdit changes."""
    changes = params.edit.document_changes or []
    assert len(changes) == 1
    change = changes[0]
    assert isinstance(change, lsp.TextDocumentEdit)
    return change.text_document.version, [e for e in change.edits
                                          if isinstance(e, lsp.TextEdit)]
