"""Order-keeping de-duplication with a growing "seen" list."""
import random


def dedupe(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def bench_inputs():
    rng = random.Random(4)
    return [([rng.randrange(3000) for _ in range(8000)],)]


def hidden_inputs():
    return [([],), ([3, 1, 3, 2, 1],), (["b", "a", "b"],)]
