"""Trap: every divisor counts (the largest one is kept), so the search cannot stop at sqrt(n)."""


def largest_divisor(n):
    best = 1
    for d in range(2, n):
        if n % d == 0:
            best = d
    return best


def bench_inputs():
    return [(40000,), (39989,)]


def hidden_inputs():
    return [(1,), (12,), (97,), (100,)]
