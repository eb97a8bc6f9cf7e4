"""Doctest examples as inputs (harness/doctests.py): what is run, what is recorded, what is
reported. Most tests replay in this process through the worker's own loading path
(`calls._load_calls`); two go through the real CLI and sandbox."""

from __future__ import annotations

import json
import subprocess
import types
from pathlib import Path
from typing import Any

import pytest

from lesson_lsp.harness import calls, sampler, worker
from lesson_lsp.harness.doctests import MARKED, Call, examples
from lesson_lsp.harness.encode import encode
from lesson_lsp.harness.inputs import declared
from lesson_lsp.harness.profile import profile
from lesson_lsp.source.candidate import to_column0
from lesson_lsp.source.extract import function_named
from lesson_lsp.workspace.config import Config
from tests.conftest import PYTHON


def load(source: str, qualname: str) -> tuple[types.ModuleType, list[Any]]:
    """The module, and the calls the worker makes of the function's examples."""
    module = types.ModuleType("subject")
    exec(compile(source, "subject.py", "exec"), module.__dict__)
    span = function_named(source, qualname)
    spec = declared(Path("subject.py"), qualname, Config(),
                    function_source=to_column0(span.source, span.indent))
    assert spec is not None
    job = {"inputs": spec.as_job(), "qualname": qualname, "module_path": "subject.py", "seed": 0}
    return module, calls._load_calls(job, module)


def plain(found: list[Any]) -> list[tuple[tuple, dict]]:
    return calls.copied(found)


def optimize(project: Path, target: str) -> dict:
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "optimize", target, "--rounds", "1",
                           "--json"], cwd=project, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


SKIPPED = '''
def size(xs):
    """
    >>> log = []
    >>> log = ["ran"]  # doctest: +SKIP
    >>> size(log)
    0
    >>> size(undefined_name)  # doctest: +SKIP
    >>> import no_such_module  # doctest: +SKIP
    """
    return len(xs)
'''


def test_examples_marked_skip_never_run() -> None:
    _, found = load(SKIPPED, "size")
    assert found == [(([],), {})]  # `log = ["ran"]` did not run, nor did the skipped call
    assert calls.notes["inputs_from"] == "doctest examples (3 of 5 skipped: 3 marked +SKIP)"
    assert [e.skip for e in examples(SKIPPED, "size")] == ["", MARKED, "", MARKED, MARKED]


FAILING = '''
def total(xs):
    """
    >>> total([1, 2])
    3
    >>> total(missing)
    >>> import no_such_module_abc
    >>> data = [4]; total(data + bogus)
    >>> total(data)
    4
    >>> total(None)
    Traceback (most recent call last):
    TypeError: 'NoneType' object is not iterable
    """
    return sum(xs)
'''


def test_a_failing_example_is_left_out_and_counted() -> None:
    _, found = load(FAILING, "total")
    # `data = [4]` ran before its example failed, as in doctest; an expected exception is no
    # failure, and its call is kept.
    assert found == [(([1, 2],), {}), (([4],), {}), ((None,), {})]
    assert calls.notes["inputs_from"] == (
        "doctest examples (3 of 6 skipped: 3 failed: NameError: name 'missing' is not defined)")


def test_no_call_left_is_an_error_naming_the_first_failure() -> None:
    source = 'def only(x):\n    """\n    >>> import math\n    >>> only(nope)\n    """\n'
    with pytest.raises(calls.WorkerError) as caught:
        load(source, "only")
    assert str(caught.value) == (
        "inputs: no doctest example could be replayed (1 of 2 skipped: 1 failed); the first "
        "failure, on line 3 of the docstring: NameError: name 'nope' is not defined")


STATEMENTS = '''
def total(xs):
    """
    >>> import math
    >>> def double(x):
    ...     return 2 * x
    >>> class Box:
    ...     size = 3
    ...
    ...     def grow(self):
    ...         return 4
    >>> acc = 0
    >>> for i in range(3):
    ...     acc += i
    >>> xs = [double(Box.size), math.floor(2.5), Box().grow()]; y = total(xs)
    >>> z = total([y, acc])
    >>> [total([k, z]) for k in range(2) if k]
    [16]
    """
    return sum(xs)
'''


def test_every_statement_runs_as_setup_and_assignments_bind() -> None:
    _, found = load(STATEMENTS, "total")
    assert found == [(([6, 2, 4],), {}), (([12, 3],), {}), (([1, 15],), {})]
    parsed = examples(STATEMENTS, "total")
    assert [s.run for e in parsed for s in e.statements] == [True] * 8 + [False]
    assert parsed[-1].statements[0].calls == (Call("([k, z],)", loop="for k in (range(2)) if (k)"),)


def test_an_expression_of_only_calls_is_not_run() -> None:
    parsed = examples("def f(x):\n    '''\n    >>> len(f(3)) + f(x=4)\n    >>> g(f(5))\n"
                      "    >>> y = f(6)\n    '''\n", "f")
    assert [e.statements[0].run for e in parsed] == [False, True, True]
    assert parsed[0].statements[0].calls == (Call("(3,)"), Call("()", "{'x': 4}"))


METHODS = '''
class Counter:
    def __init__(self, start):
        self.start = start

    def add(self, n):
        """
        >>> c = Counter(3)
        >>> c.add(2)
        5
        >>> Counter(10).add(n=1)
        11
        >>> Counter.add(c, 4)
        7
        """
        return self.start + n

    @staticmethod
    def twice(n):
        """
        >>> Counter.twice(4)
        8
        >>> Counter(1).twice(5)
        10
        """
        return 2 * n

    @classmethod
    def make(cls, n):
        """
        >>> Counter.make(2).start
        2
        """
        return cls(n)
'''


def test_method_examples_pass_their_receiver() -> None:
    module, found = load(METHODS, "Counter.add")
    target = calls.callable_target(module, "Counter.add")
    assert all(type(args[0]).__name__ == "Counter" for args, _ in found)
    assert [target(*args, **kwargs) for args, kwargs in found] == [5, 11, 7]
    # A static or class method takes no receiver: the worker calls it as `Counter.twice`.
    assert load(METHODS, "Counter.twice")[1] == [((4,), {}), ((5,), {})]
    assert load(METHODS, "Counter.make")[1] == [((2,), {})]
    span = function_named(METHODS, "Counter.add")
    assert [s.calls for e in examples(to_column0(span.source, span.indent), "add")
            for s in e.statements] == [
        (), (Call("(2,)", receiver="c"),), (Call("()", "{'n': 1}", "Counter(10)"),),
        (Call("(c, 4,)", receiver="Counter"),)]


CHUNKED = '''
def chunked(items, n):
    """
    >>> list(chunked(iter([1, 2, 3]), 2))
    [[1, 2], [3]]
    >>> list(chunked((x * x for x in range(5)), 2))
    [[0, 1], [4, 9], [16]]
    >>> list(chunked([7], 1))
    [[7]]
    """
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
'''


def test_iterator_and_generator_arguments_are_made_anew_for_every_use() -> None:
    module, found = load(CHUNKED, "chunked")
    assert [type(c).__name__ for c in found] == ["Fresh", "Fresh", "tuple"]
    target = calls.callable_target(module, "chunked")
    expected = [encode([[1, 2], [3]]), encode([[0, 1], [4, 9], [16]]), encode([[7]])]
    for _ in range(2):  # the same arguments every time: nothing was drained by looking at it
        outcomes = worker.check(target, found, {"seed": 0})["outcomes"]
        assert [o["ret"][1] for o in outcomes] == [e[1] for e in expected]
    first, second = plain(found)[:2], plain(found)[:2]
    assert first[0][0][0] is not second[0][0][0]
    # Timing and profiling make them per pass instead of copying (a generator cannot be).
    assert not sampler.Sampler(target, found, reuse=True).reusable
    sampler.measure(target, found, {"samples": 1, "min_sample_s": 0.001, "budget_s": 1.0})
    assert "cProfile" in profile(target, found, {"module_source": CHUNKED})["profile"]


def test_methods_skips_and_failures_through_the_cli(tmp_path: Path) -> None:
    (tmp_path / "counter.py").write_text('''
class Counter:
    def __init__(self, start):
        self.start = start

    def add(self, n):
        """
        >>> c = Counter(3)
        >>> c.add(2)
        5
        >>> Counter(10).add(n=1)
        11
        >>> c.add(undefined)
        >>> c.add(99)  # doctest: +SKIP
        """
        return self.start + n
''', encoding="utf-8")
    result = optimize(tmp_path, "counter.py::Counter.add")
    assert result["checked_on"]["doctests"] == 2  # and edge inputs derived from them
    assert result["inputs_from"] == ("doctest examples (2 of 5 skipped: 1 marked +SKIP, 1 "
                                     "failed: NameError: name 'undefined' is not defined)")


def test_generator_arguments_and_definitions_through_the_cli(tmp_path: Path) -> None:
    (tmp_path / "chunks.py").write_text('''
def chunked(items, n):
    """
    >>> def squares(k):
    ...     for i in range(k):
    ...         yield i * i
    >>> pieces = list(chunked(squares(5), 2)); len(pieces)
    3
    >>> sum(1 for _ in chunked(iter(range(30000)), 3))
    10000
    >>> list(chunked((c for c in "abc"), 2))
    [['a', 'b'], ['c']]
    """
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
''', encoding="utf-8")
    result = optimize(tmp_path, "chunks.py::chunked")
    assert result["inputs"] == 3 and result["inputs_from"] == "doctest examples"
