"""The original and a candidate timed side by side in worker processes: the samples of each
process, gathered and watched (a timing run is where a candidate that only misbehaves after
many calls, or fakes the clock, shows itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from lesson_lsp.harness.verdicts import ERROR, TIMEOUT, Baseline, Verdict
from lesson_lsp.harness.verdicts import attempts as _attempts
from lesson_lsp.harness.verdicts import unsafe as _unsafe
from lesson_lsp.source.edits import sha256

if TYPE_CHECKING:
    from lesson_lsp.harness.sandbox import SandboxResult
    from lesson_lsp.source.candidate import Candidate
    from lesson_lsp.source.edits import Plan


class Runs(Protocol):
    """What a pair run needs of the harness (`verify.Harness`): the candidate's module text,
    a worker job for it and a sandboxed run of that job."""

    def plan(self, candidate: Candidate) -> Plan: ...

    def _job(self, mode: str, candidate: Candidate | None, **extra: Any) -> dict[str, Any]: ...

    async def _run(self, job: dict[str, Any]) -> SandboxResult: ...


@dataclass
class Pairs:
    """Per process: the original's and the candidate's samples (seconds per pass, the i-th of
    each taken next to each other), and their first passes in the fresh process."""

    original: list[list[float]] = field(default_factory=list)
    candidate: list[list[float]] = field(default_factory=list)
    first_original: list[float] = field(default_factory=list)
    first_candidate: list[float] = field(default_factory=list)
    unaccounted: float = 0.0  # the most wall time a run spent outside the worker's account

    def extend(self, other: Pairs) -> None:
        self.original += other.original
        self.candidate += other.candidate
        self.first_original += other.first_original
        self.first_candidate += other.first_candidate
        self.unaccounted = max(self.unaccounted, other.unaccounted)


async def gather(harness: Runs, candidate: Candidate, base: Baseline, processes: int,
                 first: int = 0, beside: str | None = None) -> Pairs | Verdict:
    """`processes` pair runs (which side goes first alternates, counting from `first`), or the
    verdict that ends the timing: a timeout, an unsafe attempt, a failed or dishonest run.
    `beside`: a verified module text that takes the original's place (a duel)."""
    pairs = Pairs()
    text_sha = sha256(harness.plan(candidate).text)
    for i in range(first, first + processes):
        job = harness._job("pair", candidate, split="shown", order="ab" if i % 2 == 0 else "ba",
                           **({} if beside is None else {"module_source": beside}))
        result = await harness._run(job)
        if result.status == "timeout":
            return Verdict(TIMEOUT, detail="timing did not finish in time")
        payload = result.payload
        # A candidate may misbehave only after many calls: timing runs are watched too,
        # against what the original did in the same process as well.
        unsafe = _unsafe(payload, base.attempts | _attempts(payload, "original"))
        if unsafe is not None:
            return unsafe
        if payload is None or payload.get("status") != "ok":
            return Verdict(ERROR, detail=f"timing failed: {result.detail}")
        if payload.get("candidate_sha256") != text_sha:
            return Verdict(ERROR, detail="the worker timed another text than the planned one")
        # The worker's own clock against ours: a candidate that fakes the clock shows far
        # more wall time outside the worker's account than the original did alone.
        if float(payload["timed_s"]) > result.wall_s + 0.01:
            return Verdict(ERROR, detail="reported time exceeds the wall clock")
        pairs.unaccounted = max(pairs.unaccounted,
                                result.wall_s - float(payload.get("worker_s", 0.0)))
        pairs.original.append([float(x) for x in payload["samples"]])
        pairs.candidate.append([float(x) for x in payload["partner_samples"]])
        pairs.first_original.append(float(payload["first_pass_s"]))
        pairs.first_candidate.append(float(payload["partner_first_pass_s"]))
    return pairs
