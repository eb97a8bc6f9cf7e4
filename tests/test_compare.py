"""Equivalence on encoded values: types kept apart, floats with tolerance, NaN-aware, order only
where Python says it matters, objects by class and attributes."""

from __future__ import annotations

import json
import math

from lesson_lsp.harness.compare import Tolerance, difference, outcome_difference
from lesson_lsp.harness.encode import encode

TOL = Tolerance(rel=1e-9, abs=1e-12)


def same(a: object, b: object) -> bool:
    return difference(encode(a), encode(b), TOL) is None


class Point:
    def __init__(self, x: float, y: float) -> None:
        self.x, self.y = x, y


class AlwaysEqual:
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = object.__hash__


def test_types_are_kept_apart() -> None:
    assert not same(1, 1.0) and not same(1, True) and not same([1], (1,))
    assert not same("1", 1) and same(None, None)


def test_floats_nan_and_tolerance() -> None:
    assert same(0.1 + 0.2, 0.3)
    assert not same(1.0, 1.001)
    assert same(math.nan, math.nan) and same([math.inf], [math.inf])
    assert not same(math.nan, 0.0) and not same(math.inf, -math.inf)


def test_dicts_and_sets_ignore_order_lists_do_not() -> None:
    assert same({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert same({3, 1, 2}, {1, 2, 3})
    assert not same([1, 2], [2, 1])


def test_large_dicts_of_plain_keys_ignore_order_and_keep_their_types() -> None:
    forward = {i: i * 3 for i in range(5000)}
    backward = {i: i * 3 for i in reversed(range(5000))}
    assert same(forward, backward) and encode(forward) == encode(backward)
    assert not same(forward, {**forward, 4999: 0})
    words = {str(i): i for i in range(300)}
    assert same(words, dict(reversed(list(words.items()))))
    assert not same({1: "a", 2**60: "b"}, {1: "a", 2**60 + 1: "b"})  # a big int key: exact
    assert not same({1: 1}, {True: 1}) and not same({1: 1}, {1.0: 1})
    assert same({1: 0, "1": 0, (1,): 0}, {(1,): 0, "1": 0, 1: 0})  # mixed keys: by their text


def test_objects_by_class_and_attributes_never_by_eq() -> None:
    assert same(Point(1, 2), Point(1, 2))
    assert "y" in (difference(encode(Point(1, 2)), encode(Point(1, 3)), TOL) or "")
    assert not same(AlwaysEqual(), 5)
    assert not same(5, AlwaysEqual())


def test_generators_are_consumed() -> None:
    assert same((i for i in range(3)), (i for i in range(3)))
    assert not same((i for i in range(3)), (i for i in range(4)))


def test_cycles_do_not_hang() -> None:
    a: list = [1]
    a.append(a)
    b: list = [1]
    b.append(b)
    assert same(a, b)


def test_exceptions_and_printed_output() -> None:
    raised = {"exc": ["ValueError", "bad"], "args": encode([]), "kwargs": encode({}), "out": ""}
    other = {**raised, "exc": ["KeyError", "bad"]}
    assert outcome_difference(raised, raised, TOL) is None
    assert "expected ValueError" in (outcome_difference(raised, other, TOL) or "")
    quiet = {"ret": encode(1), "args": encode([]), "kwargs": encode({}), "out": ""}
    loud = {**quiet, "out": "hello\n"}
    assert outcome_difference(quiet, loud, TOL) is None
    assert "printed output" in (outcome_difference(quiet, loud, TOL, output=True) or "")


def test_encoding_a_value_that_shares_its_parts_takes_bounded_time() -> None:
    """A type tree whose nodes are shared (like sqlparse's token types) describes itself in
    time exponential in its depth unless the description is bounded."""
    import time

    from lesson_lsp.harness.encode import MAX_NODES, encode

    class Node:
        def __init__(self, child: object) -> None:
            self.left = self.right = child

    value: object = 1
    for _ in range(40):
        value = Node(value)
    started = time.perf_counter()
    described = encode(value)
    assert time.perf_counter() - started < 30
    assert "more" in json.dumps(described) and MAX_NODES <= 10_000
    assert encode(value) == described  # the same cut every time
