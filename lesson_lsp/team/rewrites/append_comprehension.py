"""`out = []` followed by a loop that only appends to it → a list comprehension.

A comprehension builds the list without a method lookup and call per item. Safe when the loop's
body is one `out.append(expr)` (optionally under one `if`), the loop has no `else`, and neither
the list nor the loop variable is used in the loop otherwise or after it before being rebound.
"""

from __future__ import annotations

import libcst as cst

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_function
from lesson_lsp.team.rewrites.bindings import name_nodes, names_in
from lesson_lsp.team.rewrites.edits import with_comments_of, with_function


def _append_of(statement: cst.BaseStatement, name: str) -> cst.BaseExpression | None:
    """`expr` when `statement` is exactly `name.append(expr)`."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return None
    expr = statement.body[0]
    if not isinstance(expr, cst.Expr) or not isinstance(expr.value, cst.Call):
        return None
    call = expr.value
    func = call.func
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
            func.value.value == name and func.attr.value == "append" and len(call.args) == 1 \
            and call.args[0].keyword is None and call.args[0].star == "":
        return call.args[0].value
    return None


def _comprehension(loop: cst.For, name: str) -> cst.ListComp | None:
    if loop.orelse is not None or loop.asynchronous is not None:
        return None
    body = loop.body.body if isinstance(loop.body, cst.IndentedBlock) else ()
    if len(body) != 1:
        return None
    statement = body[0]
    condition = None
    if isinstance(statement, cst.If) and statement.orelse is None and \
            isinstance(statement.body, cst.IndentedBlock) and len(statement.body.body) == 1:
        condition, statement = statement.test, statement.body.body[0]
    element = _append_of(statement, name)
    if element is None or names_in(element, name) or (condition and names_in(condition, name)):
        return None
    ifs = [cst.CompIf(test=condition)] if condition is not None else []
    return cst.ListComp(elt=element, for_in=cst.CompFor(target=loop.target, iter=loop.iter,
                                                        ifs=ifs))


def _all_target_names(target: cst.BaseExpression) -> set[str]:
    found: set[str] = set()

    class Finder(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            found.add(node.value)

    target.visit(Finder())
    return found


class _Transform(cst.CSTTransformer):
    def __init__(self) -> None:
        self.changed: list[str] = []

    def _rewrite(self, body: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
        out: list[cst.BaseStatement] = []
        i = 0
        while i < len(body):
            statement = body[i]
            nxt = body[i + 1] if i + 1 < len(body) else None
            name = _empty_list_assignment(statement)
            if name and isinstance(nxt, cst.For):
                comprehension = _comprehension(nxt, name)
                later = body[i + 2:]
                leaks = _all_target_names(nxt.target) & {
                    n.value for s in later for n in name_nodes(s)}
                if comprehension is not None and not leaks:
                    assert isinstance(statement, cst.SimpleStatementLine)
                    assign = statement.body[0]
                    assert isinstance(assign, cst.Assign)
                    out.append(with_comments_of([statement, nxt], statement.with_changes(
                        body=[assign.with_changes(value=comprehension)],
                        trailing_whitespace=statement.trailing_whitespace)))
                    self.changed.append(name)
                    i += 2
                    continue
            out.append(statement)
            i += 1
        return out

    def leave_IndentedBlock(self, original: cst.IndentedBlock,
                            updated: cst.IndentedBlock) -> cst.IndentedBlock:
        return updated.with_changes(body=self._rewrite(list(updated.body)))




def _empty_list_assignment(statement: cst.BaseStatement) -> str | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        assign = statement.body[0]
        if isinstance(assign, cst.Assign) and len(assign.targets) == 1 and \
                isinstance(assign.targets[0].target, cst.Name) and \
                isinstance(assign.value, cst.List) and not assign.value.elements:
            return assign.targets[0].target.value
    return None


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_function(source, context.name)
    if found is None:
        return None
    module, fn = found
    transform = _Transform()
    new_fn = fn.visit(transform)
    if not transform.changed:
        return None
    names = ", ".join(f"`{n}`" for n in transform.changed)
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"{names} was built by a loop of `.append` calls; a list comprehension "
                   "builds it without a call per item")


RULE = Rule(
    name="append-comprehension",
    idea="build a list with a comprehension instead of a loop of append calls",
    apply=apply,
)
