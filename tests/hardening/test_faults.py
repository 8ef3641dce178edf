"""Upstream faults, injected through the simulators' ``/__sim/faults``, seen through the graph."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import strawberry

from schoolgraph.app import create_app
from schoolgraph.config import Settings, load_settings
from schoolgraph.context import Context
from schoolgraph.graph.schema import build_schema
from schoolgraph.simulators.stack import SimulatorStack, start_simulators
from tests.conftest import Serve
from tests.graph.conftest import UPSTREAMS, Gateway, global_id
from tests.hardening.conftest import Harden, codes, post_raw
from tests.simulated_upstreams import environ_for

SCHOOL_SIDE = "{ schools { name system } students(first: 3) { nodes { surname } } }"
"""Xporter and TASS."""
SCHOOLS = "{ schools { name system } }"
WORKFORCE = "{ teams { name } locations { name } }"
"""Tanda only."""
EVERYTHING = """
{ schools { name } students(first: 5) { nodes { surname } }
  staff(first: 20) { nodes { displayName } } teams { name } locations { name } }
"""


@dataclass
class SimulatedGateway(Gateway):
    """A gateway in upstream mode over simulators started apart from it."""

    stack: SimulatorStack | None = None

    @property
    def simulators(self) -> SimulatorStack:
        assert self.stack is not None
        return self.stack


async def authorization_code(http: aiohttp.ClientSession, tanda: dict[str, Any]) -> str:
    """Walk the browser step of Tanda's authorization-code grant as the admin."""
    form = {
        "client_id": tanda["oauth_client"]["client_id"],
        "redirect_uri": tanda["oauth_client"]["redirect_uri"],
        "scope": " ".join(tanda["scopes"]),
        "response_type": "code",
        "email": tanda["admin"]["email"],
        "password": tanda["admin"]["password"],
        "decision": "allow",
    }
    async with http.post(tanda["authorize_url"], data=form, allow_redirects=False) as response:
        assert response.status == 302, await response.text()
        location = urlsplit(response.headers["Location"])
    return parse_qs(location.query)["code"][0]


class Clock:
    """The gateway's monotonic clock (cache freshness, token schedules), moved by hand."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


async def sim_stats(gateway: Gateway, upstream: str) -> dict[str, Any]:
    async with gateway.http.get(gateway.simulators.urls[upstream] + "/__sim/stats") as response:
        stats: dict[str, Any] = await response.json()
        return stats


async def timed(gateway: Gateway, query: str) -> tuple[float, int, dict[str, Any]]:
    started = time.perf_counter()
    status, _, body = await post_raw(gateway, {"query": query})
    return time.perf_counter() - started, status, body


async def test_one_upstream_down_costs_only_its_own_fields(harden: Harden) -> None:
    gateway = await harden()
    await gateway.faults("xporter", error_rate=1.0, error_status=503)

    workforce = await gateway.post(WORKFORCE)
    _, status, body = await timed(gateway, SCHOOL_SIDE)

    assert "errors" not in workforce and workforce["data"]["teams"]
    assert status == 200
    systems = {school["system"] for school in body["data"]["schools"]}
    assert systems == {"TASS"}, "TASS answers; Xporter's schools are reported missing"
    assert set(codes(body)) == {"UPSTREAM_UNAVAILABLE"}
    assert {error["extensions"]["upstream"] for error in body["errors"]} == {"xporter"}


async def test_a_dead_upstream_opens_its_circuit_and_nothing_waits(harden: Harden) -> None:
    gateway = await harden(request_timeout=2.0)
    await gateway.faults("xporter", hang=True)

    waited: list[float] = []
    while len(waited) < 6:  # timeouts count as failures until the circuit opens
        elapsed, _, body = await timed(gateway, SCHOOL_SIDE)
        if elapsed < 1.0:
            break
        assert 1.9 < elapsed < 3.5, "no request waits past the deadline"
        assert set(codes(body)) == {"UPSTREAM_TIMEOUT"}
        waited.append(elapsed)
    await gateway.sim_requests()
    later = [await timed(gateway, SCHOOL_SIDE) for _ in range(5)]
    await gateway.faults("xporter", clear=True)

    assert 1 <= len(waited) <= 5
    assert all(elapsed < 1.0 for elapsed, _, _ in later), "the open circuit fails at once"
    assert all(set(codes(body)) == {"UPSTREAM_UNAVAILABLE"} for _, _, body in later)
    assert all(body["data"]["schools"] for _, _, body in later), "TASS still answers"
    assert (await gateway.sim_requests())["xporter"] == 0


async def test_a_dead_upstream_s_cached_data_is_served_stale(harden: Harden) -> None:
    clock = Clock()
    gateway = await harden(clock=clock)
    fresh = await gateway.post(SCHOOL_SIDE)
    await gateway.faults("xporter", error_rate=1.0, error_status=503)
    clock.offset += 900  # past every TTL, within SCHOOLGRAPH_CACHE_STALE_SECONDS

    answers = [await gateway.post(SCHOOL_SIDE) for _ in range(3)]

    for answer in answers:
        assert answer["data"] == fresh["data"]
        assert "errors" not in answer
        assert answer["extensions"]["stale"] == ["xporter"]


async def test_a_slow_upstream_is_bounded_by_the_request_deadline(harden: Harden) -> None:
    gateway = await harden(request_timeout=2.0)
    await gateway.post(WORKFORCE)  # Tanda's token and lists, before Xporter turns slow
    await gateway.faults("xporter", latency_ms=5000)

    elapsed, status, body = await timed(gateway, SCHOOLS)
    workforce_elapsed, _, workforce = await timed(gateway, WORKFORCE)
    await gateway.faults("xporter", clear=True)

    assert status == 200 and 1.9 < elapsed < 3.5
    assert set(codes(body)) == {"UPSTREAM_TIMEOUT"}
    assert {error["extensions"]["upstream"] for error in body["errors"]} == {"xporter"}
    assert body["data"]["schools"], "TASS answers in time"
    assert "errors" not in workforce and workforce_elapsed < 1.0


SLOW_XPORTER_MS = 3000
"""Xporter's latency in the tests below: its token and then a read outlast a deadline of five
seconds; one read alone does not."""


async def tass_total(gateway: Gateway, field: str) -> int:
    """``field``'s ``totalCount`` for the TASS school alone, every upstream healthy."""
    code = next(s.code for s in gateway.world.schools.values() if s.system == "tass")
    school = global_id("School", f"tass:{code}")
    data = await gateway.data(f'{{ {field}(schoolId: "{school}") {{ totalCount }} }}')
    total: int = data[field]["totalCount"]
    return total


@pytest.mark.parametrize("field", ["students", "groups"])
async def test_a_slow_upstream_costs_a_list_of_every_school_only_its_own_rows(
    harden: Harden, field: str
) -> None:
    gateway = await harden(request_timeout=5.0)
    await gateway.faults("xporter", latency_ms=SLOW_XPORTER_MS)

    query = f"{{ {field}(first: 500) {{ totalCount nodes {{ domainId }} }} }}"
    elapsed, status, body = await timed(gateway, query)
    await gateway.faults("xporter", clear=True)

    assert status == 200 and elapsed < 6.0, "bounded by the deadline"
    rows = body["data"][field]
    assert rows["totalCount"] == await tass_total(gateway, field) > 0, "TASS answers in time"
    assert all(row["domainId"].startswith("tass:") for row in rows["nodes"])
    assert set(codes(body)) == {"UPSTREAM_TIMEOUT"}
    assert {error["extensions"]["upstream"] for error in body["errors"]} == {"xporter"}


@pytest.mark.parametrize("field", ["students", "groups"])
async def test_a_list_of_every_school_does_not_wait_for_school_details(
    harden: Harden, field: str
) -> None:
    gateway = await harden(request_timeout=5.0)
    await gateway.post("{ staff(first: 1) { totalCount } }")  # Xporter's token, no school read
    await gateway.faults("xporter", latency_ms=SLOW_XPORTER_MS)

    elapsed, status, body = await timed(gateway, f"{{ {field}(first: 2) {{ totalCount }} }}")
    await gateway.faults("xporter", clear=True)

    assert status == 200 and "errors" not in body, body
    assert elapsed < 4.5, "one slow read, not the school's details and then its rows"
    assert body["data"][field]["totalCount"] > await tass_total(gateway, field)


@strawberry.type
class Stuck:
    @strawberry.field
    async def stuck(self, info: strawberry.Info[Context, None]) -> str:
        await asyncio.sleep(30)  # work that no upstream deadline bounds
        return "never"


async def test_work_past_the_deadline_is_stopped_with_a_coded_504(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    settings = Settings(demo_scale="small", rate_limit=0, request_timeout=0.3)
    app = create_app(settings, schema=build_schema(Stuck, mutation=None))
    gateway = Gateway(url=await serve(app), app=app, http=http)

    elapsed, status, body = await timed(gateway, "{ stuck }")
    healthy = await gateway.http.get(gateway.url / "healthz")

    assert status == 504 and codes(body) == ["REQUEST_TIMEOUT"]
    assert 1.2 < elapsed < 3.5, "the deadline plus its grace of one second"
    assert healthy.status == 200


async def test_a_tanda_rate_limit_storm_never_reaches_a_client_while_the_cache_answers(
    harden: Harden,
) -> None:
    clock = Clock()
    gateway = await harden(clock=clock)
    fresh = await gateway.post(EVERYTHING)
    await gateway.faults("tanda", rate_limit_per_minute=1)
    await gateway.sim_requests()

    within_ttl = await asyncio.gather(*(timed(gateway, EVERYTHING) for _ in range(20)))
    clock.offset += 900  # every entry stale now: each read asks Tanda, which says 429
    storm = await asyncio.gather(*(timed(gateway, EVERYTHING) for _ in range(20)))
    stats = await gateway.sim_requests()

    for elapsed, status, body in [*within_ttl, *storm]:
        assert status == 200 and "errors" not in body
        assert body["data"] == fresh["data"]
        assert elapsed < 10.0, "no request waits out the upstream's minute"
    assert all("extensions" not in body for _, _, body in within_ttl)
    assert any("tanda" in body.get("extensions", {}).get("stale", ()) for _, _, body in storm)
    assert stats["tanda"] >= 1, "Tanda was asked, and refused"


async def load_while_time_flies(
    gateway: Gateway,
    clock: Clock,
    *,
    min_ticks: int = 12,
    answers: int = 240,
    clients: int = 20,
    cap: float = 120.0,
) -> tuple[int, list[dict[str, Any]]]:
    """Query ``EVERYTHING`` from ``clients`` clients for ``seconds`` while, every half second,
    400 s pass for everyone: cached entries go stale (reads go upstream again), the gateway's
    tokens fall due, and the simulators expire every token they issued, so a token the
    gateway still holds may meet a 401. Runs until ``ticks`` ticks have passed and
    ``answers`` answers arrived (counts, not seconds, so a busy machine only makes it slower),
    within ``cap`` seconds. Returns the ticks and the failed answers."""
    cap_at = time.monotonic() + cap
    failed: list[dict[str, Any]] = []
    answered = ticks = 0

    def running() -> bool:
        done = ticks >= min_ticks and answered >= answers
        return not done and time.monotonic() < cap_at

    async def client() -> None:
        nonlocal answered
        while running():
            status, _, body = await post_raw(gateway, {"query": EVERYTHING})
            answered += 1
            if status != 200 or "errors" in body:
                failed.append(body)

    async def time_flies() -> None:
        nonlocal ticks
        while running():
            await asyncio.sleep(0.5)
            clock.offset += 400
            for upstream in UPSTREAMS:
                url = gateway.simulators.urls[upstream] + "/__sim/clock"
                async with gateway.http.post(url, json={"advance_seconds": 400}) as response:
                    assert response.status == 200
            ticks += 1

    await asyncio.gather(time_flies(), *(client() for _ in range(clients)))
    assert ticks >= min_ticks and answered >= answers, (ticks, answered)
    return ticks, failed


async def test_tokens_expiring_mid_load_fail_no_query(harden: Harden) -> None:
    clock = Clock()
    gateway = await harden(clock=clock)
    for upstream in UPSTREAMS:
        await gateway.faults(upstream, token_lifetime_seconds=300)

    ticks, failed = await load_while_time_flies(gateway, clock)
    stats = {upstream: await sim_stats(gateway, upstream) for upstream in UPSTREAMS}

    assert ticks >= 4 and failed == []
    assert all(stats[u]["total"] > ticks for u in UPSTREAMS), "every tick reached every upstream"
    # Tanda's password-grant token never expires (tanda.md §2.3); the others' did, held.
    assert stats["xporter"]["by_status"].get("401") and stats["tass"]["by_status"].get("401")


async def test_tanda_refresh_tokens_rotating_mid_load_fail_no_query(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    stack = await start_simulators(scale="small")
    try:
        described = stack.describe()["tanda"]
        code = await authorization_code(http, described)
        async with http.post(
            described["token_url"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                **described["oauth_client"],
            },
        ) as response:
            assert response.status == 200, await response.text()
            refresh_token = (await response.json())["refresh_token"]
        environ = environ_for(stack, "xporter", "tass") | {
            "SCHOOLGRAPH_TANDA_URL": described["base_url"],
            "SCHOOLGRAPH_TANDA_CLIENT_ID": described["oauth_client"]["client_id"],
            "SCHOOLGRAPH_TANDA_CLIENT_SECRET": described["oauth_client"]["client_secret"],
            "SCHOOLGRAPH_TANDA_REDIRECT_URI": described["oauth_client"]["redirect_uri"],
            "SCHOOLGRAPH_TANDA_REFRESH_TOKEN": refresh_token,
            "SCHOOLGRAPH_RATE_LIMIT": "0",
        }
        clock = Clock()
        app = create_app(load_settings(environ), clock=clock)
        gateway = SimulatedGateway(url=await serve(app), app=app, http=http, stack=stack)
        for upstream in UPSTREAMS:
            await gateway.faults(upstream, token_lifetime_seconds=300)

        ticks, failed = await load_while_time_flies(gateway, clock)
        tanda = await sim_stats(gateway, "tanda")
    finally:
        await stack.close()

    assert ticks >= 4 and failed == []
    refreshes = sum(r["count"] for r in tanda["routes"] if r["route"] == "/api/oauth/token")
    assert refreshes >= ticks - 1, "the access token was refreshed (and rotated) each tick"
