"""Prompts that fit the model's window (issue 14, item 5): the token estimate, the trim order,
the window from the setting or the endpoint's /models, and a context-length 400 survived; the
CLI against a scripted endpoint over real HTTP, as in test_llm_team.py."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from lesson_lsp.team.agents import AgentUnavailable, Task
from lesson_lsp.team.bank import Bank, Lesson
from lesson_lsp.team.llm_agent import LLMAgent, lesson_lines, reported_window
from lesson_lsp.team.prompts.fit import (
    CUT,
    DoesNotFit,
    answer_tokens,
    estimate_tokens,
    fit,
)
from lesson_lsp.workspace.config import AgentConfig, Config, ConfigError, merge
from tests.fake_openai import Reply, ScriptedEndpoint, Seen, fenced
from tests.test_llm_team import (
    FAST_FIB,
    bank_file,
    is_lesson_prompt,
    optimize,
    project,
)

INSTRUCTION = "You are an expert Python performance engineer."
ANSWER_RULE = "Answer with one ```python code block that defines `fib`"
FIB = '''def fib(n):
    """The n-th Fibonacci number, by naive recursion."""
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)'''

FASTER_STILL = """
def fib(n):
    if n < 2:
        return n
    a, b = 0, 1
    while n:
        a, b, n = b, a + b, n - 1
    return a
"""


def test_the_estimate_counts_utf8_bytes_by_three_plus_the_message() -> None:
    assert estimate_tokens("") == 8
    assert estimate_tokens("abc") == 9 and estimate_tokens("abcd") == 10  # rounded up
    assert estimate_tokens("×" * 3) == 8 + 2  # 6 bytes: dearer than ASCII
    assert answer_tokens(2048, "x") == 768 and answer_tokens(1000, "x") == 500


def _render(lessons: list[str], context: str, profile: str) -> str:
    return "INSTRUCTION\nFUNCTION\n" + "".join(f"L:{x}\n" for x in lessons) + \
        (f"C:{context}\n" if context else "") + (f"P:{profile}\n" if profile else "")


def test_trimmed_in_order_lessons_from_the_last_then_context_then_profile() -> None:
    lessons = ["best " * 20, "second " * 20, "weakest " * 20]
    context = "\n".join(f"import m{i}" for i in range(40))
    profile = "\n".join(f"line {i}: 10 hits" for i in range(40))
    full = estimate_tokens(_render(lessons, context, profile))
    assert fit(_render, lessons, context, profile, full) == _render(lessons, context, profile)
    one_less = fit(_render, lessons, context, profile, full - 1)
    assert "weakest" not in one_less and "second" in one_less and context in one_less
    no_lessons = estimate_tokens(_render([], context, profile))
    cut = fit(_render, lessons, context, profile, no_lessons - 5)
    assert "L:" not in cut and CUT in cut and "import m0" in cut and "import m39" not in cut
    assert profile in cut  # the profile is only cut once the context is gone
    bare = estimate_tokens(_render([], "", ""))
    last = fit(_render, lessons, context, profile, bare + 30)
    assert "C:" not in last and "P:line 0" in last and last.startswith("INSTRUCTION\nFUNCTION")
    assert fit(_render, lessons, context, profile, bare) == _render([], "", "")
    with pytest.raises(DoesNotFit) as raised:
        fit(_render, lessons, context, profile, bare - 1)
    assert raised.value.needed == bare


def test_a_lesson_text_is_shown_once() -> None:
    texts = ["Memoize the recursion.", "memoize   the recursion", "Iterate instead."]
    lines = lesson_lines([Lesson(text=t, outcome="incorrect", speedup=0.0, function="f",
                                 fingerprint="x", code="", agent="a") for t in texts])
    assert lines == ["- [incorrect] Memoize the recursion.", "- [incorrect] Iterate instead."]


@pytest.mark.parametrize(("models", "window"), [
    ([{"id": "m", "object": "model", "max_model_len": 32768}], 32768),  # vLLM
    ([{"id": "/models/q.gguf", "meta": {"n_ctx_train": 16384}}], 16384),  # llama.cpp server
    ([{"id": "x", "meta": {"n_ctx": 4096, "n_ctx_train": 32768}}], 4096),  # the served window
    ([{"id": "m", "object": "model", "owned_by": "library"}], 0),  # Ollama: nothing
    ([{"id": "other", "max_model_len": 1}, {"id": "more", "max_model_len": 2}], 0),
    ([], 0),
])
def test_the_window_a_models_listing_reports(models: list[dict], window: int) -> None:
    assert reported_window(models, "m") == window


def test_context_tokens_is_validated_and_accepts_camel_case() -> None:
    team = [{"name": "a", "kind": "openai", "model": "m", "contextTokens": 2048}]
    config = merge(Config(), {"team": team}, "test")
    assert config.team[0] == AgentConfig("a", "openai", "m", context_tokens=2048)
    assert merge(Config(), {"team": [{"name": "b"}]}, "t").team[0].context_tokens == 0
    for bad in (100, "4k", 4096.0, True):
        with pytest.raises(ConfigError, match=r"team\[0\]\.context_tokens"):
            merge(Config(), {"team": [{**team[0], "contextTokens": bad}]}, "test")


def test_a_function_too_long_for_the_window_is_one_sentence_naming_context_tokens() -> None:
    task = Task(name="f", qualname="f", source="def f():\n" + "    x = 1\n" * 400, original="")

    async def propose() -> None:
        with ScriptedEndpoint(lambda seen: Reply(fenced(FAST_FIB))) as server:
            agent = LLMAgent(AgentConfig("tiny", "openai", "m", base_url=server.url,
                                         context_tokens=512))
            try:
                with pytest.raises(AgentUnavailable, match=r"context_tokens = 512") as raised:
                    await agent.propose(task)
            finally:
                await agent.close()
            assert server.chats() == []  # nothing sent that the model would have cut
        assert "agent `tiny`: the instruction and the function need about" in str(raised.value)

    asyncio.run(propose())


def _fits(seen: Seen, window: int) -> bool:
    return estimate_tokens(seen.prompt) + int(seen.body["max_tokens"]) <= window


@pytest.mark.slow  # 17 s or more: CI's second step
def test_with_2048_tokens_every_prompt_fits_and_keeps_instruction_and_function(
        tmp_path: Path) -> None:
    def script(seen: Seen) -> Reply:
        if is_lesson_prompt(seen):
            return Reply("NEW-LESSON: " + "iterate instead of recursing twice; " * 30)
        return Reply(fenced(FAST_FIB))

    with ScriptedEndpoint(script) as server:  # restarting from the original: FIB every round
        folder = project(tmp_path, server.url, ["small"], extra='restart_from = "original"')
        (folder / "pyproject.toml").write_text((folder / "pyproject.toml").read_text() +
                                               "context_tokens = 2048\n")
        # 80 imports: a module context of ≈ 3,800 characters, for the trim to cut.
        imports = "".join(f"import os.path as a_rather_long_alias_{i:02d}\n" for i in range(80))
        (folder / "slow.py").write_text(imports + (folder / "slow.py").read_text())
        bank = Bank(bank_file(folder))
        for i in range(4):  # long lessons, one of them twice (other case and spacing)
            text = f"OLD-{i}: " + "cache what repeats and keep the loop tight. " * 17
            bank.add(Lesson(text=text, outcome="faster", speedup=3.0 + i, function="fib",
                            fingerprint="x", code=FIB, agent="a"))
        bank.add(Lesson(text="old-3:  " + text[7:].upper(), outcome="faster", speedup=9.0,
                        function="fib", fingerprint="x", code=FIB, agent="a"))
        bank.close()
        result, _ = optimize(folder)
        chats = server.chats()
    assert result["notices"] == [] and result["improved"]
    assert len(chats) >= 3  # two proposals (round 2 repeats round 1), a lesson
    for seen in chats:
        assert _fits(seen, 2048), (estimate_tokens(seen.prompt), seen.body["max_tokens"])
        assert FIB in seen.prompt  # the whole function, in every prompt (lesson prompts too)
    proposals = [s for s in chats if not is_lesson_prompt(s)]
    for seen in proposals:
        assert seen.prompt.startswith(INSTRUCTION) and ANSWER_RULE in seen.prompt
        assert seen.body["max_tokens"] == answer_tokens(2048, FIB)
        for i in range(4):
            assert seen.prompt.lower().count(f"old-{i}:") <= 1  # no lesson twice
    first = proposals[0].prompt
    assert "as a_rather_long_alias_00" in first and CUT in first  # the context, cut
    assert "alias_79" not in first and "Lessons from earlier" not in first


@pytest.mark.slow
def test_a_context_length_400_retries_once_without_lessons(tmp_path: Path) -> None:
    too_long = json.dumps({"error": {
        "message": "This model's maximum context length is 2048 tokens. However, you "
                   "requested 2300 tokens. Please reduce the length of the messages.",
        "type": "BadRequestError", "code": 400}}).encode()

    def script(seen: Seen) -> Reply:
        if is_lesson_prompt(seen):
            return Reply("LESSON-R1: iterate instead of recursing.")
        if "LESSON-R1" in seen.prompt:
            return Reply(status=400, raw=too_long)
        first = not any("LESSON-R1" in s.prompt for s in server.chats())
        return Reply(fenced(FAST_FIB if first else FASTER_STILL))

    with ScriptedEndpoint(script) as server:
        result, _ = optimize(project(tmp_path, server.url, ["tight", "roomy"]))
        proposals = [s for s in server.chats() if not is_lesson_prompt(s)]
        models = [s for s in server.seen if s.path.endswith("/models")]
    assert result["notices"] == []  # nobody was dropped
    with_lessons = [s for s in proposals if "LESSON-R1" in s.prompt]
    retries = [s for s in proposals[2:] if "LESSON-R1" not in s.prompt]
    assert len(with_lessons) == 2 and len(retries) == 2  # round 2: each agent once more
    # Both agents wrote the same lesson in round 1; each prompt shows it once.
    assert all(s.prompt.count("LESSON-R1") == 1 for s in with_lessons)
    assert all("Lessons from earlier attempts" not in s.prompt for s in retries)
    assert max(map(estimate_tokens, (s.prompt for s in retries))) <= \
        min(map(estimate_tokens, (s.prompt for s in with_lessons))) * 3 // 4
    assert {c["agent"] for c in result["candidates"] if c["round"] == 2} == {"tight", "roomy"}
    assert len(models) == 2  # /models asked once per agent (404 here: the default window)
    assert all(s.body["max_tokens"] == answer_tokens(4096, FIB) for s in proposals)


@pytest.mark.slow  # 17 s or more: CI's second step
def test_the_window_the_endpoint_reports_is_used(tmp_path: Path) -> None:
    def script(seen: Seen) -> Reply:
        return Reply("a lesson") if is_lesson_prompt(seen) else Reply(fenced(FAST_FIB))

    with ScriptedEndpoint(script, models=[
            {"id": "solo-model", "object": "model", "max_model_len": 1400}]) as server:
        result, _ = optimize(project(tmp_path, server.url, ["solo"]), "--rounds", "1")
        chats = server.chats()
        models = [s for s in server.seen if s.path.endswith("/models")]
    assert result["improved"] and len(models) == 1
    assert chats[0].body["max_tokens"] == answer_tokens(1400, FIB) == 700  # half of it
    assert all(_fits(s, 1400) for s in chats)



@pytest.mark.slow
def test_the_lesson_prompt_shows_the_code_the_agent_was_given(tmp_path: Path) -> None:
    def script(seen: Seen) -> Reply:
        if is_lesson_prompt(seen):
            return Reply("a lesson")
        return Reply(fenced(FASTER_STILL if "a, b = b, a + b" in seen.prompt else FAST_FIB))

    with ScriptedEndpoint(script) as server:  # restart_from = "best", the default
        optimize(project(tmp_path, server.url, ["solo"]))
        lessons = [s.prompt for s in server.chats() if is_lesson_prompt(s)]
    assert len(lessons) == 2
    assert FIB in lessons[0] and "than the original" not in lessons[0]
    given = lessons[1].split("```")[1]  # the first block: what the agent rewrote
    assert "a, b = b, a + b" in given and "fib(n - 1)" not in given
    assert "than the code you were given" in lessons[1]
