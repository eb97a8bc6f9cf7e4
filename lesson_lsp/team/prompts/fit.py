"""Prompts that fit the model's window.

A 7B code model may have a 4k-token window: a longer prompt is refused (a 400) or, as Ollama
does, silently loses its start — the instruction and the function. So every prompt is built to
fit `window − answer room`, judged by `estimate_tokens`, cutting the least needed parts first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

DEFAULT_CONTEXT_TOKENS = 4096
BYTES_PER_TOKEN = 3.0
MESSAGE_OVERHEAD = 8  # the chat template's wrapping of one message
CUT = "… (cut to fit the model's window)"


def estimate_tokens(text: str) -> int:
    """Tokens `text` takes, without the model's tokenizer: its UTF-8 bytes / 3, rounded up,
    plus `MESSAGE_OVERHEAD`. Code tokenizers average 3.5–4 characters a token on Python, so this
    over-counts a little (trimming a little more than needed), and counting bytes makes
    non-ASCII text (×, →, other scripts) dearer, as it is for the model."""
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN) + MESSAGE_OVERHEAD


def answer_tokens(window: int, code: str) -> int:
    """Room kept for the answer (the `max_tokens` requested): the rewrite, its helpers and
    some prose — twice the code plus 512, at least 768 — but never more than half the window."""
    return min(window // 2, max(768, 2 * estimate_tokens(code) + 512))


class DoesNotFit(Exception):
    """Even the parts never cut are over the budget; `needed` is their estimate."""

    def __init__(self, needed: int) -> None:
        super().__init__(needed)
        self.needed = needed


def shorten(render: Callable[[str], str], text: str, budget: int) -> str:
    """`text` cut, from its end and by whole lines, until `render(text)` fits `budget`
    ("" when no line fits: the part is left out)."""
    if not text or estimate_tokens(render(text)) <= budget:
        return text
    lines = text.splitlines()
    low, high = 0, len(lines) - 1  # the most lines that fit lies in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        if estimate_tokens(render("\n".join([*lines[:middle], CUT]))) <= budget:
            low = middle
        else:
            high = middle - 1
    return "\n".join([*lines[:low], CUT]) if low else ""


def fit(render: Callable[[list[str], str, str], str], lessons: Sequence[str], context: str,
        profile: str, budget: int) -> str:
    """`render(lessons, context, profile)` made to fit `budget` tokens: lessons dropped from the
    last (the weakest: selection puts the best first), then the module context cut, then the
    profile. The rest — the instruction and the function — is never cut: `DoesNotFit`."""
    kept = list(lessons)
    while kept and estimate_tokens(render(kept, context, profile)) > budget:
        kept.pop()
    context = shorten(lambda c: render(kept, c, profile), context, budget)
    profile = shorten(lambda p: render(kept, context, p), profile, budget)
    prompt = render(kept, context, profile)
    if estimate_tokens(prompt) > budget:
        raise DoesNotFit(estimate_tokens(render([], "", "")))
    return prompt
