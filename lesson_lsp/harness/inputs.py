"""Where the inputs of a function come from, in this order: a user-named generator
(`--inputs FILE::CALLABLE`, or `[tool.lesson-lsp.inputs]` in the nearest pyproject.toml), the
calls in the function's doctest examples, calls recorded while the project's own pytest tests
run, then values drawn from its type hints (hypothesis). Generators, examples, tests and
strategies run only inside the sandbox.
"""

from __future__ import annotations

import ast
import base64
import doctest
import textwrap
from dataclasses import dataclass
from pathlib import Path

from lesson_lsp.config import Config


class InputsError(Exception):
    """No usable inputs; the message says how to give some."""


@dataclass(frozen=True)
class InputSpec:
    """A generator (`path`, `callable`) or doctest `steps`: ("exec", code) or ("call", args)."""

    path: str
    callable: str
    origin: str
    steps: tuple[tuple[str, str], ...] = ()
    hypothesis: int = 0  # how many examples to generate from type hints
    pickle: str = ""  # calls captured from the project's tests
    hidden: str = ""  # a second generator in the same file: inputs for correctness only
    derived: str = ""  # a pickle of larger calls grown from tiny ones: the ones timed (scale)

    @property
    def named(self) -> bool:
        """Inputs the user chose (a generator) or that are generated: none are derived."""
        return bool(self.callable or self.hidden or self.hypothesis)

    def as_job(self) -> dict[str, object]:
        steps = [list(step) for step in self.steps]
        return {"path": self.path, "callable": self.callable, "steps": steps,
                "hypothesis": self.hypothesis, "pickle": self.pickle, "hidden": self.hidden,
                "derived": self.derived}


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


def _call_args(node: ast.AST, name: str) -> str | None:
    """For a call to `name` (or `something.name`), an expression giving (args, kwargs)."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    callee = func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else None)
    if callee != name or any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords):
        return None
    args = ", ".join(ast.unparse(a) for a in node.args)
    kwargs = ", ".join(f"{k.arg!r}: {ast.unparse(k.value)}" for k in node.keywords)
    return f"(({args}{',' if len(node.args) == 1 else ''}), {{{kwargs}}})"


def doctest_steps(function_source: str, name: str) -> tuple[tuple[str, str], ...]:
    """The doctest examples of a function (at column 0) as setup code and argument expressions
    of calls to `name`; empty when it has no example that calls it."""
    try:
        tree = ast.parse(textwrap.dedent(function_source))
    except SyntaxError:
        return ()
    fn = tree.body[0] if tree.body else None
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ()
    doc = ast.get_docstring(fn)
    if not doc:
        return ()
    steps: list[tuple[str, str]] = []
    try:
        examples = doctest.DocTestParser().get_examples(doc)
    except ValueError:
        return ()
    for example in examples:
        code = example.source.strip()
        try:
            parsed = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(parsed):
            call = _call_args(node, name)
            if call is not None:
                steps.append(("call", call))
        is_expression = len(parsed.body) == 1 and isinstance(parsed.body[0], ast.Expr)
        if not is_expression:
            steps.append(("exec", code))  # setup that later examples may need
    return tuple(steps) if any(kind == "call" for kind, _ in steps) else ()


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
        return InputSpec(str(target.resolve()), "", "doctest examples", steps)
    return None


_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", ".lesson-lsp", "__pycache__", ".tox",
              "build", "dist", "site-packages"}


def has_tests(root: Path, depth: int = 3) -> bool:
    """Does the project hold pytest-style test files (looked for a few levels deep)?"""
    def walk(folder: Path, level: int) -> bool:
        try:
            entries = list(folder.iterdir())
        except OSError:
            return False
        for entry in entries:
            if entry.is_file() and entry.suffix == ".py" and (
                    entry.name.startswith("test_") or entry.stem.endswith("_test")):
                return True
        return level < depth and any(
            walk(e, level + 1) for e in entries if e.is_dir() and e.name not in _SKIP_DIRS)

    return walk(root, 0)


async def captured(target: Path, qualname: str, config: Config, store: Path) -> InputSpec | None:
    """Run the project's tests in the sandbox and keep the calls they make to the function."""
    from lesson_lsp.harness import sandbox

    root = Path(config.root or target.parent)
    if not has_tests(root):
        return None
    job = {"mode": "capture", "module_path": str(target.resolve()), "qualname": qualname,
           "sys_path": [str(target.resolve().parent), str(root)], "tests_root": str(root),
           "capture_limit": 50}
    result = await sandbox.run(job, timeout_s=max(60.0, config.harness.timeout_s * 6),
                               memory_mb=config.harness.memory_mb)
    payload = result.payload
    if payload is None or payload.get("status") != "ok" or not payload.get("calls"):
        return None
    store.mkdir(parents=True, exist_ok=True)
    path = store / f"{target.stem}.{qualname}.pickle"
    path.write_bytes(base64.b64decode(payload["pickle_b64"]))
    return InputSpec(str(target.resolve()), "",
                     f"{payload['calls']} calls captured from the project's tests",
                     pickle=str(path))


async def resolve(target: Path, qualname: str, config: Config, cli: str | None = None,
                  function_source: str = "") -> InputSpec:
    """The inputs for `qualname` in `target`, from the first source that has some: a named
    generator, doctest examples, calls captured from the project's tests, type hints."""
    spec = declared(target, qualname, config, cli, function_source)
    if spec is None:
        spec = await captured(target, qualname, config, config.bank_path().parent / "captured")
    if spec is None and function_source and "." not in qualname and \
            fully_typed(function_source):
        spec = InputSpec(str(target.resolve()), "", "type hints (hypothesis)",
                         hypothesis=HYPOTHESIS_EXAMPLES)
    if spec is not None:
        return spec
    root = Path(config.root or target.parent)
    try:
        relative = target.resolve().relative_to(root.resolve())
    except ValueError:
        relative = Path(target.name)
    raise InputsError(
        f"no inputs for `{qualname}`: add doctest examples that call it, a pytest test that "
        "calls it, type hints on its parameters, or name a generator that returns a list of "
        f'argument tuples, with --inputs FILE::CALLABLE or in pyproject.toml: '
        f'[tool.lesson-lsp.inputs] "{relative.as_posix()}::{qualname}" = "FILE::CALLABLE"'
    )
