"""Async targets in the sandbox: whether calling a target makes a coroutine or an async
generator, an event loop made and closed as `asyncio.run` does, and a call's coroutine awaited
to its value. The worker's check and profile and the sampler's timing loops share them.

Only the standard library (`asyncio` is imported when a loop is first made).
"""

from __future__ import annotations

import inspect
import types
from typing import Any

from lesson_lsp.harness.encode import GENERATOR_CAP

coroutine_type = types.CoroutineType
asyncgen_type = types.AsyncGeneratorType
COROUTINE, ASYNCGEN = "coroutine", "asyncgen"


def async_kind(target: Any) -> str:
    """COROUTINE when calling `target` makes a coroutine (an `async def`, also under decorators
    that keep `__wrapped__`), ASYNCGEN for an async generator function, else "". A sync wrapper
    that returns one is only found by calling it (`Sampler` looks at its first pass)."""
    try:
        inner = inspect.unwrap(target)
    except Exception:  # a cycle of __wrapped__, an attribute that raises
        inner = target
    for function in (target, inner):
        try:
            if inspect.iscoroutinefunction(function):
                return COROUTINE
            if inspect.isasyncgenfunction(function):
                return ASYNCGEN
        except Exception:
            pass
    return ""


def new_loop() -> Any:
    """An event loop of its own, set as the current one, as `asyncio.run` makes it."""
    import asyncio

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop


def finish_loop(loop: Any, clean: bool = True) -> None:
    """Close `loop` as `asyncio.run` does: cancel the tasks left, finish async generators and
    the default executor. Not `clean` (a timer stopped the call): only close it, since the
    tasks left may be what overran."""
    import asyncio

    try:
        if clean and not loop.is_closed():
            left = asyncio.all_tasks(loop)
            for task in left:
                task.cancel()
            if left:
                loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
    except Exception:
        pass
    finally:
        asyncio.set_event_loop(None)
        loop.close()


async def drain(values: Any) -> None:
    """Run an async generator to its end, as a generator is run to its end when timed."""
    async for _ in values:
        pass


async def collect(values: Any, cap: int) -> list[Any]:
    """The first `cap` items of an async generator."""
    items: list[Any] = []
    async for item in values:
        items.append(item)
        if len(items) >= cap:
            break
    return items


def settle(value: Any, loop: Any = None) -> Any:
    """What awaiting a call's coroutine gives, on `loop` (or one made now), closed after. An
    async generator gives an iterator over its items, which `encode` describes like a
    generator's (GENERATOR_CAP items, then ["more"])."""
    own = loop if loop is not None else new_loop()
    clean = False
    try:
        if type(value) is coroutine_type:
            result = own.run_until_complete(value)
        else:
            result = iter(own.run_until_complete(collect(value, GENERATOR_CAP + 1)))
        clean = True
        return result
    except Exception:
        clean = True
        raise
    finally:
        finish_loop(own, clean)


class AsyncFound(BaseException):
    """Raised in a first pass whose call returned a coroutine or an async generator (a sync
    wrapper around an async function): the pass is made again, awaiting them."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class Awaiting:
    """`target` as a plain callable for the profiler: a coroutine it returns is run to
    completion (an async generator drained) on one event loop, made beforehand for an `async
    def` (on the first coroutine for a sync wrapper). `call.__wrapped__` is `target`, so the
    line profile finds the target's own code; cProfile leaves out lesson_lsp's frames."""

    def __init__(self, target: Any, kind: str) -> None:
        self.loop: Any = new_loop() if kind else None

        def call(*args: Any, **kwargs: Any) -> Any:
            value = target(*args, **kwargs)
            made = type(value)
            if made is not coroutine_type and made is not asyncgen_type:
                return value
            if self.loop is None:
                self.loop = new_loop()
            if made is coroutine_type:
                return self.loop.run_until_complete(value)
            return self.loop.run_until_complete(drain(value))

        call.__wrapped__ = target  # type: ignore[attr-defined]
        self.call = call

    def close(self) -> None:
        if self.loop is not None:
            finish_loop(self.loop)
