"""Trap: the caller's list is the queue, so turning it into a deque would change what the caller
sees afterwards."""


def drain(queue):
    out = []
    while queue:
        out.append(queue.pop(0) * 2)
    return out


def bench_inputs():
    return [(list(range(30000)),)]


def hidden_inputs():
    return [([],), ([1, 2, 3],)]
