"""A list used as a FIFO queue (`q.pop(0)`, `q.insert(0, x)`) → `collections.deque`.

`list.pop(0)` shifts every element (O(n)); `deque.popleft()` is O(1). Safe only when the list is
a local that is used in nothing but queue operations, truth tests, `len`, `q[0]`/`q[-1]` and
iteration, so nobody else can see that it became a deque.
"""

from __future__ import annotations

import libcst as cst

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_with_parents
from lesson_lsp.team.rewrites.bindings import may_import, names_in
from lesson_lsp.team.rewrites.shapes import is_len_argument

_OK_METHODS = {"append", "extend", "pop", "insert", "popleft", "appendleft", "count", "clear"}


def _int_value(arg: cst.Arg) -> int | None:
    value = arg.value
    if isinstance(value, cst.Integer):
        return int(value.value)
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus) and \
            isinstance(value.expression, cst.Integer):
        return -int(value.expression.value)
    return None


def _classify(name: cst.Name, parent_of: dict[cst.CSTNode, cst.CSTNode]) -> str | None:
    """What one use of the queue is: 'popleft', 'appendleft', 'ok', 'init' or None (unsafe)."""
    parent = parent_of.get(name)
    if isinstance(parent, cst.AssignTarget):
        return "init"
    if isinstance(parent, cst.Attribute) and parent.value is name:
        call = parent_of.get(parent)
        method = parent.attr.value
        if not isinstance(call, cst.Call) or call.func is not parent or method not in _OK_METHODS:
            return None
        if method == "pop" and len(call.args) == 1 and _int_value(call.args[0]) == 0:
            return "popleft"
        if method == "pop" and len(call.args) == 1 and _int_value(call.args[0]) != -1:
            return None
        if method == "insert":
            return "appendleft" if len(call.args) == 2 and _int_value(call.args[0]) == 0 else None
        return "ok"
    if isinstance(parent, (cst.While, cst.If, cst.IfExp)) and parent.test is name:
        return "ok"
    if isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
        return "ok"
    if isinstance(parent, cst.BooleanOperation):
        return "ok"
    if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is name:
        return "ok"
    if isinstance(parent, cst.Subscript) and parent.value is name and len(parent.slice) == 1:
        element = parent.slice[0].slice
        if isinstance(element, cst.Index) and _int_value(cst.Arg(element.value)) in (0, -1):
            target_of = parent_of.get(parent)
            return None if isinstance(target_of, (cst.AssignTarget, cst.AugAssign)) else "ok"
        return None
    return "ok" if is_len_argument(name, parent_of) else None


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if not may_import(module, fn, "collections"):
        return None
    for assign in _list_assignments(fn):
        target = assign.targets[0].target
        assert isinstance(target, cst.Name)
        uses = [_classify(n, parent_of) for n in names_in(fn.body, target.value)]
        if None in uses or uses.count("init") != 1:
            continue
        if "popleft" not in uses and "appendleft" not in uses:
            continue
        return _rewrite(module, assign, target.value, parent_of)
    return None


def _list_assignments(fn: cst.FunctionDef) -> list[cst.Assign]:
    found: list[cst.Assign] = []

    class Finder(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
                value = node.value
                if isinstance(value, (cst.List, cst.ListComp)) or (
                        isinstance(value, cst.Call) and isinstance(value.func, cst.Name)
                        and value.func.value == "list"):
                    found.append(node)

    fn.body.visit(Finder())
    return found


def _rewrite(module: cst.Module, assign: cst.Assign, name: str,
             parent_of: dict[cst.CSTNode, cst.CSTNode]) -> Rewrite:
    class Transform(cst.CSTTransformer):
        def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
            if original is assign:
                value = updated.value
                if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and \
                        value.func.value == "list":
                    args = value.args
                else:
                    args = [cst.Arg(value)] if not (
                        isinstance(value, cst.List) and not value.elements) else []
                new = cst.Call(cst.parse_expression("collections.deque"), args=list(args))
                return updated.with_changes(value=new)
            return updated

        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
            func = original.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                    func.value.value == name:
                if func.attr.value == "pop" and len(original.args) == 1 and \
                        _int_value(original.args[0]) == 0:
                    return updated.with_changes(
                        func=updated.func.with_changes(attr=cst.Name("popleft")),  # type: ignore
                        args=[])
                if func.attr.value == "insert" and len(original.args) == 2:
                    return updated.with_changes(
                        func=updated.func.with_changes(attr=cst.Name("appendleft")),  # type: ignore
                        args=[updated.args[1].with_changes(comma=cst.MaybeSentinel.DEFAULT)])
            return updated

    new_module = module.visit(Transform())
    return Rewrite(
        new_module.code,
        ("import collections",),
        f"`{name}` is a list used as a FIFO queue: `pop(0)`/`insert(0, …)` shift every element, "
        "so it becomes a collections.deque with O(1) `popleft`/`appendleft`",
    )


RULE = Rule(
    name="deque-queue",
    idea="use collections.deque for a FIFO queue instead of list.pop(0)/insert(0, x)",
    apply=apply,
)
