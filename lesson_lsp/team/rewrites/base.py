"""What a rewrite rule is, and the libcst plumbing the rules share.

A rule is a small compiler pass: a precise pattern, the preconditions that make it safe, and a
transform that keeps comments and formatting. It refuses (returns None) when in doubt; the harness
still checks whatever it proposes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider


@dataclass(frozen=True)
class RewriteContext:
    name: str  # the function's own name
    is_method: bool = False


@dataclass(frozen=True)
class Rewrite:
    source: str
    imports: tuple[str, ...] = ()
    summary: str = ""  # what the rule saw and did, in words for the lesson


@dataclass(frozen=True)
class Rule:
    """One rewrite: `apply` returns a Rewrite or None when its preconditions do not hold."""

    name: str
    idea: str  # one sentence: why this is faster, reused in lessons
    apply: Callable[[str, RewriteContext], Rewrite | None] = field(compare=False)


def parse_function(source: str, name: str) -> tuple[cst.Module, cst.FunctionDef] | None:
    """The module of `source` and its top-level function `name`, or None."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return None
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
            return module, statement
    return None


def parents(module: cst.Module) -> tuple[cst.Module, dict[cst.CSTNode, cst.CSTNode]]:
    """The module as libcst resolves metadata on it, and each node's parent."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    return wrapper.module, dict(wrapper.resolve(ParentNodeProvider))


def names_in(node: cst.CSTNode, name: str) -> list[cst.Name]:
    """Every `Name` node spelled `name` under `node`."""
    found: list[cst.Name] = []

    class Finder(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            if n.value == name:
                found.append(n)

    node.visit(Finder())
    return found


def param_names(fn: cst.FunctionDef) -> list[str]:
    p = fn.params
    names = [x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)]
    if isinstance(p.star_arg, cst.Param):
        names.append(p.star_arg.name.value)
    if p.star_kwarg is not None:
        names.append(p.star_kwarg.name.value)
    return names


def fresh_name(module: cst.Module, base: str) -> str:
    """`base`, or `base_2`, … : a name the module does not use yet."""
    used = set(_all_names(module))
    name, i = base, 2
    while name in used:
        name, i = f"{base}_{i}", i + 1
    return name


def _all_names(module: cst.Module) -> list[str]:
    found: list[str] = []

    class Finder(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            found.append(n.value)

    module.visit(Finder())
    return found


def has_any(node: cst.CSTNode, kinds: tuple[type[cst.CSTNode], ...]) -> bool:
    hit = False

    class Finder(cst.CSTVisitor):
        def on_visit(self, n: cst.CSTNode) -> bool:
            nonlocal hit
            if isinstance(n, kinds):
                hit = True
            return not hit

    node.visit(Finder())
    return hit


Parents = dict[cst.CSTNode, cst.CSTNode]


def parse_with_parents(source: str, name: str
                       ) -> tuple[cst.Module, cst.FunctionDef, Parents] | None:
    """Like `parse_function`, with each node's parent (for rules that look at a name's use)."""
    found = parse_function(source, name)
    if found is None:
        return None
    module, parent_of = parents(found[0])
    fn = next(s for s in module.body if isinstance(s, cst.FunctionDef) and s.name.value == name)
    return module, fn, parent_of


def outer_loops(fn: cst.FunctionDef) -> list[cst.CSTNode]:
    """The `for`/`while` loops of `fn` that no other loop encloses."""
    loops: list[cst.CSTNode] = []

    class Finder(cst.CSTVisitor):
        def visit_For(self, node: cst.For) -> bool:
            loops.append(node)
            return False

        def visit_While(self, node: cst.While) -> bool:
            loops.append(node)
            return False

    fn.body.visit(Finder())
    return loops


def is_len_argument(name: cst.Name, parent_of: dict[cst.CSTNode, cst.CSTNode]) -> bool:
    """`name` is the argument of a call to `len`."""
    arg = parent_of.get(name)
    call = parent_of.get(arg) if isinstance(arg, cst.Arg) else None
    return isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and \
        call.func.value == "len"


def membership_tests(node: cst.CSTNode) -> list[cst.ComparisonTarget]:
    """Every `… in NAME` / `… not in NAME` under `node`."""
    found: list[cst.ComparisonTarget] = []

    class Finder(cst.CSTVisitor):
        def visit_ComparisonTarget(self, target: cst.ComparisonTarget) -> None:
            if isinstance(target.operator, (cst.In, cst.NotIn)) and \
                    isinstance(target.comparator, cst.Name):
                found.append(target)

    node.visit(Finder())
    return found


class AroundStatement(cst.CSTTransformer):
    """Puts statements before and after one statement (the anchor, usually a loop) and tells
    the subclass, through `inside`, whether the node being left lies within it."""

    def __init__(self, anchor: cst.CSTNode, before: Sequence[cst.BaseStatement],
                 after: Sequence[cst.BaseStatement] = ()) -> None:
        super().__init__()
        self.anchor, self.before, self.after = anchor, list(before), list(after)
        self.inside = 0

    def on_visit(self, node: cst.CSTNode) -> bool:
        if node is self.anchor:
            self.inside += 1
        return super().on_visit(node)

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):  # type: ignore[override]
        result = super().on_leave(original, updated)
        if original is self.anchor and isinstance(result, cst.BaseStatement):
            self.inside -= 1
            return cst.FlattenSentinel([*self.before, result, *self.after])
        return result


def is_membership_of(target: cst.ComparisonTarget, name: str) -> bool:
    """`target` is `in NAME` or `not in NAME`."""
    return isinstance(target.operator, (cst.In, cst.NotIn)) and \
        isinstance(target.comparator, cst.Name) and target.comparator.value == name


class SwapMembership(AroundStatement):
    """Builds `set_name = set(name)` before the anchor and turns `x in name` inside it into
    `x in set_name`."""

    def __init__(self, anchor: cst.CSTNode, name: str, set_name: str) -> None:
        super().__init__(anchor, [cst.parse_statement(f"{set_name} = set({name})")])
        self.name, self.set_name = name, set_name

    def leave_ComparisonTarget(self, original: cst.ComparisonTarget,
                               updated: cst.ComparisonTarget) -> cst.ComparisonTarget:
        if self.inside and is_membership_of(original, self.name):
            return updated.with_changes(comparator=cst.Name(self.set_name))
        return updated


def with_function(module: cst.Module, old: cst.FunctionDef, new: Any) -> str:
    """The module's code with its top-level function `old` replaced by `new`."""
    return module.with_changes(body=[new if s is old else s for s in module.body]).code
