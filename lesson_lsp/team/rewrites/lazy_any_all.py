"""`any([… for …])` / `all([… for …])` → `any(… for …)` / `all(… for …)`.

A list comprehension computes every element before `any` looks at the first; a generator
hands them over one at a time, so `any` stops at the first true one and `all` at the first
false one, and no list is built. Safe when computing an element only reads (names, items,
operators, builtins and string methods that only read, no walrus): then skipping the elements
after the answer is known changes nothing, except that an input on which a later element would
have raised now returns. The harness compares exceptions on every input it has.
"""

from __future__ import annotations

import libcst as cst

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_function
from lesson_lsp.team.rewrites.bindings import is_builtin
from lesson_lsp.team.rewrites.edits import with_function
from lesson_lsp.team.rewrites.effects import side_effect_free
from lesson_lsp.team.rewrites.shapes import call_to


def _lazy_enough(module: cst.Module, comp: cst.ListComp) -> bool:
    """Only the first `for`'s iterable is computed up front by both forms; everything the
    generator would compute lazily must only read."""
    clauses: list[cst.CSTNode] = [comp.elt]
    clause: cst.CompFor | None = comp.for_in
    first = True
    while clause is not None:
        if clause.asynchronous is not None:
            return False
        if not first:
            clauses.append(clause.iter)
        clauses.extend(condition.test for condition in clause.ifs)
        clause, first = clause.inner_for_in, False
    return all(side_effect_free(module, node) for node in clauses)


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_function(source, context.name)
    if found is None:
        return None
    module, fn = found
    used: list[str] = []

    class Transform(cst.CSTTransformer):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
            for which in ("any", "all"):
                if call_to(updated, which, 1) and is_builtin(module, which) and \
                        isinstance(updated.args[0].value, cst.ListComp) and \
                        _lazy_enough(module, updated.args[0].value):
                    comp = updated.args[0].value
                    used.append(which)
                    # the brackets' whitespace (and comments) moves to the call's parentheses
                    lazy = cst.GeneratorExp(elt=comp.elt, for_in=comp.for_in, lpar=[], rpar=[])
                    arg = updated.args[0].with_changes(
                        value=lazy, whitespace_after_arg=comp.rbracket.whitespace_before)
                    return updated.with_changes(
                        args=[arg], whitespace_before_args=comp.lbracket.whitespace_after)
            return updated

    new_fn = fn.visit(Transform())
    if not used:
        return None
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"`{used[0]}([…])` built the whole list before looking at it; "
                   f"`{used[0]}(… for …)` stops at the first element that settles the answer")


RULE = Rule(
    name="lazy-any-all",
    idea="give any()/all() a generator so they stop at the first element that decides, "
         "instead of a list computed in full",
    apply=apply,
)
