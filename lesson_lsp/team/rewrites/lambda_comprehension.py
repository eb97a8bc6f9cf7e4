"""`list(filter(lambda x: cond, xs))` → `[x for x in xs if cond]`, and
`list(map(lambda x: expr, xs))` → `[expr for x in xs]`.

`filter` and `map` call the lambda once per item, and a Python-level call costs more than the
test or expression it wraps; a comprehension evaluates it inline. Safe when `list`, `filter` and
`map` are the builtins, the lambda takes exactly one plain parameter and its body binds no name
(no walrus), so the comprehension's scope sees exactly what the lambda's did.
"""

from __future__ import annotations

import libcst as cst

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_function
from lesson_lsp.team.rewrites.bindings import is_builtin
from lesson_lsp.team.rewrites.edits import with_function
from lesson_lsp.team.rewrites.shapes import call_to, has_any


def _one_param_lambda(node: cst.BaseExpression) -> tuple[cst.Name, cst.BaseExpression] | None:
    if not isinstance(node, cst.Lambda):
        return None
    params = node.params
    if len(params.params) != 1 or params.posonly_params or params.kwonly_params or \
            params.star_kwarg is not None or not isinstance(params.star_arg, cst.MaybeSentinel):
        return None
    param = params.params[0]
    if param.default is not None or has_any(node.body, (cst.NamedExpr, cst.Yield, cst.Lambda)):
        return None
    return param.name, node.body


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_function(source, context.name)
    if found is None:
        return None
    module, fn = found
    if not all(is_builtin(module, n) for n in ("list", "filter", "map")):
        return None
    seen: list[str] = []

    class Transform(cst.CSTTransformer):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
            if not call_to(updated, "list", 1):
                return updated
            inner = updated.args[0].value
            if not (call_to(inner, "filter", 2) or call_to(inner, "map", 2)):
                return updated
            assert isinstance(inner, cst.Call) and isinstance(inner.func, cst.Name)
            found = _one_param_lambda(inner.args[0].value)
            if found is None:
                return updated
            name, body = found
            iterable = inner.args[1].value
            if inner.func.value == "filter":
                seen.append("filter")
                comp = cst.CompFor(target=name, iter=iterable, ifs=[cst.CompIf(test=body)])
                return cst.ListComp(elt=name, for_in=comp, lpar=updated.lpar,
                                    rpar=updated.rpar)
            seen.append("map")
            return cst.ListComp(elt=body, for_in=cst.CompFor(target=name, iter=iterable),
                                lpar=updated.lpar, rpar=updated.rpar)

    new_fn = fn.visit(Transform())
    if not seen:
        return None
    kinds = " and ".join(f"`{k}`" for k in dict.fromkeys(seen))
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"{kinds} called a lambda once per item; a list comprehension evaluates its "
                   "body inline, without a Python-level call")


RULE = Rule(
    name="lambda-comprehension",
    idea="inline a lambda into a list comprehension instead of calling it through filter/map",
    apply=apply,
)
