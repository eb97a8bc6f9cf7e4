"""Two verified candidates timed against each other, not each against the original.

Each candidate's speedup over the original comes from its own timing run: on a busy machine
the same code measured 454 µs in one run and 648 µs in the next, so comparing two such
speedups compares two moments of the machine, not two pieces of code. A duel loads both final
module texts into the same worker processes and interleaves their samples (A B B A …, as
`Harness.time` does with the original), so drift hits both alike and the noise floor comes from
the very samples that give the ratio.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lesson_lsp.harness import pairing, timing
from lesson_lsp.harness.verdicts import Verdict

if TYPE_CHECKING:
    from lesson_lsp.harness.verify import Harness
    from lesson_lsp.source.candidate import Candidate

CHALLENGER, INCUMBENT, TIE = "challenger", "incumbent", "tie"


@dataclass(frozen=True)
class Duel:
    ratio: float  # the incumbent's seconds over the challenger's: > 1 when the challenger wins
    noise: float  # the relative spread of the paired ratios
    incumbent_s: float = 0.0
    challenger_s: float = 0.0
    confirmed: bool | None = None  # decided on more processes (`timing.confirm`), if it was

    def winner(self, min_speedup: float) -> str:
        """The challenger only when it is faster by as much as any candidate must be faster
        than the original; the incumbent only when it is clearly faster; else a tie."""
        if self.confirmed is not None:
            return CHALLENGER if self.confirmed else TIE
        if self.ratio >= timing.threshold(self.noise, min_speedup):
            return CHALLENGER
        if self.ratio > 0 and 1 / self.ratio >= timing.threshold(self.noise, 1.0):
            return INCUMBENT
        return TIE

    def describe(self) -> str:
        return f"{self.ratio:.2f}× ± {self.noise:.0%}"


async def duel(harness: Harness, incumbent: Candidate, challenger: Candidate,
               processes: int = 2) -> Duel | None:
    """The challenger timed beside the incumbent (which takes the original's place in a "pair"
    job), through the same watched pair runs as `Harness.time`. None when a run fails or is
    refused: the incumbent stays."""
    base = await harness.baseline()
    beside = harness.plan(incumbent).text
    pairs = await pairing.gather(harness, challenger, base, processes, beside=beside)
    if isinstance(pairs, Verdict):
        return None
    summary = timing.summarize(pairs.original, pairs.candidate)
    minimum = harness.config.min_speedup
    if not minimum <= summary.speedup < timing.threshold(summary.noise, minimum):
        return Duel(summary.speedup, summary.noise, summary.original_s, summary.candidate_s)
    # A gain above the minimum but inside this noise: decided on more processes, as a
    # candidate's gain over the original is (`Harness.time`).
    more = await pairing.gather(harness, challenger, base, timing.CONFIRM_PROCESSES,
                                first=processes, beside=beside)
    if isinstance(more, Verdict):
        return None
    pairs.extend(more)
    found = timing.confirm(pairs.original, pairs.candidate, minimum)
    summary = timing.summarize(pairs.original, pairs.candidate)
    noise = max(0.0, 1 - found.lower / found.speedup) if found.speedup > 0 else summary.noise
    return Duel(found.speedup, noise, summary.original_s, summary.candidate_s,
                confirmed=found.faster)
