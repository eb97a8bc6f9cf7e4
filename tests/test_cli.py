"""`lesson-lsp optimize` end to end, in real subprocesses, on a copy of the bundled example."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import PYTHON, team


def cli(project: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "lesson_lsp.cli", *args], cwd=project,
                          capture_output=True, text=True, timeout=timeout)


def test_fib_becomes_10x_faster_and_apply_writes_a_working_file(project: Path) -> None:
    with open(project / "pyproject.toml", "a", encoding="utf-8") as handle:
        handle.write(team("memoize"))  # the rewrite that adds an import
    done = cli(project, "optimize", "slow.py::fib", "--apply", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["improved"] and result["applied"]
    assert result["speedup"] >= 10
    assert result["lessons"] and result["lessons"][0]["agent"] == "memoize"
    written = (project / "slow.py").read_text(encoding="utf-8")
    assert "import functools" in written and "@functools.cache" in written
    check = subprocess.run(
        [PYTHON, "-c", "import slow; assert [slow.fib(i) for i in range(12)] == "
                       "[0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89]; print(slow.fib(90))"],
        cwd=project, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == "2880067194370816120"


def test_dry_run_prints_a_diff_and_leaves_the_file(project: Path) -> None:
    before = (project / "slow.py").read_bytes()
    done = cli(project, "optimize", "slow.py::Grid.total", "--inputs", "slow.py::grid_inputs")
    assert done.returncode == 0, done.stderr
    assert "+        wanted_set = set(wanted) if wanted.__class__ in (list, tuple) else wanted" \
        in done.stdout
    assert "× faster" in done.stdout and "Lessons:" in done.stdout
    assert (project / "slow.py").read_bytes() == before


def test_nothing_to_improve_leaves_the_file_and_says_so(project: Path) -> None:
    before = (project / "slow.py").read_bytes()
    done = cli(project, "optimize", "slow.py::already_fast", "--apply")
    assert done.returncode == 0, done.stderr
    assert "no faster verified version" in done.stdout
    assert (project / "slow.py").read_bytes() == before


@pytest.mark.slow
def test_bad_input_is_exit_2_with_one_line(project: Path) -> None:
    cases = [
        (["optimize", "slow.py::nope"], "no function named `nope`"),
        (["optimize", "missing.py::fib"], "no such file"),
        (["optimize", "slow.py::fib", "--inputs", "slow.py::not_there"], "no callable"),
        (["optimize", "slow.py::fib", "--inputs", "slow.py"], "FILE::NAME"),
        (["optimize", "slow.py::fib", "--inputs", "raising.py::gen"], "raised ValueError"),
        (["optimize", "slow.py::fib", "--inputs", "raising.py::wrong"], "raised on every input"),
        (["optimize", "broken.py::f"], "does not parse"),
        (["optimize", "slow.py::count_common"], "no inputs for `count_common`"),
    ]
    (project / "raising.py").write_text(
        "def gen():\n    raise ValueError('boom')\n\ndef wrong():\n    return [('x',)]\n",
        encoding="utf-8")
    (project / "broken.py").write_text("def f(:\n    return 1\n", encoding="utf-8")
    (project / "pyproject.toml").write_text("[tool.lesson-lsp]\nrounds = 1\n", encoding="utf-8")
    before = (project / "slow.py").read_bytes()
    for args, message in cases:
        done = cli(project, *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        errors = [ln for ln in done.stderr.splitlines() if ln.startswith("lesson-lsp:")]
        assert len(errors) == 1 and message in errors[0], (args, done.stderr)
    assert (project / "slow.py").read_bytes() == before


@pytest.mark.slow
def test_file_changed_on_disk_during_the_run_is_not_overwritten(project: Path) -> None:
    proc = subprocess.Popen(
        [PYTHON, "-m", "lesson_lsp.cli", "optimize", "slow.py::fib", "--apply"],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        if "checking candidate" in line:
            break
        assert time.monotonic() < deadline
    edited = (project / "slow.py").read_text(encoding="utf-8") + "\n# the user typed this\n"
    (project / "slow.py").write_text(edited, encoding="utf-8")
    _, rest = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "changed on disk" in rest
    assert (project / "slow.py").read_text(encoding="utf-8") == edited


def test_inputs_found_in_doctest_examples(project: Path) -> None:
    (project / "doc.py").write_text('''
def ways(n, coins=(1, 2, 5)):
    """Ways to pay n with the coins.

    >>> ways(5)
    4
    >>> amount = 150
    >>> ways(amount) > 0
    True
    >>> ways(n=60, coins=(1, 3))
    21
    """
    if n == 0:
        return 1
    if n < 0 or not coins:
        return 0
    return ways(n - coins[0], coins) + ways(n, coins[1:])
''', encoding="utf-8")
    done = cli(project, "optimize", "doc.py::ways", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["inputs_from"] == "doctest examples" and result["checked_on"]["doctests"] == 3
    assert result["improved"] and result["speedup"] > 2


@pytest.mark.slow
def test_slow_single_pass_is_timed_without_false_alarms(project: Path) -> None:
    # One pass over these inputs takes longer than a timing sample (≥ 50 ms).
    done = cli(project, "optimize", "slow.py::count_common", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["improved"], result["candidates"]
    assert result["speedup"] > 10


@pytest.mark.slow
def test_lessons_command_lists_searches_and_prunes(project: Path) -> None:
    assert cli(project, "optimize", "slow.py::fib", "--rounds", "1").returncode == 0
    listed = cli(project, "lessons", "--json")
    assert listed.returncode == 0
    lessons = json.loads(listed.stdout)
    assert lessons and lessons[0]["agent"] == "memoize" and lessons[0]["function"] == "fib"
    assert "memoize" in cli(project, "lessons", "--search", "recursive").stdout
    assert cli(project, "lessons", "--search", "no such words").stdout.strip() == \
        "no lesson matches"
    assert "pruned 0 lessons" in cli(project, "lessons", "--prune", "0.5").stdout
