"""The harness's verdicts on a candidate: their names (what banks, messages and hovers print,
without loading the harness), the verdict itself and the original's baseline, plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FASTER, NOT_FASTER, INCORRECT, ERROR, TIMEOUT = (
    "faster", "not-faster", "incorrect", "error", "timeout")
UNSAFE = "unsafe"
SHOWN_ATTEMPTS = 3  # attempts named in an unsafe verdict's detail


@dataclass
class Baseline:
    outcomes: list[dict[str, Any]]
    cold_s: float
    inputs: int
    profile: str
    held_out: int = 0
    solo_s: float = 0.0  # the original's median time per pass, timed alone
    solo_noise: float = 0.0
    unaccounted_s: float = 1.0  # wall time of a timing run outside the worker's own account
    # (kind, target) of every guarded operation the original attempted in any of its runs
    attempts: frozenset[tuple[str, str]] = frozenset()
    isolation: str = field(default_factory=lambda: _isolation())
    inputs_from: str = ""  # the worker's account, when it knows more than the InputSpec
    timed_on: str = ""  # what the timing is based on, for the user (see `scale.describe`)
    checked_on: dict[str, int] = field(default_factory=dict)  # check inputs per source
    cold_each: list[float] = field(default_factory=list)  # the original's seconds per input
    awaited: bool = False  # an async original: each timed call was awaited to completion


def _isolation() -> str:
    from lesson_lsp.harness import sandbox

    return sandbox.isolation().describe()


@dataclass
class Verdict:
    verdict: str
    speedup: float = 0.0
    original_s: float = 0.0
    candidate_s: float = 0.0
    original_spread: float = 0.0
    candidate_spread: float = 0.0
    noise: float = 0.0
    detail: str = ""
    failing_input: str = ""
    expected: str = ""
    actual: str = ""
    text_sha256: str = ""  # the final module text this verdict is about
    # Inputs per source the candidate was compared on (given, derived, fuzzed, concolic), and
    # which of its lines and branches they ran (scrutiny.py).
    checked_on: dict[str, Any] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)
    found_by: str = ""  # what found the failing input of an `incorrect` verdict
    timed_on: str = ""  # a timed verdict: what the timing was based on (`Baseline.timed_on`)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}



def attempts(payload: dict[str, Any] | None, actor: str) -> frozenset[tuple[str, str]]:
    """The guarded operations `actor` attempted in one run, as the worker reported them."""
    if payload is None:
        return frozenset()
    found = payload.get("attempts", {}).get(actor, [])
    return frozenset((str(kind), str(target)) for kind, target in found)


def unsafe(payload: dict[str, Any] | None,
            allowed: frozenset[tuple[str, str]]) -> Verdict | None:
    """UNSAFE when the candidate attempted what the original does not, named in the detail."""
    from lesson_lsp.harness import guard

    extra = sorted(attempts(payload, "candidate") - allowed)
    if not extra:
        return None
    named = ", ".join(guard.describe(kind, target) for kind, target in extra[:SHOWN_ATTEMPTS])
    more = f" (and {len(extra) - SHOWN_ATTEMPTS} more)" if len(extra) > SHOWN_ATTEMPTS else ""
    return Verdict(UNSAFE, detail=f"it tried to {named}{more}; the original does not")


def raises_where_timed(qualname: str, exc: list[str], workload: bool,
                       everywhere: bool) -> str:
    """Why a function that raises on every input (`everywhere`), or on every one it would be
    timed on though it returns on others, is refused: its timing would be the time of raising."""
    where = ("every input" if everywhere else
             "every input it would be timed on, though it returned on others")
    why = ("calls sampled from a workload are replayed in a fresh process, without the state the "
           "program had built by then (class attributes set on first use, caches, registries): "
           "optimize a function it calls, or name inputs in [tool.lesson-lsp.inputs]"
           if workload else "check that the inputs match its parameters")
    return f"`{qualname}` raised on {where} (first: {exc[0]}: {exc[1]}): {why}"
