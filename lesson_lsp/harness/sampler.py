"""Timing inside the sandbox: pyperf-style samples of the original and a candidate interleaved
in one process, each sample a calibrated number of passes over argument copies made outside the
clock, an async target's calls awaited on a loop made outside it, and the timing loop's own
cost (measured on a no-op) taken off.

Only the standard library; the clock is bound when this module is imported, before any user or
candidate code runs.
"""

from __future__ import annotations

import copy
import gc
import time
import types
from collections.abc import Callable
from typing import Any

from lesson_lsp.harness import guard
from lesson_lsp.harness.awaiting import (
    ASYNCGEN,
    COROUTINE,
    AsyncFound,
    async_kind,
    asyncgen_type,
    coroutine_type,
    drain,
    finish_loop,
    new_loop,
)
from lesson_lsp.harness.calls import Fresh

_clock = time.perf_counter
MAX_COPYING_S = 0.1  # argument copies made for one timing sample, at most


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
            except AsyncFound as found:
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
                            if value.__class__ is generator_type:
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
        pass (closed, never run) with `AsyncFound`."""
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
                            if kind is generator_type:
                                for _ in value:
                                    pass
                            elif kind is coroutine_type:
                                value.close()
                                raise AsyncFound(COROUTINE)
                            elif kind is asyncgen_type:
                                raise AsyncFound(ASYNCGEN)
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
                                if kind is coroutine_type:
                                    complete(value)
                                elif kind is asyncgen_type:
                                    complete(drain(value))
                                elif kind is generator_type:
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


generator_type = types.GeneratorType
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
