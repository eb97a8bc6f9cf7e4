"""Triple-loop matrix product (no rule applies)."""
import random


def matmul(a, b):
    n, m, p = len(a), len(b), len(b[0])
    out = [[0.0] * p for _ in range(n)]
    for i in range(n):
        for j in range(p):
            s = 0.0
            for k in range(m):
                s += a[i][k] * b[k][j]
            out[i][j] = s
    return out


def bench_inputs():
    rng = random.Random(36)
    a = [[rng.random() for _ in range(40)] for _ in range(40)]
    b = [[rng.random() for _ in range(40)] for _ in range(40)]
    return [(a, b)]


def hidden_inputs():
    return [([[1.0]], [[2.0]]), ([[1.0, 2.0]], [[3.0], [4.0]])]
