"""Operations executed at once: a place an operation holds while it computes, and lets go of
while it waits for an upstream.

The server is one thread and executing is CPU-bound, so ``SCHOOLGRAPH_MAX_CONCURRENT_
OPERATIONS`` bounds how many operations compute at once (more at once would only hold more
half-built answers in memory and lengthen every one's latency). But an operation spends most
of a cold request waiting for upstreams, and an operation holding its place through such a
wait held it for nothing: four requests queued in Tanda's rate limiter (or on a hung upstream)
held every place until their deadline, and a query that needed no Tanda at all waited 22 s
behind them (an operations audit found it).

So an operation holds its place (:meth:`ExecutionSlots.place`) while it computes and leaves
it while it waits for an upstream (:func:`waiting_upstream`, around the upstream client's
request and around the upstream cache's wait for a load another request started): it comes
back, waiting its turn, when its last such wait ends. The place travels with the operation's
context into the tasks it starts (dataloader batches, ``asyncio.gather``), so their waits
count; a place counts its waits under way, so an operation that waits for several upstreams
at once leaves once and comes back once. An operation computing in one task while another of
its tasks waits runs without its place: the bound is on operations between upstream waits,
approximately, never on waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from schoolgraph.request_var import RequestVar

__all__ = ["EXECUTION_SLOTS", "ExecutionSlots", "Place", "waiting_upstream"]


class Place:
    """One operation's place among those executed at once (see the module)."""

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self._semaphore = semaphore
        self._held = False
        self._waits = 0
        self._ended = False
        self._returning = asyncio.Lock()  # one task at a time takes the place back

    @property
    def held(self) -> bool:
        return self._held

    async def take(self) -> None:
        await self._semaphore.acquire()
        self._held = True

    def end(self) -> None:
        """The operation is over: give the place back for good (a wait ending later does
        not take it again)."""
        self._ended = True
        if self._held:
            self._held = False
            self._semaphore.release()

    def leave(self) -> None:
        """A wait for an upstream begins: the first of those under way gives the place up."""
        if self._ended:
            return
        self._waits += 1
        if self._waits == 1 and self._held:
            self._held = False
            self._semaphore.release()

    async def come_back(self) -> None:
        """A wait for an upstream is over: the last of those under way takes the place again,
        in turn with the operations waiting for one."""
        if self._ended:
            return
        self._waits -= 1
        if self._waits or self._held:
            return
        # Two of the operation's tasks can both see the last wait end (one waits its turn
        # while another leaves and comes back): only one takes a place, or the operation
        # would hold two and give one back (a place lost for good at each such race).
        async with self._returning:
            if self._held or self._not_wanted():
                return  # taken back already, or the operation left again or ended meanwhile
            await self._semaphore.acquire()
            if self._not_wanted():  # ended, or waiting again, while this waited its turn
                self._semaphore.release()
            else:
                self._held = True

    def _not_wanted(self) -> bool:
        """Whether the place is not to be held now: the operation ended, or waits again."""
        return self._ended or self._waits > 0

    def abandon(self) -> None:
        """A wait for an upstream was cancelled: the operation is being torn down, so the
        place is not waited for again."""
        if not self._ended:
            self._waits -= 1


_current: RequestVar[Place] = RequestVar("schoolgraph_execution_place")


class ExecutionSlots:
    """The places of one app's operations: ``limit`` of them, HTTP's and WebSockets'."""

    def __init__(self, limit: int) -> None:
        self._semaphore = asyncio.Semaphore(limit)
        self.limit = limit

    @asynccontextmanager
    async def place(self) -> AsyncIterator[Place]:
        """Hold a place while the block runs (it waits its turn first); the tasks started
        inside let it go while they wait for upstreams (:func:`waiting_upstream`)."""
        place = Place(self._semaphore)
        await place.take()
        token = _current.set(place)
        try:
            yield place
        finally:
            _current.reset(token)
            place.end()


@asynccontextmanager
async def waiting_upstream() -> AsyncIterator[None]:
    """Wrap a wait for an upstream: the operation whose context this is gives up its place
    meanwhile, and takes it again (in turn) when its last such wait ends."""
    place = _current.get()
    if place is None:
        yield
        return
    place.leave()
    try:
        yield
    except asyncio.CancelledError:
        place.abandon()
        raise
    except BaseException:
        await place.come_back()
        raise
    await place.come_back()


EXECUTION_SLOTS = web.AppKey("execution_slots", ExecutionSlots)
"""The app's :class:`ExecutionSlots` (what its GraphQL view and WebSockets take places in)."""
