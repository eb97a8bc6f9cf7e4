"""Runs inside the sandbox: turn an input source into calls (argument tuples and keyword
dicts): a user's generator, replayed doctest examples, hypothesis strategies from type hints, or
the calls captured from the project's tests (recorder.py).
"""

from __future__ import annotations

import copy
import importlib.machinery
import importlib.util
import inspect
import os
import random
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lesson_lsp.harness import doctests


class WorkerError(Exception):
    """A failure the parent should report as it is (the message is for the user)."""


def resolve(module: types.ModuleType, qualname: str) -> tuple[Any, Any, str]:
    """The object named by `qualname`, its owner (module or class) and its attribute name."""
    owner: Any = module
    parts = qualname.split(".")
    for part in parts[:-1]:
        owner = getattr(owner, part)
    name = parts[-1]
    if isinstance(owner, type):
        if name not in owner.__dict__:
            name = mangled(owner, name)
        return owner.__dict__[name], owner, name
    return getattr(owner, name), owner, name


def mangled(owner: type, name: str) -> str:
    """How a class stores `__name` written in its body: `_Class__name` (dunders are kept)."""
    if name.startswith("__") and not name.endswith("__"):
        return f"_{owner.__name__.lstrip('_')}{name}"
    return name


def callable_target(module: types.ModuleType, qualname: str) -> Any:
    obj, owner, name = resolve(module, qualname)
    if owner is not module:
        found = getattr(owner, name)
        # A property's getter is the `def` under that name (its setter shares the name, and
        # the tracer records the getter's calls with the instance as their one argument).
        if isinstance(found, property) and found.fget is not None:
            return found.fget
        return found
    return obj


def seed(job: dict[str, Any]) -> None:
    """The same random state for every run of a job: original and candidate see one world."""
    value = job.get("seed", 0)
    random.seed(value)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(value)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


@dataclass(frozen=True)
class Fresh:
    """A call whose arguments are made anew for every use instead of copied: they cannot be
    copied (a generator) or looking at them before the call would drain them (an iterator)."""

    make: Callable[[], tuple[tuple, dict]]


def copied(calls: list[Any]) -> list[tuple[tuple, dict]]:
    """The arguments for one pass over `calls`: deep copies, or new ones for a `Fresh` call."""
    memo: dict[int, Any] = {}
    return [c.make() if isinstance(c, Fresh) else copy.deepcopy(c, memo) for c in calls]


notes: dict[str, Any] = {}  # what loading the inputs tells the parent, merged into the result


def doctest_inputs(steps: list[dict[str, Any]], module: types.ModuleType,
                   qualname: str = "") -> list[Any]:
    """Replay a docstring's examples (doctests.replay): (args, kwargs) pairs, and `Fresh` calls."""
    obj, owner, name = resolve(module, qualname) if qualname else (None, module, "")
    # A plain function defined in a class (not a static or class method): `foo.bar(2)` passes
    # foo as its first argument to the `Foo.bar` the worker calls.
    method = isinstance(owner, type) and getattr(owner, name) is obj and hasattr(
        type(obj), "__get__")
    # Examples often name the package (`semver.Version(...)`), as pytest's doctest namespace
    # or a conftest provides: bind its top-level name when the module does not.
    namespace = dict(module.__dict__)
    top = module.__name__.partition(".")[0]
    if top in sys.modules:
        namespace.setdefault(top, sys.modules[top])
    replayed = doctests.replay(steps, namespace, method)
    notes["inputs_from"] = replayed.origin()
    if not replayed.calls:
        raise WorkerError(f"inputs: {replayed.error()}")
    return [call if isinstance(call, tuple) else Fresh(call) for call in replayed.calls]


def _strategy(hint: Any) -> Any:
    """A hypothesis strategy for a type hint, with sizes kept small enough that a slow original
    still answers (unbounded ints would make a naive recursion run forever)."""
    import typing

    from hypothesis import strategies as st

    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is int:
        return st.integers(-100, 100)
    if hint is float:
        return st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
    if hint is str:
        return st.text(max_size=40)
    if hint is bytes:
        return st.binary(max_size=40)
    if hint is bool:
        return st.booleans()
    if origin in (list, typing.List) or hint is list:  # noqa: UP006
        return st.lists(_strategy(args[0]) if args else st.integers(-100, 100), max_size=40)
    if origin in (set, frozenset):
        return st.sets(_strategy(args[0]) if args else st.integers(-100, 100), max_size=40)
    if origin is dict and len(args) == 2:
        return st.dictionaries(_strategy(args[0]), _strategy(args[1]), max_size=20)
    if origin is tuple and args and args[-1] is not Ellipsis:
        return st.tuples(*(_strategy(a) for a in args))
    if origin is tuple and len(args) == 2:
        return st.lists(_strategy(args[0]), max_size=20).map(tuple)
    if origin in (typing.Union, getattr(types, "UnionType", None)):
        return st.one_of(*(_strategy(a) for a in args))
    return st.from_type(hint)


def hypothesis_inputs(target: Any, count: int) -> list[tuple[tuple, dict]]:
    """Arguments generated from the function's type hints; derandomized, so every worker of a
    run sees the same ones."""
    import typing

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    function = getattr(target, "__func__", target)
    try:
        hints = typing.get_type_hints(function)
    except Exception as exc:
        raise WorkerError(f"inputs: cannot read the type hints: {one_line(exc)}") from exc
    parameters = list(inspect.signature(function).parameters.values())
    missing = [p.name for p in parameters if p.name not in hints and p.default is p.empty]
    if missing:
        raise WorkerError(f"inputs: no type hint for {', '.join(missing)}")
    fields = {p.name: _strategy(hints[p.name]) for p in parameters if p.name in hints}
    collected: list[tuple[tuple, dict]] = []

    @settings(max_examples=count, database=None, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries(fields))
    def collect(values: dict[str, Any]) -> None:
        positional = [values[p.name] for p in parameters
                      if p.kind == p.POSITIONAL_ONLY and p.name in values]
        named = {k: v for k, v in values.items()
                 if k not in {p.name for p in parameters if p.kind == p.POSITIONAL_ONLY}}
        collected.append(copy.deepcopy((tuple(positional), named)))

    collect()
    unique: dict[str, tuple[tuple, dict]] = {}
    for call in collected:
        unique.setdefault(repr(call), call)
    return list(unique.values())


def load_inputs(job: dict[str, Any], module: types.ModuleType
                ) -> tuple[list[tuple[tuple, dict]], list[bool]]:
    """The calls to make, and which of them are held out (correctness only, never timed).

    Timed on one source, checked on all: the calls of a `hidden` generator, of every other
    source (`checks`) and the derived edge calls (`edges`) are held out. Calls derived from
    tiny observed ones (`scale`) come last and are the ones timed: the observed ones are then
    checked only, as too small to time. `notes["checked_on"]` counts the calls per source."""
    notes.clear()
    spec = job["inputs"]
    calls = _load_calls(job, module)
    counts: dict[str, int] = {}
    _count(counts, spec.get("kind") or "inputs", len(calls))
    others: list[tuple[tuple, dict]] = []
    if spec.get("hidden"):
        hidden = _generate(job, _generator_module(job, module), spec["hidden"])
        _count(counts, "hidden inputs", len(hidden))
        others += hidden
    others += _checks(job, module, counts)
    if others:
        calls, held = calls + others, [False] * len(calls) + [True] * len(others)
    else:  # one source: some of its own inputs are held out
        held = [held_out(i, len(calls)) for i in range(len(calls))]
    if spec.get("edges"):
        edges = _unpickle(spec["edges"])
        _count(counts, "derived", len(edges))
        calls, held = calls + edges, held + [True] * len(edges)
    notes["checked_on"] = counts
    if spec.get("derived"):
        larger = _unpickle(spec["derived"])
        return calls + larger, [True] * len(calls) + [False] * len(larger)
    return calls, held


def _count(counts: dict[str, int], kind: str, number: int) -> None:
    if number:
        counts[kind] = counts.get(kind, 0) + number


def _checks(job: dict[str, Any], module: types.ModuleType,
            counts: dict[str, int]) -> list[tuple[tuple, dict]]:
    """The calls of the correctness-only sources; one that fails to give any is left out (the
    inputs to time are there) and counted in the notes."""
    found: list[tuple[tuple, dict]] = []
    account = notes.get("inputs_from")  # where the timed calls come from stays the account
    for spec in job["inputs"].get("checks") or []:
        try:
            calls = _load_calls({**job, "inputs": spec}, module)
            if spec.get("hidden"):
                calls += _generate({**job, "inputs": spec}, _generator_module(
                    {**job, "inputs": spec}, module), spec["hidden"])
        except Exception as exc:
            notes.setdefault("checks_failed", []).append(f"{type(exc).__name__}: {exc}")
            continue
        _count(counts, spec.get("kind") or "inputs", len(calls))
        found.extend(calls)
    if account is None:
        notes.pop("inputs_from", None)
    else:
        notes["inputs_from"] = account
    return found


def _unpickle(path: str) -> list[tuple[tuple, dict]]:
    import pickle

    with open(path, "rb") as handle:
        return [(tuple(a), dict(k)) for a, k in pickle.load(handle)]


def _load_calls(job: dict[str, Any], module: types.ModuleType) -> list[tuple[tuple, dict]]:
    spec = job["inputs"]
    if spec.get("replay"):
        return _unpickle(spec["replay"])
    if spec.get("pickle"):
        return captured_calls(spec["pickle"], job["qualname"])
    if spec.get("steps"):
        seed(job)
        return doctest_inputs(spec["steps"], module, job["qualname"])
    if spec.get("hypothesis"):
        return hypothesis_inputs(callable_target(module, job["qualname"]), int(spec["hypothesis"]))
    return _generate(job, _generator_module(job, module), spec["callable"])


def captured_calls(path: str, qualname: str) -> list[tuple[tuple, dict]]:
    """The calls the project's tests made to `qualname` (see recorder.py); one that cannot be
    unpickled here is skipped alone."""
    import pickle

    with open(path, "rb") as handle:
        everything = pickle.load(handle)
    stored = everything["functions"].get(qualname, [])
    for entry in everything["meta"].get("test_paths") or []:
        if entry not in sys.path:
            sys.path.append(entry)  # last: test modules never shadow the project's own
    calls: list[tuple[tuple, dict]] = []
    failure = ""
    for data in stored:
        try:
            args, kwargs = pickle.loads(data)
        except Exception as exc:
            failure = failure or one_line(exc)
            continue
        calls.append((tuple(args), dict(kwargs)))
    if not calls:
        raise WorkerError(f"inputs: none of the {len(stored)} calls captured from the tests "
                          f"could be loaded ({failure or 'none were kept'})")
    return calls


def _generator_module(job: dict[str, Any], module: types.ModuleType) -> types.ModuleType:
    spec = job["inputs"]
    if spec["path"] == job["module_path"]:
        return module
    name = "_lesson_inputs_" + os.path.splitext(os.path.basename(spec["path"]))[0]
    if name in sys.modules:
        return sys.modules[name]
    file_spec = importlib.util.spec_from_file_location(name, spec["path"])
    if file_spec is None or file_spec.loader is None:
        raise WorkerError(f"inputs: cannot load {spec['path']}")
    source_module = importlib.util.module_from_spec(file_spec)
    sys.modules[name] = source_module
    try:
        file_spec.loader.exec_module(source_module)
    except Exception as exc:
        raise WorkerError(f"inputs: importing {spec['path']} failed: {one_line(exc)}") from exc
    return source_module


def _generate(job: dict[str, Any], source_module: types.ModuleType,
              name: str) -> list[tuple[tuple, dict]]:
    generator = getattr(source_module, name, None)
    if generator is None or not callable(generator):
        raise WorkerError(f"inputs: {os.path.basename(job['inputs']['path'])} has no callable "
                          f"`{name}`")
    seed(job)
    try:
        raw = list(generator())
    except Exception as exc:
        raise WorkerError(f"inputs: `{name}()` raised {one_line(exc)}") from exc
    if not raw:
        raise WorkerError(f"inputs: `{name}()` returned no inputs")
    return [_as_call(item) for item in raw]


def held_out(index: int, total: int) -> bool:
    """Every fourth input (when there are at least four) is for correctness only: it is never
    timed, profiled or shown to an agent, so a candidate tuned to what it saw can still fail."""
    return total >= 4 and index % 4 == 3


def _as_call(item: Any) -> tuple[tuple, dict]:
    if isinstance(item, tuple):
        return item, {}
    if isinstance(item, dict) and set(item) <= {"args", "kwargs"}:
        return tuple(item.get("args", ())), dict(item.get("kwargs", {}))
    return (item,), {}
