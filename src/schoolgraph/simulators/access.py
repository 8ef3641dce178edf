"""Reads side by side, writes alone: how a simulator serves requests concurrently.

A real upstream is a server that answers many requests at once: Tanda does not hold a
client's next page of users while it renders another client's week of schedules. The
simulators render on an event loop, so left alone each one answered a request only after
the render before it had finished, and a cheap request could wait a quarter of a second
behind an expensive one (a traced cold `roster week` lost 325 ms of its chain of user pages
that way).

`WorldAccess` lets a simulator render reads on worker threads, side by side with each other
and with the event loop (which keeps accepting requests, sleeping injected latency and
writing answers), while keeping the world consistent: a request that changes it (any method
but GET, HEAD or OPTIONS, a `/__sim/` reset or mutation included) waits until the reads
under way have finished, runs alone, and holds new reads back until it is done. Waiters are
served first come, first served, so neither side starves. Simulators that share a world
(`WorldHolder`) share its `WorldAccess`.

A read handed to a thread runs to its end even if the request is cancelled meanwhile, and
the world stays locked for reading until it has, so a writer never changes what a thread is
still reading.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

__all__ = ["READ_METHODS", "HandlerSuspendedError", "WorldAccess", "run_to_completion"]

T = TypeVar("T")

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that only read the world; any other changes it (or may)."""


class HandlerSuspendedError(RuntimeError):
    """A handler run on a render thread awaited something that did not complete at once."""


def run_to_completion(call: Callable[[], Awaitable[T]], what: str) -> T:
    """Run an async handler that never suspends, synchronously, on this (worker) thread.

    The simulators' read handlers are `async def` for aiohttp but await nothing: they look
    the request up in the world and render it. Driving such a coroutine by hand runs it
    to its end in one step. One that does suspend cannot be finished off its loop; it is
    closed and :class:`HandlerSuspendedError` names it.
    """
    coroutine = call()
    if not isinstance(coroutine, Coroutine):
        raise TypeError(
            f"{what}: the handler returned {type(coroutine).__name__}, not a coroutine."
        )
    message = (
        f"{what}: the handler awaited something that did not complete at once; a handler "
        "run on a render thread must not wait on the event loop."
    )
    try:
        coroutine.send(None)
    except StopIteration as finished:
        value: T = finished.value
        return value
    except RuntimeError as problem:  # asyncio's "no running event loop", on this thread
        if "event loop" in str(problem):
            raise HandlerSuspendedError(message) from problem
        raise
    coroutine.close()
    raise HandlerSuspendedError(message)


class WorldAccess:
    """A first-come, first-served readers-writer gate over one world, for one event loop
    at a time (it keeps no loop: each waiter's future belongs to the loop that waits)."""

    def __init__(self) -> None:
        self._readers = 0
        self._writing = False
        self._waiters: deque[tuple[bool, asyncio.Future[None]]] = deque()

    @property
    def readers(self) -> int:
        """Reads under way (on threads or awaiting one)."""
        return self._readers

    @property
    def writing(self) -> bool:
        """Whether a write holds the world."""
        return self._writing

    # -- acquiring ---------------------------------------------------------------------

    async def _acquire(self, write: bool) -> None:
        if not self._waiters and not self._writing and (not write or self._readers == 0):
            self._grant(write)
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((write, waiter))
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release(write)  # granted just as the waiter was cancelled
            else:
                self._forget(waiter)
            raise

    def _grant(self, write: bool) -> None:
        if write:
            self._writing = True
        else:
            self._readers += 1

    def _forget(self, waiter: asyncio.Future[None]) -> None:
        self._waiters = deque(entry for entry in self._waiters if entry[1] is not waiter)
        self._wake()

    def _release(self, write: bool) -> None:
        if write:
            self._writing = False
        else:
            self._readers -= 1
        self._wake()

    def _wake(self) -> None:
        """Grant the waiters at the head of the queue that can go now: one writer, or
        every reader up to the next writer."""
        while self._waiters:
            write, waiter = self._waiters[0]
            if waiter.done():  # cancelled while queued
                self._waiters.popleft()
                continue
            if self._writing or (write and self._readers):
                return
            self._waiters.popleft()
            self._grant(write)
            waiter.set_result(None)
            if write:
                return

    # -- using ---------------------------------------------------------------------------

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[None]:
        """Hold the world for reading (alongside other reads)."""
        await self._acquire(False)
        try:
            yield
        finally:
            self._release(False)

    @asynccontextmanager
    async def writing_alone(self) -> AsyncIterator[None]:
        """Hold the world alone, to change it."""
        await self._acquire(True)
        try:
            yield
        finally:
            self._release(True)

    async def read_on_thread(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(*args)`` on a worker thread while holding the world for reading.

        If the caller is cancelled, the thread still runs to its end and the world is
        released only then.
        """
        await self._acquire(False)
        loop = asyncio.get_running_loop()
        call = functools.partial(contextvars.copy_context().run, function, *args)
        future = loop.run_in_executor(None, call)
        try:
            result = await asyncio.shield(future)
        except asyncio.CancelledError:
            if future.done():
                self._release(False)
            else:
                future.add_done_callback(lambda _: self._release(False))
            raise
        except BaseException:
            self._release(False)
            raise
        self._release(False)
        return result
