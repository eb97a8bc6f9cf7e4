"""Naive recursion with overlapping subproblems."""


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def bench_inputs():
    return [(22,), (24,)]


def hidden_inputs():
    return [(0,), (1,), (2,), (10,)]
