"""`s += piece` on a string inside a loop → collect the pieces, `"".join` them once.

Repeated concatenation can copy the string built so far on every pass (quadratic); a join
copies each piece once. Safe when, inside the loop, the string is only ever the target of `+=`
(never read), the loop cannot leave the function early (no `return`/`yield`), and the string
starts as a literal, so that it is known to be a `str`.

Prepending (`s = piece + s`) is the same string built the other way round; its pieces are joined
reversed (`string_prepend`), the second form of this rule.
"""

from __future__ import annotations

import libcst as cst

from lesson_lsp.team.rewrites import string_prepend
from lesson_lsp.team.rewrites.base import (
    Rewrite,
    RewriteContext,
    Rule,
    first_form,
    parse_with_parents,
)
from lesson_lsp.team.rewrites.bindings import fresh_name, names_in
from lesson_lsp.team.rewrites.edits import AroundStatement
from lesson_lsp.team.rewrites.loops import self_contained_loops


def _string_literals(fn: cst.FunctionDef) -> set[str]:
    names: set[str] = set()

    class Finder(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            if isinstance(node.value, (cst.SimpleString, cst.FormattedString)) and \
                    len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
                names.add(node.targets[0].target.value)

    fn.body.visit(Finder())
    return names


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    strings = _string_literals(fn)
    for loop in self_contained_loops(fn, parent_of):
        for name in sorted(strings):
            uses = names_in(loop, name)
            if not uses or not all(isinstance(parent_of.get(u), cst.AugAssign) and
                                   isinstance(parent_of[u].operator, cst.AddAssign)  # type: ignore[attr-defined]
                                   and parent_of[u].target is u for u in uses):  # type: ignore[attr-defined]
                continue
            parts = fresh_name(module, f"{name}_parts")
            return _rewrite(module, loop, name, parts)
    return None


def _rewrite(module: cst.Module, loop: cst.CSTNode, name: str, parts: str) -> Rewrite:
    class Transform(AroundStatement):
        def leave_AugAssign(self, original: cst.AugAssign, updated: cst.AugAssign
                            ) -> cst.BaseSmallStatement:
            if self.inside and isinstance(original.target, cst.Name) and \
                    original.target.value == name:
                return cst.Expr(cst.parse_expression(f"{parts}.append(__piece__)").with_changes(
                    args=[cst.Arg(updated.value)]))
            return updated

    before = [cst.parse_statement(f"{parts} = [{name}]")]
    after = [cst.parse_statement(f'{name} = "".join({parts})')]
    new_module = module.visit(Transform(loop, before, after))
    return Rewrite(new_module.code, (),
                   f"`{name} += …` in a loop rebuilt the string on every pass; the pieces are "
                   f"collected in `{parts}` and joined once")


RULE = Rule(
    name="string-join",
    idea="collect string pieces in a list and join once instead of adding to a string in a "
         "loop (appending with +=, or prepending, joined reversed)",
    apply=first_form(apply, string_prepend.apply),
)
