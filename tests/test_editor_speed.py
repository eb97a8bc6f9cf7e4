"""benchmarks/editor_speed.py end to end with tiny counts: every row of the table is printed, and
lesson-lsp really answered (its code action on function lines), so the numbers are of a working
server; no server process is left behind."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from tests.conftest import PYTHON, ROOT
from tests.procs import alive

ROWS = ("initialize, ms (median of 1 starts)", "codeAction p50, ms", "codeAction p99, ms",
        "keystroke p50, ms", "keystroke p99, ms", "hover p50, ms", "hover p99, ms",
        "peak RSS after open, MB")


def test_editor_speed_measures_both_servers(tmp_path: Path) -> None:
    numbers = tmp_path / "speed.json"
    done = subprocess.run(
        [PYTHON, str(ROOT / "benchmarks" / "editor_speed.py"), "--lines", "300", "--requests",
         "5", "--starts", "1", "--json", str(numbers)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "| measure | bare pygls | lesson-lsp | ratio | goal |" in out
    for row in ROWS:
        assert re.search(rf"^\| {re.escape(row)} \| [\d.]+ \| [\d.]+ \| [\d.]+× \|", out, re.M), \
            f"no row {row!r} in:\n{out}"
    offered = re.search(r"^lesson-lsp: codeAction offered (\d+)/(\d+) on function lines", out,
                        re.M)
    assert offered and int(offered.group(1)) > 0, out
    result = json.loads(numbers.read_text(encoding="utf-8"))
    lesson = result["servers"]["lesson-lsp"]
    assert "Optimize with lesson team" in lesson["titles"]
    assert lesson["offered_in_functions"] > 0 and len(lesson["keystroke"]) == 5
    assert result["servers"]["bare pygls"]["hovers_answered"] == 5
    pids = [pid for server in result["servers"].values() for pid in server["pids"]]
    assert len(pids) == 8  # a warm-up start, one counted start and two sessions each
    assert not [pid for pid in pids if alive(pid)]
