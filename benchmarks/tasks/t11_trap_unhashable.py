"""Trap: the items are lists (unhashable), so a set cannot hold them."""


def shared_rows(rows, wanted):
    out = 0
    for row in rows:
        if row in wanted:
            out += 1
    return out


def bench_inputs():
    return [([[i, i + 1] for i in range(1500)], [[i, i + 1] for i in range(0, 3000, 2)])]


def hidden_inputs():
    return [([], []), ([[1, 2]], [[1, 2]])]
