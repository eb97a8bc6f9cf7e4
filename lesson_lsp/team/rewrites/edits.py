"""Rewriting helpers: new code around, inside or in place of the old, keeping its comments."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, TypeVar

import libcst as cst

from lesson_lsp.team.rewrites.shapes import is_membership_of


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


class SwapMembership(AroundStatement):
    """Builds `set_name = set(name)` before the anchor and turns `x in name` inside it into
    `x in set_name`."""

    def __init__(self, anchor: cst.CSTNode, name: str, set_name: str,
                 build: str = "") -> None:
        super().__init__(anchor, [cst.parse_statement(build or f"{set_name} = set({name})")])
        self.name, self.set_name = name, set_name

    def leave_ComparisonTarget(self, original: cst.ComparisonTarget,
                               updated: cst.ComparisonTarget) -> cst.ComparisonTarget:
        if self.inside and is_membership_of(original, self.name):
            return updated.with_changes(comparator=cst.Name(self.set_name))
        return updated


def with_function(module: cst.Module, old: cst.FunctionDef, new: Any) -> str:
    """The module's code with its top-level function `old` replaced by `new`."""
    return module.with_changes(body=[new if s is old else s for s in module.body]).code


def operand(node: cst.BaseExpression) -> str:
    """`node`'s code, parenthesised unless it is a name or a number, ready to be an operand."""
    code = cst.Module([]).code_for_node(node.with_changes(lpar=[], rpar=[]))
    return code if isinstance(node, (cst.Name, cst.Integer)) else f"({code})"


def without(node: cst.CSTNode, drop: set[int]) -> object:
    """`node` with the statements whose ids are in `drop` removed (what is left, or a removal
    sentinel when `node` itself goes): for asking what the rest of a loop does."""

    class Remove(cst.CSTTransformer):
        def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):  # type: ignore[override]
            if id(original) in drop:
                return cst.RemoveFromParent()
            return updated

    return node.visit(Remove())


def _comment_values(node: cst.CSTNode) -> list[str]:
    found: list[str] = []

    class Finder(cst.CSTVisitor):
        def visit_Comment(self, comment: cst.Comment) -> None:
            found.append(comment.value)

    node.visit(Finder())
    return found


Statement = TypeVar("Statement", cst.SimpleStatementLine, cst.BaseCompoundStatement)


def with_comments_of(old: Sequence[cst.CSTNode], new: Statement) -> Statement:
    """`new` with every comment of the `old` statements it replaces that it does not hold
    already, as lines of their own above it: folding statements together must not drop what
    the user wrote about them."""
    have = Counter(_comment_values(new))
    missing: list[cst.EmptyLine] = []
    for node in old:
        for value in _comment_values(node):
            if have[value]:
                have[value] -= 1
            else:
                missing.append(cst.EmptyLine(comment=cst.Comment(value)))
    if not missing:
        return new
    return new.with_changes(leading_lines=[*new.leading_lines, *missing])


def merged_whitespace(*spaces: cst.BaseParenthesizableWhitespace
                      ) -> cst.BaseParenthesizableWhitespace:
    """One stretch of whitespace in place of several, keeping every comment they held (each on
    a line of its own) and the line break of the last one that breaks: for a node that drops
    an argument, or an operand, whose commas and spaces held the user's comments."""
    comments: list[cst.Comment] = []
    breaking: list[cst.ParenthesizedWhitespace] = []
    for space in spaces:
        if isinstance(space, cst.ParenthesizedWhitespace):
            breaking.append(space)
            if space.first_line.comment is not None:
                comments.append(space.first_line.comment)
            comments.extend(line.comment for line in space.empty_lines if line.comment)
    if not breaking:
        return spaces[0] if spaces else cst.SimpleWhitespace("")
    last = breaking[-1]
    if not comments:
        return last
    first, *rest = comments
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(whitespace=cst.SimpleWhitespace("  "), comment=first),
        empty_lines=[cst.EmptyLine(indent=True, whitespace=last.last_line, comment=c)
                     for c in rest],
        indent=last.indent, last_line=last.last_line)
