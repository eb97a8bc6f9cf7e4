"""Shared fixtures: a throw-away project with the bundled example in it."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PYTHON = sys.executable
# Subprocesses (`python -m lesson_lsp.cli` in a project dir) import this checkout, not whatever
# copy the interpreter has installed (an editable install may point at another worktree).
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of examples/ with a pyproject.toml that names its inputs and a short harness."""
    shutil.copy(EXAMPLES / "slow.py", tmp_path / "slow.py")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lesson-lsp]\nrounds = 2\n\n[tool.lesson-lsp.harness]\ntimeout_s = 8\n\n'
        '[tool.lesson-lsp.inputs]\n"slow.py::fib" = "slow.py::inputs"\n'
        '"slow.py::count_common" = "slow.py::common_inputs"\n'
        '"slow.py::already_fast" = "slow.py::fast_inputs"\n'
        '"slow.py::Grid.total" = "slow.py::grid_inputs"\n',
        encoding="utf-8",
    )
    return tmp_path
