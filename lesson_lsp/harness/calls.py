"""Runs inside the sandbox: turn an input source into calls (argument tuples and keyword
dicts): a user's generator, replayed doctest examples, hypothesis strategies from type hints, a
pickle of captured calls, or the project's pytest run that captures them.
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
from typing import Any


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
        return owner.__dict__[name], owner, name
    return getattr(owner, name), owner, name


def callable_target(module: types.ModuleType, qualname: str) -> Any:
    obj, owner, name = resolve(module, qualname)
    if owner is not module:
        return getattr(owner, name)
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


def doctest_inputs(steps: list[list[str]], module: types.ModuleType) -> list[tuple[tuple, dict]]:
    """Replay a docstring's examples: setup lines run, calls give their arguments."""
    namespace = dict(module.__dict__)
    calls = []
    for kind, code in steps:
        try:
            if kind == "exec":
                exec(compile(code, "<doctest>", "single"), namespace)
            else:
                args, kwargs = eval(compile(code, "<doctest>", "eval"), namespace)
                calls.append((tuple(args), dict(kwargs)))
        except Exception as exc:
            if kind == "call":
                raise WorkerError(f"inputs: a doctest example failed: {one_line(exc)}") from exc
    return calls


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

    Calls derived from tiny observed ones (`scale`) come last and are the ones timed: the
    observed ones are then checked only, as too small to time."""
    calls = _load_calls(job, module)
    hidden_name = job["inputs"].get("hidden")
    if hidden_name:
        hidden = _generate(job, _generator_module(job, module), hidden_name)
        calls, held = calls + hidden, [False] * len(calls) + [True] * len(hidden)
    else:
        held = [held_out(i, len(calls)) for i in range(len(calls))]
    if job["inputs"].get("derived"):
        larger = _unpickle(job["inputs"]["derived"])
        return calls + larger, [True] * len(calls) + [False] * len(larger)
    return calls, held


def _unpickle(path: str) -> list[tuple[tuple, dict]]:
    import pickle

    with open(path, "rb") as handle:
        return [(tuple(a), dict(k)) for a, k in pickle.load(handle)]


def _load_calls(job: dict[str, Any], module: types.ModuleType) -> list[tuple[tuple, dict]]:
    spec = job["inputs"]
    if spec.get("pickle"):
        return _unpickle(spec["pickle"])
    if spec.get("steps"):
        seed(job)
        return doctest_inputs(spec["steps"], module)
    if spec.get("hypothesis"):
        return hypothesis_inputs(callable_target(module, job["qualname"]), int(spec["hypothesis"]))
    return _generate(job, _generator_module(job, module), spec["callable"])


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


class _CaptureFinder:
    """Meta-path finder that wraps the target function in whichever module loads its file, so
    `from module import fn` in a test gets the recording wrapper."""

    def __init__(self, job: dict[str, Any], calls: list[Any]) -> None:
        self.path = os.path.realpath(job["module_path"])
        self.qualname = job["qualname"]
        self.limit = int(job.get("capture_limit", 50))
        self.calls = calls
        self.depth = 0

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or not spec.origin or os.path.realpath(spec.origin) != self.path:
            return spec
        loader = spec.loader
        finder = self

        class Loader(importlib.machinery.SourceFileLoader):
            def exec_module(self, module: types.ModuleType) -> None:
                assert loader is not None
                loader.exec_module(module)  # type: ignore[union-attr]
                finder.wrap(module)

        spec.loader = Loader(name, spec.origin)
        return spec

    def wrap(self, module: types.ModuleType) -> None:
        import functools
        import pickle

        original, owner, name = resolve(module, self.qualname)
        function = getattr(original, "__func__", original)

        @functools.wraps(function)
        def recording(*args: Any, **kwargs: Any) -> Any:
            if self.depth == 0 and len(self.calls) < self.limit:
                try:
                    snapshot = pickle.dumps((args, kwargs))  # a copy taken at call time
                    self.calls.append(snapshot)
                except Exception:
                    pass
            self.depth += 1
            try:
                return function(*args, **kwargs)
            finally:
                self.depth -= 1

        replacement: Any = recording
        if isinstance(original, staticmethod):
            replacement = staticmethod(recording)
        elif isinstance(original, classmethod):
            replacement = classmethod(recording)
        setattr(owner, name, replacement)


def capture(job: dict[str, Any]) -> dict[str, Any]:
    """Run the project's pytest suite and record the target's outermost calls."""
    import base64
    import contextlib
    import io
    import pickle

    try:
        import pytest
    except ImportError as exc:
        raise WorkerError("inputs: pytest is not installed, so no calls could be recorded") from exc
    snapshots: list[bytes] = []
    sys.meta_path.insert(0, _CaptureFinder(job, snapshots))
    for entry in reversed(job.get("sys_path", [])):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = pytest.main([job["tests_root"], "-q", "-p", "no:cacheprovider", "-x",
                            "--rootdir", job["tests_root"], "-W", "ignore"])
    calls = [pickle.loads(s) for s in snapshots]
    data = pickle.dumps(calls)
    return {"calls": len(calls), "pickle_b64": base64.b64encode(data).decode("ascii"),
            "pytest_exit": int(code), "pytest_tail": out.getvalue()[-1500:]}
