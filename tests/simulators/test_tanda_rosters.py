"""Tanda simulator: rosters, schedules, shifts and timesheets (tanda.md §4.3-§4.6) over real
HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from schoolgraph.simulators.control import WorldHolder
from schoolgraph.simulators.dataset import World

from .conftest import TODAY, ServeApp
from .test_tanda import NOON, admin_token, bearer, employee, make_app, manager, user_token


async def _get(http: aiohttp.ClientSession, url: str, token: str) -> tuple[int, Any]:
    async with http.get(url, headers=bearer(token)) as r:
        return r.status, (None if r.status == 204 else await r.json())


async def _send(
    http: aiohttp.ClientSession, method: str, url: str, token: str, body: object
) -> tuple[int, Any]:
    async with http.request(method, url, json=body, headers=bearer(token)) as r:
        return r.status, await r.json()


def _outsider(world: World, team_ids: list[int]) -> int:
    """A worker in none of `team_ids`."""
    return next(
        u.id
        for _, u in sorted(world.tanda_users.items())
        if u.department_ids and not set(u.department_ids) & set(team_ids)
    )


# --------------------------------------------------------------------------- rosters


async def test_current_roster_groups_schedules_by_day(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        status, roster = await _get(http, f"{base}/api/v2/rosters/current", token)
        _, same = await _get(http, f"{base}/api/v2/rosters/{roster['id']}", token)
    assert status == 200 and roster == same
    assert roster["start"] == "2026-11-23" and roster["finish"] == "2026-11-29"
    assert [d["date"] for d in roster["schedules"]] == [
        (TODAY + timedelta(days=i)).isoformat() for i in range(7)
    ]
    ids = [s["id"] for d in roster["schedules"] for s in d["schedules"]]
    assert sorted(ids) == sorted(
        s.id for s in world.schedules.values() if s.roster_id == roster["id"]
    )
    assert "meta" not in roster and "cost" not in roster


async def test_roster_on_date_pages_nested_schedules_and_is_204_without_a_roster(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        _, whole = await _get(http, f"{base}/api/v2/rosters/on/2026-11-25", token)
        _, page = await _get(
            http, f"{base}/api/v2/rosters/on/2026-11-25?page=2&page_size=10", token
        )
        async with http.get(f"{base}/api/v2/rosters/on/2031-01-01", headers=bearer(token)) as r:
            assert r.status == 204
            assert await r.read() == b""
        status, _ = await _get(http, f"{base}/api/v2/rosters/1", token)
        bad_date, _ = await _get(http, f"{base}/api/v2/rosters/on/tomorrow", token)
        costs_denied, _ = await _get(
            http,
            f"{base}/api/v2/rosters/current?show_costs=true",
            await admin_token(http, base, world, scope="roster"),
        )
    all_ids = sorted(s["id"] for d in whole["schedules"] for s in d["schedules"])
    page_ids = sorted(s["id"] for d in page["schedules"] for s in d["schedules"])
    assert page_ids == all_ids[10:20]
    assert page["meta"] == {"page": 2, "page_size": 10, "total": len(all_ids)}
    assert status == 404 and bad_date == 400 and costs_denied == 403


# --------------------------------------------------------------------------- schedules


async def test_schedules_by_ids_and_by_user_and_dates(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    worker = employee(world)
    mine = sorted(s.id for s in world.schedules.values() if s.user_id == worker.id)
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        _, by_ids = await _get(http, f"{base}/api/v2/schedules?ids={mine[1]},{mine[0]},1", token)
        _, week = await _get(
            http,
            f"{base}/api/v2/schedules?user_ids={worker.id}&from=2026-11-23&to=2026-11-29",
            token,
        )
        _, everyone = await _get(
            http, f"{base}/api/v2/schedules?from=2026-11-23&to=2026-11-23", token
        )
        too_long, body = await _get(
            http, f"{base}/api/v2/schedules?from=2026-11-01&to=2026-11-09", token
        )
        no_dates, _ = await _get(http, f"{base}/api/v2/schedules?user_ids={worker.id}", token)
        _, named = await _get(
            http, f"{base}/api/v2/schedules?ids={mine[0]}&include_names=true&show_costs=true", token
        )
    assert [s["id"] for s in by_ids] == mine[:2]
    assert {s["user_id"] for s in week} == {worker.id}
    assert week and all(1795392000 <= s["start"] < 1795996800 for s in week)
    # `from`/`to` filter on the local date of `start`: a 06:00 start in Brisbane is still
    # the 22nd in UTC.
    local_days = {
        datetime.fromtimestamp(
            s["start"], ZoneInfo(world.tanda_users[s["user_id"]].time_zone)
        ).date()
        for s in everyone
    }
    assert local_days == {TODAY}
    assert any(datetime.fromtimestamp(s["start"], UTC).date() < TODAY for s in everyone)
    assert too_long == 400 and "7 days" in body["error"]
    assert no_dates == 400
    assert named[0]["department_name"] == world.teams[named[0]["department_id"]].name
    assert named[0]["cost"] == world.schedules[mine[0]].cost


async def test_employees_see_only_published_schedules(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    worker = employee(world)
    own = sorted(s.id for s in world.schedules.values() if s.user_id == worker.id)
    unpublished = [i for i in own if world.schedules[i].last_published_at is None]
    published = [i for i in own if world.schedules[i].last_published_at is not None]
    colleague = next(
        s.id
        for s in world.schedules.values()
        if s.user_id != worker.id
        and s.department_id in worker.department_ids
        and s.last_published_at is not None
    )
    assert unpublished and published
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await user_token(http, base, world, worker)
        ids = ",".join(str(i) for i in [*own, colleague])
        _, plain = await _get(http, f"{base}/api/v2/schedules?ids={ids}", token)
        _, with_colleagues = await _get(
            http, f"{base}/api/v2/schedules?ids={ids}&include_colleagues=true", token
        )
        status, _ = await _get(http, f"{base}/api/v2/schedules/{unpublished[0]}", token)
        _, next_week = await _get(http, f"{base}/api/v2/rosters/on/2026-12-03", token)
    assert [s["id"] for s in plain] == published
    assert [s["id"] for s in with_colleagues] == sorted([*published, colleague])
    assert status == 403
    shown = [s for d in next_week["schedules"] for s in d["schedules"]]
    assert all(s["last_published_at"] is not None for s in shown)


async def test_create_update_and_delete_a_schedule(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    worker = employee(world)
    start = int(NOON.timestamp()) + 40 * 86400  # a week with no roster yet
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        status, made = await _send(
            http,
            "POST",
            f"{base}/api/v2/schedules",
            token,
            {
                "user_id": worker.id,
                "start": start,
                "finish": start + 7200,
                "department_id": worker.department_ids[0],
                "automatic_break_length": 30,
            },
        )
        assert status == 200
        assert made["breaks"] == [] and made["last_published_at"] is None
        assert made["acceptance_status"] == "not_accepted"
        roster = world.rosters[made["roster_id"]]
        assert roster.start <= date(2027, 1, 2) <= roster.finish
        status, vacant = await _send(
            http, "POST", f"{base}/api/v2/schedules", token, {"start": start}
        )
        assert status == 200 and vacant["user_id"] is None and vacant["finish"] is None
        status, clash = await _send(
            http,
            "PUT",
            f"{base}/api/v2/schedules/{made['id']}",
            token,
            {"breaks": [{"start": start + 3600, "finish": start + 5400}]},
        )
        assert status == 400 and "automatic_break_length" in clash["error"]
        status, changed = await _send(
            http,
            "PUT",
            f"{base}/api/v2/schedules/{made['id']}",
            token,
            {
                "automatic_break_length": None,
                "user_id": None,
                "breaks": [{"start": start + 3600, "finish": start + 5400}],
            },
        )
        assert status == 200 and changed["user_id"] is None
        assert changed["breaks"][0]["length"] == 30 and changed["automatic_break_length"] is None
        status, _ = await _send(
            http, "DELETE", f"{base}/api/v2/schedules/{made['id']}", token, None
        )
        assert status == 200
        status, _ = await _get(http, f"{base}/api/v2/schedules/{made['id']}", token)
        assert status == 404


async def test_a_time_outside_1970_to_3000_is_a_400(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    # Year 9999 once failed computing its roster's week, a 500 per try.
    world = holder.world
    app, _ = make_app(holder)
    last_day = int(datetime(9999, 12, 31, 10, tzinfo=UTC).timestamp())
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        for start in (last_day, 10**15, -86400):
            status, refused = await _send(
                http, "POST", f"{base}/api/v2/schedules", token, {"start": start}
            )
            assert status == 400 and "between 1970 and 3000" in refused["error"], refused
        async with http.get(
            f"{base}/api/v2/shifts",
            params={"ids": "1", "updated_after": str(10**15)},
            headers=bearer(token),
        ) as r:
            assert r.status == 400
    assert not any(r.start.year > 3000 for r in world.rosters.values())


async def test_publishing_schedules(holder: WorldHolder, serve_app: ServeApp) -> None:
    world = holder.world
    boss = manager(world)
    theirs = sorted(
        s.id
        for s in world.schedules.values()
        if s.last_published_at is None and s.department_id in boss.managed_department_ids
    )[:2]
    outsider = _outsider(world, boss.managed_department_ids)
    other = next(s.id for s in world.schedules.values() if s.user_id == outsider)
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await user_token(http, base, world, boss)
        status, published = await _send(
            http,
            "POST",
            f"{base}/api/v2/schedules/publish",
            token,
            {"schedule_ids": [*theirs, other]},
        )
        too_many, body = await _send(
            http,
            "POST",
            f"{base}/api/v2/schedules/publish",
            token,
            {"schedule_ids": list(range(101))},
        )
        none_valid, none_body = await _send(
            http, "POST", f"{base}/api/v2/schedules/publish", token, {"schedule_ids": [other]}
        )
        worker_token = await user_token(http, base, world, employee(world))
        forbidden, forbidden_body = await _send(
            http, "POST", f"{base}/api/v2/schedules/publish", worker_token, {"schedule_ids": theirs}
        )
    assert status == 201
    assert [s["id"] for s in published] == theirs  # the other team's schedule is filtered
    assert all(s["last_published_at"] == int(s["last_published_at"]) for s in published)
    assert (too_many, body) == (400, {"error": "Cannot publish more than 100 schedules at once"})
    assert (none_valid, none_body) == (404, {"error": "No valid schedules found!"})
    assert (forbidden, forbidden_body) == (
        403,
        {"error": "You do not have permission to publish schedules!"},
    )


async def test_schedule_changes_follow_a_mutate(holder: WorldHolder, serve_app: ServeApp) -> None:
    world = holder.world
    target = sorted(world.schedules)[0]
    app, control = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        _, before = await _get(http, f"{base}/api/v2/schedules/{target}", token)
        since = int(control.clock().timestamp()) - 1
        async with http.post(
            f"{base}/__sim/mutate", json={"table": "schedules", "action": "update", "ids": [target]}
        ):
            pass
        _, after = await _get(http, f"{base}/api/v2/schedules/{target}", token)
        _, changed = await _get(
            http, f"{base}/api/v2/schedules?ids={target}&updated_after={since}", token
        )
        async with http.post(
            f"{base}/__sim/mutate", json={"table": "schedules", "action": "delete", "ids": [target]}
        ):
            pass
        status, _ = await _get(http, f"{base}/api/v2/schedules/{target}", token)
    assert after["finish"] == before["finish"] + 900
    assert [s["id"] for s in changed] == [target]
    assert status == 404


# --------------------------------------------------------------------------- shifts


async def test_shift_queries_need_a_criterion_and_and_them_together(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    worker = employee(world)
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        nothing, _ = await _get(http, f"{base}/api/v2/shifts", token)
        half, _ = await _get(http, f"{base}/api/v2/shifts?from=2026-11-10", token)
        _, range_only = await _get(
            http, f"{base}/api/v2/shifts?from=2026-11-16&to=2026-11-20", token
        )
        _, both = await _get(
            http, f"{base}/api/v2/shifts?from=2026-11-16&to=2026-11-20&user_ids={worker.id}", token
        )
        _, clamped = await _get(
            http, f"{base}/api/v2/shifts?from=2026-01-01&to=2026-12-31&page=1&page_size=1000", token
        )
    assert nothing == 400 and half == 400
    assert range_only and all("2026-11-16" <= s["date"] <= "2026-11-20" for s in range_only)
    assert [s["id"] for s in both] == [s["id"] for s in range_only if s["user_id"] == worker.id]
    assert len(clamped) == 100 and len(world.shifts) > 100


async def test_create_approve_and_delete_a_shift(holder: WorldHolder, serve_app: ServeApp) -> None:
    world = holder.world
    boss = manager(world)
    staff = next(
        u for t in boss.managed_department_ids for u in world.teams[t].user_ids if u != boss.id
    )
    start = 1457741040 + 29  # rounds down to the minute
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await user_token(http, base, world, boss)
        status, made = await _send(
            http,
            "POST",
            f"{base}/api/v2/shifts",
            token,
            {
                "user_id": staff,
                "date": "2016-03-12",
                "start": start,
                "finish": 1457762640,
                "metadata": "My special metadata",
            },
        )
        assert status == 200
        assert made["start"] == 1457741040 and made["status"] == "PENDING"
        sheet = world.timesheets[made["timesheet_id"]]
        assert sheet.start <= date(2016, 3, 12) <= sheet.finish
        status, approved = await _send(
            http, "PUT", f"{base}/api/v2/shifts/{made['id']}", token, {"status": "APPROVED"}
        )
        assert status == 200 and approved["status"] == "APPROVED"
        assert approved["approved_by"] == boss.id and isinstance(approved["approved_at"], int)
        status, _ = await _send(http, "DELETE", f"{base}/api/v2/shifts/{made['id']}", token, None)
        assert status == 200
        status, _ = await _get(http, f"{base}/api/v2/shifts/{made['id']}", token)
        assert status == 404
        outsider = _outsider(world, boss.managed_department_ids)
        status, _ = await _send(
            http,
            "POST",
            f"{base}/api/v2/shifts",
            token,
            {"user_id": outsider, "date": "2016-03-12", "start": start},
        )
        assert status == 403


async def test_an_employee_sees_only_their_own_shifts_and_cannot_approve(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    worker = employee(world)
    own = next(s for s in world.shifts.values() if s.user_id == worker.id)
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await user_token(http, base, world, worker)
        _, shifts = await _get(http, f"{base}/api/v2/shifts?from=2026-11-01&to=2026-11-30", token)
        status, _ = await _send(
            http, "PUT", f"{base}/api/v2/shifts/{own.id}", token, {"status": "APPROVED"}
        )
    assert shifts and {s["user_id"] for s in shifts} == {worker.id}
    assert status == 403


# --------------------------------------------------------------------------- timesheets


async def test_timesheets_on_a_date_for_a_user_and_by_id(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    worker = employee(world)
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        _, on_date = await _get(http, f"{base}/api/v2/timesheets/on/2026-11-20", token)
        _, page = await _get(
            http, f"{base}/api/v2/timesheets/on/2026-11-20?page=2&page_size=3", token
        )
        _, theirs = await _get(
            http, f"{base}/api/v2/timesheets/for/{worker.id}/on/2026-11-20", token
        )
        _, by_id = await _get(
            http, f"{base}/api/v2/timesheets/{theirs['id']}?show_costs=true", token
        )
        missing, body = await _get(http, f"{base}/api/v2/timesheets/for/{worker.id}/current", token)
        worker_token = await user_token(http, base, world, worker)
        _, mine = await _get(http, f"{base}/api/v2/timesheets/for/me/on/2026-11-20", worker_token)
        status, _ = await _get(
            http, f"{base}/api/v2/timesheets/on/2026-11-20?export_format=myob", token
        )
    assert page == on_date[3:6]
    assert theirs["user_id"] == worker.id and theirs["start"] <= "2026-11-20" <= theirs["finish"]
    assert theirs["status"] in ("pending", "approved", "exported")
    assert {s["timesheet_id"] for s in theirs["shifts"]} == {theirs["id"]}
    assert by_id["cost"] == round(sum(s["cost"] for s in by_id["shifts"]), 2)
    assert mine == theirs
    # Every worker has a timesheet for the current pay period, even before its first shift.
    assert missing == 200
    assert body["user_id"] == worker.id and body["start"] <= "2026-11-23" <= body["finish"]
    assert status == 400


async def test_approving_a_timesheet_and_exported_timesheets_are_locked(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    sheet = next(t for t in world.timesheets.values() if t.status == "pending")
    shift = next(s for s in world.shifts.values() if s.timesheet_id == sheet.id)
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        _, approved = await _send(
            http, "PUT", f"{base}/api/v2/timesheets/{sheet.id}", token, {"status": "approved"}
        )
        _, exported = await _send(
            http, "PUT", f"{base}/api/v2/timesheets/{sheet.id}", token, {"status": "exported"}
        )
        locked, body = await _send(
            http, "PUT", f"{base}/api/v2/shifts/{shift.id}", token, {"finish": 1795450000}
        )
        bad, _ = await _send(
            http, "PUT", f"{base}/api/v2/timesheets/{sheet.id}", token, {"status": "APPROVED"}
        )
    assert approved["status"] == "approved" and exported["status"] == "exported"
    assert locked == 400 and "exported" in body["error"]
    assert bad == 400
