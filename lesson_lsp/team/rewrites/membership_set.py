"""`x in some_list` inside a loop → a set built once before the loop.

List membership scans the list (O(n)) on every test; a set answers in O(1). Safe only when the
list does not change inside the loop and is used there for nothing but membership, iteration and
`len` (so no alias can change it either).

An inner loop that compares each item with `==` to find a match is the same membership test
spelled out (`equality_join`), and is the second form of this rule.
"""

from __future__ import annotations

import libcst as cst

from lesson_lsp.team.rewrites import equality_join
from lesson_lsp.team.rewrites.base import (
    Rewrite,
    RewriteContext,
    Rule,
    first_form,
    parse_with_parents,
)
from lesson_lsp.team.rewrites.bindings import fresh_name, names_in, param_names
from lesson_lsp.team.rewrites.edits import SwapMembership
from lesson_lsp.team.rewrites.repeats import restacked
from lesson_lsp.team.rewrites.shapes import is_len_argument, membership_tests

_LOOPS = (cst.For, cst.While)
_COMPS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


_HASHED = ("set", "frozenset", "dict")
# Only a list or tuple becomes a set: `in` on a str tests substrings (parse's
# `"%" + c in format`), and other containers answer `in` their own way already.
_BUILD = "set({0}) if {0}.__class__ in (list, tuple) else {0}"


def _assigned_names(fn: cst.FunctionDef) -> tuple[set[str], set[str]]:
    """Local names assigned in `fn`, and those among them that already hold a set or dict."""
    names: set[str] = set()
    hashed: set[str] = set()

    class Finder(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            value = node.value
            is_hashed = isinstance(value, (cst.Set, cst.SetComp, cst.Dict, cst.DictComp)) or (
                isinstance(value, cst.Call) and isinstance(value.func, cst.Name)
                and value.func.value in _HASHED)
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    names.add(target.target.value)
                    if is_hashed:
                        hashed.add(target.target.value)

    fn.body.visit(Finder())
    return names, hashed


def _allowed_use(name: cst.Name, parent_of: dict[cst.CSTNode, cst.CSTNode]) -> bool:
    """Membership comparator, a loop's iterable, or the argument of len()."""
    parent = parent_of.get(name)
    if isinstance(parent, cst.ComparisonTarget) and parent.comparator is name and \
            isinstance(parent.operator, (cst.In, cst.NotIn)):
        return True
    if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is name:
        return True
    return is_len_argument(name, parent_of)


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    assigned, hashed = _assigned_names(fn)
    local = (set(param_names(fn)) | assigned) - hashed

    def anchor_of(node: cst.CSTNode) -> cst.CSTNode | None:
        """The outermost loop around `node` in the function, or the statement holding the
        comprehension it sits in."""
        outer_loop = None
        statement = None
        comprehension = False
        current = parent_of.get(node)
        while current is not None and current is not fn:
            if isinstance(current, _LOOPS):
                outer_loop = current
            if isinstance(current, _COMPS):
                comprehension = True
            if statement is None and isinstance(current, cst.SimpleStatementLine):
                statement = current
            current = parent_of.get(current)
        if outer_loop is not None:
            return outer_loop
        return statement if comprehension else None

    for comparison_target in membership_tests(fn.body):
        name_node = comparison_target.comparator
        assert isinstance(name_node, cst.Name)
        name = name_node.value
        if name not in local or name == context.name:
            continue
        anchor = anchor_of(comparison_target)
        if anchor is None:
            continue
        uses = names_in(anchor, name)
        if not all(_allowed_use(u, parent_of) for u in uses):
            continue
        if isinstance(anchor, cst.For) and names_in(anchor.target, name):
            continue
        if restacked(fn, name, cst.parse_expression(_BUILD.format(name))):
            continue  # the set this rule made: its next site, if any, is another name's
        set_name = fresh_name(module, f"{name}_set")
        return _rewrite(module, anchor, name, set_name)
    return None


def _rewrite(module: cst.Module, anchor: cst.CSTNode, name: str, set_name: str) -> Rewrite:
    build = f"{set_name} = {_BUILD.format(name)}"
    new_module = module.visit(SwapMembership(anchor, name, set_name, build))
    return Rewrite(
        new_module.code,
        (),
        f"`{name}` is a list tested for membership inside a loop; each test scanned it, "
        f"so it is turned into the set `{set_name}` once before the loop",
    )


RULE = Rule(
    name="membership-set",
    idea="test membership against a set built once instead of scanning a list in a loop "
         "(`x in xs`, or an inner loop comparing each item with ==)",
    apply=first_form(apply, equality_join.apply),
)
