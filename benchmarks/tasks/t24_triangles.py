"""Triangular numbers, each summed from scratch."""


def triangles(ns):
    return [sum(range(n + 1)) for n in ns]


def bench_inputs():
    return [(list(range(0, 3000, 3)),)]


def hidden_inputs():
    return [([],), ([-3, -1, 0, 1, 2, 10],)]
