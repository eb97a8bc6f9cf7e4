"""Counting lattice paths by recursion (memoizable, two arguments)."""


def paths(rows, cols):
    if rows == 0 or cols == 0:
        return 1
    return paths(rows - 1, cols) + paths(rows, cols - 1)


def bench_inputs():
    return [(10, 10), (11, 9)]


def hidden_inputs():
    return [(0, 0), (1, 5), (3, 3)]
