"""The answer cache over HTTP: kept answers are byte-identical, and never outlive their data."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from schoolgraph.accounts import Grant
from schoolgraph.app import RUNTIME, create_app
from schoolgraph.config import Settings, load_settings
from schoolgraph.graph.answers import ANSWERS, AnswerCache
from schoolgraph.graph.view import ANSWER_CACHE_HEADER
from schoolgraph.simulators.stack import SimulatorStack, start_simulators
from tests.accounts.harness import FAST, start_harness
from tests.conftest import ManualClock, Serve
from tests.graph.conftest import Gateway, computing
from tests.simulated_upstreams import environ_for, sim_post

SCHOOL_GROUPS = "{ schools { id name groups { id name } } }"
SCHEDULED = """
query ($from: Date!, $to: Date!) {
  scheduledShifts(from: $from, to: $to, first: 5) { nodes { id breakMinutes } }
}
"""


async def ask(
    http: aiohttp.ClientSession,
    url: URL,
    query: str,
    variables: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[str | None, bytes]:
    """The answer-cache header and the raw body of ``POST /graphql``."""
    payload = {"query": query, "variables": dict(variables or {})}
    async with http.post(url / "graphql", json=payload, headers=headers) as response:
        body = await response.read()
        assert response.status == 200, body
        return response.headers.get(ANSWER_CACHE_HEADER), body


def answers_of(gateway: Gateway) -> AnswerCache:
    return gateway.app[ANSWERS]


async def test_a_repeated_query_is_answered_from_the_cache_with_the_same_bytes(
    gateway: Gateway,
) -> None:
    first = await ask(gateway.http, gateway.url, SCHOOL_GROUPS)
    await gateway.sim_requests()  # reset the simulators' counters
    second = await ask(gateway.http, gateway.url, SCHOOL_GROUPS)
    assert first[0] == "miss" and second[0] == "hit"
    assert second[1] == first[1] and b'"groups"' in first[1]
    assert sum((await gateway.sim_requests()).values()) == 0
    stats = answers_of(gateway).stats
    assert (stats.hits, stats.stored) == (1, 1)


async def test_other_variables_and_explain_requests_are_not_served_a_kept_answer(
    gateway: Gateway,
) -> None:
    today = gateway.world.today
    week = {"from": str(today), "to": str(today + timedelta(days=6))}
    fortnight = {"from": str(today), "to": str(today + timedelta(days=13))}
    assert (await ask(gateway.http, gateway.url, SCHEDULED, week))[0] == "miss"
    assert (await ask(gateway.http, gateway.url, SCHEDULED, fortnight))[0] == "miss"
    assert (await ask(gateway.http, gateway.url, SCHEDULED, week))[0] == "hit"
    explained = await ask(
        gateway.http, gateway.url, SCHEDULED, week, headers={"X-Schoolgraph-Explain": "1"}
    )
    assert explained[0] is None and b'"explain"' in explained[1]


async def test_a_mutation_through_the_gateway_makes_the_answer_recomputed(
    gateway: Gateway,
) -> None:
    today = gateway.world.today
    week = {"from": str(today), "to": str(today + timedelta(days=6))}
    _, before = await ask(gateway.http, gateway.url, SCHEDULED, week)
    shift = (await gateway.data(SCHEDULED, week))["scheduledShifts"]["nodes"][0]
    minutes = (shift["breakMinutes"] or 0) + 7  # a draft may have no break yet
    mutation = (
        "mutation ($id: ID!, $minutes: Int!) { updateScheduledShift(id: $id, "
        "input: {breakMinutes: $minutes}) { id breakMinutes } }"
    )
    changed = await gateway.data(mutation, {"id": shift["id"], "minutes": minutes})
    assert changed["updateScheduledShift"]["breakMinutes"] == minutes

    header, after = await ask(gateway.http, gateway.url, SCHEDULED, week)
    assert header == "miss" and after != before
    nodes = (await gateway.data(SCHEDULED, week))["scheduledShifts"]["nodes"]
    assert {n["id"]: n["breakMinutes"] for n in nodes}[shift["id"]] == minutes
    assert answers_of(gateway).stats.invalidations >= 1


async def test_an_answer_with_errors_is_not_kept(gateway: Gateway) -> None:
    await gateway.faults("xporter", error_rate=1)
    first = await gateway.post(SCHOOL_GROUPS)
    assert first.get("errors")  # a partial answer: Xporter's schools are missing
    header, _ = await ask(gateway.http, gateway.url, SCHOOL_GROUPS)
    assert header == "miss"
    assert answers_of(gateway).stats.stored == 0


# -- data changed upstream: kept until the upstream cache itself would re-read ----------


@pytest.fixture
async def stack() -> AsyncIterator[SimulatorStack]:
    started = await start_simulators(scale="small")
    yield started
    await started.close()


async def test_an_upstream_change_is_answered_once_the_entry_it_came_from_expires(
    serve: Serve, http: aiohttp.ClientSession, stack: SimulatorStack
) -> None:
    clock = ManualClock()
    url = await serve(create_app(load_settings(environ_for(stack)), clock=clock))
    _, before = await ask(http, url, SCHOOL_GROUPS)
    await sim_post(
        http, stack, "xporter", "/__sim/mutate", {"table": "groups", "action": "update", "count": 3}
    )

    # The upstream cache's entries are still fresh: so is the answer built on them.
    assert await ask(http, url, SCHOOL_GROUPS) == ("hit", before)

    clock.now += 301  # past the groups' freshness (300 s)
    header, after = await ask(http, url, SCHOOL_GROUPS)
    assert header == "miss" and after != before
    # The same as a gateway that keeps no answers, reading the changed world afresh.
    environ = environ_for(stack) | {"SCHOOLGRAPH_ANSWER_CACHE": "false"}
    reference = await serve(create_app(load_settings(environ)))
    assert await ask(http, reference, SCHOOL_GROUPS) == (None, after)


async def upstream_requests(http: aiohttp.ClientSession, stack: SimulatorStack) -> int:
    """Requests the three simulators have answered so far."""
    total = 0
    for base in stack.urls.values():
        async with http.get(f"{base}/__sim/stats") as response:
            total += int((await response.json())["total"])
    return total


async def kept_on_a_manual_clock(
    serve: Serve, http: aiohttp.ClientSession, stack: SimulatorStack
) -> tuple[ManualClock, web.Application, URL, bytes]:
    """A gateway over ``stack`` on a clock the test moves, having answered (and kept)
    SCHOOL_GROUPS once: its clock, app, URL and that answer."""
    clock = ManualClock()
    app = create_app(load_settings(environ_for(stack)), clock=clock)
    url = await serve(app)
    _, before = await ask(http, url, SCHOOL_GROUPS)
    return clock, app, url, before


async def test_steady_reads_keep_their_answer_while_its_data_is_revalidated_ahead(
    serve: Serve, http: aiohttp.ClientSession, stack: SimulatorStack
) -> None:
    clock, app, url, before = await kept_on_a_manual_clock(serve, http, stack)
    cache = app[RUNTIME].cache
    read = await upstream_requests(http, stack)

    clock.now += 240  # the groups' last quarter (300 s fresh): served, revalidated meanwhile
    assert await ask(http, url, SCHOOL_GROUPS) == ("hit", before)
    await cache.settle()
    revalidated = await upstream_requests(http, stack)
    assert revalidated > read and cache.stats.refreshed_ahead >= 1

    clock.now += 100  # past the freshness they were first read with
    assert await ask(http, url, SCHOOL_GROUPS) == ("hit", before)
    assert await upstream_requests(http, stack) == revalidated  # none asked on the way

    # Without refresh ahead, the same reads wait for the revalidation and execute again.
    environ = environ_for(stack) | {"SCHOOLGRAPH_CACHE_REFRESH_AHEAD": "0"}
    other = ManualClock()
    reference = await serve(create_app(load_settings(environ), clock=other))
    await ask(http, reference, SCHOOL_GROUPS)
    other.now += 240
    assert (await ask(http, reference, SCHOOL_GROUPS))[0] == "hit"
    other.now += 100
    waited = await upstream_requests(http, stack)
    assert (await ask(http, reference, SCHOOL_GROUPS))[0] == "miss"
    assert await upstream_requests(http, stack) > waited


async def test_a_change_found_ahead_is_answered_by_the_next_request_without_waiting(
    serve: Serve, http: aiohttp.ClientSession, stack: SimulatorStack
) -> None:
    clock, app, url, before = await kept_on_a_manual_clock(serve, http, stack)
    await sim_post(
        http, stack, "xporter", "/__sim/mutate", {"table": "groups", "action": "update", "count": 3}
    )
    clock.now += 240
    assert await ask(http, url, SCHOOL_GROUPS) == ("hit", before)  # fresh until 300 s
    await app[RUNTIME].cache.settle()  # the revalidation found the change

    asked = await upstream_requests(http, stack)
    header, after = await ask(http, url, SCHOOL_GROUPS)
    assert header == "miss" and after != before
    assert await upstream_requests(http, stack) == asked  # executed from the cache
    environ = environ_for(stack) | {"SCHOOLGRAPH_ANSWER_CACHE": "false"}
    reference = await serve(create_app(load_settings(environ)))
    assert await ask(http, reference, SCHOOL_GROUPS) == (None, after)


# -- callers: each account's grants and schools are part of the key ----------------------


async def test_accounts_never_share_answers_and_a_grant_change_is_seen_at_once(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    harness = await start_harness(serve, http, Settings(demo_scale="small"), cost=FAST)
    names = [Grant("School", read=True, read_fields=frozenset({"id", "name"}))]
    everything = [Grant("School", read=True)]
    narrow = await harness.provision("narrow", schools=["*"], grants=names)
    wide = await harness.provision("wide", schools=["*"], grants=everything)
    query = "{ schools { name urn } }"

    for _ in range(2):
        wide_header, wide_body = await ask(http, harness.url, query, headers=wide.headers)
        narrow_body = await harness.graphql(query, user=narrow)
        assert b'"errors"' not in wide_body
        assert [e["extensions"]["code"] for e in narrow_body["errors"]][:1] == ["FORBIDDEN_FIELD"]
    assert wide_header == "hit"

    await harness.service.set_grant("admin", narrow.code, Grant("School", read=True))
    header, body = await ask(http, harness.url, query, headers=narrow.headers)
    assert header == "miss" and body == wide_body

    await harness.service.set_grant("admin", wide.code, names[0])
    denied = await harness.graphql(query, user=wide)
    assert [e["extensions"]["code"] for e in denied["errors"]][:1] == ["FORBIDDEN_FIELD"]


# -- the bound on operations executed at once --------------------------------------------


async def test_operations_over_the_bound_wait_while_kept_answers_do_not(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    app = create_app(Settings(demo_scale="small", max_concurrent_operations=1))
    gateway = Gateway(url=await serve(app), app=app, http=http)
    _, kept = await ask(http, gateway.url, SCHOOL_GROUPS)
    await gateway.data("{ schools { name } }")  # its reads in the upstream cache

    async with computing(gateway):  # the only place taken by an operation computing
        # Everything this one reads is in the upstream cache, but it must wait for a place.
        waiting = asyncio.create_task(ask(http, gateway.url, "{ schools { name id } }"))
        # A kept answer does not execute, so it does not wait.
        assert await ask(http, gateway.url, SCHOOL_GROUPS) == ("hit", kept)
        await asyncio.sleep(0.3)
        assert not waiting.done()

    header, schools = await waiting
    assert header == "miss" and b'"schools"' in schools


def test_a_kept_answer_holds_no_more_than_its_length() -> None:
    """orjson's bytes come in the 4 KB buffer it wrote them into: kept as they came, a
    40-byte answer held 4 KB, a hundred times what the budget counted for it."""
    from schoolgraph.accounts.models import ANONYMOUS
    from schoolgraph.cache.reads import ReadSet
    from schoolgraph.graph.answer_json import answer_bytes

    cache = AnswerCache(max_bytes=64 * 1024 * 1024)
    keys = [cache.key("{ students { totalCount } }", None, {"n": n}, ANONYMOUS) for n in range(500)]

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n, key in enumerate(keys):
            assert key is not None
            body = answer_bytes({"data": {"students": {"totalCount": n}}})  # as the view does
            assert cache.put(key, body, ReadSet())
            del body
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    assert held / 500 < 1024, f"{held / 500:.0f} bytes an answer"
