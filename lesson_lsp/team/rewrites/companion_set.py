"""A list that grows by `append` and is tested with `in` inside the same loop → keep a set beside
it for the tests ("seen" lists, order-keeping de-duplication, BFS visited lists).

The list stays (its order and contents are returned as before); each `in` test asks the set in
O(1) instead of scanning the list. Safe when, inside the loop, the list changes only through
`name.append(x)` statements and is used otherwise only for membership, iteration or `len`.
"""

from __future__ import annotations

import libcst as cst

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_with_parents
from lesson_lsp.team.rewrites.bindings import fresh_name, names_in
from lesson_lsp.team.rewrites.edits import SwapMembership
from lesson_lsp.team.rewrites.loops import outer_loops
from lesson_lsp.team.rewrites.shapes import is_len_argument, membership_tests

_LOOPS = (cst.For, cst.While)


def _use(name: cst.Name, parent_of: dict[cst.CSTNode, cst.CSTNode]) -> str | None:
    """'test' (x in L), 'append' (L.append(v) as a statement), 'read' (len, iteration) or None."""
    parent = parent_of.get(name)
    if isinstance(parent, cst.ComparisonTarget) and parent.comparator is name and \
            isinstance(parent.operator, (cst.In, cst.NotIn)):
        return "test"
    if isinstance(parent, cst.Attribute) and parent.value is name and parent.attr.value == "append":
        call = parent_of.get(parent)
        statement = parent_of.get(call) if call is not None else None
        if isinstance(call, cst.Call) and len(call.args) == 1 and isinstance(statement, cst.Expr):
            return "append"
        return None
    if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is name:
        return "read"
    return "read" if is_len_argument(name, parent_of) else None


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    for loop in outer_loops(fn):
        tested = {t.comparator.value for t in membership_tests(loop)}  # type: ignore[attr-defined]
        for name in sorted(tested):
            uses = [_use(n, parent_of) for n in names_in(loop, name)]
            if None in uses or "append" not in uses:
                continue
            if isinstance(loop, cst.For) and names_in(loop.target, name):
                continue
            set_name = fresh_name(module, f"{name}_set")
            return _rewrite(module, loop, name, set_name)
    return None


def _rewrite(module: cst.Module, loop: cst.CSTNode, name: str, set_name: str) -> Rewrite:
    class Transform(SwapMembership):
        """…and records every `name.append(v)` in the set as well."""

        def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                      updated: cst.SimpleStatementLine
                                      ) -> cst.BaseStatement | cst.FlattenSentinel:
            if not self.inside or len(updated.body) != 1:
                return updated
            expr = updated.body[0]
            if isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call):
                func = expr.value.func
                if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                        func.value.value == name and func.attr.value == "append":
                    # The appended value, evaluated once, is recorded in both.
                    record = cst.parse_statement(f"{set_name}.add({name}[-1])")
                    return cst.FlattenSentinel([updated, record])
            return updated

    new_module = module.visit(Transform(loop, name, set_name))
    return Rewrite(
        new_module.code, (),
        f"`{name}` grows by append and is tested with `in` in the same loop; each test scanned "
        f"the whole list, so a set `{set_name}` now answers the tests while the list keeps order",
    )


RULE = Rule(
    name="companion-set",
    idea="keep a set beside a list that is both appended to and searched in a loop",
    apply=apply,
)
