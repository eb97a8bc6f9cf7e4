"""An index loop's header and subscripts as integers: the arithmetic `index-loop` proves on.

`range(a, len(xs) - b, k)` (k ≥ 1) and `range(len(xs) - c, e, -1)` become a `Stride`: the
indices a, a+k, … below len(xs) - b, walked forwards or backwards. A subscript `xs[i + d]`
becomes its offset d. `enumerate(xs)` filtered by `i % k == r` becomes the stride (r, 0, k).
Only integer literals count: anything else is refused, so every bound below is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from lesson_lsp.team.rewrites.shapes import call_to


@dataclass(frozen=True)
class Stride:
    """The indices `range(start, len(xs) - tail, step)`, backwards when `backward`."""

    xs: str
    start: int
    tail: int
    step: int = 1
    backward: bool = False


def affine(node: cst.BaseExpression, i: str, xs: str) -> tuple[int, int, int] | None:
    """(coefficient of `i`, coefficient of `len(xs)`, constant) of a sum of integer literals,
    `i` and `len(xs)`, or None for anything else."""
    if isinstance(node, cst.Integer):
        return 0, 0, int(node.value, 0)
    if isinstance(node, cst.Name) and node.value == i:
        return 1, 0, 0
    if call_to(node, "len", 1):
        assert isinstance(node, cst.Call)
        arg = node.args[0].value
        return (0, 1, 0) if isinstance(arg, cst.Name) and arg.value == xs else None
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = affine(node.expression, i, xs)
        return None if inner is None else (-inner[0], -inner[1], -inner[2])
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract)):
        left, right = affine(node.left, i, xs), affine(node.right, i, xs)
        if left is None or right is None:
            return None
        sign = 1 if isinstance(node.operator, cst.Add) else -1
        return left[0] + sign * right[0], left[1] + sign * right[1], left[2] + sign * right[2]
    return None


def _constant(node: cst.BaseExpression) -> int | None:
    found = affine(node, "", "")
    return found[2] if found is not None and found[:2] == (0, 0) else None


def _from_len(node: cst.BaseExpression, xs: str) -> int | None:
    """c when `node` is `len(xs) + c`."""
    found = affine(node, "", xs)
    return found[2] if found is not None and found[:2] == (0, 1) else None


def range_stride(call: cst.BaseExpression) -> Stride | None:
    """The stride of `range(len(xs) [- b])`, `range(a, len(xs) [- b][, k])` with a ≥ 0 and
    k ≥ 1, or `range(len(xs) - c, e, -1)` (the same indices as `range(e + 1, len(xs) - c + 1)`,
    backwards; e ≥ -1)."""
    if not call_to(call, "range") or not isinstance(call, cst.Call) or \
            not 1 <= len(call.args) <= 3:
        return None
    args = [a.value for a in call.args]
    xs = _sequence(args)
    if xs is None:
        return None
    if len(args) == 3 and _constant(args[2]) == -1:
        top, bottom = _from_len(args[0], xs), _constant(args[1])
        if top is None or bottom is None or bottom < -1:
            return None
        return Stride(xs, bottom + 1, -top - 1, 1, backward=True)
    start = 0 if len(args) == 1 else _constant(args[0])
    tail = _from_len(args[0 if len(args) == 1 else 1], xs)
    step = 1 if len(args) < 3 else _constant(args[2])
    if start is None or tail is None or step is None or start < 0 or step < 1:
        return None
    return Stride(xs, start, -tail, step)


def _sequence(args: list[cst.BaseExpression]) -> str | None:
    """The `xs` of the one `len(xs)` among the arguments."""
    for arg in args:
        for node in _len_calls(arg):
            value = node.args[0].value
            return value.value if isinstance(value, cst.Name) else None
    return None


def _len_calls(node: cst.BaseExpression) -> list[cst.Call]:
    if call_to(node, "len", 1):
        assert isinstance(node, cst.Call)
        return [node]
    if isinstance(node, cst.BinaryOperation):
        return [*_len_calls(node.left), *_len_calls(node.right)]
    if isinstance(node, cst.UnaryOperation):
        return _len_calls(node.expression)
    return []


def offset(index: cst.BaseExpression, i: str, xs: str) -> int | None:
    """d when `index` is `i + d` (in any spelling of literals added or taken away)."""
    found = affine(index, i, xs)
    return found[2] if found is not None and found[:2] == (1, 0) else None


def residue(test: cst.BaseExpression, i: str) -> tuple[int, int] | None:
    """(r, k) when `test` holds exactly for the ints i ≥ 0 with i % k == r, 0 ≤ r < k:
    `i % k == r`, `r == i % k`, `i % 2 != r`, `i % 2` (true when 1) and `not i % 2`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = residue(test.expression, i)
        return (1 - inner[0], 2) if inner is not None and inner[1] == 2 else None
    modulus = _modulus(test, i)
    if modulus is not None:
        return (1, 2) if modulus == 2 else None
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    target = test.comparisons[0]
    left, right = test.left, target.comparator
    if _modulus(left, i) is None:
        left, right = right, left
    k, r = _modulus(left, i), _constant(right)
    if k is None or r is None or not 0 <= r < k:
        return None
    if isinstance(target.operator, cst.Equal):
        return r, k
    if isinstance(target.operator, cst.NotEqual) and k == 2:
        return 1 - r, 2
    return None


def _modulus(node: cst.BaseExpression, i: str) -> int | None:
    """k ≥ 2 when `node` is `i % k`."""
    if not (isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo)
            and isinstance(node.left, cst.Name) and node.left.value == i):
        return None
    k = _constant(node.right)
    return k if k is not None and k >= 2 else None
