"""Sorting to read one end → `min`/`max`: `sorted(xs)[0]`, `sorted(xs)[-1]`, with `key=` and
`reverse=`.

Sorting costs O(n log n) and a copy; min/max is one pass. The proof: a stable sort keeps equal
elements in their original order, and `reverse=True` keeps that stability, so
`sorted(xs)[0]` is the first of the smallest elements in `xs`'s order (what `min` returns),
`sorted(xs, reverse=True)[0]` the first of the largest (`max`), `sorted(xs)[-1]` the last of the
largest (`max` over `reversed(xs)`) and `sorted(xs, reverse=True)[-1]` the last of the smallest
(`min` over `reversed(xs)`). `key=` is carried over and called once per element, in order, by
both. It holds for a total order on the keys: NaN keys (or sets, ordered by inclusion) make a
sort's ends and min/max differ, and nothing here can see the keys, so that is left to the
harness's check.

The fast path is taken only when `type(xs) is list and xs`: `reversed` needs a sequence, and an
empty list must raise the IndexError of the original, not min's ValueError; everything else
(other iterables, subclasses, an empty list) runs the original expression. So `xs` is a plain
name (read twice), `reverse` is absent or a literal True/False, and `sorted`, `min`, `max`,
`reversed`, `type` and `list` are the builtins.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_function
from lesson_lsp.team.rewrites.bindings import is_builtin
from lesson_lsp.team.rewrites.edits import with_function

_BUILTINS = ("sorted", "min", "max", "reversed", "type", "list")
_EMPTY = cst.Module([])


def _end_of_sorted(node: cst.Subscript) -> tuple[str, cst.BaseExpression] | None:
    """(min or max, the guarded expression) when `node` reads one end of a `sorted(xs)`."""
    if not (isinstance(node.value, cst.Call) and m.matches(node.value.func, m.Name("sorted"))
            and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index)):
        return None
    index = node.slice[0].slice.value
    if m.matches(index, m.Integer("0")):
        last = False
    elif m.matches(index, m.UnaryOperation(operator=m.Minus(), expression=m.Integer("1"))):
        last = True
    else:
        return None
    call = node.value
    positional = [a for a in call.args if a.keyword is None]
    keywords = {a.keyword.value: a for a in call.args if a.keyword is not None}
    if len(positional) != 1 or positional[0].star or set(keywords) - {"key", "reverse"} or \
            not isinstance(positional[0].value, cst.Name):
        return None
    reverse = keywords.get("reverse")
    if reverse is not None and not m.matches(reverse.value, m.Name("True") | m.Name("False")):
        return None
    descending = reverse is not None and m.matches(reverse.value, m.Name("True"))
    which = "max" if descending != last else "min"
    xs = positional[0].value.value
    items = f"reversed({xs})" if last else xs
    key = keywords.get("key")
    key_code = f", key={_EMPTY.code_for_node(key.value)}" if key is not None else ""
    fast = cst.parse_expression(f"{which}({items}{key_code})")
    guard = cst.parse_expression(f"type({xs}) is list and {xs}")
    return which, cst.IfExp(test=guard, body=fast, orelse=node,
                            lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_function(source, context.name)
    if found is None:
        return None
    module, fn = found
    if not all(is_builtin(module, name) for name in _BUILTINS):
        return None
    used: list[str] = []

    class Transform(cst.CSTTransformer):
        def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript
                            ) -> cst.BaseExpression:
            hit = _end_of_sorted(updated)
            if hit is None:
                return updated
            used.append(hit[0])
            return hit[1]

    new_fn = fn.visit(Transform())
    if not used:
        return None
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"`sorted(…)` sorted a whole copy to read one end; `{used[0]}(…)` "
                   "finds it in one pass (for a non-empty list; anything else still sorts)")


RULE = Rule(
    name="sorted-min",
    idea="take min/max in one pass instead of sorting to read one end",
    apply=apply,
)
