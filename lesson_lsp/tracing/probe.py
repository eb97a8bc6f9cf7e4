"""Inside the workload: what each of the project's functions costs and how it is called.

Standard library only (it runs in the project's interpreter). Two cheap instruments: a prologue
compiled into every project function (rewrite.py) counts its calls in this registry's lists and
offers some of its outermost calls to a reservoir sample (arguments pickled at call time, as the
test recorder does), and a SIGPROF sampling profiler
charges CPU time to the project functions on the main thread's stack: the innermost one gets
it as own time (library code it calls included), each one on the stack as total time.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import signal
import time
from typing import Any

from lesson_lsp.harness.recorder import (
    LIMIT_PER_FUNCTION,
    MAX_CALL_BYTES,
    MAX_TOTAL_BYTES,
    PICKLING_S_PER_FUNCTION,
    copy_call,
)

_UNKNOWN = object()
INTERVAL_S = 0.001  # CPU time between profiler samples
PROGRESS_EVERY_S = 0.5
PICKLING_FREE_S = 0.05  # argument copying allowed at any time...
PICKLING_SHARE = 0.05  # ... and as a share of the run so far
# Calls a hot function keeps whatever the shared budget says (its own cap still holds): one
# first called after other functions' large arguments spent the budget still gets inputs,
# instead of "none of its arguments could be copied". Hot: its own time so far is at least
# FLOOR_SHARE of the run so far (the profiler's count; a cold function's copies would slow
# the workload down for nothing).
FLOOR_CALLS = 2
FLOOR_SHARE = 0.01


class Function:
    """One project function: its counters, its sampled calls and its profiler time."""

    __slots__ = ("digests", "kept", "own_s", "path", "pickling_s", "qualname", "rng",
                 "total_s", "unpicklable", "w")

    def __init__(self, path: str, qualname: str) -> None:
        self.path, self.qualname = path, qualname
        self.kept: list[bytes] = []
        self.digests: list[bytes] = []
        self.pickling_s = 0.0
        self.unpicklable = 0
        self.own_s = self.total_s = 0.0
        self.rng = random.Random(hash((path, qualname)))
        self.w = 1.0

    def offer(self, index: int, args: tuple, kwargs: dict, registry: Registry) -> int:
        """Consider the `index`-th outermost call (1-based) for the sample; return the index of
        the next call to consider (reservoir sampling, Li's algorithm L: the calls between are
        skipped at the cost of one comparison, and the sample spreads over the whole run)."""
        size = LIMIT_PER_FUNCTION
        if self.pickling_s >= PICKLING_S_PER_FUNCTION:
            return index + (1 << 62)  # enough time went into this one's arguments
        slot = len(self.kept) if len(self.kept) < size else self.rng.randrange(size)
        if registry.may_pickle() or (len(self.kept) < FLOOR_CALLS and self.own_s >= FLOOR_SHARE
                                      * (time.perf_counter() - registry.started)):
            self._keep(slot, args, kwargs, registry)
        if index < size:
            return index + 1
        if index == size:
            self.w = math.exp(math.log(self.rng.random() or 1e-12) / size)
        else:
            self.w *= math.exp(math.log(self.rng.random() or 1e-12) / size)
        gap = math.log(self.rng.random() or 1e-12) / math.log(1.0 - self.w) if self.w < 1 else 0
        return index + int(gap) + 1

    def _keep(self, slot: int, args: tuple, kwargs: dict, registry: Registry) -> None:
        started = time.perf_counter()
        try:
            data = copy_call(args, kwargs)
        except Exception:  # this call's arguments cannot be copied: skip it alone
            self.unpicklable += 1
            return
        finally:
            spent = time.perf_counter() - started
            self.pickling_s += spent
            registry.pickling_s += spent
        if len(data) > MAX_CALL_BYTES:
            self.unpicklable += 1
            return
        digest = hashlib.sha1(data).digest()
        if digest in self.digests:
            return
        old = len(self.kept[slot]) if slot < len(self.kept) else 0
        if registry.kept_bytes - old + len(data) > MAX_TOTAL_BYTES:
            return
        registry.kept_bytes += len(data) - old
        if slot < len(self.kept):
            self.kept[slot], self.digests[slot] = data, digest
        else:
            self.kept.append(data)
            self.digests.append(digest)


class Registry:
    """Every instrumented function, by slot (the index the rewritten code counts in), by
    (file, qualname) and by where its code starts (for the profiler)."""

    def __init__(self) -> None:
        self.functions: list[Function] = []
        self.slots: dict[tuple[str, str], int] = {}
        self.places: dict[tuple[str, int], Function] = {}
        # Outermost calls count down to the next one the sample considers: `left` per slot,
        # after `base` calls in earlier stretches of `stretch` calls each (one list operation
        # and a test per call). Functions that may recurse also count every call in `calls`.
        self.left: list[int] = []
        self.base: list[int] = []
        self.stretch: list[int] = []
        self.calls: list[int] = []
        self.depth: list[int] = []
        self.nesting: list[bool] = []
        self.kept_bytes = 0
        self.pickling_s = 0.0
        self.started = time.perf_counter()
        self.skipped: list[dict[str, str]] = []  # modules run as written: {"path", "why"}

    def skip(self, path: str, why: str) -> None:
        """A module that could not be instrumented (it runs as written, unrecorded): the
        profiler charges none of its functions."""
        for place in [place for place in self.places if place[0] == path]:
            del self.places[place]
        if not any(entry["path"] == path for entry in self.skipped):
            self.skipped.append({"path": path, "why": why})

    def may_pickle(self) -> bool:
        """Copying arguments takes at most PICKLING_SHARE of the run (after a first allowance):
        large arguments are sampled less often rather than slowing the workload down."""
        allowed = PICKLING_FREE_S + PICKLING_SHARE * (time.perf_counter() - self.started)
        return self.pickling_s < allowed

    def discount(self, seconds: float, frame: Any) -> None:
        """The tracer spent `seconds` under `frame` (compiling a module an import needed): the
        profiler charges them to the functions on the stack, which the untraced program would
        not have spent; taken off (the samples that charge them come later)."""
        done: list[Function] = []
        while frame is not None:
            record = self.function_of(frame.f_code)
            if record is not None and record not in done:
                if not done:
                    record.own_s -= seconds
                record.total_s -= seconds
                done.append(record)
            frame = frame.f_back

    def slot(self, path: str, qualname: str, first_line: int, nesting: bool) -> int:
        """The slot of a function (the same one when a module is executed again)."""
        found = self.slots.get((path, qualname))
        if found is None:
            found = self.slots[path, qualname] = len(self.functions)
            self.functions.append(Function(path, qualname))
            for counter in (self.base, self.calls, self.depth):
                counter.append(0)
            self.left.append(1)
            self.stretch.append(1)
            self.nesting.append(nesting)
        self.places[path, first_line] = self.functions[found]
        return found

    def keep(self, slot: int, args: tuple, kwargs: dict) -> None:
        """The outermost call whose countdown ended: offer it to the function's sample."""
        index = self.base[slot] + self.stretch[slot]
        following = self.functions[slot].offer(index, args, kwargs, self)
        self.base[slot] = index
        self.left[slot] = self.stretch[slot] = following - index

    def count(self, record: Function) -> int:
        slot = self.slots[record.path, record.qualname]
        if self.nesting[slot]:
            return self.calls[slot]
        return self.base[slot] + self.stretch[slot] - self.left[slot]

    def function_of(self, code: Any) -> Function | None:
        return self.places.get((code.co_filename, code.co_firstlineno))


class Profiler:
    """SIGPROF every INTERVAL_S of CPU time; each sample weighs the CPU time since the last one
    (signals that arrive during one long C call are delivered once)."""

    def __init__(self, registry: Registry, progress_fd: int = -1) -> None:
        self.registry = registry
        self.progress_fd = progress_fd
        self.last = self.reported = 0.0
        self.other_s = 0.0  # samples with no project function on the stack
        self.previous: Any = None
        self.codes: dict[Any, Any] = {}  # code object → its Function, or None

    def start(self) -> bool:
        if not hasattr(signal, "setitimer") or not hasattr(signal, "SIGPROF"):
            return False
        self.last = self.reported = time.process_time()
        self.previous = signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, INTERVAL_S, INTERVAL_S)
        return True

    def stop(self) -> None:
        if self.previous is None:
            return
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, self.previous)
        self.previous = None

    def _sample(self, signum: int, frame: Any) -> None:
        now = time.process_time()
        weight, self.last = now - self.last, now
        codes = self.codes
        innermost: Function | None = None
        seen: list[Function] = []
        while frame is not None:
            code = frame.f_code
            record = codes.get(code, _UNKNOWN)
            if record is _UNKNOWN:
                record = codes[code] = self.registry.function_of(code)
            if record is not None:
                if innermost is None:
                    innermost = record
                    record.own_s += weight
                if record not in seen:
                    seen.append(record)
                    record.total_s += weight
            frame = frame.f_back
        if innermost is None:
            self.other_s += weight
        if self.progress_fd >= 0 and now - self.reported >= PROGRESS_EVERY_S:
            self.reported = now
            self.report()

    def report(self) -> None:
        """Functions seen so far, for the parent's progress line."""
        seen = sum(1 for f in self.registry.functions if self.registry.count(f))
        try:
            os.pwrite(self.progress_fd, f"{seen}".ljust(20).encode("ascii"), 0)
        except OSError:
            pass
