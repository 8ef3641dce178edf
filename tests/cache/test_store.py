"""The cross-request cache: freshness, ETag revalidation, tenant scoping, bounds, stale-if-error."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import gc
import hashlib
import json
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from schoolgraph.cache.reads import ReadSet, current_reads
from schoolgraph.cache.store import Cached, CacheEntry, CacheKey, Refresh, UpstreamCache
from schoolgraph.errors import UpstreamUnavailableError
from schoolgraph.upstreams.http import (
    RetryPolicy,
    Transport,
    TransportPolicy,
    deadline,
    set_deadline,
)


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
        "refreshed_ahead": 0,
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


# -- refresh ahead --------------------------------------------------------------------------

KEY = CacheKey("fake", "a", "/rows")
ROUTE = "/rows/{tenant}"


@dataclass
class Ahead:
    """A cache revalidating in the last quarter of each entry's freshness, over the ETag
    server; `read` fetches tenant a's rows (10 s fresh) with `load`, or the plain loader."""

    transport: Transport
    state: Upstream
    clock: Clock
    cache: UpstreamCache

    async def read(self, load: Load | None = None) -> Cached[list[int]]:
        chosen = load if load is not None else _loader(self.transport, "a")
        return await self.cache.fetch(KEY, chosen, ttl=10, route=ROUTE)


@pytest.fixture
def ahead(server: tuple[Transport, Upstream]) -> Ahead:
    transport, state = server
    clock = Clock()
    return Ahead(transport, state, clock, UpstreamCache(clock=clock, refresh_ahead=0.25))


async def test_a_read_late_in_its_freshness_is_served_and_revalidated_in_the_background(
    ahead: Ahead,
) -> None:
    first = await ahead.read()

    ahead.clock.now += 7  # 3 s of 10 left: not yet in the last quarter
    assert (await ahead.read()).outcome == "hit"
    await ahead.cache.settle()
    assert ahead.state.statuses == [200]

    ahead.clock.now += 1  # 2 s left: served as it is, and revalidated meanwhile, once
    reads = [await ahead.read() for _ in "ab"]
    assert [(r.outcome, r.value is first.value) for r in reads] == [("hit", True)] * 2
    await ahead.cache.settle()
    assert ahead.state.statuses == [200, 304]
    assert ahead.cache.stats.refreshed_ahead == 1

    ahead.clock.now += 9  # past the first freshness, late in the one the 304 gave
    again = await ahead.read()
    assert (again.outcome, again.value is first.value) == ("hit", True)
    await ahead.cache.settle()
    assert ahead.state.statuses == [200, 304, 304]  # read steadily, it never goes stale


async def test_a_change_found_ahead_is_what_the_next_read_gets(ahead: Ahead) -> None:
    await ahead.read()
    ahead.state.rows["a"] = [1, 2, 99]
    ahead.clock.now += 9
    assert (await ahead.read()).value == [1, 2]
    await ahead.cache.settle()
    assert (await ahead.read()).value == [1, 2, 99]
    assert ahead.state.statuses == [200, 200]


async def test_the_answer_caches_check_of_a_kept_answer_also_revalidates_ahead(
    ahead: Ahead,
) -> None:
    entry = (await ahead.read()).entry
    assert entry is not None
    ahead.clock.now += 5
    assert ahead.cache.holds(KEY, entry.version)
    await ahead.cache.settle()
    assert ahead.state.statuses == [200]
    ahead.clock.now += 4
    assert ahead.cache.holds(KEY, entry.version)  # the revalidation is in the background
    await ahead.cache.settle()
    assert ahead.state.statuses == [200, 304]
    ahead.clock.now += 5  # past the first freshness: the 304 renewed it, the same value
    assert ahead.cache.holds(KEY, entry.version)


async def test_refresh_ahead_is_off_unless_asked_for(server: tuple[Transport, Upstream]) -> None:
    transport, state = server
    clock = Clock()
    cache = UpstreamCache(clock=clock)
    await cache.fetch(KEY, _loader(transport, "a"), ttl=10, route=ROUTE)
    clock.now += 9.9
    await cache.fetch(KEY, _loader(transport, "a"), ttl=10, route=ROUTE)
    await cache.settle()
    assert state.statuses == [200] and cache.stats.refreshed_ahead == 0
    with pytest.raises(ValueError, match="refresh_ahead"):
        UpstreamCache(refresh_ahead=1.0)


async def test_a_background_revalidation_belongs_to_no_request(ahead: Ahead) -> None:
    seen: list[tuple[ReadSet | None, float | None]] = []
    inner = _loader(ahead.transport, "a")

    async def looking(entry: CacheEntry[list[int]] | None) -> Refresh[list[int]]:
        seen.append((current_reads.get(), deadline()))
        return await inner(entry)

    await ahead.read(looking)
    ahead.clock.now += 9

    async def request() -> ReadSet:
        reads = ReadSet()
        current_reads.set(reads)
        set_deadline(0.001)  # this request's deadline would cut any call it made
        await ahead.read(looking)
        return reads

    reads = await asyncio.create_task(request(), context=contextvars.Context())
    await ahead.cache.settle()
    assert seen[1] == (None, None)  # the background load saw no request's reads or deadline
    assert len(reads) == 1  # the request read the entry it was served, nothing more
    assert ahead.cache.stats.revalidated == 1  # and the revalidation was not cut short


async def test_an_unavailable_upstream_ahead_leaves_the_entry_and_is_not_asked_again(
    ahead: Ahead,
) -> None:
    await ahead.read()
    ahead.state.down = True
    ahead.clock.now += 8
    for _ in range(3):
        assert (await ahead.read()).outcome == "hit"
        await ahead.cache.settle()
    assert ahead.state.statuses == [200]  # the 503s are not counted; one attempt, the first
    assert ahead.cache.stats.refreshed_ahead == 1 and ahead.cache.stats.stale == 1
    assert ahead.cache.fresh(KEY)
    ahead.clock.now += 3  # stale now: the next read tries again and serves it stale
    result = await ahead.read()
    assert result.stale and result.value == [1, 2]


class WithdrawnError(Exception):
    """What a client's load raises for an error it handles itself (not an unavailable
    upstream): an authorisation withdrawn, say."""


async def test_any_other_failure_ahead_ends_the_freshness_and_reaches_the_next_read(
    ahead: Ahead, caplog: pytest.LogCaptureFixture
) -> None:
    inner = _loader(ahead.transport, "a")
    withdrawn = False

    async def load(entry: CacheEntry[list[int]] | None) -> Refresh[list[int]]:
        if withdrawn:
            raise WithdrawnError("school 1234 withdrew its authorisation")
        return await inner(entry)

    await ahead.read(load)
    withdrawn = True
    ahead.clock.now += 9
    with caplog.at_level(logging.WARNING, logger="schoolgraph.cache.store"):
        assert (await ahead.read(load)).value == [1, 2]
        await ahead.cache.settle()
    assert not ahead.cache.fresh(KEY)
    [record] = caplog.records
    assert "WithdrawnError" in record.getMessage() and "1234" not in record.getMessage()
    with pytest.raises(WithdrawnError):
        await ahead.read(load)


async def test_close_stops_the_background_revalidations(ahead: Ahead) -> None:
    inner = _loader(ahead.transport, "a")
    started = asyncio.Event()
    blocked = False

    async def load(entry: CacheEntry[list[int]] | None) -> Refresh[list[int]]:
        if blocked:
            started.set()
            await asyncio.Event().wait()  # an upstream that never answers
        return await inner(entry)

    first = await ahead.read(load)
    blocked = True
    ahead.clock.now += 9
    await ahead.read(load)
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(ahead.cache.close(), 5)
    await ahead.cache.settle()  # nothing left under way
    entry = ahead.cache.peek(KEY)
    assert entry is not None and entry.value is first.value and ahead.cache.fresh(KEY)


class Held:
    """A loader of tenant ``a`` that, while ``hold``, reads the upstream, then waits for
    ``release``: a read from before a write, answered after it."""

    def __init__(self, ahead: Ahead, *, hold: bool = False) -> None:
        self.inner = _loader(ahead.transport, "a")
        self.read, self.release = asyncio.Event(), asyncio.Event()
        self.hold = hold

    async def __call__(self, entry: CacheEntry[list[int]] | None) -> Refresh[list[int]]:
        found = await self.inner(entry)
        if self.hold:
            self.read.set()
            await self.release.wait()
        return found


@pytest.mark.parametrize("revalidating", [True, False], ids=["ahead", "a request's load"])
async def test_a_load_under_way_when_its_key_is_evicted_does_not_put_back_what_it_read(
    ahead: Ahead, revalidating: bool
) -> None:
    """A write through the gateway evicts what it made wrong; a load that read the upstream
    before the write landed must not put the old rows back for a whole freshness period."""
    load = Held(ahead)

    await ahead.read(load)
    ahead.state.rows["a"] = [1, 2, 99]
    load.hold = True
    if revalidating:
        ahead.clock.now += 9
        await ahead.read(load)  # served; revalidation under way
        waiting = None
    else:
        ahead.clock.now += 11
        ahead.cache.evict("fake", tenant="a")
        waiting = asyncio.create_task(ahead.read(load))
    await asyncio.wait_for(load.read.wait(), 5)
    ahead.state.rows["a"] = [1, 2, 100]  # the write lands upstream, and evicts what it changed
    assert ahead.cache.evict("fake", tenant="a") == (1 if revalidating else 0)
    load.release.set()
    await ahead.cache.settle()
    if waiting is not None:  # the request gets what its load read, not kept
        assert (await waiting).value == [1, 2, 99] and ahead.cache.peek(KEY) is None
    load.hold = False
    assert (await ahead.read(load)).value == [1, 2, 100]


async def test_a_fetch_that_starts_after_an_evict_does_not_join_the_load_before_it(
    ahead: Ahead,
) -> None:
    """A request that begins after a write returned must see the write: it may not be
    handed what a load under way read before the write landed."""
    load = Held(ahead, hold=True)

    ahead.state.rows["a"] = [1, 2, 99]
    before = asyncio.create_task(ahead.read(load))
    await asyncio.wait_for(load.read.wait(), 5)
    ahead.state.rows["a"] = [1, 2, 100]  # the write lands upstream, and evicts what it changed
    ahead.cache.evict("fake", tenant="a")
    load.hold = False
    after = await asyncio.wait_for(ahead.read(load), 5)
    load.release.set()

    assert after.value == [1, 2, 100]
    assert (await before).value == [1, 2, 99]  # what its own load read, kept for nobody
    entry = ahead.cache.peek(KEY)
    assert entry is not None and entry.value == [1, 2, 100]


@pytest.mark.parametrize(
    ("failure", "logged"),
    [
        pytest.param(
            UpstreamUnavailableError("The fake upstream is down.", upstream="fake"),
            [],
            id="an upstream error",
        ),
        pytest.param(
            RuntimeError("row 1234 of Pat Example"),
            [
                (
                    logging.WARNING,
                    "A shared load of a fake /r entry ended with an unexpected RuntimeError.",
                )
            ],
            id="a bug",
        ),
    ],
)
async def test_a_load_every_caller_gave_up_on_fails_later_without_an_error_log(
    server: tuple[Transport, Upstream],
    caplog: pytest.LogCaptureFixture,
    failure: Exception,
    logged: list[tuple[int, str]],
) -> None:
    """Its callers' waits end first (their deadline, a cancelled request); the load fails
    afterwards with nobody left to retrieve the error, which asyncio would log at ERROR as
    never retrieved. A bug is still reported, once, by its type alone."""
    transport, _state = server
    inner = _loader(transport, "a")
    release = asyncio.Event()

    async def load(entry: CacheEntry[list[int]] | None) -> Refresh[list[int]]:
        await inner(entry)
        await release.wait()
        raise failure

    caplog.set_level(logging.DEBUG)
    cache = UpstreamCache()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(
            cache.fetch(CacheKey("fake", "a", "/rows"), load, ttl=10, route="/r"), 0.1
        )
    release.set()
    await asyncio.sleep(0.05)  # the load fails
    gc.collect()  # asyncio reports an unretrieved exception when the task is collected

    assert [
        (r.levelno, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING
    ] == logged


class Rows(list[int]):
    """Rows a test can hold by weak reference."""


async def test_what_a_request_read_does_not_keep_a_replaced_value_alive(ahead: Ahead) -> None:
    """A kept answer holds its request's reads; a list the cache has since replaced must not
    live on in them (it did: hundreds of old lists, far past the answer cache's budget)."""
    inner = _loader(ahead.transport, "a")

    async def load(entry: CacheEntry[list[int]] | None) -> Refresh[list[int]]:
        found = await inner(entry)
        return found if found.value is None else dataclasses.replace(found, value=Rows(found.value))

    reads = ReadSet()
    token = current_reads.set(reads)
    try:
        first = await ahead.read(load)
    finally:
        current_reads.reset(token)
    gone = weakref.ref(first.value)
    ahead.state.rows["a"] = [1, 2, 99]
    ahead.clock.now += 11  # stale: the next read replaces the value
    second = await ahead.read(load)
    del first
    gc.collect()

    assert second.value == [1, 2, 99]
    assert gone() is None
    [read] = reads
    assert not read.still_holds()
