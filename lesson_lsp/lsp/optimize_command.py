"""The optimize command: run the team on the function under the cursor with cancellable
progress, then send the verified edit, only if the document is still the text it was verified
on (or changed only by this server's own edits, `rebase.py`).

Imported on the first optimize: everything it needs (the team, the harness, the LLM client)
is what the server must not load at start.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from lesson_lsp import __version__
from lesson_lsp.engine.optimize import OptimizeError, optimize
from lesson_lsp.harness import sandbox
from lesson_lsp.lsp.rebase import OwnEdits, replan
from lesson_lsp.lsp.runqueue import WorkProgress
from lesson_lsp.lsp.state import COMMAND, TITLE, LessonServer
from lesson_lsp.source.edits import Plan, PlanError, check, sha256, workspace_edit
from lesson_lsp.source.extract import ExtractError, function_at
from lesson_lsp.workspace.config import ConfigError, load

log = logging.getLogger("lesson_lsp")


@functools.cache
def _own_edits(ls: LessonServer) -> OwnEdits:
    """The server's record of its applied edits, made with the first run; the log says once
    how runs are isolated."""
    log.info("lesson-lsp %s: sandbox isolation: %s", __version__, sandbox.isolation().describe())
    ls.own_edits = OwnEdits()
    return ls.own_edits


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


async def optimize_command(ls: LessonServer, *args: Any) -> dict[str, Any] | None:
    _own_edits(ls)
    if not args or _field(args[0], "uri") is None or _field(args[0], "position") is None:
        ls.tell(lsp.MessageType.Error, f"{COMMAND} needs {{uri, position, version}}; use the "
                f"code action \"{TITLE}\" (or update the editor extension)")
        return None
    uri, position, version = (_field(args[0], k) for k in ("uri", "position", "version"))
    document = ls.workspace.get_text_document(uri)
    if version is not None and document.version != version:
        ls.tell(lsp.MessageType.Warning,
                "The file changed since the action was offered; run it again.")
        return None
    source, optimized_version = document.source, document.version
    line, character = _field(position, "line"), _field(position, "character")
    return await ls.answer_once(_optimize(ls, uri, source, optimized_version, line, character))


async def _optimize(ls: LessonServer, uri: str, source: str, optimized_version: int | None,
                    line: Any, character: Any) -> dict[str, Any] | None:
    task = asyncio.current_task()
    assert task is not None
    progress = WorkProgress(ls, task)
    key: tuple[str, str] | None = None
    try:
        span = function_at(source, int(line), int(character), encoding=ls.encoding)
        path = to_fs_path(uri)
        if path is None:
            raise OptimizeError(f"{uri} is not a file on disk; save it in the project, then "
                                "run the action again")
        config = load(Path(path), ls.settings)
        key = (uri, span.qualname)
        if key in ls.active:
            key = None
            raise OptimizeError(f"`{span.qualname}` is being optimized already; wait for that "
                                "run or cancel it")
        ls.active.add(key)
        await progress.begin(f"Lesson team: {span.name}")
        async with ls.queue.slot(progress):
            run = await optimize(Path(path), source, span, config, on_progress=progress.report)
        if run.interpreter is not None:
            log.info("%s: ran with %s; inputs: %s", span.qualname, run.interpreter.describe(),
                     run.inputs_from)
    except asyncio.CancelledError:
        progress.end("cancelled")
        ls.tell(lsp.MessageType.Info, "Lesson team cancelled; nothing was changed.")
        return None
    except (ExtractError, OptimizeError, ConfigError) as exc:
        progress.end("failed")
        ls.tell(lsp.MessageType.Error, f"Lesson team: {exc}")
        return None
    except Exception as exc:  # the server must stay up whatever happens in a run
        log.exception("optimize failed")
        progress.end("failed")
        ls.tell(lsp.MessageType.Error, f"Lesson team failed unexpectedly: {exc!r}; the file is "
                "unchanged. Run it again; if it recurs, report it with the server's log "
                "(lesson-lsp serve --log-file FILE)")
        return None
    finally:
        if key is not None:
            ls.active.discard(key)
    progress.end(run.headline())
    ls.runs[(uri, span.qualname)] = run
    for notice in run.result.notices:
        ls.tell(lsp.MessageType.Warning, f"Lesson team: {notice}")
    summary = {"improved": run.improved, "speedup": run.speedup, "function": span.qualname,
               "lines_changed": run.lines_changed(),
               "lessons": [x.text for x in run.result.lessons]}  # banked before this answer
    if not run.improved:
        lessons = "\n".join(run.lesson_lines()[:2])
        advice = run.advice()
        ls.tell(lsp.MessageType.Info, f"{run.headline()}. The file is unchanged."
                + (f"\nLessons:\n{lessons}" if lessons else "")
                + (f"\n{advice}" if advice else ""))
        return summary
    if uri not in ls.workspace.text_documents:
        ls.tell(lsp.MessageType.Warning,
                f"{run.headline()}, but the file was closed or renamed during the run, so the "
                "edit was not applied. Open it and run the action again.")
        return {**summary, "applied": False}
    current = ls.workspace.get_text_document(uri)
    final, version = run.plan, optimized_version
    if final is None:
        return {**summary, "applied": False}
    if current.version != optimized_version or current.source != source:
        final = await replan(_own_edits(ls), uri, run, current.source)
        if final is None:
            ls.tell(lsp.MessageType.Warning,
                    f"{run.headline()}, but the file changed during the run, so the edit was "
                    "not applied. Run the action again.")
            return {**summary, "applied": False}
        log.info("%s: the file changed only by the team's own edits; edit planned again and "
                 "verified on version %s", span.qualname, current.version)
        version = current.version
    if not _sendable(ls, final):
        return {**summary, "applied": False}
    summary["text_sha256"] = sha256(final.text)  # what the edit gives, as verified
    answer = await ls.workspace_apply_edit_async(lsp.ApplyWorkspaceEditParams(
        edit=workspace_edit(uri, version, final.edits), label=run.headline()))
    applied = bool(answer and answer.applied)
    if applied:
        _own_edits(ls).record(uri, final.source, final.text)
    else:
        reason = answer.failure_reason if answer and answer.failure_reason else \
            "the document changed"
        ls.tell(lsp.MessageType.Warning,
                f"{run.headline()}, but the editor refused the edit ({reason}). Run it again.")
    return {**summary, "applied": applied}


def _sendable(ls: LessonServer, final: Plan) -> bool:
    """The edit, applied by the LSP's rules in the negotiated encoding, gives exactly the text
    the harness verified; otherwise nothing is sent and the user is told why."""
    try:
        if final.encoding != ls.encoding:
            raise PlanError(f"it was planned in {final.encoding} columns, the editor counts "
                            f"{ls.encoding}")
        check(final)
    except PlanError as exc:
        log.error("edit withheld: %s", exc)
        ls.tell(lsp.MessageType.Error, f"Lesson team: the edit was not sent: {exc}; the file "
                "is unchanged. Run the action again; if it recurs, report it.")
        return False
    return True
