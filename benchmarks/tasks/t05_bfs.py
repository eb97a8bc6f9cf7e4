"""Breadth-first order with a list used as a queue."""
import random


def bfs_order(graph, start):
    queue = [start]
    seen = {start}
    order = []
    while queue:
        node = queue.pop(0)
        order.append(node)
        for nxt in graph[node]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return order


def bench_inputs():
    rng = random.Random(5)
    n = 20000
    graph = {i: [rng.randrange(n) for _ in range(3)] for i in range(n)}
    return [(graph, 0)]


def hidden_inputs():
    return [({0: []}, 0), ({0: [1, 2], 1: [2], 2: [0]}, 0)]
