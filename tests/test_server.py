"""Graceful shutdown: in-flight requests finish within the timeout, then the app closes."""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from schoolgraph.app import create_app
from schoolgraph.config import Settings
from schoolgraph.server import serve_app


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

    assert "Gateway stopped; in-flight requests have finished." in caplog.messages


async def test_a_request_slower_than_the_shutdown_timeout_is_cut_off() -> None:
    started = asyncio.Event()
    url, stop, server = await start(app_with_slow_route(30, started), shutdown_timeout=0.2)

    async with aiohttp.ClientSession() as http:

        async def fetch_slow() -> int:
            async with http.get(url / "slow") as response:
                return response.status

        in_flight = asyncio.create_task(fetch_slow())
        await started.wait()
        began = time.monotonic()
        stop.set()
        await server

        assert time.monotonic() - began < 5
        with pytest.raises(aiohttp.ClientConnectionError):
            await in_flight


async def test_a_port_in_use_raises_oserror() -> None:
    url, stop, server = await start(create_app(Settings()), shutdown_timeout=1.0)
    try:
        with pytest.raises(OSError, match="address already in use"):
            await serve_app(
                create_app(Settings()),
                host="127.0.0.1",
                port=url.port or 0,
                shutdown_timeout=1.0,
                stop=asyncio.Event(),
            )
    finally:
        stop.set()
        await server
