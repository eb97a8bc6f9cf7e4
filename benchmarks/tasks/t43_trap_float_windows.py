"""Trap: moving sums of float readings. Prefix sums would change the rounding (a large reading
followed by small ones loses the small ones), so the summation order must be kept."""
import random


def moving_sums(readings, k):
    return [sum(readings[i:i + k]) for i in range(len(readings) - k + 1)]


def bench_inputs():
    rng = random.Random(43)
    return [([rng.uniform(-1, 1) * 10 ** rng.randint(-3, 16) for _ in range(3000)], 200)]


def hidden_inputs():
    return [([], 2), ([1e16, 1.0, -1e16, 1.0, 1.0], 2), ([0.1, 0.2, 0.3], 3),
            ([1e16, 1.0, 1.0, 1.0, -1e16, 0.5], 4)]
