"""Edge inputs derived from observed calls (harness/edges.py): the values where rewrites break."""

from __future__ import annotations

import copy
import math
import time
from collections import namedtuple
from typing import Any

from lesson_lsp.harness.edges import BIG, MAX_CHARS, MAX_ITEMS, constants, mutants

Call = tuple[tuple, dict]
Point = namedtuple("Point", "x y")


def firsts(found: list[Call]) -> list[Any]:
    """The first argument of each single-argument mutant."""
    return [args[0] for args, kwargs in found if len(args) == 1 and not kwargs]


def test_ints_reach_the_classic_edges_and_the_observed_neighbours() -> None:
    values = firsts(mutants([((101,), {}), ((1009,), {})]))
    assert values[:4] == [0, 1, 2, -1]  # first: the limit cuts the tail
    assert {100, 102, 1008, 1010, -101} <= set(values)
    assert all(type(v) is int for v in values)  # no floats where none were observed
    assert max(abs(v) for v in values) <= 2 * 1009 + 10  # magnitudes stay near the observed
    assert 101 not in values and 1009 not in values  # never an observed call again
    assert 7 not in values


def test_constants_add_their_neighbours() -> None:
    values = firsts(mutants([((101,), {}), ((1009,), {})], [2, 6]))
    assert {1, 2, 3, 5, 6, 7} <= set(values)
    far = firsts(mutants([((3,), {})], [10**9 + 7]))  # a constant is taken however large
    assert {10**9 + 6, 10**9 + 7, 10**9 + 8} <= set(far)


def test_lists_shrink_reverse_sort_and_duplicate() -> None:
    lists = firsts(mutants([(([3, 1, 2],), {})]))
    for expected in ([], [3], [3, 1], [2, 1, 3], [1, 2, 3], [3, 3, 1, 2], [0, 1, 2], [3, 1, 0]):
        assert expected in lists, expected
    assert lists.index([]) < lists.index([0, 1, 2])  # structural edges first
    borrowed = firsts(mutants([(([3, 1],), {}), (([7],), {})]))
    assert [3, 1, 7] in borrowed  # an item of another observed call's list
    tuples = firsts(mutants([(((1, 2),), {})]))
    assert () in tuples and (2, 1) in tuples and all(type(t) is tuple for t in tuples)
    points = firsts(mutants([((Point(3, 4),), {})]))
    assert Point(0, 4) in points and all(type(p) is Point for p in points)


def test_strings_get_empty_one_char_case_and_non_ascii() -> None:
    texts = firsts(mutants([(("hello",), {})], [",", 3]))
    assert texts[:2] == ["", "h"]
    for expected in (",", "HELLO", "olleh", "hell", "ello", "hhello", "hello,", "heéllo"):
        assert expected in texts, expected
    assert any(any(ord(c) > 0xFFFF for c in t) for t in texts)  # an emoji
    blobs = firsts(mutants([((b"ab",), {})]))
    assert b"" in blobs and b"AB" in blobs and all(type(b) is bytes for b in blobs)


def test_floats_dicts_sets_bools() -> None:
    floats = firsts(mutants([((2.5,), {})], [0.5]))
    assert any(math.isnan(f) for f in floats) and math.inf in floats
    assert any(f == 0 and math.copysign(1, f) < 0 for f in floats)  # -0.0 is its own edge
    assert {1.5, 3.5, 0.5} <= set(floats)
    dicts = firsts(mutants([(({"a": 1, "b": 2},), {}), (({"c": 3},), {})], ["key"]))
    assert {} in dicts and {"a": 1} in dicts and {"b": 2} in dicts
    assert {"a": 1, "b": 2, "key": 1} in dicts and {"a": 1, "b": 2, "c": 1} in dicts
    sets = firsts(mutants([(({1, 2},), {}), ((frozenset({5}),), {})]))
    assert set() in sets and {1} in sets and {1, 2, 5} not in sets  # types kept apart
    assert frozenset() in sets and frozenset({0, 5}) in sets  # an item's edge added
    assert firsts(mutants([((True,), {})])) == [False]
    assert mutants([((None,), {})]) == []


def test_several_arguments_move_one_at_a_time_then_all_together() -> None:
    found = mutants([(("ab", 3), {"sep": ","})], [","])
    assert (("", 3), {"sep": ","}) in found and (("ab", 0), {"sep": ","}) in found
    assert (("ab", 3), {"sep": ""}) in found
    assert (("", 0), {"sep": ""}) in found  # all at their smallest
    assert all(len(args) == 2 and set(kwargs) == {"sep"} for args, kwargs in found)
    changed = [sum(a != b for a, b in zip((*args, kwargs["sep"]), ("ab", 3, ",")))
               for args, kwargs in found]
    assert changed.count(1) >= len(changed) - 2


def test_limit_order_and_determinism() -> None:
    calls = [((list(range(i, i + 5)), i), {}) for i in range(40)]
    first = mutants(calls, [2, 6], limit=50, seed=3)
    assert len(first) == 50
    assert repr(first) == repr(mutants(calls, [2, 6], limit=50, seed=3))
    assert repr(mutants(calls, limit=20)) == repr(mutants(calls, limit=200)[:20])
    assert not {repr(c) for c in calls} & {repr(m) for m in mutants(calls, limit=500)}


def test_a_huge_list_gives_few_small_mutants() -> None:
    huge = list(range(1_000_000))
    started = time.perf_counter()
    found = mutants([((huge, 5), {}), ((["x" * 3_000_000], 1), {})])
    assert time.perf_counter() - started < 2.0
    lengths = [len(args[0]) for args, _ in found]
    assert max(lengths) <= BIG and sum(lengths) <= MAX_ITEMS
    assert sum(len(s) for args, _ in found for s in args[0] if type(s) is str) <= MAX_CHARS
    assert ([], 5) in [args for args, _ in found]


def test_the_observed_calls_are_left_untouched() -> None:
    calls: list[Call] = [(([[1, 2], [3]], {"k": [4]}), {"opt": {5, 6}})]
    before = copy.deepcopy(calls)
    found = mutants(calls)
    assert calls == before
    for args, kwargs in found:  # mutating every mutant leaves the observed call as it was
        for value in (*args, *kwargs.values()):
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, list):
                        item.append(99)
                value.append(0)
            elif isinstance(value, (dict, set)):
                value.clear()
    assert calls == before


class Weird:
    """A project object that refuses to be shown, compared or hashed."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no eq")

    __hash__ = None  # type: ignore[assignment]


class Uncopyable:
    def __deepcopy__(self, memo: dict) -> Uncopyable:
        raise TypeError("no copies")


class Unwalkable(list):
    """A project's list that cannot be iterated."""

    def __iter__(self) -> Any:
        raise RuntimeError("no iter")


def test_weird_objects_are_kept_or_skipped_never_raised_on() -> None:
    weird = Weird()
    found = mutants([((weird, 3), {}), (([Weird(), 1, Weird()],), {}), (({"k": Weird()},), {}),
                     ((Uncopyable(), 2), {}), (([Uncopyable(), 1],), {}),
                     ((Unwalkable([1]), 4), {})])
    assert any(args[1:] == (0,) and type(args[0]) is Weird for args, _ in found)
    assert all(args[0] is not weird for args, _ in found)  # copies, not the caller's object
    assert all(type(args[0]) is not Uncopyable for args, _ in found)
    assert any(type(args[0]) is list and not args[0] for args, _ in found)
    assert constants("def f(:\n  pass") == [] and mutants([]) == []


def test_constants_of_a_source() -> None:
    source = '''
    def is_prime(n, sep=","):
        """Docstring with 42 in it."""
        if n < 2 or n == -1 or flag is True:
            return 2.5
        for d in range(2, n):
            if n % d == 0 and sep != b"x":
                return False
        return None
    '''
    assert constants(source) == [",", 2, -1, 2.5, 0, b"x"]
    assert constants("x = 1\ny = 1.0\nz = 1") == [1, 1.0]
    method = "    def f(self):\n        s = '''\nraw\n'''\n        return self.n > 3\n"
    assert constants(method) == ["\nraw\n", 3]
