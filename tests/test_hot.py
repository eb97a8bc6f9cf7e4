"""A traced workload as an input source, and `optimize --hot N`, from a trace saved as
`lesson-lsp trace` saves it (the tracer itself is tested in test_trace.py)."""

from __future__ import annotations

import json
import pickle
import subprocess
import time
from pathlib import Path

import pytest

from lesson_lsp.harness.recorder import copy_call
from lesson_lsp.source.candidate import to_column0
from lesson_lsp.source.extract import function_named
from lesson_lsp.team.bank import fingerprint
from lesson_lsp.workspace import traces
from tests.conftest import PYTHON

WORK = '''"""Work."""


def common(xs, ys):
    """How many items of xs are in ys.

    >>> common([1, 2, 3], [2, 3, 4])
    2
    """
    count = 0
    for x in xs:
        if x in ys:
            count += 1
    return count


def small(n):
    return n + 1
'''


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'w'\n", encoding="utf-8")
    package = tmp_path / "w"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "work.py").write_text(WORK, encoding="utf-8")
    return tmp_path


def _save_trace(root: Path, calls: dict[str, list[tuple]], shares: dict[str, float],
                unpicklable: dict[str, int] | None = None) -> None:
    """A trace as the tracer stores it: ranked functions, sampled calls in the capture format."""
    path = root / "w" / "work.py"
    text = path.read_text(encoding="utf-8")
    calls_file = traces.calls_folder(root) / "w.work.pickle"
    calls_file.parent.mkdir(parents=True, exist_ok=True)
    with open(calls_file, "wb") as handle:
        pickle.dump({"functions": {q: [copy_call(a, {}) for a in c] for q, c in calls.items()},
                     "meta": {}}, handle)
    functions = []
    for qualname, share in sorted(shares.items(), key=lambda x: -x[1]):
        span = function_named(text, qualname)
        functions.append(traces.TracedFunction(
            path=str(path.resolve()), qualname=qualname, line=span.def_line + 1, share=share,
            own_s=share * 2.0, total_s=share * 2.0, calls=1000, captured=len(calls[qualname]),
            fingerprint=fingerprint(to_column0(span.source, span.indent)), module="w.work",
            calls_file=str(calls_file), unpicklable=(unpicklable or {}).get(qualname, 0)))
    traces.save(traces.Trace(["python", "run.py"], str(root.resolve()), PYTHON, 2.0, 0,
                             time.time(), functions))


def _lesson(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "lesson_lsp.cli", *args], cwd=root,
                          capture_output=True, text=True, timeout=300)


def _big(n: int) -> tuple[list[int], list[int]]:
    return list(range(n)), list(range(n // 2, n + n // 2))


@pytest.mark.slow
def test_a_traced_function_is_timed_on_the_workload_calls_and_checked_by_its_doctest(
        tmp_path: Path) -> None:
    root = _project(tmp_path)
    _save_trace(root, {"common": [_big(1500), _big(1200), _big(900)], "small": [(3,)]},
                {"common": 0.8, "small": 0.01})
    done = _lesson(root, "optimize", "w/work.py::common", "--json", "--apply")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["inputs_from"].startswith("inputs from the workload: 3 calls sampled")
    assert "python run.py" in result["inputs_from"]
    # The doctest's call (and edge inputs derived from every call) check, never timed.
    assert result["checked_on"]["doctests"] == 1 and result["checked_on"]["workload"] == 3
    assert result["timed_on"].startswith("timed on 3 inputs as the workload called it (")
    assert result["inputs"] - result["held_out"] == 3
    assert result["improved"] and result["applied"]
    assert "set(" in (root / "w" / "work.py").read_text(encoding="utf-8")


def test_an_edited_function_is_not_timed_on_stale_workload_calls(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _save_trace(root, {"common": [_big(1500)], "small": [(3,)]}, {"common": 0.8, "small": 0.01})
    path = root / "w" / "work.py"
    path.write_text(WORK.replace("count += 1", "count = count + 1"), encoding="utf-8")
    done = _lesson(root, "optimize", "w/work.py::common", "--json")
    assert done.returncode == 0, done.stderr
    assert "workload" not in json.loads(done.stdout)["inputs_from"]


@pytest.mark.slow
def test_hot_optimizes_the_hottest_and_says_what_the_workload_saves(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _save_trace(root, {"common": [_big(1500), _big(1000)], "small": [(3,), (4,)]},
                {"common": 0.8, "small": 0.05})
    done = _lesson(root, "optimize", "--hot", "1", "--apply", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [f["qualname"] for f in report["functions"]] == ["common"]  # the hottest only
    first = report["functions"][0]
    assert first["verdict"] == "faster" and first["applied"] and first["speedup"] > 1.5
    assert first["inputs_from"].startswith("inputs from the workload")
    assert abs(first["saves"] - 0.8 * (1 - 1 / first["speedup"])) < 1e-9
    assert report["saves"] == first["saves"]
    text = _lesson(root, "optimize", "--hot", "2")  # the table; common is now edited: stale
    assert text.returncode == 0, text.stderr
    assert "w/work.py::common" in text.stdout and "stale" in text.stdout
    assert "w/work.py::small" in text.stdout and "would take" in text.stdout


def test_hot_without_a_trace_says_how_to_make_one(tmp_path: Path) -> None:
    root = _project(tmp_path)
    done = _lesson(root, "optimize", "--hot", "3")
    assert done.returncode == 2
    assert "lesson-lsp trace -- COMMAND" in done.stderr
    bad = _lesson(root, "optimize", "--hot", "1", "w/work.py::common")
    assert bad.returncode == 2 and "--hot N needs" in bad.stderr


RUN = '''\
from w.work import common, small

for k in range(30):
    small(k)
for k in range(6):
    common(list(range(1500 + k)), list(range(700, 2300 + k)))
'''


@pytest.mark.slow
def test_trace_then_hot_ranks_optimizes_and_writes_the_workloads_hottest(
        tmp_path: Path) -> None:
    """The whole path a user takes: trace a workload script, then optimize its hottest function
    on the calls it made, and find the file rewritten."""
    root = _project(tmp_path)
    (root / "run.py").write_text(RUN, encoding="utf-8")
    traced = _lesson(root, "trace", "--json", "--", "python", "run.py")
    assert traced.returncode == 0, traced.stderr
    functions = json.loads(traced.stdout)["functions"]
    assert functions[0]["qualname"] == "common" and functions[0]["path"] == "w/work.py"
    assert functions[0]["share"] == max(f["share"] for f in functions) > 0.5
    assert functions[0]["calls"] == 6 and functions[0]["captured"] == 6
    hot = _lesson(root, "optimize", "--hot", "1", "--apply", "--json")
    assert hot.returncode == 0, hot.stderr
    first = json.loads(hot.stdout)["functions"][0]
    assert first["qualname"] == "common" and first["verdict"] == "faster" and first["applied"]
    assert first["inputs_from"].startswith("inputs from the workload: 6 calls sampled from 6")
    assert "python run.py" in first["inputs_from"]
    text = (root / "w" / "work.py").read_text(encoding="utf-8")
    assert "set(" in text and "def small(n):" in text
    again = subprocess.run([PYTHON, "run.py"], cwd=root, capture_output=True, text=True,
                           timeout=60)
    assert again.returncode == 0, again.stderr  # the rewritten module still runs the workload


def test_a_traced_function_whose_arguments_could_not_be_copied_says_so(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _save_trace(root, {"common": [_big(100)], "small": []}, {"common": 0.8, "small": 0.1},
                unpicklable={"small": 40})
    done = _lesson(root, "optimize", "w/work.py::small", "--json")
    assert done.returncode == 2
    assert "the workload `python run.py` called it 1,000 times, but none of its arguments " \
        "could be copied (pickled, under 1 MB; 40 tried)" in done.stderr


def test_a_traced_function_with_no_call_sampled_does_not_blame_its_arguments(
        tmp_path: Path) -> None:
    root = _project(tmp_path)
    _save_trace(root, {"common": [_big(100)], "small": []}, {"common": 0.8, "small": 0.1})
    done = _lesson(root, "optimize", "w/work.py::small", "--json")
    assert done.returncode == 2
    assert "called it 1,000 times, but no call was sampled" in done.stderr
    assert "could be copied" not in done.stderr
