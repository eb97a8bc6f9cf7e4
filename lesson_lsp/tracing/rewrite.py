"""Inside the workload: the project's modules compiled with a recording prologue in each def.

Standard library only. The prologue is compiled into the function itself, at its first
statement's line, so line numbers, decorators and tracebacks stay as written, references taken
at import time (registries, `functools.partial`) record too, and a call costs a few list
operations (no wrapper call). Nothing is written to the
project: the transformed code is compiled in memory, never cached as .pyc.

Tracing must never change what the workload does: a module that cannot be instrumented (a
construct this rewriter gets wrong, a module too deep for the compiler once rewritten) is
compiled as written instead, and reported (`ProjectFinder.skipped`).
"""

from __future__ import annotations

import ast
import importlib.machinery
import os
import sys
import time
from collections.abc import Callable
from typing import Any

NAMES = ("__lesson_left__", "__lesson_n__", "__lesson_d__", "__lesson_keep__")
PROLOGUE = """
__lesson_left__[S] -= 1
if not __lesson_left__[S]:
    __lesson_keep__(S, ARGS, KWARGS)
"""
NESTING = """
__lesson_n__[S] += 1
if not __lesson_d__[S]:
    __lesson_left__[S] -= 1
    if not __lesson_left__[S]:
        __lesson_keep__(S, ARGS, KWARGS)
__lesson_d__[S] += 1
try:
    pass
finally:
    __lesson_d__[S] -= 1
"""


class _Instrument:
    """Module-level functions and methods of (nested) classes, the ones a qualname reaches,
    get a prologue that counts the call and offers its arguments (read from the parameters
    before the body runs) to the sample; one that may recurse also tracks its nesting.

    Only statement lists are walked (a module's, a class's, and those of the compound
    statements among them: `if`, `try`, `with`, loops, `match`), never expressions: a module
    of deeply nested literals is not recursed into. Defs nested in functions are left alone:
    no qualname the harness can load reaches them."""

    def __init__(self, path: str, slot: Callable[[str, str, int, bool], int]) -> None:
        self.path, self.slot = path, slot
        self.prefix: list[str] = []

    def visit(self, tree: ast.Module) -> ast.Module:
        self._statements(tree.body)
        return tree

    def _statements(self, body: list[ast.stmt]) -> None:
        for index, statement in enumerate(body):
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not _accessor(statement):
                    body[index] = self._function(statement)
            elif isinstance(statement, ast.ClassDef):
                self.prefix.append(statement.name)
                self._statements(statement.body)
                self.prefix.pop()
            else:
                for block in _blocks(statement):
                    self._statements(block)

    def _function(self, node: Any) -> Any:
        qualname = ".".join([*self.prefix, node.name])
        first_line = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        drop_first = bool(self.prefix) and any(_named(d, "classmethod")
                                               for d in node.decorator_list)
        args, kwargs = _call_of(node.args, drop_first)
        nesting = _names_itself(node) and not isinstance(node, ast.AsyncFunctionDef) and \
            not _yields(node)
        slot = self.slot(self.path, qualname, first_line, nesting)
        added = ast.parse(NESTING if nesting else PROLOGUE).body
        added = _Fill(slot, args, kwargs).visit(ast.Module(body=added, type_ignores=[])).body
        body = node.body
        first = body[0] if body else None
        docstring = body[:1] if isinstance(first, ast.Expr) and isinstance(
            first.value, ast.Constant) and isinstance(first.value.value, str) else []
        rest = body[len(docstring):]
        if not rest:  # a body of a lone docstring: a `pass` where it ends
            rest = [ast.copy_location(ast.Pass(), body[-1])]
        anchor = rest[0]
        for statement in added:  # the prologue sits on the body's first line
            for part in ast.walk(statement):
                if "lineno" in part._attributes:
                    ast.copy_location(part, anchor)
                    part.end_lineno, part.end_col_offset = anchor.lineno, anchor.col_offset  # type: ignore[attr-defined]
        if nesting:
            added[-1].body = rest  # type: ignore[attr-defined]
            node.body = docstring + added
        else:
            node.body = docstring + added + rest
        return node


def _blocks(statement: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists inside a compound statement (none inside a simple one)."""
    found = [getattr(statement, name) for name in ("body", "orelse", "finalbody")
             if isinstance(getattr(statement, name, None), list)]
    found += [handler.body for handler in getattr(statement, "handlers", None) or []]
    found += [case.body for case in getattr(statement, "cases", None) or []]
    return found


class _Fill(ast.NodeTransformer):
    """S, ARGS and KWARGS of a prologue."""

    def __init__(self, slot: int, args: ast.expr, kwargs: ast.expr) -> None:
        self.values = {"S": ast.Constant(slot), "ARGS": args, "KWARGS": kwargs}

    def visit_Name(self, node: ast.Name) -> Any:
        return self.values.get(node.id, node)


def _call_of(arguments: ast.arguments, drop_first: bool) -> tuple[ast.expr, ast.expr]:
    """The call that passes the parameters' values again: (positional tuple, keyword dict)."""
    positional: list[ast.expr] = [ast.Name(a.arg, ast.Load())
                                  for a in [*arguments.posonlyargs, *arguments.args]]
    positional = positional[1:] if drop_first else positional
    if arguments.vararg is not None:
        positional.append(ast.Starred(ast.Name(arguments.vararg.arg, ast.Load()), ast.Load()))
    keys: list[ast.expr | None] = [ast.Constant(a.arg) for a in arguments.kwonlyargs]
    values: list[ast.expr] = [ast.Name(a.arg, ast.Load()) for a in arguments.kwonlyargs]
    if arguments.kwarg is not None:
        keys.append(None)
        values.append(ast.Name(arguments.kwarg.arg, ast.Load()))
    return ast.Tuple(positional, ast.Load()), ast.Dict(keys, values)


def _yields(node: Any) -> bool:
    """A generator (its frame outlives the call, so nesting cannot be told from depth)."""
    stack = list(node.body)
    while stack:
        part = stack.pop()
        if isinstance(part, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(part, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                 ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(part))
    return False


def _named(decorator: ast.expr, name: str) -> bool:
    return (isinstance(decorator, ast.Name) and decorator.id == name) or (
        isinstance(decorator, ast.Attribute) and decorator.attr == name)


def _accessor(node: Any) -> bool:
    """A property's setter or deleter (`@value.setter` over `def value`): it shares the getter's
    qualified name, by which the harness finds and optimizes the getter, so it runs as written
    (recording it too would file its calls, and its code, under the getter's name)."""
    return any(isinstance(d, ast.Attribute) and d.attr in ("setter", "deleter")
               for d in node.decorator_list)


def _names_itself(node: Any) -> bool:
    """Whether the body mentions the function's name (`f(...)`, `self.f(...)`): then it may
    recurse, and its prologue tracks nesting to sample outermost calls only. (Its decorators
    do not count: `@value.setter` over `def value` does not recurse.)"""
    for statement in node.body:
        for part in ast.walk(statement):
            if (isinstance(part, ast.Name) and part.id == node.name) or (
                    isinstance(part, ast.Attribute) and part.attr == node.name):
                return True
    return False


def compile_recording(source: bytes, path: str, slot: Callable[[str, str, int, bool], int]) -> Any:
    """The module's code with the recording prologue in each function."""
    tree = ast.parse(source, filename=path)
    tree = _Instrument(path, slot).visit(tree)
    return compile(tree, path, "exec", dont_inherit=True)


def compile_or_plain(source: bytes, path: str, slot: Callable[[str, str, int, bool], int],
                     skipped: Callable[[str, str], None] | None = None) -> Any:
    """The module's code with the recording prologue, or, if it cannot be instrumented, as
    written (`skipped(path, why)` is told). A module Python itself cannot compile raises
    here as it would without tracing."""
    try:
        return compile_recording(source, path, slot)
    except Exception as exc:  # whatever the rewriter did (RecursionError too), the module runs
        code = compile(source, path, "exec", dont_inherit=True)
        if skipped is not None:
            skipped(path, f"{type(exc).__name__}: {str(exc).strip()[:200]}")
        return code


# CPU seconds spent reading, rewriting and compiling the project's modules: the untraced program
# loads them from bytecode caches, so the tracer leaves this out of the workload's time, and
# out of the functions on the stack when it happened (`spent`: else the function whose import
# triggered it, `get_writer_class` say, looks hot).
INSTRUMENTING_S = [0.0]


class _Loader(importlib.machinery.SourceFileLoader):
    """A source loader that compiles the rewritten source (and neither reads nor writes .pyc)."""

    slot: Callable[[str, str, int, bool], int]
    skipped: Callable[[str, str], None] | None = None
    spent: Callable[[float, Any], None] | None = None

    def get_code(self, fullname: str) -> Any:
        path = self.get_filename(fullname)
        started = time.process_time()
        try:
            return compile_or_plain(self.get_data(path), path, self.slot, self.skipped)
        finally:
            seconds = time.process_time() - started
            INSTRUMENTING_S[0] += seconds
            if self.spent is not None:
                self.spent(seconds, sys._getframe(1))


class ProjectFinder:
    """First on sys.meta_path: asks the other finders, and gives the project's own source
    modules the rewriting loader."""

    def __init__(self, is_project: Callable[[str], bool],
                 slot: Callable[[str, str, int, bool], int],
                 skipped: Callable[[str, str], None] | None = None,
                 spent: Callable[[float, Any], None] | None = None) -> None:
        self.is_project, self.slot, self.skipped, self.spent = is_project, slot, skipped, spent

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        spec = None
        for finder in list(sys.meta_path):
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        origin = getattr(spec, "origin", None)
        if spec is None or spec.loader is None or not isinstance(origin, str) or \
                not origin.endswith(".py") or not self.is_project(origin):
            return spec
        loader = _Loader(fullname, origin)
        loader.slot = self.slot
        loader.skipped = self.skipped
        loader.spent = self.spent
        spec.loader = loader
        spec.cached = None
        return spec


def project_filter(root: str, skip_dirs: set[str]) -> Callable[[str], bool]:
    """Whether a file is the project's own code: under the root, not in a virtualenv, build or
    hidden folder, and not a test file."""
    base = os.path.realpath(root)
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    memo: dict[str, bool] = {}

    def check(path: str) -> bool:
        found = memo.get(path)
        if found is None:
            found = memo[path] = _is_project(os.path.realpath(path), base, skip_dirs, prefixes)
        return found

    return check


def _is_project(path: str, base: str, skip_dirs: set[str], prefixes: set[str]) -> bool:
    if any(path.startswith(p + os.sep) for p in prefixes if p != base and
           not base.startswith(p + os.sep)):
        return False
    relative = os.path.relpath(path, base)
    parts = relative.split(os.sep)
    if relative.startswith(".." + os.sep) or relative == ".." or os.path.isabs(relative):
        return False
    folders, name = parts[:-1], parts[-1]
    if any(p in skip_dirs or p.startswith(".") or p in ("tests", "test") or
           p.endswith("-packages") for p in folders):
        return False
    return not (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py")
