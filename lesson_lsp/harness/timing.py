"""From raw samples to a speedup we can defend: medians, spread and a noise floor.

Samples come in pairs from several worker processes, original and candidate interleaved in
each (see `verify.Harness.time`). The noise floor is how much neighbouring ratios disagree with
each other; a speedup only counts when it clears that floor.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    original_s: float
    candidate_s: float
    original_spread: float
    candidate_spread: float
    noise: float
    speedup: float


def relative_spread(samples: list[float]) -> float:
    """Half the 10–90 percentile range relative to the median (0 for a single sample)."""
    if len(samples) < 2:
        return 0.0
    ordered = sorted(samples)
    lo = ordered[int(0.1 * (len(ordered) - 1))]
    hi = ordered[round(0.9 * (len(ordered) - 1))]
    median = statistics.median(ordered)
    return (hi - lo) / 2 / median if median > 0 else 0.0


def noise_floor(groups: list[list[float]]) -> float:
    """How far the original's per-process medians and samples stray from the overall median."""
    flat = [s for group in groups for s in group]
    if not flat:
        return 0.0
    median = statistics.median(flat)
    between = max((abs(statistics.median(g) / median - 1) for g in groups if g), default=0.0)
    return max(between, relative_spread(flat))


def summarize(original: list[list[float]], candidate: list[list[float]]) -> Timing:
    """Samples taken in pairs (the i-th original sample beside the i-th candidate sample of the
    same process): the speedup is the median ratio of neighbours, the noise their spread."""
    flat_o = [s for g in original for s in g]
    flat_c = [s for g in candidate for s in g]
    ratios = [o / c for go, gc in zip(original, candidate) for o, c in zip(go, gc) if c > 0]
    return Timing(
        original_s=statistics.median(flat_o),
        candidate_s=statistics.median(flat_c),
        original_spread=relative_spread(flat_o),
        candidate_spread=relative_spread(flat_c),
        noise=max(relative_spread(ratios), noise_floor(original) / 4),
        speedup=statistics.median(ratios) if ratios else 0.0,
    )


def threshold(noise: float, min_speedup: float) -> float:
    """The smallest speedup that is clearly more than noise."""
    return max(min_speedup, 1.0 + 3.0 * noise)


CONFIRM_PROCESSES = 4  # more pair runs for a gain the first ones could not tell from noise
CONFIDENCE = 0.99


@dataclass(frozen=True)
class Confirmation:
    faster: bool
    speedup: float  # the median of every paired ratio, first and confirming runs pooled
    lower: float  # a distribution-free lower confidence bound of that median
    agreeing: int  # processes whose own median ratio is above 1
    processes: int

    def describe(self, min_speedup: float) -> str:
        return (f"{'faster' if self.faster else 'not shown faster'} on {self.processes} "
                f"processes pooled: {self.agreeing} of them saw it faster, {CONFIDENCE:.0%} "
                f"lower bound {self.lower:.2f}× (counts from {min_speedup:g}× with the bound "
                f"≥ {1 + (min_speedup - 1) / 2:.2f}× and every process agreeing)")


def confirm(original: list[list[float]], candidate: list[list[float]],
            min_speedup: float) -> Confirmation:
    """A gain above the minimum but inside the noise of a few samples, decided on many more.

    The noise floor measures how much single ratios scatter, which more samples do not narrow;
    on a busy machine it hides a real 1.3×. Pooled over more processes, the median ratio is
    known far better than one ratio: the gain counts when that median clears the minimum, its
    lower confidence bound (order statistics: no shape assumed) clears half of it, and every
    process on its own saw the candidate faster. The last is what keeps a no-op out: a fresh
    process lays the code out anew, and the small systematic edge one layout gives a copy over
    the original does not recur in every process, nor with the order of the two reversed."""
    per_process = [statistics.median([o / c for o, c in zip(go, gc) if c > 0] or [0.0])
                   for go, gc in zip(original, candidate)]
    ratios = sorted(o / c for go, gc in zip(original, candidate) for o, c in zip(go, gc)
                    if c > 0)
    if not ratios:
        return Confirmation(False, 0.0, 0.0, 0, len(per_process))
    median = statistics.median(ratios)
    lower = ratios[_lower_rank(len(ratios), (1 - CONFIDENCE) / 2)]
    agreeing = sum(r > 1.0 for r in per_process)
    faster = median >= min_speedup and lower >= 1 + (min_speedup - 1) / 2 and \
        agreeing == len(per_process)
    return Confirmation(faster, median, lower, agreeing, len(per_process))


def _lower_rank(n: int, alpha: float) -> int:
    """The index (from 0) of the order statistic that is a lower (1 − alpha) bound of the median
    of n samples: the median lies below the k-th smallest (from 1) only when at most k − 1
    samples do, P(Binomial(n, ½) ≤ k − 1) ≤ alpha (the smallest when n is too small)."""
    total, k = 0.0, 0
    while k < n:
        total += math.comb(n, k) / 2**n  # P(B ≤ k)
        if total > alpha:
            break
        k += 1
    return max(0, k - 1)


def cold_ratio(first_original: list[float], first_candidate: list[float]) -> float:
    """The speedup of a first call in a fresh process, from the most favourable process: a first
    pass the machine happened to preempt makes one process's ratio far too low, while a
    candidate that only remembers answers is no faster on the first call in any process."""
    return max((o / c for o, c in zip(first_original, first_candidate) if c > 0), default=0.0)


def format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"
