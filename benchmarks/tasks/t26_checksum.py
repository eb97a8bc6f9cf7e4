"""A rolling checksum over a byte list, indexed by position (no rule fits well)."""
import random


def checksum(data):
    total = 7
    for i in range(len(data)):
        total = (total * 31 + data[i]) % 1_000_000_007
    return total


def bench_inputs():
    rng = random.Random(26)
    return [([rng.randrange(256) for _ in range(100000)],)]


def hidden_inputs():
    return [([],), ([0, 255, 1],)]
