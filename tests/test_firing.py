"""`lesson-lsp bench --why`: which precondition refused each rule, found by tracing the rules."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import PYTHON, ROOT
from tests.test_bench import TOTAL, suite


def why(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "bench", *args, "--why"],
                          capture_output=True, text=True, timeout=600)


def test_why_json_names_the_refusing_precondition(tmp_path: Path) -> None:
    done = why(str(suite(tmp_path)), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    tasks = {t["task"]: {f["rule"]: f for f in t["firings"]} for t in report["tasks"]}
    assert tasks["t1_fib"]["memoize"]["outcome"] == "applies"
    refused = tasks["t2_total"]["memoize"]
    assert refused["outcome"] == "refused"
    where = refused["refusal"]
    assert where["file"] == "memoize.py" and where["line"] > 0
    assert where["condition"].strip() and where["statement"].startswith("return")
    source = (ROOT / "lesson_lsp/team/rewrites/memoize.py").read_text().splitlines()
    assert "return" in source[where["line"] - 1]
    assert report["summary"]["applies"]["memoize"] == ["t1_fib"]
    assert "memoize" in report["summary"]["exactly_one"]


def test_why_text_report_has_the_summaries(tmp_path: Path) -> None:
    folder = suite(tmp_path)
    done = why(str(folder))
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "t2_total::total" in text and "memoize:" in text
    assert "refused at memoize.py:" in text
    for section in ("rule → tasks where it applies", "rules that apply to exactly one task:",
                    "rules that apply to none:"):
        assert section in text
    assert (folder / "t2_total.py").read_text() == TOTAL  # inputs, never outputs


@pytest.mark.slow
def test_why_on_the_bundled_suite_is_quick() -> None:
    started = time.perf_counter()
    done = why(str(ROOT / "benchmarks" / "tasks"), "--json")
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["summary"]["task_errors"] == 0 and report["summary"]["tasks"] > 10
    # No harness runs: each rule once per task, traced. A few seconds on an idle machine;
    # the bound leaves room for a loaded CI box.
    assert seconds < 120, seconds
