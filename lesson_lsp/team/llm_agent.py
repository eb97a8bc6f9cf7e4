"""An agent behind any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp's server).

Only the plain chat-completions API is used, so every such server works. The API key is read
from the environment variable the config names, handed to the client and nowhere else: not
stored, not logged, not passed to the sandbox (whose environment is built from scratch).
Timeouts, 429 and 5xx are retried a bounded number of times with backoff; anything else, or
running out of retries, raises `AgentUnavailable` with one sentence for the user.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import httpx2
import openai
from openai import AsyncOpenAI

from lesson_lsp.candidate import Candidate
from lesson_lsp.config import AgentConfig
from lesson_lsp.harness.timing import format_seconds
from lesson_lsp.harness.verify import FASTER, INCORRECT, NOT_FASTER, UNSAFE, Verdict
from lesson_lsp.team.agents import AgentUnavailable, Task
from lesson_lsp.team.bank import Lesson
from lesson_lsp.team.parse import ParseError, extract
from lesson_lsp.team.prompts import load

log = logging.getLogger(__name__)

LESSON_MAX_TOKENS = 250
LESSON_MAX_CHARS = 800
# Worth another try: rate limits, server errors, timeouts, dropped connections, and answers
# that are not the JSON they should be (a proxy's error page, a truncated body).
_TRANSIENT = (openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError,
              openai.APIConnectionError, openai.APIResponseValidationError, ValueError)


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
            except (openai.APIStatusError, openai.APIError) as exc:
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

    async def propose(self, task: Task) -> Candidate | None:
        lessons = "\n".join(lesson_line(x) for x in task.lessons)
        prompt = load("optimize").format(
            qualname=task.qualname, name=task.name,
            source="\n".join([*task.imports, task.source]) if task.imports else task.source,
            context=load("context").format(context=task.context) if task.context else "",
            profile=load("profile").format(profile=task.profile) if task.profile else "",
            lessons=load("lessons").format(lessons=lessons) if lessons else "",
        )
        if task.is_method:
            prompt += "\n" + load("method").strip()
        answer = await self._chat([{"role": "user", "content": prompt}],
                                  temperature=self.temperature)
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
        prompt = load(template).format(
            source=task.original, candidate=code, speedup=verdict.speedup,
            original=format_seconds(verdict.original_s),
            candidate_time=format_seconds(verdict.candidate_s), detail=verdict.detail,
            failing_input=verdict.failing_input, expected=verdict.expected,
            actual=verdict.actual, verdict=verdict.verdict)
        try:
            text = await self._chat([{"role": "user", "content": prompt}], temperature=0.2,
                                    frequency_penalty=0.5, max_tokens=LESSON_MAX_TOKENS)
        except AgentUnavailable:
            return ""
        return " ".join(text.split())[:LESSON_MAX_CHARS]

    async def close(self) -> None:
        await self._client.close()
