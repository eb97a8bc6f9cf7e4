"""One bench task's outcome: the row `bench` prints and its `--no-lessons` ablation sets beside
the other arm's. Its own module, so that the ablation need not import `bench`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TaskResult:
    task: str
    function: str
    speedup: float = 1.0
    improved: bool = False
    agent: str = ""
    candidates: int = 0
    ran: int = 0  # candidates that ran (no error, no timeout)
    correct: int = 0  # candidates equivalent to the original (and not unsafe)
    unsafe: int = 0  # candidates that tried what the original does not
    wrong_edit: bool = False
    error: str = ""
    seconds: float = 0.0
    hits: dict[str, int] = field(default_factory=dict)
    prompt_lessons: list[int] = field(default_factory=list)  # per round, over the agents
    prompts: list[int] = field(default_factory=list)  # agents asked per round
    asked: list[str] = field(default_factory=list)  # the team members that were asked
    lines_changed: int = 0  # the shipped edit's size (removed plus added lines)
