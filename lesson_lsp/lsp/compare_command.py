"""The compare command (`lesson-lsp.compare`): the project's last traced workload run before and
after the edits (`workload_compare/`) in the background, with cancellable progress, and the
result (ratio, interval, output identical or not) as a message.

The runs take one of the server's run slots (`runqueue.py`): timings made beside an optimize
would disturb each other. They run in a thread (the measuring waits on processes); cancelling
stops the run under way and its process group within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from lesson_lsp.lsp.runqueue import WorkProgress
from lesson_lsp.lsp.trace_command import TraceError, project
from lesson_lsp.workspace import traces

if TYPE_CHECKING:
    from lesson_lsp.lsp.state import LessonServer
    from lesson_lsp.workload_compare.compare import Comparison, Session

COMPARE = "lesson-lsp.compare"
log = logging.getLogger("lesson_lsp")
_running: set[str] = set()  # project roots being compared


class CompareCommandError(Exception):
    """The command cannot run as asked; the message says why."""


def parse(args: tuple[Any, ...]) -> tuple[str | None, int | None, str | None]:
    """The document URI (its project is compared; else the workspace's), the runs per side and
    the git base from `[{"uri": ..., "runs": 5, "base": "HEAD"}]`, `["file:///..."]` or `[]`."""
    first = args[0] if args else None
    if isinstance(first, str):
        return first, None, None
    if first is None:
        return None, None, None
    if not isinstance(first, dict):
        raise CompareCommandError(f'{COMPARE} takes [{{"uri": FILE_URI, "runs": N}}] or nothing')
    uri, runs, base = first.get("uri"), first.get("runs"), first.get("base")
    if runs is not None and (not isinstance(runs, int) or isinstance(runs, bool) or runs < 1):
        raise CompareCommandError(f"{COMPARE}: runs must be a whole number ≥ 1, not {runs!r}")
    return (uri if isinstance(uri, str) else None, runs,
            base if isinstance(base, str) and base else None)


async def compare_command(ls: LessonServer, *args: Any) -> dict[str, Any] | None:
    """Runs in its own task, which the progress' cancel button and $/cancelRequest cancel; the
    request is answered once, when the comparison ends."""
    try:
        uri, runs, base = parse(args)
    except CompareCommandError as exc:
        ls.tell(lsp.MessageType.Error, f"Lesson team: {exc}")
        return None
    return await ls.answer_once(_compare(ls, uri, runs, base))


async def _measure(session: Session) -> Comparison:
    """`session.run()` in a thread; cancelled, it stops the runs and waits for them to end."""
    work = asyncio.ensure_future(asyncio.to_thread(session.run))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        session.cancel()
        with contextlib.suppress(BaseException):
            await work
        raise


async def _compare(ls: LessonServer, uri: str | None, runs: int | None,
                   base: str | None) -> dict[str, Any] | None:
    from lesson_lsp.workload_compare import report
    from lesson_lsp.workload_compare.compare import DEFAULT_RUNS, CompareError, Session

    task = asyncio.current_task()
    assert task is not None
    progress = WorkProgress(ls, task)
    loop = asyncio.get_running_loop()

    def say(text: str) -> None:  # from the runs' thread
        loop.call_soon_threadsafe(progress.say, text)

    root = ""
    try:
        found_root, python, timeout_s = await asyncio.to_thread(project, ls, uri)
        trace = traces.load(found_root)
        if trace is None:
            raise CompareCommandError(f"no workload was traced in {found_root} yet: run "
                                      "\"Lesson team: trace workload\" (:LessonTrace) first")
        if str(found_root) in _running:
            raise CompareCommandError(f"{found_root} is being compared already; wait for it or "
                                      "cancel it")
        root = str(found_root)
        _running.add(root)
        await progress.begin(f"Lesson team: comparing `{' '.join(trace.command)}` before and "
                             "after the edits")
        async with ls.queue.slot(progress):
            session = Session(trace.command, Path(trace.root), python, found_root,
                              runs or DEFAULT_RUNS, base, timeout_s, say)
            comparison = await _measure(session)
    except asyncio.CancelledError:
        progress.end("cancelled")
        ls.tell(lsp.MessageType.Info, "Lesson team: comparison cancelled.")
        return None
    except Exception as exc:  # ours, the workload's: the server stays up
        if not isinstance(exc, (CompareCommandError, CompareError, TraceError)):
            log.exception("compare failed")
        progress.end("failed")
        ls.tell(lsp.MessageType.Error, f"Lesson team: the comparison failed: {exc}")
        return None
    finally:
        _running.discard(root)
    progress.end("output identical" if comparison.identical else "OUTPUT CHANGED")
    ls.tell(lsp.MessageType.Info if comparison.identical else lsp.MessageType.Error,
            f"Lesson team: {report.message(comparison)}")
    return comparison.as_json()
