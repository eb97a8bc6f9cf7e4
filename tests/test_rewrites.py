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


# --- the rules added for the offline team -------------------------------------------------

from lesson_lsp.team.rewrites import (  # noqa: E402
    append_comprehension,
    companion_set,
    concat_extend,
    count_counter,
    sorted_min,
    string_join,
)


def test_companion_set_keeps_the_list_and_its_order() -> None:
    source = ("def uniq(xs):\n    out = []  # first seen\n    for x in xs:\n"
              "        if x not in out:\n            out.append(x)\n    return out\n")
    out = run(companion_set, source, "uniq")
    assert out is not None and "out_set.add(out[-1])" in out.source
    assert "# first seen" in out.source
    assert _namespace(out)["uniq"]([3, 1, 3, 2, 1]) == [3, 1, 2]


def test_companion_set_refuses_other_mutation() -> None:
    source = ("def f(xs):\n    out = []\n    for x in xs:\n        if x not in out:\n"
              "            out.append(x)\n        else:\n            out.remove(x)\n"
              "    return out\n")
    assert run(companion_set, source, "f") is None


def test_append_comprehension_applies_and_refuses_a_leaking_loop_variable() -> None:
    source = ("def squares(xs):\n    out = []\n    for x in xs:\n        if x % 2:\n"
              "            out.append(x * x)\n    return out\n")
    out = run(append_comprehension, source, "squares")
    assert out is not None and "out = [x * x for x in xs if x % 2]" in out.source
    leaky = source.replace("return out", "return out, x")
    assert run(append_comprehension, leaky, "squares") is None
    reads = source.replace("out.append(x * x)", "out.append(len(out))")
    assert run(append_comprehension, reads, "squares") is None


def test_string_join_applies_and_refuses_reads_inside_the_loop() -> None:
    source = ('def csv(rows):\n    s = ""\n    for r in rows:\n        s += str(r)  # cell\n'
              '        s += ","\n    return s\n')
    out = run(string_join, source, "csv")
    assert out is not None and '"".join(s_parts)' in out.source and "# cell" in out.source
    assert _namespace(out)["csv"]([1, 2]) == "1,2,"
    reads = source.replace('s += ","', "s += str(len(s))")
    assert run(string_join, reads, "csv") is None
    early = source.replace('s += ","', "if r is None:\n            return s")
    assert run(string_join, early, "csv") is None


def test_concat_extend_applies_and_refuses_an_aliased_list() -> None:
    source = ("def flat(xss):\n    acc = []\n    for xs in xss:\n"
              "        acc = acc + [x for x in xs]\n    return acc\n")
    out = run(concat_extend, source, "flat")
    assert out is not None and "acc += [x for x in xs]" in out.source
    aliased = source.replace("    for xs", "    snapshot = [acc]\n    for xs")
    assert run(concat_extend, aliased, "flat") is None
    param = "def f(acc, xs):\n    for x in xs:\n        acc = acc + [x]\n    return acc\n"
    assert run(concat_extend, param, "f") is None  # the caller's list must stay untouched


def test_sorted_min_keeps_key_and_direction() -> None:
    source = "def ends(xs):\n    return sorted(xs)[0], sorted(xs, key=abs, reverse=True)[0]\n"
    out = run(sorted_min, source, "ends")
    assert out is not None and "min(xs)" in out.source and "max(xs, key=abs)" in out.source
    assert _namespace(out)["ends"]([3, -5, 1]) == (-5, -5)
    assert run(sorted_min, "def f(xs):\n    return sorted(xs)[1]\n", "f") is None
    assert run(sorted_min, "def f(xs, r):\n    return sorted(xs, reverse=r)[0]\n", "f") is None


def test_count_counter_applies_and_refuses_a_changing_list() -> None:
    source = "def once(xs):\n    return [x for x in xs if xs.count(x) == 1]\n"
    out = run(count_counter, source, "once")
    assert out is not None and out.imports == ("import collections",)
    assert _namespace(out)["once"]([1, 2, 2, 3]) == [1, 3]
    changing = ("def f(xs):\n    n = 0\n    for x in list(xs):\n        n += xs.count(x)\n"
                "        xs.remove(x)\n    return n\n")
    assert run(count_counter, changing, "f") is None
