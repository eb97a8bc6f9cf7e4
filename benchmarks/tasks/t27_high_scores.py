"""Nested data: records above a threshold, filtered through lambdas."""
import random


def high_scores(records, threshold):
    good = list(filter(lambda r: r["score"] >= threshold, records))
    return list(map(lambda r: r["name"], good))


def bench_inputs():
    rng = random.Random(27)
    return [([{"name": f"p{i}", "score": rng.randrange(100)} for i in range(100000)], 50)]


def hidden_inputs():
    return [([], 1), ([{"name": "a", "score": 3}, {"name": "b", "score": 1}], 2)]
