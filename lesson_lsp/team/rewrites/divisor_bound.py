"""Trial division up to the square root: `for d in range(2, n): if n % d == 0: <leave>`.

A loop that stops at the first divisor of `n` in `[2, n)` meets it at or below `isqrt(n)`: the
smallest divisor of a composite number is at most its square root. So the loop can stop there
and take the same exit with the same `d`; when `n` has no divisor, both loops finish without
one. Safe when the loop's body is that one `if` (no `else`), its branch always leaves the loop
(`return`, `break` or `raise` as its last statement), and `d` is not read after the loop (its
last value would differ).
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_with_parents
from lesson_lsp.team.rewrites.bindings import is_builtin, may_import
from lesson_lsp.team.rewrites.loops import read_outside
from lesson_lsp.team.rewrites.shapes import call_to

_EXITS = (cst.Return, cst.Break, cst.Raise)


def _divides(test: cst.BaseExpression, n: str, d: str) -> bool:
    """`test` is `n % d == 0`, `0 == n % d` or `not n % d`."""
    remainder = m.BinaryOperation(left=m.Name(n), operator=m.Modulo(), right=m.Name(d))
    zero = m.Integer("0")
    return m.matches(test, m.Comparison(left=remainder, comparisons=[
        m.ComparisonTarget(operator=m.Equal(), comparator=zero)])) or \
        m.matches(test, m.Comparison(left=zero, comparisons=[
            m.ComparisonTarget(operator=m.Equal(), comparator=remainder)])) or \
        m.matches(test, m.UnaryOperation(operator=m.Not(), expression=remainder))


def _leaves(block: cst.BaseSuite) -> bool:
    if not isinstance(block, cst.IndentedBlock) or not block.body:
        return False
    last = block.body[-1]
    return isinstance(last, cst.SimpleStatementLine) and \
        any(isinstance(small, _EXITS) for small in last.body)


def _bounded(loop: cst.For) -> tuple[str, str] | None:
    """(n, d) when `loop` is a first-divisor search over `range(2, n)`."""
    if loop.orelse is not None and not isinstance(loop.orelse, cst.Else):
        return None
    if not (isinstance(loop.target, cst.Name) and call_to(loop.iter, "range", 2)):
        return None
    assert isinstance(loop.iter, cst.Call)
    start, stop = (a.value for a in loop.iter.args)
    if not (isinstance(start, cst.Integer) and start.value == "2" and isinstance(stop, cst.Name)):
        return None
    body = loop.body.body if isinstance(loop.body, cst.IndentedBlock) else ()
    if len(body) != 1 or not isinstance(body[0], cst.If) or body[0].orelse is not None:
        return None
    test = body[0]
    n, d = stop.value, loop.target.value
    if not _divides(test.test, n, d) or not _leaves(test.body):
        return None
    return n, d


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if not is_builtin(module, "range") or not may_import(module, fn, "math"):
        return None
    hits: list[tuple[cst.For, str]] = []

    class Finder(cst.CSTVisitor):
        def visit_For(self, loop: cst.For) -> None:
            found = _bounded(loop)
            if found is None:
                return
            if not read_outside(loop, fn, parent_of):
                hits.append((loop, found[0]))

    fn.visit(Finder())
    if not hits:
        return None
    targets = {id(loop): n for loop, n in hits}

    class Transform(cst.CSTTransformer):
        def leave_For(self, original: cst.For, updated: cst.For) -> cst.For:
            n = targets.get(id(original))
            if n is None:
                return updated
            bound = cst.parse_expression(f"range(2, math.isqrt({n}) + 1 if {n} > 1 else 2)")
            return updated.with_changes(iter=bound)

    new_module = module.visit(Transform())
    names = ", ".join(sorted({f"`{n}`" for _, n in hits}))
    return Rewrite(new_module.code, ("import math",),
                   f"the search for a divisor of {names} ran up to the number itself; the "
                   "smallest divisor is at most its square root, so the loop stops at "
                   "`math.isqrt`")


RULE = Rule(
    name="divisor-bound",
    idea="stop a search for the first divisor of n at isqrt(n) instead of n",
    apply=apply,
)
