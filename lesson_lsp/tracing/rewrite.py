"""Inside the workload: the project's modules compiled with a recording decorator on each def.

Standard library only. The decorator is added innermost (last in the list), at the def's own
line, so line numbers and every other decorator stay as written, and references taken at import
time (registries, `functools.partial`) hold the recording function. Nothing is written to the
project: the transformed code is compiled in memory, never cached as .pyc.
"""

from __future__ import annotations

import ast
import importlib.machinery
import os
import sys
from collections.abc import Callable
from typing import Any

HOOK = "__lesson_trace__"  # the decorator's name, in builtins (module namespaces stay as they are)


class _Decorate(ast.NodeTransformer):
    """Module-level functions and methods of (nested) classes: the ones a qualname reaches."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.prefix: list[str] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        self.prefix.append(node.name)
        self.generic_visit(node)
        self.prefix.pop()
        return node

    def visit_FunctionDef(self, node: Any) -> Any:
        qualname = ".".join([*self.prefix, node.name])
        drop_first = bool(self.prefix) and any(_named(d, "classmethod")
                                               for d in node.decorator_list)
        call = ast.Call(func=ast.Name(id=HOOK, ctx=ast.Load()), keywords=[], args=[
            ast.Constant(self.path), ast.Constant(qualname), ast.Constant(drop_first),
            ast.Constant(_names_itself(node))])
        for part in ast.walk(call):
            ast.copy_location(part, node)
            part.end_lineno, part.end_col_offset = node.lineno, node.col_offset  # type: ignore[attr-defined]
        node.decorator_list.append(call)
        return node  # nested defs are left alone: no qualname the harness can load reaches them

    visit_AsyncFunctionDef = visit_FunctionDef


def _named(decorator: ast.expr, name: str) -> bool:
    return (isinstance(decorator, ast.Name) and decorator.id == name) or (
        isinstance(decorator, ast.Attribute) and decorator.attr == name)


def _names_itself(node: Any) -> bool:
    """Whether the body mentions the function's name (`f(...)`, `self.f(...)`): then it may
    recurse, and its wrapper tracks nesting to sample outermost calls only."""
    for part in ast.walk(node):
        if part is node:
            continue
        if (isinstance(part, ast.Name) and part.id == node.name) or (
                isinstance(part, ast.Attribute) and part.attr == node.name):
            return True
    return False


def compile_recording(source: bytes, path: str) -> Any:
    """The module's code with the recording decorator on each function."""
    tree = ast.parse(source, filename=path)
    tree = _Decorate(path).visit(tree)
    return compile(tree, path, "exec", dont_inherit=True)


class _Loader(importlib.machinery.SourceFileLoader):
    """A source loader that compiles the rewritten source (and neither reads nor writes .pyc)."""

    def get_code(self, fullname: str) -> Any:
        path = self.get_filename(fullname)
        return compile_recording(self.get_data(path), path)


class ProjectFinder:
    """First on sys.meta_path: asks the other finders, and gives the project's own source
    modules the rewriting loader."""

    def __init__(self, is_project: Callable[[str], bool]) -> None:
        self.is_project = is_project

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
        spec.loader = _Loader(fullname, origin)
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
