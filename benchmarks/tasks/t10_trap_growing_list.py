"""Trap: the list tested in the loop grows inside it (a set built once would be stale)."""


def reachable(edges, start):
    found = [start]
    for a, b in edges:
        if a in found and b not in found:
            found.append(b)
        if b in found and a not in found:
            found.append(a)
    return found


def bench_inputs():
    return [([(i, i + 1) for i in range(1500)], 0)]


def hidden_inputs():
    return [([], 0), ([(1, 2), (0, 1), (2, 3)], 0)]
