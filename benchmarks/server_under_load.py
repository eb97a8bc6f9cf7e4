"""The server under load, over real stdio: 20 optimize requests across 10 files queued at once
(bounded concurrency, queue positions in the progress), while code actions and hovers are timed;
prints their latency percentiles and the server's peak memory (VmHWM), then cancels the rest.

    python benchmarks/server_under_load.py [SERVER FLAGS…]   (e.g. --log-file server.log)
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

MODULE = '''
def slow_{i}(n):
    total = 0
    for k in range(n):
        total += k * k % 7
    return total


def other_{i}(xs, ys):
    count = 0
    for x in xs:
        if x in ys:
            count += 1
    return count


def inputs_{i}():
    return [(300_000,)]


def pairs_{i}():
    import random
    return [(random.sample(range(9000), 1500), random.sample(range(9000), 1500))]
'''


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def main(files: int = 10, probes: int = 300) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        table = []
        for i in range(files):
            (root / f"m{i}.py").write_text(MODULE.format(i=i))
            table.append(f'"m{i}.py::slow_{i}" = "m{i}.py::inputs_{i}"')
            table.append(f'"m{i}.py::other_{i}" = "m{i}.py::pairs_{i}"')
        (root / "pyproject.toml").write_text(
            "[tool.lesson-lsp]\nrounds = 1\n[tool.lesson-lsp.inputs]\n" + "\n".join(table))
        client = LanguageClient("bench", "0")
        progress: list[str] = []

        @client.feature(lsp.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def create(params: lsp.WorkDoneProgressCreateParams) -> None:
            return None

        @client.feature(lsp.PROGRESS)
        def report(params: lsp.ProgressParams) -> None:
            message = getattr(params.value, "message", None) or (
                params.value.get("message") if isinstance(params.value, dict) else None)
            if message:
                progress.append(message)

        @client.feature(lsp.WINDOW_SHOW_MESSAGE)
        def shown(params: lsp.ShowMessageParams) -> None:
            return None

        @client.feature(lsp.WORKSPACE_APPLY_EDIT)
        def apply(params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
            return lsp.ApplyWorkspaceEditResult(applied=True)

        await client.start_io(sys.executable, "-m", "lesson_lsp.cli", "serve", *sys.argv[1:])
        server_pid = client._server.pid  # type: ignore[attr-defined]
        capabilities = lsp.ClientCapabilities(window=lsp.WindowClientCapabilities(
            work_done_progress=True))
        await client.initialize_async(lsp.InitializeParams(
            capabilities=capabilities, root_uri=root.as_uri()))
        client.initialized(lsp.InitializedParams())
        uris = []
        for i in range(files):
            uri = (root / f"m{i}.py").as_uri()
            uris.append(uri)
            client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=(root / f"m{i}.py").read_text())))
        runs = [asyncio.ensure_future(client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command="lesson-lsp.optimize", arguments=[
                {"uri": uri, "position": {"line": line, "character": 4}, "version": 1}])))
            for uri in uris for line in (2, 9)]
        await asyncio.sleep(1.0)
        latencies = []
        for k in range(probes):
            uri = uris[k % files]
            started = time.perf_counter()
            if k % 2:
                await client.text_document_code_action_async(lsp.CodeActionParams(
                    text_document=lsp.TextDocumentIdentifier(uri=uri),
                    range=lsp.Range(start=lsp.Position(3, 4), end=lsp.Position(3, 4)),
                    context=lsp.CodeActionContext(diagnostics=[])))
            else:
                await client.text_document_hover_async(lsp.HoverParams(
                    text_document=lsp.TextDocumentIdentifier(uri=uri),
                    position=lsp.Position(10, 4)))
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.02)
        done = sum(r.done() for r in runs)
        for run in runs:
            run.cancel()
        peak = peak_rss_mb(server_pid)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    queued = [m for m in progress if m.startswith("queued")]
    print(f"{len(runs)} optimize requests over {files} files; {done} finished during the probe")
    print(f"code action / hover during the runs: median {statistics.median(latencies) * 1e3:.1f}"
          f" ms, p99 {p99 * 1e3:.1f} ms, max {latencies[-1] * 1e3:.1f} ms (target p99 < 50 ms)")
    print(f"queue positions reported: {len(queued)} (e.g. {queued[0] if queued else '-'})")
    print(f"server peak RSS: {peak:.0f} MB (target < 200 MB)")


if __name__ == "__main__":
    asyncio.run(main())
