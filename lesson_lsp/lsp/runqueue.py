"""The language server's runs: at most `capacity` at once, the rest in line, each with a
server-created work-done progress whose cancel button cancels it."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

if TYPE_CHECKING:  # the team loads on the first run, not with the server
    from lesson_lsp.team.loop import Progress


class WorkProgress:
    """Server-created work-done progress whose cancel button cancels `task`."""

    def __init__(self, ls: LanguageServer, task: asyncio.Task[Any]) -> None:
        self.ls, self.task, self.token = ls, task, f"lesson-lsp/{uuid.uuid4().hex}"
        self.active = False

    async def begin(self, title: str) -> None:
        capabilities = self.ls.client_capabilities
        window = capabilities.window if capabilities else None
        if not (window and window.work_done_progress):
            return
        await self.ls.work_done_progress.create_async(self.token)
        loop = asyncio.get_running_loop()
        cancelled = self.ls.work_done_progress.tokens.get(self.token)
        if cancelled is not None:
            cancelled.add_done_callback(
                lambda f: loop.call_soon_threadsafe(self.task.cancel) if f.cancelled() else None)
        self.ls.work_done_progress.begin(
            self.token, lsp.WorkDoneProgressBegin(title=title, cancellable=True, percentage=0))
        self.active = True

    def queued(self, place: int) -> None:
        if self.active:
            ahead = "1 run" if place == 1 else f"{place} runs"
            self.ls.work_done_progress.report(self.token, lsp.WorkDoneProgressReport(
                message=f"queued: waiting for {ahead} to finish (position {place})"))

    def report(self, progress: Progress) -> None:
        if self.active:
            done = int(100 * max(progress.round - 1, 0) / max(progress.rounds, 1))
            self.ls.work_done_progress.report(
                self.token, lsp.WorkDoneProgressReport(message=progress.text(), percentage=done))

    def say(self, message: str) -> None:
        """A progress message with no percentage (a trace cannot know how far it is)."""
        if self.active:
            self.ls.work_done_progress.report(self.token,
                                              lsp.WorkDoneProgressReport(message=message))

    def end(self, message: str) -> None:
        if self.active:
            self.ls.work_done_progress.end(self.token, lsp.WorkDoneProgressEnd(message=message))
            self.active = False



class RunQueue:
    """Runs in order of arrival; their timings would disturb each other if too many ran."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.running = 0
        self.waiting: list[tuple[asyncio.Future[None], WorkProgress]] = []

    @contextlib.asynccontextmanager
    async def slot(self, progress: WorkProgress) -> AsyncIterator[None]:
        """At most `capacity` runs at once (their timings would disturb each other); the rest
        wait in order and see their place in the queue."""
        if self.running >= self.capacity:
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self.waiting.append((turn, progress))
            self._announce()
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self._release()  # our turn had come: pass it on
                else:
                    self.waiting = [w for w in self.waiting if w[0] is not turn]
                    self._announce()
                raise
        else:
            self.running += 1
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        if self.waiting:
            turn, _ = self.waiting.pop(0)
            turn.set_result(None)  # the slot goes to the next in line
            self._announce()
        else:
            self.running -= 1

    def _announce(self) -> None:
        for place, (_, progress) in enumerate(self.waiting, 1):
            progress.queued(place)
