"""A client that never reads holds its bounded queue; 99 others keep receiving. Real sockets.

The slow client never calls ``receive``: aiohttp's client buffers a little, then stops
reading its socket, the kernel buffers fill, the gateway's WebSocket write waits, and its
subscription stops taking changes from its queue. From then on the queue stays at
``SCHOOLGRAPH_LIVE_QUEUE_SIZE`` and every further change only moves the ``missed`` count.
Changes are published into the app's broker directly (deleted scheduled shifts, which the
subscription delivers without an upstream read), so the test measures the fan-out and the
sockets, not an upstream.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import socket
import tracemalloc
from collections.abc import AsyncIterator

import aiohttp
import pytest

from schoolgraph.app import create_app
from schoolgraph.config import Settings
from schoolgraph.domain import Change, ChangeKind
from schoolgraph.live import LIVE, Subscriber
from tests.conftest import Serve
from tests.live.conftest import PROTOCOL, WAIT, LiveGateway, Socket

QUEUE_SIZE = 8
READERS = 99
LIGHT = "subscription { scheduledShiftChanged { id deleted missed } }"
# The slow client asks for ~50 KB per event (the same field under 1,000 aliases), so the
# socket buffers between it and the gateway (megabytes on loopback) fill after tens of events.
ALIASES = 1000
HEAVY = (
    "subscription { scheduledShiftChanged { "
    + " ".join(f"a{i}: id" for i in range(ALIASES))
    + " deleted missed } }"
)
MOST_EVENTS = 2_000  # the test fails if the slow queue has not filled by then
BATCH = QUEUE_SIZE // 2  # published before the readers catch up, so readers never drop

_ids = itertools.count(1)


def deleted_shift() -> Change:
    return Change(ChangeKind.SCHEDULED_SHIFT, f"tanda:1:{next(_ids)}", "tanda", deleted=True)


@pytest.fixture
async def gateway(serve: Serve, http: aiohttp.ClientSession) -> LiveGateway:
    # Each upgrade counts against the caller's rate limit: 100 at once need a larger burst.
    settings = Settings(
        demo_scale="small",
        live_queue_size=QUEUE_SIZE,
        rate_limit=6000,
        rate_limit_burst=200,
        max_query_aliases=ALIASES,
        max_query_tokens=4 * ALIASES,
    )
    app = create_app(settings)
    return LiveGateway(app, await serve(app), http)


@pytest.fixture
async def sockets(gateway: LiveGateway) -> AsyncIterator[list[Socket]]:
    """100 acknowledged connections (the first will be the slow one), one session each."""
    sessions = [aiohttp.ClientSession() for _ in range(READERS + 1)]
    opened: list[Socket] = []
    try:
        for session in sessions:
            ws = await session.ws_connect(gateway.url / "graphql", protocols=[PROTOCOL])
            await ws.send_json({"type": "connection_init", "payload": {}})
            opened.append(Socket(ws))
            assert (await opened[-1].receive())["type"] == "connection_ack"
        yield opened
    finally:
        for session in sessions:
            await session.close()


class Reader:
    """Reads one socket's events as they come, counting them and what they missed."""

    def __init__(self, socket: Socket) -> None:
        self.socket = socket
        self.received = 0
        self.missed = 0
        self.arrived = asyncio.Event()
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            message = await self.socket.ws.receive_json()
            assert message["type"] == "next", message
            change = message["payload"]["data"]["scheduledShiftChanged"]
            assert change["deleted"] is True
            self.received += 1
            self.missed += change["missed"]
            self.arrived.set()


async def all_received(readers: list[Reader], count: int) -> None:
    async with asyncio.timeout(WAIT):
        for reader in readers:
            while reader.received < count:
                reader.arrived.clear()
                await reader.arrived.wait()


async def test_a_client_that_never_reads_stays_at_its_bound_while_99_others_receive_everything(
    gateway: LiveGateway, sockets: list[Socket]
) -> None:
    slow, *others = sockets
    small = 4096  # a small receive buffer, so the kernel holds little for the slow client
    slow.ws.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, small)
    await slow.subscribe(HEAVY)
    for other in others:
        await other.subscribe(LIGHT)
    await gateway.subscribers(ChangeKind.SCHEDULED_SHIFT, READERS + 1)
    broker = gateway.app[LIVE].broker
    readers = [Reader(other) for other in others]

    def slow_queue() -> Subscriber | None:
        full = [s for s in broker.subscribers(ChangeKind.SCHEDULED_SHIFT) if s.missed_total]
        assert len(full) <= 1, "only the slow subscription drops changes"
        return full[0] if full else None

    try:
        published = 0
        while (queue := slow_queue()) is None:
            assert published < MOST_EVENTS, "the slow client's queue never filled"
            for _ in range(BATCH):
                broker.publish(deleted_shift())
            published += BATCH
            await all_received(readers, published)
        assert len(queue) == QUEUE_SIZE, f"filled after {published} events"

        # From here on its queue holds QUEUE_SIZE changes, whatever is published: measure
        # what the process holds after each of three equal rounds of events, and compare the
        # last two. The first round is a warm-up: during it the slow client's own aiohttp
        # reader is still filling its buffer (tens of KB per round until its high-water mark),
        # which is this test's client, not the gateway.
        tracemalloc.start()
        sizes: list[int] = []
        for _ in range(3):
            for _ in range(50):
                for _ in range(BATCH):
                    broker.publish(deleted_shift())
                published += BATCH
                await all_received(readers, published)
                assert len(queue) == QUEUE_SIZE
            gc.collect()
            sizes.append(tracemalloc.get_traced_memory()[0])
        tracemalloc.stop()
        rounds = 50 * BATCH
        # No growth with the number of events: a round is 20,000 messages, and graphql-core's
        # shared per-event memo (graph/event_executor.py) grew it by about 24 MB.
        assert sizes[2] - sizes[1] < 256 * 1024, sizes
        assert queue.missed_total >= 3 * rounds
        assert all(r.received == published and r.missed == 0 for r in readers)
        others_queues = [
            s for s in broker.subscribers(ChangeKind.SCHEDULED_SHIFT) if s is not queue
        ]
        assert len(others_queues) == READERS and all(len(s) == 0 for s in others_queues)
    finally:
        if tracemalloc.is_tracing():
            tracemalloc.stop()
        for reader in readers:
            reader.task.cancel()
        await asyncio.gather(*(reader.task for reader in readers), return_exceptions=True)
