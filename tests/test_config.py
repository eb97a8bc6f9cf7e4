"""Settings: defaults < pyproject.toml < editor settings, each mistake one clear sentence."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lesson_lsp.workspace.config import ConfigError, load
from lesson_lsp.workspace.storage import project_cache


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    (tmp_path / "pkg").mkdir(exist_ok=True)
    target = tmp_path / "pkg" / "mod.py"
    target.write_text("def f():\n    pass\n", encoding="utf-8")
    return target


def test_defaults_then_pyproject_then_editor(tmp_path: Path) -> None:
    target = write(tmp_path, '[tool.lesson-lsp]\nrounds = 5\n[tool.lesson-lsp.harness]\n'
                             'timeout_s = 3\ncompare_output = true\n')
    config = load(target)
    assert config.rounds == 5 and config.harness.timeout_s == 3.0
    assert config.harness.compare_output is True
    assert config.root == str(tmp_path.resolve())
    # The bank is in the user's cache, keyed by the project, never in the project.
    assert config.bank_path() == project_cache(tmp_path) / "lessons.db"
    assert config.bank_path().is_relative_to(os.environ["LESSON_LSP_CACHE_DIR"])
    edited = load(target, {"rounds": 2, "lessonsPerPrompt": 6, "harness": {"memoryMb": 512}})
    assert edited.rounds == 2 and edited.lessons_per_prompt == 6
    assert edited.harness.memory_mb == 512 and edited.harness.timeout_s == 3.0


@pytest.mark.parametrize(("text", "message"), [
    ("[tool.lesson-lsp]\nround = 2\n", "unknown setting(s): round"),
    ('[tool.lesson-lsp]\nrounds = "two"\n', "`rounds` must be int"),
    ("[tool.lesson-lsp]\nrounds = 0\n", "`rounds` is too small"),
    ('[tool.lesson-lsp]\nrestart_from = "middle"\n', "`original` or `best`"),
    ("[tool.lesson-lsp.harness]\ntimeout_s = -1\n", "must be positive"),
    ("[tool.lesson-lsp.harness]\nspeed = 1\n", "unknown key(s): speed"),
    ('[[tool.lesson-lsp.team]]\nname = "x"\nkind = "magic"\n', "`openai` or `rewrite`"),
    ('[[tool.lesson-lsp.team]]\nname = "x"\nkind = "openai"\n', "needs a `model`"),
    ('[tool.lesson-lsp]\nbank = "../shared.db"\n', "cannot climb out of it with `..`"),
    ("[tool.lesson-lsp\n", "cannot read it"),
])
def test_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    target = write(tmp_path, text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load(target)


def test_paper_preset_and_explicit_keys_over_it(tmp_path: Path) -> None:
    target = write(tmp_path, '[tool.lesson-lsp]\npreset = "paper"\n')
    config = load(target)
    assert (config.rounds, config.lessons_per_prompt, config.restart_from) == (4, 4, "original")
    target = write(tmp_path, '[tool.lesson-lsp]\npreset = "paper"\nrounds = 2\n')
    assert load(target).rounds == 2 and load(target).restart_from == "original"
    target = write(tmp_path, '[tool.lesson-lsp]\npreset = "fast"\n')
    with pytest.raises(ConfigError, match="preset"):
        load(target)


@pytest.mark.parametrize(("bank", "inside"), [
    ("lessons.db", "lessons.db"),
    (".lesson-lsp/lessons.db", "lessons.db"),  # the old default's spelling: not doubled
    ("banks/team.db", "banks/team.db"),
])
def test_a_relative_bank_is_kept_in_the_projects_own_ignored_folder(
        tmp_path: Path, bank: str, inside: str) -> None:
    config = load(write(tmp_path, f'[tool.lesson-lsp]\nbank = "{bank}"\n'))
    kept = tmp_path.resolve() / ".lesson-lsp"
    assert config.bank_path() == kept / inside
    assert not kept.exists()  # looking (hover, `lessons`) makes nothing
    assert config.bank_path(create=True) == kept / inside
    assert "*" in (kept / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_an_absolute_bank_is_taken_as_given(tmp_path: Path) -> None:
    shared = tmp_path / "elsewhere" / "shared.db"
    config = load(write(tmp_path, f'[tool.lesson-lsp]\nbank = "{shared.as_posix()}"\n'))
    assert config.bank_path(create=True) == shared
    assert not (tmp_path / ".lesson-lsp").exists()
    home = load(write(tmp_path, '[tool.lesson-lsp]\nbank = "~/banks/l.db"\n')).bank_path()
    assert home == Path.home() / "banks" / "l.db"


def test_a_relative_bank_never_goes_into_a_package(tmp_path: Path) -> None:
    # No pyproject.toml: the project root is the file's folder, here a package inside another.
    inner = tmp_path / "outer" / "inner"
    inner.mkdir(parents=True)
    for folder in (inner.parent, inner):
        (folder / "__init__.py").write_text("", encoding="utf-8")
    (inner / "mod.py").write_text("def f():\n    pass\n", encoding="utf-8")
    config = load(inner / "mod.py", {"bank": "lessons.db"})
    assert config.root == str(inner.resolve())
    assert config.bank_path(create=True) == tmp_path.resolve() / ".lesson-lsp" / "lessons.db"
    assert not any(p.name == ".lesson-lsp" for p in (tmp_path / "outer").rglob("*"))
