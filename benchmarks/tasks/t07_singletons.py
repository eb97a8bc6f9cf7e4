"""list.count inside a comprehension."""
import random


def singletons(xs):
    return [x for x in xs if xs.count(x) == 1]


def bench_inputs():
    rng = random.Random(7)
    return [([rng.randrange(4000) for _ in range(4000)],)]


def hidden_inputs():
    return [([],), ([1, 2, 2, 3],), ([1.0, 1, True],)]
