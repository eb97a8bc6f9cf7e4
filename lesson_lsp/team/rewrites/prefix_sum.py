"""`sum(xs[i:j])` in a loop or comprehension → a difference of two prefix sums built once.

Each `sum(xs[i:j])` copies the slice and adds it up: O(j - i) per pass, O(n²) for a sliding
window. With `prefix[k] = xs[0] + … + xs[k-1]` built once, every range sum is
`prefix[j] - prefix[i]`. The bounds go through `range(len(xs))[i:j]`, which normalises negative,
missing and out-of-range bounds exactly as list slicing does. Integers add exactly in any order,
floats do not: the prefix sums are used only for a list or tuple whose items are all `int`
(checked once, at run time), otherwise the original `sum` runs. Safe when the loop never
rebinds or changes `xs` (only reads it, and calls nothing that could reach it).
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Parents, Rewrite, RewriteContext, Rule, parse_with_parents
from lesson_lsp.team.rewrites.bindings import (
    bound_names,
    fresh_name,
    is_builtin,
    may_import,
    names_in,
)
from lesson_lsp.team.rewrites.edits import AroundStatement
from lesson_lsp.team.rewrites.effects import calls_leave_alone, reads
from lesson_lsp.team.rewrites.loops import loop_of

_RANGE_SUM = m.Call(func=m.Name("sum"), args=[m.Arg(
    keyword=None, star="",
    value=m.Subscript(value=m.Name(), slice=[m.SubscriptElement(m.Slice(step=None))]))])


def _bound(node: cst.BaseExpression | None) -> str:
    return "None" if node is None else cst.Module([]).code_for_node(node)


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if not is_builtin(module, "sum") or not may_import(module, fn, "itertools"):
        return None
    for call in m.findall(fn.body, _RANGE_SUM):
        assert isinstance(call, cst.Call) and isinstance(call.args[0].value, cst.Subscript)
        xs = call.args[0].value.value
        assert isinstance(xs, cst.Name)
        loop = _repeats(call, parent_of, fn)
        if loop is None or not isinstance(parent_of.get(loop), cst.IndentedBlock) or \
                xs.value in bound_names(loop) or \
                not all(reads(use, parent_of) for use in names_in(loop, xs.value)) or \
                not calls_leave_alone(module, fn, loop, xs.value):
            continue
        return _rewrite(module, fn, parent_of, loop, xs.value)
    return None


_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
_CONSUMERS = frozenset({"sum", "max", "min", "any", "all", "list", "tuple", "set", "sorted"})


def _runs_now(call: cst.Call, parent_of: Parents, fn: cst.FunctionDef) -> bool:
    """`call` runs while the statement around it runs, not later: it is in no lambda or nested
    function, and any generator around it is handed straight to a builtin that consumes it.
    Otherwise it could run after `xs` has changed, against stale prefix sums."""
    current: cst.CSTNode | None = parent_of.get(call)
    while current is not None and current is not fn:
        if isinstance(current, (cst.Lambda, cst.FunctionDef)):
            return False
        if isinstance(current, cst.GeneratorExp):
            arg = parent_of.get(current)
            consumer = parent_of.get(arg) if isinstance(arg, cst.Arg) else None
            if not (isinstance(consumer, cst.Call) and isinstance(consumer.func, cst.Name)
                    and consumer.func.value in _CONSUMERS):
                return False
        current = parent_of.get(current)
    return True


def _repeats(call: cst.Call, parent_of: Parents, fn: cst.FunctionDef) -> cst.CSTNode | None:
    """The statement that runs `call` many times: its outermost loop, or else the statement
    holding the comprehension around it."""
    if not _runs_now(call, parent_of, fn):
        return None
    loop = loop_of(call, parent_of, fn)
    if loop is not None:
        return loop
    current: cst.CSTNode | None = call
    comprehension = None
    while current is not None and current is not fn:
        if isinstance(current, _COMPREHENSIONS):
            comprehension = current
        if isinstance(current, cst.SimpleStatementLine):
            return current if comprehension is not None else None
        current = parent_of.get(current)
    return None


def _rewrite(module: cst.Module, fn: cst.FunctionDef, parent_of: Parents, loop: cst.CSTNode,
             xs: str) -> Rewrite:
    prefix = fresh_name(module, f"{xs}_prefix")
    helper = fresh_name(module, f"sum_{xs}")
    before = [
        cst.parse_statement(f"{prefix} = None"),
        cst.parse_statement(
            f"if type({xs}) in (list, tuple) and all(type(item) is int for item in {xs}):\n"
            f"    {prefix} = [0, *itertools.accumulate({xs})]\n"),
        cst.parse_statement(
            f"def {helper}(start, stop):\n"
            f"    if {prefix} is None:\n"
            f"        return sum({xs}[start:stop])\n"
            f"    span = range(len({prefix}) - 1)[start:stop]\n"
            f"    return {prefix}[span.stop] - {prefix}[span.start] if span else 0\n"),
    ]

    class Transform(AroundStatement):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
            if self.inside and m.matches(original, _RANGE_SUM) and \
                    m.matches(original.args[0].value, m.Subscript(value=m.Name(xs))) and \
                    _runs_now(original, parent_of, fn):
                piece = original.args[0].value
                assert isinstance(piece, cst.Subscript)
                bounds = piece.slice[0].slice
                assert isinstance(bounds, cst.Slice)
                return cst.parse_expression(
                    f"{helper}({_bound(bounds.lower)}, {_bound(bounds.upper)})")
            return updated

    new_module = module.visit(Transform(loop, before))
    return Rewrite(new_module.code, ("import itertools",),
                   f"`sum({xs}[i:j])` added the slice up again on every pass; prefix sums "
                   f"of `{xs}` built once before the loop give each range sum as "
                   f"`{prefix}[j] - {prefix}[i]`")


RULE = Rule(
    name="prefix-sum",
    idea="answer repeated range sums from prefix sums built once, instead of summing a "
         "slice on every pass",
    apply=apply,
)
