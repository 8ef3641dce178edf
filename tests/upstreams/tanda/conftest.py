"""Fixtures for the Tanda connector tests: the simulator on loopback, and clients for it.

The world is generated around the real current date and the simulator's clock is left at
real time, so "current" rosters and timesheets exist and the `X-RateLimit-Reset` header (unix
time) means the same to the client as to the simulator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web

from schoolgraph.cache.store import UpstreamCache
from schoolgraph.simulators.control import SimControl, WorldHolder
from schoolgraph.simulators.dataset import TandaUser, World, generate_world
from schoolgraph.simulators.tanda import create_tanda_app, error_response, user_password
from schoolgraph.simulators.tanda.state import STATE, TandaState
from schoolgraph.upstreams.http import RateLimiter
from schoolgraph.upstreams.tanda import (
    AuthorizationCodeGrant,
    Grant,
    PasswordGrant,
    RefreshTokenStore,
    TandaClient,
    TandaConfig,
)
from tests.conftest import ManualClock

ALL_SCOPES = ("me", "user", "department", "roster", "timesheet", "leave", "cost")


@dataclass
class Sim:
    """A running Tanda simulator and its control plane."""

    base_url: str
    world: World
    control: SimControl
    state: TandaState
    http: aiohttp.ClientSession

    async def stats(self, *, reset: bool = False) -> dict[str, Any]:
        query = "?reset=true" if reset else ""
        async with self.http.get(f"{self.base_url}/__sim/stats{query}") as r:
            body: dict[str, Any] = await r.json()
            return body

    async def faults(self, **faults: Any) -> None:
        async with self.http.post(f"{self.base_url}/__sim/faults", json=faults) as r:
            assert r.status == 200, await r.text()

    async def clock(self, **body: Any) -> None:
        async with self.http.post(f"{self.base_url}/__sim/clock", json=body) as r:
            assert r.status == 200, await r.text()

    async def mutate(self, **body: Any) -> list[int]:
        async with self.http.post(f"{self.base_url}/__sim/mutate", json=body) as r:
            assert r.status == 200, await r.text()
            ids: list[int] = (await r.json())["ids"]
            return ids

    def admin(self) -> PasswordGrant:
        c = self.world.credentials
        return PasswordGrant(c.tanda_admin_email, c.tanda_admin_password)

    def login(self, user: TandaUser) -> PasswordGrant:
        assert user.email is not None
        return PasswordGrant(user.email, user_password(self.world, user))

    def employee(self) -> TandaUser:
        return next(
            u
            for _, u in sorted(self.world.tanda_users.items())
            if u.active and u.email and not u.managed_department_ids and not u.is_admin
        )

    async def authorization_code(self, scope: str = " ".join(ALL_SCOPES)) -> str:
        """Walk the browser step of §2.1 as the admin and return the code."""
        c = self.world.credentials
        form = {
            "client_id": c.tanda_client_id,
            "redirect_uri": c.tanda_redirect_uri,
            "scope": scope,
            "response_type": "code",
            "email": c.tanda_admin_email,
            "password": c.tanda_admin_password,
            "decision": "allow",
        }
        async with self.http.post(
            f"{self.base_url}/api/oauth/authorize", data=form, allow_redirects=False
        ) as r:
            assert r.status == 302, await r.text()
            location = urlsplit(r.headers["Location"])
        return parse_qs(location.query)["code"][0]

    def code_grant(self, code: str | None = None, refresh: str | None = None) -> Grant:
        c = self.world.credentials
        return AuthorizationCodeGrant(
            c.tanda_client_id,
            c.tanda_client_secret,
            c.tanda_redirect_uri,
            code=code,
            refresh_token=refresh,
            user_key=c.tanda_admin_email,
        )


def route_count(stats: dict[str, Any], method: str, route: str) -> int:
    return sum(r["count"] for r in stats["routes"] if r["method"] == method and r["route"] == route)


def route_errors(stats: dict[str, Any], method: str, route: str) -> int:
    return sum(
        r["errors"] for r in stats["routes"] if r["method"] == method and r["route"] == route
    )


def route_304s(stats: dict[str, Any], method: str, route: str) -> int:
    return sum(
        r["not_modified"] for r in stats["routes"] if r["method"] == method and r["route"] == route
    )


def today() -> date:
    return datetime.now(UTC).date()


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    world = generate_world(7, "small", today())
    holder = WorldHolder(world)
    control = SimControl("tanda", holder, error_response=error_response)
    app = create_tanda_app(holder, control=control)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with aiohttp.ClientSession() as http:
            yield Sim(f"http://{host}:{port}", holder.world, control, app[STATE], http)
    finally:
        await runner.cleanup()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@dataclass
class Clients:
    """Makes started clients for the simulator; closes them after the test."""

    sim: Sim
    clock: ManualClock
    made: list[TandaClient] = field(default_factory=list)

    def config(self, grant: Grant | None = None, **overrides: Any) -> TandaConfig:
        return TandaConfig(
            base_url=self.sim.base_url,
            grant=grant or self.sim.admin(),
            scopes=ALL_SCOPES,
            **overrides,
        )

    async def __call__(
        self,
        grant: Grant | None = None,
        *,
        cache: UpstreamCache | None = None,
        limiter: RateLimiter | None = None,
        refresh_store: RefreshTokenStore | None = None,
        **overrides: Any,
    ) -> TandaClient:
        client = TandaClient(
            self.config(grant, **overrides),
            cache=cache if cache is not None else UpstreamCache(clock=self.clock),
            limiter=limiter,
            refresh_store=refresh_store,
            clock=self.clock,
        )
        await client.start()
        self.made.append(client)
        return client


@pytest.fixture
async def clients(sim: Sim, clock: ManualClock) -> AsyncIterator[Clients]:
    made = Clients(sim, clock)
    yield made
    for client in made.made:
        await client.close()
