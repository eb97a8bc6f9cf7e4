"""A scripted OpenAI-compatible HTTP server on 127.0.0.1, for tests and offline benchmarks.

It speaks the endpoints lesson-lsp uses (POST /v1/chat/completions, /v1/embeddings, and
GET /v1/models, answered from `models` or 404 when it is None) over real HTTP; what it answers
comes from a script: a function from the request body to a `Reply`.
Every request is recorded (body and headers) so tests can check what the client sent.
"""

from __future__ import annotations

import hashlib
import json
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    content: str | None = ""  # the assistant's message; None gives an empty choice list
    status: int = 200
    delay_s: float = 0.0
    raw: bytes | None = None  # send these bytes instead of a JSON completion
    drop: bool = False  # close the connection halfway through the answer
    hold_s: float = 0.0  # answer nothing for this long, noting when the client hangs up
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def prompt(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.body.get("messages", []))


def completion(model: str, content: str | None) -> bytes:
    choices = [] if content is None else [{
        "index": 0, "finish_reason": "stop",
        "message": {"role": "assistant", "content": content}}]
    return json.dumps({
        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
        "model": model, "choices": choices,
        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
    }).encode()


def embedding(texts: list[str], model: str) -> bytes:
    """A deterministic bag-of-hashed-tokens vector: similar code gets similar vectors."""
    data = []
    for index, text in enumerate(texts):
        vector = [0.0] * 64
        for token in text.split():
            vector[int(hashlib.md5(token.encode()).hexdigest(), 16) % 64] += 1.0
        data.append({"object": "embedding", "index": index, "embedding": vector})
    return json.dumps({"object": "list", "data": data, "model": model,
                       "usage": {"prompt_tokens": 1, "total_tokens": 1}}).encode()


class ScriptedEndpoint:
    """`with ScriptedEndpoint(script) as server:` … `server.url` is the base_url."""

    def __init__(self, script: Callable[[Seen], Reply],
                 models: list[dict[str, Any]] | None = None) -> None:
        self.script = script
        self.models = models
        self.seen: list[Seen] = []
        self.hangups: list[float] = []  # time.monotonic() when a held request's client left
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                with endpoint._lock:
                    endpoint.seen.append(Seen(self.path, {}, dict(self.headers.items())))
                if endpoint.models is None or not self.path.endswith("/models"):
                    self._send(404, b'{"error": {"message": "not found"}}', {})
                else:
                    self._send(200, json.dumps({"object": "list",
                                                "data": endpoint.models}).encode(), {})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                seen = Seen(self.path, body, {k.lower(): v for k, v in self.headers.items()})
                with endpoint._lock:
                    endpoint.seen.append(seen)
                if self.path.endswith("/embeddings"):
                    inputs = body.get("input", [])
                    self._send(200, embedding(inputs if isinstance(inputs, list) else [inputs],
                                              body.get("model", "")), {})
                    return
                reply = endpoint.script(seen)
                if reply.hold_s:
                    self._hold(reply.hold_s)
                    return
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                payload = reply.raw if reply.raw is not None else (
                    completion(body.get("model", ""), reply.content) if reply.status == 200
                    else json.dumps({"error": {"message": "scripted failure",
                                               "type": "server_error"}}).encode())
                if reply.drop:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload[: len(payload) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.close()
                    return
                self._send(reply.status, payload, reply.headers)

            def _hold(self, seconds: float) -> None:
                """Keep the request open without answering; note when the client closes."""
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    ready, _, _ = select.select([self.connection], [], [], 0.01)
                    if ready and not self.connection.recv(1, socket.MSG_PEEK):
                        with endpoint._lock:
                            endpoint.hangups.append(time.monotonic())
                        break
                self.close_connection = True

            def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def chats(self) -> list[Seen]:
        return [s for s in self.seen if s.path.endswith("/chat/completions")]

    def __enter__(self) -> ScriptedEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def fenced(code: str, prose: str = "Here is a faster version:") -> str:
    return f"{prose}\n\n```python\n{code.strip()}\n```\n\nIt avoids repeated work."
