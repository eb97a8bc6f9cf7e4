"""Trap: a float total starting from int 0 whose rounding depends on the order of additions."""


def balance(entries):
    total = 0
    for amount in entries:
        total += amount
    return total


def bench_inputs():
    return [([1e16, 1.0, -1e16, 0.1] * 40000,)]


def hidden_inputs():
    return [([],), ([0.1] * 10,), ([1e308, 1e308, -1e308],), ([1, 2, 3],)]
