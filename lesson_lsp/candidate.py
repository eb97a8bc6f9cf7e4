"""A proposed replacement for a function: its code at column 0 plus the imports it needs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """What an agent proposes. `source` defines the function (and any helpers) at column 0."""

    source: str
    imports: tuple[str, ...] = ()
    agent: str = ""
    note: str = ""  # what the agent says it did, or why its answer was unusable
    raw: str = ""  # an unusable answer as it came, for the lesson about it

    @property
    def key(self) -> str:
        """Identity of the code itself, so the same proposal is never measured twice."""
        digest = hashlib.sha256()
        for part in (*sorted(self.imports), self.source.strip() or self.raw):
            digest.update(part.encode("utf-8") + b"\0")
        return digest.hexdigest()[:16]


def to_column0(source: str, indent: str) -> str:
    """Function text as extracted (first line cut at the `def`, the rest at `indent`) moved to
    column 0. Lines that do not start with `indent` (inside a string literal) are kept as they are.
    """
    lines = source.split("\n")
    if not indent:
        return source
    return "\n".join(lines[:1] + [ln[len(indent):] if ln.startswith(indent) else ln
                                   for ln in lines[1:]])


def reindent(source: str, indent: str) -> str:
    """Code at column 0 moved to `indent`; the first line is left for the caller to place."""
    lines = source.strip("\n").split("\n")
    return "\n".join(lines[:1] + [indent + ln if ln.strip() else "" for ln in lines[1:]])
