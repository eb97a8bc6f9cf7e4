"""`sum(range(n))` and `sum(range(a, b))` → the closed form of an arithmetic series
(`arithmetic-range`'s sum form).

Adding the integers of a range one by one is O(n); their sum is `count · (first + last) / 2`,
computed in O(1). `len(range(…))` gives the count and keeps every check `range` makes (integer
arguments, `__index__`), and `count · (first + last)` is always even, so `//` is exact. An empty
range gives a count of 0 and so a sum of 0, as `sum` does. Safe when the range has no step and
its arguments are plain names, integers or arithmetic on them (they are read twice), and
`sum`, `range` and `len` are the builtins.
"""

from __future__ import annotations

import libcst as cst

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, parse_function
from lesson_lsp.team.rewrites.bindings import is_builtin
from lesson_lsp.team.rewrites.edits import operand, with_function
from lesson_lsp.team.rewrites.effects import pure_arithmetic
from lesson_lsp.team.rewrites.shapes import call_to


def _closed_form(call: cst.Call) -> cst.BaseExpression | None:
    if not call_to(call, "sum", 1):
        return None
    inner = call.args[0].value
    if not isinstance(inner, cst.Call) or not call_to(inner, "range") or \
            len(inner.args) not in (1, 2) or not all(pure_arithmetic(a.value) for a in inner.args):
        return None
    plain = cst.Module([]).code_for_node(inner)
    args = [operand(a.value) for a in inner.args]
    if len(args) == 1:
        text = f"len({plain}) * ({args[0]} - 1) // 2"
    else:
        text = f"len({plain}) * ({args[0]} + {args[1]} - 1) // 2"
    return cst.parse_expression(text).with_changes(lpar=[cst.LeftParen()],
                                                   rpar=[cst.RightParen()])


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_function(source, context.name)
    if found is None:
        return None
    module, fn = found
    if not all(is_builtin(module, n) for n in ("sum", "range", "len")):
        return None
    seen: list[str] = []

    class Transform(cst.CSTTransformer):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
            new = _closed_form(updated)
            if new is None:
                return updated
            seen.append(cst.Module([]).code_for_node(updated))
            return new

    new_fn = fn.visit(Transform())
    if not seen:
        return None
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"`{seen[0]}` added every integer of the range one by one; the sum of an "
                   "arithmetic series is count × (first + last) / 2, computed at once")
