"""The ratio of two sides' times and how sure it is.

The estimate is the ratio of the medians, before / after (> 1: after is faster). Its interval
is a paired percentile bootstrap: the runs were made in pairs (before, after, before, after, …),
so a pair is resampled as one, keeping what a pair shared (the machine's load at that moment);
each resample's ratio of medians is computed, and the central 95 % of them is the interval.
Seeded, so the same runs always give the same interval.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass

RESAMPLES = 2000
CONFIDENCE = 0.95
METHOD = (f"ratio of medians (before / after), {CONFIDENCE:.0%} paired percentile bootstrap "
          f"over the run pairs ({RESAMPLES} resamples, seeded)")


@dataclass(frozen=True)
class Ratio:
    estimate: float
    low: float
    high: float

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high

    def as_json(self) -> dict[str, float]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high}


def _ratio(before: list[float], after: list[float]) -> float:
    below = statistics.median(after)
    return statistics.median(before) / below if below > 0 else float("inf")


def ratio(before: list[float], after: list[float], seed: int = 0) -> Ratio:
    """Before / after of paired samples (the same number of each), with its interval."""
    if len(before) != len(after) or not before:
        raise ValueError("a ratio needs pairs: as many before as after samples, at least one")
    estimate = _ratio(before, after)
    count = len(before)
    if count == 1:
        return Ratio(estimate, estimate, estimate)
    chooser = random.Random(seed)
    found = []
    for _ in range(RESAMPLES):
        picks = [chooser.randrange(count) for _ in range(count)]
        found.append(_ratio([before[i] for i in picks], [after[i] for i in picks]))
    found.sort()
    tail = (1 - CONFIDENCE) / 2
    low = found[int(tail * (RESAMPLES - 1))]
    high = found[round((1 - tail) * (RESAMPLES - 1))]
    return Ratio(estimate, min(low, estimate), max(high, estimate))


def saving(ratio_value: float) -> float:
    """The share of the before time that after saves: 1 − after/before = 1 − 1/ratio."""
    return 1 - 1 / ratio_value if ratio_value > 0 else 0.0
