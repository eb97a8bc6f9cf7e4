"""What a rule is given and what it gives back: the function's context, and its rewrite. Its own
module, so that `repeats` (which every rule's `apply` passes through) and `base` share them
without importing each other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RewriteContext:
    name: str  # the function's own name
    is_method: bool = False


@dataclass(frozen=True)
class Rewrite:
    source: str
    imports: tuple[str, ...] = ()
    summary: str = ""  # what the rule saw and did, in words for the lesson


Apply = Callable[[str, RewriteContext], Rewrite | None]
