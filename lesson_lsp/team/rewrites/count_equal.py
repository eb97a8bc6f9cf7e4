"""A loop that counts items equal to a constant → `xs.count(k)`.

    for c in s:
        n += (c == "7")      →      n += s.count("7")

`str.count`, `list.count` and `tuple.count` do the comparison in C. The count is the same:
every item is compared with `==` (for a string, each item is one character, so `k` must be a
one-character string literal, or `count` would look for a substring), and `True` adds 1 as the
loop's booleans do. Safe when the loop's whole body is `n += (c == k)` or `if c == k: n += 1`,
`k` is such a literal or an integer literal, the loop has no `else`, and `c` is not read after
it. Iterables without a `count` method make the candidate raise; the harness rejects it.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_with_parents
from lesson_lsp.team.rewrites.edits import with_comments_of, with_function
from lesson_lsp.team.rewrites.loops import read_outside


def _constant(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Integer):
        return True
    if isinstance(node, cst.SimpleString) and not node.prefix:
        value = node.evaluated_value
        return isinstance(value, str) and len(value) == 1
    return False


def _equals(test: cst.BaseExpression, c: str) -> cst.BaseExpression | None:
    """k when `test` is `c == k` or `k == c` with a constant k."""
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.Equal)):
        return None
    left, right = test.left, test.comparisons[0].comparator
    for item, constant in ((left, right), (right, left)):
        if m.matches(item, m.Name(c)) and _constant(constant):
            return constant
    return None


def _counted(loop: cst.For) -> tuple[str, cst.BaseExpression, cst.SimpleStatementLine] | None:
    """(n, k, statement) for `n += (c == k)` or `if c == k: n += 1` as the whole body."""
    if loop.orelse is not None or not isinstance(loop.target, cst.Name) or \
            not isinstance(loop.body, cst.IndentedBlock) or len(loop.body.body) != 1:
        return None
    c = loop.target.value
    statement = loop.body.body[0]
    test = None
    if isinstance(statement, cst.If) and statement.orelse is None and \
            isinstance(statement.body, cst.IndentedBlock) and len(statement.body.body) == 1:
        test, statement = statement.test, statement.body.body[0]
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return None
    aug = statement.body[0]
    if not (isinstance(aug, cst.AugAssign) and isinstance(aug.operator, cst.AddAssign)
            and isinstance(aug.target, cst.Name) and aug.target.value != c):
        return None
    if test is None:
        k = _equals(aug.value, c)
    else:
        k = _equals(test, c) if m.matches(aug.value, m.Integer("1")) else None
    if k is None:
        return None
    return aug.target.value, k, statement


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    seen: list[str] = []

    class Transform(cst.CSTTransformer):
        def leave_For(self, original: cst.For, updated: cst.For) -> cst.BaseStatement:
            counted = _counted(original)
            if counted is None or read_outside(original, fn, parent_of):
                return updated
            n, k, statement = counted
            call = cst.Call(func=cst.Attribute(value=original.iter, attr=cst.Name("count")),
                            args=[cst.Arg(k)])
            seen.append(f"`{n}`")
            return with_comments_of([updated], cst.SimpleStatementLine(
                body=[cst.AugAssign(target=cst.Name(n), operator=cst.AddAssign(), value=call)],
                leading_lines=[*original.leading_lines, *statement.leading_lines],
                trailing_whitespace=statement.trailing_whitespace))

    new_fn = fn.visit(Transform())
    if not seen:
        return None
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"a loop counted equal items into {seen[0]} one comparison at a time in "
                   "bytecode; `.count` does the same comparisons in C")


RULE = Rule(
    name="count-equal",
    idea="count items equal to a constant with .count() in C instead of a Python loop",
    apply=apply,
)
