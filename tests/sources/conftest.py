"""The three simulators on loopback, real connector clients for them, and a Directory on top."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiohttp
import pytest

from schoolgraph.simulators.dataset import World
from schoolgraph.simulators.stack import SimulatorStack, start_simulators
from schoolgraph.sources import Directory
from schoolgraph.upstreams.http import RetryPolicy, TransportPolicy
from schoolgraph.upstreams.tanda import PasswordGrant, TandaClient, TandaConfig
from schoolgraph.upstreams.tass import (
    TassApiKey,
    TassClient,
    TassCompanyConfig,
    TassConfig,
    TassLegacyApp,
)
from schoolgraph.upstreams.xporter import XporterClient, XporterConfig, XporterSchool

TODAY = date(2026, 11, 23)
TASS_COMPANY = "01"  # the world's TASS school; "02" is an empty company of the same database
FAST = TransportPolicy(retry=RetryPolicy(attempts=2, base_delay=0.01))


@dataclass
class Sims:
    """The running simulators, the clients pointed at them, and their world."""

    stack: SimulatorStack
    http: aiohttp.ClientSession
    tanda: TandaClient
    xporter: XporterClient
    tass: TassClient

    @property
    def world(self) -> World:
        return self.stack.world

    def directory(self, **kwargs: Any) -> Directory:
        return Directory(self.tanda, self.xporter, self.tass, today=lambda: TODAY, **kwargs)

    async def faults(self, upstream: str, **faults: Any) -> None:
        url = f"{self.stack.urls[upstream]}/__sim/faults"
        async with self.http.post(url, json=faults) as response:
            assert response.status == 200, await response.text()

    async def stats(self, upstream: str) -> dict[str, Any]:
        async with self.http.get(f"{self.stack.urls[upstream]}/__sim/stats") as response:
            body: dict[str, Any] = await response.json()
            return body


def clients_for(
    description: dict[str, Any], *, tass_api: str = "2026"
) -> tuple[TandaClient, XporterClient, TassClient]:
    """Connector clients built from `SimulatorStack.describe()`, as an operator would; the
    TASS company is read through the 2026 API or the legacy one (`tass_api`)."""
    tanda = description["tanda"]
    xporter = description["xporter"]
    tass = description["tass"]
    return (
        TandaClient(
            TandaConfig(
                base_url=tanda["url"],
                grant=PasswordGrant(tanda["admin"]["email"], tanda["admin"]["password"]),
                transport=FAST,
            )
        ),
        XporterClient(
            XporterConfig(
                base_url=xporter["url"],
                relying_party=xporter["relying_party"],
                token_url=xporter["token_url"],
                schools=tuple(XporterSchool(s["estab"], s["secret"]) for s in xporter["schools"]),
                auth_failure_backoff=0.0,
                transport=FAST,
            )
        ),
        TassClient(
            TassConfig(
                base_url=tass["url"],
                companies={TASS_COMPANY: TassCompanyConfig(api=tass_api)},  # type: ignore[arg-type]
                api_key=TassApiKey(tass["client_key"], tass["client_secret"]),
                legacy_app=TassLegacyApp(tass["legacy"]["appcode"], tass["legacy"]["token_key"]),
                time_zone="Australia/Brisbane",
                auth_failure_backoff=0.0,
                transport=FAST,
            )
        ),
    )


@pytest.fixture
def tass_api() -> str:
    """The TASS API the clients use; a test module may override this fixture."""
    return "2026"


@pytest.fixture
async def sims(tass_api: str) -> AsyncIterator[Sims]:
    stack = await start_simulators(seed=7, scale="small", today=TODAY)
    tanda, xporter, tass = clients_for(stack.describe(), tass_api=tass_api)
    try:
        for client in (tanda, xporter, tass):
            await client.start()
        async with aiohttp.ClientSession() as http:
            yield Sims(stack, http, tanda, xporter, tass)
    finally:
        for client in (tanda, xporter, tass):
            await client.close()
        await stack.close()


@pytest.fixture
def directory(sims: Sims) -> Directory:
    return sims.directory()
