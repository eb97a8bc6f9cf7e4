"""Which faster candidate ships (issue 23): a later one replaces the best only when a duel beside
it says it is faster; of the equally fast, the smaller edit ships, and the result says so."""

from __future__ import annotations

import pytest

from lesson_lsp.harness.duel import CHALLENGER, INCUMBENT, TIE, Duel
from lesson_lsp.source.edits import changed_lines
from tests.fake_openai import Reply, ScriptedEndpoint, Seen, fenced
from tests.test_llm_team import FAST_FIB, is_lesson_prompt, model_of, optimize, project

# FAST_FIB with three lines that change nothing it does: as fast, a larger edit.
PADDED_FIB = FAST_FIB.replace("    a, b = 0, 1\n", "    a, b = 0, 1\n    first = a\n"
                              "    second = b\n    a, b = first, second\n")


@pytest.mark.parametrize("ratio,noise,expected", [
    (1.5, 0.02, CHALLENGER),  # clearly faster, and by more than the minimum speedup
    (1.08, 0.01, TIE),  # faster than the noise, but by less than the minimum speedup
    (0.97, 0.02, TIE),  # inside the noise
    (0.8, 0.02, INCUMBENT),  # the incumbent is clearly faster
    (1.3, 0.15, TIE),  # 1.3× measured with ±15 %: not clearly more than noise
])
def test_a_duel_decides_only_beyond_its_own_noise(ratio: float, noise: float,
                                                  expected: str) -> None:
    assert Duel(ratio, noise).winner(min_speedup=1.1) == expected


def test_lines_changed_counts_removed_plus_added() -> None:
    assert changed_lines("a\nb\nc\n", "a\nB\nc\nd\n") == 3
    assert changed_lines("x\n", "x\n") == 0


@pytest.mark.slow
def test_of_two_equally_fast_candidates_the_smaller_edit_ships(tmp_path) -> None:  # type: ignore[no-untyped-def]
    def script(seen: Seen) -> Reply:
        if is_lesson_prompt(seen):
            return Reply("ok")
        return Reply(fenced(PADDED_FIB if model_of(seen) == "padded-model" else FAST_FIB))

    with ScriptedEndpoint(script) as server:
        # The padded one is checked first and becomes the best; the lean one then ties with it.
        result, _ = optimize(project(tmp_path, server.url, ["padded", "lean"]), "--rounds", "1")
    verdicts = {c["agent"]: c for c in result["candidates"]}
    assert verdicts["padded"]["verdict"] == verdicts["lean"]["verdict"] == "faster"
    assert verdicts["padded"]["lines_changed"] > verdicts["lean"]["lines_changed"]
    assert result["improved"] and result["final"]["agent"] == "lean", result
    assert result["lines_changed"] == verdicts["lean"]["lines_changed"]
    assert any("the smaller edit" in c and "equally fast" in c for c in result["choices"])


@pytest.mark.slow
def test_a_later_no_op_does_not_replace_the_best(tmp_path) -> None:  # type: ignore[no-untyped-def]
    def script(seen: Seen) -> Reply:
        if is_lesson_prompt(seen):
            return Reply("ok")
        # Round 2 starts from the best: the agent hands back the same loop, padded.
        return Reply(fenced(PADDED_FIB if "a, b = b, a + b" in seen.prompt else FAST_FIB))

    with ScriptedEndpoint(script) as server:
        result, _ = optimize(project(tmp_path, server.url, ["solo"]), "--rounds", "2")
    rounds = [c["round"] for c in result["candidates"] if c["verdict"] == "faster"]
    assert rounds == [1, 2], result["candidates"]
    assert result["improved"] and result["final"]["round"] == 1, result
