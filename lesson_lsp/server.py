"""The language server: the "Optimize with lesson team" code action, hover, the command that
runs the team (`command.py`), code lenses on the functions a workload trace found hot
(`lenses.py`), the command that traces a workload (`trace_command.py`) and the one that runs it
before and after the edits (`compare_command.py`).

A language server starts with every editor window and is asked for code actions on every cursor
move, so this module imports only what those need: pygls and lsprotocol, then tree-sitter with
the first document. Each open document keeps its tree (`trees.py`), edited on every change, so
that a code action or a hover is a lookup. The team, the harness and the LLM client load on the
first optimize.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import to_fs_path

from lesson_lsp import __version__
from lesson_lsp.documents import lsp_workspace
from lesson_lsp.positions import encoding_name
from lesson_lsp.runqueue import RunQueue

if TYPE_CHECKING:
    from lesson_lsp.banked import BankedLessons
    from lesson_lsp.lenses import HotFunctions
    from lesson_lsp.optimize import Run
    from lesson_lsp.rebase import OwnEdits
    from lesson_lsp.trees import DocumentTree, DocumentTrees, FunctionAt

T = TypeVar("T")
COMMAND = "lesson-lsp.optimize"
TRACE = "lesson-lsp.trace"
COMPARE = "lesson-lsp.compare"
TITLE = "Optimize with lesson team"
CONFIG_FILES = ("pyproject.toml",)
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
        self.own_edits: OwnEdits | None = None  # made by the first run (command.py)
        self.queue = RunQueue(max(1, (os.cpu_count() or 2) - 1))
        self._trees: DocumentTrees | None = None
        self._banked: BankedLessons | None = None
        self._hot: HotFunctions | None = None

    @property
    def encoding(self) -> str:
        """The negotiated position encoding as "utf-16", "utf-8" or "utf-32"."""
        return encoding_name(self.workspace.position_encoding)

    @property
    def banked(self) -> BankedLessons:
        """Banked lessons for hover; the bank's modules load with the first hover."""
        if self._banked is None:
            from lesson_lsp.banked import BankedLessons

            self._banked = BankedLessons()
        return self._banked

    @property
    def hot(self) -> HotFunctions:
        """The project's trace for code lenses and hover; loads with the first of them."""
        if self._hot is None:
            from lesson_lsp.lenses import HotFunctions

            self._hot = HotFunctions()
        return self._hot

    def forget_settings(self) -> None:
        for kept in (self._banked, self._hot):
            if kept is not None:
                kept.forget_settings()

    @property
    def trees(self) -> DocumentTrees:
        """The open documents' trees; tree-sitter loads with the first document, not before
        `initialize` is answered."""
        if self._trees is None:
            from lesson_lsp.trees import DocumentTrees

            self._trees = DocumentTrees()
        return self._trees

    def tree(self, uri: str) -> DocumentTree:
        """The document's tree (made now if the client never opened it)."""
        tree = self.trees.get(uri)
        if tree is None:
            document = self.workspace.get_text_document(uri)
            tree = self.trees.open(uri, document.source, document.version)
        return tree

    async def answer_once(self, work: Coroutine[Any, Any, T]) -> T | None:
        """Run a command's work in a task of its own, which both cancel paths (the progress'
        cancel button and $/cancelRequest) cancel; the request is then answered normally,
        exactly once (None when cancelled)."""
        task = asyncio.ensure_future(work)
        request = self.protocol.msg_id
        if request is not None:
            self.requests[request] = task
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return None
        finally:
            if request is not None:
                self.requests.pop(request, None)

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
    log.info("lesson-lsp %s ready", __version__)


@server.feature(lsp.SHUTDOWN)
def on_shutdown(ls: LessonServer, *args: Any) -> None:
    for work in list(ls.requests.values()):
        work.cancel()


@server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
def on_configuration(ls: LessonServer, params: lsp.DidChangeConfigurationParams) -> None:
    settings = params.settings
    if isinstance(settings, dict):
        ls.settings = settings.get("lesson-lsp", settings) or {}
    ls.forget_settings()


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def on_open(ls: LessonServer, params: lsp.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    ls.trees.open(item.uri, item.text, item.version)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def on_change(ls: LessonServer, params: lsp.DidChangeTextDocumentParams) -> None:
    ls.trees.change(params.text_document.uri, params.content_changes,
                    params.text_document.version, ls.encoding)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def on_save(ls: LessonServer, params: lsp.DidSaveTextDocumentParams) -> None:
    if params.text_document.uri.endswith(CONFIG_FILES):
        ls.forget_settings()


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def on_close(ls: LessonServer, params: lsp.DidCloseTextDocumentParams) -> None:
    ls.trees.close(params.text_document.uri)
    if ls.own_edits is not None:
        ls.own_edits.forget(params.text_document.uri)


def _function_at(ls: LessonServer, uri: str, rng: lsp.Range) -> FunctionAt | None:
    return ls.tree(uri).function_at((rng.start.line, rng.start.character),
                                    (rng.end.line, rng.end.character), ls.encoding)


@server.feature(
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.RefactorRewrite]),
)
def code_action(ls: LessonServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    uri = params.text_document.uri
    found = _function_at(ls, uri, params.range)
    if found is None or found.nested or not found.well_formed:
        return []
    argument = {"uri": uri, "position": {"line": params.range.start.line,
                                         "character": params.range.start.character},
                "version": ls.tree(uri).version}
    return [lsp.CodeAction(
        title=TITLE,
        kind=lsp.CodeActionKind.RefactorRewrite,
        command=lsp.Command(title=TITLE, command=COMMAND, arguments=[argument]),
    )]


@server.command(COMMAND)
async def optimize_command(ls: LessonServer, *args: Any) -> dict[str, Any] | None:
    from lesson_lsp import command  # the team, the harness and the LLM client: first use only

    return await command.optimize_command(ls, *args)


@server.command(TRACE)
async def trace_command(ls: LessonServer, *args: Any) -> dict[str, Any] | None:
    from lesson_lsp import trace_command  # the tracer loads when it runs, not with the server

    return await trace_command.trace_command(ls, *args)


@server.command(COMPARE)
async def compare_command(ls: LessonServer, *args: Any) -> dict[str, Any] | None:
    from lesson_lsp import compare_command  # loads when it runs, not with the server

    return await compare_command.compare_command(ls, *args)


@server.feature(lsp.TEXT_DOCUMENT_CODE_LENS, lsp.CodeLensOptions(resolve_provider=False))
def code_lens(ls: LessonServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
    uri = params.text_document.uri
    path = to_fs_path(uri)
    return ls.hot.lenses(uri, path, ls.tree(uri), ls.settings, ls.encoding) if path else []


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: LessonServer, params: lsp.HoverParams) -> lsp.Hover | None:
    uri, position = params.text_document.uri, params.position
    found = _function_at(ls, uri, lsp.Range(start=position, end=position))
    if found is None:
        return None
    path = to_fs_path(uri)
    run = ls.runs.get((uri, found.qualname))
    if run is not None:
        text = run.markdown()
    else:
        text = ls.banked.text(path, ls.settings, found.source, found.indent) if path else ""
    traced = ls.hot.hover(path, ls.settings, found) if path else ""
    text = "\n\n".join(filter(None, (traced, text)))
    if not text:
        return None
    return lsp.Hover(
        contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
        range=lsp.Range(start=lsp.Position(*found.start), end=lsp.Position(*found.end)),
    )


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
