"""The words of a run's result, shared by the CLI, the hover and `--json`, so that the headline
and the lessons under it never contradict each other.

A lesson is written when its candidate is judged in a round; only the fastest candidate is then
re-measured (`TeamResult.final`) and only a confirmed one is offered. A lesson's line says which
of those its candidate went through. Times are per pass over the shown inputs (the held-out ones
are never timed), as the harness measures them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lesson_lsp.harness.timing import format_seconds
from lesson_lsp.harness.verdicts import FASTER, NOT_FASTER
from lesson_lsp.team.bank import Lesson

if TYPE_CHECKING:  # hover reads lessons without loading the harness and the team
    from lesson_lsp.harness.verify import Verdict
    from lesson_lsp.team.loop import Attempt, TeamResult

# What a user pastes to let a model try what no offline rule covers (keys: README, config.py).
LLM_TEAM_SNIPPET = """\
[[tool.lesson-lsp.team]]
name = "gpt"
kind = "openai"
model = "gpt-4o-mini"
base_url = "https://api.openai.com/v1"   # any OpenAI-compatible endpoint (Ollama, vLLM, …)
api_key_env = "OPENAI_API_KEY"           # the variable's name, never the key itself"""


def per_pass(seconds: float, shown: int) -> str:
    return f"{format_seconds(seconds)} per pass over {shown} input{'s' if shown != 1 else ''}"


def final_outcome(final: Verdict) -> str:
    """What the final re-measurement found, in a few words."""
    if final.verdict == NOT_FASTER:
        return f"only {final.speedup:.2f}×, inside the noise"
    if final.verdict == FASTER:
        return f"{final.speedup:.1f}×"
    return final.verdict + (f": {final.detail}" if final.detail else "")


def attempt_note(attempt: Attempt, result: TeamResult) -> str:
    """The standing of one attempt's candidate at the end of the run."""
    verdict = attempt.verdict
    if verdict.verdict != FASTER:
        return verdict.verdict
    gain = f"faster in round {attempt.round} at {verdict.speedup:.1f}×"
    best, final = result.best, result.final
    if attempt is best:
        if final is None:
            return f"{gain}, not re-measured"
        if result.improved:
            return f"{gain}, confirmed at {final.speedup:.1f}× by the final re-measurement"
        return f"{gain}, not confirmed by the final re-measurement: {final_outcome(final)}"
    if best is None:  # cannot happen after run_team; said plainly if it ever does
        return f"{gain}, not re-measured"
    return (f"{gain}, not offered: the fastest candidate, *{best.agent}*'s in round "
            f"{best.round} at {best.verdict.speedup:.1f}×, was the one re-measured")


def lesson_line(lesson: Lesson, note: str | None = None) -> str:
    """A lesson as a Markdown list item; `note` is its candidate's standing in this run (else
    what the bank remembers: its round's verdict)."""
    if note is None:
        note = f"{lesson.outcome} in round {lesson.round} at {lesson.speedup:.1f}×" \
            if lesson.outcome == FASTER else lesson.outcome
    return f"- *{lesson.agent}* ({note}): {lesson.text}"


def run_lessons(result: TeamResult) -> list[tuple[Lesson, str]]:
    """The run's lessons, each with its candidate's standing."""
    return [(a.lesson, attempt_note(a, result)) for a in result.attempts if a.lesson is not None]


def unconfirmed(result: TeamResult) -> str:
    """Why nothing is offered although a round found a faster candidate ('' when not so)."""
    best, final = result.best, result.final
    if best is None or result.improved:
        return ""
    found = (f"the fastest candidate, *{best.agent}*'s in round {best.round} at "
             f"{best.verdict.speedup:.1f}×, ")
    if final is None:
        return found + "was not re-measured"
    return found + f"was not confirmed by the final re-measurement ({final_outcome(final)})"


def no_rule_applies() -> str:
    """The next step when the offline team had nothing at all to try (the headline says so)."""
    return ("To let a model try rewrites that no offline rule covers, add an LLM agent to the "
            "team in pyproject.toml (or the editor's `lesson-lsp.team` setting):")
