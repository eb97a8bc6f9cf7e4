"""Nothing is left in the project (DESIGN.md, invariant 5): the bank lives in the user's cache
directory keyed by the project, unless `bank` names a place; a relative one is kept in a
`.lesson-lsp/` that git ignores. `lesson-lsp lessons` finds the bank `optimize` wrote."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from lesson_lsp.workspace.storage import project_cache
from tests.conftest import PYTHON


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "lesson_lsp.cli", *args], cwd=project,
                          capture_output=True, text=True, timeout=180)


def git(project: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout


def commit(project: Path, message: str) -> None:
    git(project, "add", ".")
    git(project, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message)


@pytest.fixture
def repo(project: Path) -> Path:
    """The example project, committed: `git status` shows anything a run leaves behind."""
    (project / "pyproject.toml").write_text(
        '[tool.lesson-lsp]\nrounds = 1\n[tool.lesson-lsp.inputs]\n'
        '"slow.py::fib" = "slow.py::inputs"\n', encoding="utf-8")
    git(project, "init", "-q")
    commit(project, "start")
    return project


def optimize_fib(project: Path) -> None:
    done = cli(project, "optimize", "slow.py::fib", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["lessons"]  # something was banked


def banked(project: Path, *args: str) -> list[dict]:
    listed = cli(project, "lessons", "--json", *args)
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


@pytest.mark.slow
def test_a_run_leaves_nothing_in_the_project_and_banks_in_the_cache(repo: Path) -> None:
    files = sorted(p.relative_to(repo) for p in repo.rglob("*") if ".git" not in p.parts)
    optimize_fib(repo)
    assert git(repo, "status", "--porcelain", "--ignored") == ""
    assert sorted(p.relative_to(repo) for p in repo.rglob("*") if ".git" not in p.parts) == files
    bank = project_cache(repo) / "lessons.db"
    assert bank.is_file() and bank.is_relative_to(os.environ["LESSON_LSP_CACHE_DIR"])
    # `lessons` looks where `optimize` wrote, from the project folder or from a file in it.
    assert banked(repo)[0]["function"] == "fib"
    assert banked(repo.parent, "--project", str(repo / "slow.py"))[0]["function"] == "fib"


def test_looking_at_lessons_makes_no_bank(tmp_path: Path) -> None:
    listed = cli(tmp_path, "lessons")
    assert listed.returncode == 0 and "no lesson bank at" in listed.stdout
    assert "lesson-lsp optimize` makes it" in listed.stdout
    assert list(tmp_path.iterdir()) == [] and not (project_cache(tmp_path) / "lessons.db").exists()


@pytest.mark.slow
def test_an_absolute_bank_is_honoured(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    shared = tmp_path_factory.mktemp("shared") / "team.db"
    text = (repo / "pyproject.toml").read_text(encoding="utf-8").replace(
        "rounds = 1\n", f'rounds = 1\nbank = "{shared.as_posix()}"\n')
    (repo / "pyproject.toml").write_text(text, encoding="utf-8")
    commit(repo, "shared bank")
    optimize_fib(repo)
    assert shared.is_file() and not (project_cache(repo) / "lessons.db").exists()
    assert git(repo, "status", "--porcelain", "--ignored") == ""
    assert banked(repo)[0]["function"] == "fib"


@pytest.mark.slow
def test_a_relative_bank_is_kept_in_a_folder_git_ignores(repo: Path) -> None:
    text = (repo / "pyproject.toml").read_text(encoding="utf-8").replace(
        "rounds = 1\n", 'rounds = 1\nbank = "lessons.db"\n')
    (repo / "pyproject.toml").write_text(text, encoding="utf-8")
    commit(repo, "kept bank")
    optimize_fib(repo)
    assert (repo / ".lesson-lsp" / "lessons.db").is_file()
    assert (repo / ".lesson-lsp" / ".gitignore").is_file()
    assert git(repo, "status", "--porcelain") == ""  # ignored by its own .gitignore
    assert banked(repo)[0]["function"] == "fib"
