"""Runs in a subprocess (`python -I gt_worker.py build|judge JOB.json`), standard library only:
the ground truth of one task, or one candidate checked against it. Never imports lesson_lsp, so
the ground truth is the same whichever harness is measured, and candidate code (LLM-written,
mutated) never runs in the benchmark's own process.

build: the task module's own inputs (bench_inputs, hidden_inputs), ENAMEL's `_generate_input`
at many small sizes, the function's doctest calls and type-aware edge values derived from them,
each kept only if the original returns or raises the same way twice within a time cap. The
outcomes (return value, arguments after the call, or the exception's type) are stored encoded.
judge: the candidate's module text loaded as the task module, called on every stored input.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import pickle
import random
import resource
import select
import signal
import sys
import time
import types
from collections.abc import Callable, Generator, Iterator
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the script's own out
from gt_values import (
    doctest_calls,
    edge_inputs,
    encode,
    same,
    show,
    shrunk,
    why,
)

MODULE = "task_module"  # both the original and a candidate load under this name (pickling)
SIZES = (0, 1, 2, 3, 4, 5, 6, 8, 10, 13, 17, 25, 40)
LEVELS = (0, 1, 2, 3)
CASES = 8
DROPPED = ("RecursionError", "MemoryError", "Timeout")  # not deterministic enough to keep
TIMED_OUT = "timed out"  # an item a child did not deliver in time


class Timeout(BaseException):
    """A call over its time cap (a BaseException: `except Exception` in a candidate keeps out)."""


def _alarm(signum: int, frame: Any) -> None:
    raise Timeout()


@contextlib.contextmanager
def capped(seconds: float) -> Iterator[None]:
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def call(function: Callable[..., Any], args: tuple[Any, ...], cap: float
         ) -> tuple[Any, float]:
    """(outcome, seconds): ("ret", value, args after) or ("exc", type name)."""
    started = time.perf_counter()
    sink = io.StringIO()
    encoded: tuple[Any, ...]
    try:
        with capped(cap), contextlib.redirect_stdout(sink):
            value = function(*args)
            encoded = ("ret", encode(value), encode(args))
    except Timeout:
        encoded = ("exc", "Timeout")
    except RecursionError:
        encoded = ("exc", "RecursionError")
    except BaseException as exc:  # SystemExit, KeyboardInterrupt alike
        encoded = ("exc", type(exc).__name__)
    return encoded, time.perf_counter() - started


# --- loading ------------------------------------------------------------------------------------

def load(path: str, text: str | None = None) -> types.ModuleType:
    """The task module (or `text` in its place) as MODULE, registered so pickles find its
    classes."""
    spec = importlib.util.spec_from_file_location(MODULE, path)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE] = module
    source = text if text is not None else open(path, encoding="utf-8").read()
    exec(compile(source, path, "exec"), module.__dict__)
    return module


def resolve(module: types.ModuleType, qualname: str) -> Callable[..., Any]:
    found: Any = module
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


# --- inputs -------------------------------------------------------------------------------------

def generated(module: types.ModuleType) -> list[tuple[Any, ...]]:
    """ENAMEL's generator at small sizes, every level, several cases, each seeded by its
    coordinates (the same inputs on every run)."""
    generate = getattr(module, "_generate_input", None)
    if generate is None:
        return []
    points = [(size, level, case) for size in SIZES for level in LEVELS for case in range(CASES)]

    def make(i: int) -> Any:
        random.seed("soundness-{}-{}-{}".format(*points[i]))
        try:
            with capped(1.0):
                return tuple(generate(*points[i]))
        except BaseException:  # a generator refusing a size
            return TIMED_OUT

    return [v for _, v in streamed(make, len(points), lambda _: 3.0) if v is not TIMED_OUT]


def streamed(produce: Callable[[int], Any], count: int, deadline: Callable[[int], float]
             ) -> Generator[tuple[int, Any], None, None]:
    """(i, produce(i)) for i < count, each made in a forked child that streams them back; a
    child past an item's hard `deadline` (a C-level loop no alarm interrupts, an `except:`
    that swallows it) is killed, the item yields TIMED_OUT and a new child goes on after it.
    The consumer may stop early: the child is killed then too."""
    start = 0
    while start < count:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: produce and send, one length-prefixed pickle per item
            os.close(read_fd)
            with os.fdopen(write_fd, "wb") as out:
                for i in range(start, count):
                    try:
                        blob = pickle.dumps((i, produce(i)))
                    except BaseException:  # unpicklable, or a stray Timeout
                        blob = pickle.dumps((i, TIMED_OUT))
                    out.write(len(blob).to_bytes(8, "little") + blob)
                    out.flush()
            os._exit(0)
        os.close(write_fd)
        try:
            start = yield from _receive(read_fd, start, count, deadline)
        finally:
            os.close(read_fd)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def _receive(fd: int, start: int, count: int, deadline: Callable[[int], float]
             ) -> Generator[tuple[int, Any], None, int]:
    """Items from one child until it ends or overruns; returns where the next child starts.
    Unbuffered reads: what `select` sees waiting is all there is."""
    for i in range(start, count):
        ready, _, _ = select.select([fd], [], [], deadline(i))
        header = _read(fd, 8) if ready else b""
        if len(header) < 8:
            yield i, TIMED_OUT
            return i + 1
        yield pickle.loads(_read(fd, int.from_bytes(header, "little")))
    return count


def _read(fd: int, size: int) -> bytes:
    """`size` bytes from a pipe, or fewer at its end."""
    chunks = []
    while size > 0:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def sources(module: types.ModuleType, source: str, qualname: str
            ) -> list[tuple[str, tuple[Any, ...]]]:
    """(label, arguments) of every source, small ones first."""
    def listed(make: Callable[[], Any], seconds: float) -> list[tuple[Any, ...]]:
        found = [v for _, v in streamed(lambda _: [tuple(a) for a in make()], 1,
                                        lambda _: seconds)]
        return found[0] if found and found[0] is not TIMED_OUT else []

    docs = listed(lambda: doctest_calls(source, qualname), 30)
    hidden = listed(module.hidden_inputs, 60)
    bench = listed(module.bench_inputs, 60)
    gen = generated(module)
    small = sorted(docs + hidden + gen[:40], key=lambda a: len(repr(a)))
    return [*(("doctest", a) for a in docs), *(("hidden", a) for a in hidden),
            *(("edge", a) for a in edge_inputs(small[:2] + docs[:2] + hidden[:2])),
            *(("generated", a) for a in gen), *(("shrunk", a) for a in shrunk(hidden + bench)),
            *(("bench", a) for a in bench)]


def run(function: Callable[..., Any], blobs: list[bytes], caps: list[float]
        ) -> Iterator[tuple[int, Any]]:
    """(i, (outcome, seconds)) of `function` on each pickled argument tuple, streamed."""
    return streamed(lambda i: call(function, pickle.loads(blobs[i]), caps[i]), len(blobs),
                    lambda i: 2 * caps[i] + 2.0)


def build(job: dict[str, Any]) -> dict[str, Any]:
    source = open(job["task"], encoding="utf-8").read()
    module = load(job["task"])
    function = resolve(module, job["qualname"])
    labels, blobs, shown, seen = [], [], [], set()
    for label, args in sources(module, source, job["qualname"]):
        try:
            blob = pickle.dumps(args)
        except Exception:  # unpicklable arguments cannot be replayed
            continue
        if blob not in seen:
            seen.add(blob)
            labels.append(label)
            blobs.append(blob)
            shown.append(repr(args)[:300])
    caps = [job["big_cap_s"] if label in ("bench", "hidden") else job["cap_s"]
            for label in labels]
    first = dict(run(function, blobs, caps))
    second = dict(run(function, blobs, caps))
    kept, dropped = [], 0
    for i, blob in enumerate(blobs):
        a, b = first.get(i, TIMED_OUT), second.get(i, TIMED_OUT)
        if a is TIMED_OUT or b is TIMED_OUT or (a[0][0] == "exc" and a[0][1] in DROPPED) \
                or not same(a[0], b[0]):
            dropped += 1
            continue
        kept.append({"label": labels[i], "args": blob, "outcome": a[0],
                     "seconds": max(a[1], b[1]), "shown": shown[i]})
    return {"inputs": kept, "dropped": dropped}


# --- judging ------------------------------------------------------------------------------------

def judge(job: dict[str, Any]) -> dict[str, Any]:
    truth = pickle.load(open(job["truth"], "rb"))
    try:
        with capped(30.0), contextlib.redirect_stdout(io.StringIO()):
            function = resolve(load(job["task"], job["text"]), job["qualname"])
    except BaseException as exc:  # a candidate that does not load
        return {"loaded": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result: dict[str, Any] = {"loaded": True, "checked": 0, "differs": 0, "timeouts": 0}
    items = truth["inputs"]
    caps = [max(job["cap_s"], job["factor"] * item["seconds"]) for item in items]
    for index, got in run(function, [item["args"] for item in items], caps):
        result["checked"] += 1
        actual = ("exc", "Timeout") if got is TIMED_OUT else got[0]
        if actual == ("exc", "Timeout"):
            result["timeouts"] += 1
            if result["timeouts"] >= 3:
                break
            continue
        item = items[index]
        if not same(item["outcome"], actual):
            result["differs"] += 1
            if "first" not in result:
                part = why(item["outcome"], actual)
                moved = part == "arguments after the call"
                result["first"] = {"index": index, "label": item["label"], "input": item["shown"],
                                   "expected": show(item["outcome"], moved),
                                   "actual": show(actual, moved), "why": part}
            if not job["full"]:
                break
    return result


def replay(job: dict[str, Any]) -> dict[str, Any]:
    """The original and the candidate on one input (an `incorrect` verdict's failing input),
    each twice, in this process: whether they differ, as the ground truth would judge it."""
    args = pickle.loads(bytes.fromhex(job["args"]))
    original = resolve(load(job["task"]), job["qualname"])
    expected = [call(original, pickle.loads(pickle.dumps(args)), job["cap_s"])[0]
                for _ in range(2)]
    try:
        with capped(30.0), contextlib.redirect_stdout(io.StringIO()):
            candidate = resolve(load(job["task"], job["text"]), job["qualname"])
    except BaseException as exc:
        return {"differs": True, "expected": show(expected[0]), "actual": repr(exc)[:300]}
    actual = [call(candidate, pickle.loads(pickle.dumps(args)), job["cap_s"])[0]
              for _ in range(2)]
    steady = same(expected[0], expected[1]) and same(actual[0], actual[1])
    return {"differs": steady and not same(expected[0], actual[0]), "steady": steady,
            "expected": show(expected[0], True)[:300], "actual": show(actual[0], True)[:300]}


def main() -> int:
    mode, job_path = sys.argv[1], sys.argv[2]
    job = json.load(open(job_path, encoding="utf-8"))
    limit = int(job.get("memory_mb", 4096)) * 2**20
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _alarm)
    sys.argv = [job["task"]]
    if mode == "build":
        with open(job["out"], "wb") as handle:
            pickle.dump(build(job), handle)
        return 0
    result = judge(job) if mode == "judge" else replay(job)
    with open(job["out"], "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
