"""Membership tests against a list inside a loop."""
import random


def common_items(xs, ys):
    out = []
    for x in xs:
        if x in ys:
            out.append(x)
    return out


def bench_inputs():
    rng = random.Random(3)
    return [(rng.sample(range(50000), 4000), rng.sample(range(50000), 4000))]


def hidden_inputs():
    return [([], [1]), ([1, 2, 2, 3], [2, 3]), ([1.0, 2], [1, 2.0])]
