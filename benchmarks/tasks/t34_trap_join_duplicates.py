"""Trap: every matching pair is listed, so duplicates must keep counting (no set join)."""
import random


def matching_pairs(left, right):
    pairs = []
    for a in left:
        for b in right:
            if a == b:
                pairs.append(a)
    return pairs


def bench_inputs():
    rng = random.Random(34)
    return [([rng.randrange(300) for _ in range(600)], [rng.randrange(300) for _ in range(600)])]


def hidden_inputs():
    return [([], [1]), ([1, 1], [1, 1, 2])]
