"""Loop-invariant `len(xs)`, `max(xs)`, `min(xs)`, `sum(xs)` → computed once before the loop.

`while i < len(xs)` calls `len` on every pass although `xs` never changes; `max(xs)` in a
condition rescans the whole list each time. Safe only when provably invariant: `xs` is a plain
name the loop never rebinds, in the loop it is only read (subscripts, iteration, membership,
builtin arguments — no method calls, no stores), and every call in the loop is a builtin that
does not get `xs` to change, or a function nested in this one that never mentions it. `len` is
hoisted from anywhere in a `while` loop; `max`/`min`/`sum`, which can raise on an empty
sequence, only from a `while` condition, which runs at least once.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_with_parents
from lesson_lsp.team.rewrites.bindings import bound_names, fresh_name, is_builtin, names_in
from lesson_lsp.team.rewrites.edits import AroundStatement
from lesson_lsp.team.rewrites.effects import calls_leave_alone, reads
from lesson_lsp.team.rewrites.loops import within
from lesson_lsp.team.rewrites.shapes import call_to

_FUNCTIONS = ("len", "max", "min", "sum")


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    functions = [f for f in _FUNCTIONS if is_builtin(module, f)]
    for loop in m.findall(fn.body, m.While()):
        assert isinstance(loop, cst.While)
        if not isinstance(parent_of.get(loop), cst.IndentedBlock):
            continue
        candidates: list[tuple[str, str]] = []
        for call in m.findall(loop, m.Call(func=m.Name())):
            assert isinstance(call, cst.Call) and isinstance(call.func, cst.Name)
            f = call.func.value
            if f not in functions or not call_to(call, f, 1) or \
                    not isinstance(call.args[0].value, cst.Name):
                continue
            if f != "len" and not within(call, loop.test, parent_of):
                continue
            candidates.append((f, call.args[0].value.value))
        for f, xs in dict.fromkeys(candidates):
            if xs in bound_names(loop) or not calls_leave_alone(module, fn, loop, xs):
                continue
            if not all(reads(u, parent_of) for u in names_in(loop, xs)):
                continue
            value = fresh_name(module, f"{xs}_{f}")
            return _rewrite(module, loop, f, xs, value)
    return None


def _rewrite(module: cst.Module, loop: cst.While, f: str, xs: str, value: str) -> Rewrite:
    pattern = m.Call(func=m.Name(f), args=[m.Arg(m.Name(xs))])

    class Transform(AroundStatement):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
            if self.inside and m.matches(original, pattern):
                if f != "len" and not self.in_test:
                    return updated
                return cst.Name(value, lpar=updated.lpar, rpar=updated.rpar)
            return updated

        in_test = False

        def visit_While_test(self, node: cst.While) -> None:
            self.in_test = node is loop

        def leave_While_test(self, node: cst.While) -> None:
            self.in_test = False

    before = [cst.parse_statement(f"{value} = {f}({xs})")]
    new_module = module.visit(Transform(loop, before))
    return Rewrite(new_module.code, (),
                   f"`{f}({xs})` was recomputed on every pass of a loop that never changes "
                   f"`{xs}`; it is computed once before the loop as `{value}`")


RULE = Rule(
    name="hoist-invariant",
    idea="compute a loop-invariant len()/max()/min()/sum() once before the loop",
    apply=apply,
)
