"""The offline rewrite rules: where they apply, where they must refuse, comments survive."""

from __future__ import annotations

import pytest

from lesson_lsp.team.rewrites import deque_queue, membership_set, memoize
from lesson_lsp.team.rewrites.base import RewriteContext

FIB = '''def fib(n):
    """doc"""
    # base case
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
'''


def run(rule, source: str, name: str, is_method: bool = False):
    return rule.apply(source, RewriteContext(name, is_method))


def _namespace(out) -> dict:
    namespace: dict = {}
    exec("\n".join(out.imports) + "\n" + out.source, namespace)
    return namespace


def test_memoize_applies_keeps_comments_and_is_per_call() -> None:
    out = run(memoize, FIB, "fib")
    assert out is not None and out.imports == ("import functools",)
    assert "# base case" in out.source and '"""doc"""' in out.source
    fib = _namespace(out)["fib"]
    assert [fib(i) for i in range(10)] == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
    assert fib(80) == 23416728348467685


@pytest.mark.parametrize("source", [
    "def f(n):\n    return n\n",  # not recursive
    "def f(xs):\n    xs.append(1)\n    return f(xs[:-1]) if len(xs) > 3 else xs\n",  # mutates
    "def f(n):\n    print(n)\n    return 1 if n < 2 else f(n - 1)\n",  # I/O
    "def f(n):\n    global k\n    return 1 if n < 2 else f(n - 1)\n",
    "def f(*args):\n    return f(*args[1:]) if args else 0\n",
    "def f(n):\n    yield n\n    yield from f(n - 1)\n",
])
def test_memoize_refuses(source: str) -> None:
    assert run(memoize, source, "f") is None


def test_memoize_refuses_methods() -> None:
    assert run(memoize, "def f(self, n):\n    return f(self, n - 1)\n", "f", True) is None


COMMON = '''def common(xs, ys):
    count = 0
    for x in xs:
        if x in ys:  # the scan
            count += 1
    return count
'''


def test_membership_set_applies() -> None:
    out = run(membership_set, COMMON, "common")
    assert out is not None
    assert "ys_set = set(ys)" in out.source and "# the scan" in out.source
    assert _namespace(out)["common"]([1, 2, 3], [3, 1]) == 2


def test_membership_set_in_comprehension() -> None:
    source = "def keep(xs, ys):\n    return [x for x in xs if x not in ys]\n"
    out = run(membership_set, source, "keep")
    assert out is not None and "ys_set = set(ys)" in out.source
    assert _namespace(out)["keep"]([1, 2, 3], [2]) == [1, 3]


@pytest.mark.parametrize("source", [
    # the list grows inside the loop
    "def f(xs):\n    seen = []\n    for x in xs:\n        if x not in seen:\n"
    "            seen.append(x)\n    return seen\n",
    # not in a loop: building a set costs more than one scan
    "def f(x, ys):\n    return x in ys\n",
    # the list escapes into another call inside the loop
    "def f(xs, ys):\n    n = 0\n    for x in xs:\n        if x in ys:\n            g(ys)\n"
    "    return n\n",
    # already a set
    "def f(xs, ys):\n    s = set(ys)\n    return [x for x in xs if x in s]\n",
])
def test_membership_set_refuses(source: str) -> None:
    assert run(membership_set, source, "f") is None


BFS = '''def bfs(graph, start):
    queue = [start]  # to visit
    order = []
    while queue:
        node = queue.pop(0)
        order.append(node)
        queue.extend(graph[node])
    return order
'''


def test_deque_applies() -> None:
    out = run(deque_queue, BFS, "bfs")
    assert out is not None and out.imports == ("import collections",)
    assert "collections.deque([start])" in out.source and "queue.popleft()" in out.source
    assert "# to visit" in out.source
    assert _namespace(out)["bfs"]({1: [2, 3], 2: [], 3: []}, 1) == [1, 2, 3]


@pytest.mark.parametrize("source", [
    # returned: the caller would see a deque
    "def f(xs):\n    q = list(xs)\n    q.pop(0)\n    return q\n",
    # sliced: deques cannot be sliced
    "def f(xs):\n    q = list(xs)\n    q.pop(0)\n    return len(q[1:])\n",
    # no pop(0): nothing to gain
    "def f(xs):\n    q = []\n    q.append(1)\n    return len(q)\n",
])
def test_deque_refuses(source: str) -> None:
    assert run(deque_queue, source, "f") is None
