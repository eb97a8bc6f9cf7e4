"""Helpers and an import: the nearest station not on a closed list."""
import math
import random


def _distance(p, q):
    return math.hypot(p[0] - q[0], p[1] - q[1])


def nearest_open(point, stations, closed):
    best, best_d = None, math.inf
    for name, where in stations:
        if name in closed:
            continue
        d = _distance(point, where)
        if d < best_d:
            best, best_d = name, d
    return best


def bench_inputs():
    rng = random.Random(39)
    stations = [(f"s{i}", (rng.random(), rng.random())) for i in range(6000)]
    closed = [f"s{i}" for i in rng.sample(range(6000), 2000)]
    return [((0.5, 0.5), stations, closed)]


def hidden_inputs():
    return [((0, 0), [], []), ((0, 0), [("a", (1, 1)), ("b", (2, 2))], ["a"])]
