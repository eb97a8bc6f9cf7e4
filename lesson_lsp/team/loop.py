"""The LessonL rounds: propose, evaluate, write lessons, bank them, select, repeat.

Agents of a round propose concurrently; their candidates are timed one at a time so that
measurements do not disturb each other. The best verified candidate is re-measured before it is
returned. Cancelling the task that runs `run_team` stops every agent and sandbox process.

Lessons are credited against the code the agent was given (see `credited`); only LLM agents
read lessons, so only their results move the shown lessons' factors.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from lesson_lsp.harness.duel import CHALLENGER, Duel
from lesson_lsp.harness.scrutiny import summary
from lesson_lsp.harness.verify import ERROR, FASTER, NOT_FASTER, Baseline, Harness, Verdict
from lesson_lsp.source.candidate import Candidate
from lesson_lsp.team.agents import Agent, AgentUnavailable, Task
from lesson_lsp.team.bank import LLM, RULE, Bank, Lesson, fingerprint
from lesson_lsp.team.choosing import Contender, choose
from lesson_lsp.team.embeddings import ERRORS as EMBEDDING_ERRORS
from lesson_lsp.team.embeddings import Embedder
from lesson_lsp.workspace.config import Config

log = logging.getLogger(__name__)


@dataclass
class Progress:
    round: int
    rounds: int
    agents: int
    best_speedup: float
    message: str

    def text(self) -> str:
        best = f" · best {self.best_speedup:.1f}×" if self.best_speedup > 1 else ""
        return f"round {self.round}/{self.rounds} · {self.agents} agents{best} · {self.message}"


@dataclass
class Attempt:
    agent: str
    round: int
    candidate: Candidate
    verdict: Verdict
    lesson: Lesson | None = None
    lines_changed: int = 0  # the size of its edit (removed + added lines); 0 when not verified

    @property
    def label(self) -> str:
        return f"{self.agent}'s round-{self.round} candidate"


@dataclass
class TeamResult:
    baseline: Baseline
    attempts: list[Attempt] = field(default_factory=list)
    best: Attempt | None = None
    final: Verdict | None = None  # the best candidate re-measured
    notices: list[str] = field(default_factory=list)  # what the user should know, once each
    choices: list[str] = field(default_factory=list)  # duels between faster candidates
    asked: int = 0  # rounds in which the agents were asked for candidates
    proposed: int = 0  # candidates they handed in, repeats included (0: nothing applied)

    @property
    def improved(self) -> bool:
        return self.best is not None and self.final is not None and \
            self.final.verdict == FASTER

    @property
    def lessons(self) -> list[Lesson]:
        return [a.lesson for a in self.attempts if a.lesson is not None]


async def run_team(
    *,
    harness: Harness,
    agents: list[Agent],
    bank: Bank,
    config: Config,
    name: str,
    qualname: str,
    source: str,
    is_method: bool = False,
    context: str = "",
    on_progress: Callable[[Progress], None] | None = None,
    embedder: Embedder | None = None,
) -> TeamResult:
    started = time.monotonic()
    active = list(agents)

    def report(round_no: int, best: float, message: str) -> None:
        if on_progress is not None:
            on_progress(Progress(round_no, config.rounds, len(active), best, message))

    report(0, 0.0, "measuring the original")
    baseline = await harness.baseline()
    result = TeamResult(baseline)
    seen: dict[str, Verdict] = {}
    profiles: dict[str, str] = {}  # the profile of each best candidate shown to the agents
    original_print = fingerprint(source)
    best_speed = 0.0
    for round_no in range(1, config.rounds + 1):
        if time.monotonic() - started > config.time_budget_s:
            result.notices.append("the time budget was spent before the last round")
            break
        if config.token_budget and tokens_used(agents) >= config.token_budget:
            result.notices.append("the token budget was spent before the last round")
            break
        base = result.best if (config.restart_from == "best" and result.best) else None
        vector = None
        if embedder is not None:
            try:
                vector = await embedder.prepare(bank, source)
            except EMBEDDING_ERRORS as exc:
                result.notices.append(f"the embedding endpoint failed ({type(exc).__name__}); "
                                      "lessons were chosen by lexical similarity")
                embedder = None
        # Under the paper's preset, round 1 starts from the original alone, without lessons.
        fresh_start = config.preset == "paper" and round_no == 1
        # The profile shown is the profile of the code shown: the best candidate's own when
        # the round restarts from it.
        profile = baseline.profile
        if base is not None and any(agent.model != "rewrite" for agent in active):
            if base.candidate.key not in profiles:
                profiles[base.candidate.key] = await harness.profile(base.candidate)
            profile = profiles[base.candidate.key]
        task = Task(
            name=name, qualname=qualname,
            source=base.candidate.source if base else source,
            imports=base.candidate.imports if base else (),
            is_method=is_method, profile=profile,
            lessons=[] if fresh_start else bank.select(
                config.lessons_per_prompt, source, original_print, vector=vector),
            original=source, context=context,
        )
        given = base.verdict.speedup if base else 1.0
        report(round_no, best_speed, "agents proposing")
        proposals = await asyncio.gather(*(agent.propose(task) for agent in active),
                                         return_exceptions=True)
        result.asked += 1
        result.proposed += sum(isinstance(p, Candidate) for p in proposals)
        fresh: list[tuple[Agent, Candidate]] = []
        readers: list[Candidate] = []  # what the LLM agents, who read the lessons, proposed
        for agent, proposal in zip(list(active), proposals):
            if isinstance(proposal, BaseException):
                if not isinstance(proposal, Exception):
                    raise proposal
                message = str(proposal) if isinstance(proposal, AgentUnavailable) else \
                    f"agent `{agent.name}` failed: {proposal!r}"
                log.warning("%s", message)
                result.notices.append(message + "; the rest of the team went on without it")
                active.remove(agent)
            elif isinstance(proposal, Candidate):
                if agent.model != "rewrite":
                    readers.append(proposal)
                if proposal.key not in seen:
                    fresh.append((agent, proposal))
        if not fresh:
            report(round_no, best_speed, "no new candidates")
            break
        for index, (agent, candidate) in enumerate(fresh, 1):
            report(round_no, best_speed, f"checking candidate {index}/{len(fresh)} ({agent.name})")
            if candidate.source.strip():
                verdict = await harness.evaluate(candidate)
            else:
                verdict = Verdict(ERROR, detail=candidate.note or "the answer held no code")
            seen[candidate.key] = verdict
            attempt = Attempt(agent.name, round_no, candidate, verdict)
            if verdict.verdict in (FASTER, NOT_FASTER):
                attempt.lines_changed = harness.plan(candidate).lines_changed
            incumbent = result.best
            duelled = None
            if verdict.verdict == FASTER:
                keep, duelled = await _replaces(harness, result, attempt)
                if keep:
                    best_speed = verdict.speedup
                    result.best = attempt
            own = credited(verdict, given)
            if duelled is not None and base is not None and incumbent is base:
                # Timed beside the very code the agent was given: that ratio is its gain.
                won = duelled.winner(config.harness.min_speedup) == CHALLENGER
                own = replace(verdict, speedup=duelled.ratio, original_s=duelled.incumbent_s,
                              candidate_s=duelled.challenger_s, noise=duelled.noise,
                              verdict=FASTER if won else NOT_FASTER)
            text = await agent.lesson(task, candidate, own)
            if text:
                attempt.lesson = bank.add(Lesson(
                    text=text, outcome=own.verdict,
                    speedup=own.speedup if own.verdict in (FASTER, NOT_FASTER) else 0.0,
                    function=qualname, fingerprint=original_print,
                    code=candidate.source or candidate.raw,
                    agent=agent.name, model=agent.model, round=round_no,
                    kind=RULE if agent.model == "rewrite" else LLM,
                    checked=summary(verdict.checked_on, verdict.coverage)))
            result.attempts.append(attempt)
        reached = [speed_of(seen[c.key], given) for c in readers if c.key in seen]
        bank.update_factors(task.lessons, reached, original_print)
        if not active:
            break
    if result.best is not None:
        report(config.rounds, best_speed, "re-measuring the best candidate")
        result.final = await harness.time(result.best.candidate, processes=4)
    return result


async def _replaces(harness: Harness, result: TeamResult,
                    attempt: Attempt) -> tuple[bool, Duel | None]:
    """Whether a faster candidate becomes the best: the first one does; a later one only when
    a duel beside the best says so (choosing.py), the duel's account kept for the user."""
    if result.best is None:
        return True, None
    best = result.best
    choice = await choose(
        harness, Contender(best.label, best.candidate, best.verdict, best.lines_changed),
        Contender(attempt.label, attempt.candidate, attempt.verdict, attempt.lines_changed))
    if choice.note:
        result.choices.append(choice.note)
    return choice.keep_challenger, choice.duel


def credited(verdict: Verdict, given: float) -> Verdict:
    """The verdict against the code the agent was given: the harness times a candidate against
    the original, so under `restart_from = "best"` (given: the best candidate so far, `given`×
    faster than the original) its speedup is divided by `given`. A rule that changes nothing on
    top of a 10× candidate is then "1.0×", not "10×"; below the paper's 1.1 it is not faster."""
    if given == 1.0 or verdict.verdict not in (FASTER, NOT_FASTER):
        return verdict
    speedup = verdict.speedup / given
    return replace(verdict, speedup=speedup, original_s=verdict.original_s / given,
                   verdict=FASTER if speedup >= 1.1 else NOT_FASTER)


def speed_of(verdict: Verdict, given: float) -> float:
    """A reader's speedup for the factor rule: against the code it was given, 0 when failed."""
    return credited(verdict, given).speedup if verdict.verdict == FASTER else 0.0


def tokens_used(agents: list[Agent]) -> int:
    return sum(int(getattr(agent, "tokens_used", 0)) for agent in agents)
