"""`sorted(list(xs))` → `sorted(xs)`, and the like: drop a list that is copied again at once.

`sorted`, `set`, `tuple`, `sum`, `min`, `max`, `any`, `all` and `str.join` each walk their
argument once, so materialising it as a list first only costs an allocation and a copy per
item. Safe when the inner call is the builtin `list` with one plain argument and the outer one
is one of those builtins (or `.join` on a string literal) taking it as its only positional
argument.
"""

from __future__ import annotations

import libcst as cst

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_function
from lesson_lsp.team.rewrites.bindings import is_builtin
from lesson_lsp.team.rewrites.edits import with_function
from lesson_lsp.team.rewrites.shapes import call_to

_CONSUMERS = ("sorted", "set", "frozenset", "tuple", "sum", "min", "max", "any", "all")


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_function(source, context.name)
    if found is None:
        return None
    module, fn = found
    if not is_builtin(module, "list"):
        return None
    consumers = {name for name in _CONSUMERS if is_builtin(module, name)}
    seen: list[str] = []

    class Transform(cst.CSTTransformer):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
            func = updated.func
            consumer = (isinstance(func, cst.Name) and func.value in consumers) or (
                isinstance(func, cst.Attribute) and func.attr.value == "join"
                and isinstance(func.value, cst.SimpleString))
            positional = [a for a in updated.args if a.keyword is None]
            if not consumer or len(positional) != 1 or positional[0] is not updated.args[0] \
                    or positional[0].star:
                return updated
            inner = positional[0].value
            if not call_to(inner, "list", 1):
                return updated
            assert isinstance(inner, cst.Call)
            name = func.value if isinstance(func, cst.Name) else "str.join"
            seen.append(f"`{name}(list(…))`")
            return updated.with_changes(args=[
                updated.args[0].with_changes(value=inner.args[0].value), *updated.args[1:]])

    new_fn = fn.visit(Transform())
    if not seen:
        return None
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"{seen[0]} built a list only for the outer call to walk it once more; the "
                   "outer call takes the iterable directly")


RULE = Rule(
    name="redundant-copy",
    idea="pass an iterable straight to sorted/set/sum/join instead of copying it into a list "
         "first",
    apply=apply,
)
