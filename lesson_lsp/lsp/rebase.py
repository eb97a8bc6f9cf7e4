"""Carry a verified edit across the team's own earlier edits to the same document.

Two functions of one file optimized at once finish one after the other: once the first edit
lands, the document has a new version and the second edit, planned for the old text, is stale.
If every change since the second run started was an edit this server applied itself (each one
a verified equivalent of what it replaced) and the second function's text is untouched, the
second edit can be planned again on the current text, and is checked again by the harness on
that text before it is sent (what ships is what was verified). Anything else the user changed
keeps the result from being applied, as before.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict, deque
from dataclasses import replace
from typing import TYPE_CHECKING

from lesson_lsp.harness.verify import Harness, HarnessError
from lesson_lsp.source.edits import Plan
from lesson_lsp.source.extract import ExtractError, function_named

if TYPE_CHECKING:
    from lesson_lsp.engine.optimize import Run

_KEPT = 32  # applied edits remembered per document


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class OwnEdits:
    """Digests of the text before and after each edit this server applied, per document (a
    digest, not the text: a 10 MB file edited often must not pile up copies)."""

    def __init__(self) -> None:
        self._history: dict[str, deque[tuple[bytes, bytes]]] = defaultdict(
            lambda: deque(maxlen=_KEPT))

    def record(self, uri: str, before: str, after: str) -> None:
        """An applied edit took the document from `before` to the verified text `after`."""
        self._history[uri].append((_digest(before), _digest(after)))

    def forget(self, uri: str) -> None:
        self._history.pop(uri, None)

    def leads(self, uri: str, start: str, end: str) -> bool:
        """`end` follows from `start` through this server's own edits alone."""
        text, target, steps = _digest(start), _digest(end), 0
        history = self._history.get(uri, ())
        while text != target:
            following = next((after for before, after in history if before == text), None)
            steps += 1
            if following is None or steps > _KEPT:
                return False
            text = following
        return True


async def replan(own: OwnEdits, uri: str, run: Run, current: str) -> Plan | None:
    """The run's best candidate planned again on `current` and checked there by the harness,
    or None when that would not be safe: the text changed by anything but our own edits, the
    function itself changed, or the candidate does not hold in the new text."""
    best = run.result.best
    if run.plan is None or run.harness is None or best is None:
        return None
    optimized = run.plan.source
    if current == optimized or not own.leads(uri, optimized, current):
        return None
    try:
        moved = function_named(current, run.span.qualname, run.span.encoding)
    except ExtractError:
        return None
    if moved.source != run.span.source:
        return None
    harness = Harness(replace(run.harness.target, source=current, span=moved),
                      run.harness.config)
    try:
        if await harness.check(best.candidate) is not None:
            return None
    except HarnessError:
        return None
    return harness.plan(best.candidate)
