"""Calls captured from the project's own tests: one sandboxed pytest run (the project's
interpreter) records the calls to every function of a module; the result is cached in the
user's cache directory under a digest of the project's sources, so later runs, and the server's
next request on the same module, reuse it until a source file changes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lesson_lsp.workspace import storage
from lesson_lsp.workspace.project import ModuleLocation

CAPTURE_BUDGET_S = 60.0
SKIP_DIRS = {".git", ".hg", ".venv", "venv", "env", "node_modules", ".lesson-lsp",
             "__pycache__", ".tox", ".nox", "build", "dist", "site-packages", ".mypy_cache",
             ".pytest_cache", ".ruff_cache", ".eggs"}
_STATE_SUFFIXES = (".py", ".pyi", ".toml", ".cfg", ".ini", ".pth")
_MAX_FILES = 20_000
_locks: dict[tuple[int, str], asyncio.Lock] = {}  # per event loop: a lock is bound to one


@dataclass
class Capture:
    """What one pytest run recorded for one module."""

    path: Path  # the pickle: {"functions": {qualname: [pickled (args, kwargs)]}, "meta": {…}}
    calls: dict[str, int] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    error: str = ""  # why nothing could be recorded

    def summary(self) -> str:
        """'120 of 480 tests ran: 117 passed, 3 failed, 4.1 s'."""
        meta = self.meta
        if not meta:
            return "the tests did not run"
        failed = f", {meta['failed']} failed" if meta.get("failed") else ""
        partial = "" if meta.get("complete") else f" of {meta.get('collected', '?')}"
        return (f"{meta.get('ran', 0)}{partial} tests ran: {meta.get('passed', 0)} passed"
                f"{failed}, {float(meta.get('seconds', 0.0)):.1f} s")


def has_tests(root: Path, depth: int = 3) -> bool:
    """Does the project hold pytest-style test files (looked for a few levels deep)?"""
    def walk(folder: Path, level: int) -> bool:
        try:
            entries = list(folder.iterdir())
        except OSError:
            return False
        for entry in entries:
            if entry.is_file() and entry.suffix == ".py" and (
                    entry.name.startswith("test_") or entry.stem.endswith("_test")):
                return True
        return level < depth and any(
            walk(e, level + 1) for e in entries if e.is_dir() and e.name not in SKIP_DIRS)

    return walk(root, 0)


def project_state(root: Path) -> str:
    """A digest of the project's sources and test configuration (paths, sizes, change times):
    what the tests' calls depend on."""
    digest = hashlib.sha256()
    count = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if not name.endswith(_STATE_SUFFIXES):
                continue
            path = os.path.join(folder, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue
            digest.update(f"{os.path.relpath(path, root)}\0{stat.st_size}\0"
                          f"{stat.st_mtime_ns}\n".encode("utf-8", "surrogatepass"))
            count += 1
            if count >= _MAX_FILES:
                return digest.hexdigest()
    return digest.hexdigest()


def _cache_file(root: Path, location: ModuleLocation, python: str) -> Path:
    key = hashlib.sha256(f"{python}\0{location.name}\0{location.search_path}\0"
                         f"{project_state(root)}".encode("utf-8", "surrogatepass")).hexdigest()
    return storage.project_cache(root) / "captured" / f"{location.name}-{key[:20]}.pickle"


def _load(path: Path) -> Capture | None:
    try:
        with path.open("rb") as handle:
            stored = pickle.load(handle)
        calls = {q: len(v) for q, v in stored["functions"].items()}
        return Capture(path, calls, dict(stored["meta"]))
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, AttributeError):
        return None


def _store(path: Path, payload: dict[str, Any], earlier: Capture | None,
           wanted: str) -> Capture:
    functions = {q: [base64.b64decode(c) for c in calls]
                 for q, calls in payload.get("functions", {}).items()}
    if earlier is not None:  # a second run for a function the first did not reach: merge
        with earlier.path.open("rb") as handle:
            for qualname, calls in pickle.load(handle)["functions"].items():
                functions.setdefault(qualname, calls)
    keys = ("collected", "ran", "passed", "failed", "complete", "stopped", "seconds",
            "imported", "unpicklable", "test_paths")
    meta = {k: payload.get(k) for k in keys}
    meta["ran_for"] = sorted({wanted, *((earlier.meta.get("ran_for") or []) if earlier else [])})
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(path.name.rsplit("-", 1)[0] + "-*.pickle"):
        if stale != path:
            stale.unlink(missing_ok=True)  # an older state of the same module
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    with partial.open("wb") as handle:
        pickle.dump({"functions": functions, "meta": meta}, handle, protocol=4)
    os.replace(partial, path)
    return Capture(path, {q: len(v) for q, v in functions.items()}, meta)


async def capture(root: Path, location: ModuleLocation, qualname: str, python: str,
                  timeout_s: float, memory_mb: int,
                  on_progress: Callable[[str], None] | None = None) -> Capture:
    """The calls the project's tests make to the functions of `location`'s module: from the
    cache when the project has not changed since, else from one sandboxed pytest run."""
    from lesson_lsp.harness import sandbox

    path = _cache_file(root, location, python)
    lock = _locks.setdefault((id(asyncio.get_running_loop()), str(path)), asyncio.Lock())
    async with lock:
        earlier = _load(path) if path.is_file() else None
        if earlier is not None and (qualname in earlier.calls or earlier.meta.get("complete")
                                    or qualname in (earlier.meta.get("ran_for") or [])):
            return earlier
        job = {"mode": "capture", "module_name": location.name, "qualname": qualname,
               "sys_path": [location.search_path, str(root)], "tests_root": str(root),
               "capture_budget_s": CAPTURE_BUDGET_S}
        result = await sandbox.run(job, timeout_s=max(timeout_s, CAPTURE_BUDGET_S + 30),
                                   memory_mb=memory_mb, python=python, on_line=on_progress)
        payload = result.payload
        if payload is None or payload.get("status") != "ok":
            return Capture(path, error=f"the tests could not run: {result.detail}")
        return _store(path, payload, earlier, qualname)
