"""The server under faults, over real stdio: cancellation stops every sandbox process within a
second, runs queue with their place shown, the same function is not run twice at once, and
garbage on the wire is refused while the server keeps answering."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.procs import running

SLOW = '''
def crunch(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def other(n):
    total = 0
    for i in range(n):
        total += i % 3
    return total


def inputs():
    return [(20_000_000,)]


def common(xs, ys):
    n = 0
    for x in xs:
        if x in ys:
            n += 1
    return n


def pairs():
    return [(list(range(0, 6000, 2)), list(range(0, 6000, 3)))]
'''
COMMON_LINE = SLOW.split("\n").index("def common(xs, ys):") + 1


# This module's servers put their sandbox runs here, so a count sees only their processes.
RUNS = tempfile.mkdtemp(prefix="lesson-lsp-test-runs-")


def workers() -> int:
    return len(running(RUNS))


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "lesson_lsp.cli", "serve"],
    server_env={**os.environ, "TMPDIR": RUNS}))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    (tmp_path / "slow.py").write_text(SLOW, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lesson-lsp]\nrounds = 1\n[tool.lesson-lsp.harness]\ntimeout_s = 60\n'
        '[tool.lesson-lsp.inputs]\n"slow.py::crunch" = "slow.py::inputs"\n'
        '"slow.py::other" = "slow.py::inputs"\n'
        '"slow.py::common" = "slow.py::pairs"\n', encoding="utf-8")
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=pytest_lsp.client_capabilities("visual-studio-code"),
        root_uri=tmp_path.as_uri(), initialization_options={"maxConcurrentRuns": 1}))
    uri = (tmp_path / "slow.py").as_uri()
    lsp_client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=SLOW)))
    lsp_client.uri = uri  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def command(uri: str, line: int) -> lsp.ExecuteCommandParams:
    return lsp.ExecuteCommandParams(command="lesson-lsp.optimize", arguments=[
        {"uri": uri, "position": {"line": line, "character": 4}, "version": 1}])


async def wait_for(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


# The contract: every sandbox process is gone within a second of the cancel (measured here:
# 30–40 ms). An earlier 2.4 s outlier came from a cancel landing while a worker was being
# spawned (CPython 3.11's clean-up then waits on the child); `sandbox.run` now shields the spawn.
CANCEL_BOUND_S = 1.0


def started_here(client: LanguageClient):
    """This test's run has begun: its progress came and a sandbox process runs (a process
    alone could still be the previous test's last one)."""
    return lambda: bool(client.progress_reports) and workers() > 0


async def assert_all_gone_within(seconds: float) -> float:
    started = time.monotonic()
    await wait_for(lambda: workers() == 0, 10)
    elapsed = time.monotonic() - started
    print(f"sandbox processes gone {elapsed:.3f} s after the cancel")
    assert elapsed < seconds, f"sandbox processes lived {elapsed:.2f} s after the cancel"
    return elapsed


async def answers_fast(client: LanguageClient) -> float:
    started = time.monotonic()
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=client.uri),  # type: ignore[attr-defined]
        range=lsp.Range(start=lsp.Position(3, 4), end=lsp.Position(3, 4)),
        context=lsp.CodeActionContext(diagnostics=[])))
    assert actions
    return time.monotonic() - started


@pytest.mark.asyncio
async def test_progress_cancel_stops_every_process_within_a_second(
        client: LanguageClient) -> None:
    run = asyncio.ensure_future(client.workspace_execute_command_async(
        command(client.uri, 3)))  # type: ignore[attr-defined]
    await wait_for(started_here(client))
    assert await answers_fast(client) < 1.0  # the server answers while the team works
    token = next(iter(client.progress_reports))
    client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token=token))
    await assert_all_gone_within(CANCEL_BOUND_S)
    assert await asyncio.wait_for(run, 10) is None  # answered once, normally
    await wait_for(lambda: any("cancelled" in m.message for m in client.messages), 5)
    assert await answers_fast(client) < 1.0


@pytest.mark.asyncio
async def test_cancel_request_stops_every_process_within_a_second(
        client: LanguageClient) -> None:
    run = asyncio.ensure_future(client.protocol.send_request_async(
        lsp.WORKSPACE_EXECUTE_COMMAND, command(client.uri, 3),  # type: ignore[attr-defined]
        msg_id="optimize-1"))
    await wait_for(started_here(client))
    client.protocol.notify(lsp.CANCEL_REQUEST, lsp.CancelParams(id="optimize-1"))
    await assert_all_gone_within(CANCEL_BOUND_S)
    with pytest.raises(Exception):  # noqa: B017
        await asyncio.wait_for(run, 10)
    assert await answers_fast(client) < 1.0


@pytest.mark.asyncio
async def test_runs_queue_and_the_same_function_is_not_run_twice(
        client: LanguageClient) -> None:
    first = asyncio.ensure_future(client.workspace_execute_command_async(
        command(client.uri, 3)))  # type: ignore[attr-defined]
    await wait_for(started_here(client))  # the first run is then registered as running
    second = asyncio.ensure_future(client.workspace_execute_command_async(
        command(client.uri, 10)))  # type: ignore[attr-defined]
    again = await client.workspace_execute_command_async(
        command(client.uri, 4))  # type: ignore[attr-defined]
    assert again is None
    assert any("being optimized already" in m.message for m in client.messages)

    def queued() -> bool:
        return any("queued" in (getattr(v, "message", "") or "")
                   for reports in client.progress_reports.values() for v in reports)

    await wait_for(queued, 30)
    for token in list(client.progress_reports):
        client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token=token))
    for task in (first, second):
        assert await asyncio.wait_for(task, 20) is None
    await assert_all_gone_within(CANCEL_BOUND_S)


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_frames(stdout: bytes) -> list[dict]:
    frames = []
    while stdout:
        header, _, rest = stdout.partition(b"\r\n\r\n")
        fields = dict(line.split(b": ", 1) for line in header.split(b"\r\n"))
        length = int(fields[b"Content-Length"])
        frames.append(json.loads(rest[:length]))
        stdout = rest[length:]
    return frames


def test_garbage_on_the_wire_is_refused_and_stdout_is_only_json_rpc(tmp_path: Path) -> None:
    log_file = tmp_path / "server.log"
    requests = [
        frame(b'{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": '
              b'{"capabilities": {}, "processId": null, "rootUri": null}}'),
        frame(b'{"jsonrpc": "2.0", "method": "initialized", "params": {}}'),
        frame(b"{this is not json"),
        frame(bytes(range(256)) * 4),
        frame(b'{"jsonrpc": "2.0", "id": 2, "method": "no/suchMethod", "params": {}}'),
        frame(b'{"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", '
              b'"params": {"wrong": true}}'),
        frame(b'{"jsonrpc": "2.0", "id": 4, "method": "workspace/executeCommand", '
              b'"params": {"command": "lesson-lsp.optimize", "arguments": [42]}}'),
        frame(b'{"jsonrpc": "2.0", "id": 5, "method": "shutdown"}'),
        frame(b'{"jsonrpc": "2.0", "method": "exit"}'),
    ]
    done = subprocess.run(
        [sys.executable, "-m", "lesson_lsp.cli", "serve", "--log-file", str(log_file),
         "--log-level", "info"], input=b"".join(requests), capture_output=True, timeout=60)
    frames = read_frames(done.stdout)  # every byte on stdout is a JSON-RPC frame
    by_id = {f.get("id"): f for f in frames if "id" in f}
    assert "result" in by_id[1]
    assert by_id[2]["error"]["code"] == -32601  # method not found
    # Params that do not fit: pygls cannot build the request, so it refuses it in a message.
    assert "error" in by_id.get(3, {}) or any(
        f.get("method") == "window/showMessage" and "Invalid Params" in f["params"]["message"]
        for f in frames)
    assert by_id[5]["result"] is None  # still answering after all of it
    assert any(f.get("method") == "window/showMessage" and "needs" in
               f["params"]["message"] for f in frames)
    assert "sandbox isolation" in log_file.read_text()
    assert any(f.get("method") == "window/logMessage" and "sandbox isolation" in
               f["params"]["message"] for f in frames)
    quiet = subprocess.run(
        [sys.executable, "-m", "lesson_lsp.cli", "serve", "--log-level", "error"],
        input=b"".join(requests[:2] + requests[-2:]), capture_output=True, timeout=60)
    assert not any(f.get("method") == "window/logMessage" for f in read_frames(quiet.stdout))


@pytest.mark.asyncio
async def test_a_huge_document_is_served(client: LanguageClient, tmp_path: Path) -> None:
    body = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(330_000))
    assert len(body) > 10_000_000
    uri = (tmp_path / "huge.py").as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=body)))
    actions = await asyncio.wait_for(client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        range=lsp.Range(start=lsp.Position(600_001, 4), end=lsp.Position(600_001, 4)),
        context=lsp.CodeActionContext(diagnostics=[]))), 30)
    assert actions and actions[0].title == "Optimize with lesson team"
    assert await answers_fast(client) < 1.0


@pytest.mark.slow
@pytest.mark.asyncio
async def test_renaming_the_file_during_a_run_means_no_edit(client: LanguageClient,
                                                            tmp_path: Path) -> None:
    # What an editor sends for a rename: the old document closes, the new one opens.
    edits: list[object] = []
    client.feature(lsp.WORKSPACE_APPLY_EDIT)(lambda params: edits.append(params))
    run = asyncio.ensure_future(client.workspace_execute_command_async(
        command(client.uri, COMMON_LINE)))  # type: ignore[attr-defined]
    await wait_for(lambda: any(len(r) > 1 for r in client.progress_reports.values()))
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(
        text_document=lsp.TextDocumentIdentifier(uri=client.uri)))  # type: ignore[attr-defined]
    (tmp_path / "slow.py").rename(tmp_path / "renamed.py")
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
        uri=(tmp_path / "renamed.py").as_uri(), language_id="python", version=1, text=SLOW)))
    client.workspace_did_rename_files(lsp.RenameFilesParams(files=[lsp.FileRename(
        old_uri=client.uri, new_uri=(tmp_path / "renamed.py").as_uri())]))  # type: ignore
    await asyncio.wait_for(run, 120)
    assert edits == []
    assert any("closed or renamed during the run" in m.message for m in client.messages), [
        m.message for m in client.messages]


@pytest.mark.asyncio
async def test_a_cancel_also_hangs_up_on_the_llm_endpoint(tmp_path: Path) -> None:
    # The team's HTTP request is stopped with the run: the endpoint sees the client leave.
    from pygls.lsp.client import LanguageClient as Client

    from tests.fake_openai import Reply, ScriptedEndpoint

    with ScriptedEndpoint(lambda seen: Reply(hold_s=60)) as endpoint:
        (tmp_path / "slow.py").write_text(SLOW, encoding="utf-8")
        (tmp_path / "pyproject.toml").write_text(
            '[tool.lesson-lsp]\nrounds = 1\nllm_timeout_s = 60\n'
            '[tool.lesson-lsp.inputs]\n"slow.py::common" = "slow.py::pairs"\n'
            f'[[tool.lesson-lsp.team]]\nname = "held"\nkind = "openai"\nmodel = "m"\n'
            f'base_url = "{endpoint.url}"\napi_key_env = "LESSON_TEST_KEY"\n',
            encoding="utf-8")
        client = Client("test", "1")
        await client.start_io(sys.executable, "-m", "lesson_lsp.cli", "serve",
                              env={**os.environ, "LESSON_TEST_KEY": "sk-x"})
        try:
            await client.initialize_async(lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(), root_uri=tmp_path.as_uri()))
            client.initialized(lsp.InitializedParams())
            uri = (tmp_path / "slow.py").as_uri()
            client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=SLOW)))
            run = asyncio.ensure_future(client.protocol.send_request_async(
                lsp.WORKSPACE_EXECUTE_COMMAND, command(uri, COMMON_LINE), msg_id="held-1"))
            await wait_for(lambda: bool(endpoint.chats()), 60)
            cancelled = time.monotonic()
            client.protocol.notify(lsp.CANCEL_REQUEST, lsp.CancelParams(id="held-1"))
            await wait_for(lambda: bool(endpoint.hangups), 10)
            elapsed = endpoint.hangups[0] - cancelled
            print(f"the endpoint saw the client leave {elapsed:.3f} s after the cancel")
            assert elapsed < CANCEL_BOUND_S
            await assert_all_gone_within(CANCEL_BOUND_S)
            with pytest.raises(Exception):  # noqa: B017  (the request ends as cancelled)
                await asyncio.wait_for(run, 10)
        finally:
            await client.shutdown_async(None)
            client.exit(None)
            await client.stop()
