"""Cold and warm full reads of the demo dataset through the Xporter client.

Run: `python benchmarks/connectors_xporter.py` (prints upstream calls from `/__sim/stats`).

A "full read" is everything the graph reads per school: school info, students, staff, groups,
contacts, student contacts, attendance codes, this week's timetable and attendance, and
today's marks. It is run four times against one client:

1. cold: empty cache;
2. warm: within every TTL (served from the cache);
3. warm after the TTLs: every entry refreshed with its change-set token (Xporter has no
   ETags, so no 304s: an unchanged list costs one request that returns zero rows);
4. after `/__sim/mutate` (3 students updated, 1 deleted, in each school) and the TTLs.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import date, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from schoolgraph.cache.store import UpstreamCache
from schoolgraph.simulators.control import WorldHolder
from schoolgraph.simulators.dataset import World, generate_world
from schoolgraph.simulators.xporter import create_xporter_app
from schoolgraph.upstreams.xporter import XporterClient, XporterConfig, XporterSchool

TODAY = date(2026, 11, 23)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


async def full_read(client: XporterClient, today: date) -> int:
    """Read everything for every school; return the number of models returned."""
    monday = today - timedelta(days=today.weekday())
    sunday = monday + timedelta(days=6)
    total = 0
    for estab in client.estabs:
        results: list[Any] = await asyncio.gather(
            client.school_info(estab),
            client.students(estab),
            client.staff(estab),
            client.groups(estab),
            client.contacts(estab),
            client.student_contacts(estab),
            client.attendance_codes(estab),
            client.timetable(estab, monday, sunday),
            client.attendance(estab, monday, sunday),
            client.attendance_for_date(estab, today),
        )
        _info, *lists, timetable, week, day = results
        total += 1 + sum(len(x) for x in lists) + len(timetable.lessons) + len(week) + len(day)
    return total


async def stats(http: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    async with http.get(f"{base}/__sim/stats?reset=true") as response:
        result: dict[str, Any] = await response.json()
        return result


def report(name: str, figures: dict[str, Any], models: int, seconds: float, rows: int) -> None:
    by_route = {r["route"].rsplit("/", 1)[-1]: r["count"] for r in figures["routes"] if r["count"]}
    out(
        f"{name:<26} calls={figures['total']:>3}  304s={figures['not_modified']}  "
        f"errors={figures['errors']}  rows_received={rows:>6}  models={models}  "
        f"{seconds * 1000:.0f} ms"
    )
    out(f"{'':<26} {by_route}")


async def main() -> None:
    world: World = generate_world(7, "demo", TODAY)
    app = create_xporter_app(WorldHolder(world))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    base = f"http://{host}:{port}"
    creds = world.credentials
    config = XporterConfig(
        base_url=base,
        relying_party=creds.xporter_relying_party,
        schools=tuple(XporterSchool(s.estab, s.school_secret) for s in creds.xporter_schools),
    )
    clock = Clock()
    out(f"Demo world (seed 7, today {TODAY}): {len(config.schools)} Xporter schools.")
    try:
        async with (
            aiohttp.ClientSession() as http,
            XporterClient(config, cache=UpstreamCache(clock=clock)) as client,
        ):
            await stats(http, base)
            for name, before in (
                ("cold", None),
                ("warm (within TTL)", None),
                ("warm (TTL expired)", 3600.0),
                ("after mutate + TTL", 3600.0),
            ):
                if name.startswith("after"):
                    for estab in client.estabs:
                        ids = [int(s.id) for s in (await client.students(estab))[:4]]
                        for action, chosen in (("update", ids[:3]), ("delete", ids[3:])):
                            async with http.post(
                                f"{base}/__sim/mutate",
                                json={"table": "students", "action": action, "ids": chosen},
                            ) as response:
                                response.raise_for_status()
                    await stats(http, base)
                if before is not None:
                    clock.now += before
                logged = len(client.sync_log)
                started = time.perf_counter()
                models = await full_read(client, world.today)
                seconds = time.perf_counter() - started
                rows = sum(r.rows for r in list(client.sync_log)[logged:])
                report(name, await stats(http, base), models, seconds, rows)
            out(f"cache: {client.cache.stats.as_json()}, entries={len(client.cache)}")
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
