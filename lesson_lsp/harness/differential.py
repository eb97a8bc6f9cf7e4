"""Runs inside the sandbox: the checks that look for inputs the sources did not hold.

Two jobs use it:
- "edges", once per run, with the original alone: edge inputs derived from the observed calls
  (`edges.mutants`) on which the original returns or raises, twice alike, within a cap. They
  join the check inputs, so the original's results on them are computed once per run.
- "deep", once per candidate, with the original and the candidate side by side: the
  candidate's own constants' neighbours, differential fuzzing (hypothesis, shrunk to a minimal
  input), more fuzzing further out while lines the candidate added stay unexecuted, and a
  concolic pass (CrossHair). What it finds is a suspect: the parent confirms it by running the
  original and the candidate apart and comparing there, never trusting this process's word
  (the candidate's code runs in it).

Standard library only at import; hypothesis and CrossHair are imported when used.
"""

from __future__ import annotations

import base64
import inspect
import json
import pickle
import signal
import time
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lesson_lsp.harness import coverage, edges
from lesson_lsp.harness.compare import Tolerance, outcome_difference

Call = tuple[tuple, dict]
# Runs one call of one actor under a cap: its encoded outcome (None: over the cap), seconds.
Runner = Callable[[Any, Call, str, float], tuple[dict[str, Any] | None, float]]

_clock = time.perf_counter
EDGE_CAP_S = 0.25  # the original's time on one derived edge input, at most
EDGES_BUDGET_S = 4.0  # all edge inputs of a run together
COVERAGE_S = 0.5  # the check inputs run again for the candidate's coverage, at most
WIDEN_STEPS = (1, 2)  # fuzzing further out while added lines stay unexecuted


class OverCap(BaseException):
    """Raised by the timer in a call that runs past its cap (not an Exception: user code's
    `except Exception` does not swallow it)."""


def _alarm(signum: int, frame: Any) -> None:
    raise OverCap


class Timer:
    """SIGALRM after `cap_s` seconds (none for 0, or where there is no setitimer), raising
    `OverCap` in the code that runs; the previous handler is put back."""

    def __init__(self, cap_s: float) -> None:
        self.cap_s = cap_s if hasattr(signal, "setitimer") else 0.0
        self.previous: Any = None

    def __enter__(self) -> Timer:
        if self.cap_s > 0:
            self.previous = signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, self.cap_s)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.cap_s > 0:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


def capped(run: Callable[[], tuple[dict[str, Any], float]], cap_s: float
           ) -> tuple[dict[str, Any] | None, float]:
    """One call under a timer: its outcome, or None when it ran past `cap_s`."""
    started = _clock()
    try:
        with Timer(cap_s):
            outcome, seconds = run()
    except OverCap:
        return None, _clock() - started
    if outcome.get("exc", [""])[0] in (OverCap.__name__, "Timeout"):
        return None, seconds
    return outcome, seconds


# An original out of stack or memory on a derived input has met a limit of the machine, not
# shown a behaviour: a candidate that answers there is no worse.
_LIMITS = ("RecursionError", "MemoryError")


def usable(outcome: dict[str, Any] | None) -> bool:
    """An outcome of the original a derived or searched input may be judged on."""
    return outcome is not None and outcome.get("exc", [""])[0] not in _LIMITS


def _key(outcome: dict[str, Any]) -> str:
    return json.dumps(outcome, sort_keys=True, default=str)


def edge_inputs(target: Any, calls: list[Call], source: str, runner: Runner,
                limit: int) -> dict[str, Any]:
    """Edge inputs derived from `calls` on which the original behaves (returns or raises, twice
    alike, within `EDGE_CAP_S`): a payload with their pickle, and how many were tried."""
    deadline = _clock() + EDGES_BUDGET_S
    tried: list[Call] = edges.mutants(calls, edges.constants(source), limit=limit)
    kept: list[Call] = []
    for call in tried:
        if _clock() > deadline:
            break
        first, _ = runner(target, call, "original", EDGE_CAP_S)
        if first is None or not usable(first):
            continue
        second, _ = runner(target, call, "original", EDGE_CAP_S)
        if second is None or _key(first) != _key(second):
            continue
        kept.append(call)
    payload: dict[str, Any] = {"tried": len(tried), "kept": len(kept)}
    if kept:
        try:
            data = pickle.dumps(kept)
        except Exception:  # an object of the project's that does not pickle: keep none
            return {"tried": len(tried), "kept": 0}
        payload["pickle_b64"] = base64.b64encode(data).decode("ascii")
    return payload


@dataclass
class Budget:
    fuzz_s: float
    concolic_s: float
    cap_s: float  # one call of the original, at most


class Differ:
    """Original and candidate on one call, on fresh copies, compared as the parent compares;
    the candidate's lines are recorded while it runs."""

    def __init__(self, original: Any, candidate: Any, runner: Runner, tolerance: Tolerance,
                 output: bool, cap_s: float, recorder: coverage.Recorder) -> None:
        self.original, self.candidate, self.runner = original, candidate, runner
        self.tolerance, self.output, self.cap_s = tolerance, output, cap_s
        self.recorder = recorder
        self.tried = 0

    def candidate_only(self, call: Call) -> None:
        """Run the candidate for its coverage alone (the check job compared it already)."""
        with self.recorder:
            self.runner(self.candidate, call, "candidate", 10 * self.cap_s)

    def __call__(self, call: Call) -> str | None:
        expected, seconds = self.runner(self.original, call, "original", self.cap_s)
        if expected is None or not usable(expected):
            return None  # the original does not answer in time: not an input to judge on
        self.tried += 1
        with self.recorder:
            actual, spent = self.runner(self.candidate, call, "candidate",
                                        max(self.cap_s, 20 * seconds + 0.05))
        if actual is None:
            return (f"the candidate did not return within {spent:.2f} s "
                    f"(the original took {seconds:.3f} s)")
        found = outcome_difference(expected, actual, self.tolerance, self.output)
        if found:
            again, _ = self.runner(self.original, call, "original", self.cap_s)
            if again is None or _key(again) != _key(expected):
                return None  # the original itself is not deterministic here
        return found


def deep(original: Any, candidate: Any, calls: list[Call], job: dict[str, Any],
         runner: Runner) -> dict[str, Any]:
    """Search for an input on which the candidate differs from the original, cheapest search
    first; report what was tried (`checked_on` counts), the candidate's coverage, and the
    first difference found (its call, pickled for the parent, which confirms it apart)."""
    budget = Budget(float(job.get("fuzz_s", 1.0)), float(job.get("concolic_s", 2.0)),
                    float(job.get("cap_s", EDGE_CAP_S)))
    qualname = job["qualname"]
    codes = coverage.code_objects(candidate)
    recorder = coverage.Recorder(codes)
    found_shape = coverage.shape(job["module_source"], job["candidate_module"], qualname, codes)
    differ = Differ(original, candidate, runner, Tolerance(*job.get("tolerance", (1e-9, 1e-12))),
                    bool(job.get("compare_output", True)), budget.cap_s, recorder)
    counts: dict[str, Any] = {}
    result: dict[str, Any] = {"counts": counts}
    # The check inputs, for coverage only (the check job compared them), small ones first,
    # within a budget: tracing slows a call down many times.
    deadline = _clock() + COVERAGE_S
    for call in sorted(calls, key=_size)[:400]:
        if _clock() > deadline:
            break
        differ.candidate_only(call)
    hints, signature = _hints(original)
    searches: list[Callable[[], tuple[str, Call, str] | None]] = [
        lambda: _near_constants(differ, calls, job, counts),
        lambda: _fuzzing(differ, calls, hints, signature, budget, counts, found_shape,
                         recorder),
        lambda: _concolic_pass(differ, original, candidate, calls, budget, counts),
    ]
    for search in searches:
        found = search()
        if found is not None:
            via, call, why = found
            result.update(via=via, found_b64=_pickled(call), difference=why)
            break
    if found_shape is not None:
        result["coverage"] = coverage.report(found_shape, recorder, job["candidate_module"])
    return result


Found = tuple[str, Call, str]  # (what found it, the call, how they differ)


def _near_constants(differ: Differ, calls: list[Call], job: dict[str, Any],
                    counts: dict[str, Any]) -> Found | None:
    """Neighbours of the constants the candidate introduced (`n < 3` where the original had
    none): the likeliest place for an off-by-one."""
    qualname = job["qualname"]
    old = edges.constants(function_source(job["module_source"], qualname))
    new = [c for c in edges.constants(function_source(job["candidate_module"], qualname))
           if c not in old]
    limit = min(60, int(job.get("edge_limit", 200)))
    for call in edges.mutants(calls, new, limit=limit) if new and limit else []:
        counts["candidate constants"] = counts.get("candidate constants", 0) + 1
        why = differ(call)
        if why:
            return "derived from the candidate's constants", call, why
    return None


def _fuzzing(differ: Differ, calls: list[Call], hints: dict[str, Any] | None,
             signature: inspect.Signature | None, budget: Budget, counts: dict[str, Any],
             found_shape: coverage.Shape | None, recorder: coverage.Recorder
             ) -> Found | None:
    """Differential fuzzing near the observed values, then further out while lines the
    candidate added stay unexecuted."""
    if budget.fuzz_s <= 0:
        return None
    fuzzed = _fuzz(differ, calls, hints, signature, budget.fuzz_s, 0)
    counts["fuzzed"] = fuzzed.tried
    if fuzzed.status != "ok":
        counts["fuzz_status"] = fuzzed.status
    if fuzzed.found is not None:
        return "fuzzing", fuzzed.found, fuzzed.detail
    for widen in WIDEN_STEPS:
        if found_shape is None or not coverage.missed(found_shape, recorder):
            break
        more = _fuzz(differ, calls, hints, signature, budget.fuzz_s / 2, widen)
        counts["fuzzed"] += more.tried
        counts["widened"] = widen
        if more.found is not None:
            return ("fuzzing further out, for lines no input had run", more.found,
                    more.detail)
    return None


def _concolic_pass(differ: Differ, original: Any, candidate: Any, calls: list[Call],
                   budget: Budget, counts: dict[str, Any]) -> Found | None:
    """CrossHair between the two; what it finds is run concretely here before it counts."""
    if budget.concolic_s <= 0:
        return None
    concolic = _concolic(original, candidate, calls, budget.concolic_s)
    counts["concolic"] = concolic.explored
    if concolic.status != "ok":
        counts["concolic_status"] = concolic.detail
    if concolic.found is not None:
        why = differ(concolic.found)
        if why:
            return "the concolic pass (CrossHair)", concolic.found, why
    return None


def _fuzz(differ: Differ, calls: list[Call], hints: dict[str, Any] | None,
          signature: inspect.Signature | None, budget_s: float, widen: int) -> Any:
    from lesson_lsp.harness import fuzz

    return fuzz.search(differ, calls, hints, signature, budget_s=budget_s, widen=widen)


def _concolic(original: Any, candidate: Any, calls: list[Call], budget_s: float) -> Any:
    from lesson_lsp.harness import concolic

    return concolic.search(original, candidate, calls, budget_s)


def _hints(function: Any) -> tuple[dict[str, Any] | None, inspect.Signature | None]:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None, None
    try:
        hints = typing.get_type_hints(getattr(function, "__func__", function))
    except Exception:
        hints = {}
    hints.pop("return", None)
    return hints or None, signature


def function_source(text: str, qualname: str) -> str:
    """The text of `qualname`'s def in a module's text ('' when it is not there)."""
    node = coverage.function_node(text, qualname)
    if node is None:
        return ""
    return "\n".join(text.splitlines()[node.lineno - 1:node.end_lineno])


def _pickled(call: Call) -> str:
    """The call as the one-call list `calls._unpickle` reads."""
    try:
        return base64.b64encode(pickle.dumps([call])).decode("ascii")
    except Exception:
        return ""


def _size(call: Call) -> int:
    """A cheap size of a call's arguments, to run small ones first."""
    total = 0
    for value in (*call[0], *call[1].values()):
        try:
            total += len(value) if not isinstance(value, (int, float)) else 1
        except TypeError:
            total += 1
    return total
