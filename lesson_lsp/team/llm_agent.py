"""An agent behind any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp's server).

Only the plain chat-completions API is used, so every such server works. The API key is read
from the environment variable the config names, handed to the client and nowhere else: not
stored, not logged, not passed to the sandbox (whose environment is built from scratch).
Timeouts, 429 and 5xx are retried a bounded number of times with backoff; anything else, or
running out of retries, raises `AgentUnavailable` with one sentence for the user. Every prompt
is trimmed to the model's window (prompts/fit.py); an endpoint that still finds it too long gets
one more try without lessons, so that a small model stays in the team.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import httpx2
import openai
from openai import AsyncOpenAI

from lesson_lsp.harness.timing import format_seconds
from lesson_lsp.harness.verify import FASTER, INCORRECT, NOT_FASTER, UNSAFE, Verdict
from lesson_lsp.source.candidate import Candidate
from lesson_lsp.team.agents import AgentUnavailable, Task
from lesson_lsp.team.bank import Lesson
from lesson_lsp.team.parse import ParseError, extract
from lesson_lsp.team.prompts import load
from lesson_lsp.team.prompts.fit import (
    DEFAULT_CONTEXT_TOKENS,
    DoesNotFit,
    answer_tokens,
    estimate_tokens,
    fit,
    shorten,
)
from lesson_lsp.workspace.config import AgentConfig

log = logging.getLogger(__name__)

LESSON_MAX_TOKENS = 250
LESSON_MAX_CHARS = 800
# Worth another try: rate limits, server errors, timeouts, dropped connections, and answers
# that are not the JSON they should be (a proxy's error page, a truncated body).
_TRANSIENT = (openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError,
              openai.APIConnectionError, openai.APIResponseValidationError, ValueError)


# How servers word "the prompt is longer than the window" (OpenAI, vLLM, llama.cpp, TGI).
_TOO_LONG = ("context length", "context_length", "maximum context", "too many tokens",
             "context size", "context window")
# Where /models entries carry the window: vLLM, llama.cpp's server (meta), LM Studio and others.
_WINDOW_KEYS = ("max_model_len", "n_ctx", "n_ctx_train", "context_length", "context_window")


class ContextTooLong(AgentUnavailable):
    """The endpoint refused the prompt as longer than the model's window."""


def _too_long(exc: openai.APIStatusError) -> bool:
    text = f"{exc.message} {exc.body}".lower()
    return exc.status_code in (400, 413) and any(words in text for words in _TOO_LONG)


def reported_window(models: list[dict[str, Any]], model: str) -> int:
    """The window a /models listing reports for `model` (or for its only entry), 0 if none."""
    entries = [m for m in models if m.get("id") == model] or (models if len(models) == 1 else [])
    for entry in entries:
        for where in (entry, entry.get("meta") or {}):
            for key in _WINDOW_KEYS:
                value = where.get(key) if isinstance(where, dict) else None
                if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                    return value
    return 0


def _normal(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip(".! ")


def lesson_lines(lessons: list[Lesson]) -> list[str]:
    """The lessons as prompt lines, in order, each text once (the bank may hold a text twice)."""
    seen: set[str] = set()
    lines = []
    for lesson in lessons:
        if _normal(lesson.text) not in seen:
            seen.add(_normal(lesson.text))
            lines.append(lesson_line(lesson))
    return lines


def _describe(exc: Exception) -> str:
    if isinstance(exc, openai.AuthenticationError):
        return "the endpoint refused the API key (401)"
    if isinstance(exc, openai.APIStatusError):
        return f"the endpoint answered {exc.status_code}"
    if isinstance(exc, openai.APITimeoutError):
        return "the endpoint did not answer in time"
    if isinstance(exc, openai.APIConnectionError):
        return "the endpoint cannot be reached"
    return f"the endpoint's answer was unusable ({type(exc).__name__})"


def lesson_line(lesson: Lesson) -> str:
    mark = f"{lesson.outcome}, {lesson.speedup:.1f}×" if lesson.outcome == FASTER else \
        lesson.outcome
    return f"- [{mark}] {lesson.text}"


class LLMAgent:
    """A team member that asks a model for a faster version, then for the lesson."""

    def __init__(self, config: AgentConfig, *, http_client: httpx2.AsyncClient | None = None,
                 timeout_s: float = 120.0, retries: int = 3, backoff_s: float = 0.5) -> None:
        self.name = config.name
        self.model = config.model
        self.temperature = config.temperature
        self.retries = retries
        self.backoff_s = backoff_s
        self.tokens_used = 0
        self.context_tokens = config.context_tokens
        self._window = 0  # resolved on first use: the setting and what /models reports
        self.timeout_s = timeout_s
        key = os.environ.get(config.api_key_env, "") if config.api_key_env else ""
        if config.api_key_env and not key:
            raise AgentUnavailable(
                f"agent `{self.name}`: the environment variable {config.api_key_env} is not set; "
                "set it to the endpoint's API key, or drop `api_key_env` if it needs none")
        self._client = AsyncOpenAI(
            api_key=key or "not-needed", base_url=config.base_url or None, max_retries=0,
            timeout=timeout_s, http_client=http_client)
        self._answers: dict[str, str] = {}

    async def _chat(self, messages: list[dict[str, str]], **params: Any) -> str:
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                response = await self._client.chat.completions.create(
                    model=self.model, messages=messages,  # type: ignore[arg-type]
                    **params)
            except _TRANSIENT as exc:
                last = exc
                log.info("agent %s: attempt %d failed: %s", self.name, attempt + 1,
                         _describe(exc))
                continue
            except openai.APIStatusError as exc:
                if _too_long(exc):
                    raise ContextTooLong(
                        f"agent `{self.name}`: the endpoint says the prompt is longer than the "
                        f"model's window; set this agent's `context_tokens` to the model's "
                        f"window (now {self._window or DEFAULT_CONTEXT_TOKENS})") from exc
                raise AgentUnavailable(f"agent `{self.name}`: {_describe(exc)}") from exc
            except openai.APIError as exc:
                raise AgentUnavailable(f"agent `{self.name}`: {_describe(exc)}") from exc
            if response.usage is not None:
                self.tokens_used += response.usage.total_tokens or 0
            if not response.choices:
                last = ValueError("no choices")
                continue
            return response.choices[0].message.content or ""
        assert last is not None
        raise AgentUnavailable(f"agent `{self.name}`: {_describe(last)} "
                               f"(gave up after {self.retries + 1} attempts)")

    async def window(self) -> int:
        """The model's window: the smaller of `context_tokens` and what the endpoint's /models
        reports (asked once; Ollama reports nothing), else `DEFAULT_CONTEXT_TOKENS`."""
        if not self._window:
            reported = 0
            try:
                page = await self._client.models.list(timeout=min(self.timeout_s, 10.0))
                reported = reported_window([m.model_dump() for m in page.data], self.model)
            except Exception as exc:  # any failure only means "not reported"
                log.info("agent %s: /models: %r", self.name, exc)
            sizes = [n for n in (self.context_tokens, reported) if n]
            self._window = min(sizes) if sizes else DEFAULT_CONTEXT_TOKENS
        return self._window

    def _prompt(self, task: Task, budget: int, lessons: list[str], context: str) -> str:
        source = "\n".join([*task.imports, task.source]) if task.imports else task.source
        method = "\n" + load("method").strip() if task.is_method else ""

        def render(kept: list[str], context: str, profile: str) -> str:
            return load("optimize").format(
                qualname=task.qualname, name=task.name, source=source,
                context=load("context").format(context=context) if context else "",
                profile=load("profile").format(profile=profile) if profile else "",
                lessons=load("lessons").format(lessons="\n".join(kept)) if kept else "",
            ) + method

        try:
            return fit(render, lessons, context, task.profile, budget)
        except DoesNotFit as exc:
            raise AgentUnavailable(
                f"agent `{self.name}`: the instruction and the function need about "
                f"{exc.needed} tokens, more than its context_tokens = {self._window} leaves "
                f"after {self._window - budget} for the answer; give it a model with a larger "
                "window (and set `context_tokens`) or optimize a smaller function") from exc

    async def propose(self, task: Task) -> Candidate | None:
        window = await self.window()
        answer_room = answer_tokens(window, task.source)
        budget = window - answer_room
        prompt = self._prompt(task, budget, lesson_lines(task.lessons), task.context)
        try:
            answer = await self._chat([{"role": "user", "content": prompt}],
                                      temperature=self.temperature, max_tokens=answer_room)
        except ContextTooLong:
            # Our estimate was short for this tokenizer: once more, lean (no lessons, half the
            # context, within 3/4 of what was refused); a second refusal drops the agent.
            log.info("agent %s: prompt too long for the endpoint; retrying without lessons",
                     self.name)
            lines = task.context.splitlines()
            half = "\n".join(lines[: len(lines) // 2])
            try:
                prompt = self._prompt(task, min(budget, estimate_tokens(prompt) * 3 // 4), [],
                                      half)
            except AgentUnavailable:  # that leaves too little: the instruction and function
                prompt = self._prompt(task, budget, [], "")
            answer = await self._chat([{"role": "user", "content": prompt}],
                                      temperature=self.temperature, max_tokens=answer_room)
        try:
            source, imports = extract(answer, task.name)
        except (ParseError, SyntaxError, ValueError, RecursionError) as exc:
            # Not usable: an "error" candidate, so that the agent still learns a lesson.
            return Candidate("", agent=self.name, note=str(exc), raw=answer[:4000])
        return Candidate(source, imports, agent=self.name)

    async def lesson(self, task: Task, candidate: Candidate, verdict: Verdict) -> str:
        template = {FASTER: "lesson_faster", NOT_FASTER: "lesson_not_faster",
                    INCORRECT: "lesson_incorrect", UNSAFE: "lesson_unsafe"}.get(
                        verdict.verdict, "lesson_error")
        code = "\n".join([*candidate.imports, candidate.source]) if candidate.source else \
            candidate.raw
        # The code the agent rewrote: under restart_from = "best", the best so far, not the
        # original; the loop credits the verdict against it (loop.credited), as the prompt says.
        given = "\n".join([*task.imports, task.source]) if task.imports else task.source
        against = "" if given.strip() == task.original.strip() else \
            " than the code you were given (which already held earlier rounds' gains)"
        details = {"detail": verdict.detail, "failing_input": verdict.failing_input,
                   "expected": verdict.expected, "actual": verdict.actual}

        def render(candidate_code: str) -> str:
            return load(template).format(
                source=given, candidate=candidate_code, speedup=verdict.speedup, against=against,
                original=format_seconds(verdict.original_s),
                candidate_time=format_seconds(verdict.candidate_s), verdict=verdict.verdict,
                **details)

        budget = await self.window() - LESSON_MAX_TOKENS
        if estimate_tokens(render(code)) > budget:  # long failure details first, then the code
            details = {k: v if len(v) <= 300 else v[:300] + " …" for k, v in details.items()}
            code = shorten(render, code, budget)
            if not code or estimate_tokens(render(code)) > budget:
                log.info("agent %s: the lesson prompt does not fit the window", self.name)
                return ""
        try:
            text = await self._chat([{"role": "user", "content": render(code)}],
                                    temperature=0.2, frequency_penalty=0.5,
                                    max_tokens=LESSON_MAX_TOKENS)
        except AgentUnavailable:
            return ""
        return " ".join(text.split())[:LESSON_MAX_CHARS]

    async def close(self) -> None:
        await self._client.close()
