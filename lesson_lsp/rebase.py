"""Carry a verified edit across the team's own earlier edits to the same document.

Two functions of one file optimized at once finish one after the other: once the first edit
lands, the document has a new version and the second edit, planned for the old text, is stale.
If every change since the second run started was an edit this server applied itself (each one
a verified equivalent of what it replaced) and the second function's text is untouched, the
second edit can be planned again on the current text. Anything else the user changed keeps the
result from being applied, as before.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict, deque

from lesson_lsp.candidate import Candidate
from lesson_lsp.edits import TextEdit, apply, plan
from lesson_lsp.extract import ExtractError, FunctionSpan, function_named

_KEPT = 32  # applied edits remembered per document


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class OwnEdits:
    """Digests of the text before and after each edit this server applied, per document (a
    digest, not the text: a 10 MB file edited often must not pile up copies)."""

    def __init__(self) -> None:
        self._history: dict[str, deque[tuple[bytes, bytes]]] = defaultdict(
            lambda: deque(maxlen=_KEPT))

    def record(self, uri: str, before: str, edits: list[TextEdit], encoding: str) -> None:
        self._history[uri].append((_digest(before), _digest(apply(before, edits, encoding))))

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


def replan(own: OwnEdits, uri: str, optimized: str, current: str, span: FunctionSpan,
           candidate: Candidate, encoding: str) -> list[TextEdit] | None:
    """The run's edits planned again on `current`, or None when that would not be safe: the
    text changed by anything but our own edits, or the function itself changed."""
    if current == optimized or not own.leads(uri, optimized, current):
        return None
    try:
        moved = function_named(current, span.qualname, encoding)
    except ExtractError:
        return None
    if moved.source != span.source:
        return None
    return plan(current, moved, candidate)
