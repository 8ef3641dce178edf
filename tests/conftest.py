"""Fixtures shared by the whole suite: apps served on loopback, and a client to talk to them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from schoolgraph.app import create_app
from schoolgraph.config import Settings
from schoolgraph.server import serve_app

Serve = Callable[[web.Application], Awaitable[URL]]


class ManualClock:
    """Monotonic seconds that move only when a test says so (cache freshness, token expiry,
    full refreshes): pass it as a gateway's or a client's ``clock``."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def start_serving(app: web.Application) -> tuple[URL, asyncio.Event, asyncio.Task[None]]:
    """Serve ``app`` on ``127.0.0.1:0`` the way ``schoolgraph serve`` does: its base URL, and
    the event to set and the task to await to shut it down gracefully."""
    stop = asyncio.Event()
    listening: asyncio.Future[URL] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve_app(
            app,
            host="127.0.0.1",
            port=0,
            shutdown_timeout=5.0,
            stop=stop,
            on_listening=listening.set_result,
        )
    )
    first: list[asyncio.Future[Any]] = [listening, task]
    await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
    if not listening.done():
        await task  # raises why the app could not be served
    return listening.result(), stop, task


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """``await serve(app)`` serves ``app`` on ``127.0.0.1:0`` the way ``schoolgraph serve``
    does, and returns its base URL; every app is shut down gracefully after the test."""
    stops: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    async def start(app: web.Application) -> URL:
        url, stop, task = await start_serving(app)
        stops.append((stop, task))
        return url

    yield start
    for stop, task in reversed(stops):
        stop.set()
        await task


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
async def gateway_url(serve: Serve, settings: Settings) -> URL:
    """The base URL of a gateway built from ``settings`` and served on loopback."""
    return await serve(create_app(settings))


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
