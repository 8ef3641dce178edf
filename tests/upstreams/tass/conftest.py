"""A running TASS simulator and clients pointed at it, over loopback HTTP."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from schoolgraph.cache.store import UpstreamCache
from schoolgraph.simulators.control import WorldHolder
from schoolgraph.simulators.dataset import World, generate_world
from schoolgraph.simulators.tass import TassConfig as SimConfig
from schoolgraph.simulators.tass import create_tass_app
from schoolgraph.upstreams.http import RetryPolicy, TransportPolicy
from schoolgraph.upstreams.tass import (
    TassApiKey,
    TassClient,
    TassCompanyConfig,
    TassConfig,
    TassLegacyApp,
)
from tests.conftest import ManualClock

TODAY = date(2026, 11, 23)
PASSPHRASE = "correct horse battery staple"
Body = dict[str, Any]


@dataclass
class Sim:
    """One running TASS simulator and its `/__sim/` and `/sim/admin/` surfaces."""

    base: str
    holder: WorldHolder
    http: aiohttp.ClientSession
    offset: float = 0.0  # seconds the simulator clock was advanced

    @property
    def world(self) -> World:
        return self.holder.world

    def now(self) -> datetime:
        """The simulator's clock."""
        return datetime.fromtimestamp(datetime.now(UTC).timestamp() + self.offset, UTC)

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.http.request(method, f"{self.base}{path}", json=body) as response:
            data = await response.json(content_type=None) if response.status != 204 else None
            return response.status, data

    async def post(self, path: str, body: Body) -> Any:
        status, data = await self.request("POST", path, body)
        assert status in (200, 201), data
        return data

    async def stats(self, *, reset: bool = False) -> Body:
        suffix = "?reset=true" if reset else ""
        status, data = await self.request("GET", f"/__sim/stats{suffix}")
        assert status == 200
        result: Body = data
        return result

    async def calls(self, route: str, method: str = "GET") -> int:
        """Requests counted on the route template `route` since the last stats reset."""
        stats = await self.stats()
        return sum(
            r["count"] for r in stats["routes"] if r["method"] == method and r["route"] == route
        )

    async def advance(self, seconds: float) -> None:
        await self.post("/__sim/clock", {"advance_seconds": seconds})
        self.offset += seconds

    async def mutate(self, table: str, action: str, **body: Any) -> Body:
        result: Body = await self.post(
            "/__sim/mutate", {"table": table, "action": action, "school": "01", **body}
        )
        return result

    async def faults(self, **faults: Any) -> None:
        await self.post("/__sim/faults", faults)

    async def ensure_clock_after_world(self) -> None:
        """Move the simulator clock past the newest stamp of the world, so a change made now
        is newer than every existing row (the generated world's stamps may lie ahead)."""
        newest = max(
            s.updated_at
            for table in (self.world.students, self.world.staff, self.world.contacts)
            for s in table.values()
        )
        lag = (newest - self.now()).total_seconds()
        if lag >= 0:
            await self.advance(lag + 60)

    async def new_api_user(
        self, endpoints: list[Body] | None = None, companies: tuple[str, ...] = ("01",)
    ) -> tuple[str, TassApiKey]:
        """A new API user (`/sim/admin/`), its key revealed through the keyshare link. Without
        `endpoints` it may read every endpoint (all fields)."""
        if endpoints is None:
            status, listed = await self.request("GET", "/sim/admin/endpoints")
            assert status == 200
            endpoints = [{"endpoint": e["endpoint"], "read": True} for e in listed]
        body: Body = {
            "user_name": "Restricted Vendor",
            "enabled": True,
            "contact_name": "Pat Vendor",
            "contact_email": "pat@vendor.example",
            "purpose": "tests",
            "companies": list(companies),
            "endpoints": endpoints,
        }
        user = await self.post("/sim/admin/api-users", body)
        code = user["user_code"]
        key = await self.post(
            f"/sim/admin/api-users/{code}/key",
            {"passphrase": PASSPHRASE, "link_expiry_hours": 6},
        )
        revealed = await self.post(f"/sim/keyshare/{key['link_id']}", {"passphrase": PASSPHRASE})
        return code, TassApiKey(revealed["clientKey"], revealed["clientSecret"])

    def demo_key(self) -> TassApiKey:
        creds = self.world.credentials
        return TassApiKey(creds.tass_client_key, creds.tass_client_secret)

    def demo_app(self) -> TassLegacyApp:
        creds = self.world.credentials
        return TassLegacyApp(creds.tass_legacy_appcode, creds.tass_legacy_token_key)

    def config(self, api: str = "2026", **changes: Any) -> TassConfig:
        config = TassConfig(
            base_url=self.base,
            companies={"01": TassCompanyConfig(api=api)},  # type: ignore[arg-type]
            api_key=self.demo_key(),
            legacy_app=self.demo_app(),
            auth_failure_backoff=0.0,
            transport=TransportPolicy(retry=RetryPolicy(attempts=3, base_delay=0.01)),
        )
        return dataclasses.replace(config, **changes)


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
def sim_config() -> SimConfig:
    """The simulator's switches for DOC-SILENT behaviour; parametrize `sim_config` to change."""
    return SimConfig()


@pytest.fixture
async def sim(world: World, sim_config: SimConfig) -> AsyncIterator[Sim]:
    holder = WorldHolder(world)
    app = create_tass_app(holder, config=sim_config)
    async with serve(app) as base, aiohttp.ClientSession() as http:
        yield Sim(base, holder, http)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


MakeClient = Callable[..., Awaitable[TassClient]]


@pytest.fixture
async def make_client(sim: Sim, clock: ManualClock) -> AsyncIterator[MakeClient]:
    """`await make_client(api="2026"|"legacy", **config_changes)`: a started client with its
    own cache on the test's `clock`; pass `config=` for a whole config or `cache=` to share."""
    clients: list[TassClient] = []

    async def make(
        api: str = "2026",
        *,
        cache: UpstreamCache | None = None,
        config: TassConfig | None = None,
        **changes: Any,
    ) -> TassClient:
        client = TassClient(
            config or sim.config(api, **changes),
            cache=cache if cache is not None else UpstreamCache(clock=clock),
            clock=clock,
        )
        await client.start()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def client(make_client: MakeClient) -> TassClient:
    return await make_client()


@pytest.fixture
async def legacy(make_client: MakeClient) -> TassClient:
    return await make_client("legacy")
