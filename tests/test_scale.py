"""Larger inputs derived from tiny observed ones (harness/scale.py), and what the user is told."""

from __future__ import annotations

import base64
import json
import pickle
import random
import subprocess
import types
from collections import namedtuple
from collections.abc import Callable
from pathlib import Path

from lesson_lsp.engine.optimize import Run
from lesson_lsp.harness import scale
from lesson_lsp.harness.calls import load_inputs
from lesson_lsp.harness.inputs import InputSpec
from lesson_lsp.harness.scale import Trial, derive, describe, grow, grow_call
from lesson_lsp.harness.verify import Baseline
from lesson_lsp.source.extract import function_named
from lesson_lsp.team.loop import TeamResult
from tests.conftest import PYTHON

Point = namedtuple("Point", "x y")


class Opaque:
    """A project's object: never grown, never copied."""

    def __init__(self, items: list[int]) -> None:
        self.items = items


def grown(value: object, factor: int = 10) -> object:
    return grow(value, factor, random.Random("test"))


def test_collections_keep_their_type_and_grow_by_the_factor() -> None:
    for value in ([3, 1, 2, 3], (1, 2), {1, 2, 3}, frozenset({"a", "b"}), {"a": 1, "b": 2},
                  "ab(c)", b"\x00\x01", bytearray(b"xy")):
        bigger = grown(value)
        assert type(bigger) is type(value)
        assert len(bigger) == 10 * len(value), value
    assert grown("ab(c)") == "ab(c)" * 10  # repeated: brackets stay balanced
    assert grown([], 100) == [] and grown({}, 100) == {}  # nothing to learn kinds from


def test_new_elements_are_of_the_observed_kinds() -> None:
    ints = grown([5, 7, 5, 6], 100)
    assert all(type(x) is int and x >= 5 for x in ints)
    assert len(set(ints)) > 3  # the range widens with the size
    words = grown(["ab", "ba", "ab"])
    assert all(type(w) is str and set(w) <= {"a", "b"} for w in words)
    floats = grown([0.5, 2.25])
    assert all(type(f) is float and 0.5 <= f <= 2.25 for f in floats)
    assert grown([True, False]).count(True) > 0
    keys = grown({"k1": 1.5, "k2": 2.0})
    assert all(type(k) is str and type(v) is float for k, v in keys.items())


def test_order_and_distinctness_are_kept() -> None:
    ascending = grown([1, 4, 9], 100)
    assert ascending == sorted(ascending)
    descending = grown(["c", "b", "a"])
    assert descending == sorted(descending, reverse=True)
    distinct = grown([3, 1, 2], 100)
    assert len(set(distinct)) == len(distinct) == 300


def test_nested_structure_is_kept() -> None:
    records = grown([(1, "x"), (2, "y")])
    assert all(type(r) is tuple and len(r) == 2 and type(r[0]) is int and type(r[1]) is str
               for r in records)
    points = grown([Point(1, 2.5), Point(3, 1.5)])
    assert all(type(p) is Point and type(p.x) is int and type(p.y) is float
               for p in points)
    graph = grown({"a": [1, 2], "b": [3]})
    assert all(type(v) is list and all(type(x) is int for x in v)
               for v in graph.values())
    rows = grown([[1, 2], [3, 4]])
    assert all(type(r) is list and len(r) == 2 for r in rows)


def test_unknown_objects_are_left_alone_and_shared() -> None:
    thing = Opaque([1, 2, 3])
    assert grown(thing) is thing and thing.items == [1, 2, 3]
    many = grown([thing, Opaque([4])])
    assert len(many) == 20 and all(type(x) is Opaque for x in many)
    assert {id(x) for x in many} <= {id(thing), id(many[1])}
    args, kwargs = grow_call(((thing, 7), {"k": 3}), 100, "seed")
    assert args == (thing, 7) and args[0] is thing and kwargs == {"k": 3}


def test_growing_is_deterministic() -> None:
    call = (([1, 2, 1], "ab", {"x": 1.5}), {"names": {"p", "q"}})
    assert grow_call(call, 100, "0:100") == grow_call(call, 100, "0:100")
    assert grow_call(call, 100, "0:100") != grow_call(call, 100, "1:100")


def fake_run(behaviour: str) -> Callable[[scale.Call], Trial]:
    """A stand-in for the worker's run of the original, quadratic in the size."""
    runs = []

    def run(call: scale.Call) -> Trial:
        runs.append(call)
        n = scale.call_size(call)
        if behaviour == "raise" and n > 5:
            return Trial("ValueError", 1e-6, "")
        fingerprint = f"{n}:{len(runs)}" if behaviour == "unstable" else str(n)
        return Trial("", n * n * 1e-9, fingerprint)

    return run


def test_derive_keeps_calls_the_original_handles_within_the_caps() -> None:
    calls = [(([1, 2, 1],), {}), (("abc",), {}), ((7,), {})]
    found = derive(calls, fake_run("ok"), deadline=float("inf"))
    assert found.sources == 2  # the call with only an int has nothing to grow
    # 3 and 3 items: ×10, ×100 and ×1000 are fast enough, ×10 000 (3 s a call) is not.
    assert sorted(found.factors) == [10, 10, 100, 100, 1000, 1000]
    assert found.dropped == {"slow": 2} and set(found.kinds) == {"lists", "strings"}
    assert pickle.loads(base64.b64decode(found.payload()["pickle_b64"])) == found.calls


def test_derive_drops_calls_that_raise_or_differ_or_cannot_be_pickled() -> None:
    calls = [(([1, 2, 1],), {})]
    raised = derive(calls, fake_run("raise"), float("inf"))
    assert raised.calls == [] and raised.dropped == {"raised": 1}
    unstable = derive(calls, fake_run("unstable"), float("inf"))
    assert unstable.calls == [] and unstable.dropped == {"unstable": 1}
    unpicklable = derive([(([lambda: 1],), {})], fake_run("ok"), float("inf"))
    assert unpicklable.calls == [] and unpicklable.dropped == {"unpicklable": 1}


def test_derived_calls_are_the_timed_ones(tmp_path: Path) -> None:
    larger = [(([1, 2, 3, 4],), {}), (([5, 6],), {})]
    (tmp_path / "derived.pickle").write_bytes(pickle.dumps(larger))
    (tmp_path / "captured.pickle").write_bytes(pickle.dumps(
        {"functions": {"f": [pickle.dumps((([1, 2],), {}))]}, "meta": {}}))
    job = {"qualname": "f", "inputs": {"pickle": str(tmp_path / "captured.pickle"),
                                       "derived": str(tmp_path / "derived.pickle")}, "seed": 0}
    calls, hidden = load_inputs(job, types.ModuleType("m"))
    assert calls == [(([1, 2],), {}), *larger]
    assert hidden == [True, False, False]  # the tiny observed call is checked, not timed


def test_named_or_generated_inputs_are_never_grown() -> None:
    assert InputSpec("g.py", "inputs", "--inputs").named
    assert InputSpec("g.py", "", "hyp", hypothesis=40).named
    assert InputSpec("g.py", "main", "bench", hidden="hidden_inputs").named
    assert not InputSpec("m.py", "", "doctest examples", (("call", "((1,), {})"),)).named
    assert not InputSpec("m.py", "", "captured", pickle="calls.pickle").named


def test_what_was_timed_is_said() -> None:
    assert describe(3, 2e-3, None) == "timed on 3 inputs (2 ms a call)"
    found = {"kept": 6, "factors": [10, 100, 1000, 10, 100, 1000], "kinds": ["lists"],
             "sources": 2, "dropped": {}}
    assert describe(2, 4e-6, found) == (
        "timed on 6 inputs derived from the 2 observed ones (lists grown ×10 to ×1000): the "
        "observed ones take 4 µs a call, too little to measure")
    assert describe(2, 4e-6, {"kept": 0, "dropped": {"raised": 2}}) == (
        "timed on 2 tiny inputs (4 µs a call): a gain at scale may not show; no larger inputs "
        "could be derived (the original raised on them)")
    assert describe(1, 4e-6, None, "from a named generator") == (
        "timed on 1 tiny input (4 µs a call, from a named generator): a gain at scale may not "
        "show")
    source = "def f(xs):\n    return xs\n"
    base = Baseline([], 0.0, 4, "", held_out=1, timed_on=describe(2, 4e-6, found))
    run = Run("m.py", function_named(source, "f"), TeamResult(base), None, "doctest examples")
    assert "Timed on 6 inputs derived from the 2 observed ones" in run.markdown()
    assert run.as_json(False)["timed_on"] == base.timed_on


def optimize(project: Path, target: str) -> dict:
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "optimize", target, "--rounds", "1",
                           "--json"], cwd=project, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_tiny_doctest_gets_derived_inputs(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text(
        'def dedupe(xs):\n    """Items of xs in order, each once.\n\n'
        '    >>> dedupe([1, 2, 1])\n    [1, 2]\n    """\n'
        "    out = []\n    for x in xs:\n        if x not in out:\n            out.append(x)\n"
        "    return out\n", encoding="utf-8")
    result = optimize(tmp_path, "mod.py::dedupe")
    assert result["inputs_from"] == "doctest examples"
    # The example and the edge inputs derived from it: checked, not timed.
    checked = result["checked_on"]
    assert result["held_out"] == checked["doctests"] + checked["derived"] and \
        checked["doctests"] == 1
    timed = result["inputs"] - result["held_out"]
    assert timed > 1 and result["timed_on"].startswith(
        f"timed on {timed} inputs derived from the 1 observed one (lists grown ×10")
    assert "too little to measure" in result["timed_on"]


def test_nothing_derived_when_the_original_raises_on_larger_inputs(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text(
        'def small_sum(xs):\n    """At most five numbers.\n\n'
        '    >>> small_sum([3, 1, 2])\n    6\n    """\n'
        "    if len(xs) > 5:\n        raise ValueError('at most five')\n"
        "    t = 0\n    for x in xs:\n        t += x\n    return t\n", encoding="utf-8")
    result = optimize(tmp_path, "mod.py::small_sum")
    assert result["inputs"] - result["held_out"] == 1  # the edge inputs are checked only
    assert result["timed_on"].startswith("timed on 1 tiny input (")
    assert result["timed_on"].endswith("a gain at scale may not show; no larger inputs could be "
                                       "derived (the original raised on them)")
