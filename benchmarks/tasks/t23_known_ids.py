"""Which ids a registry knows, asked through .keys()."""
import random


def known(registry, ids):
    found = []
    for i in ids:
        if i in registry.keys():
            found.append(registry[i])
    return found


def bench_inputs():
    rng = random.Random(23)
    registry = {rng.randrange(10**6): i for i in range(5000)}
    return [(registry, [rng.randrange(10**6) for _ in range(150000)])]


def hidden_inputs():
    return [({}, [1]), ({1: "a", 2: "b"}, [2, 3, 1])]
