"""What lesson-lsp costs an editor, next to a bare pygls 2 server, in one run.

    python benchmarks/editor_speed.py [--lines 5000] [--requests 300] [--starts 5] [--json FILE]

Both servers get the same generated Python file (deterministic; functions, classes, decorators,
docstrings, comments, non-ASCII text), the same minimal JSON-RPC client over stdio (its own cost
is tiny and identical for both) and the same requests, one server at a time, alternating which
goes first to spread machine drift. The baseline is benchmarks/bare_server.py: pygls's default
document sync plus a static code action and hover, so the ratios are what lesson-lsp adds.

Measured, per server:
- initialize: spawn → `initialize` answer, interpreter start and imports included (that is what
  an editor waits for), median of `--starts` fresh processes;
- codeAction: p50/p99 at deterministic positions over the whole file, mostly in function bodies;
- keystroke: an incremental didChange typing (or deleting) one character in a function body,
  then a codeAction there; time from sending the change to the answer (what a user feels);
- hover on function names: p50/p99;
- memory: VmHWM/VmRSS of the server after opening the file, and after all requests.
The table shows lesson-lsp / bare ratios against the project's goals; `--json` keeps every number.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FILE_NAME = "big_module.py"


@dataclass(frozen=True)
class Server:
    name: str
    command: list[str]


SERVERS = (
    Server("bare pygls", [sys.executable, str(ROOT / "benchmarks" / "bare_server.py")]),
    Server("lesson-lsp", [sys.executable, "-m", "lesson_lsp.cli", "serve"]),
)

# ---------------------------------------------------------------- the generated file

NOTES = ["naïve but clear", "résumé of the inputs", "größer als null", "日本語のコメント",
         "fast path — usually", "Ωmega case", "ça marche", "plain ASCII note"]
NOUNS = ["totals", "rows", "prices", "names", "scores", "events", "paths", "tokens"]
VERBS = ["compute", "collect", "merge", "render", "parse", "count", "filter", "index"]


@dataclass(frozen=True)
class Body:
    params: str
    lines: tuple[str, ...]  # relative indentation; NOTE and N are filled in


BODIES = (
    Body("items, limit=10", (
        "# NOTE", "total = 0", "for index, item in enumerate(items):",
        "    if index >= limit:", "        break", "    total += item * NUM", "return total")),
    Body("items", (
        "seen = set()", "result = []", "for item in items:", "    # skip duplicates: NOTE",
        "    if item in seen:", "        continue", "    seen.add(item)",
        "    result.append(str(item).strip())", "return result")),
    Body("text", (
        'label = "NOTE"', "counts = {}", "for word in text.split():",
        "    counts[word] = counts.get(word, 0) + 1",
        "best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))",
        "return label, best[:NUM]")),
    Body("text", (
        "try:", "    value = int(text)", "except ValueError:", "    # not a number (NOTE)",
        "    value = -NUM", "else:", "    value = value * 2", "return value")),
    Body("names", (
        "rows = [", "    (name, len(name))", "    for name in names",
        '    if name and not name.startswith("_")', "]",
        'message = f"{len(rows)} rows — NOTE"', "return message, rows")),
)

HEADER = '''"""Generated for benchmarks/editor_speed.py — données de test, 日本語, Ω."""

from __future__ import annotations

import dataclasses
import functools


def log_calls(func):
    return func
'''


def _function(rng: random.Random, n: int, indent: str, method: bool) -> list[str]:
    body = rng.choice(BODIES)
    note = rng.choice(NOTES)
    name = f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}_{n}"
    out = []
    decorator = rng.random()
    if decorator < 0.15:
        out.append(f"{indent}@functools.lru_cache(maxsize=None)")
    elif decorator < 0.3:
        out.append(f"{indent}@log_calls")
    params = f"self, {body.params}" if method else body.params
    out.append(f"{indent}def {name}({params}):")
    inner = indent + "    "
    if rng.random() < 0.5:
        out.append(f'{inner}"""{name.replace("_", " ").capitalize()}: {note}."""')
    else:
        out += [f'{inner}"""{name.replace("_", " ").capitalize()}.', "",
                f"{inner}The {rng.choice(NOUNS)} are kept in order ({note}).", f'{inner}"""']
    out += [inner + line.replace("NUM", str(n % 97 + 1)).replace("NOTE", note)
            for line in body.lines]
    return out


def _class(rng: random.Random, n: int) -> list[str]:
    note = rng.choice(NOTES)
    out = ["@dataclasses.dataclass"] if rng.random() < 0.3 else []
    out += [f"class {rng.choice(NOUNS).capitalize()}Store{n}:", f'    """A store — {note}."""', "",
            f'    kind = "{note}"', "", "    def __init__(self, size=3):",
            "        self.size = size", "        self.cache = {}"]
    for k in range(rng.randint(2, 4)):
        out += ["", *_function(rng, n * 10 + k, "    ", method=True)]
    return out


def generate(lines: int, seed: int = 0) -> str:
    """A deterministic Python module of about `lines` lines (never fewer)."""
    rng = random.Random(seed)
    out = HEADER.splitlines()
    n = 0
    while len(out) < lines:
        n += 1
        kind = rng.random()
        if kind < 0.1:
            block = [f"# --- section {n}: {rng.choice(NOTES)} ---", f"LIMIT_{n} = {n}"]
        elif kind < 0.35:
            block = _class(rng, n)
        else:
            block = _function(rng, n, "", method=False)
        out += ["", "", *block]
    return "\n".join(out) + "\n"


@dataclass
class Layout:
    """Where things are in the generated file (0-based lines, UTF-16 columns)."""

    lines: list[str]
    functions: list[int] = field(default_factory=list)  # lines of a function (see owners)
    others: list[int] = field(default_factory=list)  # top-level, class-level and blank lines
    names: list[tuple[int, int]] = field(default_factory=list)  # inside each function's name
    spots: list[tuple[int, int]] = field(default_factory=list)  # where typing keeps it parseable


_DEF = re.compile(r"^(\s*)def (\w+)\(")
_SPOT = re.compile(r"^(\s+)(?:# |[a-z_]\w* = )")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def owners(lines: list[str]) -> list[int | None]:
    """For each line, the line of the def it belongs to: its decorators, its body, and blank
    lines between two lines of it (inside a docstring, say); None outside any function."""
    found: list[int | None] = []
    inside: tuple[int, int] | None = None  # (line, indentation) of the def we are in
    for number, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if line.strip() and inside is not None and indent <= inside[1]:
            inside = None
        if _DEF.match(line):
            inside = (number, indent)
        found.append(inside[0] if inside is not None and line.strip() else None)
    for number in reversed(range(len(lines) - 1)):
        if lines[number].lstrip().startswith("@"):
            found[number] = found[number + 1]
    previous: int | None = None
    for number, line in enumerate(lines):
        if line.strip():
            previous = found[number]
            continue
        following = next((found[k] for k in range(number + 1, len(lines)) if lines[k].strip()),
                         None)
        found[number] = previous if previous == following else None
    return found


def layout(text: str) -> Layout:
    found = Layout(text.split("\n")[:-1])
    for number, (line, owner) in enumerate(zip(found.lines, owners(found.lines))):
        (found.others if owner is None else found.functions).append(number)
        if _DEF.match(line):
            found.names.append((number, line.index("def ") + len("def ") + 1))
        spot = _SPOT.match(line)
        if owner is not None and owner != number and spot:
            found.spots.append((number, len(spot.group(1)) + (2 if line.lstrip()[0] == "#" else 1)))
    return found


# ---------------------------------------------------------------- the requests


@dataclass(frozen=True)
class Probe:
    line: int
    character: int
    in_function: bool


@dataclass(frozen=True)
class Keystroke:
    line: int
    character: int
    letter: str  # "" deletes the character at (line, character)


def probes(where: Layout, count: int, seed: int) -> list[Probe]:
    """Positions over the whole file: 85 % in function bodies, the rest elsewhere."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        in_function = rng.random() < 0.85
        line = rng.choice(where.functions if in_function else where.others)
        out.append(Probe(line, rng.randint(0, utf16_len(where.lines[line])), in_function))
    return out


def keystrokes(where: Layout, count: int, seed: int) -> list[Keystroke]:
    """Type a letter into a comment or an assigned name, then delete it again, and so on."""
    rng = random.Random(seed)
    out: list[Keystroke] = []
    while len(out) < count:
        line, character = rng.choice(where.spots)
        letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
        out += [Keystroke(line, character, letter), Keystroke(line, character, "")]
    return out[:count]


def hovers(where: Layout, count: int, seed: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    return [rng.choice(where.names) for _ in range(count)]


def apply(lines: list[str], key: Keystroke) -> None:
    """Our own copy of the text, edited as the server's is (spots are ASCII-prefixed)."""
    text = lines[key.line]
    end = key.character + (0 if key.letter else 1)
    lines[key.line] = text[:key.character] + key.letter + text[end:]


# ---------------------------------------------------------------- a minimal JSON-RPC client


class RpcError(Exception):
    pass


class Rpc:
    """JSON-RPC over a server's stdio: Content-Length framing, futures resolved by id by one
    reader task, server notifications counted, server requests answered with null."""

    def __init__(self, process: asyncio.subprocess.Process, stderr: Path) -> None:
        self.process = process
        self.stderr = stderr
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.notifications: Counter[str] = Counter()
        self.server_requests: Counter[str] = Counter()
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def spawn(cls, server: Server, cwd: Path, env: dict[str, str]) -> Rpc:
        stderr = cwd / f"{server.name.replace(' ', '-')}.stderr"
        with stderr.open("ab") as sink:
            process = await asyncio.create_subprocess_exec(
                *server.command, cwd=cwd, env=env, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=sink)
        return cls(process, stderr)

    @property
    def pid(self) -> int:
        return self.process.pid

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        try:
            while True:
                length = 0
                while True:
                    header = await stream.readline()
                    if not header:
                        raise ConnectionError("the server closed its stdout")
                    if not header.strip():
                        break
                    name, _, value = header.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                self._dispatch(json.loads(await stream.readexactly(length)))
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(ConnectionError(f"{exc}; stderr: {self.tail()}"))

    def _dispatch(self, message: dict[str, Any]) -> None:
        method = message.get("method")
        if method is not None:
            if "id" not in message:
                self.notifications[method] += 1
                return
            self.server_requests[method] += 1
            items = (message.get("params") or {}).get("items", [])
            result = [None] * len(items) if method == "workspace/configuration" else None
            self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})
            return
        future = self.pending.pop(message.get("id"), None)  # type: ignore[arg-type]
        if future is None or future.done():
            return
        if "error" in message:
            future.set_exception(RpcError(message["error"]))
        else:
            future.set_result(message.get("result"))

    def send_request(self, method: str, params: Any) -> asyncio.Future[Any]:
        self.next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        self._send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return future

    async def request(self, method: str, params: Any, timeout: float) -> Any:
        return await asyncio.wait_for(self.send_request(method, params), timeout)

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def tail(self, chars: int = 2000) -> str:
        try:
            return self.stderr.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    async def close(self, timeout: float = 10.0) -> None:
        """shutdown + exit; killed if it does not go in time. Never leaves the process behind."""
        try:
            await self.request("shutdown", None, timeout)
            self.notify("exit", None)
            await asyncio.wait_for(self.process.wait(), timeout)
        except (asyncio.TimeoutError, ConnectionError, RpcError, OSError):
            pass
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader


def initialize_params(folder: Path) -> dict[str, Any]:
    """What VS Code sends, for what matters here."""
    kinds = ["", "quickfix", "refactor", "refactor.extract", "refactor.inline",
             "refactor.rewrite", "source", "source.organizeImports"]
    return {
        "processId": os.getpid(),
        "clientInfo": {"name": "editor-speed", "version": "1"},
        "rootUri": folder.as_uri(),
        "rootPath": str(folder),
        "workspaceFolders": [{"uri": folder.as_uri(), "name": folder.name}],
        "capabilities": {
            "general": {"positionEncodings": ["utf-16"]},
            "window": {"workDoneProgress": True, "showMessage": {}},
            "workspace": {"applyEdit": True, "configuration": True, "workspaceFolders": True},
            "textDocument": {
                "synchronization": {"dynamicRegistration": True, "willSave": True,
                                    "willSaveWaitUntil": True, "didSave": True},
                "codeAction": {
                    "dynamicRegistration": True, "isPreferredSupport": True,
                    "dataSupport": True, "resolveSupport": {"properties": ["edit"]},
                    "codeActionLiteralSupport": {"codeActionKind": {"valueSet": kinds}},
                },
                "hover": {"contentFormat": ["markdown", "plaintext"]},
            },
        },
    }


def action_params(uri: str, line: int, character: int) -> dict[str, Any]:
    here = {"line": line, "character": character}
    return {"textDocument": {"uri": uri}, "range": {"start": here, "end": here},
            "context": {"diagnostics": [], "triggerKind": 2}}


def change_params(uri: str, version: int, key: Keystroke) -> dict[str, Any]:
    end = key.character + (0 if key.letter else 1)
    return {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{
        "range": {"start": {"line": key.line, "character": key.character},
                  "end": {"line": key.line, "character": end}},
        "text": key.letter}]}


def memory_mb(pid: int) -> dict[str, float]:
    """VmHWM (peak) and VmRSS of a process, in MB (Linux)."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            found[name] = int(value.split()[0]) / 1024
    return found


# ---------------------------------------------------------------- measuring


@dataclass
class Plan:
    """The same requests for both servers in one round."""

    probes: list[Probe]
    keystrokes: list[Keystroke]
    hovers: list[tuple[int, int]]


@dataclass
class Measured:
    """Every sample of one server; times in seconds, memory in MB."""

    initialize: list[float] = field(default_factory=list)
    code_action: list[float] = field(default_factory=list)
    keystroke: list[float] = field(default_factory=list)
    hover: list[float] = field(default_factory=list)
    memory_after_open: list[dict[str, float]] = field(default_factory=list)
    memory_at_end: list[dict[str, float]] = field(default_factory=list)
    offered_in_functions: int = 0
    asked_in_functions: int = 0
    offered_elsewhere: int = 0
    asked_elsewhere: int = 0
    offered_after_keystroke: int = 0
    hovers_answered: int = 0
    titles: list[str] = field(default_factory=list)
    notifications: dict[str, int] = field(default_factory=dict)
    server_requests: dict[str, int] = field(default_factory=dict)
    pids: list[int] = field(default_factory=list)  # every process it ran (all gone by the end)

    def note_titles(self, actions: Any) -> None:
        for action in actions or []:
            title = action.get("title", "") if isinstance(action, dict) else str(action)
            if title not in self.titles:
                self.titles.append(title)


@dataclass
class Bench:
    folder: Path
    uri: str
    text: str
    env: dict[str, str]
    timeout: float


async def start_once(bench: Bench, server: Server, out: Measured) -> float:
    started = time.perf_counter()
    rpc = await Rpc.spawn(server, bench.folder, bench.env)
    out.pids.append(rpc.pid)
    try:
        await rpc.request("initialize", initialize_params(bench.folder), bench.timeout)
        return time.perf_counter() - started
    finally:
        await rpc.close()


async def timed(rpc: Rpc, method: str, params: Any, timeout: float) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = await rpc.request(method, params, timeout)
    return time.perf_counter() - started, answer


async def code_actions(rpc: Rpc, bench: Bench, plan: Plan, out: Measured) -> None:
    for probe in plan.probes:
        took, actions = await timed(rpc, "textDocument/codeAction",
                                    action_params(bench.uri, probe.line, probe.character),
                                    bench.timeout)
        out.code_action.append(took)
        out.note_titles(actions)
        if probe.in_function:
            out.asked_in_functions += 1
            out.offered_in_functions += bool(actions)
        else:
            out.asked_elsewhere += 1
            out.offered_elsewhere += bool(actions)


async def typing(rpc: Rpc, bench: Bench, plan: Plan, out: Measured) -> None:
    lines = bench.text.split("\n")
    version = 1
    for key in plan.keystrokes:
        version += 1
        apply(lines, key)
        cursor = key.character + len(key.letter)
        started = time.perf_counter()
        rpc.notify("textDocument/didChange", change_params(bench.uri, version, key))
        actions = await rpc.request("textDocument/codeAction",
                                    action_params(bench.uri, key.line, cursor), bench.timeout)
        out.keystroke.append(time.perf_counter() - started)
        out.offered_after_keystroke += bool(actions)


async def hovering(rpc: Rpc, bench: Bench, plan: Plan, out: Measured) -> None:
    for line, character in plan.hovers:
        took, answer = await timed(rpc, "textDocument/hover", {
            "textDocument": {"uri": bench.uri},
            "position": {"line": line, "character": character}}, bench.timeout)
        out.hover.append(took)
        out.hovers_answered += answer is not None


async def session(bench: Bench, server: Server, plan: Plan, out: Measured) -> None:
    rpc = await Rpc.spawn(server, bench.folder, bench.env)
    out.pids.append(rpc.pid)
    try:
        await rpc.request("initialize", initialize_params(bench.folder), bench.timeout)
        rpc.notify("initialized", {})
        rpc.notify("textDocument/didOpen", {"textDocument": {
            "uri": bench.uri, "languageId": "python", "version": 1, "text": bench.text}})
        first = plan.probes[0] if plan.probes else Probe(0, 0, False)
        await rpc.request("textDocument/codeAction",  # didOpen is processed: not counted
                          action_params(bench.uri, first.line, first.character), bench.timeout)
        out.memory_after_open.append(memory_mb(rpc.pid))
        await code_actions(rpc, bench, plan, out)
        await typing(rpc, bench, plan, out)
        await hovering(rpc, bench, plan, out)
        out.memory_at_end.append(memory_mb(rpc.pid))
        for name, count in rpc.notifications.items():
            out.notifications[name] = out.notifications.get(name, 0) + count
        for name, count in rpc.server_requests.items():
            out.server_requests[name] = out.server_requests.get(name, 0) + count
    except Exception as exc:
        raise RuntimeError(f"{server.name}: {exc!r}; its stderr ends:\n{rpc.tail()}") from exc
    finally:
        await rpc.close()


def split(total: int, parts: int, index: int) -> int:
    return total // parts + (index < total % parts)


async def measure(args: argparse.Namespace, folder: Path) -> dict[str, Measured]:
    text = generate(args.lines, args.seed)
    path = folder / FILE_NAME
    path.write_bytes(text.encode())
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    bench = Bench(folder, path.as_uri(), text, env, args.timeout)
    where = layout(text)
    results = {server.name: Measured() for server in SERVERS}

    def order(i: int) -> Sequence[Server]:
        return SERVERS if i % 2 == 0 else SERVERS[::-1]

    for server in SERVERS:  # warm the disk cache; not counted
        await start_once(bench, server, results[server.name])
    for i in range(args.starts):
        for server in order(i):
            measured = results[server.name]
            measured.initialize.append(await start_once(bench, server, measured))
    hover_count = args.hovers if args.hovers is not None else min(100, args.requests)
    for r in range(args.rounds):
        seed = args.seed * 1000 + r
        plan = Plan(probes(where, split(args.requests, args.rounds, r), seed),
                    keystrokes(where, split(args.requests, args.rounds, r), seed),
                    hovers(where, split(hover_count, args.rounds, r), seed))
        for server in order(r):
            await session(bench, server, plan, results[server.name])
    return results


# ---------------------------------------------------------------- reporting


def p50(samples: list[float]) -> float:
    return statistics.median(samples) if samples else math.nan


def p99(samples: list[float]) -> float:
    """Nearest rank: with fewer than 100 samples this is the maximum."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Row:
    measure: str
    bare: float
    lesson: float
    goal: float | None = None  # the most lesson / bare may be

    @property
    def ratio(self) -> float:
        return self.lesson / self.bare if self.bare else math.nan

    @property
    def met(self) -> bool | None:
        return None if self.goal is None else self.ratio <= self.goal


def rows(results: dict[str, Measured], starts: int) -> list[Row]:
    bare, lesson = results[SERVERS[0].name], results[SERVERS[1].name]
    ms = 1e3

    def peak(m: Measured) -> float:
        return max((x.get("VmHWM", math.nan) for x in m.memory_after_open), default=math.nan)

    return [
        Row(f"initialize, ms (median of {starts} starts)",
            p50(bare.initialize) * ms, p50(lesson.initialize) * ms, 1.15),
        Row("codeAction p50, ms", p50(bare.code_action) * ms, p50(lesson.code_action) * ms, 2),
        Row("codeAction p99, ms", p99(bare.code_action) * ms, p99(lesson.code_action) * ms, 3),
        Row("keystroke p50, ms", p50(bare.keystroke) * ms, p50(lesson.keystroke) * ms),
        Row("keystroke p99, ms", p99(bare.keystroke) * ms, p99(lesson.keystroke) * ms, 3),
        Row("hover p50, ms", p50(bare.hover) * ms, p50(lesson.hover) * ms),
        Row("hover p99, ms", p99(bare.hover) * ms, p99(lesson.hover) * ms),
        Row("peak RSS after open, MB", peak(bare), peak(lesson)),
    ]


def table(found: list[Row]) -> str:
    out = ["| measure | bare pygls | lesson-lsp | ratio | goal |", "|---|---:|---:|---:|---|"]
    for row in found:
        goal = "" if row.goal is None else f"≤ {row.goal:g}× {'✓' if row.met else '✗'}"
        out.append(f"| {row.measure} | {row.bare:.2f} | {row.lesson:.2f} | "
                   f"{row.ratio:.2f}× | {goal} |")
    return "\n".join(out)


def sanity(name: str, m: Measured) -> str:
    end = max((x.get("VmHWM", math.nan) for x in m.memory_at_end), default=math.nan)
    rss = max((x.get("VmRSS", math.nan) for x in m.memory_at_end), default=math.nan)
    return (f"{name}: codeAction offered {m.offered_in_functions}/{m.asked_in_functions} on "
            f"function lines, {m.offered_elsewhere}/{m.asked_elsewhere} elsewhere, "
            f"{m.offered_after_keystroke}/{len(m.keystroke)} after a keystroke; "
            f"titles: {m.titles}; hovers answered {m.hovers_answered}/{len(m.hover)}; "
            f"at the end VmHWM {end:.1f} MB, VmRSS {rss:.1f} MB; "
            f"notifications {m.notifications}; server requests {m.server_requests}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=5000, help="size of the generated file")
    parser.add_argument("--requests", type=int, default=300,
                        help="code actions, and keystrokes, per server")
    parser.add_argument("--hovers", type=int, help="hovers per server (default min(100, "
                        "--requests))")
    parser.add_argument("--starts", type=int, default=5, help="fresh processes to initialize")
    parser.add_argument("--rounds", type=int, default=2,
                        help="sessions per server (alternating which goes first)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every number here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="editor-speed-") as folder:
        results = asyncio.run(measure(args, Path(folder)))
    found = rows(results, args.starts)
    lines = generate(args.lines, args.seed).count("\n")
    print(f"{lines}-line file, {args.requests} code actions, {args.requests} keystrokes, "
          f"{len(results[SERVERS[0].name].hover)} hovers per server; {args.starts} starts, "
          f"{args.rounds} rounds\n")
    print(table(found))
    print()
    for name, measured in results.items():
        print(sanity(name, measured))
    if args.json:
        args.json.write_text(json.dumps({
            "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "rows": [{**asdict(row), "ratio": row.ratio, "met": row.met} for row in found],
            "servers": {name: asdict(m) for name, m in results.items()},
        }, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
