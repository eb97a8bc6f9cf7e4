"""What lesson-lsp's own `--apply` replaced: for each file it wrote, the bytes the file had before
lesson-lsp's first write and the bytes of its last one, kept in the project's cache (never in the
project, DESIGN.md invariant 5).

`lesson-lsp compare` runs the workload on those older bytes when the project has no git to say
what "before" was. A file edited by someone else since lesson-lsp wrote it starts a new record
at the next write: its "before" is then what that write replaced, so the record never reaches
back past a change lesson-lsp did not make.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from lesson_lsp.workspace import storage

FORMAT = 1


@dataclass(frozen=True)
class Replaced:
    """One file lesson-lsp wrote: its bytes before the first write, and the last write's."""

    path: str  # absolute
    original: bytes
    written_sha256: str

    def edited_since(self) -> bool:
        """Whether the file on disk is no longer what lesson-lsp last wrote."""
        try:
            return _sha(Path(self.path).read_bytes()) != self.written_sha256
        except OSError:
            return True


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_file(root: str | Path) -> Path:
    return storage.project_cache(root) / "applied.json"


def _read(root: str | Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(record_file(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return {}
    files = data.get("files")
    return files if isinstance(files, dict) else {}


def remember(root: str | Path, path: str | Path, replaced: bytes, written: bytes) -> None:
    """Record that lesson-lsp replaced `replaced` by `written` in `path` (a project file)."""
    files = _read(root)
    key = str(Path(path).resolve())
    kept = files.get(key)
    if kept is None or kept.get("written") != _sha(replaced):  # first write, or edited since
        kept = {"original": base64.b64encode(replaced).decode("ascii")}
    kept["written"] = _sha(written)
    files[key] = kept
    target = record_file(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.partial")
    partial.write_text(json.dumps({"format": FORMAT, "files": files}, indent=1),
                       encoding="utf-8")
    partial.replace(target)


def recorded(root: str | Path) -> list[Replaced]:
    """The project's files lesson-lsp wrote, each with the bytes it replaced first."""
    found = []
    for path, kept in sorted(_read(root).items()):
        try:
            original = base64.b64decode(kept["original"], validate=True)
        except (KeyError, ValueError, TypeError):
            continue
        found.append(Replaced(path, original, str(kept.get("written", ""))))
    return found


def recorded_under(root: str | Path, skip_dirs: frozenset[str] = frozenset()) -> list[Replaced]:
    """The records of every file under `root`: `optimize` keeps a file's record under its own
    project root, which for a project without pyproject.toml, setup.py or .git is the file's
    folder; so the folders below `root` that hold Python files are looked at too."""
    base = Path(root).resolve()
    found: dict[str, Replaced] = {}
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d not in skip_dirs and not d.startswith("."))
        if folder != str(base) and not any(name.endswith(".py") for name in files):
            continue
        for replaced in recorded(folder):
            if Path(replaced.path).is_relative_to(base):
                found.setdefault(replaced.path, replaced)
    return sorted(found.values(), key=lambda r: r.path)


def forget(root: str | Path) -> None:
    """Drop the record (the next `--apply` starts a new one)."""
    try:
        record_file(root).unlink()
    except FileNotFoundError:
        pass
