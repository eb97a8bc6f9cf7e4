"""Runs inside the sandbox subprocess: load the user's module (or the candidate's final module
text in its place), call the function on the inputs, and send results and timings to the parent
on a private pipe.

Only the standard library is imported here, and the clock is bound before any user or candidate
code runs, so a candidate that patches `time` cannot change what we measure.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import hashlib
import inspect
import io
import json
import os
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable
from typing import Any

from lesson_lsp.harness import differential, guard, scale
from lesson_lsp.harness.calls import (
    Fresh,
    WorkerError,
    callable_target,
    load_inputs,
    notes,
    one_line,
    seed,
)
from lesson_lsp.harness.encode import GENERATOR_CAP, encode
from lesson_lsp.harness.loading import load_module
from lesson_lsp.harness.profile import profile

_clock = time.perf_counter
_process_clock = time.process_time
_write = os.write
_dumps = json.dumps
MAX_COPYING_S = 0.1  # argument copies made for one timing sample, at most
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
                    if type(value) is _coroutine_type or type(value) is _asyncgen_type:
                        made = COROUTINE if type(value) is _coroutine_type else ASYNCGEN
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


# --------------------------------------------------------------------------- async targets


_coroutine_type = types.CoroutineType
_asyncgen_type = types.AsyncGeneratorType
COROUTINE, ASYNCGEN = "coroutine", "asyncgen"


def async_kind(target: Any) -> str:
    """COROUTINE when calling `target` makes a coroutine (an `async def`, also under decorators
    that keep `__wrapped__`), ASYNCGEN for an async generator function, else "". A sync wrapper
    that returns one is only found by calling it (`Sampler` looks at its first pass)."""
    try:
        inner = inspect.unwrap(target)
    except Exception:  # a cycle of __wrapped__, an attribute that raises
        inner = target
    for function in (target, inner):
        try:
            if inspect.iscoroutinefunction(function):
                return COROUTINE
            if inspect.isasyncgenfunction(function):
                return ASYNCGEN
        except Exception:
            pass
    return ""


def new_loop() -> Any:
    """An event loop of its own, set as the current one, as `asyncio.run` makes it."""
    import asyncio

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop


def finish_loop(loop: Any, clean: bool = True) -> None:
    """Close `loop` as `asyncio.run` does: cancel the tasks left, finish async generators and
    the default executor. Not `clean` (a timer stopped the call): only close it, since the
    tasks left may be what overran."""
    import asyncio

    try:
        if clean and not loop.is_closed():
            left = asyncio.all_tasks(loop)
            for task in left:
                task.cancel()
            if left:
                loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
    except Exception:
        pass
    finally:
        asyncio.set_event_loop(None)
        loop.close()


async def drain(values: Any) -> None:
    """Run an async generator to its end, as a generator is run to its end when timed."""
    async for _ in values:
        pass


async def collect(values: Any, cap: int) -> list[Any]:
    """The first `cap` items of an async generator."""
    items: list[Any] = []
    async for item in values:
        items.append(item)
        if len(items) >= cap:
            break
    return items


def settle(value: Any, loop: Any = None) -> Any:
    """What awaiting a call's coroutine gives, on `loop` (or one made now), closed after. An
    async generator gives an iterator over its items, which `encode` describes like a
    generator's (GENERATOR_CAP items, then ["more"])."""
    own = loop if loop is not None else new_loop()
    clean = False
    try:
        if type(value) is _coroutine_type:
            result = own.run_until_complete(value)
        else:
            result = iter(own.run_until_complete(collect(value, GENERATOR_CAP + 1)))
        clean = True
        return result
    except Exception:
        clean = True
        raise
    finally:
        finish_loop(own, clean)


class _Async(BaseException):
    """Raised in a first pass whose call returned a coroutine or an async generator (a sync
    wrapper around an async function): the pass is made again, awaiting them."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


# --------------------------------------------------------------------------- timing


class Sampler:
    """Times `loops` passes of one callable over every input, on argument copies made beforehand
    so that copying is not timed and in-place mutation starts from the same state each pass.

    An async target's calls are awaited to completion, each pass on an event loop made before
    the clock starts and closed after it stops (`kind` says which, found once: from the
    target's definition, else from what its first pass returned)."""

    def __init__(self, target: Any, calls: list[tuple[tuple, dict]], reuse: bool,
                 actor: str | None = None) -> None:
        self.target, self.calls, self.actor = target, calls, actor
        fresh = any(isinstance(call, Fresh) for call in calls)
        self.reusable = not fresh and (reuse or _immutable(calls))
        self.loops = 1
        self.timed = 0.0
        self.copy_s = 0.0  # making one pass's argument copies (not timed, but it takes time)
        with guard.acting(actor):
            self.kind = async_kind(target)
        self.probing = not self.kind  # the first pass looks at what the calls return

    def run(self, loops: int) -> float:
        calls, target = self.calls, self.target
        copying = _clock()
        batches = [calls] * loops if self.reusable else [fresh_copy(calls)
                                                         for _ in range(loops)]
        self.copy_s = max(self.copy_s, (_clock() - copying) / loops)
        if self.kind or self.probing:  # once per run: the sync loop below stays as it was
            try:
                elapsed = self._awaited(batches) if self.kind else self._probed(batches)
            except _Async as found:
                self.kind, self.probing = found.kind, False
                return self.run(loops)
            self.probing = False
            self.timed += elapsed
            return elapsed
        gc_was = gc.isenabled()
        gc.disable()
        try:
            with guard.acting(self.actor):
                start = _clock()
                for batch in batches:
                    for args, kwargs in batch:
                        try:
                            value = target(*args, **kwargs)
                            if value.__class__ is _generator_type:
                                for _ in value:
                                    pass
                        except Exception:
                            pass
                elapsed = _clock() - start
        finally:
            if gc_was:
                gc.enable()
        self.timed += elapsed
        return elapsed

    def _probed(self, batches: list[Any]) -> float:
        """The sync loop, looking at each value: a coroutine or an async generator stops the
        pass (closed, never run) with `_Async`."""
        target = self.target
        gc_was = gc.isenabled()
        gc.disable()
        try:
            with guard.acting(self.actor):
                start = _clock()
                for batch in batches:
                    for args, kwargs in batch:
                        try:
                            value = target(*args, **kwargs)
                            kind = value.__class__
                            if kind is _generator_type:
                                for _ in value:
                                    pass
                            elif kind is _coroutine_type:
                                value.close()
                                raise _Async(COROUTINE)
                            elif kind is _asyncgen_type:
                                raise _Async(ASYNCGEN)
                        except Exception:
                            pass
                elapsed = _clock() - start
        finally:
            if gc_was:
                gc.enable()
        return elapsed

    def _awaited(self, batches: list[Any]) -> float:
        """One sample of an async target: each call's coroutine run to completion (an async
        generator drained) on an event loop made for the sample, outside the clock."""
        target = self.target
        loop = new_loop()
        complete = loop.run_until_complete
        clean = False
        gc_was = gc.isenabled()
        gc.disable()
        try:
            with guard.acting(self.actor):
                try:
                    start = _clock()
                    for batch in batches:
                        for args, kwargs in batch:
                            try:
                                value = target(*args, **kwargs)
                                kind = value.__class__
                                if kind is _coroutine_type:
                                    complete(value)
                                elif kind is _asyncgen_type:
                                    complete(drain(value))
                                elif kind is _generator_type:
                                    for _ in value:
                                        pass
                            except Exception:
                                pass
                    elapsed = _clock() - start
                    clean = True
                finally:
                    finish_loop(loop, clean)  # the tasks left are the actor's
        finally:
            if gc_was:
                gc.enable()
        return elapsed

    def calibrate(self, first: float, min_sample: float, deadline: float) -> None:
        """Find the loop count that makes one sample last at least `min_sample` seconds."""
        elapsed = first
        # Copies are made before a sample: their time and memory bound the loop count, or a
        # fast function on arguments that are slow to copy (a cache object) never finishes.
        most = 1 << 20 if self.reusable else max(1, min(1 << 14, int(
            MAX_COPYING_S / max(self.copy_s, 1e-9))))
        while elapsed < min_sample and self.loops < most and _clock() < deadline:
            self.loops = min(most, max(self.loops * 2, int(
                self.loops * min_sample / max(elapsed, 1e-9) * 1.1)))
            elapsed = self.run(self.loops)


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


async def _async_noop(*args: Any, **kwargs: Any) -> None:
    return None


async def _async_gen_noop(*args: Any, **kwargs: Any) -> Any:
    return
    yield  # an async generator that yields nothing


# The no-op whose timing loop costs what the target's does, its call aside: awaited on an event
# loop for an async target.
_NOOPS: dict[str, Callable[..., Any]] = {"": _noop, COROUTINE: _async_noop,
                                         ASYNCGEN: _async_gen_noop}


def measure(target: Any, calls: list[tuple[tuple, dict]], job: dict[str, Any],
            partner: Any = None, partner_calls: list[tuple[tuple, dict]] | None = None
            ) -> dict[str, Any]:
    """pyperf-style samples of `target`, and of `partner` interleaved with it (A B B A …) in the
    same process, so that the machine's drift hits both alike. The cost of the timing loop
    itself (measured on a no-op) is taken off each sample."""
    min_sample = float(job.get("min_sample_s", 0.05))
    wanted = int(job.get("samples", 3))
    deadline = _clock() + float(job.get("budget_s", 10.0))
    # When the original leaves its arguments as they were (checked in the baseline), every
    # pass can reuse them; a candidate that mutates them instead fails the correctness check.
    reuse = bool(job.get("reuse_args"))
    samplers = [Sampler(target, calls, reuse, "original")] + (
        [Sampler(partner, partner_calls if partner_calls is not None else calls, reuse,
                 "candidate")] if partner else [])
    if job.get("order") == "ba":
        samplers.reverse()
    firsts = [s.run(1) for s in samplers]  # a fresh process's first calls: nothing remembered
    for sampler, first in zip(samplers, firsts):
        sampler.calibrate(first, min_sample, deadline)
    noops: dict[str, Sampler] = {}
    for sampler in samplers:
        if sampler.kind not in noops:
            noops[sampler.kind] = Sampler(_NOOPS[sampler.kind], calls, reuse)
            noops[sampler.kind].probing = False  # a no-op returns nothing to look at
    overheads = [min(noops[s.kind].run(s.loops) for _ in range(3)) for s in samplers]
    series: list[list[float]] = [[] for _ in samplers]
    for i in range(wanted):
        if _clock() > deadline and i:
            break
        order = range(len(samplers)) if i % 2 == 0 else reversed(range(len(samplers)))
        for k in order:
            elapsed = samplers[k].run(samplers[k].loops)
            series[k].append(max(elapsed - overheads[k], elapsed * 0.01) / samplers[k].loops)
    if job.get("order") == "ba":
        series.reverse()
        firsts.reverse()
        samplers.reverse()
    result: dict[str, Any] = {"samples": series[0], "first_pass_s": firsts[0],
                              "loops": samplers[0].loops,
                              "timed_s": sum(s.timed for s in samplers) + sum(
                                  n.timed for n in noops.values()),
                              "awaited": bool(samplers[0].kind)}
    if partner is not None:
        result.update(partner_samples=series[1], partner_first_pass_s=firsts[1],
                      partner_awaited=bool(samplers[1].kind))
    return result


def fresh_copy(value: Any) -> Any:
    """A deep copy, fast for the common case of lists, dicts, sets and tuples of plain values."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is list:
        return [fresh_copy(v) for v in value]
    if kind is tuple:
        return tuple(fresh_copy(v) for v in value)
    if kind is dict:
        return {k: fresh_copy(v) for k, v in value.items()}
    if kind is set:
        return set(value)
    if kind is Fresh:
        return value.make()
    return copy.deepcopy(value)


_generator_type = types.GeneratorType
_ATOMS = (int, float, str, bytes, bool, complex, type(None))


def _immutable(value: Any, depth: int = 0) -> bool:
    """True when no call can mutate `value`, so one copy serves every timing loop."""
    if type(value) in _ATOMS:
        return True
    if depth < 20 and type(value) is tuple:
        return all(_immutable(v, depth + 1) for v in value)
    if depth < 20 and type(value) is list and depth == 0:
        # The list of calls itself: its items are (args, kwargs) pairs.
        return all(_immutable(a, depth + 1) and not kw for a, kw in value)
    return False


def _profile(target: Any, calls: list[tuple[tuple, dict]], job: dict[str, Any]
             ) -> dict[str, Any]:
    actor = _actor(job)
    with guard.acting(actor):
        kind = async_kind(target)
    awaiting = _Awaiting(target, kind)  # an `async def`'s loop made before the actor acts
    try:
        with guard.acting(actor):
            return profile(awaiting.call, calls, job)
    finally:
        awaiting.close()


class _Awaiting:
    """`target` as a plain callable for the profiler: a coroutine it returns is run to
    completion (an async generator drained) on one event loop, made beforehand for an `async
    def` (on the first coroutine for a sync wrapper). `call.__wrapped__` is `target`, so the
    line profile finds the target's own code; cProfile leaves out lesson_lsp's frames."""

    def __init__(self, target: Any, kind: str) -> None:
        self.loop: Any = new_loop() if kind else None

        def call(*args: Any, **kwargs: Any) -> Any:
            value = target(*args, **kwargs)
            made = type(value)
            if made is not _coroutine_type and made is not _asyncgen_type:
                return value
            if self.loop is None:
                self.loop = new_loop()
            if made is _coroutine_type:
                return self.loop.run_until_complete(value)
            return self.loop.run_until_complete(drain(value))

        call.__wrapped__ = target  # type: ignore[attr-defined]
        self.call = call

    def close(self) -> None:
        if self.loop is not None:
            finish_loop(self.loop)


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
