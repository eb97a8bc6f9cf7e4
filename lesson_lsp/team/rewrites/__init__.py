"""The offline rewrite agents' rules, one module each."""

from lesson_lsp.team.rewrites import (
    append_comprehension,
    companion_set,
    concat_extend,
    count_counter,
    deque_queue,
    membership_set,
    memoize,
    sorted_min,
    string_join,
)
from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule

RULES: tuple[Rule, ...] = (
    memoize.RULE,
    membership_set.RULE,
    companion_set.RULE,
    deque_queue.RULE,
    count_counter.RULE,
    string_join.RULE,
    concat_extend.RULE,
    sorted_min.RULE,
    append_comprehension.RULE,
)

__all__ = ["RULES", "Rewrite", "RewriteContext", "Rule"]
