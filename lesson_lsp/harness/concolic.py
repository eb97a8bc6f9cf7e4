"""Inside the sandbox worker: a time-boxed concolic search (CrossHair) for an input on which a
candidate and the original differ, such as a narrow `if x == 987654` that sampled inputs never
hit: CrossHair runs both on symbolic arguments and asks z3 for the values of each branch.

It needs annotations, so it runs wrappers with a synthesized signature: types from the original's
hints where CrossHair can use them, else inferred from the observed calls (scalars and built-in
containers of them). A parameter with a default that no call passes keeps it: no caller sees a
difference there. The loop is `crosshair.diff_behavior`'s, built from its pieces, but it stops at
the first difference and at a wall-clock deadline (`diff_behavior` runs to CPU-time limits, which
a busy machine stretches, and gives reprs only); a timer ends a path that runs too long.

CrossHair is imported lazily, but before `guard.install` (`preload`): z3 loads its library through
ctypes, which the guard denies. The functions run as the guard's actors "original" and
"candidate", CrossHair's own work as none."""

from __future__ import annotations

import ast
import collections
import contextlib
import copy
import inspect
import itertools
import math
import os
import signal
import sys
import threading
import time
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Union

from lesson_lsp.harness import guard

Call = tuple[tuple, dict]

MAX_SEEN = 100  # calls, and elements of one container, looked at when inferring a type
MAX_DEPTH = 6  # nesting of containers when inferring a type
MAX_SHOWN = 200  # characters of a reported behaviour
OVERRUN_S = 0.3  # the timer fires this long after the deadline, inside the +0.5 s promised
PATH_S = 0.8  # CPU time for one path; z3 gets half of it per query, and the timer waits on z3
REL_TOL, ABS_TOL = 1e-9, 1e-12  # floats this close are equal, as in compare.Tolerance
_SCALARS = (bool, int, float, str, bytes, type(None))
_UNKNOWN = "?"  # the elements of containers only ever seen empty: searched as int
_GENERIC: dict[str, Any] = {t.__name__: t for t in (list, set, frozenset, dict, tuple)}
_clock = time.perf_counter

# A type CrossHair can search, as nested tuples: a scalar type; ("list" | "set" | "frozenset",
# T); ("dict", K, V); ("tuple", T, ...) fixed; ("tuple*", T) variadic; ("union", T, ...).
Rep = Any


@dataclass
class ConcolicResult:
    status: str  # "ok" | "unavailable" | "unsupported"
    detail: str  # one sentence for the user
    explored: int  # paths CrossHair explored
    found: Call | None  # a counterexample as real values, or None
    expected: str = ""  # the original's behaviour on `found`, as CrossHair reports it
    actual: str = ""  # the candidate's


class _Unsupported(Exception):
    """A parameter whose type CrossHair cannot search here (the message names it)."""


class _OutOfTime(BaseException):
    """Raised by the timer: a BaseException, so neither CrossHair nor user code swallows it."""


def preload() -> str:
    """Import CrossHair now; "" or why it cannot be. The worker calls it before
    `guard.install`, which would deny loading z3's native library."""
    try:
        import crosshair.core_and_libs
        import crosshair.diff_behavior  # noqa: F401
    except BaseException as exc:  # missing, built for another Python, z3's library refused...
        return f"CrossHair cannot be imported: {type(exc).__name__}: {exc}"[:MAX_SHOWN]
    return ""


def _rep_of_value(value: Any, depth: int = 0) -> Rep:
    kind = type(value)
    if kind in _SCALARS:
        return kind
    if depth >= MAX_DEPTH or kind not in (list, tuple, set, frozenset, dict):
        raise _Unsupported(f"a {kind.__name__} value")
    items = list(itertools.islice(value.items() if kind is dict else value, MAX_SEEN))
    if kind is dict:
        return ("dict", _unify([_rep_of_value(k, depth + 1) for k, _ in items]),
                _unify([_rep_of_value(v, depth + 1) for _, v in items]))
    parts = [_rep_of_value(item, depth + 1) for item in items]
    if kind is tuple and len(value) <= MAX_SEEN:
        return ("tuple", *parts)
    return ("tuple*" if kind is tuple else kind.__name__, _unify(parts))


def _unify(reps: list[Rep]) -> Rep:
    """One type for all `reps`: containers of a kind (tuples: and length) merge their element
    types, and different kinds make a union (so observed [1] and ["a"] give list[int | str])."""
    groups: dict[Any, list[Rep]] = {}
    for rep in reps:
        for one in rep[1:] if isinstance(rep, tuple) and rep[0] == "union" else (rep,):
            group = groups.setdefault((one[0], len(one)) if isinstance(one, tuple) else one, [])
            if one != _UNKNOWN and one not in group:
                group.append(one)
    merged = [(key[0], *(_unify(list(column)) for column in zip(*(g[1:] for g in group))))
              if isinstance(key, tuple) else key for key, group in groups.items() if group]
    if not merged:
        return _UNKNOWN
    return merged[0] if len(merged) == 1 else ("union", *merged)


def _rep_of_hint(hint: Any) -> Rep:
    if hint is None or hint in _SCALARS:
        return type(None) if hint is None else hint
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Union or origin is getattr(types, "UnionType", Union):
        return _unify([_rep_of_hint(a) for a in args])
    if origin in (list, set, frozenset, dict) and len(args) == (2 if origin is dict else 1):
        return (origin.__name__, *map(_rep_of_hint, args))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return ("tuple*", _rep_of_hint(args[0]))
    if origin is tuple:
        return ("tuple", *(_rep_of_hint(a) for a in args if a != ()))
    raise _Unsupported(f"the hint {hint!r}")


def _typing(rep: Rep) -> Any:
    """The annotation CrossHair reads for `rep`."""
    if not isinstance(rep, tuple):
        return int if rep == _UNKNOWN else rep
    parts = tuple(map(_typing, rep[1:]))
    if rep[0] == "union":
        return Union[parts]  # noqa: UP007  (built from a list)
    if rep[0] == "tuple*":
        return _GENERIC["tuple"][parts[0], ...]
    return _GENERIC[rep[0]][parts or ()]


@dataclass
class _Plan:
    """The searched parameters: the leading `positional` ones are passed by position, the rest
    by keyword (a skipped default in between forces keywords)."""

    names: list[str] = field(default_factory=list)
    hints: dict[str, Any] = field(default_factory=dict)
    positional: int = 0

    def call(self, values: tuple) -> Call:
        cut = self.positional
        return values[:cut], dict(zip(self.names[cut:], values[cut:]))

    def signature(self) -> inspect.Signature:
        return inspect.Signature([inspect.Parameter(
            name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=self.hints[name])
            for name in self.names])


def plan(original: Callable, calls: list[Call]) -> _Plan:
    """Which parameters to search, and as what types; raises _Unsupported naming the one."""
    try:
        sig = inspect.signature(original)
    except (TypeError, ValueError):
        raise _Unsupported("this function (no signature)") from None
    try:
        hints = typing.get_type_hints(original)
    except Exception:  # an unresolvable forward reference: infer from the calls instead
        hints = {}
    seen: dict[str, list[Any]] = {name: [] for name in sig.parameters}
    for args, kwargs in calls[:MAX_SEEN]:
        with contextlib.suppress(TypeError):  # a call that does not fit: not a witness
            for name, value in sig.bind(*args, **kwargs).arguments.items():
                seen[name].append(value)
    result, gap = _Plan(), False
    params = list(sig.parameters.values())
    last_positional_only = max((i for i, p in enumerate(params)
                                if p.kind == p.POSITIONAL_ONLY and seen[p.name]), default=-1)
    for i, param in enumerate(params):
        values = seen[param.name]
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) and any(values):
            raise _Unsupported(f"parameter {param.name}: a variable argument list")
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or (
                not values and param.default is not param.empty and i > last_positional_only):
            gap = True  # left empty, or at its default
            continue
        try:
            rep = _rep_of_hint(hints[param.name])
        except (KeyError, _Unsupported):
            if not values:
                raise _Unsupported(f"parameter {param.name}: no usable hint and no observed "
                                   "value") from None
            try:
                rep = _unify([_rep_of_value(v) for v in values])
            except _Unsupported as exc:
                raise _Unsupported(f"parameter {param.name}: {exc}") from None
        result.names.append(param.name)
        result.hints[param.name] = _typing(rep)
        gap = gap or param.kind == param.KEYWORD_ONLY
        result.positional += not gap
    return result


def _wrapper(fn: Callable, the_plan: _Plan, actor: str) -> Callable:
    """`fn` behind the synthesized signature, run as the guard's `actor`."""

    def call(*values: Any) -> Any:
        args, kwargs = the_plan.call(values)
        try:
            with guard.acting(actor):
                return fn(*args, **kwargs)
        except (SystemExit, KeyboardInterrupt) as exc:  # a behaviour, not the search's end
            raise RuntimeError(repr(exc)) from None

    call.__signature__ = the_plan.signature()  # type: ignore[attr-defined]
    call.__annotations__ = dict(the_plan.hints)
    call.__name__ = call.__qualname__ = getattr(fn, "__name__", actor)
    return call


def _plain(value: Any, depth: int = 0) -> bool:
    """Made of exact built-in types only (no symbolic or user object left)."""
    kind = type(value)
    if kind is dict:
        value = [x for pair in value.items() for x in pair]
    return kind in _SCALARS or (depth < 50 and kind in (list, tuple, set, frozenset, dict)
                                and all(_plain(v, depth + 1) for v in value))


def _close(a: Any, b: Any) -> bool:
    """Equal as compare.py judges real values: floats within tolerance, NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return (a != a and b != b) or math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if type(a) is dict:
        return a.keys() == b.keys() and all(_close(v, b[k]) for k, v in a.items())
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(map(_close, a, b))
    return bool(a == b)


def _short(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


@contextlib.contextmanager
def _quiet_environ() -> Iterator[None]:
    """CrossHair's modules see an `os` whose environment is a snapshot of CROSSHAIR_*: it reads
    one whenever it makes a symbolic float, lazily, so inside a function's call, and the guard
    would blame that function for reading the environment."""
    view = types.ModuleType("os")
    view.__dict__.update(os.__dict__)
    view.__dict__["environ"] = {k: v for k, v in os.environ.items() if k.startswith("CROSSHAIR_")}
    modules = [m for name, m in list(sys.modules.items())
               if name.startswith("crosshair.") and getattr(m, "os", None) is os]
    try:
        for module in modules:
            module.os = view  # type: ignore[attr-defined]
        yield
    finally:
        for module in modules:
            module.os = os  # type: ignore[attr-defined]


@contextlib.contextmanager
def _timer(at: float) -> Iterator[None]:
    """Raise _OutOfTime at `at` (a perf_counter time), then give back the previous SIGALRM
    handler and timer. Does nothing off the main thread or without setitimer."""
    if not hasattr(signal, "setitimer") or threading.current_thread() != threading.main_thread():
        yield
        return
    entered, previous = _clock(), signal.signal(signal.SIGALRM, _alarm)
    # Again every 0.1 s, in case the function swallows it (`except BaseException`).
    delay, interval = signal.setitimer(signal.ITIMER_REAL, max(at - entered, 1e-3), 0.1)
    try:
        yield
    finally:
        while True:  # the timer may fire while it is being stopped: stop it again
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                break
            except _OutOfTime:
                continue
        if delay > 0:  # someone's timer was running: give it back, less the time spent here
            signal.setitimer(signal.ITIMER_REAL, max(delay - (_clock() - entered), 1e-3),
                             interval)


def _alarm(signum: int, frame: Any) -> None:
    raise _OutOfTime


# --------------------------------------------------------------------------- the search


def search(original: Callable, candidate: Callable, calls: list[Call],
           budget_s: float) -> ConcolicResult:
    """Look for an input on which `candidate` behaves unlike `original`, for at most
    `budget_s` (+0.5 s). Never raises; leaves the trace function and recursion limit as found."""
    deadline = _clock() + budget_s
    trace, limit = sys.gettrace(), sys.getrecursionlimit()
    try:
        with guard.acting(None):
            the_plan = plan(original, calls)
            if why := preload():
                return ConcolicResult("unavailable", why, 0, None)
            with _quiet_environ():
                return _search(original, candidate, the_plan, deadline)
    except _Unsupported as exc:
        return ConcolicResult("unsupported", f"CrossHair cannot search {exc}.", 0, None)
    except BaseException as exc:  # even SystemExit: a crash here costs the whole check
        return ConcolicResult("unavailable", _short(
            f"CrossHair failed: {type(exc).__name__}: {exc}"), 0, None)
    finally:
        if sys.gettrace() is not trace:  # a crash inside CrossHair's tracing
            sys.settrace(trace)
        sys.setrecursionlimit(limit)


def _search(original: Callable, candidate: Callable, the_plan: _Plan,
            deadline: float) -> ConcolicResult:
    """`diff_behavior`'s two passes, each function run first in one."""
    from crosshair.core import IgnoreAttempt, RootNode, deep_realize, explore_paths
    from crosshair.diff_behavior import Result, describe_behavior, flexible_equal
    from crosshair.options import DEFAULT_OPTIONS, AnalysisOptionSet

    wrapped = {"original": _wrapper(original, the_plan, "original"),
               "candidate": _wrapper(candidate, the_plan, "candidate")}
    started, order = _clock(), ("original", "candidate")
    found: list[Any] = []  # the realized arguments, then what each function did
    unrepeatable: list[int] = []

    def run_both(args1: inspect.BoundArguments) -> tuple:
        if _clock() > deadline:
            raise IgnoreAttempt  # the path ends here; on_path_complete then stops the loop
        args2 = copy.deepcopy(args1)
        return (describe_behavior(wrapped[order[0]], args1),
                describe_behavior(wrapped[order[1]], args2), args2)

    def on_path_complete(space: Any, pre_args: inspect.BoundArguments,
                         args1: inspect.BoundArguments, run: Any, *_: Any) -> bool:
        """Record a difference; True ends the pass."""
        if run is None or any(isinstance(exc, IgnoreAttempt) for _, exc in run[:2]):
            return _clock() > deadline
        (ret1, exc1), (ret2, exc2), args2 = run
        same = (flexible_equal(ret1, ret2) and flexible_equal(args1.arguments, args2.arguments)
                and type(exc1) is type(exc2))  # compare.py too compares exceptions by type
        space.detach_path()
        if same:
            return _clock() > deadline
        real = [deep_realize(x) for x in (ret1, ret2, args1.arguments, args2.arguments)]
        if exc1 is None is exc2 and _close(real[0], real[1]) and _close(real[2], real[3]):
            return _clock() > deadline  # floats a rounding apart: compare.py accepts them
        results = [Result(repr(ret), repr(deep_realize(exc)) if exc is not None else None,
                          {k: repr(v) for k, v in after.items()})
                   for ret, exc, after in ((real[0], exc1, real[2]), (real[1], exc2, real[3]))]
        changed = results[0].get_differing_arg_mutations(results[1])
        said = {who: _short(r.describe(changed)) for who, r in zip(order, results)}
        found[:] = [tuple(deep_realize(pre_args.arguments[name]) for name in the_plan.names),
                    said["original"], said["candidate"]]
        return True

    explored, exhausted, cut = 0, False, False
    for order in (("original", "candidate"), ("candidate", "original")):
        left = deadline - _clock()
        if left <= 0.05 or found or exhausted:
            break
        share = left / 2 if order[0] == "original" else left
        options = DEFAULT_OPTIONS.overlay(AnalysisOptionSet(
            per_condition_timeout=share, per_path_timeout=min(share, PATH_S)))
        options.stats = collections.Counter()
        try:
            with _timer(deadline + OVERRUN_S):
                explore_paths(run_both, the_plan.signature(), options, RootNode(),
                              on_path_complete, on_nondeterminism=lambda: unrepeatable.append(1))
        except _OutOfTime:
            cut = True
        explored += options.stats["num_paths"]
        exhausted = options.stats["exhaustion"] > 0
    spent = f"{explored} path{'s' * (explored != 1)} in {_clock() - started:.1f} s" + (
        f" ({len(unrepeatable)} not repeatable, skipped)" if unrepeatable else "")
    if not found:
        how = ("all paths explored" if exhausted else
               "a path stopped at the time limit" if cut else "time limit")
        return ConcolicResult("ok", f"{spent} ({how}), no difference", explored, None)
    values, expected, actual = found
    try:  # realized values are plain already; else rebuilt from their repr, if they can be
        values = values if _plain(values) else ast.literal_eval(repr(values))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ConcolicResult("ok", _short(f"{spent}: they differ on {found[0]!r}, which could "
                                           "not be rebuilt"), explored, None, expected, actual)
    return ConcolicResult("ok", f"{spent}: found a difference", explored,
                          the_plan.call(tuple(values)), expected, actual)
