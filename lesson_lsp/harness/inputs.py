"""Where the inputs of a function come from, in this order: a generator named on the command
line (`--inputs FILE::CALLABLE`), calls sampled from a traced workload (`lesson-lsp trace`), a
generator named in `[tool.lesson-lsp.inputs]` of the nearest pyproject.toml, the calls in the
function's doctest examples, calls recorded while the project's own pytest tests run, then
values drawn from its type hints (hypothesis). Under a workload's calls, the examples and the
tests' calls are kept as correctness checks. Generators, examples, tests and
strategies run only inside the sandbox.
"""

from __future__ import annotations

import ast
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from lesson_lsp.config import Config
from lesson_lsp.fingerprint import fingerprint
from lesson_lsp.harness.capture import capture, has_tests
from lesson_lsp.harness.doctests import ORIGIN, Example
from lesson_lsp.harness.doctests import examples as doctest_steps
from lesson_lsp.project import locate
from lesson_lsp.tracing import store


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

    @property
    def named(self) -> bool:
        """Inputs the user chose (a generator) or that are generated: none are derived."""
        return bool(self.callable or self.hidden or self.hypothesis or self.workload)

    def as_job(self) -> dict[str, object]:
        steps = [example.as_json() for example in self.steps]
        return {"path": self.path, "callable": self.callable, "steps": steps,
                "hypothesis": self.hypothesis, "pickle": self.pickle, "hidden": self.hidden,
                "derived": self.derived, "checks": [c.as_job() for c in self.checks]}


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


async def _checks(target: Path, qualname: str, config: Config, function_source: str,
                  python: str, on_progress: Callable[[str], None] | None
                  ) -> tuple[InputSpec, ...]:
    """The other sources, held out: doctest examples or a configured generator, and the tests'
    calls (what the function was already known to do must stay true)."""
    found = [declared(target, qualname, config, None, function_source)]
    tests, _ = await captured(target, qualname, config, python, on_progress)
    found.append(tests)
    return tuple(x for x in found if x is not None)


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
    trace = store.load(Path(config.root or target.parent))
    if trace is None:
        return None, ""
    found = trace.fresh(target, qualname, fingerprint(function_source))
    if found is None:
        return None, ""
    command = " ".join(trace.command)
    if not found.captured or not Path(found.calls_file).is_file():
        return None, (f"the workload `{command}` called it {found.calls:,} times, but none of "
                      "its arguments could be copied (pickled, under 1 MB)")
    calls = "1 call" if found.captured == 1 else f"{found.captured} calls"
    return InputSpec(str(target.resolve()), "",
                     f"inputs from the workload: {calls} sampled from {found.calls:,} "
                     f"(`{command}`, {found.share:.0%} of its time)",
                     pickle=found.calls_file, workload=True), ""


async def resolve(target: Path, qualname: str, config: Config, cli: str | None = None,
                  function_source: str = "", python: str = "",
                  on_progress: Callable[[str], None] | None = None) -> InputSpec:
    """The inputs for `qualname` in `target`, from the first source that has some: a generator
    named with --inputs, calls sampled from a traced workload, a configured generator, doctest
    examples, calls captured from the project's tests, type hints. Under a workload's calls,
    the examples and the tests' calls still check correctness."""
    spec = declared(target, qualname, config, cli, function_source) if cli else None
    not_from_workload = ""
    if spec is None:
        workload, not_from_workload = traced(target, qualname, config, function_source)
        if workload is not None:
            return replace(workload, checks=await _checks(target, qualname, config,
                                                          function_source, python, on_progress))
    why_not = ""
    if spec is None:
        spec = declared(target, qualname, config, None, function_source)
    if spec is None:
        spec, why_not = await captured(target, qualname, config, python, on_progress)
        why_not = "; ".join(x for x in (not_from_workload, why_not) if x)
    if spec is None and function_source and "." not in qualname and \
            fully_typed(function_source):
        spec = InputSpec(str(target.resolve()), "", "type hints (hypothesis)"
                         + (f"; no captured calls: {why_not}" if why_not else ""),
                         hypothesis=HYPOTHESIS_EXAMPLES)
    if spec is not None:
        return spec
    root = Path(config.root or target.parent)
    try:
        relative = target.resolve().relative_to(root.resolve())
    except ValueError:
        relative = Path(target.name)
    because = f" ({why_not})" if why_not else ""
    raise InputsError(
        f"no inputs for `{qualname}`{because}: add doctest examples that call it, a pytest test "
        "that calls it, type hints on its parameters, or name a generator that returns a list of "
        f'argument tuples, with --inputs FILE::CALLABLE or in pyproject.toml: '
        f'[tool.lesson-lsp.inputs] "{relative.as_posix()}::{qualname}" = "FILE::CALLABLE"'
    )
