"""Which verified, faster candidate is the best so far: the one a head-to-head duel says is
faster, and among those it cannot tell apart, the smaller edit.

A later round's candidate used to replace the best whenever its speedup over the original,
taken in its own timing run, was larger: on a busy machine a rewrite that changed nothing the
loop does (a second set conversion) beat the code it was made from by 1.3× and shipped. Now a
challenger replaces the best only when the two, timed side by side, differ by more than the
noise of that very comparison and by the run's minimum speedup; when they tie, the one with
fewer changed lines is kept, so the smallest of the equally fast edits ships.
"""

from __future__ import annotations

from dataclasses import dataclass

from lesson_lsp.harness import timing
from lesson_lsp.harness.duel import CHALLENGER, TIE, Duel, duel
from lesson_lsp.harness.verify import Harness, Verdict
from lesson_lsp.source.candidate import Candidate


@dataclass(frozen=True)
class Contender:
    label: str  # who proposed it, for the note: "membership-set's round-1 candidate"
    candidate: Candidate
    verdict: Verdict
    lines_changed: int


@dataclass(frozen=True)
class Choice:
    keep_challenger: bool
    note: str = ""  # what the duel showed, for the user ('' when there was no duel)
    duel: Duel | None = None


def plausible(incumbent: Contender, challenger: Contender) -> bool:
    """Worth a duel: the challenger may be faster, or as fast with a smaller edit. Timed alone
    against the original, both speedups carry their own noise."""
    if challenger.verdict.speedup > incumbent.verdict.speedup:
        return True
    if challenger.lines_changed >= incumbent.lines_changed:
        return False
    slack = timing.threshold(challenger.verdict.noise + incumbent.verdict.noise, 1.0)
    return challenger.verdict.speedup * slack >= incumbent.verdict.speedup


async def choose(harness: Harness, incumbent: Contender, challenger: Contender) -> Choice:
    """Whether `challenger` (faster than the original) replaces `incumbent` as the best."""
    if not plausible(incumbent, challenger):
        return Choice(False)
    if harness.plan(challenger.candidate).text == harness.plan(incumbent.candidate).text:
        return Choice(False)
    found = await duel(harness, incumbent.candidate, challenger.candidate)
    if found is None:
        return Choice(False, f"{challenger.label} could not be timed beside {incumbent.label}; "
                             f"{incumbent.label} stays the best")
    winner = found.winner(harness.config.min_speedup)
    if winner == CHALLENGER:
        return Choice(True, f"{challenger.label} beat {incumbent.label} side by side "
                            f"({found.describe()})", found)
    if winner == TIE and challenger.lines_changed < incumbent.lines_changed:
        return Choice(True, f"{challenger.label} and {incumbent.label} were equally fast side "
                            f"by side ({found.describe()}); the smaller edit "
                            f"({challenger.lines_changed} lines changed, not "
                            f"{incumbent.lines_changed}) is kept", found)
    if winner == TIE:
        kept = "the smaller edit" if incumbent.lines_changed < challenger.lines_changed \
            else "the earlier of two edits as large"
        return Choice(False, f"{challenger.label} was no faster than {incumbent.label} side by "
                             f"side ({found.describe()}); {kept} "
                             f"({incumbent.lines_changed} lines changed) is kept", found)
    return Choice(False, f"{incumbent.label} beat {challenger.label} side by side "
                         f"({found.describe()})", found)
