"""The server object and what it keeps between requests: settings, the runs it made (for
hover), the run queue, each open document's tree, banked lessons and the project's trace (the
last three made on first use). The handlers (`server`) and the commands (`optimize_command`,
`trace_command`, `compare_command`) all import it; it imports none of them.
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

from lesson_lsp import __version__
from lesson_lsp.lsp.runqueue import RunQueue
from lesson_lsp.source.positions import encoding_name

if TYPE_CHECKING:
    from lesson_lsp.engine.optimize import Run
    from lesson_lsp.lsp.banked import BankedLessons
    from lesson_lsp.lsp.lenses import HotFunctions
    from lesson_lsp.lsp.rebase import OwnEdits
    from lesson_lsp.lsp.trees import DocumentTree, DocumentTrees

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
            from lesson_lsp.lsp.banked import BankedLessons

            self._banked = BankedLessons()
        return self._banked

    @property
    def hot(self) -> HotFunctions:
        """The project's trace for code lenses and hover; loads with the first of them."""
        if self._hot is None:
            from lesson_lsp.lsp.lenses import HotFunctions

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
            from lesson_lsp.lsp.trees import DocumentTrees

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
