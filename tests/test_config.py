"""Settings: defaults < pyproject.toml < editor settings, each mistake one clear sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from lesson_lsp.config import ConfigError, load


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
    assert config.bank_path() == tmp_path.resolve() / ".lesson-lsp" / "lessons.db"
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
