"""Counting with exceptions: most tags are new, so most passes raise and catch KeyError."""
import random
import string


def tag_counts(posts):
    counts = {}
    for post in posts:
        for tag in post:
            try:
                counts[tag] += 1
            except KeyError:
                counts[tag] = 1
    return counts


def bench_inputs():
    rng = random.Random(44)
    tags = ["".join(rng.choices(string.ascii_lowercase, k=6)) for _ in range(60000)]
    return [([rng.sample(tags, 5) for _ in range(20000)],)]


def hidden_inputs():
    return [([],), ([["a", "b"], ["a"], []],), ([[("x", 1), ("x", 1)]],)]
