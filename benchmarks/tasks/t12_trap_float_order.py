"""Trap: a float sum whose order matters; nothing should change its result."""


def total(xs):
    s = 0.0
    for x in xs:
        s += x
    return s


def bench_inputs():
    return [([1e16, 1.0, -1e16] * 30000,)]


def hidden_inputs():
    return [([],), ([0.1] * 10,), ([1e308, 1e308],)]
