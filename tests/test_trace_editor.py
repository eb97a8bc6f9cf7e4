"""Hot functions in the editor over real stdio (pytest-lsp): code lenses and hover from the
project's saved trace (fresh records only, above the threshold), and the trace command."""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from lesson_lsp.lsp.trace_command import TraceError, parse
from lesson_lsp.lsp.trees import DocumentTree
from lesson_lsp.source.candidate import to_column0
from lesson_lsp.source.extract import function_at
from lesson_lsp.team.bank import fingerprint
from lesson_lsp.workspace import traces
from lesson_lsp.workspace.config import load
from tests.conftest import EXAMPLES
from tests.procs import alive

OPTIMIZE = "lesson-lsp.optimize"


def make_client() -> LanguageClient:
    client = pytest_lsp.make_test_lsp_client()
    client.refreshes = []  # type: ignore[attr-defined]

    @client.feature(lsp.WORKSPACE_CODE_LENS_REFRESH)
    def refresh(params: Any) -> None:
        client.refreshes.append(params)  # type: ignore[attr-defined]

    return client


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "lesson_lsp.cli", "serve", "--stdio"],
    client_factory=make_client,
))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    shutil.copy(EXAMPLES / "slow.py", tmp_path / "slow.py")
    (tmp_path / "pyproject.toml").write_text("[tool.lesson-lsp]\nrounds = 1\n", encoding="utf-8")
    capabilities = pytest_lsp.client_capabilities("visual-studio-code")
    workspace = capabilities.workspace
    assert workspace and workspace.code_lens and workspace.code_lens.refresh_support
    result = await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=capabilities, root_uri=tmp_path.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=tmp_path.as_uri(), name="t")]))
    commands = result.capabilities.execute_command_provider
    assert commands and {"lesson-lsp.optimize", "lesson-lsp.trace"} <= set(commands.commands)
    assert result.capabilities.code_lens_provider is not None
    lsp_client.root = tmp_path  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def record(path: Path, qualname: str, share: float, calls: int = 400) -> traces.TracedFunction:
    """A record of the function as it is in the file now (the fingerprint the store names)."""
    found = DocumentTree(path.read_text()).functions("utf-16", {qualname})[0]
    return traces.TracedFunction(
        path=str(path.resolve()), qualname=qualname, line=found.start[0] + 1, share=share,
        own_s=0.7, total_s=0.8, calls=calls, captured=40,
        fingerprint=fingerprint(to_column0(found.source, found.indent)), module="slow")


def save_trace(root: Path, *functions: traces.TracedFunction) -> None:
    traces.save(traces.Trace(
        command=["python", "run.py"], root=load(root).root, interpreter=sys.executable,
        wall_s=1.2, exit_code=0, created=time.time(), functions=list(functions)))


def open_doc(client: LanguageClient, path: Path) -> str:
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=path.read_text())))
    return uri


async def lenses(client: LanguageClient, uri: str) -> dict[str, lsp.CodeLens]:
    """The document's lenses, by the line of the function they are on (1-based, as read)."""
    found = await client.text_document_code_lens_async(
        lsp.CodeLensParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))
    return {f"line {lens.range.start.line + 1}": lens for lens in found or []}


def hover_text(client: LanguageClient, uri: str, line: int, character: int) -> Any:
    return client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line, character)))


@pytest.mark.asyncio
async def test_lenses_on_hot_fresh_functions_only(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    slow = root / "slow.py"
    save_trace(root, record(slow, "fib", 0.62), record(slow, "Grid.total", 0.2, calls=4000),
               record(slow, "count_common", 0.02))
    uri = open_doc(client, slow)
    shown = await lenses(client, uri)
    assert sorted(shown) == ["line 4", "line 43"]  # fib and Grid.total; count_common is 2 %
    fib, total = shown["line 4"], shown["line 43"]
    assert fib.command is not None and total.command is not None
    assert fib.command.title == "⏱ 62 % of workload · 2.0 ms/call · Optimize"
    assert total.command.title == "⏱ 20 % of workload · 200.0 µs/call · Optimize"
    assert fib.command.command == OPTIMIZE and total.command.command == OPTIMIZE
    assert list(fib.command.arguments or ()) == [
        {"uri": uri, "position": {"line": 3, "character": 0}, "version": 1}]
    assert list(total.command.arguments or ()) == [
        {"uri": uri, "position": {"line": 42, "character": 4}, "version": 1}]
    # The optimize command finds the very function from the lens' position.
    text = slow.read_text()
    assert function_at(text, 3, 0).qualname == "fib"
    assert function_at(text, 42, 4).qualname == "Grid.total"

    # The editor's settings override the threshold (pyproject.toml has none).
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(
        settings={"lesson-lsp": {"traceLensMinShare": 0.01}}))
    assert sorted(await lenses(client, uri)) == ["line 11", "line 4", "line 43"]

    # A new trace is read when saved: fib's share changed.
    save_trace(root, record(slow, "fib", 0.5), record(slow, "Grid.total", 0.2, calls=4000))
    shown = await lenses(client, uri)
    assert sorted(shown) == ["line 4", "line 43"]
    assert shown["line 4"].command.title.startswith("⏱ 50 % of workload")  # type: ignore[union-attr]

    # Editing fib makes its record stale: no lens on it; Grid.total keeps its own (new version).
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[lsp.TextDocumentContentChangePartial(
            range=lsp.Range(start=lsp.Position(6, 15), end=lsp.Position(6, 15)),
            text=" + 0")]))
    shown = await lenses(client, uri)
    assert sorted(shown) == ["line 43"]
    assert shown["line 43"].command.arguments[0]["version"] == 2  # type: ignore[union-attr,index]


@pytest.mark.asyncio
async def test_hover_shows_the_trace_line_of_a_fresh_record(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    slow = root / "slow.py"
    save_trace(root, record(slow, "fib", 0.62), record(slow, "count_common", 0.02))
    uri = open_doc(client, slow)
    hover = await hover_text(client, uri, 6, 8)
    assert hover is not None
    assert hover.contents.value == ("⏱ traced: 62 % of the workload (own 0.70 s), 400 calls, "
                                    "2.0 ms/call, 40 calls sampled — `python run.py`")
    assert hover.range.start.line == 3
    # Under the lens threshold the hover still tells; a function the trace never saw has none.
    hover = await hover_text(client, uri, 13, 8)
    assert hover is not None and hover.contents.value.startswith("⏱ traced: 2 % of the")
    assert await hover_text(client, uri, 31, 8) is None
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[lsp.TextDocumentContentChangePartial(
            range=lsp.Range(start=lsp.Position(6, 15), end=lsp.Position(6, 15)),
            text=" + 0")]))
    assert await hover_text(client, uri, 6, 8) is None  # stale: fib was edited


def test_trace_arguments_as_editors_send_them() -> None:
    uri = "file:///p/slow.py"
    assert parse(({"command": "python run.py 'a b'", "uri": uri},)) == (
        ["python", "run.py", "a b"], uri)
    assert parse(({"command": ["python", "run.py"]},)) == (["python", "run.py"], None)
    assert parse(("python -m pytest -q",)) == (["python", "-m", "pytest", "-q"], None)
    assert parse(("python", "run.py")) == (["python", "run.py"], None)
    for empty in ((), ({"command": "  "},), ({"command": [1, 2]},)):
        with pytest.raises(TraceError):
            parse(empty)


@pytest.mark.asyncio
async def test_trace_command_without_a_workload_says_so(client: LanguageClient) -> None:
    result = await client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command="lesson-lsp.trace", arguments=[{"command": ""}]))
    assert result is None
    assert any(m.type == lsp.MessageType.Error and "needs the workload's command" in m.message
               for m in client.messages)
    assert not client.progress_reports


@pytest.mark.asyncio
async def test_trace_command_traces_with_progress_and_refreshes_lenses(
        client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    (root / "run.py").write_text(
        "from slow import fib\n\nfor _ in range(3):\n    fib(22)\nprint('workload ran')\n",
        encoding="utf-8")
    uri = open_doc(client, root / "slow.py")
    assert await lenses(client, uri) == {}  # nothing traced yet
    result = await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="lesson-lsp.trace", arguments=[{"command": "python run.py", "uri": uri}]))
    assert result is not None and result["exit_code"] == 0
    assert result["functions"][0]["qualname"] == "fib"
    kinds = [getattr(v, "kind", None) for reports in client.progress_reports.values()
             for v in reports]
    assert kinds[0] == "begin" and kinds[-1] == "end"
    assert client.refreshes  # type: ignore[attr-defined]
    assert any("Traced" in m.message and "fib" in m.message for m in client.messages)
    shown = await lenses(client, uri)
    assert "line 4" in shown
    assert shown["line 4"].command.command == OPTIMIZE  # type: ignore[union-attr]
    # What the workload printed is kept beside the trace (stdout is the LSP channel).
    output = traces.folder(load(root).root) / "output.log"
    assert "workload ran" in output.read_text()


@pytest.mark.asyncio
async def test_a_trace_can_be_cancelled_and_the_server_answers_meanwhile(
        client: LanguageClient, tmp_path: Path) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    pid_file = tmp_path / "workload.pid"
    (root / "forever.py").write_text(
        f"import os\nfrom slow import fib\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "while True:\n    fib(15)\n", encoding="utf-8")
    uri = open_doc(client, root / "slow.py")
    run = asyncio.ensure_future(client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        command="lesson-lsp.trace", arguments=[{"command": "python forever.py", "uri": uri}])))
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text() and client.progress_reports):
        assert time.monotonic() < deadline, "the workload did not start"
        await asyncio.sleep(0.05)
    pid = int(pid_file.read_text())
    started = time.monotonic()  # the server answers while the workload runs
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        range=lsp.Range(start=lsp.Position(5, 4), end=lsp.Position(5, 4)),
        context=lsp.CodeActionContext(diagnostics=[])))
    assert actions and time.monotonic() - started < 1.0
    token = next(iter(client.progress_reports))
    client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token=token))
    assert await asyncio.wait_for(run, 15) is None  # answered once, normally
    assert any("cancelled" in m.message for m in client.messages)
    assert not alive(pid)
