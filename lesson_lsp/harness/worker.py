"""Runs inside the sandbox subprocess: load the user's module (or the candidate's final module
text in its place), call the function on the inputs, and send results and timings to the parent
on a private pipe.

Only the standard library is imported here, and the clock is bound before any user or candidate
code runs, so a candidate that patches `time` cannot change what we measure.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from lesson_lsp.harness import differential, guard, scale
from lesson_lsp.harness.awaiting import (
    ASYNCGEN,
    COROUTINE,
    Awaiting,
    async_kind,
    asyncgen_type,
    coroutine_type,
    finish_loop,
    new_loop,
    settle,
)
from lesson_lsp.harness.calls import (
    Fresh,
    WorkerError,
    callable_target,
    load_inputs,
    notes,
    one_line,
    seed,
)
from lesson_lsp.harness.encode import encode
from lesson_lsp.harness.loading import load_module
from lesson_lsp.harness.profile import profile
from lesson_lsp.harness.sampler import measure

_clock = time.perf_counter
_process_clock = time.process_time
_write = os.write
_dumps = json.dumps
PRINT_CAP = 100_000  # characters of printed output kept per call, for the optional comparison


# --------------------------------------------------------------------------- loading


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _actor(job: dict[str, Any]) -> str:
    return "candidate" if job.get("candidate_module") is not None else "original"


def check(target: Any, calls: list[tuple[tuple, dict]], job: dict[str, Any],
          actor: str | None = None) -> dict[str, Any]:
    """Call once per input; record what came back, the arguments afterwards and the time.

    `job["caps"]`, when given, bounds each call's seconds (from the original's own time): a
    candidate that hangs on one derived input is an answer there, not a lost run."""
    actor = actor or _actor(job)
    caps = job.get("caps") or []
    outcomes = []
    cold = []
    with guard.acting(actor):
        declared = async_kind(target)
    for index, call in enumerate(calls):
        cap = float(caps[index]) if index < len(caps) else 0.0
        # A Fresh call's arguments are made twice: once to look at, once to call with.
        fresh = call.make if isinstance(call, Fresh) else None
        args_copy, kwargs_copy = fresh() if fresh else copy.deepcopy(call)
        seen = fresh() if fresh else (args_copy, kwargs_copy)
        before = (encode(list(seen[0])), encode(seen[1]))
        seed(job)
        printed = io.StringIO()
        # An `async def`'s event loop is made before the clock starts (closing it is timed).
        loop = new_loop() if declared else None
        start = _clock()
        try:
            with differential.Timer(cap):
                with contextlib.redirect_stdout(printed), guard.acting(actor):
                    value = target(*args_copy, **kwargs_copy)
                    made = ""
                    if type(value) is coroutine_type or type(value) is asyncgen_type:
                        made = COROUTINE if type(value) is coroutine_type else ASYNCGEN
                        given, loop = loop, None
                        value = settle(value, given)
                elapsed = _clock() - start
                outcome: dict[str, Any] = {"ret": encode(value)}
                if made:  # what a caller gets: awaiting a list it was handed fails
                    outcome["made"] = made
        except differential.OverCap:
            elapsed = _clock() - start
            outcome = {"exc": ["Timeout", f"no answer within {cap:.3g} s"]}
        except BaseException as exc:
            elapsed = _clock() - start
            outcome = {"exc": [type(exc).__name__, str(exc)[:500]]}
        finally:
            if loop is not None:  # made, and not used: the call raised before it returned
                finish_loop(loop)
        cold.append(elapsed)
        outcome["out"] = printed.getvalue()[:PRINT_CAP]
        outcome["args"] = encode(list(args_copy))
        outcome["kwargs"] = encode(kwargs_copy)
        outcome["mutates"] = (outcome["args"], outcome["kwargs"]) != before
        outcomes.append(outcome)
    return {"outcomes": outcomes, "cold_s": cold}



def _profile(target: Any, calls: list[tuple[tuple, dict]], job: dict[str, Any]
             ) -> dict[str, Any]:
    actor = _actor(job)
    with guard.acting(actor):
        kind = async_kind(target)
    awaiting = Awaiting(target, kind)  # an `async def`'s loop made before the actor acts
    try:
        with guard.acting(actor):
            return profile(awaiting.call, calls, job)
    finally:
        awaiting.close()



class _TooSlow(BaseException):
    """Raised by the timer in a derived call that runs far past the cap."""


def _alarm(signum: int, frame: Any) -> None:
    raise _TooSlow


def _scale(target: Any, calls: list[tuple[tuple, dict]], job: dict[str, Any]
           ) -> dict[str, Any]:
    """Larger calls derived from `calls` on which the original behaves (see `scale`); a timer
    stops a call at twice the cap, so a source that explodes costs little."""
    import signal

    timer = getattr(signal, "setitimer", None)
    if timer is not None:
        signal.signal(signal.SIGALRM, _alarm)

    def run(call: tuple[tuple, dict]) -> scale.Trial:
        try:
            if timer is not None:
                timer(signal.ITIMER_REAL, 2 * scale.CALL_CAP_S)
            try:
                outcome = check(target, [call], job)
            finally:
                if timer is not None:
                    timer(signal.ITIMER_REAL, 0)
        except _TooSlow:  # past the call, while encoding what it returned
            return scale.Trial("", float("inf"), "")
        seen, seconds = outcome["outcomes"][0], outcome["cold_s"][0]
        if "exc" in seen:  # the timer's exception too, caught by `check` around the call
            slow = seen["exc"][0] == _TooSlow.__name__
            return scale.Trial("" if slow else seen["exc"][0],
                               float("inf") if slow else seconds, "")
        return scale.Trial("", seconds, _dumps(seen, sort_keys=True))

    deadline = _clock() + min(float(job.get("budget_s", 10.0)), 10.0)
    return scale.derive(calls, run, deadline).payload()


def _runner(job: dict[str, Any]) -> differential.Runner:
    """One call of one actor under a cap, as `check` makes it: what `differential` runs."""

    def run(target: Any, call: tuple[tuple, dict], actor: str, cap_s: float
            ) -> tuple[dict[str, Any] | None, float]:
        def once() -> tuple[dict[str, Any], float]:
            found = check(target, [call], job, actor)
            return found["outcomes"][0], found["cold_s"][0]

        return differential.capped(once, cap_s)

    return run


def _edges(target: Any, calls: list[tuple[tuple, dict]], job: dict[str, Any]
           ) -> dict[str, Any]:
    source = differential.function_source(job["module_source"], job["qualname"])
    return differential.edge_inputs(target, calls, source, _runner(job),
                                    int(job.get("edge_limit", 200)))


def _tools(job: dict[str, Any]) -> None:
    """hypothesis and CrossHair from lesson-lsp's own environment when the project's lacks
    them and runs the same Python: appended last, so the project's own packages win."""
    if job.get("tool_python") != "{}.{}".format(*sys.version_info[:2]):
        return
    for entry in job.get("tool_paths") or []:
        if entry not in sys.path:
            sys.path.append(entry)


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Load the module (and the candidate), then check, time or profile it on its inputs.

    A job with a candidate carries the candidate's final module text, which is loaded in place
    of the original's. "pair" loads both: the original, then the candidate's module (which then
    owns the module's name, so the candidate's recursion and helpers resolve to its own copy),
    and times them side by side.
    """
    candidate_text = job.get("candidate_module")
    if job["mode"] in ("pair", "deep"):
        module = load_module(job)
    else:
        module = load_module(job, candidate_text, _actor(job))
    target = callable_target(module, job["qualname"])
    # Making the inputs can run the module's code (doctest examples call the function, captured
    # objects unpickle): it is the loaded text's doing, and watched as such.
    with guard.acting("original" if job["mode"] in ("pair", "deep") else _actor(job)):
        calls, hidden = load_inputs(job, module)
    if job.get("split") == "shown":
        calls = [c for c, held in zip(calls, hidden) if not held]
    if job["mode"] == "pair":
        # The candidate's inputs are made after its module took the name, so objects of the
        # module's classes are instances of its own classes (`super()` needs that).
        own = load_module(job, candidate_text, "candidate")
        partner = callable_target(own, job["qualname"])
        with guard.acting("candidate"):
            partner_calls, _ = load_inputs(job, own)
        if job.get("split") == "shown":
            partner_calls = [c for c, held in zip(partner_calls, hidden) if not held]
        result = measure(target, calls, job, partner, partner_calls)
    elif job["mode"] == "deep":
        own = load_module(job, candidate_text, "candidate")
        partner = callable_target(own, job["qualname"])
        # For hypothesis: after the candidate's own imports, unless the concolic pass already
        # needed them before the guard (CrossHair's preload), where they came first.
        _tools(job)
        observed = [c for c, held in zip(calls, hidden) if held] if \
            job["inputs"].get("derived") else calls
        result = differential.deep(target, partner, observed, job, _runner(job))
    else:
        modes: dict[str, Callable[..., dict[str, Any]]] = {
            "check": check, "time": measure, "profile": _profile, "scale": _scale,
            "edges": _edges}
        if job["mode"] not in modes:
            raise WorkerError(f"unknown mode {job['mode']}")
        result = modes[job["mode"]](target, calls, job)
    result["inputs"] = len(calls)
    result["held_out"] = sum(hidden)
    if job["mode"] == "check" and job.get("split") != "shown":
        result["timed"] = [i for i, held in enumerate(hidden) if not held]
    result.update(notes)
    if candidate_text is not None:
        result["candidate_sha256"] = digest(candidate_text)
    return result


def _hold_lifeline(fd: int) -> None:
    """Exit as soon as the server closes its end of the lifeline (or dies)."""

    def watch() -> None:
        while True:
            try:
                if not os.read(fd, 1):
                    break
            except InterruptedError:
                continue
            except OSError:
                break
        os._exit(71)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()


def main(argv: list[str]) -> int:
    job_path, fd = argv[1], int(argv[2])
    if len(argv) > 3:
        _hold_lifeline(int(argv[3]))
    with open(job_path, encoding="utf-8") as handle:
        job = json.load(handle)
    started = _clock()
    started_cpu = _process_clock()
    result: dict[str, Any]
    try:
        if job["mode"] == "deep" and float(job.get("concolic_s", 0)) > 0:
            _tools(job)
            from lesson_lsp.harness import concolic

            # z3 loads its native library with ctypes, which the guard refuses to everyone.
            concolic.preload()  # its failure shows as "unavailable" in the search
        guard.install(job["workdir"])
        if job["mode"] == "capture":
            from lesson_lsp.harness.recorder import capture

            result = capture(job)
        else:
            result = run_job(job)
        result["status"] = "ok"
    except WorkerError as exc:
        result = {"status": "error", "detail": str(exc)}
    except BaseException as exc:
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        result = {"status": "error", "detail": one_line(exc), "traceback": "".join(tb[-6:])}
    result["attempts"] = guard.attempts()
    result["worker_s"] = _clock() - started
    result["worker_cpu_s"] = _process_clock() - started_cpu
    data = _dumps(result).encode("utf-8")
    view = memoryview(data)
    while view:
        written = _write(fd, view)
        view = view[written:]
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    os._exit(code)
