"""`lesson-lsp bench` on a small suite in the shared task format."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PYTHON

FIB = '''
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def bench_inputs():
    return [(22,), (23,)]


def hidden_inputs():
    return [(0,), (1,), (5,)]
'''

TOTAL = '''
def total(xs):
    return sum(xs)


def bench_inputs():
    return [(list(range(20000)),)]


def hidden_inputs():
    return [([],), ([1.5, 2.5],)]
'''


def suite(tmp_path: Path) -> Path:
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "t1_fib.py").write_text(FIB, encoding="utf-8")
    (folder / "t2_total.py").write_text(TOTAL, encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps({"t1_fib": "fib", "t2_total": "total"}))
    return folder


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "bench", *args],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_bench_reports_the_lessonl_table(tmp_path: Path) -> None:
    folder = suite(tmp_path)
    done = bench(str(folder), "--rounds", "1", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    totals = report["summary"]
    assert totals["tasks"] == 2 and totals["wrong_edits"] == 0
    assert totals["valid_pct"] == 100.0 and totals["correct_pct"] == 100.0
    # Both a loop (linear-recurrence) and a cache (memoize) make the recursive fib faster.
    assert totals["improved"] == 1
    assert totals["agent_hits"] == {"linear-recurrence": 1, "memoize": 1}
    assert totals["geomean_speedup"] > 2 and totals["pct_2x"] == 50.0
    tasks = {t["task"]: t for t in report["tasks"]}
    assert tasks["t1_fib"]["improved"] and not tasks["t2_total"]["improved"]
    # The shipped edit's size: lines removed plus added.
    assert tasks["t1_fib"]["lines_changed"] > 0 and tasks["t2_total"]["lines_changed"] == 0
    assert totals["max_lines_changed"] == totals["median_lines_changed"] == \
        tasks["t1_fib"]["lines_changed"]
    # The suite's files are inputs, never outputs.
    assert (folder / "t1_fib.py").read_text() == FIB


@pytest.mark.slow
def test_bench_table_and_plot(tmp_path: Path) -> None:
    folder = suite(tmp_path)
    picture = tmp_path / "speedups.png"
    done = bench(str(folder), "--rounds", "1", "--plot", str(picture))
    assert done.returncode == 0, done.stderr
    assert "lessons on" in done.stdout and "wrong edits 0" in done.stdout
    assert re.search(r"shipped edits: median \d+ lines changed, largest \d+", done.stdout)
    assert re.search(r"lessons in prompts by round: r1 \d+ in \d+ prompts", done.stdout)
    assert "agent hits (faster verdicts): linear-recurrence 1, memoize 1" in done.stdout
    assert picture.read_bytes().startswith(b"\x89PNG") and picture.stat().st_size > 5000


def test_bench_bad_suite_is_a_clear_error(tmp_path: Path) -> None:
    done = bench(str(tmp_path))
    assert done.returncode == 2 and "manifest.json" in done.stderr
