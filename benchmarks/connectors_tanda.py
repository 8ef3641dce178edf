"""Cold and warm full reads of the demo-scale Tanda dataset through `TandaClient`.

Starts the Tanda simulator (demo scale) on loopback, then reads everything the graph needs
cold (empty cache), then warm: within the TTLs, after the short TTLs (60 s: rosters,
schedules, shifts, timesheets), after edits, and after every TTL and the full-refresh
interval have passed, printing the upstream calls and 304s `/__sim/stats` counted for each.

    python benchmarks/connectors_tanda.py
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from schoolgraph.cache.store import UpstreamCache
from schoolgraph.simulators.control import SimControl, WorldHolder
from schoolgraph.simulators.dataset import World, generate_world
from schoolgraph.simulators.tanda import create_tanda_app, error_response
from schoolgraph.upstreams.tanda import PasswordGrant, TandaClient, TandaConfig

SCOPES = ("me", "user", "department", "roster", "timesheet", "leave")


class Clock:
    """The cache's clock, moved forward to let every TTL pass without waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


async def read_everything(client: TandaClient, world: World) -> dict[str, int]:
    """Every list the graph reads, for every user, week and pay period of the world."""
    rosters = sorted(world.rosters.values(), key=lambda r: r.start)
    first, last = rosters[0].start, rosters[-1].finish
    periods = sorted({t.start for t in world.timesheets.values()})
    last_period = max(t.finish for t in world.timesheets.values())
    users = await client.users(include_inactive=True)
    ids = [u.id for u in users]
    schedules, shifts = await asyncio.gather(
        client.schedules_for_users(ids, first, last),
        client.shifts_for_users(ids, periods[0], last_period),  # leave makes future shifts
    )
    await asyncio.gather(
        client.me(),
        client.teams(),
        client.locations(),
        client.current_roster(),
        *(client.roster_on(r.start) for r in rosters),
        client.current_timesheets(),
        *(client.timesheets_on(day) for day in periods),
        client.leave_requests(start=first - timedelta(days=365), finish=last_period),
        client.leave_balances(ids),
    )
    return {"users": len(users), "schedules": len(schedules), "shifts": len(shifts)}


async def stats(http: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    async with http.get(f"{base}/__sim/stats?reset=true") as r:
        body: dict[str, Any] = await r.json()
        return body


def report(label: str, snapshot: dict[str, Any], seconds: float) -> None:
    api = [r for r in snapshot["routes"] if r["route"].startswith("/api/v2/")]
    calls = sum(r["count"] for r in api)
    not_modified = sum(r["not_modified"] for r in api)
    sys.stdout.write(
        f"{label:<28} {calls:>5} API calls  {not_modified:>5} x 304  "
        f"{snapshot['rate_limited']:>3} x 429  {seconds * 1000:>7.0f} ms\n"
    )
    for route in api:
        sys.stdout.write(
            f"    {route['method']:<4} {route['route']:<42} {route['count']:>4}"
            f"  (304: {route['not_modified']})\n"
        )


async def main() -> None:
    world = generate_world(7, "demo", datetime.now(UTC).date())
    holder = WorldHolder(world)
    app = create_tanda_app(
        holder, control=SimControl("tanda", holder, error_response=error_response)
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    base = f"http://{host}:{port}"
    clock = Clock()
    c = world.credentials
    config = TandaConfig(
        base_url=base,
        grant=PasswordGrant(c.tanda_admin_email, c.tanda_admin_password),
        scopes=SCOPES,
    )
    counts = {
        "users": len(world.tanda_users),
        "schedules": len(world.schedules),
        "shifts": len(world.shifts),
        "timesheets": len(world.timesheets),
    }
    sys.stdout.write(f"demo world: {counts}\n")
    try:
        async with (
            aiohttp.ClientSession() as http,
            TandaClient(config, cache=UpstreamCache(clock=clock), clock=clock) as client,
        ):
            await client.readiness()  # the token, outside the measured reads
            await stats(http, base)
            phases: tuple[tuple[str, float, bool], ...] = (
                ("cold", 0.0, False),
                ("warm, within every TTL", 0.0, False),
                ("warm, 61 s later", 61.0, False),
                ("warm, 61 s after 5+5 edits", 61.0, True),
                ("warm, 1 h later", 3600.0, False),
            )
            for label, later, edit in phases:
                clock.offset += later
                if edit:
                    for table in ("shifts", "schedules"):
                        body = {"table": table, "action": "update", "count": 5}
                        async with http.post(f"{base}/__sim/mutate", json=body):
                            pass
                started = time.monotonic()
                read = await read_everything(client, world)
                report(label, await stats(http, base), time.monotonic() - started)
                sys.stdout.write(f"    read: {read}\n")
            sys.stdout.write(f"cache: {client.cache.stats.as_json()}\n")
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
