"""The offline rewrite agents' rules, one module each."""

from lesson_lsp.team.rewrites import deque_queue, membership_set, memoize
from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule

RULES: tuple[Rule, ...] = (memoize.RULE, membership_set.RULE, deque_queue.RULE)

__all__ = ["RULES", "Rewrite", "RewriteContext", "Rule"]
