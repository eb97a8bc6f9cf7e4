"""The project a file belongs to: its root, the import name of the file's module, and the Python
that runs the project's code (DESIGN.md, invariant 4).

A function is run as its package's module (`pkg.sub.mod`, imported normally, relative imports
and all), never as a loose file, so objects captured from the tests are instances of the very
classes being optimized.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
MIN_PYTHON = (3, 10)  # what the sandbox worker needs


class ProjectError(Exception):
    """The project's interpreter cannot be used; the message says what to do."""


def find_root(path: Path) -> Path:
    """The nearest folder at or above `path` holding pyproject.toml, setup.cfg, setup.py or .git;
    the file's own folder when there is none."""
    here = path.resolve()
    here = here if here.is_dir() else here.parent
    for folder in (here, *here.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return here


@dataclass(frozen=True)
class ModuleLocation:
    """How to import a file: put `search_path` first on sys.path, then import `name`."""

    name: str
    search_path: str

    @property
    def package(self) -> str:
        return self.name.rpartition(".")[0]


def _is_identifier_path(parts: tuple[str, ...]) -> bool:
    return bool(parts) and all(p.isidentifier() for p in parts)


def locate(path: str | Path, root: str | Path = "") -> ModuleLocation:
    """The import name of the module in `path`: up the chain of folders that hold `__init__.py`
    (regular packages, flat or `src/` layouts alike); for a file outside any regular package,
    its path below the project's `src/` when that spells a dotted name (namespace packages);
    else the file on its own, as Python (and pytest) would run a script."""
    file = Path(path).resolve()
    stem = "" if file.name == "__init__.py" else file.stem
    folder = file.parent
    parts: list[str] = [stem] if stem else []
    while (folder / "__init__.py").is_file() and folder.name.isidentifier():
        parts.insert(0, folder.name)
        if folder.parent == folder:
            break
        folder = folder.parent
    if folder != file.parent:  # inside a regular package
        return ModuleLocation(".".join(parts), str(folder))
    if root:
        base = Path(root).resolve()
        for entry in (base / "src",):
            try:
                relative = file.with_suffix("").relative_to(entry)
            except ValueError:
                continue
            if len(relative.parts) > 1 and _is_identifier_path(relative.parts):
                return ModuleLocation(".".join(relative.parts), str(entry))
    return ModuleLocation(file.stem, str(file.parent))


# ----------------------------------------------------------------------------- interpreter


@dataclass(frozen=True)
class Interpreter:
    """The Python that runs the project's code in the sandbox, and why it was chosen."""

    path: str
    version: tuple[int, int]
    chosen_by: str  # "configured", "active virtualenv", ".venv", "venv", "lesson-lsp's own"

    def describe(self) -> str:
        major, minor = self.version
        return f"{self.path} (Python {major}.{minor}, {self.chosen_by})"

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "version": ".".join(map(str, self.version)),
                "chosen_by": self.chosen_by}


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


@functools.lru_cache(maxsize=32)
def _probe(python: str, stamp: float) -> tuple[int, int] | str:
    """The interpreter's version, or why it cannot run (cached per path and file time)."""
    del stamp
    try:
        done = subprocess.run(
            [python, "-I", "-c", "import json, sys; print(json.dumps(sys.version_info[:2]))"],
            capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"it does not start: {exc}"
    if done.returncode != 0:
        return f"it does not start: {done.stderr.strip()[-200:]}"
    try:
        major, minor = json.loads(done.stdout)
    except ValueError:
        return f"it printed {done.stdout[:80]!r} for its version"
    return int(major), int(minor)


def _check(python: Path, chosen_by: str) -> Interpreter:
    try:
        stamp = python.stat().st_mtime
    except OSError as exc:
        raise ProjectError(f"the project's Python {python} ({chosen_by}) does not exist: set "
                           "`interpreter` to a Python 3.10 or newer") from exc
    found = _probe(str(python), stamp)
    if isinstance(found, str):
        raise ProjectError(f"the project's Python {python} ({chosen_by}) cannot be used: "
                           f"{found}; set `interpreter` to a working Python 3.10 or newer")
    if found < MIN_PYTHON:
        raise ProjectError(f"the project's Python {python} ({chosen_by}) is "
                           f"{found[0]}.{found[1]}; lesson-lsp needs 3.10 or newer: set "
                           "`interpreter` to a newer one")
    return Interpreter(str(python), found, chosen_by)


def interpreter(setting: str, root: str | Path, editor: str = "") -> Interpreter:
    """The project's Python: the `interpreter` setting (a python executable or a virtualenv
    folder, relative to the project root), else the environment selected in the editor, else
    the active virtualenv, else a `.venv` or `venv` in the project, else lesson-lsp's own."""
    base = Path(root or ".")
    for given_text, chosen_by in ((setting, "configured"), (editor, "selected in the editor")):
        if not given_text:
            continue
        given = Path(os.path.expanduser(given_text))
        given = given if given.is_absolute() else base / given
        if given.is_dir():
            given = _venv_python(given)
        return _check(given, chosen_by)
    active = os.environ.get("VIRTUAL_ENV")
    if active and _venv_python(Path(active)).exists():
        return _check(_venv_python(Path(active)), "active virtualenv")
    for name in (".venv", "venv"):
        candidate = _venv_python(base / name)
        if candidate.exists():
            return _check(candidate, name)
    return Interpreter(sys.executable, sys.version_info[:2], "lesson-lsp's own")
