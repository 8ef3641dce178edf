"""The cross-request cache: freshness, ETag revalidation, tenant scoping, bounds, stale-if-error."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from schoolgraph.cache.store import CacheEntry, CacheKey, Refresh, UpstreamCache
from schoolgraph.errors import UpstreamUnavailableError
from schoolgraph.upstreams.http import RetryPolicy, Transport, TransportPolicy


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Upstream:
    rows: dict[str, list[int]] = field(default_factory=lambda: {"a": [1, 2], "b": [3]})
    down: bool = False
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
async def server() -> AsyncIterator[tuple[Transport, Upstream]]:
    state = Upstream()

    async def rows(request: web.Request) -> web.Response:
        if state.down:
            return web.json_response({"error": "down"}, status=503)
        body = json.dumps(state.rows[request.match_info["tenant"]]).encode()
        etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest() + '"'
        state.statuses.append(304 if request.headers.get("If-None-Match") == etag else 200)
        if state.statuses[-1] == 304:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, content_type="application/json", headers={"ETag": etag})

    app = web.Application()
    app.router.add_get("/rows/{tenant}", rows)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    transport = Transport(
        "fake",
        f"http://{host}:{port}",
        policy=TransportPolicy(retry=RetryPolicy(attempts=1), breaker_failures=100),
    )
    await transport.start()
    yield transport, state
    await transport.close()
    await runner.cleanup()


Load = Callable[[CacheEntry[list[int]] | None], Awaitable[Refresh[list[int]]]]


def _loader(transport: Transport, tenant: str) -> Load:
    async def load(entry: CacheEntry[list[int]] | None) -> Refresh[list[int]]:
        headers = {"If-None-Match": entry.etag} if entry and entry.etag else {}
        response = await transport.request(
            "GET",
            f"/rows/{tenant}",
            route="/rows/{tenant}",
            headers=headers,
            ok_statuses=frozenset({304}),
        )
        if response.status == 304:
            return Refresh.unchanged()
        return Refresh(
            value=response.json(), size=len(response.body), etag=response.headers.get("ETag")
        )

    return load


async def test_fresh_entries_are_hits_and_stale_ones_revalidate_with_304(
    server: tuple[Transport, Upstream],
) -> None:
    transport, state = server
    clock = Clock()
    cache = UpstreamCache(clock=clock)
    key = CacheKey("fake", "a", "/rows")
    first = await cache.fetch(key, _loader(transport, "a"), ttl=10, route="/rows/{tenant}")
    second = await cache.fetch(key, _loader(transport, "a"), ttl=10, route="/rows/{tenant}")
    assert (first.outcome, second.outcome) == ("miss", "hit")
    clock.now += 11
    third = await cache.fetch(key, _loader(transport, "a"), ttl=10, route="/rows/{tenant}")
    assert third.outcome == "revalidated"
    assert third.value is first.value  # the parsed value is reused, not re-parsed
    assert state.statuses == [200, 304]
    state.rows["a"] = [1, 2, 99]
    clock.now += 11
    fourth = await cache.fetch(key, _loader(transport, "a"), ttl=10, route="/rows/{tenant}")
    assert fourth.value == [1, 2, 99]
    assert cache.stats.as_json() == {
        "hits": 1,
        "misses": 2,
        "revalidated": 1,
        "stale": 0,
        "evictions": 0,
    }


async def test_tenants_never_share_entries(server: tuple[Transport, Upstream]) -> None:
    transport, _ = server
    cache = UpstreamCache()
    a = await cache.fetch(
        CacheKey("fake", "a", "/rows"), _loader(transport, "a"), ttl=60, route="/rows/{tenant}"
    )
    b = await cache.fetch(
        CacheKey("fake", "b", "/rows"), _loader(transport, "b"), ttl=60, route="/rows/{tenant}"
    )
    assert (a.value, b.value) == ([1, 2], [3])


async def test_stale_entry_is_served_when_the_upstream_fails(
    server: tuple[Transport, Upstream],
) -> None:
    transport, state = server
    clock = Clock()
    cache = UpstreamCache(clock=clock)
    key = CacheKey("fake", "a", "/rows")
    await cache.fetch(key, _loader(transport, "a"), ttl=10, route="/rows/{tenant}")
    state.down = True
    clock.now += 11
    result = await cache.fetch(key, _loader(transport, "a"), ttl=10, route="/rows/{tenant}")
    assert result.stale and result.value == [1, 2]
    with pytest.raises(UpstreamUnavailableError):  # nothing cached for b: the error stands
        await cache.fetch(
            CacheKey("fake", "b", "/rows"), _loader(transport, "b"), ttl=10, route="/rows/{tenant}"
        )


async def test_concurrent_misses_share_one_load(server: tuple[Transport, Upstream]) -> None:
    transport, _state = server
    cache = UpstreamCache()
    loads = 0
    inner = _loader(transport, "a")

    async def counting(entry: CacheEntry[list[int]] | None) -> Refresh[list[int]]:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.02)
        return await inner(entry)

    key = CacheKey("fake", "a", "/rows")
    results = await asyncio.gather(
        *(cache.fetch(key, counting, ttl=10, route="/r") for _ in range(10))
    )
    assert loads == 1 and all(r.value == [1, 2] for r in results)


def test_byte_budget_and_entry_count_bound_the_cache() -> None:
    cache = UpstreamCache(max_entries=3, max_bytes=1000)
    for i in range(5):
        cache.put(CacheKey("u", "t", str(i)), i, ttl=60, size=100)
    assert len(cache) == 3
    for i in range(5, 20):
        cache.put(CacheKey("u", "t", str(i)), i, ttl=60, size=400)
    assert cache.bytes <= 1000
    cache.put(CacheKey("u", "t", "huge"), 0, ttl=60, size=5000)
    assert cache.peek(CacheKey("u", "t", "huge")) is None


def test_evict_drops_only_the_named_tenant_and_prefix() -> None:
    cache = UpstreamCache()
    for tenant in ("a", "b"):
        for resource in ("/shifts?x", "/users"):
            cache.put(CacheKey("tanda", tenant, resource), 1, ttl=60, size=1)
    assert cache.evict("tanda", tenant="a", resource_prefix="/shifts") == 1
    assert cache.peek(CacheKey("tanda", "a", "/shifts?x")) is None
    assert cache.peek(CacheKey("tanda", "b", "/shifts?x")) is not None
    assert len(cache) == 3
