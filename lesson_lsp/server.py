"""The language server: the "Optimize with lesson team" code action, the optimize command with
cancellable progress, a versioned edit, and hover with the result and its lessons.

Listing code actions only parses (milliseconds); all real work happens in the command, on the
event loop, with user code in sandbox subprocesses, so the server keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import to_fs_path

from lesson_lsp import __version__
from lesson_lsp.candidate import to_column0
from lesson_lsp.config import ConfigError, load
from lesson_lsp.documents import lsp_workspace
from lesson_lsp.edits import Plan, PlanError, check, workspace_edit
from lesson_lsp.extract import ExtractError, FunctionSpan, function_at
from lesson_lsp.harness import sandbox
from lesson_lsp.harness.verify import sha256
from lesson_lsp.messages import lesson_line
from lesson_lsp.optimize import OptimizeError, Run, optimize
from lesson_lsp.positions import encoding_name
from lesson_lsp.rebase import OwnEdits, replan
from lesson_lsp.runqueue import RunQueue, WorkProgress
from lesson_lsp.team.bank import Bank
from lesson_lsp.team.loop import fingerprint

COMMAND = "lesson-lsp.optimize"
TITLE = "Optimize with lesson team"
log = logging.getLogger("lesson_lsp")


class _Snapshot(dict):  # type: ignore[type-arg]
    """pygls cancels in-flight requests at shutdown while iterating this dict, and each cancel
    removes an entry; iterating over a snapshot keeps that from failing."""

    def items(self):  # type: ignore[no-untyped-def]
        return list(super().items())


class LessonProtocol(LanguageServerProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._request_futures = _Snapshot()

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        """pygls cancels the request's outer future only; the run under it must stop too."""
        super()._handle_cancel_notification(msg_id)
        work = getattr(self._server, "requests", {}).get(msg_id)
        if work is not None:
            work.cancel()


class LessonServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("lesson-lsp", __version__, protocol_cls=LessonProtocol)
        self.requests: dict[Any, asyncio.Future[Any]] = {}  # request id → the run it started
        self.settings: dict[str, Any] = {}
        self.runs: dict[tuple[str, str], Run] = {}
        self.active: set[tuple[str, str]] = set()  # (uri, qualname) of runs under way
        self.own_edits = OwnEdits()  # what this server's applied edits did to each document
        self.queue = RunQueue(max(1, (os.cpu_count() or 2) - 1))

    @property
    def encoding(self) -> str:
        """The negotiated position encoding as "utf-16", "utf-8" or "utf-32"."""
        return encoding_name(self.workspace.position_encoding)

    def tell(self, kind: lsp.MessageType, text: str) -> None:
        log.log(logging.ERROR if kind == lsp.MessageType.Error else logging.INFO, text)
        self.window_show_message(lsp.ShowMessageParams(type=kind, message=text))


server = LessonServer()


@server.feature(lsp.INITIALIZE)
def on_initialize(ls: LessonServer, params: lsp.InitializeParams) -> None:
    # pygls made the workspace just before this handler; ours splits lines as editors do.
    ls.protocol._workspace = lsp_workspace(ls.workspace)
    options = params.initialization_options
    if isinstance(options, dict):
        ls.settings = options.get("lesson-lsp", options)
        wanted = ls.settings.get("maxConcurrentRuns", ls.settings.get("max_concurrent_runs"))
        if isinstance(wanted, int) and not isinstance(wanted, bool) and wanted > 0:
            ls.queue.capacity = wanted


@server.feature(lsp.INITIALIZED)
def on_initialized(ls: LessonServer, params: lsp.InitializedParams) -> None:
    log.info("lesson-lsp %s: sandbox isolation: %s", __version__, sandbox.isolation().describe())


@server.feature(lsp.SHUTDOWN)
def on_shutdown(ls: LessonServer, *args: Any) -> None:
    for work in list(ls.requests.values()):
        work.cancel()


@server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
def on_configuration(ls: LessonServer, params: lsp.DidChangeConfigurationParams) -> None:
    settings = params.settings
    if isinstance(settings, dict):
        ls.settings = settings.get("lesson-lsp", settings) or {}


def _span_at(ls: LessonServer, uri: str, rng: lsp.Range) -> FunctionSpan | None:
    document = ls.workspace.get_text_document(uri)
    try:
        return function_at(document.source, rng.start.line, rng.start.character,
                           rng.end.line, rng.end.character, ls.encoding)
    except ExtractError:
        return None


@server.feature(
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.RefactorRewrite]),
)
def code_action(ls: LessonServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    uri = params.text_document.uri
    span = _span_at(ls, uri, params.range)
    if span is None or span.nested:
        return []
    document = ls.workspace.get_text_document(uri)
    argument = {"uri": uri, "position": {"line": params.range.start.line,
                                         "character": params.range.start.character},
                "version": document.version}
    return [lsp.CodeAction(
        title=TITLE,
        kind=lsp.CodeActionKind.RefactorRewrite,
        command=lsp.Command(title=TITLE, command=COMMAND, arguments=[argument]),
    )]


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


@server.command(COMMAND)
async def optimize_command(ls: LessonServer, *args: Any) -> dict[str, Any] | None:
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
    # The work runs in a task of its own, which both cancel paths (the progress' cancel button
    # and $/cancelRequest) cancel; this handler then answers normally, exactly once.
    work = asyncio.ensure_future(_optimize(ls, uri, source, optimized_version, line, character))
    request = ls.protocol.msg_id
    if request is not None:
        ls.requests[request] = work
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await work
        return None
    finally:
        if request is not None:
            ls.requests.pop(request, None)


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
        final = await replan(ls.own_edits, uri, run, current.source)
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
        ls.own_edits.record(uri, final.source, final.text)
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


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def on_close(ls: LessonServer, params: lsp.DidCloseTextDocumentParams) -> None:
    ls.own_edits.forget(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: LessonServer, params: lsp.HoverParams) -> lsp.Hover | None:
    uri = params.text_document.uri
    position = params.position
    span = _span_at(ls, uri, lsp.Range(start=position, end=position))
    if span is None:
        return None
    run = ls.runs.get((uri, span.qualname))
    if run is not None:
        text = run.markdown()
    else:
        text = _banked(ls, uri, span)
        if not text:
            return None
    return lsp.Hover(
        contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
        range=lsp.Range(start=lsp.Position(span.start_line, span.start_col),
                        end=lsp.Position(span.end_line, span.end_col)),
    )


def _banked(ls: LessonServer, uri: str, span: FunctionSpan) -> str:
    """Lessons from earlier runs that may apply to this function (never creates a bank)."""
    path = to_fs_path(uri)
    if path is None:
        return ""
    try:
        bank_path = load(Path(path), ls.settings).bank_path()
    except ConfigError:
        return ""
    if not bank_path.is_file():
        return ""
    bank = Bank(bank_path)
    try:
        own = fingerprint(to_column0(span.source, span.indent))  # as the loop keys lessons
        lessons = [x for x in bank.select(3, span.source, own) if x.outcome == "faster"]
    finally:
        bank.close()
    if not lessons:
        return ""
    return "\n".join(["**lesson team · banked lessons that may apply**", "",
                      *(lesson_line(x) for x in lessons)])


_MESSAGE_TYPES = {logging.ERROR: lsp.MessageType.Error, logging.WARNING: lsp.MessageType.Warning,
                  logging.INFO: lsp.MessageType.Info, logging.DEBUG: lsp.MessageType.Log}


class _ClientLog(logging.Handler):
    """lesson-lsp's own log records, as window/logMessage (never anything on stdout)."""

    def emit(self, record: logging.LogRecord) -> None:
        kind = _MESSAGE_TYPES.get(record.levelno, lsp.MessageType.Log)
        try:
            server.window_log_message(lsp.LogMessageParams(type=kind, message=self.format(record)))
        except Exception:  # the connection may be gone; a log line is not worth a crash
            pass


def serve(tcp: str | None = None, log_file: str | None = None, level: str = "info") -> None:
    numeric = getattr(logging, level.upper(), logging.INFO)
    if log_file:
        logging.basicConfig(filename=log_file, level=numeric,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    own = logging.getLogger("lesson_lsp")
    own.setLevel(numeric)
    own.addHandler(_ClientLog(level=numeric))
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
