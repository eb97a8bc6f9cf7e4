"""Trap: NaN among the values; a running max must pick exactly what max() picks."""
import random


def running_best(values):
    best = values[0]
    for v in values:
        best = max(v, best)
    return best


def bench_inputs():
    rng = random.Random(33)
    vals = [rng.random() for _ in range(100000)]
    vals[500] = float("nan")
    return [(vals,)]


def hidden_inputs():
    nan = float("nan")
    return [([nan, 1.0],), ([1.0, nan, 2.0],), ([2, 2.0],), ([0.0, -0.0],)]
