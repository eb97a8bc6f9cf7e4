"""Issue 14: lessons chosen per function, scored by the reference factor rule, credited against
the code the agent was given, and kept in a deduplicated, bounded bank (real SQLite)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lesson_lsp.harness.verify import ERROR, FASTER, NOT_FASTER, Verdict
from lesson_lsp.team.bank import RULE, Bank, Lesson
from lesson_lsp.team.loop import credited, speed_of
from tests.fake_openai import Reply, ScriptedEndpoint, Seen, fenced
from tests.test_llm_team import (
    FAST_FIB,
    WRONG_FIB,
    bank_file,
    is_lesson_prompt,
    model_of,
    optimize,
    project,
)

PAIRS = "def pairs(xs):\n    out = []\n    for a in xs:\n        for b in xs:\n" \
        "            if a < b:\n                out.append((a, b))\n    return out\n"
MEMO_FIB = "@functools.cache\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
SET_COMMON = "def common(xs, ys):\n    ys = set(ys)\n    return sum(1 for x in xs if x in ys)\n"


def add(bank: Bank, text: str, speedup: float, fingerprint: str = "pairs", code: str = PAIRS,
        outcome: str = FASTER, kind: str = "llm") -> Lesson:
    return bank.add(Lesson(text=text, outcome=outcome, speedup=speedup, function=fingerprint,
                           fingerprint=fingerprint, code=code, agent="a", kind=kind))


def test_the_issue_case_keeps_this_functions_winner(tmp_path: Path) -> None:
    """The issue's bank: memoize on fib (950×) and common (40×), this run's round-1 lessons on
    pairs. The old selection returned fib, common, incorrect, not-faster."""
    bank = Bank(tmp_path / "b.db")
    add(bank, "memoize the recursion", 950.0, "fib", MEMO_FIB)
    add(bank, "use a set for membership", 40.0, "common", SET_COMMON)
    add(bank, "WINNER: sort once and slice", 2.5)
    add(bank, "not faster: a list comprehension", 1.0, outcome=NOT_FASTER)
    add(bank, "incorrect: dropped equal pairs", 0.0, outcome="incorrect")
    chosen = [x.text for x in bank.select(4, PAIRS, "pairs")]
    assert "WINNER: sort once and slice" in chosen
    assert "memoize the recursion" not in chosen and "use a set for membership" not in chosen


def test_both_halves_from_this_function_and_others_only_by_relevance(tmp_path: Path) -> None:
    bank = Bank(tmp_path / "b.db")
    naive_fib = "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n"
    add(bank, "OTHER-FAST-UNRELATED", 900.0, "common", SET_COMMON)
    add(bank, "OTHER-FAST-RELEVANT", 950.0, "fib-elsewhere", MEMO_FIB)  # similarity 0.7+
    add(bank, "OWN-2x", 2.0, "fib", naive_fib)
    add(bank, "OWN-1.5x", 1.5, "fib", "x = 1")
    add(bank, "OWN-RULE-9x", 9.0, "fib", naive_fib, kind=RULE)
    add(bank, "OWN-1.3x", 1.3, "fib", "y = 2")
    add(bank, "OWN-INCORRECT", 0.0, "fib", "z", outcome="incorrect")
    chosen = [x.text for x in bank.select(4, naive_fib, "fib")]
    # The speedup half: this function's LLM lessons only (no rule lesson, no other function).
    assert chosen[:2] == ["OWN-2x", "OWN-1.5x"]
    # The relevance half: the relevant other function's lesson may come in, the unrelated not.
    assert "OTHER-FAST-RELEVANT" in chosen[2:] and "OTHER-FAST-UNRELATED" not in chosen
    assert len(chosen) == 4


def test_a_new_function_gets_relevant_lessons_of_others_and_no_text_twice(tmp_path) -> None:
    bank = Bank(tmp_path / "b.db")
    add(bank, "Memoize the recursion.", 950.0, "fib-a", MEMO_FIB)
    add(bank, "memoize   the recursion", 400.0, "fib-b", MEMO_FIB)  # same text, other function
    add(bank, "use a set", 40.0, "common", SET_COMMON)
    chosen = [x.text for x in bank.select(4, MEMO_FIB.replace("@functools.cache\n", ""), "new")]
    assert len(chosen) == 1 and chosen[0].lower().startswith("memoize")  # once, not twice


def test_the_factor_rule_against_a_worked_example(tmp_path: Path) -> None:
    """The reference rule (LessonL `lesson.py`): after a round, a shown lesson's factor becomes
    the mean, over the agents that read it, of 1.1 (that agent's speedup beat the lesson's own
    speedup) or 0.9 (it did not); the old factor is replaced, not averaged in.

    Round: lessons A (speedup 2.0, factor 1.0) and B (speedup 5.0, factor 1.2 from an earlier
    round) shown to three LLM agents, which reach 3.0×, 0 (incorrect) and 6.0×.
      A: 3.0 > 2.0 → 1.1;  0 > 2.0 no → 0.9;  6.0 > 2.0 → 1.1;  (1.1 + 0.9 + 1.1) / 3 = 3.1 / 3
         = 1.0333…
      B: 3.0 > 5.0 no → 0.9;  0 → 0.9;  6.0 > 5.0 → 1.1;  (0.9 + 0.9 + 1.1) / 3 = 2.9 / 3
         = 0.9666… (its old 1.2 is gone)
    Next round A is read by one agent reaching 1.5×: 1.5 > 2.0 no → 0.9 / 1 = 0.9.
    C, another function's lesson shown by relevance, keeps its factor 1.0 (its speedup is not
    comparable). A round without readers (only rule agents proposed) moves nothing.
    """
    bank = Bank(tmp_path / "b.db")
    a = add(bank, "A", 2.0)
    b = add(bank, "B", 5.0)
    c = add(bank, "C", 1.2, "other")
    bank._db.execute("UPDATE lessons SET factor = 1.2 WHERE id = ?", (b.id,))
    b.factor = 1.2
    bank.update_factors([a, b, c], [3.0, 0.0, 6.0], "pairs")
    factors = {x.text: x.factor for x in bank.all()}
    assert factors["A"] == pytest.approx(3.1 / 3) == pytest.approx(1.0333333)
    assert factors["B"] == pytest.approx(2.9 / 3) == pytest.approx(0.9666667)
    assert factors["C"] == 1.0
    bank.update_factors([a], [1.5], "pairs")
    assert {x.text: x.factor for x in bank.all()}["A"] == pytest.approx(0.9)
    bank.update_factors([a, b], [], "pairs")
    assert {x.text: x.factor for x in bank.all()}["A"] == pytest.approx(0.9)


def test_credit_is_against_the_code_the_agent_was_given() -> None:
    # A rule that changes nothing on top of a 10× candidate: 10× against the original, 1× here.
    same = credited(Verdict(FASTER, speedup=10.0, original_s=1.0, candidate_s=0.1), 10.0)
    assert same.verdict == NOT_FASTER and same.speedup == pytest.approx(1.0)
    assert same.original_s == pytest.approx(0.1)  # the given code's time
    better = credited(Verdict(FASTER, speedup=25.0, original_s=1.0, candidate_s=0.04), 10.0)
    assert better.verdict == FASTER and better.speedup == pytest.approx(2.5)
    plain = Verdict(FASTER, speedup=3.0)
    assert credited(plain, 1.0) is plain  # restart from the original: nothing to convert
    assert speed_of(Verdict(ERROR), 10.0) == 0.0 and speed_of(Verdict(FASTER, 25.0), 10.0) == 2.5


def test_duplicates_update_one_row(tmp_path: Path) -> None:
    bank = Bank(tmp_path / "b.db")
    first = add(bank, "Use a set for membership.", 3.0, code="old")
    again = add(bank, "use a SET  for membership", 5.0, code="new")
    add(bank, "use a set for membership", 1.0)  # a worse speedup is not kept
    add(bank, "use a set for membership", 2.0, "other")  # another function: its own row
    rows = {(x.fingerprint, x.text): x for x in bank.all()}
    assert len(rows) == 2 and again.id == first.id
    kept = rows[("pairs", "Use a set for membership.")]
    assert (kept.count, kept.speedup, kept.code) == (3, 5.0, "new")


def test_caps_forget_the_weakest_then_the_oldest(tmp_path: Path) -> None:
    bank = Bank(tmp_path / "b.db", per_function=3, total=5)
    add(bank, "old-weak", 1.0)
    add(bank, "strong", 9.0)
    add(bank, "new-weak", 1.0)
    add(bank, "middle", 2.0)  # the function holds 4 > 3: the older of the two 1.0× goes
    assert {x.text for x in bank.all()} == {"strong", "new-weak", "middle"}
    for i in range(3):
        add(bank, f"other-{i}", 3.0 + i, "other")  # 6 in all > 5: the weakest overall goes
    assert {x.text for x in bank.all()} == {"strong", "middle", "other-0", "other-1", "other-2"}


def test_an_old_bank_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE lessons (id TEXT PRIMARY KEY, text TEXT NOT NULL, outcome TEXT "
                   "NOT NULL, speedup REAL NOT NULL, function TEXT NOT NULL, fingerprint TEXT "
                   "NOT NULL, code TEXT NOT NULL, agent TEXT NOT NULL, model TEXT NOT NULL, "
                   "round INTEGER NOT NULL, factor REAL NOT NULL DEFAULT 1.0, uses INTEGER NOT "
                   "NULL DEFAULT 0, created REAL NOT NULL)")
        db.execute("INSERT INTO lessons VALUES ('r', 'Memoize it.', 'faster', 10.0, 'f', 'fp', "
                   "'c', 'memoize', 'rewrite', 1, 1.0, 0, 1.0)")
        db.execute("INSERT INTO lessons VALUES ('l', 'Iterate.', 'faster', 3.0, 'f', 'fp', "
                   "'c', 'solo', 'm', 1, 1.0, 0, 2.0)")
    bank = Bank(path)
    kinds = {x.id: x.kind for x in bank.all()}
    assert kinds == {"r": RULE, "l": "llm"}
    add(bank, "memoize it", 12.0, "fp")  # found by its normalized text
    assert {x.id: (x.count, x.speedup) for x in bank.all()}["r"] == (2, 12.0)


WINNER = "WINNER-LESSON: iterate with two running values instead of recursing."


def prefill_other_functions(folder: Path) -> None:
    """High-speedup lessons about other functions: one relevant (a memoized fib elsewhere, with
    the winner's very text), the rest not."""
    bank = Bank(bank_file(folder))
    memo = "import functools\n@functools.cache\ndef fib(n):\n    if n < 2:\n        return n\n" \
           "    return fib(n - 1) + fib(n - 2)\n"
    for text, speedup, code in [
        ("OTHER-MEMO: cache the recursion.", 950.0, memo),
        (WINNER.upper(), 800.0, memo),  # the same lesson, banked for another function
        ("OTHER-SET: use a set for membership.", 40.0, "def common(xs, ys):\n    ys = set(ys)"),
        ("OTHER-SORT: sort once.", 300.0, "def rank(xs):\n    return sorted(xs)"),
    ]:
        bank.add(Lesson(text=text, outcome="faster", speedup=speedup, function="other",
                        fingerprint=f"other-{speedup}", code=code, agent="a"))
    bank.close()


def lesson_lines(prompt: str) -> list[str]:
    return [line.split("] ", 1)[1].casefold() for line in prompt.splitlines()
            if line.startswith("- [") and "] " in line]


@pytest.mark.slow  # 17 s or more: CI's second step
def test_round_two_holds_this_runs_winner_despite_other_functions_lessons(tmp_path) -> None:
    def script(seen: Seen) -> Reply:
        quick = model_of(seen) == "quick-model"
        if is_lesson_prompt(seen):
            return Reply(WINNER if quick and "a, b = b, a + b" in seen.prompt else
                         "BROKE-LESSON: doubling n is not Fibonacci.")
        return Reply(fenced(FAST_FIB if quick else WRONG_FIB))

    with ScriptedEndpoint(script) as server:
        folder = project(tmp_path, server.url, ["quick", "wrong"])
        prefill_other_functions(folder)
        result, _ = optimize(folder, "--rounds", "2")
        proposals = [s for s in server.chats() if not is_lesson_prompt(s)]
    assert result["improved"]
    by_model = {m: [s.prompt for s in proposals if model_of(s) == m]
                for m in ("quick-model", "wrong-model")}
    assert all(len(prompts) == 2 for prompts in by_model.values())
    for first, second in by_model.values():
        # Round 1: the relevant other function's lessons carry over, the unrelated do not.
        assert "OTHER-MEMO" in first and "OTHER-SET" not in first and "OTHER-SORT" not in first
        # Round 2: this run's round-1 winner, once.
        assert lesson_lines(second).count(WINNER.casefold()) == 1
        assert "BROKE-LESSON" in second
    for prompt in (p for prompts in by_model.values() for p in prompts):
        lines = lesson_lines(prompt)
        assert lines and len(lines) == len(set(lines)) <= 4  # no lesson twice


@pytest.mark.slow  # 17 s or more: CI's second step
def test_no_lessons_in_round_one_under_the_paper_preset(tmp_path: Path) -> None:
    def script(seen: Seen) -> Reply:
        return Reply("a lesson") if is_lesson_prompt(seen) else Reply(fenced(FAST_FIB))

    with ScriptedEndpoint(script) as server:
        folder = project(tmp_path, server.url, ["solo"], extra='preset = "paper"')
        prefill_other_functions(folder)
        optimize(folder, "--rounds", "1")
        proposals = [s for s in server.chats() if not is_lesson_prompt(s)]
    assert len(proposals) == 1 and lesson_lines(proposals[0].prompt) == []
    assert "OTHER-MEMO" not in proposals[0].prompt


@pytest.mark.slow
def test_credit_under_restart_from_best_and_rule_lessons_marked(tmp_path: Path) -> None:
    """Round 2 is given round 1's best; the same code again (a loop variable renamed) is about
    as fast as what it was given, so its lesson must not bank round 1's speedup again."""
    def script(seen: Seen) -> Reply:
        if is_lesson_prompt(seen):
            return Reply("ROUND-2-LESSON" if "for i in" in seen.prompt else "ROUND-1-LESSON")
        first = "ROUND-1-LESSON" not in seen.prompt
        return Reply(fenced(FAST_FIB if first else FAST_FIB.replace("for _ in", "for i in")))

    with ScriptedEndpoint(script) as server:
        folder = project(tmp_path, server.url, ["solo"],
                         extra='restart_from = "best"\n\n[[tool.lesson-lsp.team]]\nname = "all"\n'
                               'kind = "rewrite"\n')
        result, _ = optimize(folder, "--rounds", "2")
    assert result["improved"] and result["speedup"] > 10
    rows = {text: (speedup, outcome, kind) for text, speedup, outcome, kind in sqlite3.connect(
        bank_file(folder)).execute("SELECT text, speedup, outcome, kind FROM lessons")}
    assert rows["ROUND-1-LESSON"][0] > 10 and rows["ROUND-1-LESSON"][2] == "llm"
    assert rows["ROUND-2-LESSON"][0] < 2  # against the code it was given, not the original
    rules = [kind for text, (_, _, kind) in rows.items() if not text.startswith("ROUND-")]
    assert rules and set(rules) == {RULE}  # the rewrite agents' template lessons
