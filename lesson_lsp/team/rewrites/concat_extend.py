"""`acc = acc + more` inside a loop → `acc += more` (list.extend in place).

`acc + more` copies the whole list on every pass (quadratic); `+=` extends it in place.
Safe only for a local list that nothing else can see: created in the function by a list literal
or comprehension, never passed anywhere or returned before the loop ends.
"""

from __future__ import annotations

import libcst as cst

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_with_parents
from lesson_lsp.team.rewrites.bindings import names_in
from lesson_lsp.team.rewrites.edits import with_function
from lesson_lsp.team.rewrites.shapes import is_len_argument


def _fresh_lists(fn: cst.FunctionDef) -> set[str]:
    """Names bound only to new list literals/comprehensions in `fn`."""
    fresh: set[str] = set()
    other: set[str] = set()

    class Finder(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    name = target.target.value
                    is_concat = isinstance(node.value, cst.BinaryOperation) and isinstance(
                        node.value.left, cst.Name) and node.value.left.value == name
                    if isinstance(node.value, (cst.List, cst.ListComp)):
                        fresh.add(name)
                    elif not is_concat:
                        other.add(name)

    fn.body.visit(Finder())
    return fresh - other


def _unaliased(name: str, fn: cst.FunctionDef,
               parent_of: dict[cst.CSTNode, cst.CSTNode]) -> bool:
    """No second reference to the list can exist: it is only rebound, concatenated, indexed,
    iterated, measured or returned, never stored, passed or yielded."""
    for use in names_in(fn.body, name):
        parent = parent_of.get(use)
        if isinstance(parent, (cst.AssignTarget, cst.Return, cst.Subscript, cst.For,
                               cst.CompFor, cst.ComparisonTarget, cst.Comparison)):
            continue
        if isinstance(parent, cst.BinaryOperation) and parent.left is use:
            continue
        if is_len_argument(use, parent_of):
            continue
        return False
    return True


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    fresh = {n for n in _fresh_lists(fn) if _unaliased(n, fn, parent_of)}
    changed: list[str] = []

    class Transform(cst.CSTTransformer):
        depth = 0

        def visit_For(self, node: cst.For) -> None:
            self.depth += 1

        def leave_For(self, original: cst.For, updated: cst.For) -> cst.For:
            self.depth -= 1
            return updated

        def visit_While(self, node: cst.While) -> None:
            self.depth += 1

        def leave_While(self, original: cst.While, updated: cst.While) -> cst.While:
            self.depth -= 1
            return updated

        def leave_Assign(self, original: cst.Assign, updated: cst.Assign
                         ) -> cst.Assign | cst.AugAssign:
            value = updated.value
            if self.depth and len(updated.targets) == 1 and \
                    isinstance(updated.targets[0].target, cst.Name) and \
                    isinstance(value, cst.BinaryOperation) and \
                    isinstance(value.operator, cst.Add) and isinstance(value.left, cst.Name) and \
                    value.left.value == updated.targets[0].target.value and \
                    value.left.value in fresh and isinstance(value.right, (cst.List, cst.ListComp)):
                changed.append(value.left.value)
                return cst.AugAssign(target=cst.Name(value.left.value),
                                     operator=cst.AddAssign(), value=value.right)
            return updated

    new_fn = fn.visit(Transform())
    if not changed:
        return None
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"`{changed[0]} = {changed[0]} + [...]` in a loop copied the list on every "
                   "pass; `+=` extends it in place")


RULE = Rule(
    name="concat-extend",
    idea="extend a list in place instead of rebuilding it with + in a loop",
    apply=apply,
)
