"""Distinct values in order, through a throwaway list."""
import random


def sorted_unique(values):
    return sorted(list(set(values)))


def bench_inputs():
    rng = random.Random(29)
    return [([rng.randrange(10**6) for _ in range(200000)],)]


def hidden_inputs():
    return [([],), ([3, 1, 3, 2],)]
