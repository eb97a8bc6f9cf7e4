"""What a run says leads somewhere: the headline and the lessons agree, `--json` carries the
times, "nothing applies" shows how to add an LLM team, and every refusal names its cause and
the next step. Real CLI runs, except where a situation is built to be deterministic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lesson_lsp.engine.messages import LLM_TEAM_SNIPPET
from lesson_lsp.engine.optimize import Run
from lesson_lsp.harness.verify import FASTER, INCORRECT, NOT_FASTER, Baseline, Verdict
from lesson_lsp.source.candidate import Candidate
from lesson_lsp.source.extract import function_named
from lesson_lsp.team.bank import Lesson
from lesson_lsp.team.loop import Attempt, TeamResult
from lesson_lsp.workspace.config import Config, merge
from tests.conftest import PYTHON

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "lesson_lsp.cli", *args], cwd=project,
                          capture_output=True, text=True, timeout=180)


def errors(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [ln for ln in done.stderr.splitlines() if ln.startswith("lesson-lsp:")]


# -- the headline and the lessons never contradict each other ---------------------------------

SOURCE = "def f(xs):\n    return sorted(xs)[0]\n"


def attempt(agent: str, round_no: int, verdict: Verdict) -> Attempt:
    lesson = Lesson(text=f"{agent} measured {verdict.speedup:.1f}× faster", outcome=verdict.verdict,
                    speedup=verdict.speedup, function="f", fingerprint="x", code="",
                    agent=agent, round=round_no)
    return Attempt(agent, round_no, Candidate(f"def f(xs):\n    return {agent!r}\n"), verdict,
                   lesson)


def built_run(final: Verdict, *attempts: Attempt) -> Run:
    """The run of the found report, built deterministically: the fastest candidate of the
    rounds is `attempts[0]`, re-measured as `final`."""
    result = TeamResult(Baseline([], 0.0, inputs=4, profile="", held_out=1, solo_s=2e-3),
                        list(attempts), best=attempts[0], final=final, asked=1,
                        proposed=len(attempts))
    return Run("mod.py", function_named(SOURCE, "f"), result, None, "test", offline=True)


def test_a_round_winner_not_confirmed_at_the_end_says_so_everywhere() -> None:
    won = attempt("sorted_min", 1, Verdict(FASTER, speedup=1.2, original_s=2e-3,
                                           candidate_s=1.6e-3))
    wrong = attempt("other", 1, Verdict(INCORRECT, detail="input #1: differs"))
    final = Verdict(NOT_FASTER, speedup=1.03, original_s=2.1e-3, candidate_s=2.0e-3,
                    detail="1.03× (needs ≥ 1.10× to count)")
    run = built_run(final, won, wrong)
    assert not run.improved
    headline = run.headline()
    assert "no faster verified version" in headline
    assert "*sorted_min*'s in round 1 at 1.2×" in headline
    assert "not confirmed by the final re-measurement (only 1.03×, inside the noise)" in headline
    line = run.lesson_lines()[0]
    assert line.startswith("- *sorted_min* (faster in round 1 at 1.2×, not confirmed by the "
                           "final re-measurement: only 1.03×, inside the noise): ")
    assert "(faster, 1.2×)" not in run.markdown() and line in run.markdown()
    assert run.lesson_lines()[1].startswith("- *other* (incorrect)")
    data = run.as_json(applied=False)
    assert data["lessons"][0]["offered"] is False
    assert "not confirmed by the final re-measurement" in data["lessons"][0]["note"]
    assert data["final"] == {"agent": "sorted_min", "round": 1, "verdict": "not-faster",
                             "speedup": 1.03,
                             "detail": "1.03× (needs ≥ 1.10× to count)"}
    # Both times, per pass over the 3 shown inputs (one of the 4 is held out).
    assert (data["original_s"], data["candidate_s"]) == (2.1e-3, 2.0e-3)
    assert data["time_per"] == "pass over 3 shown inputs"
    assert data["advice"] is None  # rules applied; they just did not pay


def test_a_faster_candidate_that_was_not_shipped_says_which_was() -> None:
    best = attempt("memoize", 2, Verdict(FASTER, speedup=30.0, original_s=2e-3,
                                         candidate_s=7e-5))
    runner_up = attempt("hoist", 1, Verdict(FASTER, speedup=1.4, original_s=2e-3,
                                            candidate_s=1.4e-3))
    final = Verdict(FASTER, speedup=28.0, original_s=2e-3, candidate_s=7.1e-5)
    run = built_run(final, best, runner_up)
    assert run.improved and run.headline().startswith("Optimize f: 28.0× faster (")
    assert run.headline().endswith("per pass over 3 inputs)")
    shipped, other = run.lesson_lines()
    assert "(faster in round 2 at 30.0×, confirmed at 28.0× by the final re-measurement)" \
        in shipped
    assert ("(faster in round 1 at 1.4×, not offered: the fastest candidate, *memoize*'s in "
            "round 2 at 30.0×, was the one re-measured)") in other
    data = run.as_json(applied=False)
    assert [x["offered"] for x in data["lessons"]] == [True, False]
    assert data["candidate_s"] == 7.1e-5


@pytest.mark.slow
def test_json_carries_both_times_and_lessons_agree_with_the_headline(project: Path) -> None:
    done = cli(project, "optimize", "slow.py::fib", "--rounds", "1", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["original_s"] > 0 and result["time_per"] == "pass over 3 shown inputs"
    final = result["final"]
    measured = final is not None and final["verdict"] in (FASTER, NOT_FASTER)
    assert (result["candidate_s"] is not None) == measured
    if result["improved"]:
        assert result["candidate_s"] > 0 and "per pass over 3 inputs" in result["headline"]
    for lesson in result["lessons"]:
        if lesson["outcome"] != FASTER:
            continue
        # Whatever the timing did, a lesson's line agrees with what was offered.
        if lesson["offered"]:
            assert result["improved"] and "confirmed at" in lesson["note"]
        else:
            assert "not confirmed" in lesson["note"] or "not offered" in lesson["note"]


# -- nothing applies: say so, and show how to add an LLM team ---------------------------------

def test_no_rule_applies_says_so_and_shows_an_llm_team(project: Path) -> None:
    plain = cli(project, "optimize", "slow.py::already_fast")
    assert plain.returncode == 0, plain.stderr
    out = plain.stdout
    assert "already_fast: no faster verified version (original: " in out
    assert "per pass over 2 inputs); no offline rewrite rule applies to it" in out
    assert LLM_TEAM_SNIPPET in out
    # The snippet is a valid team: pasted into pyproject.toml it configures an LLM agent.
    table = tomllib.loads(LLM_TEAM_SNIPPET)["tool"]["lesson-lsp"]
    agent = merge(Config(), table, "snippet").team[0]
    assert (agent.kind, agent.api_key_env) == ("openai", "OPENAI_API_KEY")
    assert agent.model and agent.base_url

    done = cli(project, "optimize", "slow.py::already_fast", "--json")
    result = json.loads(done.stdout)
    assert not result["improved"] and result["candidates"] == []
    assert result["original_s"] > 0  # measured, even though nothing improved
    assert result["candidate_s"] is None and result["final"] is None
    assert result["time_per"] == "pass over 2 shown inputs"
    assert 'kind = "openai"' in result["advice"] and "api_key_env" in result["advice"]


def test_an_llm_team_that_proposed_nothing_gets_no_llm_advice(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.lesson-lsp]\nrounds = 1\n[[tool.lesson-lsp.team]]\nname = "memoize"\n'
        'kind = "rewrite"\n', encoding="utf-8")
    done = cli(project, "optimize", "slow.py::already_fast", "--inputs",
               "slow.py::fast_inputs", "--json")
    assert json.loads(done.stdout)["advice"] is not None  # an offline team, however small
    (project / "pyproject.toml").write_text(
        '[tool.lesson-lsp]\nrounds = 1\n[[tool.lesson-lsp.team]]\nname = "m"\n'
        'kind = "openai"\nmodel = "m"\nbase_url = "http://127.0.0.1:9/v1"\n', encoding="utf-8")
    done = cli(project, "optimize", "slow.py::already_fast", "--inputs",
               "slow.py::fast_inputs", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["advice"] is None and "no offline rewrite rule" not in result["headline"]
    assert any("cannot be reached" in n for n in result["notices"])


# -- every refusal names its cause and the next step ------------------------------------------

FILES = {
    "raising.py": "def gen():\n    raise ValueError('boom')\n\ndef wrong():\n    return [('x',)]\n",
    "noisy.py": "import time\n\ndef stamp(n):\n    return time.time_ns() + n\n\n"
                "def inputs():\n    return [(1,)]\n",
    "dies.py": "import os\n\ndef boom(n):\n    os._exit(3)\n\ndef inputs():\n    return [(1,)]\n",
    "sleepy.py": "import time\n\ndef nap(n):\n    time.sleep(n)\n\ndef inputs():\n"
                 "    return [(20,)]\n",
}


@pytest.mark.parametrize(("args", "cause", "step"), [
    (["optimize", "missing.py::fib"], "no such file", "give its path from the current folder"),
    (["optimize", "slow.py::fib", "--inputs", "slow.py::not_there"], "no callable `not_there`",
     "fix where the inputs come from (--inputs), or name a generator"),
    (["optimize", "slow.py::fib", "--inputs", "raising.py::gen"], "raised ValueError: boom",
     "fix where the inputs come from"),
    (["optimize", "slow.py::fib", "--inputs", "raising.py::wrong"], "raised on every input",
     "check that the inputs match its parameters"),
    (["optimize", "noisy.py::stamp", "--inputs", "noisy.py::inputs"], "not deterministic",
     "make it deterministic"),
    (["optimize", "dies.py::boom", "--inputs", "dies.py::inputs"], "died without an answer",
     "check that its module imports and that it runs on these inputs"),
    (["optimize", "sleepy.py::nap", "--inputs", "sleepy.py::inputs"],
     "could not run: it took longer than 3 s", "raise `timeout_s` in [tool.lesson-lsp.harness]"),
    (["optimize", "slow.py::fib", "--replay", "none.jsonl"], "no such recording",
     "make one with --record none.jsonl"),
    (["verify", "slow.py::fib", "--candidate", "nope.py"], "no such file",
     "--candidate names a file"),
])
def test_refusals_name_cause_and_next_step(project: Path, args: list[str], cause: str,
                                           step: str) -> None:
    for name, text in FILES.items():
        (project / name).write_text(text, encoding="utf-8")
    (project / "pyproject.toml").write_text(
        "[tool.lesson-lsp]\nrounds = 1\n[tool.lesson-lsp.harness]\ntimeout_s = 3\n",
        encoding="utf-8")
    done = cli(project, *args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = errors(done)
    assert len(lines) == 1 and cause in lines[0] and step in lines[0], done.stderr


@pytest.mark.parametrize(("team", "cause", "step"), [
    ('name = "gpt"\nkind = "openai"\nmodel = "m"\napi_key_env = "LESSON_TEST_UNSET_KEY"\n',
     "LESSON_TEST_UNSET_KEY is not set", "set it to the endpoint's API key"),
    ('name = "no_such_rule"\nkind = "rewrite"\n', "no rewrite agent named `no_such_rule`",
     "set that team member's `name` to one of all, linear-recurrence, memoize"),
])
def test_team_refusals_name_cause_and_next_step(project: Path, team: str, cause: str,
                                                step: str) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.lesson-lsp]\nrounds = 1\n[tool.lesson-lsp.inputs]\n'
        '"slow.py::fib" = "slow.py::inputs"\n[[tool.lesson-lsp.team]]\n' + team,
        encoding="utf-8")
    done = cli(project, "optimize", "slow.py::fib")
    assert done.returncode == 2
    lines = errors(done)
    assert len(lines) == 1 and cause in lines[0] and step in lines[0], done.stderr
