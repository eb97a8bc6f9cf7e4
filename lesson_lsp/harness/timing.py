"""From raw samples to a speedup we can defend: medians, spread and a noise floor.

Samples come in pairs from several worker processes, original and candidate interleaved in
each (see `verify.Harness.time`). The noise floor is how much neighbouring ratios disagree with
each other; a speedup only counts when it clears that floor.
"""

from __future__ import annotations

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


def format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"
