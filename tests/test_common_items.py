"""Issue 23's case through the language server: the bundled offline team, three rounds with
`restart_from = "best"`, on `common_items` with a named generator. The edit the editor gets
converts `ys` to a set once: no rule fires on its own output, and no later no-op replaces it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp_apply import apply_edits, document_edits
from tests.test_server import make_client

pytestmark = pytest.mark.slow  # a full three-round offline run (about 30 s)

MODULE = '''def common_items(xs, ys):
    out = []
    for x in xs:
        if x in ys:
            out.append(x)
    return out


def inputs():
    return [(list(range(2000)), list(range(1000, 3000)))]
'''


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "lesson_lsp.cli", "serve", "--stdio"],
    client_factory=make_client,
))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    (tmp_path / "common.py").write_text(MODULE, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lesson-lsp]\nrounds = 3\n[tool.lesson-lsp.inputs]\n'
        '"common.py::common_items" = "common.py::inputs"\n', encoding="utf-8")
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("visual-studio-code"),
        root_uri=tmp_path.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=tmp_path.as_uri(), name="t")]))
    lsp_client.root = tmp_path  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_the_offline_team_converts_ys_once(client: LanguageClient) -> None:
    path = client.root / "common.py"  # type: ignore[attr-defined]
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=MODULE)))
    client.versions[uri] = 1  # type: ignore[attr-defined]
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        range=lsp.Range(start=lsp.Position(3, 8), end=lsp.Position(3, 8)),
        context=lsp.CodeActionContext(diagnostics=[])))
    command = actions[0].command
    assert command is not None
    result = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command=command.command, arguments=command.arguments))
    assert result["improved"] and result["applied"] and result["speedup"] > 10, result
    _, edits = document_edits(client.edits[-1])  # type: ignore[attr-defined]
    text = apply_edits(MODULE, edits, "utf-16")
    assert text.count("set(") == 1, text
    assert "ys_set_set" not in text
    # The smallest edit: one line added, one changed (3 lines removed plus added).
    assert result["lines_changed"] == 3, result
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(3, 8)))
    assert hover is not None
    assert "The edit changes 3 lines" in hover.contents.value  # type: ignore[union-attr]
