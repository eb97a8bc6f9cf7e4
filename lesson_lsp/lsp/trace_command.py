"""The trace command (`lesson-lsp.trace`): run the user's workload under the tracer with
cancellable progress, then have the editor ask for code lenses again and say what was hot.

The tracer (`tracing/runner.py`) is imported when the command runs, never with the server.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from lesson_lsp.lsp.lenses import percent
from lesson_lsp.lsp.runqueue import WorkProgress
from lesson_lsp.workspace.config import ConfigError, load
from lesson_lsp.workspace.project import ProjectError, interpreter

if TYPE_CHECKING:
    from lesson_lsp.lsp.state import LessonServer
    from lesson_lsp.workspace.traces import Trace

TRACE = "lesson-lsp.trace"
SHOWN = 3
log = logging.getLogger("lesson_lsp")
_running: set[str] = set()  # project roots being traced


class TraceError(Exception):
    """The command cannot run as asked; the message says why."""


def parse(args: tuple[Any, ...]) -> tuple[list[str], str | None]:
    """The command line and the optional document URI from the command's arguments:
    `[{"command": "python run.py" | [...], "uri": ...}]`, `["python run.py"]` or
    `["python", "run.py"]`."""
    first = args[0] if args else None
    uri = None
    if isinstance(first, dict):
        given, uri = first.get("command"), first.get("uri")
    elif len(args) == 1:
        given = first
    else:
        given = list(args)
    if isinstance(given, str):
        command = shlex.split(given)
    elif isinstance(given, list) and all(isinstance(x, str) for x in given):
        command = list(given)
    else:
        command = []
    if not command:
        raise TraceError(f'{TRACE} needs the workload\'s command: [{{"command": "python run.py"}}]')
    return command, uri if isinstance(uri, str) else None


async def run_trace(command: list[str], root: Path, python: str, timeout_s: float,
                    on_progress: Callable[[str], None]) -> Trace:
    """The runner (imported on first use: the server starts without it), from the project's
    root. The workload's output goes to a log file: the server's stdout is the LSP channel."""
    from lesson_lsp.tracing import runner

    log_file = output_file(root)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "wb") as output:
        try:
            return await runner.run(command, root, python, timeout_s, on_progress, cwd=root,
                                    output=runner.Streams(output.fileno(), output.fileno()))
        except runner.TraceError as exc:
            raise TraceError(str(exc)) from exc


def output_file(root: Path) -> Path:
    """Where the traced workload's printed output is kept (beside the trace)."""
    from lesson_lsp.workspace.traces import folder

    return folder(root) / "output.log"


def project(ls: LessonServer, uri: str | None) -> tuple[Path, str, float]:
    """The project root (of `uri`, else of the workspace), the Python that runs it and the
    workload's time limit."""
    path = to_fs_path(uri) if uri else ls.workspace.root_path
    if not path:
        raise TraceError("no project: open a folder, or pass the `uri` of one of its files")
    try:
        config = load(Path(path), ls.settings)
        python = interpreter(config.interpreter, config.root, config.editor_interpreter)
    except (ConfigError, ProjectError) as exc:
        raise TraceError(str(exc)) from exc
    return Path(config.root), python.path, config.trace_timeout_s


def summary(trace: Trace) -> str:
    """'Traced `python run.py`: 3.2 s, exit 0. Hottest: fib 62 % (slow.py), …'."""
    top = [f"{f.qualname} {percent(f.share)} ({os.path.basename(f.path)})"
           for f in trace.functions[:SHOWN]]
    hot = f"Hottest: {', '.join(top)}." if top else "No function of the project took " \
        "measurable time."
    note = f" {trace.note}" if trace.note else ""
    if trace.exit_code not in (0, None):
        note += f" The workload failed; its output is in {output_file(Path(trace.root))}."
    return f"Traced {trace.describe()}. {hot}{note}"


async def trace_command(ls: LessonServer, *args: Any) -> dict[str, Any] | None:
    """Runs in its own task, which the progress' cancel button and $/cancelRequest cancel;
    the request is answered once, when the trace ends (the server answers others meanwhile)."""
    try:
        command, uri = parse(args)
    except TraceError as exc:
        ls.tell(lsp.MessageType.Error, f"Lesson team: {exc}")
        return None
    return await ls.answer_once(_trace(ls, command, uri))


async def _trace(ls: LessonServer, command: list[str], uri: str | None) -> dict[str, Any] | None:
    task = asyncio.current_task()
    assert task is not None
    progress = WorkProgress(ls, task)
    root = ""
    try:
        found_root, python, timeout_s = await asyncio.to_thread(project, ls, uri)
        if str(found_root) in _running:
            raise TraceError(f"{found_root} is being traced already; wait for it or cancel it")
        root = str(found_root)
        _running.add(root)
        await progress.begin(f"Lesson team: tracing `{shlex.join(command)}`")
        trace = await run_trace(command, found_root, python, timeout_s, progress.say)
    except asyncio.CancelledError:
        progress.end("cancelled")
        ls.tell(lsp.MessageType.Info, "Lesson team: trace cancelled.")
        return None
    except Exception as exc:  # the runner's errors, the workload's, and ours: the server stays
        if not isinstance(exc, TraceError):
            log.exception("trace failed")
        progress.end("failed")
        ls.tell(lsp.MessageType.Error, f"Lesson team: the trace failed: {exc}")
        return None
    finally:
        _running.discard(root)
    progress.end(f"{len(trace.functions)} functions traced")
    if _refreshes(ls):
        ls.workspace_code_lens_refresh(None)
    ls.tell(lsp.MessageType.Info, f"Lesson team: {summary(trace)}")
    return trace.as_json()


def _refreshes(ls: LessonServer) -> bool:
    """The client asks for code lenses again when told to (`workspace/codeLens/refresh`)."""
    workspace = ls.client_capabilities.workspace if ls.client_capabilities else None
    lenses = workspace.code_lens if workspace else None
    return bool(lenses and lenses.refresh_support)
