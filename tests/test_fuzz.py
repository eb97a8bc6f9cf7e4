"""Differential fuzzing (harness/fuzz.py): real originals and wrong-at-the-edge candidates."""

from __future__ import annotations

import inspect
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from lesson_lsp.harness.fuzz import FuzzResult, search, strategy

Call = tuple[tuple, dict]


def differ(original: Callable[..., Any], candidate: Callable[..., Any]
           ) -> Callable[[Call], str | None]:
    """What the verifier's `differs` does, without the sandbox: both outcomes compared."""

    def outcome(function: Callable[..., Any], call: Call) -> tuple[str, Any]:
        try:
            return "returned", function(*call[0], **call[1])
        except Exception as exc:
            return "raised", type(exc).__name__

    def differs(call: Call) -> str | None:
        expected, actual = outcome(original, call), outcome(candidate, call)
        return None if expected == actual else f"{expected} != {actual}"

    return differs


def is_prime(n: int) -> bool:
    if n < 2:
        return False
    return all(n % d for d in range(2, n))


def is_prime_odd_only(n: int) -> bool:  # an LLM's rewrite: forgets that 2 is prime
    if n < 3 or n % 2 == 0:
        return False
    return all(n % d for d in range(3, int(n**0.5) + 1, 2))


def is_prime_fast(n: int) -> bool:
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    return all(n % d for d in range(3, int(n**0.5) + 1, 2))


def first_or_none(items: list[int]) -> int | None:
    for item in items:
        return item
    return None


def first_or_none_indexed(items: list[int]) -> int | None:  # wrong only for []
    return items[0]


def doubled(n: int) -> int:
    return 2 * n


def doubled_below_5000(n: int) -> int:  # a "fast path" wrong beyond what was observed
    return 2 * n if n <= 5000 else 2 * n + 1


def test_a_candidate_wrong_for_2_is_found_and_shrunk() -> None:
    found = search(differ(is_prime, is_prime_odd_only), [((97,), {}), ((7919,), {})])
    assert found.status == "ok" and found.found == ((2,), {})
    assert found.detail == "('returned', True) != ('returned', False)"
    assert 1 <= found.tried < 2000


def test_a_candidate_wrong_for_the_empty_list_is_found_and_shrunk() -> None:
    calls: list[Call] = [(([3, 1, 2],), {}), (([7, 5],), {})]
    found = search(differ(first_or_none, first_or_none_indexed), calls)
    assert found.found == (([],), {})
    assert "IndexError" in found.detail


def test_widening_reaches_inputs_the_observed_range_does_not() -> None:
    calls: list[Call] = [((3,), {}), ((17,), {}), ((40,), {})]
    differs = differ(doubled, doubled_below_5000)
    near = search(differs, calls, budget_s=0.5)
    assert near.status == "ok" and near.found is None and near.tried > 0
    far = search(differs, calls, budget_s=0.5, widen=2)
    assert far.found == ((5001,), {})  # shrunk to the first one past the edge


def test_equivalent_functions_give_nothing_within_the_time_box() -> None:
    started = time.perf_counter()
    found = search(differ(is_prime, is_prime_fast), [((97,), {}), ((7919,), {})],
                   budget_s=0.4)
    elapsed = time.perf_counter() - started
    assert found == FuzzResult(found.tried, None, found.detail, "ok")
    assert found.tried > 20 and f"{found.tried} inputs in" in found.detail
    assert elapsed < 0.4 + 1.0  # the last call, hypothesis winding down, a busy machine


def test_a_slow_differs_is_stopped_and_shrinking_is_bounded() -> None:
    def slow(call: Call) -> str | None:
        time.sleep(0.02)
        items = call[0][0]
        return "sum over 10" if len(items) > 2 and sum(items) > 10 else None

    started = time.perf_counter()
    found = search(slow, [(([30, 1, 2, 5, 8, 20],), {})], budget_s=0.3)
    assert time.perf_counter() - started < 2 * 0.3 + 1.0  # a busy machine
    assert found.found is not None and found.detail == "sum over 10"
    assert len(found.found[0][0]) == 3  # shrunk (as far as the time allowed)
    nothing = search(lambda call: time.sleep(0.05), [((5,), {})], budget_s=0.2)
    assert nothing.found is None and nothing.tried <= 6


def test_hypothesis_unavailable_and_nothing_to_go_by(monkeypatch: pytest.MonkeyPatch) -> None:
    assert search(lambda call: None, []).status.startswith("unavailable: no observed calls")
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # `import hypothesis` fails
    found = search(lambda call: "differs", [((1,), {})])
    assert found.status.startswith("unavailable: hypothesis cannot be imported")
    assert found.found is None and found.tried == 0


def test_a_differs_that_raises_does_not_escape() -> None:
    def broken(call: Call) -> str | None:
        raise RuntimeError("the caller's bug")

    # A budget hypothesis's own start fits in on a busy machine (0.2 s drew nothing there).
    found = search(broken, [((5,), {})], budget_s=2.0)
    assert found.status == "ok" and found.found is None and "RuntimeError" in found.detail


def draws(calls: list[Call], count: int = 150, **options: Any) -> list[Call]:
    drawn: list[Call] = []

    @settings(database=None, derandomize=True, max_examples=count, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy(calls, **options))
    def collect(call: Call) -> None:
        drawn.append(call)

    collect()
    return drawn


def test_draws_follow_the_observed_types_ranges_and_sizes() -> None:
    calls: list[Call] = [((["ab", "b"], 12, 1.5), {"flag": True}),
                         ((["ba"], 30, 2.0), {"flag": False})]
    drawn = draws(calls, count=100)
    for args, kwargs in drawn:
        words, n, x = args
        assert type(words) is list and all(type(w) is str for w in words) and len(words) <= 2
        assert type(n) is int and -3 <= n <= 30 and type(x) is float
        assert set(kwargs) == {"flag"} and type(kwargs["flag"]) is bool
    assert {0, 1, 2} <= {args[1] for args, _ in drawn}  # the classic edges, drawn often
    assert any(words == [] for (words, _, _), _ in drawn)
    assert any(any(ord(c) > 127 for w in args[0] for c in w) for args, _ in drawn)
    wide = draws(calls, widen=1)
    assert max(len(args[0]) for args, _ in wide) > 2 and max(args[1] for args, _ in wide) > 30


class Opaque:
    """A project's object: drawn from the observed ones, as copies."""

    def __init__(self, value: int) -> None:
        self.value = value


def test_hints_decide_types_and_objects_are_copied() -> None:
    signature = inspect.signature(lambda items, scale=1.0, *, label=None: None)
    hinted = draws([], hints={"items": list[int], "label": str | None}, signature=signature)
    assert all(len(args) == 1 and type(args[0]) is list and set(kwargs) == {"label"}
               for args, kwargs in hinted)
    assert {type(kwargs["label"]) for _, kwargs in hinted} == {str, type(None)}
    over = draws([(("7",), {})], hints={"n": int}, signature=inspect.signature(lambda n: n))
    assert {type(args[0]) for args, _ in over} == {int}  # the hint wins over the observed
    seen = Opaque(3)
    objects = draws([((seen, (1, "a")), {})], count=20)
    assert all(type(args[0]) is Opaque and args[0] is not seen for args, _ in objects)
    assert all(type(args[1]) is tuple and len(args[1]) == 2 for args, _ in objects)
