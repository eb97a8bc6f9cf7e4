"""A function's doctest examples as inputs. The parent reads the function's own docstring into
`Example`s (`examples`), which travel to the sandbox as JSON; the worker replays them in order in
a copy of the module's namespace and keeps the arguments of the calls they make (`replay`).
Standard library only: both sides import it.

An example marked `+SKIP` never runs. One that fails is left out with its calls and counted, as
doctest itself would report it; only when no call survives is that an error.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import doctest
import io
import textwrap
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

MARKED = "marked +SKIP"
ORIGIN = "doctest examples"

# Builtins that bind no name and change none of their arguments: an expression statement made
# of these and calls of the function does nothing that later examples could need, so it is not
# run (its calls are recorded), which spares running the slow function once more per load.
_PURE = frozenset({
    "abs", "all", "any", "bool", "dict", "enumerate", "float", "frozenset", "int", "isinstance",
    "iter", "len", "list", "max", "min", "print", "range", "repr", "reversed", "round", "set",
    "sorted", "str", "sum", "tuple", "type", "zip"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


@dataclass(frozen=True)
class Call:
    """A call of the function, as expressions the worker evaluates where the call stands."""

    args: str  # a tuple display: "(data,)", "(*xs, 2,)", "()"
    kwargs: str = "{}"  # a dict display: "{'k': 2}", "{**options}"
    receiver: str = ""  # `foo` in `foo.bar(2)`: whether it is an argument is the worker's call
    loop: str = ""  # "for i in (xs) if (i)": the call is made once per item of a comprehension


@dataclass(frozen=True)
class Statement:
    code: str
    run: bool  # False: nothing in it but recorded calls and pure builtins
    calls: tuple[Call, ...] = ()


@dataclass(frozen=True)
class Example:
    line: int  # of the docstring (1: the opening quotes), for messages
    statements: tuple[Statement, ...] = ()
    skip: str = ""  # MARKED, or why the parent could not read it
    raises: bool = False  # it expects an exception: raising does not make it fail

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- parent side


def examples(function_source: str, name: str) -> tuple[Example, ...]:
    """The examples in the docstring of the function in `function_source` (at column 0), in
    order; empty when none that may run calls `name`."""
    try:
        tree = ast.parse(textwrap.dedent(function_source))
    except SyntaxError:
        return ()
    fn = tree.body[0] if tree.body else None
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ()
    doc = ast.get_docstring(fn, clean=False)  # as doctest reads it: lines count from the quotes
    if not doc:
        return ()
    try:
        parsed = doctest.DocTestParser().get_examples(doc)
    except ValueError:
        return ()
    found = tuple(_example(example, name) for example in parsed)
    return found if any(s.calls for e in found for s in e.statements) else ()


def _example(example: doctest.Example, name: str) -> Example:
    line = example.lineno + 1
    if example.options.get(doctest.SKIP):
        return Example(line, skip=MARKED)
    try:
        tree = ast.parse(example.source)
    except SyntaxError as exc:
        return Example(line, skip=f"SyntaxError: {exc.msg}")
    # One statement per part, so that `a = [1]; f(a)` sees `a` when its call is evaluated.
    single = len(tree.body) == 1
    statements = tuple(_statement(node, example.source if single else ast.unparse(node), name)
                       for node in tree.body)
    return Example(line, statements, raises=example.exc_msg is not None)


def _statement(node: ast.stmt, code: str, name: str) -> Statement:
    calls: list[Call] = []
    _collect(node, name, (), calls)
    quiet = isinstance(node, ast.Expr) and bool(calls) and _pure(node.value, name)
    return Statement(code, not quiet, tuple(calls))


def _collect(node: ast.AST, name: str, loop: tuple[str, ...], out: list[Call]) -> None:
    """The calls of `name` in `node` made where the statement runs (or once per item of a
    comprehension); not those in a function, class or lambda, nor in a compound statement's
    body, whose names are bound elsewhere."""
    if isinstance(node, _SCOPES):
        return
    if isinstance(node, _COMPREHENSIONS):
        _comprehension(node, name, loop, out)
        return
    call = _call(node, name, loop)
    if call is not None:
        out.append(call)
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
            _collect(child, name, loop, out)


def _comprehension(node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp,
                   name: str, loop: tuple[str, ...], out: list[Call]) -> None:
    clauses = loop
    for generator in node.generators:
        if generator.is_async:
            return
        _collect(generator.iter, name, clauses, out)
        clauses = (*clauses, f"for {ast.unparse(generator.target)} in "
                             f"({ast.unparse(generator.iter)})")
        for condition in generator.ifs:
            _collect(condition, name, clauses, out)
            clauses = (*clauses, f"if ({ast.unparse(condition)})")
    parts = (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,)
    for part in parts:
        _collect(part, name, clauses, out)


def _call(node: ast.AST, name: str, loop: tuple[str, ...]) -> Call | None:
    """`name(...)` or `something.name(...)` as a `Call`."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Name) and func.id == name:
        receiver = ""
    elif isinstance(func, ast.Attribute) and func.attr == name:
        receiver = ast.unparse(func.value)
    else:
        return None
    args = "".join(f"{ast.unparse(a)}, " for a in node.args).rstrip(" ")
    kwargs = ", ".join(f"{k.arg!r}: {ast.unparse(k.value)}" if k.arg else
                       f"**{ast.unparse(k.value)}" for k in node.keywords)
    return Call(f"({args})", f"{{{kwargs}}}", receiver, " ".join(loop))


def _pure(node: ast.expr, name: str) -> bool:
    """Nothing in the expression binds a name or calls anything but `name` and pure builtins."""
    for sub in ast.walk(node):
        if isinstance(sub, (ast.NamedExpr, ast.Lambda, ast.Await, ast.Yield, ast.YieldFrom)):
            return False
        if isinstance(sub, ast.Call) and not (
                isinstance(sub.func, ast.Name) and (sub.func.id == name or sub.func.id in _PURE)):
            return False
    return True


# --------------------------------------------------------------------------- worker side


@dataclass
class Replayed:
    """The calls the examples made: (args, kwargs) pairs, or zero-argument functions that make
    new ones for every use (their arguments cannot be copied, or looking at them drains them)."""

    calls: list[Any]
    examples: int
    marked: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)  # (line, error)

    def origin(self) -> str:
        """'doctest examples (2 of 7 skipped: 1 marked +SKIP, 1 failed: NameError: …)'."""
        return f"{ORIGIN} ({self._skipped()})" if self.marked or self.failures else ORIGIN

    def error(self) -> str:
        """Why no call survived, naming the first failure."""
        if not self.failures:
            marked = f" ({self._skipped()})" if self.marked else ""
            return f"no doctest example that runs made a call to the function{marked}"
        line, error = self.failures[0]
        return (f"no doctest example could be replayed ({self._skipped(detail=False)}); the "
                f"first failure, on line {line} of the docstring: {error}")

    def _skipped(self, detail: bool = True) -> str:
        reasons = [f"{self.marked} {MARKED}"] if self.marked else []
        if self.failures:
            first = f": {self.failures[0][1][:120]}" if detail else ""
            reasons.append(f"{len(self.failures)} failed{first}")
        skipped = self.marked + len(self.failures)
        return f"{skipped} of {self.examples} skipped: {', '.join(reasons)}"


def replay(examples: list[dict[str, Any]], namespace: dict[str, Any],
           method: bool) -> Replayed:
    """Run the examples (as JSON) in order in a copy of `namespace` and keep their calls'
    arguments. `method`: the function is a plain function defined in a class, so a call's
    receiver is its first argument (unless it is a class: `Foo.bar(foo, 2)` names it)."""
    scope = dict(namespace)
    done = Replayed([], len(examples))
    with contextlib.redirect_stdout(io.StringIO()):
        for example in examples:
            if example["skip"] == MARKED:
                done.marked += 1
                continue
            if example["skip"]:
                done.failures.append((example["line"], example["skip"]))
                continue
            found: list[Any] = []
            try:
                for statement in example["statements"]:
                    for call in statement["calls"]:
                        found += _arguments(call, scope, method)
                    if statement["run"]:
                        exec(compile(statement["code"], "<doctest>", "exec"), scope)
            except Exception as exc:
                if not example["raises"]:
                    done.failures.append((example["line"], _one_line(exc)))
                    continue
            done.calls += found
    return done


def _arguments(call: dict[str, str], scope: dict[str, Any], method: bool) -> list[Any]:
    """The calls one `Call` makes now (several in a comprehension), receiver evaluated first."""
    receiver = call["receiver"]
    code = compile(f"[(({receiver or 'None'}), {call['args']}, {call['kwargs']}) "
                   f"{call['loop']}]", "<doctest>", "eval")
    prepend = method and bool(receiver)
    snapshot = dict(scope)  # the names as bound now, for making the arguments again

    def again(index: int) -> Callable[[], tuple[tuple, dict]]:
        return lambda: _pair(eval(code, snapshot)[index], prepend)

    return [_keep(_pair(made, prepend), again(index))
            for index, made in enumerate(eval(code, scope))]


def _pair(made: tuple[Any, Any, Any], prepend: bool) -> tuple[tuple, dict]:
    receiver, args, kwargs = made
    if prepend and not isinstance(receiver, type):
        args = (receiver, *args)
    return tuple(args), dict(kwargs)


def _keep(pair: tuple[tuple, dict], again: Callable[[], tuple[tuple, dict]]) -> Any:
    """The call as a copy taken now (later examples may change the objects), or a function that
    makes its arguments anew: evaluated again when they cannot be copied (a generator), copied
    again when they hold an iterator (looking at the arguments before a call drains it)."""
    try:
        kept = copy.deepcopy(pair)
    except Exception:
        again()  # it must work more than once
        return again
    if _holds_iterator(kept):
        return lambda: copy.deepcopy(kept)
    return kept


def _holds_iterator(value: Any, depth: int = 0) -> bool:
    if hasattr(type(value), "__next__"):
        return True
    if depth > 20:
        return False
    if isinstance(value, dict):
        return any(_holds_iterator(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_holds_iterator(v, depth + 1) for v in value)
    return False


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
