"""`lesson-lsp bench --no-lessons`: the same scripted two-agent LLM team with and without
lessons, rule agents off, over a real-HTTP OpenAI-compatible endpoint."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import threading
from collections import Counter
from pathlib import Path

import pytest

from lesson_lsp.cli.ablation import Counted
from lesson_lsp.cli.bench import TaskResult, by_round
from lesson_lsp.team.agents import Task
from lesson_lsp.team.bank import Lesson
from tests.conftest import PYTHON
from tests.fake_openai import Reply, ScriptedEndpoint, Seen, fenced

TASKS = Path(__file__).resolve().parent.parent / "benchmarks" / "tasks"

FAST = {
    "def fib": "def fib(n):\n    if n < 2:\n        return n\n    a{i}, b = 0, 1\n"
               "    for _ in range(n):\n"
               "        a{i}, b = b, a{i} + b\n    return a{i}\n",
    "def common_items": "def common_items(xs, ys):\n    seen{i} = set(ys)\n"
                        "    return [x for x in xs if x in seen{i}]\n",
}
WRONG = {"def fib": "def fib(n):\n    return n + {i}\n",
         "def common_items": "def common_items(xs, ys):\n    return [{i}]\n"}


def suite(tmp_path: Path) -> Path:
    folder = tmp_path / "suite"
    folder.mkdir()
    for stem in ("t01_fib", "t03_common_items"):
        shutil.copy(TASKS / f"{stem}.py", folder / f"{stem}.py")
    (folder / "manifest.json").write_text(json.dumps(
        {"t01_fib": "fib", "t03_common_items": "common_items"}))
    return folder


def team_project(tmp_path: Path, url: str) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    team = "".join(
        f'\n[[tool.lesson-lsp.team]]\nname = "{name}"\nkind = "openai"\nmodel = "{name}-model"\n'
        f'base_url = "{url}"\napi_key_env = "LESSON_TEST_KEY"\n' for name in ("fast", "wrong"))
    (folder / "pyproject.toml").write_text(
        f"[tool.lesson-lsp]\nllm_timeout_s = 5\n{team}", encoding="utf-8")
    return folder


def scripted() -> tuple[ScriptedEndpoint, Counter[str]]:
    """`fast-model` answers a correct, faster version; `wrong-model` an incorrect one; every
    answer is new (a numbered name) so that round 2 has fresh candidates too."""
    calls: Counter[str] = Counter()
    lock = threading.Lock()

    def script(seen: Seen) -> Reply:
        model = str(seen.body.get("model", ""))
        if "state the lesson" in seen.prompt:  # a text of its own per agent and function
            head = next((h for h in FAST if h in seen.prompt), "?")
            return Reply(f"Lesson from {model} on {head}: keep the results equal.")
        for head in FAST:
            if head in seen.prompt:
                with lock:
                    calls[model + head] += 1
                    i = calls[model + head]
                code = (FAST if model == "fast-model" else WRONG)[head]
                return Reply(fenced(code.replace("{i}", str(i))))
        return Reply("I cannot help with that.")

    return ScriptedEndpoint(script), calls


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LESSON_TEST_KEY": "sk-test-bench"}
    return subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "bench", *args],
                          capture_output=True, text=True, timeout=600, env=env)


def cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


@pytest.mark.slow
def test_ablation_prints_both_arms_rules_off_and_lessons_per_round(tmp_path: Path) -> None:
    folder = suite(tmp_path)
    server, _ = scripted()
    with server:
        project = team_project(tmp_path, server.url)
        # A rule agent named on the command line stays out of both arms all the same.
        done = bench(str(folder), "--config", str(project), "--team", "memoize", "--rounds", "2",
                     "--no-lessons", "--jobs", "2")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    print(out)
    assert "rule agents: off in both arms" in out
    assert "with lessons (k=4)" in out and "without lessons (k=0)" in out
    assert "team fast, wrong" in out
    rows = {cells(line)[0]: cells(line)[1:] for line in out.splitlines() if line.strip()}
    assert rows["tasks"] == ["2", "2"] and rows["wrong edits"] == ["0", "0"]
    assert all(cell.endswith("× fast") for cell in rows["t01_fib"] + rows["t03_common_items"])
    assert all(len(v) == 2 for k, v in rows.items() if k.startswith("lessons in prompts"))
    with_r2, without_r2 = rows["lessons in prompts, round 2"]
    assert without_r2 == "0 in 4 prompts"
    assert rows["lessons in prompts, round 1"][1] == "0 in 4 prompts"
    lessons, prompts = map(int, re.findall(r"\d+", with_r2))
    assert prompts == 4 and lessons >= prompts  # every round-2 prompt held a lesson
    # No rule agent took part: only the two LLM agents were asked, in both arms.
    assert rows["agents asked"] == ["fast, wrong", "fast, wrong"]
    # What the endpoint received agrees: 2 arms × 2 rounds × 2 tasks × 2 agents proposals, and
    # only the lessons arm's round 2 (4 prompts) carried lesson texts.
    proposing = [c.prompt for c in server.chats() if "state the lesson" not in c.prompt]
    assert len(proposing) == 16
    assert sum("Lesson from" in prompt for prompt in proposing) == 4


def test_ablation_without_an_llm_team_says_what_to_do(tmp_path: Path) -> None:
    done = bench(str(suite(tmp_path)), "--rounds", "1", "--no-lessons")
    assert done.returncode == 2
    assert "rule agents ignore lessons" in done.stderr and "--config" in done.stderr


def test_counted_agents_note_the_lessons_of_every_prompt() -> None:
    """The wrapper hands every call through and notes len(task.lessons) per round."""
    class Inner:
        name, model, tokens_used = "x", "x-model", 7

        async def propose(self, task: Task) -> None:
            return None

        async def lesson(self, task: object, candidate: object, verdict: object) -> str:
            return "lesson"

    agent = Counted(Inner())
    lessons = [Lesson(text=f"l{i}", outcome="faster", speedup=2.0, function="f",
                      fingerprint="p", code="", agent="x") for i in range(3)]
    for shown in ([], lessons):
        asyncio.run(agent.propose(Task(name="f", qualname="f", source="", lessons=shown)))
    assert agent.lessons == [0, 3] and agent.tokens_used == 7 and agent.model == "x-model"
    results = [TaskResult("a", "f", prompts=[2, 2], prompt_lessons=[0, 6]),
               TaskResult("b", "g", prompts=[2], prompt_lessons=[1])]
    assert by_round(results) == [{"round": 1, "lessons": 1, "prompts": 4},
                                 {"round": 2, "lessons": 6, "prompts": 2}]
