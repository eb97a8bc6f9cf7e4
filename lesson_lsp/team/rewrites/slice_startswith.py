"""`s[i:i + len(t)] == t` → `s.startswith(t, i)`.

The slice copies `len(t)` characters just to compare them; `startswith` compares in place. Safe
when `i` is the variable of a `for` over `range(…)` that starts at a non-negative literal and
the loop never rebinds it (from a negative start `startswith` would count from the end, the
slice would not), `s` and `t` are plain names, and the comparison is `==` or `!=`.
`startswith` exists on `str` and `bytes` only; for other sequences the candidate raises and
the harness rejects it (a type guard inside the loop would cost what the rewrite saves).

The rule's second form, a prefix `s[:len(t)] == t` or suffix `s[-len(t):] == t` compared once,
is `slice_affix`, guarded by the exact types at run time.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites import slice_affix
from lesson_lsp.team.rewrites.base import (
    Rewrite,
    RewriteContext,
    Rule,
    first_form,
    parse_with_parents,
)
from lesson_lsp.team.rewrites.bindings import bound_names, is_builtin
from lesson_lsp.team.rewrites.edits import with_function
from lesson_lsp.team.rewrites.shapes import call_to, equality_sides


def _window(node: cst.BaseExpression) -> tuple[str, str, str] | None:
    """(s, i, t) when `node` is `s[i:i + len(t)]`."""
    slice_ = m.Subscript(value=m.Name(), slice=[m.SubscriptElement(m.Slice(
        lower=m.Name(), upper=m.BinaryOperation(left=m.Name(), operator=m.Add(),
                                                right=m.Call(func=m.Name("len"),
                                                             args=[m.Arg(m.Name())])),
        step=None))])
    if not m.matches(node, slice_):
        return None
    assert isinstance(node, cst.Subscript)
    window = node.slice[0].slice
    assert isinstance(window, cst.Slice) and isinstance(window.upper, cst.BinaryOperation)
    lower, upper = window.lower, window.upper
    assert isinstance(lower, cst.Name) and isinstance(upper.left, cst.Name)
    if lower.value != upper.left.value:
        return None
    length = upper.right
    assert isinstance(length, cst.Call) and isinstance(node.value, cst.Name)
    t = length.args[0].value
    assert isinstance(t, cst.Name)
    return node.value.value, lower.value, t.value


def _counts_up_from_zero(loop: cst.CSTNode | None, i: str) -> bool:
    if not (isinstance(loop, cst.For) and isinstance(loop.target, cst.Name)
            and loop.target.value == i and call_to(loop.iter, "range")):
        return False
    assert isinstance(loop.iter, cst.Call)
    args = loop.iter.args
    if len(args) == 1:
        return i not in bound_names(loop.body)
    if len(args) == 3 and not (isinstance(args[2].value, cst.Integer)):
        return False
    return isinstance(args[0].value, cst.Integer) and i not in bound_names(loop.body)


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if not is_builtin(module, "len") or not is_builtin(module, "range"):
        return None
    seen: list[str] = []

    def enclosing_loop(node: cst.CSTNode, i: str) -> cst.For | None:
        current = parent_of.get(node)
        while current is not None:
            if isinstance(current, cst.For) and isinstance(current.target, cst.Name) and \
                    current.target.value == i:
                return current
            current = parent_of.get(current)
        return None

    class Transform(cst.CSTTransformer):
        def leave_Comparison(self, original: cst.Comparison, updated: cst.Comparison
                             ) -> cst.BaseExpression:
            for window_side, other in equality_sides(updated):
                found = _window(window_side)
                if found is None or not isinstance(other, cst.Name):
                    continue
                s, i, t = found
                if other.value != t or not _counts_up_from_zero(
                        enclosing_loop(original, i), i):
                    continue
                seen.append(f"`{s}[{i}:{i} + len({t})] == {t}`")
                call = cst.parse_expression(f"{s}.startswith({t}, {i})")
                if isinstance(updated.comparisons[0].operator, cst.NotEqual):
                    call = cst.UnaryOperation(operator=cst.Not(), expression=call)
                return call.with_changes(lpar=updated.lpar, rpar=updated.rpar)
            return updated

    new_fn = fn.visit(Transform())
    if not seen:
        return None
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"{seen[0]} copied a slice on every pass only to compare it; "
                   "`startswith` compares in place")


RULE = Rule(
    name="slice-startswith",
    idea="compare in place with str.startswith/endswith instead of slicing a copy to compare "
         "(a window s[i:i + len(t)], a prefix s[:len(t)] or a suffix s[-len(t):])",
    apply=first_form(apply, slice_affix.apply),
)
