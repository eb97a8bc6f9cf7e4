"""Inside the workload: `PY -m lesson_lsp.workload_compare.agent JOB.json` runs the user's program
as Python would (`script.py ARGS` or `-m module ARGS`), except that the project's Python files
named in the job are served from the job's bytes instead of the disk, and those the job names
absent cannot be imported.

Both sides of a comparison run through here: "before" is served the old bytes of the changed
files, "after" their bytes now, so the two sides load the changed modules the same way (compiled
in memory, no .pyc read or written) and differ only in those bytes. `linecache` is given the
served text, so a traceback quotes the code that ran.

Standard library only: it runs in the project's interpreter (any Python ≥ 3.10).
"""

from __future__ import annotations

import base64
import builtins
import importlib.machinery
import importlib.util
import json
import linecache
import os
import runpy
import sys
import traceback
import types
from typing import Any, ClassVar

_real_paths: dict[str, str] = {}


def _real(path: str) -> str:
    found = _real_paths.get(path)
    if found is None:
        found = _real_paths[path] = os.path.realpath(os.path.abspath(path))
    return found


def _remember_lines(path: str, data: bytes) -> None:
    """Tracebacks and `inspect` read the served text, not the file on disk."""
    try:
        text = importlib.util.decode_source(data)
    except (SyntaxError, UnicodeDecodeError):
        return
    lines = text.splitlines(True)
    linecache.cache[path] = (len(data), None, lines, path)  # mtime None: never re-read


class ServedLoader(importlib.machinery.SourceFileLoader):
    """A source loader whose file's bytes come from the job; no bytecode cache is used."""

    texts: ClassVar[dict[str, bytes]] = {}

    def get_data(self, path: str) -> bytes:
        served = self.texts.get(_real(path))
        return served if served is not None else super().get_data(path)

    def get_code(self, fullname: str) -> Any:
        path = self.get_filename(fullname)
        data = self.get_data(path)
        _remember_lines(path, data)
        return self.source_to_code(data, path)


class ServedFinder:
    """First on sys.meta_path: asks the other finders, then gives a module whose file is
    served the serving loader; refuses modules whose file is absent on this side; finds
    served modules whose file is gone from the disk."""

    def __init__(self, texts: dict[str, bytes], absent: set[str]) -> None:
        self.texts, self.absent = texts, absent
        ServedLoader.texts = texts

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        spec = None
        for finder in list(sys.meta_path):
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        if spec is None:
            return self._gone(fullname, path)
        origin = getattr(spec, "origin", None)
        if not isinstance(origin, str):
            return spec
        real = _real(origin)
        if real in self.absent:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        if real in self.texts and spec.loader is not None:
            spec.loader = ServedLoader(fullname, origin)
            spec.cached = None
        return spec

    def _gone(self, fullname: str, path: Any) -> Any:
        """A served module whose file was deleted since (the path finders cannot see it)."""
        tail = fullname.rpartition(".")[2]
        for entry in list(path if path is not None else sys.path):
            if not isinstance(entry, str):
                continue
            folder = entry or os.getcwd()
            for candidate, package in ((os.path.join(folder, tail, "__init__.py"), True),
                                       (os.path.join(folder, tail + ".py"), False)):
                if _real(candidate) in self.texts and not os.path.exists(candidate):
                    return importlib.util.spec_from_file_location(
                        fullname, candidate, loader=ServedLoader(fullname, candidate),
                        submodule_search_locations=[os.path.dirname(candidate)] if package
                        else None)
        return None


def _restore_environment(job: dict[str, Any]) -> None:
    """The program sees the PYTHONPATH and sys.path it would without lesson-lsp."""
    if job.get("pythonpath") is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = job["pythonpath"]
    lib = job.get("lib")
    sys.path[:] = [p for p in sys.path if p != lib]


def _run_script(path: str, args: list[str], texts: dict[str, bytes], absent: set[str]) -> int:
    """What `python path args` does, the script's bytes served when they are."""
    full = os.path.abspath(path)
    if _real(full) in absent:
        print(f"{sys.executable}: can't open file {full!r}: [Errno 2] No such file or directory",
              file=sys.stderr)
        return 2
    sys.argv = [path, *args]
    sys.path[0] = os.path.dirname(full)
    source = texts.get(_real(full))
    if source is None:
        with open(full, "rb") as handle:
            source = handle.read()
    else:
        _remember_lines(full, source)
    code = compile(source, full, "exec", dont_inherit=True)
    main = types.ModuleType("__main__")
    main.__dict__.update(__file__=full, __builtins__=builtins, __spec__=None, __loader__=None,
                         __package__=None, __cached__=None)
    sys.modules["__main__"] = main
    exec(code, main.__dict__)
    return 0


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def _print_error(exc: BaseException) -> None:
    """The traceback Python would print, without this agent's frames."""
    tb = exc.__traceback__
    ours = {os.path.abspath(__file__), os.path.abspath(runpy.__file__)}
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) in ours:
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb)


def run(job: dict[str, Any]) -> int:
    _restore_environment(job)
    sys.dont_write_bytecode = True  # nothing lands in the project's __pycache__
    texts = {path: base64.b64decode(data) for path, data in job["served"].items()}
    absent = set(job["absent"])
    sys.meta_path.insert(0, ServedFinder(texts, absent))
    try:
        if job["kind"] == "script":
            return _run_script(job["target"], job["args"], texts, absent)
        sys.argv = [job["target"], *job["args"]]
        runpy.run_module(job["target"], run_name="__main__", alter_sys=True)
        return 0
    except SystemExit as exc:
        return _exit_code(exc)
    except KeyboardInterrupt as exc:
        _print_error(exc)
        return 130
    except BaseException as exc:  # the program's own failure: reported as Python would
        _print_error(exc)
        return 1


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        job = json.load(handle)
    sys.exit(run(job))


if __name__ == "__main__":
    main()
