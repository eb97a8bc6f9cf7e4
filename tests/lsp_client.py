"""A real language server over stdio, as a test drives it: open a document, optimize a function,
apply the WorkspaceEdit it sends by the LSP rules (tests/lsp_apply.py)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

from tests.lsp_apply import apply_edits, document_edits


async def optimize_in_server(tmp_path: Path, text: str, offered: list[str] | None,
                             change: lsp.TextEdit | None = None,
                             position: tuple[int, int] | None = None,
                             name: str = "mod.py") -> tuple[dict, str]:
    """Open `text` as `name` in a real server over stdio (typing `change` into it), optimize
    `fib` (at `position`, else its `def`), apply the edit by the LSP rules.

    `offered`: the position encodings the client offers, in its order of preference (None:
    none, so UTF-16); the server must pick the first."""
    client = LanguageClient("test", "0")
    edits: list[lsp.ApplyWorkspaceEditParams] = []

    @client.feature(lsp.WORKSPACE_APPLY_EDIT)
    def on_edit(params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
        edits.append(params)
        return lsp.ApplyWorkspaceEditResult(applied=True)

    @client.feature(lsp.WINDOW_SHOW_MESSAGE)
    def on_message(params: lsp.ShowMessageParams) -> None:
        return None

    await client.start_io(sys.executable, "-m", "lesson_lsp.cli", "serve")
    try:
        general = lsp.GeneralClientCapabilities(position_encodings=offered) if offered else None
        result = await client.initialize_async(lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(general=general), root_uri=tmp_path.as_uri()))
        encoding = offered[0] if offered else "utf-16"
        assert result.capabilities.position_encoding == encoding
        client.initialized(lsp.InitializedParams())
        uri = (tmp_path / name).as_uri()
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
            uri=uri, language_id="python", version=2 if change else 3, text=text)))
        if change is not None:
            client.text_document_did_change(lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=3),
                content_changes=[lsp.TextDocumentContentChangePartial(
                    range=change.range, text=change.new_text)]))
            text = apply_edits(text, [change], encoding)
        line, character = position or (next(
            i for i, ln in enumerate(re.split(r"\r\n|\r|\n", text)) if ln.startswith("def fib")), 4)
        summary = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
            command="lesson-lsp.optimize",
            arguments=[{"uri": uri, "position": {"line": line, "character": character},
                        "version": 3}]))
        await client.shutdown_async(None)
        client.exit(None)
    finally:
        await client.stop()
    assert edits, "no edit was sent"
    version, text_edits = document_edits(edits[0])
    assert version == 3
    return summary, apply_edits(text, text_edits, encoding)
