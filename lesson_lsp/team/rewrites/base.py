"""What a rewrite rule is, and how a rule finds the function it rewrites.

A rule is a small compiler pass: a precise pattern, the preconditions that make it safe, and a
transform that keeps comments and formatting. It refuses (returns None) when in doubt; the harness
still checks whatever it proposes. The helpers rules share live beside this module, one concern
each: `bindings`, `shapes`, `loops`, `effects` and `edits`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider

from lesson_lsp.team.rewrites.repeats import refusing_repeats
from lesson_lsp.team.rewrites.rewrite import Apply, Rewrite, RewriteContext

__all__ = ["Apply", "Rewrite", "RewriteContext", "Rule", "first_form", "parents",
           "parse_function", "parse_with_parents"]


@dataclass(frozen=True)
class Rule:
    """One rewrite: `apply` returns a Rewrite or None when its preconditions do not hold.

    Every rule's `apply` refuses a rewrite of its own rewrite (`repeats`): a guard already known
    false where it would stand, or a value converted again."""

    name: str
    idea: str  # one sentence: why this is faster, reused in lessons
    apply: Apply = field(compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "apply", refusing_repeats(self.apply))


def first_form(*forms: Apply) -> Apply:
    """One rule whose forms share a proof and differ only in how the code spells it: the first
    form that applies gives the rule's rewrite."""
    def apply(source: str, context: RewriteContext) -> Rewrite | None:
        for form in forms:
            rewrite = form(source, context)
            if rewrite is not None:
                return rewrite
        return None
    return apply


def parse_function(source: str, name: str) -> tuple[cst.Module, cst.FunctionDef] | None:
    """The module of `source` and its top-level function `name`, or None."""
    module = _parsed(source)
    if module is None:
        return None
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
            return module, statement
    return None


def parents(module: cst.Module) -> tuple[cst.Module, dict[cst.CSTNode, cst.CSTNode]]:
    """The module as libcst resolves metadata on it, and each node's parent."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    return wrapper.module, dict(wrapper.resolve(ParentNodeProvider))


Parents = dict[cst.CSTNode, cst.CSTNode]


def parse_with_parents(source: str, name: str
                       ) -> tuple[cst.Module, cst.FunctionDef, Parents] | None:
    """Like `parse_function`, with each node's parent (for rules that look at a name's use).
    The parent map is shared by every rule given the same source: read it, never change it."""
    if parse_function(source, name) is None:
        return None
    module, parent_of = _with_parents(source)
    fn = next(s for s in module.body if isinstance(s, cst.FunctionDef) and s.name.value == name)
    return module, fn, parent_of


# A round gives every rule the same code, and `compose` asks them again: each source is parsed,
# and its parents resolved (the costlier part), once for all of them. libcst's trees are
# immutable, so the rules can share one.
@lru_cache(maxsize=8)
def _parsed(source: str) -> cst.Module | None:
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError:
        return None


@lru_cache(maxsize=8)
def _with_parents(source: str) -> tuple[cst.Module, Parents]:
    module = _parsed(source)
    assert module is not None
    return parents(module)
