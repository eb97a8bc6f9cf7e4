"""Trap: the list grows through an alias inside the loop, so len() is not invariant."""


def expand(seed):
    work = list(seed)
    queue = work
    i = 0
    while i < len(work):
        if work[i] > 1:
            queue.append(work[i] // 2)
        i += 1
    return work


def bench_inputs():
    return [([2**12] * 60,)]


def hidden_inputs():
    return [([],), ([1],), ([8, 3],)]
