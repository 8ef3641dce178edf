"""Cold and warm full reads of the demo dataset through the TASS client, on both APIs.

Run: `python benchmarks/connectors_tass.py` (prints upstream calls from `/__sim/stats`).

A "full read" is everything the graph reads per company: campuses, year groups, houses, tutor
groups, students, staff (employees + teachers), classes with members, communication rules,
this week's lessons (grids, calendars, bell times), absences since 1 October, and one
student's and one teacher's timetable. It runs four times against one client per API:

1. cold: empty cache;
2. warm: within every TTL (served from the cache);
3. warm after the TTLs (one hour later): students, employees, teachers and contacts refreshed
   with an `update_on` filter (TASS has no ETags, so no 304s: an unchanged list costs one
   request that returns only the rows at the watermark); classes, grids, bell times, person
   timetables and the current month's absences re-read whole, keeping unchanged models by row
   hash; last month's absences are still fresh (closed months are kept 6 hours);
4. after `/__sim/mutate` (3 students updated) and the TTLs.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from datetime import date, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from schoolgraph.cache.store import UpstreamCache
from schoolgraph.simulators.control import WorldHolder
from schoolgraph.simulators.dataset import World, generate_world
from schoolgraph.simulators.tass import create_tass_app
from schoolgraph.upstreams.http import CallLog, current_call_log
from schoolgraph.upstreams.tass import (
    TassApiKey,
    TassClient,
    TassCompanyConfig,
    TassConfig,
    TassLegacyApp,
)

TODAY = date(2026, 11, 23)
COMPANY = "01"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


async def full_read(client: TassClient) -> int:
    """Read everything for the company; return the number of models returned."""
    monday = TODAY - timedelta(days=TODAY.weekday())
    friday = monday + timedelta(days=4)
    lists: list[Any] = await asyncio.gather(
        client.campuses(COMPANY),
        client.year_groups(COMPANY),
        client.houses(COMPANY),
        client.tutor_groups(COMPANY),
        client.students(COMPANY),
        client.staff(COMPANY),
        client.classes(COMPANY),
        client.communication_rules(COMPANY),
        client.lessons(COMPANY, monday, friday),
        client.absences(COMPANY, date(2026, 10, 1), TODAY),
    )
    student = lists[4][0].code
    teacher = next(s.teacher_code for s in lists[5] if s.teacher_code)
    mine = await asyncio.gather(
        client.student_timetable(COMPANY, student, monday, friday),
        client.teacher_timetable(COMPANY, teacher, monday, friday),
    )
    return sum(len(x) for x in (*lists, *mine))


async def stats(http: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    async with http.get(f"{base}/__sim/stats?reset=true") as response:
        result: dict[str, Any] = await response.json()
        return result


def report(name: str, figures: dict[str, Any], log: CallLog, models: int, seconds: float) -> None:
    routes = Counter(
        c.route.removeprefix("/api/{cmpy_code}").removeprefix("/tassweb/api/?method=")
        for c in log.calls
        if c.cache != "hit" and c.cache != "stale"
    )
    out(
        f"  {name:<22} calls={figures['total']:>3}  304s={figures['not_modified']}  "
        f"errors={figures['errors']}  cache_hits={log.totals()['cacheHits']:>3}  "
        f"models={models}  {seconds * 1000:.0f} ms"
    )
    out(f"  {'':<22} {dict(sorted(routes.items()))}")


async def run(api: str, world: World, base: str, http: aiohttp.ClientSession) -> None:
    creds = world.credentials
    config = TassConfig(
        base_url=base,
        companies={COMPANY: TassCompanyConfig(api=api)},  # type: ignore[arg-type]
        api_key=TassApiKey(creds.tass_client_key, creds.tass_client_secret),
        legacy_app=TassLegacyApp(creds.tass_legacy_appcode, creds.tass_legacy_token_key),
    )
    clock = Clock()
    out(f"{api} API (company {COMPANY}):")
    async with TassClient(config, cache=UpstreamCache(clock=clock), clock=clock) as client:
        await stats(http, base)
        for name, advance in (
            ("cold", 0.0),
            ("warm (within TTL)", 0.0),
            ("warm (TTL expired)", 3600.0),
            ("after mutate + TTL", 3600.0),
        ):
            if name.startswith("after"):
                async with http.post(
                    f"{base}/__sim/mutate",
                    json={"table": "students", "action": "update", "count": 3, "school": COMPANY},
                ) as response:
                    response.raise_for_status()
                await stats(http, base)
            clock.now += advance
            previous = client.snapshot(COMPANY, "students")
            log = CallLog()
            token = current_call_log.set(log)
            started = time.perf_counter()
            try:
                models = await full_read(client)
            finally:
                current_call_log.reset(token)
            seconds = time.perf_counter() - started
            report(name, await stats(http, base), log, models, seconds)
            snapshot = client.snapshot(COMPANY, "students")
            if snapshot is None or name == "warm (within TTL)":
                continue
            if snapshot is previous:
                out(f"  {'':<22} students: nothing changed, the cached snapshot and tuple kept")
            else:
                kept = sum(
                    1
                    for code, model in snapshot.index.items()
                    if previous is not None and previous.index.get(code) is model
                )
                out(
                    f"  {'':<22} students: {snapshot.last_read} read, {snapshot.last_rows} rows "
                    f"received, {len(snapshot.rows)} cached, {kept} kept as the same objects"
                )


async def main() -> None:
    world = generate_world(7, "demo", TODAY)
    app = create_tass_app(WorldHolder(world))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    base = f"http://{host}:{port}"
    out(f"Demo world (seed 7, today {TODAY}), TASS company {COMPANY}.")
    try:
        async with aiohttp.ClientSession() as http:
            for api in ("2026", "legacy"):
                async with http.post(f"{base}/__sim/reset") as response:
                    response.raise_for_status()
                await run(api, world, base, http)
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
