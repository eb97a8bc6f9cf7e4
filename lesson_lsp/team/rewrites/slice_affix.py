"""`s[:len(t)] == t` → `s.startswith(t)`, `s[-len(t):] == t` → `s.endswith(t)`: slice-startswith's
prefix and suffix form.

    if text[:len(start)] == start:   →   if (text.startswith(start)
                                              if type(text) in (str, bytes)
                                              and type(start) is type(text)
                                              else text[:len(start)] == start):

The slice copies up to len(t) items only to compare them; `startswith`/`endswith` compare in
place. The proof, for exact `str` (or exact `bytes`) s and t: `s[:len(t)]` is the first
min(len(s), len(t)) characters, equal to t exactly when len(s) ≥ len(t) and they match, which
is `s.startswith(t)`; `s[-len(t):]` is the last len(t) characters for a non-empty t (equal to
t exactly when `s.endswith(t)`), but for an empty t it is the whole of s (`-0` is 0), so the
suffix form also needs `t` non-empty, tested at run time. Other types (lists, tuples: no
`startswith`; subclasses with their own slicing or `==`; a str against bytes) keep the original
comparison, so the rewrite is exact for every type. `s` and `t` are plain names (read twice),
and `len`, `type`, `str` and `bytes` are the builtins.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, parse_function
from lesson_lsp.team.rewrites.bindings import is_builtin
from lesson_lsp.team.rewrites.edits import with_function
from lesson_lsp.team.rewrites.shapes import equality_sides

_EMPTY = cst.Module([])


def _length_of(node: cst.BaseExpression | None) -> str | None:
    """t when `node` is `len(t)` with t a plain name."""
    if node is not None and m.matches(
            node, m.Call(func=m.Name("len"), args=[m.Arg(m.Name(), keyword=None, star="")])):
        assert isinstance(node, cst.Call) and isinstance(node.args[0].value, cst.Name)
        return node.args[0].value.value
    return None


def _affix(node: cst.BaseExpression) -> tuple[str, str, str] | None:
    """(s, t, "startswith"/"endswith") when `node` is `s[:len(t)]`, `s[0:len(t)]` or
    `s[-len(t):]`."""
    if not (isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name) and
            len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice)):
        return None
    window = node.slice[0].slice
    if window.step is not None:
        return None
    if window.lower is None or m.matches(window.lower, m.Integer("0")):
        t = _length_of(window.upper)
        return (node.value.value, t, "startswith") if t is not None else None
    if window.upper is None and isinstance(window.lower, cst.UnaryOperation) and \
            isinstance(window.lower.operator, cst.Minus):
        t = _length_of(window.lower.expression)
        return (node.value.value, t, "endswith") if t is not None else None
    return None


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_function(source, context.name)
    if found is None:
        return None
    module, fn = found
    if not all(is_builtin(module, name) for name in ("len", "type", "str", "bytes")):
        return None
    seen: list[str] = []

    class Transform(cst.CSTTransformer):
        def leave_Comparison(self, original: cst.Comparison, updated: cst.Comparison
                             ) -> cst.BaseExpression:
            for side, other in equality_sides(updated):
                found = _affix(side)
                if found is None or not m.matches(other, m.Name(found[1])):
                    continue
                s, t, method = found
                if s == t:
                    continue
                seen.append(f"`{_EMPTY.code_for_node(original).strip()}`")
                fast = f"{s}.{method}({t})"
                if isinstance(updated.comparisons[0].operator, cst.NotEqual):
                    fast = f"not {fast}"
                kinds = f"type({s}) in (str, bytes) and type({t}) is type({s})"
                if method == "endswith":
                    kinds += f" and {t}"
                plain = updated.with_changes(lpar=[], rpar=[])
                guarded = cst.IfExp(test=cst.parse_expression(kinds),
                                    body=cst.parse_expression(fast), orelse=plain,
                                    lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
                return guarded
            return updated

    new_fn = fn.visit(Transform())
    if not seen:
        return None
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"{seen[0]} copied a slice only to compare it with the string it measured; "
                   "for a str (or bytes) `startswith`/`endswith` compare in place, other types "
                   "keep the comparison")
