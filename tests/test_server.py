"""Graceful shutdown: in-flight requests finish within the timeout or are answered 503 at it,
then the app closes; and binding comes before the app starts."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from schoolgraph.app import create_app
from schoolgraph.config import Settings, load_settings
from schoolgraph.server import serve_app
from schoolgraph.simulators.stack import start_simulators
from tests.hardening.conftest import codes
from tests.simulated_upstreams import environ_for


async def start(
    app: web.Application, shutdown_timeout: float
) -> tuple[URL, asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    listening: asyncio.Future[URL] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve_app(
            app,
            host="127.0.0.1",
            port=0,
            shutdown_timeout=shutdown_timeout,
            stop=stop,
            on_listening=listening.set_result,
        )
    )
    return await listening, stop, task


def app_with_slow_route(seconds: float, started: asyncio.Event) -> web.Application:
    async def slow(request: web.Request) -> web.Response:
        started.set()
        await asyncio.sleep(seconds)
        return web.json_response({"slept": seconds})

    app = create_app(Settings())
    app.router.add_get("/slow", slow)
    return app


async def test_a_request_in_flight_at_stop_still_gets_its_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="schoolgraph.app")
    started = asyncio.Event()
    url, stop, server = await start(app_with_slow_route(0.3, started), shutdown_timeout=5.0)

    async with aiohttp.ClientSession() as http:

        async def fetch_slow() -> tuple[int, object]:
            async with http.get(url / "slow") as response:
                return response.status, await response.json()

        in_flight = asyncio.create_task(fetch_slow())
        await started.wait()
        stop.set()

        assert await in_flight == (200, {"slept": 0.3})
        await server
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(url / "healthz")

    assert "Gateway stopped." in caplog.messages


async def test_a_request_still_running_at_the_shutdown_timeout_is_answered_503_then() -> None:
    started = asyncio.Event()
    url, stop, server = await start(app_with_slow_route(30, started), shutdown_timeout=1.0)

    async with aiohttp.ClientSession() as http:

        async def fetch_slow() -> tuple[int, object, float]:
            async with http.get(url / "slow") as response:
                return response.status, await response.json(), time.monotonic()

        in_flight = asyncio.create_task(fetch_slow())
        await started.wait()
        began = time.monotonic()
        stop.set()
        status, body, answered = await in_flight
        await server
        stopped = time.monotonic()

    assert status == 503
    assert body == {
        "errors": [
            {
                "message": "The server is shutting down and stopped this request after its "
                "shutdown timeout of 1 seconds; send it again.",
                "extensions": {"code": "SHUTTING_DOWN"},
            }
        ]
    }
    assert 0.9 < answered - began < 1.5, "cut at the timeout, not twice it"
    assert stopped - answered < 0.5, "and the server stops at once"


async def test_a_request_on_a_hung_upstream_gets_the_shutdown_timeout_in_all(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The operator's case: a real gateway over a hung Tanda, a long request timeout."""
    caplog.set_level(logging.DEBUG)
    stack = await start_simulators(scale="small")
    try:
        environ = environ_for(stack, "tanda") | {"SCHOOLGRAPH_REQUEST_TIMEOUT": "60"}
        url, stop, server = await start(create_app(load_settings(environ)), shutdown_timeout=1.0)
        async with aiohttp.ClientSession() as http:
            async with http.post(url / "graphql", json={"query": "{ locations { name } }"}) as r:
                assert r.status == 200, "signed in to Tanda before it hangs"
            faults = f"{stack.urls['tanda']}/__sim/faults"
            async with http.post(faults, json={"hang": True}) as r:
                assert r.status == 200

            async def teams() -> tuple[int, object]:
                async with http.post(url / "graphql", json={"query": "{ teams { name } }"}) as r:
                    return r.status, await r.json()

            in_flight = asyncio.create_task(teams())
            await asyncio.sleep(0.5)  # waiting on Tanda
            began = time.monotonic()
            stop.set()
            status, body = await in_flight
            answered = time.monotonic()
            await server
            stopped = time.monotonic()
            async with http.post(faults, json={"clear": True}) as r:
                assert r.status == 200
    finally:
        await stack.close()
    await asyncio.sleep(0.2)  # what the gateway left running, if anything, ends
    gc.collect()  # asyncio reports an unretrieved exception when the task is collected

    assert status == 503 and codes(body) == ["SHUTTING_DOWN"]
    assert 0.9 < answered - began < 1.5
    assert stopped - answered < 1.0
    assert [r.getMessage()[:18] for r in caplog.records if r.name == "schoolgraph.access"] == [
        "POST /graphql 200 ",
        "POST /graphql 503 ",
    ], "the access log says what the client got"
    last = (
        "Stopped 1 request still running after the shutdown timeout of 1 seconds (answered "
        "503 SHUTTING_DOWN)."
    )
    gateway = [r for r in caplog.records if r.name.startswith(("schoolgraph", "asyncio"))]
    assert gateway[-1].getMessage() == last, "the closing line says what was cut short"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [last]


async def test_an_address_in_use_raises_oserror_before_the_app_starts() -> None:
    url, stop, server = await start(create_app(Settings()), shutdown_timeout=1.0)
    started: list[str] = []

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        started.append("started")
        yield

    second = web.Application()
    second.cleanup_ctx.append(lifecycle)
    try:
        with pytest.raises(OSError, match="address already in use"):
            await serve_app(
                second,
                host="127.0.0.1",
                port=url.port or 0,
                shutdown_timeout=1.0,
                stop=asyncio.Event(),
            )
    finally:
        stop.set()
        await server

    assert started == [], "nothing started, so nothing logs that it did"
