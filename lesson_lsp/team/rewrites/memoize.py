"""Memoize a pure recursive function with a cache that lives for one top-level call.

The cache is local to each call on purpose: a module-level cache would only look fast by
remembering answers between calls, and would hold memory forever.
"""

from __future__ import annotations

import libcst as cst

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_function
from lesson_lsp.team.rewrites.bindings import fresh_name, may_import
from lesson_lsp.team.rewrites.edits import with_function
from lesson_lsp.team.rewrites.shapes import has_any

_MUTATORS = {"append", "extend", "insert", "pop", "remove", "clear", "update", "add", "sort",
             "reverse", "setdefault", "popitem", "discard", "write"}
_IMPURE = {"print", "input", "open", "exec", "eval", "setattr", "delattr", "id"}


def _is_pure_enough(fn: cst.FunctionDef) -> bool:
    """No global state, I/O, argument mutation or generators: calling twice must be the same."""
    if has_any(fn.body, (cst.Global, cst.Nonlocal, cst.Yield, cst.Await, cst.Lambda,
                         cst.FunctionDef, cst.ClassDef)):
        return False
    bad = False

    class Check(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            nonlocal bad
            if not isinstance(node.target, cst.Name):
                bad = True

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            nonlocal bad
            if not isinstance(node.target, cst.Name):
                bad = True

        def visit_Del(self, node: cst.Del) -> None:
            nonlocal bad
            bad = True

        def visit_Call(self, node: cst.Call) -> None:
            nonlocal bad
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in _MUTATORS:
                bad = True
            if isinstance(func, cst.Name) and func.value in _IMPURE:
                bad = True
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                    func.value.value in ("random", "time", "os", "sys"):
                bad = True

    fn.body.visit(Check())
    return not bad


def _calls_itself(fn: cst.FunctionDef) -> bool:
    name = fn.name.value
    found = False

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            nonlocal found
            if isinstance(node.func, cst.Name) and node.func.value == name:
                found = True

    fn.body.visit(Finder())
    return found


class _RenameCalls(cst.CSTTransformer):
    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if isinstance(updated.func, cst.Name) and updated.func.value == self.old:
            return updated.with_changes(func=cst.Name(self.new))
        return updated


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_function(source, context.name)
    if found is None or context.is_method:
        return None
    module, fn = found
    if not may_import(module, fn, "functools"):
        return None
    params = fn.params
    if fn.asynchronous is not None or params.star_kwarg is not None or \
            isinstance(params.star_arg, cst.Param):
        return None
    if not _calls_itself(fn) or not _is_pure_enough(fn):
        return None
    if not isinstance(fn.body, cst.IndentedBlock):
        return None
    body = list(fn.body.body)
    docstring: list[cst.BaseStatement] = []
    if body and isinstance(body[0], cst.SimpleStatementLine) and len(body[0].body) == 1 and \
            isinstance(body[0].body[0], cst.Expr) and \
            isinstance(body[0].body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
        docstring, body = body[:1], body[1:]
    inner_name = fresh_name(module, "_" + context.name)
    inner_body = fn.body.with_changes(body=body).visit(_RenameCalls(context.name, inner_name))
    assert isinstance(inner_body, cst.IndentedBlock)
    inner = fn.with_changes(
        name=cst.Name(inner_name),
        decorators=[cst.Decorator(cst.parse_expression("functools.cache"))],
        body=inner_body,
        leading_lines=[],
    )
    args = [p.name.value for p in (*params.posonly_params, *params.params)]
    args += [f"{p.name.value}={p.name.value}" for p in params.kwonly_params]
    call = cst.parse_statement(f"return {inner_name}({', '.join(args)})")
    outer = fn.with_changes(body=fn.body.with_changes(body=[*docstring, inner, call]))
    return Rewrite(
        with_function(module, fn, outer),
        ("import functools",),
        f"`{context.name}` calls itself on overlapping subproblems; a per-call "
        "functools.cache turns the repeated calls into lookups",
    )


RULE = Rule(
    name="memoize",
    idea="cache the results of a pure recursive function so each subproblem is solved once",
    apply=apply,
)
