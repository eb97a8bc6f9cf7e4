"""A palindrome test written as a loop → `s == s[::-1]` for strings, the loop kept for the rest.

`for i in range(len(s)): if s[i] != s[len(s) - 1 - i]: return False` / `return True` compares
characters one interpreted step at a time; reversing the string and comparing it whole runs in
C. For a `str` the two agree exactly (characters compare by value, nothing raises). For other
sequences they need not (a list compares items by identity first, so a NaN item differs), so
the fast path is taken only when `type(s) is str` and the original loop stays for everything
else. Safe when the loop is exactly that `if`, its branch is `return False`, and the statement
after the loop is `return True`.
"""

from __future__ import annotations

from typing import Any  # libcst's matcher types do not compose under mypy

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_function
from lesson_lsp.team.rewrites.bindings import is_builtin
from lesson_lsp.team.rewrites.edits import with_function


def _len(s: Any) -> Any:
    return m.Call(func=m.Name("len"), args=[m.Arg(s, keyword=None, star="")])


def _minus(left: Any, right: Any) -> Any:
    return m.BinaryOperation(left=left, operator=m.Subtract(), right=right)


def _mirror(s: str, i: str) -> Any:
    """`s[len(s) - 1 - i]`, `s[len(s) - i - 1]`, `s[-1 - i]`, `s[-i - 1]` or `s[~i]`."""
    one, index = m.Integer("1"), m.Name(i)
    negative = m.UnaryOperation(operator=m.Minus(), expression=one)
    mirror = (_minus(_minus(_len(m.Name(s)), one), index)
              | _minus(_minus(_len(m.Name(s)), index), one)
              | _minus(negative, index)
              | _minus(m.UnaryOperation(operator=m.Minus(), expression=index), one)
              | m.UnaryOperation(operator=m.BitInvert(), expression=index))
    return m.Subscript(value=m.Name(s), slice=[m.SubscriptElement(m.Index(mirror))])


def _palindrome_loop(loop: cst.CSTNode) -> str | None:
    """The sequence's name when `loop` is a mirror-compare loop over it."""
    if not (isinstance(loop, cst.For) and loop.orelse is None and
            isinstance(loop.target, cst.Name) and isinstance(loop.iter, cst.Call) and
            isinstance(loop.body, cst.IndentedBlock) and len(loop.body.body) == 1):
        return None
    test = loop.body.body[0]
    i = loop.target.value
    if not m.matches(loop.iter, m.Call(func=m.Name("range"), args=[m.Arg(keyword=None, star="")])):
        return None
    bound = loop.iter.args[0].value
    if not (isinstance(bound, cst.Call) or (isinstance(bound, cst.BinaryOperation) and
                                             isinstance(bound.operator, cst.FloorDivide))):
        return None
    length = bound if isinstance(bound, cst.Call) else bound.left
    if not m.matches(length, _len(m.Name())):
        return None
    assert isinstance(length, cst.Call) and isinstance(length.args[0].value, cst.Name)
    s = length.args[0].value.value
    if isinstance(bound, cst.BinaryOperation) and not m.matches(bound.right, m.Integer("2")):
        return None
    item = m.Subscript(value=m.Name(s), slice=[m.SubscriptElement(m.Index(m.Name(i)))])
    unequal = m.Comparison(left=item, comparisons=[
        m.ComparisonTarget(operator=m.NotEqual(), comparator=_mirror(s, i))])
    leave = m.IndentedBlock(body=[m.SimpleStatementLine(body=[m.Return(m.Name("False"))])])
    if not m.matches(test, m.If(test=unequal, body=leave, orelse=None)):
        return None
    return s


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_function(source, context.name)
    if found is None:
        return None
    module, fn = found
    if not all(is_builtin(module, name) for name in ("len", "range", "type", "str")):
        return None
    seen: list[str] = []

    class Transform(cst.CSTTransformer):
        def leave_IndentedBlock(self, original: cst.IndentedBlock,
                                updated: cst.IndentedBlock) -> cst.IndentedBlock:
            body = list(updated.body)
            for index, (loop, after) in enumerate(zip(body, body[1:], strict=False)):
                s = _palindrome_loop(loop)
                done = m.SimpleStatementLine(body=[m.Return(m.Name("True"))])
                if s is None or not m.matches(after, done):
                    continue
                seen.append(s)
                fast = cst.parse_statement(f"if type({s}) is str:\n    return {s} == {s}[::-1]\n")
                assert isinstance(loop, cst.For)
                fast = fast.with_changes(leading_lines=loop.leading_lines)
                body[index:index + 1] = [fast, loop.with_changes(leading_lines=())]
                return updated.with_changes(body=body)
            return updated

    new_fn = fn.visit(Transform())
    if not seen:
        return None
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"the loop compared `{seen[0]}` with itself mirrored one character at a time; "
                   f"for a string, `{seen[0]} == {seen[0]}[::-1]` does it in C (other sequences "
                   "still take the loop)")


RULE = Rule(
    name="mirror-compare",
    idea="test a string for a palindrome with s == s[::-1] instead of a Python loop over "
         "mirrored indices",
    apply=apply,
)
