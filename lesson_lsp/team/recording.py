"""Record a run's conversation with the endpoint, and replay it without the endpoint.

A recording is JSON lines, one exchange each: the request's method, path and body, and the
response's status and body. Headers are not recorded, so the API key never reaches the file.
Replay answers requests in the recorded order (for bug reports and deterministic tests); a
request the recording does not hold is answered 404, which the agent reports as unusable.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx2


class RecordingTransport(httpx2.AsyncBaseTransport):
    def __init__(self, path: Path, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self.path = path
        self.inner = inner or httpx2.AsyncHTTPTransport()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", encoding="utf-8")

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        exchange = {
            "method": request.method, "path": request.url.path,
            "request": body.decode("utf-8", "replace"),
            "status": response.status_code, "response": content.decode("utf-8", "replace"),
        }
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(exchange) + "\n")
        return httpx2.Response(response.status_code, content=content,
                               headers={"content-type": "application/json"})

    async def aclose(self) -> None:
        await self.inner.aclose()


class ReplayTransport(httpx2.AsyncBaseTransport):
    def __init__(self, path: Path) -> None:
        lines = path.read_text(encoding="utf-8").splitlines()
        self.exchanges = [json.loads(line) for line in lines if line.strip()]
        self.used = [False] * len(self.exchanges)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = (await request.aread()).decode("utf-8", "replace")
        # The same request if it is there (concurrent agents may ask in another order),
        # else the next unused exchange on the same path.
        order = sorted(range(len(self.exchanges)),
                       key=lambda i: self.exchanges[i]["request"] != body)
        for index in order:
            exchange = self.exchanges[index]
            if not self.used[index] and exchange["path"] == request.url.path:
                self.used[index] = True
                return httpx2.Response(exchange["status"], content=exchange["response"].encode(),
                                       headers={"content-type": "application/json"})
        return httpx2.Response(404, json={"error": {"message": "not in the recording"}})


def http_client(record: Path | None = None, replay: Path | None = None
                ) -> httpx2.AsyncClient | None:
    """The HTTP client for the agents: recording, replaying, or None for the default."""
    if replay is not None:
        return httpx2.AsyncClient(transport=ReplayTransport(replay))
    if record is not None:
        return httpx2.AsyncClient(transport=RecordingTransport(record))
    return None
