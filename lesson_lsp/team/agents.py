"""Who proposes candidates: the `Agent` protocol and the offline rewrite agents.

An agent proposes a faster version of a task's code and, once the harness has judged it, writes
the lesson: why it was faster, slower, wrong or unsafe.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from lesson_lsp.harness.timing import format_seconds
from lesson_lsp.harness.verify import FASTER, INCORRECT, NOT_FASTER, UNSAFE, Verdict
from lesson_lsp.source.candidate import Candidate
from lesson_lsp.team.bank import Lesson
from lesson_lsp.team.prompts import load
from lesson_lsp.team.rewrites import COMPOSE, RULES, RewriteContext, Rule
from lesson_lsp.team.rewrites.compose import applied


class AgentUnavailable(Exception):
    """The agent cannot take part in this run (its endpoint is down, refuses us, …); the
    message says why, in one sentence for the user."""


@dataclass
class Task:
    """What every agent of a round sees."""

    name: str
    qualname: str
    source: str  # the code to improve, at column 0 (the original, or the best so far)
    imports: tuple[str, ...] = ()
    is_method: bool = False
    profile: str = ""
    lessons: list[Lesson] = field(default_factory=list)
    original: str = ""  # the original function, at column 0
    context: str = ""  # the module's imports and the helpers the function uses


class Agent(Protocol):
    name: str
    model: str

    async def propose(self, task: Task) -> Candidate | None:
        """A candidate, or None when this agent has nothing to offer for this task."""

    async def lesson(self, task: Task, candidate: Candidate, verdict: Verdict) -> str:
        """One or two sentences on why the candidate fared as it did."""


# Rules are CPU work (libcst parses, 5–50 ms each): they run on one thread of their own, so
# that the event loop — and with it the language server's answers — gets the GIL back every
# switch interval instead of waiting for a whole round of rules.
_RULE_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lesson-lsp-rules")


class RewriteAgent:
    """An offline team member: one deterministic rewrite rule and lesson templates."""

    model = "rewrite"

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.name = rule.name
        self._summaries: dict[str, str] = {}

    async def propose(self, task: Task) -> Candidate | None:
        context = RewriteContext(task.name, task.is_method)
        rewrite = await asyncio.get_running_loop().run_in_executor(
            _RULE_THREAD, applied, self.rule, task.source, context)
        if rewrite is None:
            return None
        imports = tuple(dict.fromkeys((*task.imports, *rewrite.imports)))
        candidate = Candidate(rewrite.source.strip("\n") + "\n", imports, agent=self.name,
                              note=rewrite.summary)
        self._summaries[candidate.key] = rewrite.summary
        return candidate

    async def lesson(self, task: Task, candidate: Candidate, verdict: Verdict) -> str:
        template = {
            FASTER: "rewrite_lesson_faster",
            NOT_FASTER: "rewrite_lesson_not_faster",
            INCORRECT: "rewrite_lesson_incorrect",
            UNSAFE: "rewrite_lesson_unsafe",
        }.get(verdict.verdict, "rewrite_lesson_error")
        return load(template).strip().format(
            idea=self.rule.idea,
            Idea=self.rule.idea[0].upper() + self.rule.idea[1:],
            summary=self._summaries.get(candidate.key, candidate.note),
            speedup=verdict.speedup,
            original=format_seconds(verdict.original_s),
            candidate=format_seconds(verdict.candidate_s),
            detail=verdict.detail,
            verdict=verdict.verdict,
        )


def rewrite_team() -> list[Agent]:
    """The embedded default: every offline rewrite rule as a team member, and last (so that
    every rule's answer is remembered when it asks) the one that applies them together."""
    return [RewriteAgent(rule) for rule in (*RULES, COMPOSE)]
