"""The LLM team against a scripted OpenAI-compatible server on 127.0.0.1: real `openai` client,
real HTTP, the CLI in a real subprocess, lessons in a real SQLite bank."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from lesson_lsp.source.candidate import to_column0
from lesson_lsp.source.extract import function_named
from lesson_lsp.team.bank import Bank, Lesson, fingerprint
from lesson_lsp.workspace.storage import project_cache
from tests.conftest import EXAMPLES, PYTHON
from tests.fake_openai import Reply, ScriptedEndpoint, Seen, fenced

KEY = "sk-test-7f3a9c1e55"

FAST_FIB = """
def fib(n):
    if n < 2:
        return n
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
"""

HALF_FAST_FIB = """
def fib(n):
    if n < 2:
        return n
    if n == 2:
        return 1
    return fib(n - 1) + fib(n - 2)
"""

WRONG_FIB = "def fib(n):\n    return n * 2\n"

LEAKY_FIB = "import os\n\ndef fib(n):\n    return os.environ.get('LESSON_TEST_KEY', 'no key')\n"


def is_lesson_prompt(seen: Seen) -> bool:
    return "state the lesson" in seen.prompt


def project(tmp_path: Path, url: str, agents: list[str], extra: str = "") -> Path:
    shutil.copy(EXAMPLES / "slow.py", tmp_path / "slow.py")
    team = "".join(
        f'\n[[tool.lesson-lsp.team]]\nname = "{name}"\nkind = "openai"\nmodel = "{name}-model"\n'
        f'base_url = "{url}"\napi_key_env = "LESSON_TEST_KEY"\n' for name in agents)
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.lesson-lsp]\nrounds = 2\nllm_timeout_s = 2\n{extra}\n"
        '[tool.lesson-lsp.inputs]\n"slow.py::fib" = "slow.py::inputs"\n' + team,
        encoding="utf-8")
    return tmp_path


def bank_file(folder: Path) -> Path:
    """The project's bank: in the (test run's) cache directory, never in the project."""
    return project_cache(folder) / "lessons.db"


def optimize(folder: Path, *args: str) -> tuple[dict, str]:
    env = {**os.environ, "LESSON_TEST_KEY": KEY}
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "optimize", "slow.py::fib", "--json",
                           *args], cwd=folder, capture_output=True, text=True, timeout=300,
                          env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def model_of(seen: Seen) -> str:
    return str(seen.body.get("model", ""))


@pytest.mark.slow
def test_lessons_flow_into_the_next_round_and_the_key_stays_put(tmp_path: Path) -> None:
    def script(seen: Seen) -> Reply:
        if is_lesson_prompt(seen):
            return Reply("LESSON-FROM-ROUND-1: iterate instead of recursing twice.")
        first_round = "LESSON-FROM-ROUND-1" not in seen.prompt
        return Reply(fenced(LEAKY_FIB if first_round else FAST_FIB))

    with ScriptedEndpoint(script) as server:
        folder = project(tmp_path, server.url, ["solo"])
        result, stderr = optimize(folder, "--record", "run.jsonl")
        chats = server.chats()
    proposals = [s for s in chats if not is_lesson_prompt(s)]
    assert len(proposals) == 2
    assert "LESSON-FROM-ROUND-1" not in proposals[0].prompt
    assert "LESSON-FROM-ROUND-1" in proposals[1].prompt  # the round-1 lesson, selected
    assert "def fib(n):" in proposals[0].prompt and "hits" in proposals[0].prompt  # profile
    verdicts = [c["verdict"] for c in result["candidates"]]
    assert verdicts == ["unsafe", "faster"]  # the leaky one reads the environment
    assert result["improved"] and result["speedup"] > 10
    # The key went to the endpoint, and nowhere else: not the sandbox (the leaky candidate saw
    # no key), not the output, the bank or the recording.
    assert all(s.headers.get("authorization") == f"Bearer {KEY}" for s in chats)
    assert "environment variable LESSON_TEST_KEY" in result["candidates"][0]["detail"]
    places = [json.dumps(result), stderr, (folder / "run.jsonl").read_text()]
    places.append((bank_file(folder)).read_bytes().decode("latin-1"))
    assert all(KEY not in place for place in places)


def fib_print(folder: Path) -> str:
    """The bank's key for `fib` of examples/slow.py, as the loop computes it."""
    span = function_named((folder / "slow.py").read_text(encoding="utf-8"), "fib")
    return fingerprint(to_column0(span.source, span.indent))


def test_selection_half_by_speedup_rest_by_relevance(tmp_path: Path) -> None:
    seen_prompts: list[str] = []

    def script(seen: Seen) -> Reply:
        if is_lesson_prompt(seen):
            return Reply("a lesson")
        seen_prompts.append(seen.prompt)
        return Reply(fenced(WRONG_FIB))

    with ScriptedEndpoint(script) as server:
        folder = project(tmp_path, server.url, ["solo"])
        bank = Bank(bank_file(folder))
        for text, speedup, code in [
            ("TOP-1", 9.0, "def unrelated(): pass"), ("TOP-2", 5.0, "def unrelated(): pass"),
            ("TOP-3", 4.0, "def unrelated(): pass"),
            ("RELEVANT", 0.0, "def fib(n):\n    if n < 2:\n        return n\n"
                              "    return fib(n - 1) + fib(n - 2)"),
            ("IRRELEVANT", 0.0, "import socket"), ("SLIGHT", 1.05, "def fib(n): return n"),
        ]:
            bank.add(Lesson(text=text, outcome="faster" if speedup else "incorrect",
                            speedup=speedup, function="fib", fingerprint=fib_print(folder),
                            code=code, agent="a"))
        bank.add(Lesson(text="OTHER-999", outcome="faster", speedup=999.0, function="g",
                        fingerprint="g", code="def g(): return 1", agent="a"))
        bank.close()
        optimize(folder, "--rounds", "1")
    first = seen_prompts[0]
    shown = re.findall(r"\] (TOP-\d|RELEVANT|IRRELEVANT|SLIGHT|OTHER-999)\b", first)
    assert shown[:2] == ["TOP-1", "TOP-2"]  # ⌈4/2⌉ of fib's own lessons by speedup × factor
    assert "RELEVANT" in shown[2:] and "IRRELEVANT" not in shown and len(shown) == 4
    assert "OTHER-999" not in shown  # another function's, and not relevant: never shown
    # Factors moved: the one reader's candidate was incorrect (0×), so the shown sank to 0.9.
    rows = dict(sqlite3.connect(bank_file(folder)).execute(
        "SELECT text, factor FROM lessons"))
    assert rows["TOP-1"] == pytest.approx(0.9) and rows["TOP-3"] == 1.0


@pytest.mark.slow
def test_the_fastest_verified_candidate_wins_and_is_remeasured(tmp_path: Path) -> None:
    def script(seen: Seen) -> Reply:
        if is_lesson_prompt(seen):
            return Reply("ok")
        return Reply(fenced(FAST_FIB if model_of(seen) == "quick-model" else HALF_FAST_FIB))

    with ScriptedEndpoint(script) as server:
        folder = project(tmp_path, server.url, ["slowish", "quick"])
        result, _ = optimize(folder, "--rounds", "1", "--apply")
    by_agent = {c["agent"]: c for c in result["candidates"]}
    assert by_agent["quick"]["verdict"] == "faster"
    assert result["improved"] and result["applied"]
    assert result["speedup"] > by_agent["slowish"]["speedup"]
    assert result["speedup"] != by_agent["quick"]["speedup"]  # a fresh measurement
    written = (folder / "slow.py").read_text()
    assert "a, b = b, a + b" in written


@pytest.mark.slow
@pytest.mark.parametrize("failure", [
    Reply(status=500), Reply(status=429, headers={"Retry-After": "0"}),
    Reply(delay_s=3.0), Reply(raw=b"<html>not json</html>"), Reply(content=None),
    Reply(drop=True),
])
def test_a_failing_endpoint_is_one_message_and_the_offline_team_still_delivers(
        tmp_path: Path, failure: Reply) -> None:
    with ScriptedEndpoint(lambda seen: failure) as server:
        folder = project(tmp_path, server.url, ["flaky"])
        text = (folder / "pyproject.toml").read_text()
        (folder / "pyproject.toml").write_text(
            text + '\n[[tool.lesson-lsp.team]]\nname = "memoize"\nkind = "rewrite"\n')
        result, stderr = optimize(folder)
        attempts = len(server.chats())
    assert 2 <= attempts <= 4  # bounded retries
    assert len(result["notices"]) == 1 and "flaky" in result["notices"][0]
    assert stderr.count("note:") == 1
    assert result["improved"]  # the memoize rewrite agent
    assert {c["agent"] for c in result["candidates"]} == {"memoize"}


@pytest.mark.slow
def test_recovers_after_transient_errors(tmp_path: Path) -> None:
    calls = {"n": 0}

    def script(seen: Seen) -> Reply:
        calls["n"] += 1
        if calls["n"] <= 2:
            return Reply(status=503)
        return Reply("lesson") if is_lesson_prompt(seen) else Reply(fenced(FAST_FIB))

    with ScriptedEndpoint(script) as server:
        result, _ = optimize(project(tmp_path, server.url, ["steady"]), "--rounds", "1")
    assert result["notices"] == [] and result["improved"]


def test_garbage_answers_become_error_lessons(tmp_path: Path) -> None:
    def script(seen: Seen) -> Reply:
        if is_lesson_prompt(seen):
            return Reply("GARBAGE-LESSON: answer with one python code block.")
        return Reply("I am sorry, I cannot write code today.")

    with ScriptedEndpoint(script) as server:
        result, _ = optimize(project(tmp_path, server.url, ["talker"]), "--rounds", "1")
    assert [c["verdict"] for c in result["candidates"]] == ["error"]
    assert "holds no code" in result["candidates"][0]["detail"]
    assert result["lessons"][0]["text"].startswith("GARBAGE-LESSON")
    assert not result["improved"]


@pytest.mark.slow
def test_replay_needs_no_endpoint(tmp_path: Path) -> None:
    def script(seen: Seen) -> Reply:
        return Reply("replayed lesson") if is_lesson_prompt(seen) else Reply(fenced(FAST_FIB))

    with ScriptedEndpoint(script) as server:
        folder = project(tmp_path, server.url, ["solo"])
        recorded, _ = optimize(folder, "--rounds", "1", "--record", "run.jsonl")
    # The endpoint is gone now; the recording answers instead.
    replayed, _ = optimize(folder, "--rounds", "1", "--replay", "run.jsonl")
    assert [c["verdict"] for c in replayed["candidates"]] == \
        [c["verdict"] for c in recorded["candidates"]] == ["faster"]
    assert replayed["lessons"][0]["text"] == "replayed lesson"


def test_a_refused_key_is_not_retried(tmp_path: Path) -> None:
    with ScriptedEndpoint(lambda seen: Reply(status=401)) as server:
        folder = project(tmp_path, server.url, ["locked"])
        result, _ = optimize(folder, "--rounds", "1")
        attempts = len(server.chats())
    assert attempts == 1
    assert result["notices"] == [
        "agent `locked`: the endpoint refused the API key (401); the rest of the team went on "
        "without it"]


@pytest.mark.slow
def test_embeddings_from_the_endpoint_rank_relevance(tmp_path: Path) -> None:
    def script(seen: Seen) -> Reply:
        return Reply("an embedded lesson") if is_lesson_prompt(seen) else \
            Reply(fenced(FAST_FIB))

    with ScriptedEndpoint(script) as server:
        folder = project(tmp_path, server.url, ["solo"],
                         extra=f'\n[tool.lesson-lsp.embeddings]\nmodel = "embed"\n'
                               f'base_url = "{server.url}"\napi_key_env = "LESSON_TEST_KEY"\n')
        result, _ = optimize(folder, "--rounds", "2")
        embedded = [s for s in server.seen if s.path.endswith("/embeddings")]
    assert result["improved"]
    assert embedded and "def fib(n):" in embedded[0].body["input"][0]
    assert any("a, b = b, a + b" in text for s in embedded for text in s.body["input"][1:])
    rows = sqlite3.connect(bank_file(folder)).execute(
        "SELECT embedding FROM lessons").fetchall()
    assert rows and all(json.loads(r[0]) for r in rows)


@pytest.mark.slow  # 17 s or more: CI's second step
def test_the_profile_shown_is_the_profile_of_the_code_shown(tmp_path: Path) -> None:
    """Under restart_from = "best", round 2 shows the best candidate's code, and the line
    profile below it is that code's, not the original's."""
    told = []

    def script(seen: Seen) -> Reply:
        if is_lesson_prompt(seen):
            told.append(seen)
            return Reply(["Iterate instead of recursing twice.", "Keep the loop."][len(told) > 1])
        return Reply(fenced(FAST_FIB))

    with ScriptedEndpoint(script) as server:
        folder = project(tmp_path, server.url, ["solo"])
        optimize(folder)
        proposals = [s for s in server.chats() if not is_lesson_prompt(s)]
    profiles = [p.prompt.split("spends its time", 1)[1] for p in proposals]
    assert "a, b = b, a + b" not in profiles[0]  # the original's profile
    assert "a, b = b, a + b" in profiles[1], profiles[1]  # the best candidate's, in round 2
    # The bank keeps what the lesson's verdict was checked on: the inputs found and what the
    # deep check added (how many fuzzed inputs fit in its time box depends on the machine's
    # load; on a busy one the constants and the concolic paths may be all there is).
    with sqlite3.connect(bank_file(folder)) as db:
        checked = [row[0] for row in db.execute("SELECT checked FROM lessons")]
    assert any(c.startswith("checked on 3 generator, 18 derived") and any(
        deep in c for deep in ("fuzzed", "candidate constants", "concolic")) for c in checked), \
        checked
