"""Fixtures shared by the simulator contract tests: a small world and a loopback server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date

import pytest
from aiohttp import web

from schoolgraph.simulators.control import WorldHolder
from schoolgraph.simulators.dataset import World, generate_world

TODAY = date(2026, 11, 23)


@pytest.fixture
def small_world() -> World:
    return generate_world(7, "small", TODAY)


@pytest.fixture
def holder(small_world: World) -> WorldHolder:
    return WorldHolder(small_world)


ServeApp = Callable[[web.Application], AbstractAsyncContextManager[str]]


@asynccontextmanager
async def _serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
def serve_app() -> ServeApp:
    """`async with serve_app(app) as base_url:` serves `app` on 127.0.0.1 at a free port."""
    return _serve
