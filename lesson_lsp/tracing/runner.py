"""Run the user's workload under the tracing agent, as they would run it (their folder, their
environment, the project's interpreter, output passing through), with a time limit, and store
the trace it gives.

Async: the language server calls `run` on its event loop; the CLI through `asyncio.run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lesson_lsp
from lesson_lsp.harness.capture import SKIP_DIRS
from lesson_lsp.tracing import results
from lesson_lsp.workspace import traces

GRACE_S = 5.0  # after the SIGINT of the time limit, before the process group is killed
POLL_S = 0.5
# The time limit counts from the workload's start, not the tracer's: the interpreter and the
# tracer's own imports (slow on a busy machine) may take this long on top before it is stopped.
STARTUP_S = 60.0
STARTED = "started"  # the file the agent creates as the workload begins
FORMS = ("python script.py ARGS, script.py ARGS, python -m module ARGS, -m module ARGS, "
         "pytest ARGS")
_PYTHON = re.compile(r"python[0-9.]*(\.exe)?$")


class TraceError(Exception):
    """The command cannot be traced; the message says what can."""


@dataclass(frozen=True)
class Workload:
    """What to run: a script (`target` is its path) or a module (`target` is its name), run
    as `python -m` runs it or, for a console script (`pytest`), as its script does."""

    kind: str  # "script" | "module" | "console"
    target: str
    args: list[str]


@dataclass(frozen=True)
class Streams:
    """Where the workload's output goes: file descriptors, None to share this process's own."""

    stdout: int | None = None
    stderr: int | None = None


def parse(command: list[str], cwd: Path) -> Workload:
    """The workload a command line names, in one of the FORMS."""
    words = list(command)
    if words and words[0] == "--":
        words = words[1:]
    if not words:
        raise TraceError(f"no command to trace; give one of: {FORMS}")
    first = os.path.basename(words[0])
    if _PYTHON.match(first):
        words = words[1:]
        if not words:
            raise TraceError("`python` alone is interactive; give a script or -m module")
    elif first in ("pytest", "py.test"):
        return Workload("console", "pytest", words[1:])
    if words[0] == "-m":
        if len(words) < 2:
            raise TraceError("-m needs a module name")
        return Workload("module", words[1], words[2:])
    if words[0].startswith("-"):
        raise TraceError(f"interpreter option {words[0]} is not supported; give one of: {FORMS}")
    if not words[0].endswith((".py", ".pyw")) and not _PYTHON.match(first):
        raise TraceError(f"`{command[0] if command[0] != '--' else words[0]}` is not a Python "
                         f"workload; lesson-lsp traces only: {FORMS}")
    if not (cwd / words[0]).is_file():
        raise TraceError(f"{words[0]}: no such script in {cwd}")
    return Workload("script", words[0], words[1:])


def _library_folder(workdir: str) -> str:
    """A folder holding only lesson_lsp (a link to this copy), for the agent's PYTHONPATH: the
    project's interpreter must not see lesson-lsp's own dependencies."""
    folder = os.path.join(workdir, "lib")
    os.mkdir(folder)
    os.symlink(str(Path(lesson_lsp.__file__).resolve().parent), os.path.join(folder, "lesson_lsp"))
    return folder


async def run(command: list[str], root: Path, python: str, timeout_s: float = 600,
              on_progress: Callable[[str], None] | None = None,
              output: Streams | None = None, cwd: Path | None = None) -> traces.Trace:
    """Trace the workload and store the trace (it replaces the project's previous one)."""
    folder = Path(cwd or Path.cwd())
    workload = parse(command, folder)
    streams = output or Streams()
    workdir = tempfile.mkdtemp(prefix="lesson-trace-")
    try:
        lib = _library_folder(workdir)
        job = {"kind": workload.kind, "target": workload.target, "args": workload.args,
               "root": str(root), "skip_dirs": sorted(SKIP_DIRS), "out": workdir, "lib": lib,
               "pythonpath": os.environ.get("PYTHONPATH")}
        job_file = os.path.join(workdir, "job.json")
        Path(job_file).write_text(json.dumps(job), encoding="utf-8")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [lib, os.environ.get("PYTHONPATH")]))
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            python, "-m", "lesson_lsp.tracing.agent", job_file, cwd=str(folder), env=env,
            stdout=streams.stdout, stderr=streams.stderr, stdin=asyncio.subprocess.DEVNULL,
            start_new_session=True)
        timed_out = await _supervise(process, timeout_s, started, workdir, on_progress)
        wall = time.monotonic() - started
        raw = results.read(workdir)
        trace = results.assemble(raw, command, root, python, wall, process.returncode,
                                 timed_out, timeout_s)
        traces.save(trace)
        return trace
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def _supervise(process: asyncio.subprocess.Process, timeout_s: float, started: float,
                     workdir: str, on_progress: Callable[[str], None] | None) -> bool:
    """Wait for the workload, reporting progress; at the time limit (counted from the
    workload's start, which the agent marks), SIGINT its process group (so the agent writes
    what it has), then kill the group after GRACE_S. True if stopped."""
    deadline = started + STARTUP_S + timeout_s
    began = False
    said = ""
    try:
        while True:
            if not began:
                since = _since(workdir)
                if since is not None:
                    began = True
                    deadline = time.monotonic() - since + timeout_s
            left = deadline - time.monotonic()
            if left <= 0:
                await _stop(process)
                return True
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(process.wait(), min(POLL_S, left))
                return False
            now = _progress(time.monotonic() - started, workdir)
            if on_progress is not None and now != said:  # once a second, not once a poll
                on_progress(now)
                said = now
    except asyncio.CancelledError:
        await asyncio.shield(_stop(process))
        raise


def _since(workdir: str) -> float | None:
    """Seconds since the workload began (the agent's mark), None before."""
    try:
        marked = os.stat(os.path.join(workdir, STARTED)).st_mtime
    except OSError:
        return None
    return max(0.0, time.time() - marked)


def _progress(elapsed: float, workdir: str) -> str:
    try:
        seen = int(Path(workdir, "progress").read_text(encoding="ascii").strip() or 0)
    except (OSError, ValueError):
        seen = 0
    return f"tracing: {elapsed:.0f} s, {seen} project functions seen"


async def _stop(process: asyncio.subprocess.Process) -> None:
    _signal_group(process.pid, signal.SIGINT)
    try:
        await asyncio.wait_for(process.wait(), GRACE_S)
    except asyncio.TimeoutError:
        pass
    _signal_group(process.pid, signal.SIGKILL)
    await process.wait()


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)
