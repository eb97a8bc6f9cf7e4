"""`lesson-lsp trace -- COMMAND`: real workloads in a throw-away project, traced by the real
agent in the project's interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lesson_lsp.harness.calls import captured_calls
from lesson_lsp.harness.recorder import LIMIT_PER_FUNCTION
from lesson_lsp.source.candidate import to_column0
from lesson_lsp.source.extract import function_named
from lesson_lsp.team.bank import fingerprint
from lesson_lsp.workspace import traces
from tests.procs import alive

PYTHON = sys.executable

WORK = '''\
def slow(n):
    total = 0
    for i in range(n):
        for j in range(n):
            total += i ^ j
    return total


def medium(items):
    return sorted(items, key=lambda x: -x)


def trivial(i):
    return i + 1


class Box:
    def __init__(self, v):
        self.v = v

    @classmethod
    def make(cls, v):
        return cls(v)

    def tiny(self, i):
        return i + self.v
'''

RUN = '''\
import sys
from tracedpkg.work import Box, medium, slow, trivial

def local(x):
    return x * 2

print("workload says hi")
box = Box.make(7)
for i in range(1000):
    trivial(i)
    box.tiny(i)
    local(i)
for k in range(5):
    medium(list(range(20000 + k)))
for k in range(3):
    slow(500 + k)
'''


@pytest.fixture
def traced(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'traced'\n", encoding="utf-8")
    package = tmp_path / "tracedpkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "work.py").write_text(WORK, encoding="utf-8")
    (package / "main.py").write_text(
        "from tracedpkg.work import slow, trivial\n\nif __name__ == '__main__':\n"
        "    import sys\n    print(sys.argv[1:])\n    slow(300)\n    trivial(1)\n",
        encoding="utf-8")
    (tmp_path / "run.py").write_text(RUN, encoding="utf-8")
    return tmp_path


def trace(project: Path, *command: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "trace", "--json", "--", *command],
                          cwd=project, capture_output=True, text=True, timeout=timeout)


def files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def by_name(result: dict) -> dict[str, dict]:
    return {f["qualname"]: f for f in result["functions"]}


def test_script_workload_ranks_counts_samples_and_leaves_the_project_alone(traced: Path) -> None:
    before = files(traced)
    done = trace(traced, "python", "run.py")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # stdout is JSON only: the workload's went to stderr
    assert "workload says hi" in done.stderr
    assert files(traced) == before  # no .pyc, no cache, nothing
    assert result["exit_code"] == 0 and result["complete"] is True
    functions = by_name(result)
    assert result["functions"][0]["qualname"] == "slow"
    assert functions["slow"]["share"] > 0.5
    assert functions["slow"]["share"] == max(f["share"] for f in result["functions"])
    assert functions["slow"]["path"] == "tracedpkg/work.py" and functions["slow"]["line"] == 1
    counts = {name: functions[name]["calls"] for name in
              ("slow", "medium", "trivial", "Box.tiny", "Box.make", "Box.__init__", "local")}
    assert counts == {"slow": 3, "medium": 5, "trivial": 1000, "Box.tiny": 1000, "Box.make": 1,
                      "Box.__init__": 1, "local": 1000}
    assert functions["local"]["path"] == "run.py"  # the script's own functions are traced too
    assert "<lambda>" not in " ".join(functions)
    for f in functions.values():
        assert 1 <= f["captured"] <= LIMIT_PER_FUNCTION

    stored = traces.load(traced)
    assert stored is not None
    record = stored.find(traced / "tracedpkg" / "work.py", "trivial")
    assert record is not None and record.module == "tracedpkg.work"
    assert record.calls_file == str(traces.calls_folder(traced) / "tracedpkg.work.pickle")
    sys.path.insert(0, str(traced))
    try:
        calls = captured_calls(record.calls_file, "trivial")
        assert len(calls) == record.captured == LIMIT_PER_FUNCTION
        indices = sorted(args[0] for args, kwargs in calls)
        assert all(isinstance(i, int) and 0 <= i < 1000 for i in indices)
        assert len(set(indices)) == len(indices)
        assert any(i >= 500 for i in indices), indices  # spread over the run, not the first 40
        tiny = captured_calls(record.calls_file, "Box.tiny")
        assert all(type(args[0]).__name__ == "Box" and args[0].v == 7 for args, _ in tiny)
        made = captured_calls(record.calls_file, "Box.make")
        assert made == [((7,), {})]  # a classmethod's calls leave out `cls`
        assert captured_calls(record.calls_file, "slow")[0][0][0] in (500, 501, 502)
    finally:
        sys.path.remove(str(traced))
        for name in [m for m in sys.modules if m.startswith("tracedpkg")]:
            del sys.modules[name]

    work = traced / "tracedpkg" / "work.py"
    text = work.read_text(encoding="utf-8")
    span = function_named(text, "slow")
    assert stored.fresh(work, "slow", fingerprint(to_column0(span.source, span.indent)))
    work.write_text(text.replace("total += i ^ j", "total += i | j"), encoding="utf-8")
    span = function_named(work.read_text(encoding="utf-8"), "slow")
    new = fingerprint(to_column0(span.source, span.indent))
    assert traces.load(traced).fresh(work, "slow", new) is None  # type: ignore[union-attr]


@pytest.mark.slow  # three interpreters and two pytest runs: over 15 s on a busy machine
def test_module_and_pytest_workloads(traced: Path) -> None:
    done = trace(traced, "-m", "tracedpkg.main", "x", "y")
    assert done.returncode == 0, done.stderr
    assert "['x', 'y']" in done.stderr  # sys.argv as the module sees it
    functions = by_name(json.loads(done.stdout))
    assert functions["slow"]["calls"] == 1 and functions["trivial"]["calls"] == 1

    tests = traced / "tests"
    tests.mkdir()
    # `pytest` runs as its script does (`python -m pytest` would also put the folder first on
    # sys.path): the project is importable from the tests through a conftest.py at its root.
    (traced / "conftest.py").write_text("", encoding="utf-8")
    (tests / "test_work.py").write_text(
        "from tracedpkg.work import medium, trivial\n\n\ndef helper():\n    return 2\n\n\n"
        "def test_trivial():\n    assert [trivial(i) for i in range(10)][-1] == 10\n"
        "    assert helper() == 2\n\n\ndef test_medium():\n    assert medium([1, 2])[0] == 2\n",
        encoding="utf-8")
    done = trace(traced, "pytest", "-q", "-p", "no:cacheprovider", "tests")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert "2 passed" in done.stderr and result["exit_code"] == 0
    functions = by_name(result)
    assert functions["trivial"]["calls"] == 10 and functions["medium"]["calls"] == 1
    assert not {"helper", "test_trivial", "test_medium"} & set(functions)  # tests are not traced


def test_failing_workloads_still_give_a_trace(traced: Path) -> None:
    (traced / "fails.py").write_text(
        "import sys\nfrom tracedpkg.work import trivial\n\ntrivial(1)\nsys.exit(3)\n",
        encoding="utf-8")
    (traced / "raises.py").write_text(
        "from tracedpkg.work import trivial\n\ndef boom():\n    trivial(2)\n"
        "    raise ValueError('boom here')\n\nboom()\n", encoding="utf-8")
    done = trace(traced, "fails.py")
    assert done.returncode == 3, done.stderr  # trace exits with the workload's own status
    result = json.loads(done.stdout)
    assert result["exit_code"] == 3 and "failed" in result["note"]
    assert by_name(result)["trivial"]["calls"] == 1
    done = trace(traced, "python", "raises.py")
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    assert result["exit_code"] == 1 and "ValueError: boom here" in done.stderr
    assert 'raises.py", line 5, in boom' in done.stderr  # the program's own line numbers
    assert by_name(result)["boom"]["calls"] == 1


@pytest.mark.parametrize("limit", ["--timeout", "trace_timeout_s", "slow start"])
def test_time_limit_keeps_a_partial_trace_and_no_process(traced: Path, limit: str) -> None:
    """The limit from the command line, or from pyproject.toml (which the editor's command
    uses too). It counts from the workload's start: on a busy machine the interpreter and the
    tracer may take longer than the limit to start ("slow start": every interpreter sleeps 3 s
    in a sitecustomize), and the workload still gets its 2 s."""
    pids = traced / "pids.txt"
    given = ["--timeout", "2"]
    env = dict(os.environ)
    if limit == "trace_timeout_s":
        with open(traced / "pyproject.toml", "a", encoding="utf-8") as handle:
            handle.write("\n[tool.lesson-lsp]\ntrace_timeout_s = 2\n")
        given = []
    elif limit == "slow start":
        site = traced.parent / "slow-site"
        site.mkdir()
        (site / "sitecustomize.py").write_text("import time\ntime.sleep(3)\n", encoding="utf-8")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    (traced / "forever.py").write_text(
        "import os, subprocess, sys\nfrom tracedpkg.work import trivial\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "i = 0\nwhile True:\n    i = trivial(i)\n", encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "trace", "--json", *given,
                           "--", "python", "forever.py"], cwd=traced, capture_output=True,
                          text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 30
    result = json.loads(done.stdout)
    assert result["complete"] is False and result["exit_code"] is None
    assert "time limit" in result["note"]
    assert by_name(result)["trivial"]["calls"] > 1000
    assert "project functions seen" in done.stderr  # progress, on stderr
    for pid in map(int, pids.read_text().split()):
        assert not alive(pid), f"process {pid} outlived the trace"


def test_other_programs_are_refused(traced: Path) -> None:
    done = trace(traced, "make", "foo")
    assert done.returncode == 2
    assert "make" in done.stderr and "python script.py" in done.stderr
    assert not traces.trace_file(traced).exists()
    missing = trace(traced, "python", "nowhere.py")
    assert missing.returncode == 2 and "nowhere.py" in missing.stderr


def test_text_table(traced: Path) -> None:
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "trace", "--top", "2", "--",
                           "python", "run.py"], cwd=traced, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    rows = [line for line in lines if line.strip()[:1].isdigit()]
    assert len(rows) == 2 and rows[0].split()[0] == "1"
    assert rows[0].endswith("tracedpkg/work.py:1 slow")
    assert "exit 0" in done.stdout and "more (--top" in done.stdout
