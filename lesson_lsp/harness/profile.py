"""Where the original spends its time, as short text the agents can read: a line profile of the
function itself (time per line, callees included, recursion not counted twice) and cProfile's
view of the functions it calls. Runs inside the sandbox worker; standard library only.
"""

from __future__ import annotations

import cProfile
import inspect
import io
import pstats
import sys
import time
from collections import defaultdict
from typing import Any

from lesson_lsp.harness.calls import copied

LINE_PROFILE_LIMIT_S = 0.5  # tracing costs ~20×: skip it for originals slower than this
_clock = time.perf_counter


def _call_all(target: Any, calls: list[tuple[tuple, dict]]) -> None:
    for args, kwargs in copied(calls):
        try:
            target(*args, **kwargs)
        except Exception:
            pass


def line_times(target: Any, calls: list[tuple[tuple, dict]]) -> tuple[dict[int, float],
                                                                       dict[int, int]]:
    """Seconds and hits per line of `target`; a line's time includes what it calls, except
    nested calls of `target` itself, which are charged to their own lines."""
    code = getattr(inspect.unwrap(target), "__code__", None)
    seconds: dict[int, float] = defaultdict(float)
    hits: dict[int, int] = defaultdict(int)
    if code is None:
        return seconds, hits
    stack: list[list[Any]] = []  # [line, started] per active frame of `target`

    def charge(now: float) -> None:
        if stack and stack[-1][0] is not None:
            seconds[stack[-1][0]] += now - stack[-1][1]

    def local(frame: Any, event: str, arg: Any) -> Any:
        now = _clock()
        charge(now)
        if event == "line":
            stack[-1][0] = frame.f_lineno
            hits[frame.f_lineno] += 1
        elif event == "return":
            stack.pop()
            if stack:
                stack[-1][1] = _clock()
            return local
        stack[-1][1] = _clock()
        return local

    def global_trace(frame: Any, event: str, arg: Any) -> Any:
        if event != "call" or frame.f_code is not code:
            return None
        charge(_clock())
        stack.append([None, _clock()])
        return local

    sys.settrace(global_trace)
    try:
        _call_all(target, calls)
    finally:
        sys.settrace(None)
    return seconds, hits


def _callees(target: Any, calls: list[tuple[tuple, dict]]) -> tuple[str, float]:
    profiler = cProfile.Profile()
    copies = copied(calls)
    started = _clock()
    for args, kwargs in copies:
        profiler.enable()
        try:
            target(*args, **kwargs)
        except Exception:
            pass
        finally:
            profiler.disable()
    elapsed = _clock() - started
    stats = pstats.Stats(profiler, stream=io.StringIO())
    for key in [k for k in stats.stats if "lesson_lsp" in k[0] or "_lsprof" in k[2]]:  # type: ignore[attr-defined]
        del stats.stats[key]  # type: ignore[attr-defined]
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.strip_dirs().sort_stats("tottime").print_stats(6)
    lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls")), 0)
    return "\n".join(lines[start:start + 7]), elapsed


def profile(target: Any, calls: list[tuple[tuple, dict]], job: dict[str, Any]) -> dict[str, Any]:
    callees, elapsed = _callees(target, calls)
    parts = []
    if elapsed <= LINE_PROFILE_LIMIT_S:
        seconds, hits = line_times(target, calls)
        total = sum(seconds.values())
        # The text that runs: a candidate's module text when one is profiled.
        text_run = job.get("candidate_module") or job.get("module_source", "")
        source = text_run.splitlines()
        if total > 0:
            parts.append("Time per line of the function (callees included):")
            for line, spent in sorted(seconds.items(), key=lambda kv: -kv[1])[:6]:
                text = source[line - 1].strip() if 0 < line <= len(source) else ""
                parts.append(f"  line {line:>4}  {spent / total:6.1%}  {hits[line]:>9,} hits  "
                             f"{text[:80]}")
    parts.append("Functions by own time (cProfile):")
    parts.append(callees)
    return {"profile": "\n".join(parts)}
