"""A running median over a stream of readings, re-sorting the window after every reading."""
import random


def running_medians(readings):
    seen = []
    medians = []
    for value in readings:
        seen.append(value)
        seen.sort()
        middle = len(seen) // 2
        if len(seen) % 2:
            medians.append(seen[middle])
        else:
            medians.append((seen[middle - 1] + seen[middle]) / 2)
    return medians


def bench_inputs():
    rng = random.Random(41)
    return [([rng.randint(0, 10**6) for _ in range(4000)],)]


def hidden_inputs():
    return [([],), ([5],), ([3, 1, 2, 2, 9, -4],), ([1.5, 0.5, 1.5, float("inf")],)]
