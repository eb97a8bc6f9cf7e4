"""An arithmetic progression over a range is itself a range: `arithmetic-range`.

The values `a + k·i` for `i` in `range(s, n)` are exactly `range(a + k·s, a + k·n, k)` (k ≠ 0),
so a comprehension that lists them is `list(range(…))` built in C (`range_list`), and a sum over
a range has the closed form `count · (first + last) // 2` (`range_sum`). Each form states its
own preconditions; both keep `range`'s own checks of its arguments.
"""

from __future__ import annotations

from lesson_lsp.team.rewrites import range_list, range_sum
from lesson_lsp.team.rewrites.base import Rule, first_form

RULE = Rule(
    name="arithmetic-range",
    idea="treat an arithmetic progression as a range: sum it in closed form, or list it with "
         "list(range(...)), instead of producing its numbers one by one in bytecode",
    apply=first_form(range_sum.apply, range_list.apply),
)
