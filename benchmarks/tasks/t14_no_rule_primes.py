"""No rule fits: trial division (an algorithmic change would be needed)."""


def count_primes(n):
    count = 0
    for k in range(2, n):
        if all(k % d for d in range(2, int(k ** 0.5) + 1)):
            count += 1
    return count


def bench_inputs():
    return [(30000,)]


def hidden_inputs():
    return [(0,), (2,), (3,), (100,)]
