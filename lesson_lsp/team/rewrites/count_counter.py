"""`xs.count(x)` inside a loop → one `collections.Counter(xs)` before the loop.

Each `count` scans the whole list (quadratic in a loop); a Counter is built in one pass and
answers in O(1). Safe when the list is not changed inside the loop and is used there only for
`count`, iteration, membership and `len`. Unhashable items make Counter raise, which the
harness then reports as a behaviour change.
"""

from __future__ import annotations

import libcst as cst

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_with_parents
from lesson_lsp.team.rewrites.bindings import fresh_name, may_import, names_in
from lesson_lsp.team.rewrites.edits import AroundStatement
from lesson_lsp.team.rewrites.loops import outer_loops
from lesson_lsp.team.rewrites.shapes import is_len_argument


def _use(name: cst.Name, parent_of: dict[cst.CSTNode, cst.CSTNode]) -> str | None:
    parent = parent_of.get(name)
    if isinstance(parent, cst.Attribute) and parent.value is name:
        call = parent_of.get(parent)
        if parent.attr.value == "count" and isinstance(call, cst.Call) and len(call.args) == 1:
            return "count"
        return None
    if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is name:
        return "read"
    if isinstance(parent, cst.ComparisonTarget) and parent.comparator is name:
        return "read"
    return "read" if is_len_argument(name, parent_of) else None


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if not may_import(module, fn, "collections"):
        return None
    loops = outer_loops(fn)

    class Comprehensions(cst.CSTVisitor):
        def visit_ListComp(self, node: cst.ListComp) -> bool:
            statement = parent_of.get(node)
            while statement is not None and not isinstance(statement, cst.SimpleStatementLine):
                statement = parent_of.get(statement)
            if statement is not None:
                loops.append(statement)
            return False

    fn.body.visit(Comprehensions())
    for loop in loops:
        counted = set()
        for call in _count_calls(loop):
            func = call.func
            assert isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
            counted.add(func.value.value)
        for name in sorted(counted):
            if isinstance(loop, cst.For) and names_in(loop.target, name):
                continue
            if all(_use(n, parent_of) for n in names_in(loop, name)):
                counts = fresh_name(module, f"{name}_counts")
                return _rewrite(module, loop, name, counts)
    return None


def _count_calls(node: cst.CSTNode) -> list[cst.Call]:
    found: list[cst.Call] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            func = call.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                    func.attr.value == "count" and len(call.args) == 1:
                found.append(call)

    node.visit(Finder())
    return found


def _rewrite(module: cst.Module, loop: cst.CSTNode, name: str, counts: str) -> Rewrite:
    class Transform(AroundStatement):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
            func = original.func
            if self.inside and isinstance(func, cst.Attribute) and \
                    isinstance(func.value, cst.Name) and func.value.value == name and \
                    func.attr.value == "count" and len(original.args) == 1:
                return cst.Subscript(value=cst.Name(counts), slice=[cst.SubscriptElement(
                    slice=cst.Index(value=updated.args[0].value))])
            return updated

    build = cst.parse_statement(f"{counts} = collections.Counter({name})")
    new_module = module.visit(Transform(loop, [build]))
    return Rewrite(new_module.code, ("import collections",),
                   f"`{name}.count(…)` in a loop scanned the list each time; one "
                   f"collections.Counter `{counts}` counts everything in one pass")


RULE = Rule(
    name="count-counter",
    idea="count every item once with collections.Counter instead of list.count in a loop",
    apply=apply,
)
