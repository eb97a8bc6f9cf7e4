"""Every rule whose preconditions hold, applied together as one candidate.

A rule whose gain sits under the timing noise floor is never a round's best, so it never reaches
the next round's starting point either; two or three such gains together can clear the floor.
So within one round the rules that apply to the code are also applied in sequence, each to the
previous one's output (in `RULES` order, which puts the stronger rewrite first where two
compete), and the result is one more candidate. A rule that no longer applies after an earlier
rewrite is skipped. The harness checks the combination as it checks any candidate: one wrong
step rejects the whole, and the single-rule candidates of the round still stand on their own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache

from lesson_lsp.team.rewrites.base import Apply, Rewrite, RewriteContext, Rule

log = logging.getLogger(__name__)

NAME = "compose"
IDEA = ("apply every rewrite whose preconditions hold together, so that gains too small to "
        "measure on their own add up")


def applied(rule: Rule, source: str, context: RewriteContext) -> Rewrite | None:
    """`rule.apply`, remembered: the composing agent asks again what every rule said this round."""
    return _applied(rule.apply, source, context)


@lru_cache(maxsize=512)
def _applied(apply: Apply, source: str, context: RewriteContext) -> Rewrite | None:
    # keyed on the function itself: two rules equal by name and idea may still differ in it
    return apply(source, context)


def compose(rules: Sequence[Rule], source: str, context: RewriteContext) -> Rewrite | None:
    """The rewrites of `rules` applied one after another, or None when fewer than two apply.

    Only rules that apply to `source` itself are tried on the rewritten code: the extra work is
    one parse per step, not one per rule."""
    steps: list[tuple[Rule, Rewrite]] = []
    current = source
    for rule in [r for r in rules if _safely(r, source, context) is not None]:
        rewrite = _safely(rule, current, context)
        if rewrite is None or rewrite.source.strip() == current.strip():
            continue
        steps.append((rule, rewrite))
        current = rewrite.source
    if len(steps) < 2:
        return None
    imports = tuple(dict.fromkeys(name for _, rewrite in steps for name in rewrite.imports))
    summary = "; then ".join(f"{rule.name}: {rewrite.summary}" for rule, rewrite in steps)
    return Rewrite(current, imports, f"{len(steps)} rewrites applied together ({summary})")


def _safely(rule: Rule, source: str, context: RewriteContext) -> Rewrite | None:
    try:
        return applied(rule, source, context)
    except Exception:  # the rule's own agent reports its failure; here it is only left out
        log.debug("rule %s failed while composing", rule.name, exc_info=True)
        return None


def composing(rules: Sequence[Rule]) -> Rule:
    """The rule that composes `rules`, for an agent of its own."""
    chosen = tuple(rules)
    return Rule(name=NAME, idea=IDEA,
                apply=lambda source, context: compose(chosen, source, context))
