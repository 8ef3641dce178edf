"""A gateway without upstreams whose accounts' clock the test moves, an admin, a partner, and
a browser-like client for ``/admin``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from schoolgraph.accounts import Grant
from schoolgraph.config import Mode, Settings
from tests.accounts.harness import FAST, ApiUser, Harness, WallClock, start_harness
from tests.conftest import Serve
from tests.dashboard.site import Dashboard


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def dashboard_settings() -> Settings:
    # No rate limit: the paging test sends 62 requests at once from one account, more than
    # the default burst; limits are tested in tests/hardening.
    return Settings(mode=Mode.UPSTREAM, rate_limit=0)


@pytest.fixture
async def harness(
    serve: Serve,
    http: aiohttp.ClientSession,
    dashboard_settings: Settings,
    clock: WallClock,
    tmp_path: Path,
) -> Harness:
    return await start_harness(
        serve, http, dashboard_settings, clock=clock, db=tmp_path / "accounts.sqlite3", cost=FAST
    )


@pytest.fixture
async def admin(harness: Harness) -> ApiUser:
    return await harness.provision("School Office", admin=True)


@pytest.fixture
async def partner(harness: Harness) -> ApiUser:
    return await harness.provision("Acme Timetables", grants=[Grant("Service", read=True)])


@pytest.fixture
async def dashboard(harness: Harness) -> AsyncIterator[Dashboard]:
    # unsafe=True: keep cookies of an IP host (127.0.0.1), as a browser does.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        yield Dashboard(harness, browser)
