"""Single-change mutants of a candidate, the kind of slip an optimizer makes: a comparison
flipped, an integer off by one, `and`/`or` swapped, a `not` dropped, `+`/`-` swapped, a slice
bound off by one, a returned value replaced by a constant. Deterministic: the same source and
seed give the same mutants in the same order.
"""

from __future__ import annotations

import ast
import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FLIPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
}
SIGNS: dict[type[ast.operator], type[ast.operator]] = {ast.Add: ast.Sub, ast.Sub: ast.Add}


@dataclass(frozen=True)
class Site:
    """One change: which node (its index in `ast.walk` order) and how."""

    index: int
    what: str  # "`<` → `<=`", for the report
    change: Callable[[ast.AST], ast.AST | None]  # mutates the node (or returns a replacement)


def _flip(i: int) -> Callable[[ast.AST], None]:
    def change(node: Any) -> None:
        node.ops[i] = FLIPS[type(node.ops[i])]()
    return change


def _set(attr: str, value: Callable[[Any], Any]) -> Callable[[ast.AST], None]:
    def change(node: Any) -> None:
        setattr(node, attr, value(getattr(node, attr)))
    return change


def _shifted(expr: ast.expr, step: int) -> ast.expr:
    if isinstance(expr, ast.Constant) and type(expr.value) is int:
        return ast.Constant(expr.value + step)
    return ast.BinOp(expr, ast.Add() if step > 0 else ast.Sub(), ast.Constant(1))


def _plus(step: int) -> Callable[[Any], Any]:
    return lambda value: value + step


def _bound(step: int) -> Callable[[Any], Any]:
    return lambda expr: _shifted(expr, step)


def _other(op: ast.boolop) -> ast.boolop:
    return ast.Or() if isinstance(op, ast.And) else ast.And()


def _operand(node: Any) -> ast.AST:
    return node.operand


def sites(tree: ast.AST, constant: Any) -> list[Site]:
    """Every single change the operators above can make in `tree`; `constant` is what a
    mutated `return` gives (the value the original returns most often)."""
    found: list[Site] = []
    for index, node in enumerate(ast.walk(tree)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Compare):
            found += [Site(index, f"{type(op).__name__} flipped at line {line}", _flip(i))
                      for i, op in enumerate(node.ops) if type(op) in FLIPS]
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            found += [Site(index, f"{node.value} → {node.value + d} at line {line}",
                           _set("value", _plus(d))) for d in (1, -1)]
        elif isinstance(node, ast.BoolOp):
            found.append(Site(index, f"and/or swapped at line {line}", _set("op", _other)))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            found.append(Site(index, f"`not` dropped at line {line}", _operand))
        elif isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in SIGNS:
            found.append(Site(index, f"+/- swapped at line {line}",
                              _set("op", lambda o: SIGNS[type(o)]())))
        elif isinstance(node, ast.Slice):
            found += [Site(index, f"slice {bound} {d:+d} at line {line}",
                           _set(bound, _bound(d)))
                      for bound in ("lower", "upper") if getattr(node, bound) is not None
                      for d in (1, -1)]
        elif isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value == constant):
            found.append(Site(index, f"return {constant!r} at line {line}",
                              _set("value", lambda _: ast.Constant(constant))))
    return found


def _apply(tree: ast.Module, site: Site) -> str | None:
    """The source of `tree` with `site` changed (on a copy); None if it does not compile."""
    mutated = copy.deepcopy(tree)
    parents = {id(child): parent for parent in ast.walk(mutated)
               for child in ast.iter_child_nodes(parent)}
    node = list(ast.walk(mutated))[site.index]
    replacement = site.change(node)
    if replacement is not None:  # swap the node for it in its parent
        parent = parents[id(node)]
        for field, value in ast.iter_fields(parent):
            if value is node:
                setattr(parent, field, replacement)
            elif isinstance(value, list):
                setattr(parent, field, [replacement if v is node else v for v in value])
    try:
        text = ast.unparse(ast.fix_missing_locations(mutated))
        compile(text, "<mutant>", "exec")
    except (SyntaxError, ValueError, TypeError):
        return None
    return text + "\n"


def mutants(source: str, seed: str, constant: Any = None) -> list[tuple[str, str]]:
    """(what changed, mutated source) for every site, in an order shuffled by `seed`."""
    tree = ast.parse(source)
    found = sites(tree, constant)
    random.Random(seed).shuffle(found)
    made = ((site.what, _apply(tree, site)) for site in found)
    return [(what, text) for what, text in made if text is not None and text != source]
