"""Tags two users share, found with a nested loop."""
import random


def shared_tags(mine, theirs):
    shared = set()
    for tag in mine:
        for other in theirs:
            if tag == other:
                shared.add(tag)
    return sorted(shared)


def bench_inputs():
    rng = random.Random(17)
    words = [f"tag{i}" for i in range(5000)]
    return [(rng.sample(words, 700), rng.sample(words, 700))]


def hidden_inputs():
    return [([], ["a"]), (["a", "b", "a"], ["b", "b", "c"]), ([1, 1.0, True], [1])]
