"""Per-account rate limiting: a burst, then 429 with ``Retry-After``, a bucket per caller."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from schoolgraph.accounts import Grant
from schoolgraph.app import create_app
from schoolgraph.config import Mode, Settings
from schoolgraph.ratelimit import TokenBuckets
from tests.accounts.harness import FAST, start_harness
from tests.conftest import Serve
from tests.graph.conftest import Gateway
from tests.hardening.conftest import Harden, codes, post_raw

SERVICE = "{ service { name } }"


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate() -> None:
    clock = ManualClock()
    buckets = TokenBuckets(per_minute=60, burst=3, clock=clock)

    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == 1.0, "empty: one request a second refills it"
    assert buckets.take("b") == 0.0, "another key has its own bucket"
    clock.now += 0.5
    assert buckets.take("a") == 0.5
    clock.now += 0.5
    assert buckets.take("a") == 0.0
    clock.now += 3600
    assert [buckets.take("a") for _ in range(4)][-1] > 0, "refills to the burst, no further"


def test_forgotten_keys_come_back_with_a_full_bucket() -> None:
    buckets = TokenBuckets(per_minute=1, burst=1, max_keys=2, clock=ManualClock())

    buckets.take("a")
    buckets.take("b")
    buckets.take("c")  # "a" was the least recently used

    assert buckets.take("a") == 0.0
    assert buckets.take("c") > 0


async def test_past_its_burst_a_caller_gets_429_with_retry_after(harden: Harden) -> None:
    gateway = await harden(rate_limit=60, rate_limit_burst=3)

    answers = [await post_raw(gateway, {"query": SERVICE}) for _ in range(4)]
    health = await gateway.http.get(gateway.url / "healthz")

    assert [status for status, _, _ in answers] == [200, 200, 200, 429]
    _, headers, body = answers[-1]
    assert headers["Retry-After"] == "1"
    assert codes(body) == ["RATE_LIMITED"]
    assert body["errors"][0]["extensions"]["retryAfter"] == 1
    assert "x-request-id" in {name.lower() for name in headers}
    assert health.status == 200, "health probes are not counted"
    await asyncio.sleep(1.05)
    status, _, _ = await post_raw(gateway, {"query": SERVICE})
    assert status == 200, "after Retry-After seconds the caller is served again"


async def test_a_refused_request_costs_nothing_upstream(harden: Harden) -> None:
    gateway = await harden(rate_limit=1, rate_limit_burst=1)
    await gateway.post("{ schools { name } }")
    await gateway.sim_requests()

    status, headers, _ = await post_raw(gateway, {"query": "{ students { totalCount } }"})

    assert status == 429 and int(headers["Retry-After"]) > 50
    assert await gateway.sim_requests() == {"tanda": 0, "xporter": 0, "tass": 0}


async def test_the_key_function_is_swappable(serve: Serve, http: aiohttp.ClientSession) -> None:
    def by_header(request: web.Request) -> str:
        return request.headers.get("X-Client", "none")

    settings = Settings(demo_scale="small", rate_limit=60, rate_limit_burst=1)
    app = create_app(settings, rate_limit_key=by_header)
    gateway = Gateway(url=await serve(app), app=app, http=http)

    async def status(client: str) -> int:
        answer, _, _ = await post_raw(gateway, {"query": SERVICE}, headers={"X-Client": client})
        return answer

    assert [await status("a"), await status("a"), await status("b")] == [200, 429, 200]


async def test_accounts_have_a_bucket_each_whatever_their_address(
    serve: Serve, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    settings = Settings(mode=Mode.UPSTREAM, rate_limit=60, rate_limit_burst=2)
    harness = await start_harness(
        serve, http, settings, db=tmp_path / "accounts.sqlite3", cost=FAST
    )
    grants = [Grant("Service", read=True)]
    first = await harness.provision("First Partner", grants=grants)
    second = await harness.provision("Second Partner", grants=grants)

    async def status(headers: dict[str, str]) -> int:
        payload: dict[str, Any] = {"query": SERVICE}
        async with http.post(harness.url / "graphql", json=payload, headers=headers) as r:
            return r.status

    firsts = [await status(first.headers) for _ in range(3)]
    seconds = [await status(second.headers) for _ in range(3)]

    assert firsts == seconds == [200, 200, 429]
