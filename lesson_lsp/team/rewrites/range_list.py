"""`[a + k*i for i in range(n)]` → `list(range(a, a + k*n, k))` (`arithmetic-range`'s list form).

An arithmetic progression built by a comprehension evaluates the expression once per item in
bytecode; `range` produces the same integers in C. The elements `a + k·i` for `i` in
`range(s, n)` are exactly `range(a + k·s, a + k·n, k)`, and both are empty when `n ≤ s`.
Safe when `k` is a non-zero integer literal, `a` (and `s`, `n`) are names, integers or
arithmetic on them that does not involve `i`, and `list`/`range` are the builtins. A
non-integer `a` makes `range` raise where the comprehension would not; the harness rejects it.
"""

from __future__ import annotations

import libcst as cst

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, parse_function
from lesson_lsp.team.rewrites.bindings import is_builtin, names_in
from lesson_lsp.team.rewrites.edits import operand, with_function
from lesson_lsp.team.rewrites.effects import pure_arithmetic
from lesson_lsp.team.rewrites.shapes import call_to


def _scaled(node: cst.BaseExpression, i: str) -> int | None:
    """k when `node` is `i`, `k*i` or `i*k` with an integer literal k."""
    if isinstance(node, cst.Name) and node.value == i:
        return 1
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        for a, b in ((node.left, node.right), (node.right, node.left)):
            if isinstance(a, cst.Name) and a.value == i and isinstance(b, cst.Integer):
                return int(b.value, 0)
    return None


def _affine(node: cst.BaseExpression, i: str) -> tuple[int, cst.BaseExpression | None] | None:
    """(k, a) when `node` is `a + k*i` in any order (a None when absent)."""
    k = _scaled(node, i)
    if k is not None:
        return k, None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        for a, b in ((node.left, node.right), (node.right, node.left)):
            k = _scaled(b, i)
            if k is not None and pure_arithmetic(a) and not names_in(a, i):
                return k, a
    return None



def _as_range(comp: cst.ListComp) -> cst.Call | None:
    for_in = comp.for_in
    if for_in.ifs or for_in.inner_for_in is not None or for_in.asynchronous is not None or \
            not isinstance(for_in.target, cst.Name) or not call_to(for_in.iter, "range"):
        return None
    assert isinstance(for_in.iter, cst.Call)
    bounds = [a.value for a in for_in.iter.args]
    if len(bounds) not in (1, 2) or not all(pure_arithmetic(b) for b in bounds):
        return None
    i = for_in.target.value
    found = _affine(comp.elt, i)
    if found is None or found[0] == 0:
        return None
    k, a = found
    start, stop = (cst.Integer("0"), bounds[0]) if len(bounds) == 1 else bounds
    offset = f"{operand(a)} + " if a is not None else ""
    scale = "" if k == 1 else f"{k} * "
    if isinstance(start, cst.Integer) and start.value == "0":
        first = operand(a) if a is not None else "0"
    else:
        first = f"{offset}{scale}{operand(start)}"
    last = f"{offset}{scale}{operand(stop)}"
    step = "" if k == 1 else f", {k}"
    text = f"list(range({last}{step}))" if first == "0" and not step else \
        f"list(range({first}, {last}{step}))"
    return cst.parse_expression(text)  # type: ignore[return-value]


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_function(source, context.name)
    if found is None:
        return None
    module, fn = found
    if not is_builtin(module, "list") or not is_builtin(module, "range"):
        return None
    seen: list[str] = []

    class Transform(cst.CSTTransformer):
        def leave_ListComp(self, original: cst.ListComp, updated: cst.ListComp
                           ) -> cst.BaseExpression:
            new = _as_range(updated)
            if new is None:
                return updated
            seen.append(cst.Module([]).code_for_node(updated))
            return new.with_changes(lpar=updated.lpar, rpar=updated.rpar)

    new_fn = fn.visit(Transform())
    if not seen:
        return None
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"`{seen[0]}` computed an arithmetic progression item by item; `range` "
                   "yields the same integers in C")
