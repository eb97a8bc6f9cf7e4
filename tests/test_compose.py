"""Rules that apply together are also proposed together, as one candidate the harness checks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import PYTHON, team

from lesson_lsp.engine.optimize import build_team
from lesson_lsp.team.agents import rewrite_team
from lesson_lsp.team.rewrites import COMPOSE, RULES, Rewrite, RewriteContext, Rule
from lesson_lsp.team.rewrites.compose import compose
from lesson_lsp.workspace.config import AgentConfig, Config

# builtin-map (`[int(x) for x in …]` → `list(map(int, …))`) and lambda-comprehension
# (`filter(lambda …)` → a comprehension) both apply, each to a different line.
TWO = '''\
def positives(words):
    # digits first
    nums = [int(w) for w in words]
    return len(list(filter(lambda n: n > 0, nums)))
'''

ONE = '''\
def smallest(xs):
    return sorted(xs)[0]
'''


def run(source: str, name: str, *args: object) -> object:
    scope: dict[str, object] = {}
    exec(source, scope)
    function = scope[name]
    assert callable(function)
    return function(*args)


def test_two_rules_are_applied_in_sequence_and_the_result_computes_the_same() -> None:
    rewrite = COMPOSE.apply(TWO, RewriteContext("positives"))
    assert rewrite is not None
    assert "map(int, words)" in rewrite.source and "lambda" not in rewrite.source
    assert "# digits first" in rewrite.source
    assert "builtin-map" in rewrite.summary and "lambda-comprehension" in rewrite.summary
    for words in ([], ["1", "-2", "3"], ["0"], ["-5", "-6"]):
        assert run(rewrite.source, "positives", words) == run(TWO, "positives", words)


def test_one_applicable_rule_is_not_a_composition() -> None:
    assert COMPOSE.apply(ONE, RewriteContext("smallest")) is None


def test_a_rule_that_no_longer_applies_after_another_is_skipped() -> None:
    def rename(source: str, context: RewriteContext) -> Rewrite | None:
        return Rewrite(source.replace("words", "items"), ("import math",), "renamed")

    def needs_words(source: str, context: RewriteContext) -> Rewrite | None:
        return Rewrite(source + "\n# seen\n") if "words" in source else None

    first = Rule("rename", "rename", rename)
    second = Rule("needs-words", "needs words", needs_words)
    assert compose([first, second], TWO, RewriteContext("positives")) is None
    both = compose([second, first], TWO, RewriteContext("positives"))
    assert both is not None and "# seen" in both.source and "items" in both.source
    assert both.imports == ("import math",)


def test_a_failing_rule_is_left_out_not_fatal() -> None:
    def broken(source: str, context: RewriteContext) -> Rewrite | None:
        raise RuntimeError("bug in a rule")

    rules = [Rule("broken", "broken", broken), *RULES]
    rewrite = compose(rules, TWO, RewriteContext("positives"))
    assert rewrite is not None and "broken" not in rewrite.summary


def test_the_default_team_ends_with_the_composition_and_it_can_be_named() -> None:
    assert [agent.name for agent in rewrite_team()][-1] == "compose"
    chosen = build_team(Config(team=(AgentConfig(name="compose", kind="rewrite"),)))
    assert [agent.name for agent in chosen] == ["compose"]


def test_a_team_naming_a_rule_merged_into_a_family_gets_the_family() -> None:
    chosen = build_team(Config(team=(AgentConfig(name="equality-join", kind="rewrite"),
                                     AgentConfig(name="string-prepend", kind="rewrite"))))
    assert [agent.name for agent in chosen] == ["membership-set", "string-join"]


@pytest.mark.slow
def test_the_composed_candidate_is_checked_and_timed_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text(
        TWO + '\n\ndef inputs():\n    return [(["%d" % (i - 500) for i in range(2000)],)] * 3\n',
        encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lesson-lsp]\nrounds = 1\n\n[tool.lesson-lsp.inputs]\n'
        '"mod.py::positives" = "mod.py::inputs"\n'
        + team("builtin-map", "lambda-comprehension", "compose"), encoding="utf-8")
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "optimize", "mod.py::positives",
                           "--json"], cwd=tmp_path, capture_output=True, text=True, timeout=180)
    report = json.loads(done.stdout)
    verdicts = {c["agent"]: c["verdict"] for c in report["candidates"]}
    assert set(verdicts) == {"builtin-map", "lambda-comprehension", "compose"}, done.stdout
    assert verdicts["compose"] in ("faster", "not-faster"), report["candidates"]
