"""The `bench --no-lessons` ablation's parts: a wrapper that counts the lessons in every
prompt (the loop does not expose them) and the side-by-side table of the two arms."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lesson_lsp.engine.optimize import OptimizeError, Run, _run, build_team
from lesson_lsp.harness.inputs import InputSpec
from lesson_lsp.harness.verify import Verdict
from lesson_lsp.source.candidate import Candidate
from lesson_lsp.source.extract import function_named
from lesson_lsp.team.agents import Agent, AgentUnavailable, Task
from lesson_lsp.team.embeddings import Embedder
from lesson_lsp.team.llm_agent import LLMAgent
from lesson_lsp.workspace.config import Config, ConfigError

if TYPE_CHECKING:
    from lesson_lsp.cli.task_result import TaskResult


class Counted:
    """Wraps a team member to note how many lessons each of its prompts carried: the loop does
    not expose it, and the ablation must show that only one arm had lessons."""

    def __init__(self, agent: Agent) -> None:
        self.inner = agent
        self.name = agent.name
        self.model = agent.model
        self.lessons: list[int] = []  # one entry per round the agent was asked

    async def propose(self, task: Task) -> Candidate | None:
        self.lessons.append(len(task.lessons))
        return await self.inner.propose(task)

    async def lesson(self, task: Task, candidate: Candidate, verdict: Verdict) -> str:
        return await self.inner.lesson(task, candidate, verdict)

    def __getattr__(self, name: str) -> Any:  # tokens_used, for the token budget
        return getattr(self.inner, name)


async def counted_run(path: Path, source: str, qualname: str, spec: InputSpec,
                      config: Config) -> tuple[Run, list[Counted]]:
    """`optimize` with every agent wrapped in `Counted` (same team, same loop)."""
    span = function_named(source, qualname)
    if span.nested:
        raise OptimizeError(f"`{qualname}` is nested inside another function")
    try:
        team = [Counted(agent) for agent in build_team(config)]
    except (AgentUnavailable, ConfigError) as exc:
        raise OptimizeError(str(exc)) from exc
    embedder = Embedder(config.embeddings, None, config.llm_timeout_s) \
        if config.embeddings else None
    try:
        agents: list[Agent] = list(team)
        run = await _run(path, source, span, config, agents, None, None, spec, embedder)
    finally:
        for member in team:
            if isinstance(member.inner, LLMAgent):
                await member.inner.close()
        if embedder is not None:
            await embedder.close()
    return run, team


RULES_OFF = "rule agents: off in both arms (they ignore lessons); the same LLM team in both"

# (label, summary key, format) of the rows the ablation prints side by side
ROWS = [("tasks", "tasks", "{:d}"), ("valid %", "valid_pct", "{:.1f}"),
        ("correct %", "correct_pct", "{:.1f}"), ("geomean speedup", "geomean_speedup", "{:.2f}×"),
        ("mean speedup", "mean_speedup", "{:.2f}×"), ("≥2× %", "pct_2x", "{:.1f}"),
        ("improved", "improved", "{:d}"), ("wrong edits", "wrong_edits", "{:d}"),
        ("errors", "errors", "{:d}"), ("candidates", "candidates", "{:d}"),
        ("candidates ran %", "candidates_valid_pct", "{:.1f}"),
        ("candidates correct %", "candidates_correct_pct", "{:.1f}"),
        ("wall s", "wall_s", "{:.0f}"), ("agents asked", "agents_asked", "{}")]


def ablation_table(arms: list[tuple[str, list[TaskResult], dict[str, Any]]],
                   label: str) -> str:
    """Both arms side by side: per task, the LessonL metrics, and the lessons per round."""
    heads = [name for name, _, _ in arms]
    lines = [f"lesson-lsp bench · ablation · {label}", RULES_OFF, "",
             f"{'task':<38}" + "".join(f"{h:>24}" for h in heads)]
    per_task = [{r.task: r for r in results} for _, results, _ in arms]
    for task in sorted(per_task[0]):
        cells = []
        for tasks in per_task:
            r = tasks.get(task)
            cells.append("—" if r is None else "error" if r.error else
                         f"{r.speedup:.2f}× {r.agent}" if r.improved else "1.00×")
        lines.append(f"{task:<38}" + "".join(f"{c[:22]:>24}" for c in cells))
    lines += ["", f"{'metric':<38}" + "".join(f"{h:>24}" for h in heads)]
    for name, key, form in ROWS:
        lines.append(f"{name:<38}" + "".join(f"{form.format(t[key]):>24}"
                                             for _, _, t in arms))
    rounds = max(len(t["prompt_lessons"]) for _, _, t in arms)
    for n in range(rounds):
        cells = []
        for _, _, t in arms:
            row = t["prompt_lessons"][n] if n < len(t["prompt_lessons"]) else None
            cells.append("not asked" if row is None else
                         f"{row['lessons']} in {row['prompts']} prompts")
        lines.append(f"{f'lessons in prompts, round {n + 1}':<38}"
                     + "".join(f"{c:>24}" for c in cells))
    return "\n".join(lines)
