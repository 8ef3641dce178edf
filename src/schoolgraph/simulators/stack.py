"""All three simulators over one world, started together (`schoolgraph simulate`, demo mode, tests).

`start_simulators()` serves Tanda, Xporter and TASS from one `WorldHolder` on loopback (or the
given host and ports) and returns their base URLs and the demo credentials a client needs.
`SimulatorStack.describe()` is what `schoolgraph simulate --json` prints; its keys are
documented in the README.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aiohttp import web

from .control import WorldHolder
from .dataset import Scale, World, generate_world
from .tanda import create_tanda_app
from .tanda import demo_credentials as tanda_credentials
from .tass import company_names as tass_company_names
from .tass import create_tass_app
from .xporter import create_xporter_app

UPSTREAMS: tuple[str, ...] = ("tanda", "xporter", "tass")


@dataclass(slots=True)
class SimulatorStack:
    holder: WorldHolder
    urls: dict[str, str]
    runners: list[web.AppRunner] = field(default_factory=list)

    @property
    def world(self) -> World:
        return self.holder.world

    def describe(self) -> dict[str, Any]:
        """Base URLs and demo credentials, as one JSON-ready object."""
        world = self.world
        creds = world.credentials
        xporter_names = {s.code: s.name for s in world.schools.values() if s.system == "xporter"}
        tass_names = tass_company_names(world)
        return {
            "seed": world.seed,
            "scale": world.scale,
            "today": world.today.isoformat(),
            "tanda": {"url": self.urls["tanda"], **tanda_credentials(world, self.urls["tanda"])},
            "xporter": {
                "url": self.urls["xporter"],
                "relying_party": creds.xporter_relying_party,
                "third_party_id": creds.xporter_third_party_id,
                "token_url": f"{self.urls['xporter']}/idaas/sts/STS/GetToken",
                "management_secret": creds.xporter_management_secret,
                "schools": [
                    {
                        "estab": s.estab,
                        "name": xporter_names.get(s.estab, ""),
                        "secret": s.school_secret,
                    }
                    for s in creds.xporter_schools
                ],
            },
            "tass": {
                "url": self.urls["tass"],
                "client_key": creds.tass_client_key,
                "client_secret": creds.tass_client_secret,
                "companies": [
                    {"code": code, "name": tass_names.get(code, "")}
                    for code in creds.tass_company_codes
                ],
                "legacy": {
                    "appcode": creds.tass_legacy_appcode,
                    "token_key": creds.tass_legacy_token_key,
                },
            },
        }

    async def close(self) -> None:
        for runner in reversed(self.runners):
            await runner.cleanup()
        self.runners.clear()


async def start_simulators(
    *,
    world: World | None = None,
    seed: int = 7,
    scale: Scale = "demo",
    today: date | None = None,
    host: str = "127.0.0.1",
    ports: dict[str, int] | None = None,
) -> SimulatorStack:
    """Serve the three simulators; ports default to 0 (free ports chosen by the OS).

    Args:
        world: an existing world to serve; generated from seed, scale and today otherwise.
        seed: world seed.
        scale: world scale.
        today: the date the world is centred on.
        host: the address to listen on.
        ports: per-upstream ports (`tanda`, `xporter`, `tass`).
    """
    holder = WorldHolder(world or generate_world(seed, scale, today))
    factories: dict[str, Callable[[WorldHolder], web.Application]] = {
        "tanda": create_tanda_app,
        "xporter": create_xporter_app,
        "tass": create_tass_app,
    }
    stack = SimulatorStack(holder, {})
    try:
        for name in UPSTREAMS:
            app = factories[name](holder)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            stack.runners.append(runner)
            site = web.TCPSite(runner, host, (ports or {}).get(name, 0))
            await site.start()
            bound_host, bound_port = runner.addresses[0][:2]
            stack.urls[name] = f"http://{_url_host(bound_host)}:{bound_port}"
    except BaseException:
        await stack.close()
        raise
    return stack


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
