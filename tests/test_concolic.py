"""The concolic pass (harness/concolic.py): CrossHair finds inputs that sampling never hits,
stays inside its time box, and works under the worker's guard without blaming the candidate."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest

from lesson_lsp.harness import concolic
from lesson_lsp.harness.concolic import search
from tests.conftest import PYTHON

pytest.importorskip("crosshair")
SLACK_S = 0.5  # search promises budget + 0.5 s
FINDING_BUDGET_S = 8.0  # generous: a search stops at its first difference


def outcome(fn: Any, call: tuple[tuple, dict]) -> Any:
    args, kwargs = call
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        return type(exc)


def timed(original: Any, candidate: Any, calls: list, budget: float
          ) -> tuple[concolic.ConcolicResult, float]:
    started = time.perf_counter()
    result = search(original, candidate, calls, budget)
    return result, time.perf_counter() - started


def double(x: int) -> int:
    return x * 2


def double_but_one(x):
    return x * 2 if x != 987654 else 0


def test_finds_the_one_integer_that_differs() -> None:
    result, _ = timed(double, double_but_one, [], FINDING_BUDGET_S)
    assert result.status == "ok", result.detail
    assert result.found == ((987654,), {})
    assert outcome(double, result.found) != outcome(double_but_one, result.found)
    assert (result.expected, result.actual) == ("returns 1975308", "returns 0")
    assert result.explored >= 1


def test_string_types_inferred_from_the_observed_calls() -> None:
    def count_a(s):
        return s.count("a")

    def count_a_but(s):
        return -1 if len(s) > 7 and s[3] == "x" else s.count("a")

    calls: list = [(("banana",), {}), (("",), {})]
    assert concolic.plan(count_a, calls).hints == {"s": str}
    result, _ = timed(count_a, count_a_but, calls, FINDING_BUDGET_S)
    assert result.found is not None, result.detail
    (s,), kwargs = result.found
    assert type(s) is str and len(s) > 7 and s[3] == "x" and kwargs == {}
    assert outcome(count_a, result.found) != outcome(count_a_but, result.found)


def test_equivalent_functions_use_the_budget_and_no_more() -> None:
    def loop_total(xs):
        total = 0
        for x in xs:
            total += x
        return total

    def sum_total(xs):
        return sum(xs)

    trace, handler = sys.gettrace(), signal.getsignal(signal.SIGALRM)
    budget = 1.5
    result, elapsed = timed(loop_total, sum_total, [(([1, 2, 3],), {})], budget)
    assert result.status == "ok" and result.found is None, result.detail
    assert result.explored > 0 and "no difference" in result.detail
    assert elapsed <= budget + SLACK_S
    assert sys.gettrace() is trace and signal.getsignal(signal.SIGALRM) is handler


def test_a_candidate_that_never_returns_is_cut_at_the_deadline() -> None:
    def forever(x):
        while True:
            pass

    budget = 1.0
    result, elapsed = timed(double, forever, [], budget)
    assert result.status == "ok" and result.found is None, result.detail
    assert elapsed <= budget + SLACK_S
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_exceptions_count_as_behaviour() -> None:
    def hundredth(x: int) -> int:
        return 100 // x

    def hundredth_or_zero(x: int) -> int:
        return 100 // x if x else 0

    result, _ = timed(hundredth, hundredth_or_zero, [], FINDING_BUDGET_S)
    assert result.found == ((0,), {}), result.detail
    assert "ZeroDivisionError" in result.expected and result.actual == "returns 0"


class Basket:
    def __init__(self) -> None:
        self.items = [1, 2]


def test_objects_and_methods_are_unsupported() -> None:
    def size(basket):
        return len(basket.items)

    result = search(size, size, [((Basket(),), {})], 2.0)
    assert result.status == "unsupported" and "basket" in result.detail, result.detail
    result = search(Basket.__init__, Basket.__init__, [((Basket(),), {})], 2.0)
    assert result.status == "unsupported" and "self" in result.detail


def test_inferred_types_and_the_parameters_searched() -> None:
    def f(a, b=None, *, c=1, d=2):
        return a

    calls: list = [(([(1, "x")],), {"c": {"k": [1.5]}}), (([],), {"c": {}})]
    found = concolic.plan(f, calls)
    assert found.names == ["a", "c"]  # b and d keep their defaults: no call passes them
    assert found.hints == {"a": list[tuple[int, str]], "c": dict[str, list[float]]}
    assert found.call((["v"], {"k": []})) == ((["v"],), {"c": {"k": []}})

    def g(x: list[int], y):
        return x

    mixed = concolic.plan(g, [(([1], 1), {}), (([2], "s"), {}), (([3], None), {})])
    assert mixed.hints == {"x": list[int], "y": int | str | None}


def test_crosshair_missing_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "crosshair.core_and_libs", None)
    result = search(double, double_but_one, [], 1.0)
    assert result.status == "unavailable" and "import" in result.detail


GUARDED = textwrap.dedent("""
    import json, os, sys, tempfile
    from lesson_lsp.harness import concolic, guard

    assert concolic.preload() == ""  # before the guard, which refuses z3's native library
    guard.install(tempfile.mkdtemp())

    def original(x: int) -> int:
        return x * 2

    def candidate(x):
        os.environ.get("LESSON_PROBE")  # the candidate's own doing: recorded
        return x * 2 if x != 987654 else 0

    def ascending(xs):
        return sorted(xs)

    def ascending_too(xs):
        return list(reversed(sorted(xs, reverse=True)))

    with guard.acting("candidate"):  # even a caller that blames everything on the candidate
        ints = concolic.search(original, candidate, [], 8.0)
        # list[float | int]: CrossHair makes the floats lazily, inside the calls, and reads an
        # environment variable each time
        floats = concolic.search(ascending, ascending_too, [(([1.5, 2],), {})], 3.0)
    print(json.dumps({"found": ints.found, "floats": floats.status,
                      "attempts": guard.attempts()}))
""")


def test_under_the_guard_nothing_of_crosshair_is_blamed_on_the_candidate() -> None:
    done = subprocess.run([PYTHON, "-c", GUARDED], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["found"] == [[987654], {}] and seen["floats"] == "ok"
    assert seen["attempts"].get("candidate") == [["environ", "LESSON_PROBE"]]
    assert seen["attempts"].get("original", []) == []
