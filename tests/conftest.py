"""Shared fixtures: a throw-away project with the bundled example in it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PYTHON = sys.executable
# Subprocesses (`python -m lesson_lsp.cli` in a project dir) import this checkout, not whatever
# copy the interpreter has installed (an editable install may point at another worktree).
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
# Caches and banks go to the user's cache directory: a throw-away one for the whole test run
# (subprocesses inherit it), never the developer's own.
os.environ["LESSON_LSP_CACHE_DIR"] = tempfile.mkdtemp(prefix="lesson-test-cache-")


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


def team(*rules: str) -> str:
    """pyproject.toml lines for a team of these rewrite agents: tests of the edit mechanics
    (an added import, the hover's lesson) pin the rule whose rewrite they look at, whichever
    rule would win."""
    return "".join(f'\n[[tool.lesson-lsp.team]]\nname = "{r}"\nkind = "rewrite"\n'
                   for r in rules)


def verify(project: Path, code: str, target: str = "fib", *args: str) -> dict:
    """`lesson-lsp verify --json` of `code` against slow.py::`target` (or FILE::QUALNAME).

    Its sandbox runs get a temp dir of their own, so that looking for leftover processes looks
    only at this call's (never at other runs on the machine)."""
    candidate = project / "cand.py"
    candidate.write_text(code, encoding="utf-8")
    runs = tempfile.mkdtemp(prefix="lesson-test-runs-")
    try:
        done = subprocess.run(
            [PYTHON, "-m", "lesson_lsp.cli", "verify",
             target if "::" in target else f"slow.py::{target}",
             "--candidate", str(candidate), "--json", *args],
            cwd=project, capture_output=True, text=True, timeout=120,
            env={**os.environ, "TMPDIR": runs})
        assert done.returncode == 0, done.stderr
        leftover = subprocess.run(["pgrep", "-f", runs], capture_output=True)
        assert leftover.stdout.strip() == b"", "a sandbox process outlived the run"
    finally:
        shutil.rmtree(runs, ignore_errors=True)
    return json.loads(done.stdout)


def outcome(fn, *args):  # type: ignore[no-untyped-def]
    """What calling `fn` gives: its result, or the type of what it raised. A rewrite must give
    the same as the original on every edge input."""
    try:
        return "ok", fn(*args)
    except Exception as exc:  # the type must match
        return "raised", type(exc)
