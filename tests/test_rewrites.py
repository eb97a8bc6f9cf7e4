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
    assert "ys_set = set(ys) if ys.__class__ in (list, tuple) else ys" in out.source
    assert "# the scan" in out.source
    assert _namespace(out)["common"]([1, 2, 3], [3, 1]) == 2


def test_membership_set_keeps_substring_tests_on_a_str() -> None:
    """parse's strf_date_convert: `"%" + c in fmt` on a str tests substrings, not characters."""
    source = ('def kinds(fmt):\n    return [c for c in "aAdHM" if "%" + c in fmt]\n')
    out = run(membership_set, source, "kinds")
    assert out is not None
    assert _namespace(out)["kinds"]("%d %H") == ["d", "H"]
    assert _namespace(out)["kinds"](["%d", "%H"]) == ["d", "H"]


def test_membership_set_in_comprehension() -> None:
    source = "def keep(xs, ys):\n    return [x for x in xs if x not in ys]\n"
    out = run(membership_set, source, "keep")
    assert out is not None and "ys_set = set(ys) if" in out.source
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


# --- rules for algorithmic and builtin-level rewrites -----------------------------------

from lesson_lsp.team.rewrites import (  # noqa: E402
    builtin_map,
    divisor_bound,
    equality_join,
    hoist_invariant,
    index_loop,
    keys_membership,
    lambda_comprehension,
    minmax_compare,
    range_list,
    range_sum,
    redundant_copy,
    regex_compile,
    slice_startswith,
    string_prepend,
    sum_accumulate,
)


def _comments(code: str) -> list[str]:
    import io
    import tokenize
    return sorted(t.string for t in tokenize.generate_tokens(io.StringIO(code).readline)
                  if t.type == tokenize.COMMENT)


def _same(source: str, out, name: str, calls: list[tuple]) -> None:
    """The rewrite returns what the original returns (or raises the same type) on `calls`, and
    keeps every comment of the original."""
    kept = _comments(out.source)
    assert all(c in kept for c in _comments(source)), (_comments(source), kept)
    new = _namespace(out)[name]
    old: dict = {}
    exec(source, old)
    for args in calls:
        results = []
        for fn in (old[name], new):
            try:
                results.append(("ok", fn(*args)))
            except Exception as exc:  # the type must match
                results.append(("raised", type(exc)))
        assert results[0] == results[1], (args, results)


PRIME = '''def is_prime(n):
    if n < 2:
        return False
    for d in range(2, n):
        if n % d == 0:  # a divisor
            return False
    return True
'''


def test_divisor_bound_applies_keeps_comments_and_agrees_everywhere() -> None:
    out = run(divisor_bound, PRIME, "is_prime")
    assert out is not None and out.imports == ("import math", "import itertools")
    assert "math.isqrt(n)" in out.source and "# a divisor" in out.source
    _same(PRIME, out, "is_prime", [(n,) for n in range(-5, 2000)] + [(True,), (2.5,)])


def test_divisor_bound_handles_flag_and_break_and_for_else() -> None:
    source = ("def primes(n):\n    out = []\n    for i in range(2, n):\n        ok = True\n"
              "        for j in range(2, i):\n            if i % j == 0:\n"
              "                ok = False\n                break\n        if ok:\n"
              "            out.append(i)\n    return out\n")
    out = run(divisor_bound, source, "primes")
    assert out is not None
    assert "range(2, math.isqrt(i) + 1) if type(i) is int and i > 1" in out.source
    _same(source, out, "primes", [(n,) for n in range(0, 300, 7)])
    first = ("def first(n, x, y):\n    for i in range(2, n):\n        if n % i == 0:\n"
             "            return i\n    else:\n        return x\n")
    out = run(divisor_bound, first, "first")
    assert out is not None
    _same(first, out, "first", [(n, "x", "y") for n in range(-3, 500)])


@pytest.mark.parametrize("source", [
    # the branch does not leave the loop: every divisor counts
    "def f(n):\n    c = 0\n    for d in range(2, n):\n        if n % d == 0:\n"
    "            c += 1\n    return c\n",
    # the loop variable is read after the loop
    "def f(n):\n    for d in range(2, n):\n        if n % d == 0:\n            break\n"
    "    return d\n",
    # not a divisibility test
    "def f(n):\n    for d in range(2, n):\n        if d * d == n:\n            return True\n"
    "    return False\n",
    # starts at 3: the smallest divisor might be 2
    "def f(n):\n    for d in range(3, n):\n        if n % d == 0:\n            return False\n"
    "    return True\n",
])
def test_divisor_bound_refuses(source: str) -> None:
    assert run(divisor_bound, source, "f") is None


def test_equality_join_applies_and_keeps_comments() -> None:
    source = ("def common(xs, ys):\n    out = set()\n    for a in xs:\n        for b in ys:\n"
              "            if a == b:  # match\n                out.add(a)\n"
              "    return sorted(out)\n")
    out = run(equality_join, source, "common")
    assert out is not None and "ys_set = set(ys)" in out.source and "# match" in out.source
    _same(source, out, "common", [([1, 2, 3, 2], [2, 3, 4]), ([], [1]), ([1.0, 2], [1, True])])


@pytest.mark.parametrize("source", [
    # a list collects every match: duplicates in ys count
    "def f(xs, ys):\n    out = []\n    for a in xs:\n        for b in ys:\n"
    "            if a == b:\n                out.append(a)\n    return out\n",
    # the branch uses the inner item
    "def f(xs, ys):\n    for a in xs:\n        for b in ys:\n            if a == b:\n"
    "                return b\n    return None\n",
    # ys changes inside the outer loop
    "def f(xs, ys):\n    out = set()\n    for a in xs:\n        ys.append(a)\n"
    "        for b in ys:\n            if a == b:\n                out.add(a)\n    return out\n",
    # not an equality
    "def f(xs, ys):\n    out = set()\n    for a in xs:\n        for b in ys:\n"
    "            if a < b:\n                out.add(a)\n    return out\n",
])
def test_equality_join_refuses(source: str) -> None:
    assert run(equality_join, source, "f") is None


def test_builtin_map_applies_where_a_consumer_takes_it_at_once() -> None:
    source = ("def f(s, xs):\n    # digits\n    total = sum(int(c) for c in str(s))\n"
              "    return total, [len(x) for x in xs], max(len(x) for x in xs)\n")
    out = run(builtin_map, source, "f")
    assert out is not None and "# digits" in out.source
    assert "sum(map(int, str(s)))" in out.source and "list(map(len, xs))" in out.source
    assert "max(map(len, xs))" in out.source
    _same(source, out, "f", [(123, ["a", "bb"]), (9, ["x"]), (-5, ["a"])])


@pytest.mark.parametrize("source", [
    "def f(xs):\n    return (len(x) for x in xs)\n",  # a generator escapes: its type shows
    "def f(xs):\n    len = str\n    return [len(x) for x in xs]\n",  # not the builtin
    "def f(xs):\n    return [len(x) for x in xs if x]\n",  # filtered
    "def f(xs, y):\n    return [len(y) for x in xs]\n",  # not the item
    "def f(xs):\n    return [g(x) for x in xs]\n",  # not a builtin
])
def test_builtin_map_refuses(source: str) -> None:
    assert run(builtin_map, source, "f") is None


def test_lambda_comprehension_applies_and_refuses() -> None:
    source = ("def f(xs):\n    neg = list(filter(lambda x: x < 0, xs))  # negatives\n"
              "    return neg, list(map(lambda y: y * 2, xs))\n")
    out = run(lambda_comprehension, source, "f")
    assert out is not None and "[x for x in xs if x < 0]" in out.source
    assert "[y * 2 for y in xs]" in out.source and "# negatives" in out.source
    _same(source, out, "f", [([1, -2, 3, -4],), ([],)])
    for bad in ["def f(xs):\n    return list(filter(None, xs))\n",
                "def f(xs):\n    return list(map(lambda a, b=1: a + b, xs))\n",
                "def f(xs):\n    return list(filter(lambda x: (y := x), xs))\n",
                "def f(xs):\n    filter = map\n    return list(filter(lambda x: x, xs))\n"]:
        assert run(lambda_comprehension, bad, "f") is None, bad


def test_sum_accumulate_sums_and_multiplies() -> None:
    source = ("def f(words, n):\n    total = 0\n    for w in words:\n"
              "        total += len(w)  # chars\n    p = 1\n    for j in range(1, n): p *= j\n"
              "    return total, p\n")
    out = run(sum_accumulate, source, "f")
    assert out is not None and out.imports == ("import math",) and "# chars" in out.source
    assert "total += sum(map(len, words))" in out.source
    assert "p *= math.prod(range(1, n))" in out.source
    _same(source, out, "f", [(["ab", "c"], 6), ([], 0)])


@pytest.mark.parametrize("source", [
    # a float accumulator: sum() compensates rounding from Python 3.12
    "def f(xs):\n    s = 0.0\n    for x in xs:\n        s += x\n    return s\n",
    # the loop variable is read after the loop
    "def f(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s, x\n",
    # a generator in sum() is no faster than the loop
    "def f(xs):\n    s = 0\n    for x in xs:\n        s += x * 2\n    return s\n",
    # the total is read in the loop
    "def f(xs):\n    s = 0\n    for x in xs:\n        s += x + s\n    return s\n",
    # a failure half way would leave a partial total behind
    "def f(xs):\n    s = 0\n    try:\n        for x in xs:\n            s += x\n"
    "    except TypeError:\n        pass\n    return s\n",
])
def test_sum_accumulate_refuses(source: str) -> None:
    assert run(sum_accumulate, source, "f") is None


def test_range_sum_is_exact_and_keeps_range_checks() -> None:
    source = "def f(n, a):\n    # triangle\n    return sum(range(n + 1)), sum(range(a, n))\n"
    out = run(range_sum, source, "f")
    assert out is not None and "sum(" not in out.source and "# triangle" in out.source
    _same(source, out, "f", [(n, a) for n in range(-6, 30) for a in range(-6, 30, 5)]
          + [(2.5, 1), (3, 1.5), (3, 10**30)])
    assert run(range_sum, "def f(n):\n    return sum(range(0, n, 2))\n", "f") is None
    assert run(range_sum, "def f(n):\n    return sum(range(g(n)))\n", "f") is None


def test_range_list_applies_and_refuses() -> None:
    source = "def pile(n):\n    return [n + 2*i for i in range(n)]  # levels\n"
    out = run(range_list, source, "pile")
    assert out is not None and "list(range(n, n + 2 * n, 2))" in out.source
    assert "# levels" in out.source
    _same(source, out, "pile", [(n,) for n in range(-3, 40)])
    for bad in ["def f(n):\n    return [i * i for i in range(n)]\n",
                "def f(n):\n    return [0 * i for i in range(n)]\n",
                "def f(n):\n    return [n + 2*i for i in range(n) if i]\n",
                "def f(n):\n    return [g(n) + i for i in range(n)]\n"]:
        assert run(range_list, bad, "f") is None, bad


def test_minmax_compare_picks_the_same_object() -> None:
    source = ("def f(xs):\n    best = xs[0]\n    low = xs[0]\n    for x in xs:\n"
              "        best = max(x, best)  # running\n        low = min(low, x)\n"
              "    return best, low\n")
    out = run(minmax_compare, source, "f")
    assert out is not None and "max(" not in out.source and "# running" in out.source
    nan = float("nan")
    _same(source, out, "f", [([3, 1, 4, 1, 5],), ([nan, 1.0, 2.0],), ([1.0, nan, 0.5],),
                             ([1, 1.0, True],), (["b", "a"],)])
    assert run(minmax_compare, "def f(a, b):\n    a = max(a, b, key=abs)\n    return a\n",
               "f") is None
    assert run(minmax_compare, "def f(a, b):\n    a = max(a, g(b))\n    return a\n",
               "f") is None


def test_slice_startswith_applies_and_refuses_a_negative_start() -> None:
    source = ("def count(s, t):\n    n = 0\n    for i in range(len(s) - len(t) + 1):\n"
              "        if s[i:i + len(t)] == t:  # window\n            n += 1\n    return n\n")
    out = run(slice_startswith, source, "count")
    assert out is not None and "s.startswith(t, i)" in out.source and "# window" in out.source
    _same(source, out, "count", [(s, t) for s in ["", "aaaa", "abab"] for t in ["", "a", "ab"]])
    negative = source.replace("range(len(s)", "range(-2, len(s)")
    assert run(slice_startswith, negative, "count") is None
    rebinds = source.replace("n += 1", "i = -1")
    assert run(slice_startswith, rebinds, "count") is None


def test_keys_membership_applies() -> None:
    source = "def f(d, xs):\n    return [x for x in xs if x in d.keys()]  # known\n"
    out = run(keys_membership, source, "f")
    assert out is not None and "x in d]" in out.source and "# known" in out.source
    _same(source, out, "f", [({1: 2}, [1, 2])])
    assert run(keys_membership, "def f(d, x):\n    return x in d.values()\n", "f") is None


def test_string_prepend_applies_and_refuses_reads() -> None:
    source = ('def to_base(x, b):\n    out = ""\n    while x > 0:\n'
              '        out = str(x % b) + out  # digit\n        x //= b\n    return out\n')
    out = run(string_prepend, source, "to_base")
    assert out is not None and '"".join(reversed(out_parts)) + out' in out.source
    assert "# digit" in out.source
    _same(source, out, "to_base", [(x, b) for x in range(-2, 200, 7) for b in (2, 3, 10)])
    reads = source.replace("x //= b", "x //= b + len(out)")
    assert run(string_prepend, reads, "to_base") is None
    early = source.replace("x //= b", "x //= b\n        if x == 3:\n            return out")
    assert run(string_prepend, early, "to_base") is None


def test_index_loop_applies_with_a_step_and_refuses_other_uses() -> None:
    source = ('def f(s):\n    n = 0\n    for i in range(0, len(s), 2):\n'
              '        if s[i] in "AEIOU":  # upper vowel\n            n += 1\n    return n\n')
    out = run(index_loop, source, "f")
    assert out is not None and "for item in s[::2]:" in out.source
    assert "if item in" in out.source and "# upper vowel" in out.source
    _same(source, out, "f", [("aAbEcIdO",), ("",), ("E",)])
    for bad in ["s[i] = 'x'", "s.append(1)", "print(i)", "g(s)"]:
        assert run(index_loop, source.replace("n += 1", bad), "f") is None, bad
    assert run(index_loop, source.replace("return n", "return i"), "f") is None


def test_hoist_invariant_applies_and_refuses_a_changing_list() -> None:
    source = ("def f(xs):\n    i = 0\n    best = 0\n    while i < len(xs):  # scan\n"
              "        if xs[i] > best:\n            best = xs[i]\n        i += 1\n"
              "    return best\n")
    out = run(hoist_invariant, source, "f")
    assert out is not None and "xs_len = len(xs)" in out.source
    assert "while i < xs_len:  # scan" in out.source
    _same(source, out, "f", [([3, 9, 2],), ([],)])
    grows = source.replace("i += 1", "i += 1\n        xs.pop()")
    assert run(hoist_invariant, grows, "f") is None
    called = source.replace("i += 1", "i += 1\n        g(xs)")
    assert run(hoist_invariant, called, "f") is None


def test_regex_compile_applies_and_refuses_flags() -> None:
    source = ('import re\n\n\ndef keys(lines):\n    out = []\n    for line in lines:\n'
              '        m = re.match(r"(\\w+)=", line)  # key\n        if m:\n'
              '            out.append(m.group(1))\n    return out\n')
    out = run(regex_compile, source, "keys")
    assert out is not None and out.imports == ("import re",)
    assert 'pattern = re.compile(r"(\\w+)=")' in out.source
    assert "pattern.match(line)  # key" in out.source
    _same(source, out, "keys", [(["a=1", "b", "c=2"],)])
    flags = source.replace('line)  # key', 'line, re.I)  # key')
    assert run(regex_compile, flags, "keys") is None
    outside = 'import re\n\n\ndef f(s):\n    return re.match("a", s)\n'
    assert run(regex_compile, outside, "f") is None


def test_redundant_copy_applies_and_refuses() -> None:
    source = "def f(xs):\n    return sorted(list(set(xs)), reverse=True)  # unique\n"
    out = run(redundant_copy, source, "f")
    assert out is not None and "sorted(set(xs), reverse=True)" in out.source
    assert "# unique" in out.source
    _same(source, out, "f", [([3, 1, 3],), ([],)])
    assert run(redundant_copy, "def f(xs):\n    return len(list(xs))\n", "f") is None
    assert run(redundant_copy, "def f(xs):\n    list = tuple\n    return sorted(list(xs))\n",
               "f") is None


def test_lazy_any_all_applies_keeps_comments_and_refuses_effects() -> None:
    from lesson_lsp.team.rewrites import lazy_any_all
    source = ("def f(xs, ys):\n    if any([x > 3 for x in xs]):  # big\n        return 1\n"
              "    return all([  # all\n        y.isdigit() for y in ys if y  # non-empty\n"
              "    ])\n")
    out = run(lazy_any_all, source, "f")
    assert out is not None and "any(x > 3 for x in xs):  # big" in out.source
    assert "all(  # all" in out.source and "# non-empty" in out.source
    _same(source, out, "f", [([1, 5], []), ([], ["1", "", "2"]), ([], ["a"]), ((), ())])
    for bad in ["any([g(x) for x in xs])", "any([(y := x) for x in xs])",
                "any([x.pop() for x in xs])", "any([x for x in xs for y in g(x)])"]:
        assert run(lazy_any_all, f"def f(xs):\n    return {bad}\n", "f") is None, bad
    shadowed = "any = print\n\n\ndef f(xs):\n    return any([x for x in xs])\n"
    assert run(lazy_any_all, shadowed, "f") is None


MEDIANS = """def medians(xs):
    window = []
    out = []
    for x in xs:
        # keep it sorted
        window.append(x)
        window.sort()  # every time
        out.append(window[len(window) // 2])
    return out
"""


def test_sorted_insert_applies_with_and_without_a_key() -> None:
    from lesson_lsp.team.rewrites import sorted_insert
    out = run(sorted_insert, MEDIANS, "medians")
    assert out is not None and out.imports == ("import bisect",)
    assert "bisect.insort(window, x)  # every time" in out.source
    assert "# keep it sorted" in out.source and ".sort()" not in out.source
    calls = [([5, 1, 4, 1, 5, 9, 2, 6],), ([],), ([2.5, 1, 2.5, 0],)]
    _same(MEDIANS, out, "medians", calls)
    keyed = MEDIANS.replace("window.sort()", "window.sort(key=abs)")
    out = run(sorted_insert, keyed, "medians")
    assert out is not None and "bisect.insort(window, x, key=abs)" in out.source
    _same(keyed, out, "medians", [([3, -3, 1, -1, 2, 0, -2],)])  # equal keys keep their order


@pytest.mark.parametrize("change", [
    ("window = []", "window = [3, 1]"),  # not sorted when the loop starts
    ("    for x in xs:", "    window = [2, 1]\n    for x in xs:"),
    ("out.append(window[", "window.pop()\n        out.append(window["),  # changed otherwise
    ("out.append(window[", "g(window)\n        out.append(window["),  # handed on
    ("out.append(window[len(window) // 2])", "out.append(window)"),  # escapes
    ("    out = []\n", "    out = []\n    f = lambda: window.clear()\n"),  # a closure
    ("window.sort()", "window.sort(reverse=True)"),
    ("window.sort()", "window.sort(key=abs)"),  # a key, but the list starts from sorted()
])
def test_sorted_insert_refuses(change: tuple[str, str]) -> None:
    from lesson_lsp.team.rewrites import sorted_insert
    source = MEDIANS.replace(*change)
    if change[1] == "window.sort(key=abs)":
        source = source.replace("window = []", "window = sorted(xs[:0])")
    assert source != MEDIANS and run(sorted_insert, source, "medians") is None


WINDOWS = """def window_sums(xs, k):
    out = []
    for i in range(len(xs) - k + 1):
        out.append(sum(xs[i:i + k]))  # window
    return out
"""


def test_prefix_sum_is_exact_for_every_slice_and_keeps_float_order() -> None:
    from lesson_lsp.team.rewrites import prefix_sum
    out = run(prefix_sum, WINDOWS, "window_sums")
    assert out is not None and out.imports == ("import itertools",)
    assert "out.append(sum_xs(i, i + k))  # window" in out.source
    _same(WINDOWS, out, "window_sums", [(xs, k) for xs in (
        [1, 2, 3, 4, 5], [], [10**20, -10**20, 1], (4, 5), [0.1, 0.2, 0.3, 1e16, -1e16],
        [True, 2], "abc") for k in range(-2, 7)])
    every = ("def every(xs):\n    out = []\n    for i in range(-len(xs) - 2, len(xs) + 2):\n"
             "        for j in range(-len(xs) - 2, len(xs) + 2):\n"
             "            out.append((sum(xs[i:j]), sum(xs[:j]), sum(xs[i:])))\n"
             "    return out\n")
    out = run(prefix_sum, every, "every")
    assert out is not None and "sum(xs[" not in out.source.split("for i in range(-len")[1]
    _same(every, out, "every", [([1, 2, 3, 4, 5],), ([],), ([7],), ((3, -4, 5),)])
    later = WINDOWS.replace("        out.append(sum(xs[i:i + k]))  # window\n",
                            "        out.append(sum(xs[i:i + k]))  # window\n"
                            "        f = lambda: sum(xs[i:i + k])\n").replace(
        "    return out", "    xs.append(100)\n    out.append(f())\n    return out").replace(
        "    out = []\n", "    out = []\n    xs = list(xs)\n")
    out = run(prefix_sum, later, "window_sums")
    assert out is not None and "f = lambda: sum(xs[i:i + k])" in out.source  # runs later
    _same(later, out, "window_sums", [([1, 2, 3], 2), ([4, 5, 6, 7], 4)])
    best = "def best(xs, k):\n    return max(sum(xs[i:i + k]) for i in range(len(xs) - k + 1))\n"
    out = run(prefix_sum, best, "best")
    assert out is not None and "max(sum_xs(i, i + k) for i in" in out.source
    _same(best, out, "best", [([3, 1, 4, 1, 5], 2), ([], 1), ([2], 1)])


@pytest.mark.parametrize("change", [
    ("out.append(sum", "xs.append(1)\n        out.append(sum"),  # the list changes
    ("out.append(sum(", "g(xs)\n        out.append(sum("),  # handed to unknown code
    ("xs[i:i + k]", "xs[i:i + k:2]"),  # a step
    ("out = []", "out = xs"),  # the output list is the input
    ("out.append(sum(", "out.sort(key=lambda v: xs.append(v))\n        out.append(sum("),
    ("out.append(sum(xs[i:i + k]))", "out.append(lambda: sum(xs[i:i + k]))"),  # runs later
    ("out.append(sum(xs[i:i + k]))", "out.append(sum(xs[i:i + k]) for _ in xs)"),
    ("    for i in", "    xs = list(xs)\n    for i in"),  # fine: rebound before the loop
])
def test_prefix_sum_refuses(change: tuple[str, str]) -> None:
    from lesson_lsp.team.rewrites import prefix_sum
    out = run(prefix_sum, WINDOWS.replace(*change), "window_sums")
    assert (out is not None) == (change[1].startswith("    xs = list")), change


TALLY = """def tally(words):
    counts = {}
    pairs = dict()
    for w in words:
        # count it
        try:
            counts[w] += 1  # seen
        except KeyError:  # new word
            counts[w] = 1
        try:
            pairs[w, len(w)].append(w)
        except KeyError:
            pairs[w, len(w)] = [w]
    return counts, pairs
"""


def test_key_check_applies_and_keeps_comments() -> None:
    from lesson_lsp.team.rewrites import key_check
    out = run(key_check, TALLY, "tally")
    assert out is not None and "try" not in out.source
    assert "if w in counts:\n            counts[w] += 1  # seen" in out.source
    assert "else:  # new word" in out.source and "# count it" in out.source
    assert "if (w, len(w)) in pairs:" in out.source
    _same(TALLY, out, "tally", [(["ab", "ab", "c"],), ([],), (["x", "", "x"],), ([["x"]],)])


@pytest.mark.parametrize("change", [
    ("counts = {}", "counts = collections.defaultdict(int)"),  # may have __missing__
    ("def tally(words):\n    counts = {}", "def tally(words, counts):\n    pass"),
    ("counts[w] += 1", "counts[w] += other[w]"),  # the value can raise KeyError itself
    ("except KeyError:  # new word", "except (KeyError, IndexError):"),
    ("counts[w] += 1  # seen", "counts[w] += 1\n            n += 1"),  # two statements
    ("except KeyError:  # new word", "except KeyError as e:"),
    ("counts[w] += 1  # seen", "counts[w.pop()] += 1"),  # the key changes something
])
def test_key_check_refuses(change: tuple[str, str]) -> None:
    from lesson_lsp.team.rewrites import key_check
    source = TALLY.replace(*change).replace("pairs[w, len(w)].append(w)", "g(w)")
    assert source != TALLY and run(key_check, source, "tally") is None


MIRROR = """def is_palindrome(text):
    # compare the ends
    for i in range(len(text)):
        if text[i] != text[len(text) - 1 - i]:
            return False
    return True
"""


# --- comments survive, for every rule ------------------------------------------------------

# One source each rule rewrites; the test below puts a comment on its own line before every
# line and at the end of every line, and the rewrite must keep all of them.
APPLIES = {
    "memoize": (FIB, "fib"),
    "linear-recurrence": (FIB, "fib"),
    "membership-set": (COMMON, "common"),
    "companion-set": ("def uniq(xs):\n    out = []\n    for x in xs:\n        if x not in out:\n"
                      "            out.append(x)\n    return out\n", "uniq"),
    "deque-queue": (BFS, "bfs"),
    "count-counter": ("def once(xs):\n    return [x for x in xs if xs.count(x) == 1]\n", "once"),
    "string-join": ('def csv(rows):\n    s = ""\n    for r in rows:\n        s += str(r)\n'
                    "    return s\n", "csv"),
    "string-join (prepend)": ('def to_base(x, b):\n    out = ""\n    while x > 0:\n'
                       "        out = str(x % b) + out\n        x //= b\n    return out\n",
                       "to_base"),
    "concat-extend": ("def flat(xss):\n    acc = []\n    for xs in xss:\n"
                      "        acc = acc + [x for x in xs]\n    return acc\n", "flat"),
    "sorted-min": ("def ends(xs):\n    return sorted(xs)[0]\n", "ends"),
    "append-comprehension": ("def squares(xs):\n    out = []\n    for x in xs:\n"
                             "        if x % 2:\n            out.append(x * x)\n    return out\n",
                             "squares"),
    "divisor-bound": (PRIME, "is_prime"),
    "membership-set (nested loop)": ("def common(xs, ys):\n    out = set()\n    for a in xs:\n"
                      "        for b in ys:\n            if a == b:\n                out.add(a)\n"
                      "    return out\n", "common"),
    "builtin-map": ("def f(s):\n    return sum(int(c) for c in str(s))\n", "f"),
    "lambda-comprehension": ("def f(xs):\n    return list(filter(lambda x: x < 0, xs))\n", "f"),
    "sum-accumulate": ("def f(words):\n    total = 0\n    for w in words:\n"
                       "        total += len(w)\n    return total\n", "f"),
    "arithmetic-range (sum)": ("def f(n):\n    return sum(range(n + 1))\n", "f"),
    "arithmetic-range (list)": ("def pile(n):\n    return [n + 2*i for i in range(n)]\n", "pile"),
    "redundant-copy": ("def f(xs):\n    return sorted(list(set(xs)))\n", "f"),
    "minmax-compare": ("def f(xs):\n    best = xs[0]\n    for x in xs:\n"
                       "        best = max(best, x)\n    return best\n", "f"),
    "slice-startswith": ("def count(s, t):\n    n = 0\n    for i in range(len(s) - len(t) + 1):\n"
                         "        if s[i:i + len(t)] == t:\n            n += 1\n    return n\n",
                         "count"),
    "keys-membership": ("def f(d, xs):\n    return [x for x in xs if x in d.keys()]\n", "f"),
    "index-loop": ("def f(s):\n    n = 0\n    for i in range(len(s)):\n"
                   "        if s[i] in 'AEIOU':\n            n += 1\n    return n\n", "f"),
    "hoist-invariant": ("def f(xs):\n    i = 0\n    best = 0\n    while i < len(xs):\n"
                        "        if xs[i] > best:\n            best = xs[i]\n        i += 1\n"
                        "    return best\n", "f"),
    "regex-compile": ('import re\n\n\ndef keys(lines):\n    out = []\n    for line in lines:\n'
                      '        m = re.match(r"(\\w+)=", line)\n        if m:\n'
                      "            out.append(m.group(1))\n    return out\n", "keys"),
    "lazy-any-all": ("def f(xs):\n    return any([\n        x > 3\n        for x in xs\n    ])\n",
                     "f"),
    "sorted-insert": (MEDIANS, "medians"),
    "prefix-sum": (WINDOWS, "window_sums"),
    "key-check": (TALLY, "tally"),
    "mirror-compare": (MIRROR, "is_palindrome"),
    "char-table": ("def f(s):\n    n = 0\n    for c in s:\n        if c in 'aeiou':\n"
                   "            n += 1\n    return n + sum(ord(c) for c in s if c.isdigit())\n",
                   "f"),
    "eager-comprehension": ("def f(tokens):\n    return ''.join(\n        t.value\n"
                            "        for t in tokens\n    )\n", "f"),
    "any-all-loop": ("def f(token, m):\n    if any(\n        token.match(*p)\n"
                     "        for p in m\n        if p\n    ):\n        return True\n"
                     "    return False\n", "f"),
    "attribute-probe": ("def f(s):\n    try:\n        s = s.decode(\n            'utf-8'\n"
                        "        )\n    except AttributeError:\n        pass\n    return s\n", "f"),
    "attribute-probe (fallback)": ("def f(G):\n    try:\n        v = G.frozen\n"
                                   "    except AttributeError:\n        v = False\n"
                                   "    return v\n", "f"),
    "constant-hoist": ("def f(t):\n    # ranks\n    ranks = {\n        int: 1,  # first\n"
                       "        str: 2,\n    }  # table\n    return ranks.get(t)\n", "f"),
    "regex-compile (outside a loop)": ("import re\n\n\ndef f(s):\n    return re.sub(\n"
                                       "        r'\\s+',\n        ' ',\n        s,\n    )\n",
                                       "f"),
}


def _commented(source: str) -> str:
    """`source` with a comment line above every line and a comment at the end of each."""
    lines = []
    for number, line in enumerate(source.splitlines()):
        if not line.strip():
            lines.append(line)
            continue
        indent = line[:len(line) - len(line.lstrip())]
        lines.append(f"{indent}# above {number}")
        lines.append(f"{line}  # end {number}")
    return "\n".join(lines) + "\n"


def test_every_rule_has_a_comment_survival_case() -> None:
    from lesson_lsp.team.rewrites import RULES
    assert {rule.name for rule in RULES} == {case.split(" (")[0] for case in APPLIES}


@pytest.mark.parametrize("rule_name", sorted(APPLIES))
def test_comments_survive(rule_name: str) -> None:
    from lesson_lsp.team.rewrites import RULES
    rule = next(r for r in RULES if r.name == rule_name.split(" (")[0])
    source, name = APPLIES[rule_name]
    commented = _commented(source)
    compile(commented, "commented", "exec")
    out = rule.apply(commented, RewriteContext(name))
    assert out is not None, f"{rule_name} no longer applies with comments around"
    kept = _comments(out.source)
    lost = [c for c in _comments(commented) if c not in kept]
    assert not lost, (rule_name, lost, out.source)


@pytest.mark.parametrize("rule_name,module_name", [
    ("memoize", "functools"), ("count-counter", "collections"), ("deque-queue", "collections"),
    ("divisor-bound", "math"), ("regex-compile", "re"), ("sorted-insert", "bisect"),
    ("prefix-sum", "itertools"),
])
def test_a_rule_that_adds_an_import_refuses_when_the_module_uses_that_name(
        rule_name: str, module_name: str) -> None:
    # The added `import …` would be rebound by the module's own top-level assignment.
    from lesson_lsp.team.rewrites import RULES
    rule = next(r for r in RULES if r.name == rule_name)
    source, name = APPLIES[rule_name]
    assert rule.apply(source, RewriteContext(name)) is not None
    shadowed = f"{module_name} = None\n\n\n" + source.replace(f"import {module_name}\n", "")
    assert rule.apply(shadowed, RewriteContext(name)) is None
