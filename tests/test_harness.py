"""The harness through `lesson-lsp verify`: verdicts for honest, wrong and hostile candidates."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PYTHON, verify

FAST_FIB = """
import functools

def fib(n):
    @functools.cache
    def go(k):
        return k if k < 2 else go(k - 1) + go(k - 2)
    return go(n)
"""


def test_faster_candidate(project: Path) -> None:
    result = verify(project, FAST_FIB)
    assert result["verdict"] == "faster", result
    assert result["speedup"] > 10
    assert result["original_s"] > result["candidate_s"] > 0


def test_original_against_itself_is_not_faster(project: Path) -> None:
    code = "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n"
    result = verify(project, code)
    assert result["verdict"] == "not-faster", result


def test_wrong_answer_is_incorrect_with_the_input(project: Path) -> None:
    result = verify(project, "def fib(n):\n    return n\n")
    assert result["verdict"] == "incorrect"
    assert "expected 6765, got 20" in result["detail"]
    assert result["failing_input"] == "[20]"


def test_always_equal_object_is_incorrect(project: Path) -> None:
    code = ("class Liar:\n    def __eq__(self, other):\n        return True\n\n"
            "def fib(n):\n    return Liar()\n")
    assert verify(project, code)["verdict"] == "incorrect"


def test_syntax_error_is_error(project: Path) -> None:
    result = verify(project, "def fib(n) return 1\n")
    assert result["verdict"] == "error"
    assert "SyntaxError" in result["detail"]


def test_hang_is_timeout(project: Path) -> None:
    result = verify(project, "def fib(n):\n    while True:\n        pass\n")
    assert result["verdict"] == "timeout"


@pytest.mark.parametrize("body", [
    "import os\n    os.remove(SLOW)",
    "open(SLOW, 'w').write('gone')",
    "import shutil\n    shutil.rmtree(PROJECT)",
    "import subprocess\n    subprocess.run(['rm', '-f', SLOW])",
])
def test_hostile_candidate_leaves_files_alone(project: Path, body: str) -> None:
    slow = project / "slow.py"
    before = slow.read_bytes()
    code = (f"SLOW = {str(slow)!r}\nPROJECT = {str(project)!r}\n\n"
            f"def fib(n):\n    {body}\n    return 0\n")
    result = verify(project, code)
    assert result["verdict"] == "unsafe", result
    assert slow.read_bytes() == before
    assert sorted(p.name for p in project.iterdir()) == ["cand.py", "pyproject.toml", "slow.py"]


def test_exit_is_an_error_not_a_crash(project: Path) -> None:
    result = verify(project, "import os\n\ndef fib(n):\n    os._exit(0)\n")
    assert result["verdict"] == "error"


def test_secret_does_not_reach_the_candidate(project: Path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    code = "import os\n\ndef fib(n):\n    return os.environ.get('OPENAI_API_KEY')\n"
    result = verify(project, code)
    assert result["verdict"] == "unsafe"  # reading it at all is more than the original does
    assert "sk-test-secret" not in json.dumps(result)


def test_in_place_mutation_must_match(project: Path) -> None:
    (project / "sorter.py").write_text(
        "def sort_copy(xs):\n    return sorted(xs)\n\n"
        "def inputs():\n    return [([3, 1, 2],)]\n", encoding="utf-8")
    candidate = project / "cand.py"
    candidate.write_text("def sort_copy(xs):\n    xs.sort()\n    return xs\n", encoding="utf-8")
    done = subprocess.run(
        [PYTHON, "-m", "lesson_lsp.cli", "verify", "sorter.py::sort_copy", "--candidate",
         str(candidate), "--inputs", "sorter.py::inputs", "--json"],
        cwd=project, capture_output=True, text=True, timeout=120)
    result = json.loads(done.stdout)
    assert result["verdict"] == "incorrect"
    assert "arguments after the call" in result["detail"]


@pytest.mark.parametrize(("code", "verdicts"), [
    ("def fib(n):\n    x = bytearray(10**11)\n    return 0\n", {"incorrect"}),  # memory bomb
    ("import socket\n\ndef fib(n):\n    socket.socket().connect(('127.0.0.1', 9))\n"
     "    return 0\n", {"unsafe"}),
    ("import os\n\ndef fib(n):\n    for _ in range(50):\n        os.fork()\n    return 0\n",
     {"unsafe"}),
    ("def fib(n):\n    raise KeyboardInterrupt\n", {"incorrect"}),
    ("import sys\n\ndef fib(n):\n    sys.exit(0)\n", {"incorrect"}),
    ("import ctypes\n\ndef fib(n):\n    return ctypes.string_at(0)\n", {"error"}),  # segfault
    ("import sys\n\ndef fib(n):\n    for _ in range(100):\n        sys.stdout.write('x' * 10**7)\n"
     "    return 0\n", {"incorrect", "timeout"}),  # 1 GB of output
])
def test_hostile_candidates_get_the_right_verdict(project: Path, code: str,
                                                  verdicts: set[str]) -> None:
    before = (project / "slow.py").read_bytes()
    assert verify(project, code)["verdict"] in verdicts
    assert (project / "slow.py").read_bytes() == before


def test_patched_clock_does_not_fake_speed(project: Path) -> None:
    # (Patched on the first call: top-level code like this is refused before it runs.)
    code = ("import time\n\ndef fib(n):\n    time.perf_counter = lambda: 0.0\n"
            "    time.perf_counter_ns = lambda: 0\n"
            "    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n")
    result = verify(project, code)
    assert result["verdict"] == "not-faster", result


def test_remembering_answers_between_calls_is_not_speed(project: Path) -> None:
    # Slow on a first call, instant on repeats: only the first call counts.
    code = ("_memo = {}\n\ndef fib(n):\n    if n < 2:\n        return n\n"
            "    if n in _memo:\n        return _memo[n]\n    a, b = 0, 1\n"
            "    for _ in range(n):\n        a, b = b, a + b\n"
            "        for _ in range(30000):\n            pass\n    _memo[n] = a\n    return a\n")
    result = verify(project, code)
    assert result["verdict"] == "not-faster", result


def test_printed_output_is_compared_unless_turned_off(project: Path) -> None:
    (project / "talk.py").write_text(
        "def greet(n):\n    print('hello', n)\n    return n\n\n"
        "def inputs():\n    return [(1,), (2,)]\n", encoding="utf-8")
    quiet = "def greet(n):\n    return n\n"
    result = verify(project, quiet, "talk.py::greet", "--inputs", "talk.py::inputs")
    assert result["verdict"] == "incorrect" and "printed output" in result["detail"]
    (project / "pyproject.toml").write_text(
        "[tool.lesson-lsp.harness]\ncompare_output = false\n", encoding="utf-8")
    result = verify(project, quiet, "talk.py::greet", "--inputs", "talk.py::inputs")
    assert result["verdict"] != "incorrect"


def test_non_deterministic_original_is_reported(project: Path) -> None:
    (project / "noisy.py").write_text(
        "import time\n\ndef stamp(n):\n    return time.time_ns() + n\n\n"
        "def inputs():\n    return [(1,)]\n", encoding="utf-8")
    candidate = project / "cand.py"
    candidate.write_text("import time\n\ndef stamp(n):\n    return time.time_ns() + n\n")
    done = subprocess.run(
        [PYTHON, "-m", "lesson_lsp.cli", "verify", "noisy.py::stamp", "--candidate",
         str(candidate), "--inputs", "noisy.py::inputs"],
        cwd=project, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "not deterministic" in done.stderr
    # It says what differed between the two runs.
    assert "first vs second: return value: expected " in done.stderr, done.stderr
