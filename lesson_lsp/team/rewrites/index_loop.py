"""`for i in range(len(xs)): … xs[i] …` → `for x in xs: … x …`.

Indexing costs a subscript per use, on top of the range counter; iterating hands each item
over directly. `range(0, len(xs), k)` becomes `xs[::k]`. Safe when `i` is used in the loop only
as `xs[i]` (read, never assigned or deleted), is not read after the loop, `xs` is a plain name
the loop does not rebind or call methods on, and the loop calls nothing that could change it:
only builtins and functions nested in this one that never mention it. A mapping indexed by
position (a dict with keys 0…n-1) iterates differently; the harness rejects that candidate.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_with_parents
from lesson_lsp.team.rewrites.bindings import bound_names, fresh_name, is_builtin, names_in
from lesson_lsp.team.rewrites.edits import AroundStatement
from lesson_lsp.team.rewrites.effects import calls_leave_alone, reads
from lesson_lsp.team.rewrites.loops import read_outside
from lesson_lsp.team.rewrites.shapes import call_to


def _indexed(loop: cst.For) -> tuple[str, str, cst.BaseExpression | None] | None:
    """(i, xs, step) when the loop runs over `range(len(xs))` or `range(0, len(xs)[, step])`."""
    if not isinstance(loop.target, cst.Name) or not call_to(loop.iter, "range") or \
            loop.orelse is not None:
        return None
    assert isinstance(loop.iter, cst.Call)
    args = [a.value for a in loop.iter.args]
    step = None
    if len(args) == 1:
        stop = args[0]
    elif len(args) in (2, 3) and m.matches(args[0], m.Integer("0")):
        stop = args[1]
        if len(args) == 3:
            step = args[2]
            if not (isinstance(step, cst.Integer) and step.value not in ("0", "1")):
                return None
    else:
        return None
    if not call_to(stop, "len", 1):
        return None
    assert isinstance(stop, cst.Call)
    xs = stop.args[0].value
    if not isinstance(xs, cst.Name):
        return None
    return loop.target.value, xs.value, step


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if not is_builtin(module, "range") or not is_builtin(module, "len"):
        return None
    for loop in m.findall(fn.body, m.For()):
        assert isinstance(loop, cst.For)
        found_index = _indexed(loop)
        if found_index is None:
            continue
        i, xs, step = found_index
        if i == xs or xs in bound_names(loop.body) or i in bound_names(loop.body):
            continue
        uses = names_in(loop.body, i)
        if not uses or not all(_is_item(u, xs, parent_of) for u in uses):
            continue
        if read_outside(loop, fn, parent_of):
            continue
        if not all(reads(u, parent_of) for u in names_in(loop.body, xs)) or \
                not calls_leave_alone(module, fn, loop.body, xs):
            continue
        item = fresh_name(module, f"{xs}_item" if len(xs) > 1 else "item")
        return _rewrite(module, loop, i, xs, step, item)
    return None


def _is_item(use: cst.Name, xs: str, parent_of: dict[cst.CSTNode, cst.CSTNode]) -> bool:
    """`use` is the whole index of a read `xs[i]`."""
    index = parent_of.get(use)
    element = parent_of.get(index) if isinstance(index, cst.Index) else None
    subscript = parent_of.get(element) if isinstance(element, cst.SubscriptElement) else None
    return isinstance(subscript, cst.Subscript) and len(subscript.slice) == 1 and \
        isinstance(subscript.value, cst.Name) and subscript.value.value == xs and \
        reads(subscript, parent_of)


def _rewrite(module: cst.Module, loop: cst.For, i: str, xs: str,
             step: cst.BaseExpression | None, item: str) -> Rewrite:
    class Transform(AroundStatement):
        def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript
                            ) -> cst.BaseExpression:
            if self.inside and isinstance(original.value, cst.Name) and \
                    original.value.value == xs and len(original.slice) == 1 and \
                    m.matches(original.slice[0].slice, m.Index(m.Name(i))):
                return cst.Name(item, lpar=updated.lpar, rpar=updated.rpar)
            return updated

        def leave_For(self, original: cst.For, updated: cst.For) -> cst.For:
            if original is not loop:
                return updated
            iterable = cst.parse_expression(
                f"{xs}[::{cst.Module([]).code_for_node(step)}]" if step is not None else xs)
            return updated.with_changes(target=cst.Name(item), iter=iterable)

    new_module = module.visit(Transform(loop, []))
    return Rewrite(new_module.code, (),
                   f"the loop counted `{i}` only to read `{xs}[{i}]`; iterating `{xs}` hands "
                   "each item over without the index arithmetic and subscript")


RULE = Rule(
    name="index-loop",
    idea="iterate over the items directly instead of indexing with range(len(...))",
    apply=apply,
)
