"""The language server's handlers: the "Optimize with lesson team" code action, hover, code
lenses on the functions a workload trace found hot (`lenses`), document sync, and the three
commands, each in its own module loaded when first run: optimize (`optimize_command`), trace a
workload (`trace_command`) and run it before and after the edits (`compare_command`).

A language server starts with every editor window and is asked for code actions on every cursor
move, so this module imports only what those need: pygls and lsprotocol, then tree-sitter with
the first document. Each open document keeps its tree (`trees`), edited on every change, so
that a code action or a hover is a lookup. The team, the harness and the LLM client load on the
first optimize. What the server keeps between requests lives in `state`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from lesson_lsp import __version__
from lesson_lsp.lsp.documents import lsp_workspace
from lesson_lsp.lsp.state import COMMAND, COMPARE, CONFIG_FILES, TITLE, TRACE, LessonServer, log

if TYPE_CHECKING:
    from lesson_lsp.lsp.trees import FunctionAt

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
    # The team, the harness and the LLM client: first use only.
    from lesson_lsp.lsp import optimize_command

    return await optimize_command.optimize_command(ls, *args)


@server.command(TRACE)
async def trace_command(ls: LessonServer, *args: Any) -> dict[str, Any] | None:
    from lesson_lsp.lsp import trace_command  # the tracer loads when it runs, not with the server

    return await trace_command.trace_command(ls, *args)


@server.command(COMPARE)
async def compare_command(ls: LessonServer, *args: Any) -> dict[str, Any] | None:
    from lesson_lsp.lsp import compare_command  # loads when it runs, not with the server

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
