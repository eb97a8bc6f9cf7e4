"""Latency of textDocument/codeAction on a 5,000-line file, over real stdio.

    python benchmarks/code_action_latency.py
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


def big_source(lines: int = 5000) -> str:
    chunks = []
    while sum(c.count("\n") for c in chunks) < lines:
        i = len(chunks)
        chunks.append(f"def f{i}(xs, ys):\n    total = 0\n    for x in xs:\n"
                      f"        if x in ys:\n            total += x * {i}\n    return total\n\n")
    return "".join(chunks)


async def main(requests: int = 400) -> None:
    client = LanguageClient("bench", "0")
    await client.start_io(sys.executable, "-m", "lesson_lsp.cli", "serve")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.py"
        text = big_source()
        path.write_text(text)
        await client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
        client.initialized(lsp.InitializedParams())
        uri = path.as_uri()
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        n_lines = text.count("\n")
        times = []
        for i in range(requests):
            line = (i * 37) % n_lines
            started = time.perf_counter()
            await client.text_document_code_action_async(lsp.CodeActionParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri),
                range=lsp.Range(start=lsp.Position(line, 4), end=lsp.Position(line, 4)),
                context=lsp.CodeActionContext(diagnostics=[])))
            times.append(time.perf_counter() - started)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    times.sort()
    p99 = times[int(0.99 * (len(times) - 1))]
    print(f"file: {n_lines} lines, {requests} code-action requests")
    print(f"median {statistics.median(times) * 1e3:.2f} ms  p99 {p99 * 1e3:.2f} ms  "
          f"max {times[-1] * 1e3:.2f} ms  (target p99 < 50 ms)")


if __name__ == "__main__":
    asyncio.run(main())
