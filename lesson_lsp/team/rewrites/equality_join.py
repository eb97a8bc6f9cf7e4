"""A nested-loop equality join → a set built once: `membership-set`'s nested-loop form.

    for a in xs:                      ys_set = set(ys)
        for b in ys:          →       for a in xs:
            if a == b:                    if a in ys_set:
                out.add(a)                    out.add(a)

The inner loop scans all of `ys` for every `a` (O(n·m)); a set answers in O(1). Safe when the
inner loop's whole body is that `if` (no `else`) and the branch does the same thing however
many `b` match — it adds `a` to a set, or returns something that does not mention `b` — `b`
is not used anywhere else, `ys` is a name the outer loop does not rebind or mutate, and `a`
is compared with `==` (`b == a` too). Unhashable items make `set` raise; the harness then
rejects the candidate.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, parse_with_parents
from lesson_lsp.team.rewrites.bindings import (
    bound_names,
    fresh_name,
    is_builtin,
    names_in,
    target_names,
)
from lesson_lsp.team.rewrites.edits import AroundStatement, with_comments_of


def _equal(test: cst.BaseExpression, a: str, b: str) -> bool:
    return any(m.matches(test, m.Comparison(left=m.Name(x), comparisons=[
        m.ComparisonTarget(operator=m.Equal(), comparator=m.Name(y))]))
        for x, y in ((a, b), (b, a)))


def _idempotent(block: cst.BaseSuite, a: str, b: str, sets: set[str]) -> bool:
    """The branch does the same for one match as for several."""
    if not isinstance(block, cst.IndentedBlock) or len(block.body) != 1:
        return False
    line = block.body[0]
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return False
    small = line.body[0]
    if isinstance(small, cst.Return):
        return small.value is None or not names_in(small.value, b)
    return m.matches(small, m.Expr(m.Call(
        func=m.Attribute(value=m.Name(), attr=m.Name("add")), args=[m.Arg(m.Name(a))]))) and \
        small.value.func.value.value in sets  # type: ignore[attr-defined]


def _set_names(fn: cst.FunctionDef) -> set[str]:
    """Locals that only ever hold a fresh `set()`."""
    values: dict[str, list[cst.BaseExpression]] = {}

    class Finder(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    values.setdefault(target.target.value, []).append(node.value)

    fn.body.visit(Finder())
    return {n for n, vs in values.items() if all(
        m.matches(v, m.Call(func=m.Name("set"), args=[])) for v in vs)}


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if not is_builtin(module, "set"):
        return None
    sets = _set_names(fn)

    for outer in m.findall(fn.body, m.For()):
        assert isinstance(outer, cst.For)
        if not isinstance(outer.target, cst.Name) or \
                not isinstance(outer.body, cst.IndentedBlock):
            continue
        a = outer.target.value
        for inner in outer.body.body:
            if not (isinstance(inner, cst.For) and isinstance(inner.target, cst.Name)
                    and isinstance(inner.iter, cst.Name) and inner.orelse is None
                    and isinstance(inner.body, cst.IndentedBlock)
                    and len(inner.body.body) == 1 and isinstance(inner.body.body[0], cst.If)):
                continue
            b, ys = inner.target.value, inner.iter.value
            test = inner.body.body[0]
            assert isinstance(test, cst.If)
            if test.orelse is not None or not _equal(test.test, a, b) or \
                    not _idempotent(test.body, a, b, sets):
                continue
            if len(names_in(fn.body, b)) != 2 or ys in (a, b) or \
                    ys in bound_names(outer) or _mutated(outer, ys, parent_of):
                continue
            set_name = fresh_name(module, f"{ys}_set")
            return _rewrite(module, outer, inner, test, a, ys, set_name)
    return None



def _mutated(loop: cst.For, name: str, parent_of: dict[cst.CSTNode, cst.CSTNode]) -> bool:
    """`name` is used in the loop other than as a loop's iterable or a membership operand."""
    for use in names_in(loop, name):
        parent = parent_of.get(use)
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is use:
            continue
        if isinstance(parent, cst.ComparisonTarget) and parent.comparator is use:
            continue
        return True
    return name in target_names(loop.target)


def _rewrite(module: cst.Module, outer: cst.For, inner: cst.For, test: cst.If, a: str,
             ys: str, set_name: str) -> Rewrite:
    class Transform(AroundStatement):
        def leave_For(self, original: cst.For, updated: cst.For) -> cst.BaseStatement:
            if original is not inner:
                return updated
            condition = cst.parse_expression(f"{a} in {set_name}")
            return with_comments_of([updated], test.with_changes(
                test=condition, leading_lines=inner.leading_lines))

    before = [cst.parse_statement(f"{set_name} = set({ys})")]
    new_module = module.visit(Transform(outer, before))
    return Rewrite(new_module.code, (),
                   f"a nested loop scanned all of `{ys}` for each `{a}` to find equal items; "
                   f"the set `{set_name}`, built once, answers each lookup directly")
