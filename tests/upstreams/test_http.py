"""The shared transport policy against a real loopback server that misbehaves on request."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from schoolgraph.errors import (
    UpstreamAuthError,
    UpstreamRateLimitedError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)
from schoolgraph.upstreams.http import (
    CallLog,
    RateLimiter,
    RetryPolicy,
    Transport,
    TransportPolicy,
    current_call_log,
    set_deadline,
)


@dataclass
class Script:
    """What the fake upstream answers next, and what it saw."""

    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    seen: list[str] = field(default_factory=list)
    auth_seen: list[str] = field(default_factory=list)
    valid_token: str = "t1"
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # set by each request


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[str, Script]]:
    script = Script()

    async def handler(request: web.Request) -> web.Response:
        script.seen.append(request.path)
        script.arrived.set()
        script.auth_seen.append(request.headers.get("Authorization", ""))
        if script.delay:
            await asyncio.sleep(script.delay)
        if request.path == "/secure":
            if request.headers.get("Authorization") != f"Bearer {script.valid_token}":
                return web.json_response({"error": "bad token"}, status=401)
            return web.json_response({"ok": True})
        status = script.statuses.pop(0) if script.statuses else 200
        headers = {}
        if status == 429:
            headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 1)}
        return web.json_response({"status": status}, status=status, headers=headers)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}", script
    await runner.cleanup()


def _policy(**kw: object) -> TransportPolicy:
    base = {
        "retry": RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.01),
        "breaker_failures": 3,
        "breaker_reset": 0.2,
        "read_timeout": 2.0,
    }
    base.update(kw)
    return TransportPolicy(**base)  # type: ignore[arg-type]


@pytest.fixture
async def transport(upstream: tuple[str, Script]) -> AsyncIterator[Transport]:
    t = Transport("fake", upstream[0], policy=_policy())
    await t.start()
    yield t
    await t.close()


async def test_503_is_retried_then_succeeds(
    transport: Transport, upstream: tuple[str, Script]
) -> None:
    _, script = upstream
    script.statuses = [503, 503]
    log = CallLog()
    token = current_call_log.set(log)
    try:
        response = await transport.request("GET", "/x", route="/x")
    finally:
        current_call_log.reset(token)
    assert response.status == 200
    assert [c.status for c in log.calls] == [503, 503, 200]
    assert [c.attempt for c in log.calls] == [1, 2, 3]


async def test_post_is_not_retried_on_503(
    transport: Transport, upstream: tuple[str, Script]
) -> None:
    _, script = upstream
    script.statuses = [503, 200]
    with pytest.raises(UpstreamUnavailableError) as info:
        await transport.request("POST", "/x", route="/x", json={})
    assert info.value.upstream == "fake"
    assert len(script.seen) == 1


async def test_circuit_opens_fails_fast_and_recovers(
    transport: Transport, upstream: tuple[str, Script]
) -> None:
    _, script = upstream
    script.statuses = [503] * 3
    with pytest.raises(UpstreamUnavailableError):
        await transport.request("GET", "/x", route="/x")
    assert transport.breaker.state == "open"
    calls = len(script.seen)
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailableError, match="paused"):
        await transport.request("GET", "/x", route="/x")
    assert len(script.seen) == calls  # nothing reached the upstream
    assert time.monotonic() - started < 0.05
    await asyncio.sleep(0.25)
    response = await transport.request("GET", "/x", route="/x")  # the half-open probe
    state: str = transport.breaker.state  # re-read: the probe changed it
    assert response.status == 200
    assert state == "closed"


async def _open_then_half_open(transport: Transport, script: Script) -> None:
    script.statuses = [503] * 3
    with pytest.raises(UpstreamUnavailableError):
        await transport.request("GET", "/x", route="/x")
    assert transport.breaker.state == "open"
    await asyncio.sleep(0.25)  # past breaker_reset: the next request is the probe


async def test_a_probe_met_by_a_429_waits_it_out_and_closes_the_circuit(
    transport: Transport, upstream: tuple[str, Script]
) -> None:
    _, script = upstream
    await _open_then_half_open(transport, script)
    script.statuses = [429]  # the upstream is back, and busy
    response = await transport.request("GET", "/x", route="/x")
    assert response.status == 200
    assert transport.breaker.state == "closed"


async def test_a_probe_cancelled_before_its_answer_lets_the_next_request_probe(
    transport: Transport, upstream: tuple[str, Script]
) -> None:
    _, script = upstream
    await _open_then_half_open(transport, script)
    script.delay = 1.0
    script.arrived.clear()
    probe = asyncio.ensure_future(transport.request("POST", "/x", route="/x", json={}))
    await asyncio.wait_for(script.arrived.wait(), 2)  # the probe reached the upstream
    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe
    script.delay = 0.0
    response = await transport.request("GET", "/x", route="/x")  # not held by the lost probe
    assert response.status == 200
    assert transport.breaker.state == "closed"


async def test_deadline_bounds_a_slow_upstream(
    transport: Transport, upstream: tuple[str, Script]
) -> None:
    _, script = upstream
    script.delay = 1.0
    token = set_deadline(0.2)
    started = time.monotonic()
    try:
        with pytest.raises(UpstreamTimeoutError):
            await transport.request("GET", "/slow", route="/slow")
    finally:
        from schoolgraph.upstreams import http

        http._current_deadline.reset(token)
    assert time.monotonic() - started < 0.5


async def test_concurrent_identical_gets_share_one_request(
    transport: Transport, upstream: tuple[str, Script]
) -> None:
    _, script = upstream
    script.delay = 0.05
    results = await asyncio.gather(
        *(transport.request("GET", "/same", route="/same") for _ in range(20))
    )
    assert {r.status for r in results} == {200}
    assert script.seen.count("/same") == 1


async def test_429_waits_for_the_reset_instead_of_failing(
    transport: Transport, upstream: tuple[str, Script]
) -> None:
    _, script = upstream
    script.statuses = [429]
    response = await transport.request("GET", "/x", route="/x")
    assert response.status == 200
    assert len(script.seen) == 2


async def test_429_beyond_the_deadline_is_a_coded_error(
    transport: Transport, upstream: tuple[str, Script]
) -> None:
    _, script = upstream
    script.statuses = [429]
    token = set_deadline(0.1)
    try:
        with pytest.raises(UpstreamRateLimitedError) as info:
            await transport.request("GET", "/x", route="/x")
    finally:
        from schoolgraph.upstreams import http

        http._current_deadline.reset(token)
    assert info.value.to_extensions()["code"] == "UPSTREAM_RATE_LIMITED"


class _Tokens:
    def __init__(self) -> None:
        self.issued = 0

    async def headers(self, *, force_refresh: bool = False) -> dict[str, str]:
        if force_refresh or self.issued == 0:
            self.issued += 1
        return {"Authorization": f"Bearer t{self.issued}"}


async def test_401_reauthenticates_exactly_once(
    transport: Transport, upstream: tuple[str, Script]
) -> None:
    _, script = upstream
    auth = _Tokens()
    script.valid_token = "t2"
    response = await transport.request("GET", "/secure", route="/secure", auth=auth)
    assert response.status == 200
    assert script.auth_seen == ["Bearer t1", "Bearer t2"]
    script.valid_token = "never"
    script.auth_seen.clear()
    with pytest.raises(UpstreamAuthError) as info:
        await transport.request("GET", "/secure", route="/secure", auth=auth)
    assert len(script.auth_seen) == 2  # one retry, not a loop
    assert "Bearer" not in str(info.value)


async def test_connection_refused_is_unavailable_and_names_no_url() -> None:
    transport = Transport("fake", "http://127.0.0.1:9", policy=_policy())
    await transport.start()
    try:
        with pytest.raises(UpstreamUnavailableError) as info:
            await transport.request("GET", "/x", route="/x", params={"token": "sekrit"})
    finally:
        await transport.close()
    assert "sekrit" not in str(info.value)


async def test_rate_limiter_queues_instead_of_failing() -> None:
    limiter = RateLimiter(5, period=0.3)
    started = time.monotonic()
    waits = await asyncio.gather(*(limiter.acquire("u") for _ in range(10)))
    elapsed = time.monotonic() - started
    assert sum(1 for w in waits if w < 0.05) == 5
    assert 0.28 <= elapsed < 1.0


async def test_client_errors_map_once(transport: Transport, upstream: tuple[str, Script]) -> None:
    _, script = upstream
    script.statuses = [403]
    with pytest.raises(UpstreamAuthError):
        await transport.request("GET", "/x", route="/x")
    script.statuses = [404]
    response = await transport.request("GET", "/x", route="/x", ok_statuses=frozenset({404}))
    assert response.status == 404


async def test_a_shared_get_its_caller_gave_up_on_fails_later_without_an_error_log(
    transport: Transport, upstream: tuple[str, Script], caplog: pytest.LogCaptureFixture
) -> None:
    """The caller's own wait ends first (a cancelled request); the shared send then meets its
    deadline: a handled upstream timeout, which asyncio must not report as never retrieved."""
    _, script = upstream
    script.delay = 1.0
    caplog.set_level(logging.DEBUG)
    request = transport.request("GET", "/slow", route="/slow", deadline_at=time.monotonic() + 0.2)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(request, 0.05)
    await asyncio.sleep(0.4)  # the shared send meets its deadline
    gc.collect()  # asyncio reports an unretrieved exception when the task is collected

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
