"""Where the inputs of a function come from.

Today: a user-named generator (`--inputs FILE::CALLABLE`, or `[tool.lesson-lsp.inputs]` in the
nearest pyproject.toml). The generator itself runs only inside the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lesson_lsp.config import Config


class InputsError(Exception):
    """No usable inputs; the message says how to give some."""


@dataclass(frozen=True)
class InputSpec:
    path: str
    callable: str
    origin: str


def parse_target(text: str, base: Path) -> tuple[Path, str]:
    """`FILE::NAME` → (absolute path, name); paths are relative to `base`."""
    if "::" not in text:
        raise InputsError(f"`{text}` is not FILE::NAME (for example examples/slow.py::inputs)")
    file_part, name = text.rsplit("::", 1)
    if not file_part or not name:
        raise InputsError(f"`{text}` is not FILE::NAME (for example examples/slow.py::inputs)")
    path = Path(file_part)
    if not path.is_absolute():
        path = base / path
    return path.resolve(), name


def from_text(text: str, base: Path, origin: str) -> InputSpec:
    path, name = parse_target(text, base)
    if not path.is_file():
        raise InputsError(f"inputs file {path.name} does not exist ({origin})")
    return InputSpec(str(path), name, origin)


def find(target: Path, qualname: str, config: Config, cli: str | None = None) -> InputSpec:
    """The inputs for `qualname` in `target`: the CLI's choice, else the configured generator."""
    if cli:
        return from_text(cli, Path.cwd(), "--inputs")
    root = Path(config.root or target.parent)
    for key, value in config.inputs.items():
        key_path, key_name = parse_target(key, root)
        if key_path == target.resolve() and key_name == qualname:
            return from_text(value, root, "[tool.lesson-lsp.inputs]")
    try:
        relative = target.resolve().relative_to(root.resolve())
    except ValueError:
        relative = Path(target.name)
    raise InputsError(
        f"no inputs for `{qualname}`: name a generator that returns a list of argument tuples, "
        f'with --inputs FILE::CALLABLE or in pyproject.toml: [tool.lesson-lsp.inputs] '
        f'"{relative.as_posix()}::{qualname}" = "FILE::CALLABLE"'
    )
