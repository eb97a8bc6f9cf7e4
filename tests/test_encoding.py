"""positionEncoding: UTF-16 by default, UTF-8 when the client offers it; an edit after a line of
non-ASCII text lands exactly, in both."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

SOURCE = '''"""Unicode before the function: naïve café 𝄞𝄞 — ünïcödé."""
LABEL = "𝄞 héllo wörld 𝄞"; COUNT = 3


def fib(n):  # 𝄞
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def inputs():
    return [(18,), (20,)]
'''


def apply(text: str, edits: list[lsp.TextEdit], encoding: str) -> str:
    """Apply LSP edits the way a client does, counting columns in `encoding`."""
    lines = text.split("\n")

    def offset(position: lsp.Position) -> int:
        before = sum(len(line) + 1 for line in lines[:position.line])
        line = lines[position.line] if position.line < len(lines) else ""
        units, index = 0, 0
        while index < len(line) and units < position.character:
            char = line[index]
            units += len(char.encode("utf-8")) if encoding == "utf-8" else (
                2 if ord(char) > 0xFFFF else 1)
            index += 1
        return before + index

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character),
                       reverse=True):
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


@pytest.mark.asyncio
@pytest.mark.parametrize("offered", [None, ["utf-8", "utf-16"]])
async def test_edit_lands_exactly_in_the_negotiated_encoding(tmp_path: Path,
                                                             offered: list[str] | None) -> None:
    (tmp_path / "uni.py").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lesson-lsp]\nrounds = 1\n[tool.lesson-lsp.inputs]\n'
        '"uni.py::fib" = "uni.py::inputs"\n', encoding="utf-8")
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
    general = lsp.GeneralClientCapabilities(position_encodings=offered) if offered else None
    result = await client.initialize_async(lsp.InitializeParams(
        capabilities=lsp.ClientCapabilities(general=general), root_uri=tmp_path.as_uri()))
    encoding = "utf-8" if offered else "utf-16"
    assert result.capabilities.position_encoding == encoding
    client.initialized(lsp.InitializedParams())
    uri = (tmp_path / "uni.py").as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=SOURCE)))
    # The cursor on `n` of `fib(n)`, in the negotiated units (after a non-ASCII comment too).
    line = SOURCE.split("\n")[4]
    character = len(line[:8].encode("utf-8")) if encoding == "utf-8" else 8
    await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="lesson-lsp.optimize",
        arguments=[{"uri": uri, "position": {"line": 4, "character": character},
                    "version": 1}]))
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    assert edits, "no edit was sent"
    change = edits[0].edit.document_changes[0]
    assert isinstance(change, lsp.TextDocumentEdit)
    new = apply(SOURCE, list(change.edits), encoding)  # type: ignore[arg-type]
    assert new.startswith('"""Unicode before the function: naïve café 𝄞𝄞 — ünïcödé."""\n'
                          "import functools\n")
    assert 'LABEL = "𝄞 héllo wörld 𝄞"; COUNT = 3\n' in new
    assert "def fib(n):  # 𝄞\n    @functools.cache\n" in new
    assert new.endswith("def inputs():\n    return [(18,), (20,)]\n")
    namespace: dict = {}
    exec(compile(new, "uni.py", "exec"), namespace)
    assert [namespace["fib"](i) for i in range(10)] == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
