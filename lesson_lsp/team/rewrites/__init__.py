"""The offline rewrite agents' rules, one module each."""

from lesson_lsp.team.rewrites import (
    append_comprehension,
    builtin_map,
    companion_set,
    concat_extend,
    count_counter,
    deque_queue,
    divisor_bound,
    equality_join,
    hoist_invariant,
    index_loop,
    keys_membership,
    lambda_comprehension,
    membership_set,
    memoize,
    minmax_compare,
    regex_compile,
    slice_startswith,
    sorted_min,
    string_join,
    string_prepend,
    sum_accumulate,
)
from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule

RULES: tuple[Rule, ...] = (
    memoize.RULE,
    membership_set.RULE,
    companion_set.RULE,
    deque_queue.RULE,
    count_counter.RULE,
    string_join.RULE,
    string_prepend.RULE,
    concat_extend.RULE,
    sorted_min.RULE,
    append_comprehension.RULE,
    divisor_bound.RULE,
    equality_join.RULE,
    builtin_map.RULE,
    lambda_comprehension.RULE,
    sum_accumulate.RULE,
    minmax_compare.RULE,
    slice_startswith.RULE,
    keys_membership.RULE,
    index_loop.RULE,
    hoist_invariant.RULE,
    regex_compile.RULE,
)

__all__ = ["RULES", "Rewrite", "RewriteContext", "Rule"]
