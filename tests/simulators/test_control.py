"""The shared /__sim/ control plane, exercised on a bare app with one contract-like route."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from schoolgraph.simulators.control import SimControl, WorldHolder

from .conftest import ServeApp


def _app(holder: WorldHolder) -> tuple[web.Application, SimControl]:
    app = web.Application()

    def error(status: int, message: str) -> web.Response:
        return web.json_response({"error": message}, status=status)

    control = SimControl("test", holder, error_response=error)

    async def student(request: web.Request) -> web.Response:
        student_id = int(request.match_info["id"])
        row = control.world.students.get(student_id)
        if row is None:
            return error(404, "Not found.")
        return web.json_response({"id": row.id, "mobile": row.mobile, "rev": row.revision})

    app.router.add_get("/api/students/{id}", student)
    control.install(app)
    return app, control


async def test_stats_count_by_route_template(holder: WorldHolder, serve_app: ServeApp) -> None:
    app, _ = _app(holder)
    ids = sorted(holder.world.students)[:3]
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        for sid in ids:
            async with http.get(f"{base}/api/students/{sid}") as r:
                assert r.status == 200
        async with http.get(f"{base}/api/students/1") as r:
            assert r.status == 404
        async with http.get(f"{base}/__sim/stats") as r:
            stats = await r.json()
    assert stats["total"] == 4
    assert stats["errors"] == 1
    assert stats["routes"] == [
        {
            "method": "GET",
            "route": "/api/students/{id}",
            "count": 4,
            "not_modified": 0,
            "rate_limited": 0,
            "errors": 1,
            "peak_in_flight": 1,
        }
    ]


async def test_mutate_changes_a_row_and_reset_restores_it(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = _app(holder)
    sid = sorted(holder.world.students)[0]
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        async with http.get(f"{base}/api/students/{sid}") as r:
            before = await r.json()
        async with http.post(
            f"{base}/__sim/mutate", json={"table": "students", "action": "update", "ids": [sid]}
        ) as r:
            result = await r.json()
        assert result["ids"] == [sid]
        async with http.get(f"{base}/api/students/{sid}") as r:
            after = await r.json()
        assert after["mobile"] != before["mobile"] and after["rev"] == result["revision"]
        async with http.post(f"{base}/__sim/reset") as r:
            assert r.status == 200
        async with http.get(f"{base}/api/students/{sid}") as r:
            assert await r.json() == before


async def test_mutate_delete_leaves_a_tombstone_and_unlinks_groups(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = _app(holder)
    sid = sorted(holder.world.students)[0]
    async with (
        serve_app(app) as base,
        aiohttp.ClientSession() as http,
        http.post(
            f"{base}/__sim/mutate", json={"table": "students", "action": "delete", "ids": [sid]}
        ) as r,
    ):
        assert r.status == 200
    world = holder.world
    assert sid not in world.students
    assert [t.id for t in world.tombstones if t.table == "students"] == [sid]
    assert all(sid not in g.student_ids for g in world.groups.values())


async def test_stats_report_the_most_requests_of_a_route_open_at_once(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = _app(holder)
    url = f"/api/students/{sorted(holder.world.students)[0]}"
    async with serve_app(app) as base, aiohttp.ClientSession() as http:

        async def routes() -> list[dict[str, object]]:
            async with http.get(f"{base}/__sim/stats") as r:
                return list((await r.json())["routes"])

        async with http.post(f"{base}/__sim/faults", json={"hang": True}) as r:
            assert r.status == 200
        held = [asyncio.ensure_future(http.get(base + url)) for _ in range(3)]
        for _ in range(200):  # until the three have arrived
            if await routes() and (await routes())[0]["peak_in_flight"] == 3:
                break
            await asyncio.sleep(0.01)
        [route] = await routes()
        assert (route["count"], route["peak_in_flight"]) == (0, 3)  # open, not yet answered
        async with http.get(f"{base}/__sim/stats") as r:
            assert (await r.json())["in_flight"] == 3
        async with http.post(f"{base}/__sim/faults", json={"hang": False}) as r:
            assert r.status == 200
        for response in await asyncio.gather(*held):
            assert response.status == 200
            response.release()
        async with http.get(base + url) as r:  # alone: the peak stands
            assert r.status == 200
        [route] = await routes()
        assert (route["count"], route["peak_in_flight"]) == (4, 3)
        async with http.get(f"{base}/__sim/stats") as r:
            assert (await r.json())["in_flight"] == 0
        async with http.get(f"{base}/__sim/stats?reset=true") as r:
            assert r.status == 200
        async with http.get(base + url) as r:
            assert r.status == 200
        [route] = await routes()
        assert (route["count"], route["peak_in_flight"]) == (1, 1)


@pytest.mark.parametrize(
    "body",
    [
        {"table": "nope"},
        {"table": "students", "action": "explode"},
        {"table": "students", "count": 0},
        {"table": "students", "ids": [1]},
    ],
    ids=["unknown-table", "unknown-action", "zero-count", "missing-id"],
)
async def test_mutate_rejects_bad_requests_with_a_message(
    holder: WorldHolder, serve_app: ServeApp, body: dict[str, object]
) -> None:
    app, _ = _app(holder)
    async with (
        serve_app(app) as base,
        aiohttp.ClientSession() as http,
        http.post(f"{base}/__sim/mutate", json=body) as r,
    ):
        assert r.status == 400
        assert (await r.json())["error"]


async def test_error_fault_uses_the_simulators_error_shape(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = _app(holder)
    sid = sorted(holder.world.students)[0]
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        async with http.post(
            f"{base}/__sim/faults", json={"error_rate": 1.0, "error_status": 502}
        ) as r:
            assert r.status == 200
        async with http.get(f"{base}/api/students/{sid}") as r:
            assert r.status == 502
            assert await r.json() == {"error": "Injected fault."}
        async with http.post(f"{base}/__sim/faults", json={"clear": True}) as r:
            assert r.status == 200
        async with http.get(f"{base}/api/students/{sid}") as r:
            assert r.status == 200


async def test_latency_fault_delays_contract_routes_only(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = _app(holder)
    sid = sorted(holder.world.students)[0]
    loop = asyncio.get_running_loop()
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        async with http.post(f"{base}/__sim/faults", json={"latency_ms": 150}) as r:
            assert r.status == 200
        started = loop.time()
        async with http.get(f"{base}/api/students/{sid}") as r:
            assert r.status == 200
        assert loop.time() - started >= 0.15


async def test_hang_fault_holds_requests_until_cleared(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = _app(holder)
    sid = sorted(holder.world.students)[0]
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        async with http.post(f"{base}/__sim/faults", json={"hang": True}) as r:
            assert r.status == 200
        with pytest.raises(asyncio.TimeoutError):
            async with http.get(
                f"{base}/api/students/{sid}", timeout=aiohttp.ClientTimeout(total=0.2)
            ):
                pass
        pending = asyncio.ensure_future(http.get(f"{base}/api/students/{sid}"))
        await asyncio.sleep(0.05)
        assert not pending.done()
        async with http.post(f"{base}/__sim/faults", json={"hang": False}) as r:
            assert r.status == 200
        response = await asyncio.wait_for(pending, 2)
        assert response.status == 200
        response.release()


@pytest.mark.parametrize(
    "body",
    [{"error_rate": 2}, {"error_status": 200}, {"latency_ms": -1}, {"bogus": 1}],
    ids=["rate>1", "status-2xx", "negative-latency", "unknown-field"],
)
async def test_bad_faults_are_refused(
    holder: WorldHolder, serve_app: ServeApp, body: dict[str, object]
) -> None:
    app, _ = _app(holder)
    async with (
        serve_app(app) as base,
        aiohttp.ClientSession() as http,
        http.post(f"{base}/__sim/faults", json=body) as r,
    ):
        assert r.status == 400


async def test_clock_advance_moves_simulator_time(holder: WorldHolder, serve_app: ServeApp) -> None:
    app, control = _app(holder)
    before = control.clock()
    async with (
        serve_app(app) as base,
        aiohttp.ClientSession() as http,
        http.post(f"{base}/__sim/clock", json={"advance_seconds": 3600}) as r,
    ):
        assert r.status == 200
    assert (control.clock() - before).total_seconds() >= 3600
