"""One optimization run, shared by the CLI and the server: inputs → baseline → team → edits.

Everything that can go wrong for a reason the user can fix becomes an `OptimizeError` whose
message is one actionable sentence.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from lesson_lsp.engine.messages import (
    LLM_TEAM_SNIPPET,
    attempt_note,
    lesson_line,
    no_rule_applies,
    per_pass,
    run_lessons,
    unconfirmed,
)
from lesson_lsp.harness import inputs as input_sources
from lesson_lsp.harness.scrutiny import summary
from lesson_lsp.harness.timing import format_seconds
from lesson_lsp.harness.verify import Harness, HarnessError, Target, Verdict
from lesson_lsp.source.candidate import to_column0
from lesson_lsp.source.edits import Plan
from lesson_lsp.source.extract import FunctionSpan, module_context
from lesson_lsp.team import recording
from lesson_lsp.team.agents import Agent, AgentUnavailable, RewriteAgent, rewrite_team
from lesson_lsp.team.bank import Bank
from lesson_lsp.team.embeddings import Embedder
from lesson_lsp.team.llm_agent import LLMAgent
from lesson_lsp.team.loop import Progress, TeamResult, run_team
from lesson_lsp.team.rewrites import COMPOSE, MERGED_INTO, RULES
from lesson_lsp.workspace.config import Config, ConfigError
from lesson_lsp.workspace.project import Interpreter, ProjectError, interpreter


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


class OptimizeError(Exception):
    """The run cannot start or the original cannot be measured; the message says why."""


@dataclass
class Run:
    path: str
    span: FunctionSpan
    result: TeamResult
    plan: Plan | None  # the best candidate's final module text, as the harness verified it
    inputs_from: str = ""
    harness: Harness | None = None
    interpreter: Interpreter | None = None
    offline: bool = False  # the team was offline rewrite agents only

    @property
    def improved(self) -> bool:
        return self.result.improved

    @property
    def speedup(self) -> float:
        final = self.result.final
        return final.speedup if final is not None and self.improved else 1.0

    @property
    def shown(self) -> int:
        """How many inputs a timed pass goes over (the held-out ones are never timed)."""
        return self.result.baseline.inputs - self.result.baseline.held_out

    @property
    def original_s(self) -> float:
        """The original's seconds per pass: beside the re-measured candidate when there is one
        (the pair the speedup comes from), else timed alone for the baseline."""
        final = self.result.final
        if final is not None and final.original_s > 0 and final.candidate_s > 0:
            return final.original_s
        return self.result.baseline.solo_s

    @property
    def candidate_s(self) -> float | None:
        """The re-measured candidate's seconds per pass (None when none was re-measured)."""
        final = self.result.final
        return final.candidate_s if final is not None and final.candidate_s > 0 else None

    def advice(self, markdown: bool = False) -> str:
        """The next step when the offline team found nothing at all to try ('' otherwise)."""
        if not (self.offline and self.result.asked and not self.result.proposed):
            return ""
        snippet = f"```toml\n{LLM_TEAM_SNIPPET}\n```" if markdown else LLM_TEAM_SNIPPET
        return f"{no_rule_applies()}\n\n{snippet}"

    def headline(self) -> str:
        final, name = self.result.final, self.span.name
        if self.improved and final is not None:
            return (f"Optimize {name}: {final.speedup:.1f}× faster "
                    f"({format_seconds(self.original_s)} → "
                    f"{per_pass(final.candidate_s, self.shown)})")
        why = unconfirmed(self.result)
        if not why and self.advice():
            why = "no offline rewrite rule applies to it"
        elif not why and self.result.attempts:
            count = len(self.result.attempts)
            why = f"none of the {count} candidate{'s' if count > 1 else ''} checked was faster"
        return (f"{name}: no faster verified version (original: "
                f"{per_pass(self.original_s, self.shown)})" + (f"; {why}" if why else ""))

    def shipped(self) -> Verdict | None:
        """The verdict of the candidate that ships (None when none does)."""
        best = self.result.best
        return best.verdict if self.improved and best is not None else None

    def checked(self) -> str:
        """What the shipped candidate was checked on, or the original's check inputs."""
        shipped = self.shipped()
        if shipped is not None and shipped.checked_on:
            return summary(shipped.checked_on, shipped.coverage)
        return summary(self.result.baseline.checked_on, {})

    def lines_changed(self) -> int | None:
        """The shipped edit's size (lines removed plus added), None when nothing ships."""
        best = self.result.best
        return best.lines_changed if self.improved and best is not None else None

    def selection(self) -> list[str]:
        """How the shipped candidate was chosen: its edit's size, and the duels that kept the
        faster or, when equally fast, the smaller edit."""
        size = self.lines_changed()
        lines = [] if size is None else [f"The edit changes {size} line{'s' if size != 1 else ''}"
                                         " (removed plus added)"]
        return lines + [choice[:1].upper() + choice[1:] for choice in self.result.choices]

    def lesson_lines(self) -> list[str]:
        return [lesson_line(lesson, note) for lesson, note in run_lessons(self.result)]

    def markdown(self) -> str:
        """Hover text: the result, how it was measured, the lessons, the next step."""
        base = self.result.baseline
        held = f"; {base.held_out} held out for correctness only" if base.held_out else ""
        count = len(self.result.attempts)
        facts = [f"{_plural(base.inputs, 'input')} ({self.inputs_from}{held}) · isolation: "
                 f"{base.isolation} · {_plural(count, 'candidate')} checked."]
        if base.timed_on:
            facts.append(base.timed_on[:1].upper() + base.timed_on[1:] + ".")
        if self.checked():
            facts.append(self.checked()[:1].upper() + self.checked()[1:] + ".")
        facts += [f"{line}." for line in self.selection()]
        if self.interpreter is not None:
            facts.append(f"Run with {self.interpreter.describe()}.")
        facts += [f"⚠ {notice}" for notice in self.result.notices]
        # One paragraph each: Markdown joins adjacent lines into one run-on sentence.
        lines = [f"**lesson team · {self.headline()}**", "", "\n\n".join(facts)]
        if self.result.lessons:
            lines += ["", "**Lessons**", *self.lesson_lines()]
        if self.advice():
            lines += ["", self.advice(markdown=True)]
        return "\n".join(lines)

    def as_json(self, applied: bool) -> dict[str, Any]:
        """Times are seconds per pass over the shown inputs (`time_per` says so)."""
        final, best = self.result.final, self.result.best
        return {
            "function": self.span.qualname,
            "improved": self.improved,
            "speedup": self.speedup,
            "headline": self.headline(),
            "original_s": self.original_s,
            "candidate_s": self.candidate_s,
            "time_per": f"pass over {self.shown} shown input{'s' if self.shown != 1 else ''}",
            "final": None if final is None else {
                "agent": best.agent if best else None, "round": best.round if best else None,
                "verdict": final.verdict,
                "speedup": final.speedup, "detail": final.detail},
            "applied": applied,
            "text_sha256": best.verdict.text_sha256
            if self.improved and best is not None else None,
            "lines_changed": self.lines_changed(),
            "choices": self.result.choices,
            "inputs": self.result.baseline.inputs,
            "inputs_from": self.inputs_from,
            "held_out": self.result.baseline.held_out,
            "timed_on": self.result.baseline.timed_on,
            "awaited": self.result.baseline.awaited,
            "checked_on": (self.shipped() or self.result.baseline).checked_on,
            "coverage": getattr(self.shipped(), "coverage", {}),
            "isolation": self.result.baseline.isolation,
            "interpreter": None if self.interpreter is None else self.interpreter.as_json(),
            "lessons": [{"agent": a.lesson.agent, "round": a.round, "outcome": a.lesson.outcome,
                         "speedup": a.lesson.speedup, "offered": a is best and self.improved,
                         "note": attempt_note(a, self.result), "text": a.lesson.text}
                        for a in self.result.attempts if a.lesson is not None],
            "advice": self.advice() or None,
            "notices": self.result.notices,
            "candidates": [{"agent": a.agent, "round": a.round, "verdict": a.verdict.verdict,
                            "speedup": a.verdict.speedup, "detail": a.verdict.detail,
                            "lines_changed": a.lines_changed,
                            "checked_on": a.verdict.checked_on,
                            "coverage": a.verdict.coverage, "found_by": a.verdict.found_by,
                            "failing_input": a.verdict.failing_input}
                           for a in self.result.attempts],
        }


def build_team(config: Config, http: httpx2.AsyncClient | None = None) -> list[Agent]:
    """The configured team, or every offline rewrite agent when none is configured."""
    if not config.team:
        return rewrite_team()
    rules = {rule.name: rule for rule in (*RULES, COMPOSE)}
    team: list[Agent] = []
    for member in config.team:
        name = MERGED_INTO.get(member.name, member.name)
        if member.kind == "openai":
            team.append(LLMAgent(member, http_client=http, timeout_s=config.llm_timeout_s))
        elif member.name == "all":
            team.extend(rewrite_team())
        elif name in rules:
            team.append(RewriteAgent(rules[name]))
        else:
            raise ConfigError(f"no rewrite agent named `{member.name}`: set that team "
                              f"member's `name` to one of all, {', '.join(rules)}")
    return team


async def optimize(
    path: Path,
    source: str,
    span: FunctionSpan,
    config: Config,
    inputs_cli: str | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    record: Path | None = None,
    replay: Path | None = None,
    inputs_spec: input_sources.InputSpec | None = None,
) -> Run:
    if span.nested:
        raise OptimizeError(f"`{span.qualname}` is nested inside another function and cannot be "
                            "replaced on its own: optimize the enclosing function instead")
    http = recording.http_client(record, replay)
    try:
        agents = build_team(config, http)
    except AgentUnavailable as exc:
        raise OptimizeError(str(exc)) from exc
    except ConfigError as exc:
        raise OptimizeError(str(exc)) from exc
    embedder = Embedder(config.embeddings, http, config.llm_timeout_s) \
        if config.embeddings else None
    try:
        return await _run(path, source, span, config, agents, inputs_cli, on_progress,
                          inputs_spec, embedder)
    finally:
        for agent in agents:
            if isinstance(agent, LLMAgent):
                await agent.close()
        if embedder is not None:
            await embedder.close()
        if http is not None:
            await http.aclose()


async def _run(path: Path, source: str, span: FunctionSpan, config: Config, agents: list[Agent],
               inputs_cli: str | None, on_progress: Callable[[Progress], None] | None,
               spec: input_sources.InputSpec | None, embedder: Embedder | None) -> Run:
    try:
        # First, so that a bank kept in the project (and whatever is stored beside it) goes
        # into a .lesson-lsp/ that carries its own .gitignore.
        bank_path = config.bank_path(create=True)
    except OSError as exc:
        raise OptimizeError(f"the lesson bank's folder cannot be made: {exc}; set `bank` to a "
                            "writable path, or leave it unset") from exc

    def report(line: str) -> None:
        if on_progress is not None:
            on_progress(Progress(0, config.rounds, len(agents), 0.0, line))

    try:
        python = interpreter(config.interpreter, config.root, config.editor_interpreter)
        report("finding inputs")
        if spec is None:
            spec = await input_sources.resolve(path, span.qualname, config, inputs_cli,
                                               to_column0(span.source, span.indent),
                                               python.path, report)
    except (input_sources.InputsError, ConfigError, ProjectError) as exc:
        raise OptimizeError(str(exc)) from exc
    target = Target(path=str(path.resolve()), source=source, qualname=span.qualname,
                    inputs=spec, root=config.root, span=span, python=python.path)
    harness = Harness(target, config.harness)
    try:
        bank = Bank(bank_path)
    except (OSError, sqlite3.Error) as exc:
        raise OptimizeError(f"the lesson bank {bank_path} cannot be opened: {exc}; "
                            "set `bank` to a writable path") from exc
    try:
        result = await run_team(
            harness=harness, agents=agents, bank=bank, config=config, name=span.name,
            qualname=span.qualname, source=to_column0(span.source, span.indent),
            is_method=span.is_method, context=module_context(source, span),
            on_progress=on_progress, embedder=embedder)
    except HarnessError as exc:
        raise OptimizeError(str(exc)) from exc
    finally:
        bank.close()
    if bank.notice:
        result.notices.insert(0, bank.notice)
    final = harness.plan(result.best.candidate) \
        if result.improved and result.best is not None else None
    return Run(str(path), span, result, final, result.baseline.inputs_from or spec.origin,
               harness, python, offline=all(isinstance(agent, RewriteAgent) for agent in agents))


__all__ = ["OptimizeError", "Run", "lesson_line", "optimize"]
