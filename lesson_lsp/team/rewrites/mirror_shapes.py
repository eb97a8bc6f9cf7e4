"""The shapes `mirror-compare` reads: which mirrored pairs of a sequence a loop or a generator
compares, and what the loop does on a mismatch. Syntax only; the proof is in `mirror_compare`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any  # libcst's matcher types do not compose under mypy

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.bindings import names_in
from lesson_lsp.team.rewrites.shapes import call_to, simple_statements

_EMPTY = cst.Module([])
ALL = ""  # `Pairs.half` when every index of the sequence is visited


@dataclass(frozen=True)
class Pairs:
    """`seq[i] OP seq[len(seq) - 1 - i]` for i = 0, 1, … below `half` (the code of an int
    expression; ALL for len(seq)), in that order; `swapped` when the mirrored item is the left
    operand; OP is `==` when `equal`, else `!=`. `alias` is a name the code reads as the length
    (`n = len(s)` earlier): the fast path holds only while it is an int equal to len(seq)."""

    seq: str
    half: str
    equal: bool
    swapped: bool
    alias: str = ""

    def guard(self, types: str) -> str:
        """`types` (a test of seq's exact type), and that the alias is len(seq) right now."""
        s, n = self.seq, self.alias
        return f"{types} and type({n}) is int and {n} == len({s})" if n else types

    def is_str(self) -> str:
        return self.guard(f"type({self.seq}) is str")

    def is_sequence(self) -> str:
        s = self.seq
        either = f"type({s}) is list or type({s}) is tuple"
        return self.guard(f"({either})") if self.alias else either

    def mapped(self) -> str:
        """The same comparisons, same operands, same order, made by `map` in C: item k of
        `reversed(seq)` is `seq[len(seq) - 1 - k]`, and `map` stops with the shorter side."""
        left = self.seq if self.half == ALL else f"{self.seq}[:{self.half}]"
        right = f"reversed({self.seq})"
        first, second = (right, left) if self.swapped else (left, right)
        return f"map(operator.{'eq' if self.equal else 'ne'}, {first}, {second})"


def _len(s: Any) -> Any:
    return m.Call(func=m.Name("len"), args=[m.Arg(s, keyword=None, star="")])


def _minus(left: Any, right: Any) -> Any:
    return m.BinaryOperation(left=left, operator=m.Subtract(), right=right)


def _negative(node: Any) -> Any:
    return m.UnaryOperation(operator=m.Minus(), expression=node)


def _mirror(s: Any, i: str, length: Any) -> Any:
    """`s[L - 1 - i]`, `s[L - i - 1]`, `s[-1 - i]`, `s[-i - 1]`, `s[-(i + 1)]` or `s[~i]`, where
    `length` matches L."""
    one, index = m.Integer("1"), m.Name(i)
    mirror = (_minus(_minus(length, one), index)
              | _minus(_minus(length, index), one)
              | _minus(_negative(one), index)
              | _minus(_negative(index), one)
              | _negative(m.BinaryOperation(left=index, operator=m.Add(), right=one))
              | m.UnaryOperation(operator=m.BitInvert(), expression=index))
    return _item(s, mirror)


def _item(s: str | Any, index: Any) -> Any:
    seq = m.Name(s) if isinstance(s, str) else s
    return m.Subscript(value=seq, slice=[m.SubscriptElement(m.Index(index))])


def _compared(test: cst.BaseExpression) -> tuple[cst.BaseExpression, cst.BaseExpression,
                                                  bool] | None:
    """(left, right, equal) when `test` is one `==` or `!=` comparison."""
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return None
    target = test.comparisons[0]
    if not isinstance(target.operator, (cst.Equal, cst.NotEqual)):
        return None
    return test.left, target.comparator, isinstance(target.operator, cst.Equal)


def _index_pair(test: cst.BaseExpression, i: str, length: Any
                ) -> tuple[str, bool, bool] | None:
    """(seq, equal, swapped) when `test` is `seq[i] != seq[<mirror of i>]` (or `==`), either
    way round, the mirror's length matching `length`."""
    found = _compared(test)
    if found is None:
        return None
    left, right, equal = found
    for item, other, swapped in ((left, right, False), (right, left, True)):
        if m.matches(item, _item(m.Name(), m.Name(i))):
            assert isinstance(item, cst.Subscript) and isinstance(item.value, cst.Name)
            if m.matches(other, _mirror(item.value.value, i, length)):
                return item.value.value, equal, swapped
    return None


def _range_end(iterable: cst.BaseExpression) -> cst.BaseExpression | None:
    """h when `iterable` is `range(h)` or `range(0, h)`."""
    if not (call_to(iterable, "range", 1) or call_to(iterable, "range", 2)):
        return None
    assert isinstance(iterable, cst.Call)
    args = [a.value for a in iterable.args]
    if len(args) == 2 and not m.matches(args[0], m.Integer("0")):
        return None
    return args[-1]


def _length(h: cst.BaseExpression) -> tuple[cst.BaseExpression, bool]:
    """(L, True) when h is L, (L, False) when h is `L // 2` or `(L + 1) // 2`."""
    if isinstance(h, cst.BinaryOperation) and isinstance(h.operator, cst.FloorDivide) and \
            m.matches(h.right, m.Integer("2")):
        left = h.left
        if isinstance(left, cst.BinaryOperation) and isinstance(left.operator, cst.Add) and \
                m.matches(left.right, m.Integer("1")):
            return left.left, False
        return left, False
    return h, True


def ranged_pair(test: cst.BaseExpression, i: str, iterable: cst.BaseExpression
                ) -> Pairs | None:
    """The pairs when `iterable` is `range(h)` with h `L`, `L // 2` or `(L + 1) // 2` (every
    mirrored pair lies among the first h indices, none out of range), L is `len(s)` or a name
    (then the alias of len(s), checked at run time), and `test` compares `s[i]` with its
    mirror."""
    h = _range_end(iterable)
    if h is None:
        return None
    length, full = _length(h)
    if m.matches(length, _len(m.Name())):
        assert isinstance(length, cst.Call) and isinstance(length.args[0].value, cst.Name)
        seq, alias = length.args[0].value.value, ""
        matcher = _len(m.Name(seq))
    elif isinstance(length, cst.Name) and length.value != i:
        seq, alias, matcher = "", length.value, m.Name(length.value)
    else:
        return None
    found = _index_pair(test, i, matcher)
    if found is None or (seq and found[0] != seq) or found[0] == alias:
        return None
    s, equal, swapped = found
    return Pairs(s, ALL if full else _EMPTY.code_for_node(h), equal, swapped, alias)


@dataclass(frozen=True)
class LoopShape:
    """A loop whose body compares mirrored pairs, one `if` per pair: `indices` are the names it
    steps, `init` the statements before it that start them (kept), `suite` the `if`'s body."""

    pairs: Pairs
    indices: frozenset[str]
    init: tuple[cst.BaseStatement, ...]
    suite: cst.BaseSuite


def _if_pair(statement: cst.BaseStatement) -> cst.If | None:
    if isinstance(statement, cst.If) and statement.orelse is None:
        return statement
    return None


def for_shape(loop: cst.For) -> LoopShape | None:
    """`for i in range(h): if s[i] != s[<mirror of i>]: …` and nothing else in the body."""
    if loop.orelse is not None or loop.asynchronous is not None or \
            not isinstance(loop.target, cst.Name) or \
            not isinstance(loop.body, cst.IndentedBlock) or len(loop.body.body) != 1:
        return None
    test_if = _if_pair(loop.body.body[0])
    i = loop.target.value
    pairs = ranged_pair(test_if.test, i, loop.iter) if test_if is not None else None
    if test_if is None or pairs is None:
        return None
    return LoopShape(pairs, frozenset({i}), (), test_if.body)


def _assigns(line: cst.BaseStatement) -> dict[str, cst.BaseExpression] | None:
    """name → value for a line of plain assignments (`i = 0`, `i, j = 0, n`), else None."""
    if not isinstance(line, cst.SimpleStatementLine):
        return None
    found: dict[str, cst.BaseExpression] = {}
    for small in line.body:
        if not (isinstance(small, cst.Assign) and len(small.targets) == 1):
            return None
        target, value = small.targets[0].target, small.value
        if isinstance(target, cst.Name):
            found[target.value] = value
        elif isinstance(target, cst.Tuple) and isinstance(value, cst.Tuple) and \
                len(target.elements) == len(value.elements) and \
                all(isinstance(e.value, cst.Name) for e in target.elements) and \
                not any(isinstance(e, cst.StarredElement) for e in value.elements):
            for name, item in zip(target.elements, value.elements, strict=True):
                assert isinstance(name.value, cst.Name)
                found[name.value.value] = item.value
        else:
            return None
    return found


def _steps(lines: Sequence[cst.BaseStatement], i: str, j: str) -> bool:
    """The lines are `i += 1` and `j -= 1` (any order, any layout) or `i, j = i + 1, j - 1`."""
    smalls: list[cst.BaseSmallStatement] = []
    for line in lines:
        if not isinstance(line, cst.SimpleStatementLine):
            return False
        smalls.extend(line.body)
    one = m.Integer("1")
    up = m.AugAssign(target=m.Name(i), operator=m.AddAssign(), value=one)
    down = m.AugAssign(target=m.Name(j), operator=m.SubtractAssign(), value=one)
    if len(smalls) == 2:
        return (m.matches(smalls[0], up) and m.matches(smalls[1], down)) or \
            (m.matches(smalls[0], down) and m.matches(smalls[1], up))
    both = m.Assign(targets=[m.AssignTarget(m.Tuple([m.Element(m.Name(i)), m.Element(m.Name(j))]))],
                    value=m.Tuple([m.Element(m.BinaryOperation(m.Name(i), m.Add(), one)),
                                   m.Element(m.BinaryOperation(m.Name(j), m.Subtract(), one))]))
    return len(smalls) == 1 and m.matches(smalls[0], both)


def while_shape(loop: cst.While, before: Sequence[cst.BaseStatement]) -> LoopShape | None:
    """Two pointers: `i, j = 0, len(s) - 1` (or `n - 1`; one line or two, right before it) /
    `while i < j:` (or `<=`) / `if s[i] != s[j]: …` / `i += 1` / `j -= 1`, nothing else."""
    test = loop.test
    if loop.orelse is not None or not isinstance(loop.body, cst.IndentedBlock) or \
            not m.matches(test, m.Comparison(left=m.Name(), comparisons=[m.ComparisonTarget(
                operator=m.LessThan() | m.LessThanEqual(), comparator=m.Name())])):
        return None
    assert isinstance(test, cst.Comparison) and isinstance(test.left, cst.Name)
    target = test.comparisons[0]
    assert isinstance(target.comparator, cst.Name)
    i, j = test.left.value, target.comparator.value
    body = loop.body.body
    test_if = _if_pair(body[0]) if body else None
    found = _compared(test_if.test) if test_if is not None else None
    if test_if is None or found is None or i == j or not _steps(body[1:], i, j):
        return None
    left, right, equal = found
    if not m.matches(left, _item(m.Name(), m.Name(i) | m.Name(j))):
        return None
    assert isinstance(left, cst.Subscript) and isinstance(left.value, cst.Name)
    s = left.value.value
    swapped = m.matches(left, _item(s, m.Name(j)))
    if not m.matches(right, _item(s, m.Name(i if swapped else j))):
        return None
    for count in (1, 2):
        lines = tuple(before[-count:]) if len(before) >= count else None
        starts: dict[str, cst.BaseExpression] = {}
        for line in lines or ():
            found_assigns = _assigns(line)
            if found_assigns is None:
                starts = {}
                break
            starts.update(found_assigns)
        if not (lines and set(starts) == {i, j} and m.matches(starts[i], m.Integer("0")) and
                m.matches(starts[j], _minus(_len(m.Name(s)) | m.Name(), m.Integer("1")))):
            continue
        end = starts[j]
        assert isinstance(end, cst.BinaryOperation)
        alias = end.left.value if isinstance(end.left, cst.Name) else ""
        if alias in (i, j, s):
            return None
        length = alias or f"len({s})"
        half = f"{length} // 2" if isinstance(target.operator, cst.LessThan) \
            else f"({length} + 1) // 2"
        return LoopShape(Pairs(s, half, equal, swapped, alias), frozenset({i, j}), lines,
                         test_if.body)
    return None


def counter(suite: cst.BaseSuite) -> str | None:
    """c when the block is only `c += 1` or `c = c + 1`."""
    smalls = simple_statements(suite)
    if smalls is None or len(smalls) != 1:
        return None
    one, small = m.Integer("1"), smalls[0]
    if m.matches(small, m.AugAssign(target=m.Name(), operator=m.AddAssign(), value=one)):
        assert isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name)
        return small.target.value
    if m.matches(small, m.Assign(targets=[m.AssignTarget(m.Name())],
                                 value=m.BinaryOperation(m.Name(), m.Add(), one))):
        assert isinstance(small, cst.Assign) and isinstance(small.targets[0].target, cst.Name)
        name = small.targets[0].target.value
        assert isinstance(small.value, cst.BinaryOperation)
        return name if m.matches(small.value.left, m.Name(name)) else None
    return None


def mentions(node: cst.CSTNode, names: frozenset[str]) -> bool:
    return any(names_in(node, name) for name in names)
