"""Tanda's 200 requests a minute per requester (tanda.md §3.1), in seconds instead of minutes.

The simulator counts fixed one-minute windows on its own clock. To run a 500-call burst in a
few seconds, the limit is lowered with `/__sim/faults` and the simulator's minute is made to
pass every half second (`/__sim/clock` advanced 60 s at a time by a background pump), while
the client's limiter is configured for the same number of requests per one real second:
every simulator window (at most half a second) then sees at most what the client lets start
in any second. A control burst without the client proves the simulator would have refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import aiohttp

from schoolgraph.upstreams.http import RateLimiter

from .conftest import Clients, Sim, route_count

LIMIT = 100  # simulator requests per (pumped) minute
PERIOD = 1.0  # client limiter period, real seconds
PUMP_EVERY = 0.5  # real seconds per simulated minute
SCHEDULES = "/api/v2/schedules"


@contextlib.asynccontextmanager
async def minute_pump(sim: Sim) -> AsyncIterator[None]:
    """Advance the simulator's clock a minute every `PUMP_EVERY` seconds, on a fixed beat."""

    async def pump() -> None:
        beat = time.monotonic()
        while True:
            beat += PUMP_EVERY
            await asyncio.sleep(max(0.0, beat - time.monotonic()))
            await sim.clock(advance_seconds=60)

    task = asyncio.create_task(pump())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_burst_of_500_calls_queues_under_the_limit_and_gets_no_429(
    sim: Sim, clients: Clients
) -> None:
    await sim.faults(rate_limit_per_minute=LIMIT)
    client = await clients(rate_limit=LIMIT, rate_limit_period=PERIOD, rate_limit_margin=1)
    await client.readiness()  # the token, outside the measured burst
    ids = sorted(sim.world.schedules)[:500]
    await sim.stats(reset=True)
    async with minute_pump(sim):
        started = time.monotonic()
        found = await asyncio.wait_for(
            asyncio.gather(*(client.schedules_by_ids([i]) for i in ids)), timeout=60
        )
        elapsed = time.monotonic() - started
    assert [next(iter(f)) for f in found] == ids  # every call answered
    stats = await sim.stats()
    assert route_count(stats, "GET", SCHEDULES) == 500
    assert stats["rate_limited"] == 0
    # 99 may start per second: the burst was queued, not refused (500 / 99 -> 5 windows).
    assert elapsed >= 4 * PERIOD * 0.95


async def test_the_same_burst_without_the_client_is_refused(sim: Sim, clients: Clients) -> None:
    """The control: the simulator does enforce the lowered limit."""
    await sim.faults(rate_limit_per_minute=LIMIT)
    client = await clients()
    headers = {**(await client.auth.headers()), "Accept": "application/json"}
    ids = sorted(sim.world.schedules)[: LIMIT + 50]

    async def raw(schedule_id: int) -> int:
        url = f"{sim.base_url}{SCHEDULES}"
        async with sim.http.get(url, params={"ids": str(schedule_id)}, headers=headers) as r:
            return r.status

    async with aiohttp.ClientSession():
        statuses = await asyncio.gather(*(raw(i) for i in ids))
    assert statuses.count(429) == 50


async def test_two_clients_of_one_user_share_one_bucket(sim: Sim, clients: Clients) -> None:
    """§3.1: all of a user's password tokens count against one bucket."""
    await sim.faults(rate_limit_per_minute=40)
    shared = RateLimiter(40, PERIOD, margin=1)
    first = await clients(limiter=shared)
    second = await clients(limiter=shared)  # a second password token for the same user
    assert first.auth.requester == second.auth.requester
    await asyncio.gather(first.readiness(), second.readiness())
    ids = sorted(sim.world.schedules)[:120]
    await sim.stats(reset=True)
    async with minute_pump(sim):
        await asyncio.wait_for(
            asyncio.gather(
                *(first.schedules_by_ids([i]) for i in ids[::2]),
                *(second.schedules_by_ids([i]) for i in ids[1::2]),
            ),
            timeout=30,
        )
    stats = await sim.stats()
    assert route_count(stats, "GET", SCHEDULES) == 120
    assert stats["rate_limited"] == 0


async def test_remaining_zero_holds_requests_until_the_reset(sim: Sim, clients: Clients) -> None:
    """X-RateLimit-Remaining 0 makes the limiter wait for X-RateLimit-Reset; no 429 at all.

    The simulator's window is opened 58 s in the past (clock moved back, then restored), so
    its reset is two real seconds away.
    """
    await sim.faults(rate_limit_per_minute=5)
    client = await clients(rate_limit=1000, rate_limit_margin=0)  # the client's own limit is loose
    await sim.clock(advance_seconds=-58)
    await client.readiness()  # opens the window
    await sim.clock(reset=True)
    started = time.monotonic()
    for schedule_id in sorted(sim.world.schedules)[:6]:
        await client.schedules_by_ids([schedule_id])
    elapsed = time.monotonic() - started
    stats = await sim.stats()
    assert stats["rate_limited"] == 0
    assert 0.5 < elapsed < 5


async def test_a_429_waits_until_the_reset_and_then_succeeds(sim: Sim, clients: Clients) -> None:
    await sim.faults(rate_limit_per_minute=5)
    client = await clients(rate_limit=1000, rate_limit_margin=0)
    await sim.clock(advance_seconds=-58)
    await client.readiness()
    await sim.clock(reset=True)
    started = time.monotonic()
    # Four fit in the open window; four more are refused, wait, and fit in the next one.
    found = await asyncio.gather(
        *(client.schedules_by_ids([i]) for i in sorted(sim.world.schedules)[:8])
    )
    elapsed = time.monotonic() - started
    assert all(len(f) == 1 for f in found)  # no call failed
    stats = await sim.stats()
    assert stats["rate_limited"] > 0  # concurrent calls met 429s and waited them out
    assert 0.5 < elapsed < 5
