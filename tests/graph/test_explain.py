"""Explain output (``X-Schoolgraph-Explain: 1``) and the stale flag, over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from yarl import URL

from schoolgraph.app import create_app
from schoolgraph.config import Settings, load_settings
from schoolgraph.graph.schema import build_schema
from schoolgraph.simulators.stack import SimulatorStack, start_simulators
from tests.conftest import ManualClock, Serve
from tests.simulated_upstreams import DirectoryQuery, environ_for, sim_post

EXPLAIN = {"X-Schoolgraph-Explain": "1"}
CALL_KEYS = {"upstream", "method", "route", "status", "ms", "cache", "attempt", "error"}
NETWORK = ("miss", "revalidated", "bypass")


@pytest.fixture
async def stack() -> AsyncIterator[SimulatorStack]:
    started = await start_simulators(scale="small")
    yield started
    await started.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def gateway(serve: Serve, stack: SimulatorStack, clock: ManualClock) -> URL:
    settings = load_settings(environ_for(stack))
    return await serve(create_app(settings, schema=build_schema(DirectoryQuery), clock=clock))


async def post(
    http: aiohttp.ClientSession, gateway: URL, query: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    async with http.post(gateway / "graphql", json={"query": query}, headers=headers) as response:
        body: dict[str, Any] = await response.json()
        assert response.status == 200, body
        return body


def estab(stack: SimulatorStack) -> str:
    first: str = stack.describe()["xporter"]["schools"][0]["estab"]
    return first


async def test_without_the_header_a_response_has_no_extensions(
    http: aiohttp.ClientSession, gateway: URL
) -> None:
    body = await post(http, gateway, "{ schoolIds }")

    assert set(body) == {"data"}


@pytest.mark.parametrize("value", ["0", "no", ""], ids=["zero", "no", "empty"])
async def test_only_a_true_header_asks_for_explain(
    http: aiohttp.ClientSession, gateway: URL, value: str
) -> None:
    body = await post(http, gateway, "{ schoolIds }", {"X-Schoolgraph-Explain": value})

    assert "extensions" not in body


async def test_explain_lists_every_upstream_call_and_the_totals(
    http: aiohttp.ClientSession, gateway: URL, stack: SimulatorStack
) -> None:
    body = await post(http, gateway, "{ schoolIds }", EXPLAIN)

    explain = body["extensions"]["explain"]
    calls, totals = explain["calls"], explain["totals"]
    assert calls
    assert all(set(call) == CALL_KEYS for call in calls)
    assert {call["upstream"] for call in calls} == {"xporter", "tass"}
    # Route templates, never concrete URLs: no school's estab appears.
    assert "/api/v1/School/{estab}/SchoolInfo" in {call["route"] for call in calls}
    assert not any(estab(stack) in call["route"] for call in calls)
    network = [call for call in calls if call["cache"] in NETWORK]
    assert totals["requests"] == len(network) > 0
    assert totals["cacheHits"] == sum(call["cache"] == "hit" for call in calls)
    assert totals["stale"] == 0
    assert totals["ms"] == pytest.approx(sum(call["ms"] for call in network), abs=0.05)


async def test_a_warm_repeat_is_explained_as_cache_hits(
    http: aiohttp.ClientSession, gateway: URL
) -> None:
    await post(http, gateway, "{ schoolIds }")

    body = await post(http, gateway, "{ schoolIds }", EXPLAIN)

    explain = body["extensions"]["explain"]
    assert explain["calls"]
    assert {call["cache"] for call in explain["calls"]} == {"hit"}
    assert explain["totals"]["requests"] == 0


async def test_a_stale_answer_is_flagged_with_or_without_the_header(
    http: aiohttp.ClientSession, gateway: URL, stack: SimulatorStack, clock: ManualClock
) -> None:
    query = f'{{ studentCount(schoolId: "xporter:{estab(stack)}") }}'
    fresh = await post(http, gateway, query)
    clock.now += 600  # past the students list's freshness (300 s)
    await sim_post(http, stack, "xporter", "/__sim/faults", {"error_rate": 1})

    stale = await post(http, gateway, query)
    explained = await post(http, gateway, query, EXPLAIN)

    assert stale == {**fresh, "extensions": {"stale": ["xporter"]}}
    assert explained["extensions"]["stale"] == ["xporter"]
    assert explained["extensions"]["explain"]["totals"]["stale"] >= 1


async def test_the_gateway_schema_explains_a_real_query(
    http: aiohttp.ClientSession, serve: Serve
) -> None:
    gateway = await serve(create_app(Settings(demo_scale="small")))

    body = await post(http, gateway, "{ schools { name } }", EXPLAIN)

    assert len(body["data"]["schools"]) == 4
    calls = body["extensions"]["explain"]["calls"]
    assert {call["upstream"] for call in calls} == {"xporter", "tass"}
    assert body["extensions"]["explain"]["totals"]["requests"] > 0
