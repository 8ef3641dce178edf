"""Steady traffic over time: what a warm query costs once its data outlives its freshness.

The warm runs last seconds, less than any upstream-cache entry's freshness (60 s for a week's
shifts, 5 minutes for most lists), so they never meet a revalidation. Here one client asks
for the query every `step` seconds of the gateway's clock for `steps` requests (10 minutes
by default): before each request the gateway's clock (its upstream cache's, its clients')
moves on by `step`, and the background work the last request started is let finish, as it
would in the seconds between two real requests. It runs twice, on fresh gateways: with the
upstream cache revalidating ahead (``SCHOOLGRAPH_CACHE_REFRESH_AHEAD``, as configured), and
without (revalidating an entry only once a request finds it stale).

Per run: each request's latency (p50, p95, max), how many requests executed the query rather
than being served a kept answer, and how many upstream requests the run caused (each
simulator's `/__sim/stats`).
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any

from schoolgraph.app import RUNTIME
from schoolgraph.graph.answers import ANSWERS

if TYPE_CHECKING:
    from schoolgraph.bench.queries import BenchQuery
    from schoolgraph.bench.runner import Bench  # which runs this: imported for types only

__all__ = ["MovedClock", "steady_traffic"]


class MovedClock:
    """The monotonic clock, moved on by hand (the gateway's, in a steady run)."""

    __slots__ = ("offset",)

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


async def steady_traffic(
    bench: Bench, query: BenchQuery, *, refresh_ahead: float, steps: int, step: float
) -> dict[str, Any]:
    """One steady run of ``query`` on a fresh gateway (see the module): each request's
    latency (``latencies_ms``), the requests that executed, the upstream requests."""
    clock = MovedClock()
    gateway = await bench.start_gateway(
        dataclasses.replace(bench.settings(), cache_refresh_ahead=refresh_ahead), clock=clock
    )
    try:
        cache = gateway.app[RUNTIME].cache
        answers = gateway.app[ANSWERS]
        body = bench.body(query)
        for _ in range(2):  # cold, then its answer kept
            await bench.request(gateway.url, body, requests=1)
        await cache.settle()
        await bench.upstreams.stats()  # counts from here
        executed = answers.stats.misses
        latencies: list[float] = []
        for _ in range(steps):
            clock.offset += step
            sample = await bench.request(gateway.url, body, requests=1)
            latencies.extend(latency * 1000 for latency in sample.latencies)
            await cache.settle()
        stats = await bench.upstreams.stats()
        return {
            "refresh_ahead": refresh_ahead,
            "requests": steps,
            "step_s": step,
            "latencies_ms": [round(ms, 2) for ms in latencies],
            "executed": answers.stats.misses - executed,
            "upstream_requests": sum(int(found.get("total", 0)) for found in stats.values()),
            "refreshed_ahead": cache.stats.refreshed_ahead,
        }
    finally:
        await gateway.close()
