"""Rebuilding a list with + in a loop."""


def flatten(chunks):
    acc = []
    for chunk in chunks:
        acc = acc + [x for x in chunk]
    return acc


def bench_inputs():
    return [([list(range(i, i + 5)) for i in range(3000)],)]


def hidden_inputs():
    return [([],), ([[1], [], [2, 3]],)]
