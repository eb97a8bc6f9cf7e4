"""`s = piece + s` on a string inside a loop → collect the pieces, join them reversed once:
`string-join`'s prepending form.

Prepending copies the whole string built so far on every pass (quadratic, and CPython's
in-place trick for `+=` cannot help a prepend); collecting the pieces and joining them in
reverse copies each once. Safe when, inside the loop, the string is only ever used in that
statement (never read otherwise), the loop cannot leave the function early (no `return`,
`yield` or `try`), and the string starts as a literal, so it is known to be a `str`.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, parse_with_parents
from lesson_lsp.team.rewrites.bindings import fresh_name, is_builtin, names_in
from lesson_lsp.team.rewrites.edits import AroundStatement
from lesson_lsp.team.rewrites.loops import self_contained_loops


def _string_names(fn: cst.FunctionDef) -> set[str]:
    names: set[str] = set()

    class Finder(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            if isinstance(node.value, cst.SimpleString) and len(node.targets) == 1 and \
                    isinstance(node.targets[0].target, cst.Name) and \
                    "b" not in node.value.prefix.lower():
                names.add(node.targets[0].target.value)

    fn.body.visit(Finder())
    return names


def _prepend(name: str) -> m.BaseMatcherNode:
    return m.Assign(targets=[m.AssignTarget(m.Name(name))],
                    value=m.BinaryOperation(operator=m.Add(), right=m.Name(name)))


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if not is_builtin(module, "reversed"):
        return None
    strings = _string_names(fn)
    for loop in self_contained_loops(fn, parent_of):
        for name in sorted(strings):
            assigns = m.findall(loop, _prepend(name))
            uses = names_in(loop, name)
            if not assigns or len(uses) != 2 * len(assigns):
                continue
            if any(names_in(a.value.left, name) for a in assigns):  # type: ignore[attr-defined]
                continue
            parts = fresh_name(module, f"{name}_parts")
            return _rewrite(module, loop, name, parts)
    return None


def _rewrite(module: cst.Module, loop: cst.CSTNode, name: str, parts: str) -> Rewrite:
    class Transform(AroundStatement):
        def leave_Assign(self, original: cst.Assign, updated: cst.Assign
                         ) -> cst.BaseSmallStatement:
            if self.inside and m.matches(original, _prepend(name)):
                assert isinstance(updated.value, cst.BinaryOperation)
                return cst.Expr(cst.Call(
                    func=cst.Attribute(value=cst.Name(parts), attr=cst.Name("append")),
                    args=[cst.Arg(updated.value.left)]))
            return updated

    before = [cst.parse_statement(f"{parts} = []")]
    after = [cst.parse_statement(f'{name} = "".join(reversed({parts})) + {name}')]
    new_module = module.visit(Transform(loop, before, after))
    return Rewrite(new_module.code, (),
                   f"`{name} = … + {name}` in a loop copied the whole string on every pass; the "
                   f"pieces are collected in `{parts}` and joined once, in reverse")
