"""The server over real stdio against a faulty endpoint (real HTTP) and a shared bank (real
SQLite): one clear message per failing agent and the offline edit still lands; two servers
writing one bank lose nothing; a server killed with SIGKILL mid-run leaves a bank that opens
whole, with every lesson acknowledged before."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

from lesson_lsp.team.bank import Bank
from tests.conftest import EXAMPLES
from tests.fake_openai import Reply, ScriptedEndpoint

FIB_LINE = 6  # inside `fib` in examples/slow.py
COMMON_LINE = next(i for i, line in enumerate((EXAMPLES / "slow.py").read_text().splitlines())
                   if line.startswith("def count_common")) + 1


class Editor:
    """A pygls client that plays an editor: applies edits whose version matches, keeps the
    messages and progress it is sent."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.client = LanguageClient("endurance", "1")
        self.messages: list[str] = []
        self.progress: list[str] = []
        self.edits: list[lsp.ApplyWorkspaceEditParams] = []
        client = self.client

        @client.feature(lsp.WINDOW_SHOW_MESSAGE)
        def shown(params: lsp.ShowMessageParams) -> None:
            self.messages.append(params.message)

        @client.feature(lsp.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def create(params: lsp.WorkDoneProgressCreateParams) -> None:
            return None

        @client.feature(lsp.PROGRESS)
        def report(params: lsp.ProgressParams) -> None:
            value = params.value
            message = value.get("message") if isinstance(value, dict) else \
                getattr(value, "message", None)
            if message:
                self.progress.append(message)

        @client.feature(lsp.WORKSPACE_APPLY_EDIT)
        def apply(params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
            self.edits.append(params)
            return lsp.ApplyWorkspaceEditResult(applied=True)

    async def start(self, env: dict[str, str] | None = None) -> None:
        await self.client.start_io(sys.executable, "-m", "lesson_lsp.cli", "serve",
                                   env={**os.environ, **(env or {})})
        capabilities = lsp.ClientCapabilities(window=lsp.WindowClientCapabilities(
            work_done_progress=True))
        await self.client.initialize_async(lsp.InitializeParams(
            capabilities=capabilities, root_uri=self.root.as_uri()))
        self.client.initialized(lsp.InitializedParams())
        self.uri = (self.root / "slow.py").as_uri()
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
            uri=self.uri, language_id="python", version=1,
            text=(self.root / "slow.py").read_text())))

    def optimize(self, line: int) -> asyncio.Future:
        return asyncio.ensure_future(self.client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command="lesson-lsp.optimize", arguments=[
                {"uri": self.uri, "position": {"line": line, "character": 8}, "version": 1}])))

    @property
    def pid(self) -> int:
        return self.client._server.pid  # type: ignore[attr-defined,union-attr]

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


def workspace(root: Path, config: str) -> Path:
    shutil.copy(EXAMPLES / "slow.py", root / "slow.py")
    (root / "pyproject.toml").write_text(
        "[tool.lesson-lsp]\nrounds = 1\n" + config +
        '\n[tool.lesson-lsp.inputs]\n"slow.py::fib" = "slow.py::inputs"\n'
        '"slow.py::count_common" = "slow.py::common_inputs"\n', encoding="utf-8")
    return root


FAULTS = {
    "500": Reply(status=500), "401": Reply(status=401), "429": Reply(status=429, headers={
        "Retry-After": "0"}), "hang": Reply(delay_s=3.0), "not-json": Reply(raw=b"<html>"),
    "no-choices": Reply(content=None), "dropped": Reply(drop=True),
}


@pytest.mark.slow
@pytest.mark.asyncio
async def test_each_endpoint_fault_is_one_message_and_the_offline_edit_still_lands(
        tmp_path: Path) -> None:
    # One agent per fault, all at the same endpoint, which answers each by its model name.
    with ScriptedEndpoint(lambda seen: FAULTS[str(seen.body.get("model"))]) as endpoint:
        team = "".join(
            f'[[tool.lesson-lsp.team]]\nname = "agent-{fault}"\nkind = "openai"\n'
            f'model = "{fault}"\nbase_url = "{endpoint.url}"\n'
            'api_key_env = "LESSON_TEST_KEY"\n' for fault in FAULTS)
        root = workspace(tmp_path, 'llm_timeout_s = 1\n' + team +
                         '[[tool.lesson-lsp.team]]\nname = "memoize"\nkind = "rewrite"\n')
        editor = Editor(root)
        await editor.start({"LESSON_TEST_KEY": "sk-endurance"})
        try:
            result = await asyncio.wait_for(editor.optimize(FIB_LINE), 120)
        finally:
            await editor.stop()
        attempts = {fault: sum(1 for seen in endpoint.chats() if seen.body.get("model") == fault)
                    for fault in FAULTS}
    for fault, count in attempts.items():  # bounded retries; a refused key is not retried
        assert (count == 1) if fault == "401" else (2 <= count <= 4), attempts
        about = [m for m in editor.messages if f"agent-{fault}" in m]
        assert len(about) == 1, (fault, editor.messages)  # one clear message each
    assert result["applied"] and len(editor.edits) == 1
    change = editor.edits[0].edit.document_changes[0]  # type: ignore[index]
    assert any("functools.cache" in e.new_text for e in change.edits)  # type: ignore[union-attr]
    assert (tmp_path / "slow.py").read_text() == (EXAMPLES / "slow.py").read_text()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_two_servers_share_one_bank_and_a_killed_one_loses_no_acknowledged_lesson(
        tmp_path: Path) -> None:
    bank = tmp_path / "shared-bank.db"
    config = f'bank = "{bank.as_posix()}"\n'
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    windows = [Editor(workspace(tmp_path / name, config)) for name in ("a", "b")]
    for editor in windows:
        await editor.start()
    try:  # two editor windows, the same bank, runs at the same time
        results = await asyncio.wait_for(asyncio.gather(
            windows[0].optimize(FIB_LINE), windows[1].optimize(COMMON_LINE)), 180)
    finally:
        for editor in windows:
            await editor.stop()
    assert all(r["improved"] for r in results), results
    acknowledged = {text for r in results for text in r["lessons"]}
    assert acknowledged
    assert acknowledged <= {x.text for x in Bank(bank).all(limit=10_000)}

    # A third window is killed outright while its team is working and banking.
    victim = Editor(workspace(tmp_path / "c", config))
    await victim.start()
    run = victim.optimize(FIB_LINE)
    deadline = time.monotonic() + 60
    while not any("round" in p for p in victim.progress):
        assert time.monotonic() < deadline, victim.progress
        await asyncio.sleep(0.01)
    os.kill(victim.pid, signal.SIGKILL)
    with pytest.raises(BaseException):  # noqa: B017  (the connection is gone)
        await asyncio.wait_for(run, 10)
    await victim.client.stop()
    with sqlite3.connect(bank) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    after = {x.text for x in Bank(bank).all(limit=10_000)}
    assert acknowledged <= after
