"""Where the inputs of a function come from. The first source that has some is timed, in this
order: a generator named on the command line (`--inputs FILE::CALLABLE`), calls sampled from a
traced workload (`lesson-lsp trace`), a generator named in `[tool.lesson-lsp.inputs]` of the
nearest pyproject.toml, the calls in the function's doctest examples, calls recorded while the
project's own pytest tests run, then values drawn from its type hints (hypothesis).

Timed on one source, checked on all (DESIGN.md, invariant 6): every other source found is kept
as correctness checks (`InputSpec.checks`), and a `hidden_inputs` defined beside a named
generator too. A candidate wrong on an input no single source held is caught by another.
Generators, examples, tests and strategies run only inside the sandbox.
"""

from __future__ import annotations

import ast
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from lesson_lsp.harness.capture import capture, has_tests
from lesson_lsp.harness.doctests import ORIGIN, Example
from lesson_lsp.harness.doctests import examples as doctest_steps
from lesson_lsp.source.fingerprint import fingerprint
from lesson_lsp.workspace import traces
from lesson_lsp.workspace.config import Config
from lesson_lsp.workspace.project import locate


class InputsError(Exception):
    """No usable inputs; the message says how to give some."""


@dataclass(frozen=True)
class InputSpec:
    """A generator (`path`, `callable`), or doctest examples (`steps`, see doctests.py)."""

    path: str
    callable: str
    origin: str
    steps: tuple[Example, ...] = ()
    hypothesis: int = 0  # how many examples to generate from type hints
    pickle: str = ""  # calls captured from the project's tests
    hidden: str = ""  # a second generator in the same file: inputs for correctness only
    derived: str = ""  # a pickle of larger calls grown from tiny ones: the ones timed (scale)
    workload: bool = False  # `pickle` holds calls sampled from a traced workload (real sizes)
    checks: tuple[InputSpec, ...] = ()  # more sources, for correctness only (never timed)
    edges: str = ""  # a pickle of edge calls derived from the observed ones (checks only)
    replay: str = ""  # a pickle of calls to make, and nothing else (a suspect being confirmed)

    @property
    def kind(self) -> str:
        """The source's short name, as `checked_on` counts it."""
        if self.workload:
            return "workload"
        if self.replay:
            return "replayed"
        if self.callable:
            return "generator"
        if self.steps:
            return "doctests"
        if self.pickle:
            return "tests"
        return "type hints" if self.hypothesis else "inputs"

    @property
    def named(self) -> bool:
        """Inputs the user chose (a generator) or that are generated: none are derived."""
        return bool(self.callable or self.hidden or self.hypothesis or self.workload)

    def as_job(self) -> dict[str, object]:
        steps = [example.as_json() for example in self.steps]
        return {"path": self.path, "callable": self.callable, "steps": steps,
                "hypothesis": self.hypothesis, "pickle": self.pickle, "hidden": self.hidden,
                "derived": self.derived, "edges": self.edges, "replay": self.replay,
                "kind": self.kind,
                "checks": [c.as_job() for c in self.checks]}


HYPOTHESIS_EXAMPLES = 40


def fully_typed(function_source: str) -> bool:
    """Every parameter without a default (self/cls aside) has a type hint."""
    try:
        tree = ast.parse(textwrap.dedent(function_source))
    except SyntaxError:
        return False
    fn = tree.body[0] if tree.body else None
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    defaults = len(args.defaults)
    needed = positional[: len(positional) - defaults] if defaults else positional
    needed += [a for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]
    if args.vararg or args.kwarg:
        return False
    needed = [a for a in needed if a.arg not in ("self", "cls")]
    return bool(positional or args.kwonlyargs) and all(a.annotation is not None for a in needed)


def parse_target(text: str, base: Path) -> tuple[Path, str]:
    """`FILE::NAME` → (absolute path, name); paths are relative to `base`."""
    if "::" not in text:
        raise InputsError(f"`{text}` is not FILE::NAME (for example examples/slow.py::inputs)")
    file_part, name = text.rsplit("::", 1)
    if not file_part or not name:
        raise InputsError(f"`{text}` is not FILE::NAME (for example examples/slow.py::inputs)")
    path = Path(file_part)
    if not path.is_absolute():
        path = base / path
    return path.resolve(), name


def from_text(text: str, base: Path, origin: str) -> InputSpec:
    path, name = parse_target(text, base)
    if not path.is_file():
        raise InputsError(f"inputs file {path.name} does not exist ({origin})")
    return InputSpec(str(path), name, origin)


def declared(target: Path, qualname: str, config: Config, cli: str | None = None,
             function_source: str = "") -> InputSpec | None:
    """Inputs the user named: the CLI's generator, the configured one, or doctest examples."""
    if cli:
        return from_text(cli, Path.cwd(), "--inputs")
    root = Path(config.root or target.parent)
    for key, value in config.inputs.items():
        key_path, key_name = parse_target(key, root)
        if key_path == target.resolve() and key_name == qualname:
            return from_text(value, root, "[tool.lesson-lsp.inputs]")
    steps = doctest_steps(function_source, qualname.rsplit(".", 1)[-1]) if function_source else ()
    if steps:
        return InputSpec(str(target.resolve()), "", ORIGIN, steps)
    return None


async def captured(target: Path, qualname: str, config: Config, python: str = "",
                   on_progress: Callable[[str], None] | None = None
                   ) -> tuple[InputSpec | None, str]:
    """Calls the project's tests make to the function (captured once per project state), or
    None and why there are none."""
    root = Path(config.root or target.parent)
    if not has_tests(root):
        return None, ""
    location = locate(target, root)
    found = await capture(root, location, qualname, python or sys.executable,
                          config.harness.timeout_s, config.harness.memory_mb, on_progress)
    if found.error:
        return None, found.error
    count = found.calls.get(qualname, 0)
    skipped = (found.meta.get("unpicklable") or {}).get(qualname, 0)
    if not count and skipped:
        return None, (f"the project's tests called it {skipped} times, but its arguments cannot "
                      f"be copied (pickled, under 1 MB) to run it again; {found.summary()}")
    if not count:
        return None, f"none of the project's tests called it; {found.summary()}"
    calls = "1 call" if count == 1 else f"{count} calls"
    return InputSpec(str(target.resolve()), "",
                     f"{calls} captured from the project's tests ({found.summary()})",
                     pickle=str(found.path)), ""


def traced(target: Path, qualname: str, config: Config, function_source: str
           ) -> tuple[InputSpec | None, str]:
    """Calls sampled from the project's last workload trace, if it traced this function as its
    code is now (`lesson-lsp trace`), or None and why they cannot be used ('' if not traced)."""
    if not function_source:
        return None, ""
    trace = traces.load(Path(config.root or target.parent))
    if trace is None:
        return None, ""
    found = trace.fresh(target, qualname, fingerprint(function_source))
    if found is None:
        return None, ""
    command = " ".join(trace.command)
    if not found.captured or not Path(found.calls_file).is_file():
        called = f"the workload `{command}` called it {found.calls:,} times"
        if found.unpicklable:
            return None, (f"{called}, but none of its arguments could be copied (pickled, "
                          f"under 1 MB; {found.unpicklable:,} tried)")
        return None, (f"{called}, but no call was sampled (the tracer stops copying arguments "
                      "when that takes more than a small share of the run): trace it again, "
                      "or name inputs in [tool.lesson-lsp.inputs]")
    calls = "1 call" if found.captured == 1 else f"{found.captured} calls"
    return InputSpec(str(target.resolve()), "",
                     f"inputs from the workload: {calls} sampled from {found.calls:,} "
                     f"(`{command}`, {found.share:.0%} of its time)",
                     pickle=found.calls_file, workload=True), ""


async def resolve(target: Path, qualname: str, config: Config, cli: str | None = None,
                  function_source: str = "", python: str = "",
                  on_progress: Callable[[str], None] | None = None) -> InputSpec:
    """The inputs for `qualname` in `target`: timed on the first source that has some (a
    generator named with --inputs, calls sampled from a traced workload, a configured
    generator, doctest examples, calls captured from the project's tests, type hints), and
    checked on every source found."""
    found = await sources(target, qualname, config, cli, function_source, python, on_progress)
    if found.specs:
        return with_checks(found.specs[0], found.specs[1:])
    root = Path(config.root or target.parent)
    try:
        relative = target.resolve().relative_to(root.resolve())
    except ValueError:
        relative = Path(target.name)
    because = f" ({found.why_not})" if found.why_not else ""
    raise InputsError(
        f"no inputs for `{qualname}`{because}: add doctest examples that call it, a pytest test "
        "that calls it, type hints on its parameters, or name a generator that returns a list of "
        f'argument tuples, with --inputs FILE::CALLABLE or in pyproject.toml: '
        f'[tool.lesson-lsp.inputs] "{relative.as_posix()}::{qualname}" = "FILE::CALLABLE"'
    )


@dataclass(frozen=True)
class Sources:
    specs: tuple[InputSpec, ...]  # in the order of preference: the first is timed
    why_not: str = ""  # why the tests or the workload gave none, for the error message


async def sources(target: Path, qualname: str, config: Config, cli: str | None = None,
                  function_source: str = "", python: str = "",
                  on_progress: Callable[[str], None] | None = None) -> Sources:
    """Every input source that has calls for the function, in the order of preference."""
    specs: list[InputSpec | None] = []
    if cli:
        specs.append(with_hidden(from_text(cli, Path.cwd(), "--inputs")))
    workload, not_from_workload = traced(target, qualname, config, function_source)
    specs.append(workload)
    configured = declared(target, qualname, config, None, "")
    specs.append(None if configured is None else with_hidden(configured))
    steps = doctest_steps(function_source, qualname.rsplit(".", 1)[-1]) \
        if function_source else ()
    if steps:
        specs.append(InputSpec(str(target.resolve()), "", ORIGIN, steps))
    tests, not_from_tests = await captured(target, qualname, config, python, on_progress)
    specs.append(tests)
    if function_source and "." not in qualname and fully_typed(function_source):
        why_not = "; ".join(x for x in (not_from_workload, not_from_tests) if x)
        specs.append(InputSpec(str(target.resolve()), "", "type hints (hypothesis)"
                               + (f"; no captured calls: {why_not}" if why_not else ""),
                               hypothesis=HYPOTHESIS_EXAMPLES))
    unique: list[InputSpec] = []
    for spec in specs:
        if spec is not None and all(spec.as_job() != s.as_job() for s in unique):
            unique.append(spec)
    return Sources(tuple(unique),
                   "; ".join(x for x in (not_from_workload, not_from_tests) if x))


def with_checks(spec: InputSpec, others: tuple[InputSpec, ...] | list[InputSpec]
                ) -> InputSpec:
    """`spec` timed, the `others` (without their own checks) kept for correctness only."""
    return replace(spec, checks=tuple(replace(o, checks=()) for o in others))


HIDDEN_NAME = "hidden_inputs"


def with_hidden(spec: InputSpec) -> InputSpec:
    """A generator's file that also defines `hidden_inputs()` (the convention of benchmark task
    files): those inputs check correctness too. Found by reading the file, not running it."""
    if spec.hidden or not spec.callable or spec.callable == HIDDEN_NAME:
        return spec
    try:
        tree = ast.parse(Path(spec.path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return spec
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    return replace(spec, hidden=HIDDEN_NAME) if HIDDEN_NAME in defined else spec
