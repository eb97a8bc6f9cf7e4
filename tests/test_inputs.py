"""Inputs found without a generator: doctest examples, the project's pytest tests, type hints."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from lesson_lsp.harness.doctests import Call
from lesson_lsp.harness.inputs import doctest_steps, fully_typed, has_tests
from tests.conftest import PYTHON


def optimize(project: Path, target: str) -> dict:
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "optimize", target, "--rounds", "1",
                           "--json"], cwd=project, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_doctest_steps_keep_setup_and_find_nested_calls() -> None:
    source = '''def f(xs, k=1):
    """
    >>> data = [3, 1, 2]
    >>> f(data)
    [1, 2, 3]
    >>> len(f(data, k=2))
    3
    >>> print("no call here")
    no call here
    """
'''
    steps = doctest_steps(source, "f")
    assert [[(s.code, s.run, s.calls) for s in e.statements] for e in steps] == [
        [("data = [3, 1, 2]\n", True, ())],
        [("f(data)\n", False, (Call("(data,)"),))],
        [("len(f(data, k=2))\n", False, (Call("(data,)", "{'k': 2}"),))],
        [('print("no call here")\n', True, ())],
    ]
    assert doctest_steps("def f(x):\n    return x\n", "f") == ()


def test_fully_typed() -> None:
    assert fully_typed("def f(xs: list[int], k: int = 3) -> int:\n    pass\n")
    assert fully_typed("def f(self, n: int):\n    pass\n")
    assert not fully_typed("def f(xs, k: int):\n    pass\n")
    assert not fully_typed("def f(*args: int):\n    pass\n")
    assert not fully_typed("def f():\n    pass\n")


@pytest.mark.slow
def test_inputs_from_the_projects_pytest_tests(tmp_path: Path) -> None:
    (tmp_path / "lib.py").write_text(
        "def common(xs, ys):\n    n = 0\n    for x in xs:\n        if x in ys:\n"
        "            n += 1\n    return n\n", encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_lib.py").write_text(
        "from lib import common\n\n"
        "def test_small():\n    assert common([1, 2], [2]) == 1\n\n"
        "def test_big():\n    xs = list(range(0, 6000, 2))\n    ys = list(range(0, 6000, 3))\n"
        "    assert common(xs, ys) == 1000\n", encoding="utf-8")
    assert has_tests(tmp_path)
    result = optimize(tmp_path, "lib.py::common")
    assert result["inputs_from"].startswith(
        "2 calls captured from the project's tests (2 tests ran: 2 passed, ")
    assert result["improved"]
    # The tests ran in the sandbox, and the captured calls are kept in the cache: nothing was
    # written into the project.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lib.py", "tests"]


def test_inputs_from_type_hints(tmp_path: Path) -> None:
    (tmp_path / "typed.py").write_text(
        "def count_pairs(xs: list[int], target: int) -> int:\n"
        "    return sum(1 for i in range(len(xs)) for j in range(i + 1, len(xs))\n"
        "               if xs[i] + xs[j] == target)\n", encoding="utf-8")
    result = optimize(tmp_path, "typed.py::count_pairs")
    assert result["inputs_from"] == "type hints (hypothesis)"
    assert result["inputs"] >= 20 and result["held_out"] > 0


def test_inputs_from_doctests(tmp_path: Path) -> None:
    (tmp_path / "doc.py").write_text(
        'def total(xs):\n    """\n    >>> total([1, 2, 3])\n    6\n    """\n'
        "    t = 0\n    for x in xs:\n        t += x\n    return t\n", encoding="utf-8")
    result = optimize(tmp_path, "doc.py::total")
    assert result["inputs_from"] == "doctest examples"
    # The one example is tiny: it is checked, and lists grown from it are timed (test_scale).
    assert "derived from the 1 observed one" in result["timed_on"]
    # Checked on the example and on edge inputs derived from it; none of them is timed.
    assert result["checked_on"]["doctests"] == 1 and result["checked_on"]["derived"] > 3
    assert result["held_out"] == 1 + result["checked_on"]["derived"]


def test_a_timing_source_whose_every_call_raises_is_refused_though_others_return(
        tmp_path: Path) -> None:
    """Timed on a generator whose calls all raise, checked on doctests that return: its timing
    would be the time of raising, so it is refused with what raised."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n", encoding="utf-8")
    (tmp_path / "mod.py").write_text(
        'def tenth(x):\n    """\n    >>> tenth(5)\n    2\n    """\n    return 10 // x\n\n\n'
        "def zeros():\n    return [(0,), (0,), (0,)]\n", encoding="utf-8")
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "optimize", "mod.py::tenth",
                           "--inputs", "mod.py::zeros"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "raised on every input it would be timed on, though it returned on others (first: " \
        "ZeroDivisionError" in done.stderr
