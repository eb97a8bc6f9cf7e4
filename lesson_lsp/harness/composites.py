"""Composite numbers whose smallest factor is large, near an observed integer: the inputs on
which a trial division with a wrong bound (`i * i < n`) or too few divisors answers "prime".

Near n: the square of the largest prime p ≤ √n, and p times the next prime q > p (a
semiprime of about n's size whose smallest factor is about √n). Standard library only.
"""

from __future__ import annotations

import math

LARGEST = 10**12  # beyond this, the original's own trial division would not answer in time


def _prime(k: int) -> bool:
    if k < 2:
        return False
    return all(k % d for d in range(2, math.isqrt(k) + 1))


def near(n: int) -> tuple[int, ...]:
    """p², p·q for the primes p ≤ √|n| < q closest to √|n| (none for tiny or huge n)."""
    m = abs(n)
    if m < 9 or m > LARGEST:
        return ()
    p = math.isqrt(m)
    while not _prime(p):
        p -= 1
    q = p + 1
    while not _prime(q):
        q += 1
    return p * p, p * q
