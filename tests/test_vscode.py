"""The VS Code extension builds from a clean copy (npm ci, tsc, vsce package) and its manifest
and activation tests pass against the real server command. No VS Code binary is needed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

NPM = shutil.which("npm")


@pytest.mark.slow
@pytest.mark.skipif(NPM is None, reason="npm is not installed")
def test_extension_builds_packages_and_activates(tmp_path: Path) -> None:
    assert NPM is not None
    source = ROOT / "editors" / "vscode"
    work = tmp_path / "vscode"
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("node_modules", "out", "*.vsix"))
    env = {**os.environ, "LESSON_PY": sys.executable}

    def npm(*args: str) -> str:
        done = subprocess.run([NPM, *args], cwd=work, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, f"npm {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    npm("ci", "--no-audit", "--no-fund")
    npm("run", "compile")
    tests = npm("test")
    assert "# pass 13" in tests and "# fail 0" in tests
    npm("exec", "--", "vsce", "package", "--out", "lesson-lsp.vsix")
    vsix = work / "lesson-lsp.vsix"
    assert vsix.is_file() and 100_000 < vsix.stat().st_size < 5_000_000
