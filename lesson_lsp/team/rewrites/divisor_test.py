"""How code says "d divides n": the test the divisor rules recognise, in its spellings."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m


def _remainder(node: cst.BaseExpression, d: str) -> cst.BaseExpression | None:
    """n when `node` is `n % d`."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo) and \
            m.matches(node.right, m.Name(d)):
        return node.left
    return None


def divisibility(test: cst.BaseExpression, d: str) -> tuple[cst.BaseExpression, bool] | None:
    """(n, True) when `test` says d divides n, (n, False) when it says d does not."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        n = _remainder(test.expression, d)
        return (n, True) if n is not None else None
    n = _remainder(test, d)
    if n is not None:
        return n, False  # `if n % d:`
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    target = test.comparisons[0]
    zero = m.Integer("0")
    positive: type[cst.BaseCompOp]  # `n % d > 0` says "does not divide" (d > 0 here)
    if m.matches(target.comparator, zero):
        n, positive = _remainder(test.left, d), cst.GreaterThan
    elif m.matches(test.left, zero):
        n, positive = _remainder(target.comparator, d), cst.LessThan
    else:
        return None
    if n is None:
        return None
    if isinstance(target.operator, cst.Equal):
        return n, True
    return (n, False) if isinstance(target.operator, (cst.NotEqual, positive)) else None


def divides(test: cst.BaseExpression, d: str) -> cst.BaseExpression | None:
    """n when `test` says d divides n."""
    found = divisibility(test, d)
    return found[0] if found is not None and found[1] else None
