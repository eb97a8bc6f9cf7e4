"""Relevance from an embedding model behind the same kind of OpenAI-compatible endpoint, when
`[tool.lesson-lsp.embeddings]` names one. Without it the bank's lexical similarity is used.
Failures never stop a run: relevance falls back to lexical, with one notice."""

from __future__ import annotations

import os

import httpx2
import openai
from openai import AsyncOpenAI

from lesson_lsp.team.bank import Bank
from lesson_lsp.workspace.config import EmbeddingsConfig


class Embedder:
    def __init__(self, config: EmbeddingsConfig, http_client: httpx2.AsyncClient | None = None,
                 timeout_s: float = 60.0) -> None:
        key = os.environ.get(config.api_key_env, "") if config.api_key_env else ""
        self.model = config.model
        self._client = AsyncOpenAI(api_key=key or "not-needed", base_url=config.base_url or None,
                                   max_retries=2, timeout=timeout_s, http_client=http_client)

    async def embed(self, texts: list[str]) -> list[list[float]]:
        response = await self._client.embeddings.create(model=self.model, input=texts)
        return [list(item.embedding) for item in sorted(response.data, key=lambda d: d.index)]

    async def prepare(self, bank: Bank, code: str) -> list[float]:
        """The embedding of `code`, after embedding every banked lesson that has none yet."""
        missing = bank.without_embedding()
        vectors = await self.embed([code] + [x.code for x in missing])
        for lesson, vector in zip(missing, vectors[1:]):
            bank.set_embedding(lesson.id, vector)
        return vectors[0]

    async def close(self) -> None:
        await self._client.close()


ERRORS = (openai.APIError, ValueError, httpx2.HTTPError)
