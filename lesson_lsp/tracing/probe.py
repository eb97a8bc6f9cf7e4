"""Inside the workload: what each of the project's functions costs and how it is called.

Standard library only (it runs in the project's interpreter). Two cheap instruments: a wrapper
on every project function counts its calls and keeps a reservoir sample of its outermost calls
(arguments pickled at call time, as the test recorder does), and a SIGPROF sampling profiler
charges CPU time to the project functions on the main thread's stack: the innermost one gets
it as own time (library code it calls included), each one on the stack as total time.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import random
import signal
import time
from collections.abc import Callable
from typing import Any

from lesson_lsp.harness.recorder import (
    LIMIT_PER_FUNCTION,
    MAX_CALL_BYTES,
    MAX_TOTAL_BYTES,
    PICKLING_S_PER_FUNCTION,
    copy_call,
)

INTERVAL_S = 0.001  # CPU time between profiler samples
PROGRESS_EVERY_S = 0.5  # CPU time between progress reports


class Function:
    """One project function: its counters, its sampled calls and its profiler time."""

    __slots__ = ("counters", "digests", "kept", "own_s", "path", "pickling_s", "qualname", "rng",
                 "total_s", "unpicklable", "w")

    def __init__(self, path: str, qualname: str) -> None:
        self.path, self.qualname = path, qualname
        self.counters: list[Callable[[], int]] = []  # one per wrapper (a def may run twice)
        self.kept: list[bytes] = []
        self.digests: list[bytes] = []
        self.pickling_s = 0.0
        self.unpicklable = 0
        self.own_s = self.total_s = 0.0
        self.rng = random.Random(hash((path, qualname)))
        self.w = 1.0

    @property
    def calls(self) -> int:
        return sum(count() for count in self.counters)

    def offer(self, index: int, args: tuple, kwargs: dict, registry: Registry) -> int:
        """Consider the `index`-th outermost call (1-based) for the sample; return the index of
        the next call to consider (reservoir sampling, Li's algorithm L: the calls between are
        skipped at the cost of one comparison, and the sample spreads over the whole run)."""
        size = LIMIT_PER_FUNCTION
        if self.pickling_s >= PICKLING_S_PER_FUNCTION:
            return 1 << 62  # enough time went into this one's arguments
        slot = len(self.kept) if len(self.kept) < size else self.rng.randrange(size)
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
            self.pickling_s += time.perf_counter() - started
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
    """Every wrapped function, by (file, qualname) and by code object (for the profiler)."""

    def __init__(self) -> None:
        self.functions: dict[tuple[str, str], Function] = {}
        self.codes: dict[Any, Function] = {}
        self.kept_bytes = 0

    def decorator(self, path: str, qualname: str, drop_first: bool,
                  recursive: bool) -> Callable[[Any], Any]:
        """What the rewritten source applies, innermost, to each def."""
        return functools.partial(self.wrap, path, qualname, drop_first, recursive)

    def wrap(self, path: str, qualname: str, drop_first: bool, recursive: bool,
             function: Any) -> Any:
        if not callable(function):
            return function
        record = self.functions.get((path, qualname))
        if record is None:
            record = self.functions[path, qualname] = Function(path, qualname)
        code = getattr(function, "__code__", None)
        if code is not None:
            self.codes[code] = record
        wrapper, counter = (_nesting if recursive else _flat)(function, record, self, drop_first)
        record.counters.append(counter)
        return functools.wraps(function)(wrapper)


def _flat(function: Any, record: Function, registry: Registry,
          drop_first: bool) -> tuple[Any, Callable[[], int]]:
    """The wrapper of a function that never names itself: every call is an outermost one."""
    calls = 0
    next_at = 1

    def recording(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls, next_at
        calls += 1
        if calls >= next_at:
            next_at = record.offer(calls, args[1:] if drop_first else args, kwargs, registry)
        return function(*args, **kwargs)

    return recording, lambda: calls


def _nesting(function: Any, record: Function, registry: Registry,
             drop_first: bool) -> tuple[Any, Callable[[], int]]:
    """The wrapper of a function that may call itself: only outermost calls are sampled."""
    calls = outer = depth = 0
    next_at = 1

    def recording(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls, outer, depth, next_at
        calls += 1
        if depth:
            depth += 1
            try:
                return function(*args, **kwargs)
            finally:
                depth -= 1
        outer += 1
        if outer >= next_at:
            next_at = record.offer(outer, args[1:] if drop_first else args, kwargs, registry)
        depth = 1
        try:
            return function(*args, **kwargs)
        finally:
            depth = 0

    return recording, lambda: calls


class Profiler:
    """SIGPROF every INTERVAL_S of CPU time; each sample weighs the CPU time since the last one
    (signals that arrive during one long C call are delivered once)."""

    def __init__(self, registry: Registry, progress_fd: int = -1) -> None:
        self.registry = registry
        self.progress_fd = progress_fd
        self.last = self.reported = 0.0
        self.other_s = 0.0  # samples with no project function on the stack
        self.previous: Any = None

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
        codes = self.registry.codes
        innermost: Function | None = None
        seen: list[Function] = []
        while frame is not None:
            record = codes.get(frame.f_code)
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
        seen = sum(1 for f in self.registry.functions.values() if f.own_s or f.calls)
        try:
            os.pwrite(self.progress_fd, f"{seen}".ljust(20).encode("ascii"), 0)
        except OSError:
            pass
