"""Trial division over every candidate divisor, with a helper that filters a list."""
import random


def _odd_only(ns):
    return [n for n in ns if n % 2]


def count_primes_in(ns):
    count = 0
    for n in _odd_only(ns):
        if n < 2:
            continue
        prime = True
        for d in range(2, n):
            if n % d == 0:
                prime = False
                break
        if prime:
            count += 1
    return count


def bench_inputs():
    rng = random.Random(16)
    return [([rng.randrange(2000, 9000) for _ in range(400)] + [7919, 7907, 7901],)]


def hidden_inputs():
    return [([],), ([-7, 0, 1, 2, 3, 9, 25, 49, 97],), ([True, 15, 17],)]
