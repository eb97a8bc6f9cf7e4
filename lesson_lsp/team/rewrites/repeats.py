"""No rule rewrites its own rewrite: the check every `Rule` runs on what it proposes.

A rule keeps the original code for the inputs its fast path does not take (`fast if guard else
original`, `if guard: fast` with the original in the `else`, or `if guard: return fast` before
it), or builds a value once from a name (`ys_set = set(ys) if … else ys`). Given that output
again (the next round starts from the best candidate so far, and `compose` feeds one rule's
output to the next), the rule meets its own pattern once more: the original it kept, or the
name it made. Its second rewrite guards the kept original with a guard already known false
there, a fast path that can never run, or converts the converted value again.

Both show in the code itself, whoever wrote it, so the check needs no memory of earlier rounds
and no marker in the user's code:

* a **dead guard**: an `if`/`… if … else …` whose test is, spelled the same, already false where
  it stands: it lies in the `else` of that test, or after an `if` on it whose body always leaves
  (return, raise, continue, break), none of the test's names rebound in between;
* a **restacked value**: `b = E` where E reads a name `a` whose one binding is `a = E'`, E' the
  same expression as E up to names: the value converted again.

`Rule` wraps every rule's `apply` in `refusing_repeats`: a rewrite holding more of either than
the code it was given is refused, for every rule, `compose` included, without the rule's author
doing anything. A rule that rewrites one site per proposal should also skip such a site itself
(`known_false`, `restacked`), so that its next proposal reaches its other sites instead.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider

from lesson_lsp.team.rewrites.bindings import bound_by, bound_names, name_nodes, target_names
from lesson_lsp.team.rewrites.shapes import spelling

if TYPE_CHECKING:
    from lesson_lsp.team.rewrites.rewrite import Apply, Rewrite, RewriteContext

Parents = dict[cst.CSTNode, cst.CSTNode]

_LEAVING = (cst.Return, cst.Raise, cst.Continue, cst.Break)
_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def known_false(site: cst.CSTNode, test: cst.BaseExpression, parent_of: Parents,
                bound: Callable[[cst.CSTNode], set[str]] = bound_names) -> bool:
    """`test` is false wherever `site` runs: `site` lies in the `else` of an `if`/`… if … else …`
    on the same test, or after `if test:` whose body always leaves, and nothing in between
    rebinds a name the test reads. Guarding `site` with `test` again gives a dead fast path.
    (`bound` is `bound_names`, or a memo of it when many sites of one tree are asked about.)"""
    wanted = spelling(test)
    read = {n.value for n in name_nodes(test)}
    child, current = site, parent_of.get(site)
    while current is not None:
        if isinstance(current, (cst.If, cst.IfExp)) and child is current.orelse and \
                spelling(current.test) == wanted:
            return True
        if isinstance(current, (cst.IndentedBlock, cst.Module)):
            body = list(current.body)
            for earlier in reversed(body[:next((i for i, s in enumerate(body) if s is child),
                                               0)]):
                if _leaves_when(earlier, wanted):
                    return True
                if bound(earlier) & read:
                    return False
        if isinstance(current, (cst.For, cst.While, *_COMPREHENSIONS)) and \
                bound(current) & read:
            return False  # a later pass may see other values
        if isinstance(current, _SCOPES):
            return False  # it runs later, when the names may hold anything
        child, current = current, parent_of.get(current)
    return False


def _leaves_when(statement: cst.CSTNode, wanted: str) -> bool:
    """`statement` is `if <wanted>:` without else, whose body always leaves."""
    if not isinstance(statement, cst.If) or statement.orelse is not None or \
            spelling(statement.test) != wanted:
        return False
    body = statement.body
    last: cst.CSTNode | None = body.body[-1] if body.body else None
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1]
    return isinstance(last, _LEAVING)


def restacked(scope: cst.CSTNode, name: str, value: cst.BaseExpression) -> bool:
    """`name`'s one binding in `scope` is `name = E` with E the same expression as `value` up to
    `scope`'s own names: building `value` from `name` would build the same thing again."""
    definition = _definitions(scope).get(name)
    local = bound_by(scope)
    return definition is not None and _shape(definition, local) == _shape(value, local)


def _definitions(scope: cst.CSTNode) -> dict[str, cst.BaseExpression]:
    """The names bound exactly once in `scope`, by a plain `name = value`, with their value."""
    counts: Counter[str] = Counter()
    values: dict[str, cst.BaseExpression] = {}

    class Finder(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
                values[node.targets[0].target.value] = node.value

        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For,
                                 cst.CompFor, cst.NamedExpr)):
                counts.update(target_names(node.target))
            elif isinstance(node, (cst.Param, cst.FunctionDef, cst.ClassDef)):
                counts[node.name.value] += 2
            elif isinstance(node, (cst.WithItem, cst.ExceptHandler, cst.Import, cst.ImportFrom,
                                   cst.Global, cst.Nonlocal)):
                counts.update(dict.fromkeys(bound_names(node), 2))
            return super().on_visit(node)

    scope.visit(Finder())
    return {name: value for name, value in values.items() if counts[name] == 1}


class _Anonymous(cst.CSTTransformer):
    """Every name of `local` spelled `_`; builtins and globals, attributes, keywords kept (a
    parameter may be called `type`, and `set(type)` is then the same as `set(xs)`)."""

    def __init__(self, local: frozenset[str]) -> None:
        super().__init__()
        self.local = local

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value="_") if updated.value in self.local else updated

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute
                        ) -> cst.Attribute:
        return updated.with_changes(attr=original.attr)

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)


def _shape(node: cst.BaseExpression, local: frozenset[str]) -> str:
    anonymous = node.visit(_Anonymous(local))
    assert isinstance(anonymous, cst.BaseExpression)
    return spelling(anonymous)


@functools.lru_cache(maxsize=16)  # the code a round starts from, for each rule that proposes
def repeats(source: str) -> Counter[str] | None:
    """The dead guards and restacked values of `source`, by spelling; None if it does not parse.
    (Remembered: read it, do not change it.)"""
    try:
        wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    except cst.ParserSyntaxError:
        return None
    module, parent_of = wrapper.module, dict(wrapper.resolve(ParentNodeProvider))
    found: Counter[str] = Counter()
    bound_memo: dict[cst.CSTNode, set[str]] = {}

    def bound(node: cst.CSTNode) -> set[str]:
        if node not in bound_memo:
            bound_memo[node] = bound_names(node)
        return bound_memo[node]

    class Finder(cst.CSTVisitor):
        def visit_If(self, node: cst.If) -> None:
            self.guard(node)

        def visit_IfExp(self, node: cst.IfExp) -> None:
            self.guard(node)

        def guard(self, node: cst.If | cst.IfExp) -> None:
            if known_false(node, node.test, parent_of, bound):
                found[f"dead guard `{spelling(node.test)}`"] += 1

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            definitions = _definitions(node)
            local = bound_by(node)
            shapes: dict[cst.CSTNode, str] = {}

            def shape(value: cst.BaseExpression) -> str:
                if value not in shapes:
                    shapes[value] = _shape(value, local)
                return shapes[value]

            for assign in _assigns(node):
                for name in {n.value for n in name_nodes(assign.value)} & set(definitions):
                    if definitions[name] is not assign.value and \
                            shape(definitions[name]) == shape(assign.value):
                        found[f"`{name}` converted again"] += 1

    module.visit(Finder())
    return found


def _assigns(fn: cst.FunctionDef) -> list[cst.Assign]:
    found: list[cst.Assign] = []

    class Finder(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            found.append(node)

    fn.body.visit(Finder())
    return found


def repeated(before: str, after: str) -> str | None:
    """What `after`, a rewrite of `before`, does again that was already done, or None."""
    old, new = repeats(before), repeats(after)
    if old is None or new is None:
        return None
    more = new - old
    return ", ".join(sorted(more)) if more else None


def refusing_repeats(apply: Apply) -> Apply:
    """`apply`, refusing a rewrite that repeats what the code already does."""
    if getattr(apply, "refuses_repeats", False):
        return apply

    @functools.wraps(apply)
    def checked(source: str, context: RewriteContext) -> Rewrite | None:
        rewrite = apply(source, context)
        if rewrite is None or repeated(source, rewrite.source) is None:
            return rewrite
        return None

    checked.refuses_repeats = True  # type: ignore[attr-defined]
    return checked
