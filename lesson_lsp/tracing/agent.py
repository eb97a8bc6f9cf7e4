"""Inside the workload: `PY -m lesson_lsp.tracing.agent JOB.json` runs the user's program as
Python would, with the project's functions recording, and writes what they recorded to the
job's folder when the program ends: normally, by SystemExit, by an exception, or by the SIGINT
of the time limit.

Standard library only: it runs in the project's interpreter (any Python ≥ 3.10).
"""

from __future__ import annotations

import builtins
import importlib.machinery
import json
import os
import pickle
import runpy
import sys
import time
import traceback
import types
from typing import Any

from lesson_lsp.tracing import probe, rewrite


def _restore_environment(job: dict[str, Any]) -> None:
    """The program sees the PYTHONPATH and sys.path it would without lesson-lsp."""
    if job.get("pythonpath") is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = job["pythonpath"]
    lib = job.get("lib")
    sys.path[:] = [p for p in sys.path if p != lib]


def _run_script(path: str, args: list[str], is_project: Any, slot: Any,
                skipped: Any = None) -> None:
    """What `python path args` does, the script compiled with the recording prologue when it
    is the project's (as written when it cannot be instrumented)."""
    full = os.path.abspath(path)
    sys.argv = [path, *args]
    sys.path[0] = os.path.dirname(full)
    with open(full, "rb") as handle:
        source = handle.read()
    code = rewrite.compile_or_plain(source, full, slot, skipped) if is_project(full) else \
        compile(source, full, "exec", dont_inherit=True)
    main = types.ModuleType("__main__")
    loader = importlib.machinery.SourceFileLoader("__main__", full)
    main.__dict__.update(__file__=full, __builtins__=builtins, __spec__=None, __loader__=loader,
                         __package__=None, __cached__=None)
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


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
    exc.__traceback__ = tb
    try:  # as Python does: through sys.excepthook, the program's own if it set one
        sys.excepthook(type(exc), exc, tb)
    except Exception:
        traceback.print_exception(type(exc), exc, tb)


def run(job: dict[str, Any]) -> int:
    _restore_environment(job)
    sys.dont_write_bytecode = True  # nothing lands in the project's __pycache__
    registry = probe.Registry()
    names = (registry.left, registry.calls, registry.depth, registry.keep)
    builtins.__dict__.update(zip(rewrite.NAMES, names))
    is_project = rewrite.project_filter(job["root"], set(job["skip_dirs"]))
    sys.meta_path.insert(0, rewrite.ProjectFinder(is_project, registry.slot, registry.skip,
                                                  registry.discount))
    progress_fd = os.open(os.path.join(job["out"], "progress"), os.O_WRONLY | os.O_CREAT, 0o600)
    profiler = probe.Profiler(registry, progress_fd)
    path_before = list(sys.path)
    pid = os.getpid()
    code, complete = 0, True
    # The runner's time limit counts from here: the tracer's own start is not the workload's.
    os.close(os.open(os.path.join(job["out"], "started"), os.O_WRONLY | os.O_CREAT, 0o600))
    started = time.perf_counter()
    cpu_started = time.process_time()
    profiled = profiler.start()
    try:
        if job["kind"] == "script":
            _run_script(job["target"], job["args"], is_project, registry.slot, registry.skip)
        else:
            if job["kind"] == "console":  # `pytest`: as its script runs, from the bin folder
                sys.path[0] = os.path.dirname(sys.executable)
            sys.argv = [job["target"], *job["args"]]
            runpy.run_module(job["target"], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = _exit_code(exc)
    except KeyboardInterrupt as exc:
        complete, code = False, 130
        _print_error(exc)
    except BaseException as exc:  # the program's own failure: reported as Python would
        code = 1
        _print_error(exc)
    finally:
        profiler.stop()
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    if os.getpid() != pid:  # a forked child that returned here: the parent reports
        return code
    with_tests = [p for p in sys.path if p not in path_before and os.path.isdir(p)]
    _write(job["out"], registry, {
        "exit_code": code, "complete": complete, "wall_s": wall, "cpu_s": cpu,
        "instrumenting_s": rewrite.INSTRUMENTING_S[0], "copying_s": registry.pickling_s,
        "profiled": profiled, "other_s": profiler.other_s, "test_paths": with_tests,
        "uninstrumented": registry.skipped})
    os.close(progress_fd)
    return code


def _write(out: str, registry: probe.Registry, summary: dict[str, Any]) -> None:
    functions: list[dict[str, Any]] = []
    calls: dict[str, dict[str, list[bytes]]] = {}
    for record in registry.functions:
        count = registry.count(record)
        if not count and not record.total_s:
            continue
        # Copying a call's arguments happens in the function's prologue, so the profiler
        # charged it to the function: it is the tracer's time, not the function's.
        functions.append({"path": record.path, "qualname": record.qualname, "calls": count,
                          "own_s": max(0.0, record.own_s - record.pickling_s),
                          "total_s": max(0.0, record.total_s - record.pickling_s),
                          "captured": len(record.kept), "unpicklable": record.unpicklable})
        if record.kept:
            calls.setdefault(record.path, {})[record.qualname] = list(record.kept)
    with open(os.path.join(out, "calls.pickle"), "wb") as handle:
        pickle.dump(calls, handle, protocol=4)
    partial = os.path.join(out, "result.json.partial")
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump({**summary, "functions": functions}, handle)
    os.replace(partial, os.path.join(out, "result.json"))


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        job = json.load(handle)
    sys.exit(run(job))


if __name__ == "__main__":
    main()
