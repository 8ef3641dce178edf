"""Tuning CPython's cyclic garbage collector for a long-running gateway.

CPython collects its youngest generation every 700 container allocations by default. A cold
query over a large school allocates millions (parsed upstream rows, domain objects, the
answer), so the collector runs hundreds of times in one request, and each run of the older
generations walks everything start-up left behind (the schema, and in demo mode the whole
simulated world). Measured on a cold `large` dashboard: 180 to 270 collections, 300 to
440 ms of the request.

`tune_collector` does what long-running CPython services commonly do: it collects once,
freezes what start-up allocated (``gc.freeze``: those objects are never scanned again; they
are still freed by reference counting), and raises the young generation's threshold, so a
collection runs every ``threshold`` allocations instead of every 700. Reference cycles still
get collected; they wait a little longer.

:func:`collect_between_requests` then moves the collections out of the requests. A cold query
keeps tens of thousands of rows in the cache, and the collector walks each new one: measured
with ``gc.callbacks``, each young collection at 50,000 took 20 to 35 ms of a cold dashboard
(two per request), and a middle-generation one, which one cold request in five met, ~300 ms.
Their cost follows the rows kept, not the threshold, so the collector is switched off and run
from a task instead: when the young generation is due and no request is being answered nor
its answer sent, or, if requests never stop, once it has grown to :data:`BACKLOG` times its
threshold.
"""

from __future__ import annotations

import asyncio
import gc

from aiohttp import web
from aiohttp.typedefs import Handler

__all__ = [
    "BACKLOG",
    "DEFAULT_THRESHOLD",
    "REQUESTS",
    "RequestsInFlight",
    "collect_between_requests",
    "requests_in_flight",
    "tune_collector",
]

BACKLOG = 4
"""Young-generation thresholds of growth after which a collection runs even mid-request.

A cold request over the `large` school grows the young generation by 30,000 to 110,000
objects (measured: entities, big list, roster week, dashboard), so at 50,000 x 4 none
collects inside itself; a server that is never idle still collects at four times the
threshold, so what garbage waits for the collector stays bounded."""

DEFAULT_THRESHOLD = 50_000
"""Young-generation allocations between collections once tuned (Python's default is 700)."""


def tune_collector(threshold: int) -> bool:
    """Freeze what exists now and collect the young generation every ``threshold``
    allocations; 0 leaves the collector as Python set it. Returns whether it tuned."""
    if threshold <= 0:
        return False
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(threshold, middle, oldest)
    return True


class RequestsInFlight:
    """How many HTTP requests this process is answering, over every app it serves, and the
    connections still sending an answer.

    A handler returns before its answer is sent: aiohttp writes the body afterwards, and one
    larger than the socket's buffer leaves over several turns of the loop, as the client
    reads it. A collection started then (20 to 60 ms at the `large` scale) would hold back
    its tail, so until the connection's buffer is empty the server does not count as idle."""

    def __init__(self) -> None:
        self.count = 0
        self._sending: set[asyncio.WriteTransport] = set()

    def answered(self, transport: asyncio.BaseTransport | None) -> None:
        """A request on ``transport`` has been handled; its answer is being written."""
        if isinstance(transport, asyncio.WriteTransport):
            self._sending.add(transport)

    @property
    def busy(self) -> bool:
        """Whether a request is being answered, or an answer's bytes are still waiting in
        its connection's buffer."""
        for transport in list(self._sending):
            if transport.is_closing() or not transport.get_write_buffer_size():
                self._sending.discard(transport)
        return bool(self.count or self._sending)


REQUESTS = RequestsInFlight()


@web.middleware
async def requests_in_flight(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Counts the request in :data:`REQUESTS` while it runs. A WebSocket (subscriptions)
    is not counted: it stays open for hours, and the server would never look idle."""
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return await handler(request)
    REQUESTS.count += 1
    try:
        return await handler(request)
    finally:
        REQUESTS.count -= 1
        REQUESTS.answered(request.transport)


def _due_generation() -> int:
    """The oldest generation whose count has reached its threshold (0 when none has)."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    for generation in (2, 1):
        if counts[generation] >= thresholds[generation]:
            return generation
    return 0


async def collect_between_requests(threshold: int, *, poll: float = 0.02) -> None:
    """Until cancelled: the automatic collector off, and collections run here, between
    requests (see the module). The collector is switched back on when cancelled."""
    gc.disable()
    try:
        while True:
            await asyncio.sleep(poll)
            young = gc.get_count()[0]
            if young < threshold or (REQUESTS.busy and young < BACKLOG * threshold):
                continue
            gc.collect(_due_generation())
    finally:
        gc.enable()
