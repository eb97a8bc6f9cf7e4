"""Async functions are timed by awaiting them: each call's coroutine runs to completion (an async
generator is drained) on an event loop made per sample outside the clock, and the verdict says
so. End to end through the CLI, in real sandbox subprocesses."""

from __future__ import annotations

import json
import subprocess
import warnings
from pathlib import Path

import pytest

from lesson_lsp.engine.optimize import Run
from lesson_lsp.harness import sampler
from lesson_lsp.harness.verdicts import Baseline
from lesson_lsp.source.extract import function_named
from lesson_lsp.team.loop import TeamResult
from tests.conftest import PYTHON, verify

AWAITING = "each call awaited to completion on an event loop made per sample"

MODULE = '''import asyncio


async def common(xs, ys):
    out = []
    for i, x in enumerate(xs):
        if x in ys:
            out.append(x)
        if i % 500 == 0:
            await asyncio.sleep(0)
    return out


async def even_common(xs, ys):
    for i, x in enumerate(xs):
        if x in ys and x % 2 == 0:
            yield x
        if i % 500 == 0:
            await asyncio.sleep(0)


def sync_common(xs, ys):
    out = []
    for x in xs:
        if x in ys:
            out.append(x)
    return out


def inputs():
    return [(list(range(2000)), list(range(1000, 3000)))]
'''

SET_ONCE = '''import asyncio


async def common(xs, ys):
    out = []
    ys_set = set(ys)
    for i, x in enumerate(xs):
        if x in ys_set:
            out.append(x)
        if i % 500 == 0:
            await asyncio.sleep(0)
    return out
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "amod.py").write_text(MODULE, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        "[tool.lesson-lsp]\nrounds = 2\n\n[tool.lesson-lsp.harness]\ntimeout_s = 30\n",
        encoding="utf-8")
    return tmp_path


def test_an_async_function_is_timed_by_awaiting_it(project: Path) -> None:
    result = verify(project, SET_ONCE, "amod.py::common", "--inputs", "amod.py::inputs")
    assert result["verdict"] == "faster", result
    assert result["speedup"] > 5
    assert AWAITING in result["timed_on"] and "(loop creation not timed)" in result["timed_on"]
    # A pass is 2,000 list scans (tens of ms), not the microsecond of making a coroutine; the
    # candidate still builds a set and walks 2,000 items.
    assert result["original_s"] > 2e-3
    assert result["candidate_s"] > 2e-5


@pytest.mark.slow
def test_optimize_ships_the_membership_set_rewrite_of_an_async_function(project: Path) -> None:
    done = subprocess.run(
        [PYTHON, "-m", "lesson_lsp.cli", "optimize", "amod.py::common", "--inputs",
         "amod.py::inputs", "--json"],
        cwd=project, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["improved"], result["lessons"]
    assert result["final"]["agent"] == "membership-set"
    assert result["speedup"] > 5 and result["original_s"] > 2e-3
    assert result["awaited"] is True and AWAITING in result["timed_on"]
    # The hover prints the same account of the timing.
    base = Baseline([], 0.0, 1, "", timed_on=result["timed_on"], awaited=True)
    run = Run("amod.py", function_named(MODULE, "common"), TeamResult(base), None, "generator")
    assert AWAITING in run.markdown()
    assert run.as_json(False)["awaited"] is True


@pytest.mark.slow
def test_an_async_generator_is_drained_when_timed_and_checked(project: Path) -> None:
    faster = MODULE.replace("        if x in ys and x % 2 == 0:",
                            "        if x % 2 == 0 and x in ys_set:").replace(
        "    for i, x in enumerate(xs):\n        if x % 2",
        "    ys_set = set(ys)\n    for i, x in enumerate(xs):\n        if x % 2")
    assert "ys_set = set(ys)" in faster
    result = verify(project, faster, "amod.py::even_common", "--inputs", "amod.py::inputs")
    assert result["verdict"] == "faster", result
    assert result["speedup"] > 5 and result["original_s"] > 2e-3
    assert AWAITING in result["timed_on"]
    wrong = MODULE.replace("            yield x\n", "            yield x if x != 1500 else -1\n")
    result = verify(project, wrong, "amod.py::even_common", "--inputs", "amod.py::inputs")
    assert result["verdict"] == "incorrect", result
    assert "expected 1500, got -1" in result["detail"]


def test_a_sync_function_is_timed_as_before(project: Path) -> None:
    candidate = ("def sync_common(xs, ys):\n    ys = set(ys)\n"
                 "    return [x for x in xs if x in ys]\n")
    result = verify(project, candidate, "amod.py::sync_common", "--inputs", "amod.py::inputs")
    assert result["verdict"] == "faster", result
    assert result["speedup"] > 5 and result["original_s"] > 2e-3
    assert "awaited" not in result["timed_on"]


def test_a_sync_wrapper_returning_a_coroutine_is_awaited_too() -> None:
    """Found by its first pass (closed, never run), then timed awaiting it; no coroutine is
    left un-awaited, and the no-op's loop cost is taken off."""
    namespace: dict = {}
    exec(MODULE, namespace)
    common = namespace["common"]

    def wrapper(xs, ys):  # type: ignore[no-untyped-def]
        return common(xs, ys)  # no functools.wraps: nothing says it is async but its value

    async def tiny(x):  # type: ignore[no-untyped-def]
        return x

    calls = [((list(range(2000)), list(range(1000, 3000))), {})]
    job = {"samples": 2, "min_sample_s": 0.005, "budget_s": 2.0, "reuse_args": True}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for target in (common, wrapper):
            found = sampler.measure(target, calls, job)
            assert found["awaited"] is True
            assert min(found["samples"]) > 2e-3  # the body ran: 2,000 list scans
        found = sampler.measure(tiny, [((1,), {})] * 10, job)
        # Ten awaited calls that do nothing cost about what the async no-op's do.
        assert found["awaited"] is True and min(found["samples"]) < 50e-6
        assert sampler.measure(len, [(([1],), {})], job)["awaited"] is False


def test_a_candidate_that_drops_async_is_incorrect(project: Path) -> None:
    """Same values to a check that awaits, but every caller that awaits it would break."""
    candidate = ("def common(xs, ys):\n    ys = set(ys)\n    return [x for x in xs if x in ys]\n")
    result = verify(project, candidate, "amod.py::common", "--inputs", "amod.py::inputs")
    assert result["verdict"] == "incorrect", result
    assert "the original returns a coroutine" in result["detail"], result
