"""A loop that only adds to a total → one `sum(…)` call (one that multiplies → `math.prod`).

`for x in xs: total += f(x)` runs the addition in bytecode, one pass per item; `sum` does it in
C (`sum(xs)` when the item itself is added, `sum(map(f, xs))` when `f` is a builtin; a
generator inside `sum` is no faster than the loop, so other shapes are left alone). Safe when
the loop's whole body is `total += expr`, `total` is not read in the loop, the loop has no
`else`, is not inside a `try` (a failure half way would leave a different partial total), its
variable is not read after it, and `total` starts from the integer literal 0 (`sum` starts
from 0 too). A float accumulator (`0.0`) is left alone: from Python 3.12 `sum` compensates
float rounding, so it could differ in the last bits. A product that starts from the integer
literal 1 becomes `math.prod`, which multiplies in the same order from 1.
"""

from __future__ import annotations

import libcst as cst

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_with_parents
from lesson_lsp.team.rewrites.bindings import is_builtin, may_import, names_in
from lesson_lsp.team.rewrites.edits import with_comments_of, with_function
from lesson_lsp.team.rewrites.loops import read_outside

_PURE = frozenset({"abs", "len", "int", "ord", "bool", "float"})


def _start(statement: cst.BaseStatement) -> tuple[str, str] | None:
    """(name, "0" or "1") when `statement` is `name = 0` or `name = 1`."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        assign = statement.body[0]
        if isinstance(assign, cst.Assign) and len(assign.targets) == 1 and \
                isinstance(assign.targets[0].target, cst.Name) and \
                isinstance(assign.value, cst.Integer) and assign.value.value in ("0", "1"):
            return assign.targets[0].target.value, assign.value.value
    return None


def _added(loop: cst.For, total: str, operator: type[cst.BaseAugOp]
           ) -> cst.SimpleStatementLine | None:
    """The statement when the loop's whole body is `total += expr` (or `*=`)."""
    if loop.orelse is not None or loop.asynchronous is not None or len(loop.body.body) != 1:
        return None
    if isinstance(loop.body, cst.SimpleStatementSuite):  # `for x in xs: total += x`
        statement: cst.BaseStatement = cst.SimpleStatementLine(
            body=[loop.body.body[0].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)],
            trailing_whitespace=loop.body.trailing_whitespace)
    else:
        statement = loop.body.body[0]  # type: ignore[assignment]
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return None
    aug = statement.body[0]
    if not (isinstance(aug, cst.AugAssign) and isinstance(aug.operator, operator)
            and isinstance(aug.target, cst.Name) and aug.target.value == total):
        return None
    if names_in(aug.value, total) or names_in(loop.iter, total):
        return None
    return statement


def _sum_of(loop: cst.For, value: cst.BaseExpression, pure: set[str],
            total: cst.BaseExpression) -> cst.Call | None:
    """`sum(xs)` or `sum(map(f, xs))` (`total` is `sum` or `math.prod`); None for other
    shapes, where a generator inside `sum` is no faster than the loop."""
    target = loop.target
    if not isinstance(target, cst.Name):
        return None
    if isinstance(value, cst.Name) and value.value == target.value:
        return cst.Call(total, [cst.Arg(loop.iter)])
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and \
            value.func.value in pure and len(value.args) == 1 and \
            value.args[0].keyword is None and not value.args[0].star and \
            isinstance(value.args[0].value, cst.Name) and \
            value.args[0].value.value == target.value:
        return cst.Call(total, [cst.Arg(cst.Call(cst.Name("map"), [
            cst.Arg(value.func, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
            cst.Arg(loop.iter)]))])
    return None


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if not all(is_builtin(module, n) for n in ("sum", "map")):
        return None
    pure = {n for n in _PURE if is_builtin(module, n)}
    changed: list[str] = []
    imports: list[str] = []

    def in_try(node: cst.CSTNode) -> bool:
        current = parent_of.get(node)
        while current is not None and current is not fn:
            if isinstance(current, cst.Try):
                return True
            current = parent_of.get(current)
        return False

    class Transform(cst.CSTTransformer):
        def leave_IndentedBlock(self, original: cst.IndentedBlock,
                                updated: cst.IndentedBlock) -> cst.IndentedBlock:
            body = list(updated.body)
            originals = list(original.body)
            for i in range(len(body)):
                loop = body[i]
                if not isinstance(loop, cst.For) or in_try(originals[i]):
                    continue
                starts = [(j, _start(body[j])) for j in range(i - 1, -1, -1)]
                start = next(((j, n) for j, n in starts if n is not None), None)
                if start is None:
                    continue
                j, (total, initial) = start
                between = body[j + 1:i]
                if any(names_in(s, total) for s in between):
                    continue
                product = initial == "1"
                added = _added(loop, total, cst.MultiplyAssign if product else cst.AddAssign)
                if added is None or read_outside(originals[i], fn, parent_of):  # type: ignore[arg-type]
                    continue
                aug = added.body[0]
                assert isinstance(aug, cst.AugAssign)
                call = _sum_of(loop, aug.value, pure, cst.parse_expression(
                    "math.prod" if product else "sum"))
                if call is None or (product and not may_import(module, fn, "math")):
                    continue
                if product:
                    imports.append("import math")
                body[i] = with_comments_of([loop], added.with_changes(
                    body=[aug.with_changes(value=call)],
                    leading_lines=[*loop.leading_lines, *added.leading_lines]))
                changed.append(total)
            return updated.with_changes(body=body)

    new_fn = fn.visit(Transform())
    if not changed:
        return None
    names = ", ".join(f"`{n}`" for n in dict.fromkeys(changed))
    return Rewrite(with_function(module, fn, new_fn), tuple(dict.fromkeys(imports)),
                   f"a loop accumulated {names} one item at a time in bytecode; `sum` (or "
                   "`math.prod`) does it in C")


RULE = Rule(
    name="sum-accumulate",
    idea="add up (or multiply) a sequence with sum() or math.prod() in C instead of a "
         "Python loop",
    apply=apply,
)
