"""Deepest drawdown-free run: a running maximum kept with max() on floats."""
import random


def peak_levels(deltas):
    level = 0.0
    peak = 0.0
    peaks = []
    for d in deltas:
        level += d
        peak = max(peak, level)
        peaks.append(peak)
    return peaks


def bench_inputs():
    rng = random.Random(19)
    return [([rng.uniform(-1, 1) for _ in range(80000)],)]


def hidden_inputs():
    return [([],), ([1.0, -2.0, 3.5],), ([-0.0, 0.0],)]
