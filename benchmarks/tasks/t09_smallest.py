"""Sorting to read one end."""
import random


def smallest_by_abs(xs):
    return sorted(xs, key=abs)[0]


def bench_inputs():
    rng = random.Random(9)
    return [([rng.uniform(-1e6, 1e6) for _ in range(200000)],)]


def hidden_inputs():
    return [([3, -3, 2],), ([-1.5, 1.5],)]
