"""/metrics over HTTP: the counts move as real traffic flows through the gateway."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from schoolgraph.app import RUNTIME, create_app
from schoolgraph.config import Secret, Settings
from schoolgraph.observability.endpoint import is_loopback
from tests.conftest import ManualClock, Serve
from tests.graph.conftest import Gateway
from tests.observability.conftest import BASE, Observe, scrape, total, value

SCHOOLS = "{ schools { name system } }"
SCHOOL_SIDE = "{ schools { name system } students(first: 3) { nodes { surname } } }"
WORKFORCE = "{ teams { name } locations { name } }"


async def test_requests_are_counted_by_route_template_method_and_status(
    observed: Observe,
) -> None:
    gateway = await observed()
    await gateway.data(SCHOOLS)
    async with gateway.http.get(gateway.url / "students" / "S12345-secretish") as response:
        assert response.status == 404

    text, samples = await scrape(gateway.http, gateway.url)

    requests = "schoolgraph_http_requests_total"
    assert value(samples, requests, route="/graphql", method="POST", status="200") == 1
    assert value(samples, requests, route="unmatched", method="GET", status="404") == 1
    assert "S12345" not in text, "a raw path never becomes a label"
    duration = "schoolgraph_http_request_duration_seconds_count"
    assert value(samples, duration, route="/graphql", method="POST") == 1
    assert value(samples, "schoolgraph_http_requests_in_flight") == 1, "the scrape itself"


async def test_route_labels_are_the_apps_route_templates(observed: Observe) -> None:
    gateway = await observed()
    for path in ("healthz", "readyz", "nowhere/42", "graphql?query=%7B__typename%7D"):
        async with gateway.http.get(gateway.url.with_path("/") / path) as response:
            await response.read()
    await gateway.data(SCHOOLS)

    _, samples = await scrape(gateway.http, gateway.url)

    routes_of_app = gateway.app.router.routes()
    templates = {route.resource.canonical for route in routes_of_app if route.resource}
    routes = {
        dict(labels)["route"]
        for name, labels in samples
        if name == "schoolgraph_http_requests_total"
    }
    assert {"/healthz", "/readyz", "/graphql", "unmatched"} <= routes
    assert routes <= templates | {"unmatched"}


async def test_a_repeated_query_moves_cache_hits(observed: Observe) -> None:
    # Without the answer cache, which would answer the repeat without the upstream cache.
    gateway = await observed(answer_cache=False)
    await gateway.data(SCHOOL_SIDE)
    _, first = await scrape(gateway.http, gateway.url)
    await gateway.data(SCHOOL_SIDE)
    _, second = await scrape(gateway.http, gateway.url)

    lookups = "schoolgraph_cache_lookups_total"
    calls = "schoolgraph_upstream_calls_total"
    assert value(first, lookups, outcome="miss") > 0
    assert value(second, lookups, outcome="hit") > value(first, lookups, outcome="hit")
    assert value(second, lookups, outcome="miss") == value(first, lookups, outcome="miss")
    assert total(second, calls, upstream="xporter", cache="hit") > total(
        first, calls, upstream="xporter", cache="hit"
    )
    assert total(second, calls, cache="miss") == total(first, calls, cache="miss"), (
        "the second answer needed no upstream request"
    )
    assert value(second, "schoolgraph_cache_entries") > 0
    assert value(second, "schoolgraph_cache_bytes") > 0


async def test_a_read_late_in_its_freshness_counts_a_background_revalidation(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    clock = ManualClock()
    app = create_app(BASE, clock=clock)
    gateway = Gateway(url=await serve(app), app=app, http=http)
    await gateway.data(SCHOOL_SIDE)
    _, before = await scrape(gateway.http, gateway.url)
    clock.now += 240  # the students' last quarter (300 s fresh)
    await gateway.data(SCHOOL_SIDE)  # a kept answer, its entries revalidated meanwhile
    await app[RUNTIME].cache.settle()
    _, after = await scrape(gateway.http, gateway.url)

    ahead = "schoolgraph_cache_refreshed_ahead_total"
    lookups = "schoolgraph_cache_lookups_total"
    assert value(before, ahead) == 0 and value(after, ahead) >= 1
    assert (
        value(after, lookups, outcome="revalidated")
        >= value(before, lookups, outcome="revalidated") + 1
    )


async def test_a_fault_moves_error_counts_and_opens_the_circuit(observed: Observe) -> None:
    gateway = await observed()
    await gateway.faults("xporter", error_rate=1.0, error_status=503)

    for _ in range(3):  # three attempts per read; five failures in a row open the circuit
        await gateway.post(SCHOOL_SIDE)
    _, samples = await scrape(gateway.http, gateway.url)
    await gateway.faults("xporter", clear=True)

    assert value(samples, "schoolgraph_graphql_errors_total", code="UPSTREAM_UNAVAILABLE") >= 3
    calls = "schoolgraph_upstream_calls_total"
    failed = total(samples, calls, upstream="xporter", outcome="UPSTREAM_UNAVAILABLE")
    assert failed >= 5
    state = "schoolgraph_upstream_circuit_state"
    assert value(samples, state, upstream="xporter", state="open") == 1
    assert value(samples, state, upstream="xporter", state="closed") == 0
    assert value(samples, state, upstream="tass", state="closed") == 1
    assert value(samples, "schoolgraph_upstream_circuit_opened_total", upstream="xporter") == 1
    assert value(samples, "schoolgraph_upstream_circuit_opened_total", upstream="tass") == 0


async def test_a_token_expiring_upstream_moves_token_fetches(observed: Observe) -> None:
    gateway = await observed()
    await gateway.faults("xporter", token_lifetime_seconds=1)
    schools = len(gateway.simulators.describe()["xporter"]["schools"])

    async def ready() -> None:  # an uncached, authenticated call to every upstream
        async with gateway.http.get(gateway.url / "readyz") as response:
            assert response.status == 200

    await ready()
    _, before = await scrape(gateway.http, gateway.url)
    await asyncio.sleep(1.2)
    await ready()
    _, after = await scrape(gateway.http, gateway.url)

    fetches = "schoolgraph_upstream_token_fetches_total"
    assert value(before, fetches, upstream="xporter") == schools
    assert value(after, fetches, upstream="xporter") == 2 * schools
    for steady in ("tanda", "tass"):
        assert value(after, fetches, upstream=steady) == value(before, fetches, upstream=steady)
        assert value(after, fetches, upstream=steady) > 0


async def test_two_apps_in_one_process_count_apart(observed: Observe) -> None:
    busy, idle = await observed(), await observed()
    await busy.data(SCHOOLS)

    _, busy_samples = await scrape(busy.http, busy.url)
    _, idle_samples = await scrape(idle.http, idle.url)

    graphql = {"route": "/graphql", "method": "POST", "status": "200"}
    assert value(busy_samples, "schoolgraph_http_requests_total", **graphql) == 1
    assert value(idle_samples, "schoolgraph_http_requests_total", **graphql) == 0


@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        pytest.param(None, 401, id="no-token"),
        pytest.param("Bearer not-it", 401, id="wrong-token"),
        pytest.param("Bearer metrics-s3cret", 200, id="right-token"),
    ],
)
async def test_a_metrics_token_is_required_once_configured(
    serve: Serve, http: aiohttp.ClientSession, authorization: str | None, status: int
) -> None:
    settings = Settings(mode=BASE.mode, metrics_token=Secret("metrics-s3cret"))
    gateway = await serve(create_app(settings))
    headers = {"Authorization": authorization} if authorization else {}

    async with http.get(gateway / "metrics", headers=headers) as response:
        text = await response.text()

    assert response.status == status
    assert "metrics-s3cret" not in text
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert '"code":"UNAUTHENTICATED"' in text


@pytest.mark.parametrize(
    ("remote", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("10.0.0.7", False),
        ("192.168.1.2", False),
        ("2001:db8::1", False),
        ("", False),
        (None, False),
    ],
)
def test_without_a_token_only_loopback_peers_may_read_metrics(
    remote: str | None, loopback: bool
) -> None:
    assert is_loopback(remote) is loopback
