"""Loops and scopes: which loops a rule may work around, and what lies within or outside one."""

from __future__ import annotations

import libcst as cst

from lesson_lsp.team.rewrites.base import Parents
from lesson_lsp.team.rewrites.bindings import names_in, target_names
from lesson_lsp.team.rewrites.shapes import has_any


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


def self_contained_loops(fn: cst.FunctionDef, parent_of: Parents) -> list[cst.CSTNode]:
    """The outermost loops of `fn` that cannot leave the function part way (no `return`,
    `yield` or `try`) and stand in a block, where statements can go before and after them."""
    return [loop for loop in outer_loops(fn)
            if not has_any(loop, (cst.Return, cst.Yield, cst.Try))
            and isinstance(parent_of.get(loop), cst.IndentedBlock)]


def within(node: cst.CSTNode, ancestor: cst.CSTNode, parent_of: Parents) -> bool:
    """`node` is `ancestor` or lies under it."""
    current: cst.CSTNode | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = parent_of.get(current)
    return False


def loop_of(node: cst.CSTNode, parent_of: Parents, stop: cst.CSTNode) -> cst.CSTNode | None:
    """The outermost `for`/`while` around `node`, below `stop`."""
    outer = None
    current = parent_of.get(node)
    while current is not None and current is not stop:
        if isinstance(current, (cst.For, cst.While)):
            outer = current
        current = parent_of.get(current)
    return outer


def read_outside(loop: cst.For, fn: cst.FunctionDef, parent_of: Parents) -> bool:
    """A variable of `loop` may be read outside it: its last value would be seen. Uses that a
    later `for` rebinds first (its target, or anywhere in its body) do not count."""
    names = target_names(loop.target)
    for name in names:
        for use in names_in(fn.body, name):
            current: cst.CSTNode | None = use
            while current is not None and current is not loop:
                parent = parent_of.get(current)
                if isinstance(parent, cst.For) and current is not parent.iter and \
                        name in target_names(parent.target):
                    break  # a later loop rebinds it first
                current = parent
            if current is None:
                return True
    return False
