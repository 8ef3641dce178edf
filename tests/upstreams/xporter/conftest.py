"""A running Xporter simulator and clients pointed at it, over loopback HTTP."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from schoolgraph.cache.store import UpstreamCache
from schoolgraph.simulators.control import WorldHolder
from schoolgraph.simulators.dataset import World, generate_world
from schoolgraph.simulators.xporter import XPORTER_STATE, Authorisation, create_xporter_app
from schoolgraph.upstreams.xporter import XporterClient, XporterConfig, XporterSchool
from tests.conftest import ManualClock

TODAY = date(2026, 11, 23)
NARROW_RP = "narrow.example"
NARROW_SECRET = "narrow-school-secret-7f3a"
STAFF_LITE_RP = "staff-lite.example"
STAFF_LITE_SECRET = "staff-lite-school-secret-91c4"
Body = dict[str, Any]


@dataclass
class Sim:
    """One running Xporter simulator, and its `/__sim/` control plane."""

    base: str
    holder: WorldHolder
    http: aiohttp.ClientSession
    app: web.Application

    @property
    def world(self) -> World:
        return self.holder.world

    def forget_change_sets(self) -> None:
        """Drop every change-set snapshot, as an upstream does when its tokens expire."""
        self.app[XPORTER_STATE].changesets.clear()

    def estab(self, school: int = 0) -> str:
        return self.world.credentials.xporter_schools[school].estab

    def school_id(self, school: int = 0) -> int:
        """The world's id of the school with `estab(school)`."""
        found = self.world.school_by_code(self.estab(school))
        assert found is not None
        return found.id

    def secret(self, school: int = 0) -> str:
        return self.world.credentials.xporter_schools[school].school_secret

    def config(self, **changes: Any) -> XporterConfig:
        creds = self.world.credentials
        config = XporterConfig(
            base_url=self.base,
            relying_party=creds.xporter_relying_party,
            schools=tuple(XporterSchool(s.estab, s.school_secret) for s in creds.xporter_schools),
            auth_failure_backoff=0.0,
        )
        return dataclasses.replace(config, **changes)

    async def post(self, path: str, body: Body) -> Body:
        async with self.http.post(f"{self.base}{path}", json=body) as response:
            assert response.status == 200, await response.text()
            result: Body = await response.json()
            return result

    async def stats(self, *, reset: bool = False) -> Body:
        suffix = "?reset=true" if reset else ""
        async with self.http.get(f"{self.base}/__sim/stats{suffix}") as response:
            result: Body = await response.json()
            return result

    async def calls(self, route_suffix: str, method: str = "GET") -> int:
        """Requests counted on routes ending with `route_suffix` since the last reset."""
        stats = await self.stats()
        return sum(
            r["count"]
            for r in stats["routes"]
            if r["method"] == method and r["route"].endswith(route_suffix)
        )

    async def sts_calls(self) -> int:
        return await self.calls("/STS/GetToken", method="POST")

    async def mutate(self, table: str, action: str, **body: Any) -> Body:
        return await self.post("/__sim/mutate", {"table": table, "action": action, **body})

    async def faults(self, **faults: Any) -> Body:
        return await self.post("/__sim/faults", faults)


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serve `app` on 127.0.0.1 at a free port and yield its base URL."""
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
def world() -> World:
    return generate_world(7, "small", TODAY)


@pytest.fixture
async def sim(world: World) -> AsyncIterator[Sim]:
    holder = WorldHolder(world)
    narrow = Authorisation(
        NARROW_RP,
        world.credentials.xporter_schools[0].estab,
        NARROW_SECRET,
        frozenset({"StudentLite"}),
    )
    staff_lite = Authorisation(  # names and work contacts of staff, nothing more
        STAFF_LITE_RP,
        world.credentials.xporter_schools[0].estab,
        STAFF_LITE_SECRET,
        frozenset({"StaffLite"}),
    )
    app = create_xporter_app(holder, extra_authorisations=[narrow, staff_lite])
    async with serve(app) as base, aiohttp.ClientSession() as http:
        yield Sim(base, holder, http, app)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


MakeClient = Callable[..., Awaitable[XporterClient]]


@pytest.fixture
async def make_client(sim: Sim, clock: ManualClock) -> AsyncIterator[MakeClient]:
    """`await make_client(**config_changes)`: a started client with its own cache.

    The cache runs on the test's `clock`, so `clock.advance(...)` expires entries; pass
    `cache=` to share one.
    """
    clients: list[XporterClient] = []

    async def make(*, cache: UpstreamCache | None = None, **changes: Any) -> XporterClient:
        client = XporterClient(
            sim.config(**changes), cache=cache if cache is not None else UpstreamCache(clock=clock)
        )
        await client.start()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def client(make_client: MakeClient) -> XporterClient:
    return await make_client()
