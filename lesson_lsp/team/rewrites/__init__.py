"""The offline rewrite agents' rules, one module each."""

from lesson_lsp.team.rewrites import (
    any_all_loop,
    append_comprehension,
    arithmetic_range,
    attribute_probe,
    builtin_map,
    char_table,
    companion_set,
    compose,
    concat_extend,
    constant_hoist,
    count_counter,
    deque_queue,
    divisor_bound,
    eager_comprehension,
    hoist_invariant,
    index_loop,
    key_check,
    keys_membership,
    lambda_comprehension,
    lazy_any_all,
    membership_set,
    memoize,
    minmax_compare,
    mirror_compare,
    prefix_sum,
    recurrence,
    redundant_copy,
    regex_compile,
    slice_startswith,
    sorted_insert,
    sorted_min,
    string_join,
    sum_accumulate,
)
from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule

RULES: tuple[Rule, ...] = (
    recurrence.RULE,  # before memoize: a loop beats a cache where both apply
    memoize.RULE,
    membership_set.RULE,
    companion_set.RULE,
    deque_queue.RULE,
    count_counter.RULE,
    char_table.RULE,
    string_join.RULE,
    concat_extend.RULE,
    sorted_min.RULE,
    append_comprehension.RULE,
    divisor_bound.RULE,
    builtin_map.RULE,
    lambda_comprehension.RULE,
    eager_comprehension.RULE,  # after builtin-map: map beats a comprehension
    sum_accumulate.RULE,
    arithmetic_range.RULE,
    redundant_copy.RULE,
    minmax_compare.RULE,
    slice_startswith.RULE,
    keys_membership.RULE,
    index_loop.RULE,
    hoist_invariant.RULE,
    regex_compile.RULE,
    constant_hoist.RULE,
    lazy_any_all.RULE,
    any_all_loop.RULE,  # after lazy-any-all, which makes the generator it takes
    sorted_insert.RULE,
    prefix_sum.RULE,
    key_check.RULE,
    attribute_probe.RULE,
    mirror_compare.RULE,
)

# Rules merged into a family: a team that names one gets the family it became.
MERGED_INTO = {
    "equality-join": "membership-set",
    "string-prepend": "string-join",
    "range-sum": "arithmetic-range",
    "range-list": "arithmetic-range",
    "count-equal": "char-table",  # retired: char-table's count covers it for str
}

# Not a rule of its own: the rules above that apply, applied together (its own team member).
COMPOSE: Rule = compose.composing(RULES)

__all__ = ["COMPOSE", "MERGED_INTO", "RULES", "Rewrite", "RewriteContext", "Rule"]
