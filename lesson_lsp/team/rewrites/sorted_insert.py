"""`xs.append(v); xs.sort()` in a loop → `bisect.insort(xs, v)`.

Sorting after every append compares every element again (Timsort finds the run, but still
walks the whole list); a list that is already sorted only needs the new item put in its
place: a binary search and one memory move. `insort` puts it after the items equal to it, where
the stable sort leaves an appended item, and takes the same `key=`. Safe when the list is
sorted when the loop starts (`xs = []`, or `xs = sorted(…)` without a key, as the last word on
`xs` before the loop), the loop never rebinds it, every change to it in the loop is such a
pair, and nothing else the loop calls can reach it.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parents, parse_with_parents
from lesson_lsp.team.rewrites.bindings import bound_names, is_builtin, may_import, names_in
from lesson_lsp.team.rewrites.edits import with_comments_of, without
from lesson_lsp.team.rewrites.effects import UNSAFE_BUILTINS, reads
from lesson_lsp.team.rewrites.loops import loop_of

_KEY = m.Name() | m.Attribute() | m.Lambda()


def _pair(first: cst.BaseStatement, second: cst.BaseStatement
          ) -> tuple[str, cst.Arg, cst.Arg | None] | None:
    """`first` is `NAME.append(v)` and `second` is `NAME.sort()` or `NAME.sort(key=…)`:
    the name, the appended value and the key."""
    if not (isinstance(first, cst.SimpleStatementLine) and len(first.body) == 1
            and isinstance(second, cst.SimpleStatementLine) and len(second.body) == 1):
        return None
    append, sort = first.body[0], second.body[0]
    if not (m.matches(append, m.Expr(m.Call(func=m.Attribute(m.Name(), m.Name("append")),
                                            args=[m.Arg(keyword=None, star="")])))
            and m.matches(sort, m.Expr(m.Call(func=m.Attribute(m.Name(), m.Name("sort")))))):
        return None
    assert isinstance(append, cst.Expr) and isinstance(sort, cst.Expr)
    add, order = append.value, sort.value
    assert isinstance(add, cst.Call) and isinstance(order, cst.Call)
    assert isinstance(add.func, cst.Attribute) and isinstance(order.func, cst.Attribute)
    name = add.func.value
    assert isinstance(name, cst.Name)
    if not m.matches(order.func.value, m.Name(name.value)):
        return None
    if not order.args:
        return name.value, add.args[0], None
    if len(order.args) == 1 and m.matches(order.args[0], m.Arg(keyword=m.Name("key"),
                                                               value=_KEY)):
        return name.value, add.args[0], order.args[0]
    return None


def _pairs(loop: cst.CSTNode) -> list[tuple[cst.BaseStatement, cst.BaseStatement,
                                            tuple[str, cst.Arg, cst.Arg | None]]]:
    found = []

    class Finder(cst.CSTVisitor):
        def visit_IndentedBlock(self, block: cst.IndentedBlock) -> None:
            for first, second in zip(block.body, block.body[1:], strict=False):
                hit = _pair(first, second)
                if hit is not None:
                    found.append((first, second, hit))

    loop.visit(Finder())
    return found


def _sorted_on_entry(block: cst.IndentedBlock, loop: cst.CSTNode, name: str,
                     keyed: bool) -> bool:
    """The last statement before `loop` in `block` that mentions `name` makes it sorted."""
    index = next(i for i, s in enumerate(block.body) if s is loop)
    for statement in reversed(block.body[:index]):
        if not names_in(statement, name):
            continue
        empty = m.SimpleStatementLine([m.Assign([m.AssignTarget(m.Name(name))], m.List([]))])
        sort = m.SimpleStatementLine([m.Assign([m.AssignTarget(m.Name(name))], m.Call(
            func=m.Name("sorted"), args=[m.Arg(keyword=None, star="")]))])
        return m.matches(statement, empty) or (not keyed and m.matches(statement, sort))
    return False


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None or not may_import(found[0], found[1], "bisect"):
        return None
    module, fn, parent_of = found
    for first, _, (name, _, key) in _pairs(fn):
        loop = loop_of(first, parent_of, fn)
        block = parent_of.get(loop) if loop is not None else None
        if loop is None or not isinstance(block, cst.IndentedBlock) or \
                name in bound_names(loop) or \
                not _sorted_on_entry(block, loop, name, key is not None):
            continue
        pairs = [p for p in _pairs(loop) if p[2][0] == name]
        rest = without(loop, {id(s) for p in pairs for s in p[:2]})
        if not _only_read(module, fn, rest, name):
            continue
        return _rewrite(module, pairs, name, key is not None)
    return None


_READERS = frozenset({"len", "min", "max", "sum", "sorted", "any", "all", "tuple", "list",
                      "set", "enumerate", "zip", "reversed"})


def _only_read(module: cst.Module, fn: cst.FunctionDef, rest: object, name: str) -> bool:
    """Outside the pairs, the loop only reads items of `name`, its length, or walks it, and
    never hands the list itself anywhere; no nested function or lambda can reach it. The list
    is fresh (`[]` or `sorted(…)`), so then nothing but the pairs can change it."""
    if not isinstance(rest, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        return False
    wrapped, parent_of = parents(cst.Module(body=[rest]))
    for use in names_in(wrapped, name):
        parent = parent_of.get(use)
        if isinstance(parent, cst.Subscript) and parent.value is use and \
                reads(parent, parent_of):
            continue
        if isinstance(parent, cst.ComparisonTarget) or \
                (isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is use):
            continue
        call = parent_of.get(parent) if isinstance(parent, cst.Arg) else None
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and \
                call.func.value in _READERS and is_builtin(module, call.func.value):
            continue
        return False
    closures = m.findall(fn, m.FunctionDef() | m.Lambda())
    return not any(c is not fn and names_in(c, name) for c in closures) and \
        not m.findall(rest, m.Call(func=m.Name(m.MatchIfTrue(lambda n: n in UNSAFE_BUILTINS))))


def _rewrite(module: cst.Module, pairs: list, name: str, keyed: bool) -> Rewrite:
    firsts = {id(p[0]): p for p in pairs}
    seconds = {id(p[1]) for p in pairs}

    class Transform(cst.CSTTransformer):
        def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):  # type: ignore[override]
            if id(original) in seconds:
                return cst.RemoveFromParent()
            if id(original) in firsts:
                first, second, (_, value, key) = firsts[id(original)]
                args = [cst.Arg(cst.Name(name)),
                        value.with_changes(comma=cst.MaybeSentinel.DEFAULT)]
                if key is not None:
                    args.append(key.with_changes(comma=cst.MaybeSentinel.DEFAULT))
                call = cst.Call(cst.Attribute(cst.Name("bisect"), cst.Name("insort")), args)
                comment = first.trailing_whitespace
                if comment.comment is None:
                    comment = second.trailing_whitespace
                return with_comments_of([first, second], first.with_changes(
                    body=[cst.Expr(call)], trailing_whitespace=comment))
            return updated

    new_module = module.visit(Transform())
    keyword = " with its key" if keyed else ""
    return Rewrite(new_module.code, ("import bisect",),
                   f"`{name}` was sorted again{keyword} after every append although it was "
                   f"already sorted; `bisect.insort` puts the new item in its place")


RULE = Rule(
    name="sorted-insert",
    idea="insert into an already sorted list with bisect.insort instead of appending and "
         "sorting it again on every pass",
    apply=apply,
)
