"""Tanda simulator: users, teams, locations, leave and leave balances (tanda.md §4.1, §4.2,
§4.7, §4.8, §4.10, §4.11) over real HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp

from schoolgraph.simulators.control import WorldHolder

from .conftest import ServeApp
from .test_tanda import admin_token, bearer, employee, make_app, manager, user_token


async def _get(http: aiohttp.ClientSession, url: str, token: str) -> tuple[int, Any]:
    async with http.get(url, headers=bearer(token)) as r:
        return r.status, (await r.json() if r.status != 204 else None)


async def _send(
    http: aiohttp.ClientSession, method: str, url: str, token: str, body: object
) -> tuple[int, Any]:
    async with http.request(method, url, json=body, headers=bearer(token)) as r:
        return r.status, await r.json()


# --------------------------------------------------------------------------- users


async def test_users_me_describes_the_caller_and_organisation(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, holder.world)
        status, me = await _get(http, f"{base}/api/v2/users/me", token)
    assert status == 200
    assert me["organisation"] == "Curlew Schools Workforce" and me["organisation_id"] == 1
    assert me["permissions"] == ["organisation_admin", "manager", "employee"]
    assert me["time_zone"] == "Europe/London" and me["utc_offset"] == 0
    assert me["organisations"] == [
        {
            "name": "Curlew Schools Workforce",
            "id": 1,
            "user_id": me["id"],
            "locale": "en-GB",
            "country": "United Kingdom",
        }
    ]
    assert isinstance(me["updated_at"], int)


async def test_user_list_is_a_bare_array_of_active_users_sorted_by_id(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        status, users = await _get(http, f"{base}/api/v2/users", token)
    assert status == 200 and isinstance(users, list)
    assert [u["id"] for u in users] == sorted(u.id for u in world.tanda_users.values() if u.active)
    first = users[1]
    for field in (
        "id",
        "name",
        "email",
        "employee_id",
        "passcode",
        "department_ids",
        "platform_role_ids",
        "active",
        "time_zone",
        "utc_offset",
        "created_at",
        "updated_at",
        "normalised_phone",
        "report_department_id",
    ):
        assert field in first
    assert "hourly_rate" not in first and "mis_staff_id" not in first


async def test_email_filter_is_case_insensitive_and_exact(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    mangled = next(u for u in world.tanda_users.values() if u.email and u.email != u.email.lower())
    assert mangled.email is not None
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        _, found = await _get(http, f"{base}/api/v2/users?email={mangled.email.lower()}", token)
        _, partial = await _get(http, f"{base}/api/v2/users?email={mangled.email[:5]}", token)
        status, both = await _get(http, f"{base}/api/v2/users?email=a@b.c&name=X", token)
    assert [u["id"] for u in found] == [mangled.id]
    assert partial == []
    assert status == 400 and "name and email" in both["error"]


async def test_employee_id_location_and_role_filters(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    no_email = next(u for u in world.tanda_users.values() if u.email is None)
    team = world.teams[no_email.report_department_id or 0]
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        _, by_employee_id = await _get(
            http, f"{base}/api/v2/users?employee_id={no_email.employee_id}", token
        )
        _, at_location = await _get(
            http, f"{base}/api/v2/users?report_location_id={team.location_id}", token
        )
        _, managers = await _get(http, f"{base}/api/v2/users?role_types=manager", token)
    assert [u["id"] for u in by_employee_id] == [no_email.id]
    assert no_email.id in {u["id"] for u in at_location}
    assert all(
        world.teams[u["report_department_id"]].location_id == team.location_id for u in at_location
    )
    assert {u["id"] for u in managers} == {
        u.id for u in world.tanda_users.values() if u.managed_department_ids and u.active
    }


async def test_pages_are_slices_of_the_whole_list(holder: WorldHolder, serve_app: ServeApp) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, holder.world)
        _, everyone = await _get(http, f"{base}/api/v2/users", token)
        pages = []
        for number in range(1, 6):
            _, page = await _get(http, f"{base}/api/v2/users?page={number}&page_size=10", token)
            pages.append(page)
        _, beyond = await _get(http, f"{base}/api/v2/users?page=99&page_size=10", token)
        _, default_size = await _get(http, f"{base}/api/v2/users?page=1", token)
        status_zero, zero = await _get(http, f"{base}/api/v2/users?page=0", token)
        status_word, _ = await _get(http, f"{base}/api/v2/users?page_size=lots", token)
    assert [u for page in pages for u in page] == everyone
    assert [len(p) for p in pages[:3]] == [10, 10, 10]
    assert beyond == []
    assert default_size == everyone[:50]
    assert status_zero == 400 and "page" in zero["error"]
    assert status_word == 400


async def test_updated_after_returns_only_changed_users(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    app, control = make_app(holder)
    target = sorted(world.tanda_users)[5]
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        since = int(control.clock().timestamp()) - 1
        _, before = await _get(http, f"{base}/api/v2/users?updated_after={since}", token)
        async with http.post(
            f"{base}/__sim/mutate",
            json={"table": "tanda_users", "action": "update", "ids": [target]},
        ):
            pass
        _, after = await _get(http, f"{base}/api/v2/users?updated_after={since}", token)
    assert before == []
    assert [u["id"] for u in after] == [target]
    assert after[0]["updated_at"] >= since


async def test_show_wages_needs_cost_and_adds_the_hourly_rate(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    worker = employee(world)
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        _, user = await _get(http, f"{base}/api/v2/users/{worker.id}?show_wages=true", token)
    assert user["hourly_rate"] == worker.hourly_rate


async def test_an_employee_sees_only_themself(holder: WorldHolder, serve_app: ServeApp) -> None:
    world = holder.world
    worker = employee(world)
    other = next(u for u in sorted(world.tanda_users) if u != worker.id)
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await user_token(http, base, world, worker)
        _, users = await _get(http, f"{base}/api/v2/users", token)
        status, _ = await _get(http, f"{base}/api/v2/users/{other}", token)
        create_status, _ = await _send(
            http, "POST", f"{base}/api/v2/users", token, {"name": "New Person"}
        )
    assert [u["id"] for u in users] == [worker.id]
    assert status == 403
    assert create_status == 403


async def test_a_manager_sees_their_team(holder: WorldHolder, serve_app: ServeApp) -> None:
    world = holder.world
    boss = manager(world)
    team_members = {u for t in boss.managed_department_ids for u in world.teams[t].user_ids}
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await user_token(http, base, world, boss)
        _, users = await _get(http, f"{base}/api/v2/users", token)
        _, me = await _get(http, f"{base}/api/v2/users/me", token)
    assert {u["id"] for u in users} == team_members | {boss.id}
    assert me["permissions"] == ["manager", "employee"]


async def test_create_update_and_deactivate_a_user(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    team_id = sorted(world.teams)[0]
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        status, made = await _send(
            http,
            "POST",
            f"{base}/api/v2/users",
            token,
            {
                "name": "Carlton Carlson",
                "email": "carl@example.org",
                "employee_id": "CC123",
                "department_ids": [team_id],
                "preferred_hours": 22,
            },
        )
        assert status == 200
        assert made["name"] == "Carlton Carlson" and made["legal_last_name"] == "Carlson"
        assert made["active"] is True and len(made["passcode"]) == 4
        assert made["date_of_birth"] is None and made["time_zone"] == "Europe/London"
        _, team = await _get(http, f"{base}/api/v2/departments/{team_id}", token)
        assert made["id"] in team["staff"]
        status, dup = await _send(
            http,
            "POST",
            f"{base}/api/v2/users",
            token,
            {"name": "Again", "email": "CARL@example.org"},
        )
        assert status == 400 and "already exists" in dup["error"]
        status, _ = await _send(http, "POST", f"{base}/api/v2/users", token, {})
        assert status == 400
        status, updated = await _send(
            http,
            "PUT",
            f"{base}/api/v2/users/{made['id']}",
            token,
            {"name": "Lenford Leonard", "department_ids": None, "passcode": None},
        )
        assert status == 200 and updated["name"] == "Lenford Leonard"
        assert updated["department_ids"] == [] and len(updated["passcode"]) == 4
        _, team = await _get(http, f"{base}/api/v2/departments/{team_id}", token)
        assert made["id"] not in team["staff"]
        status, gone = await _send(http, "DELETE", f"{base}/api/v2/users/{made['id']}", token, None)
        assert status == 200 and gone["active"] is False
        _, inactive = await _get(http, f"{base}/api/v2/users/inactive", token)
        _, active = await _get(http, f"{base}/api/v2/users", token)
        _, everyone = await _get(http, f"{base}/api/v2/users?show_inactive=true", token)
    assert [u["id"] for u in inactive] == [made["id"]]
    assert made["id"] not in {u["id"] for u in active}
    assert made["id"] in {u["id"] for u in everyone}


async def test_writing_employee_id_needs_the_cost_scope(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    app, _ = make_app(holder)
    target = employee(world).id
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world, scope="user")
        status, body = await _send(
            http, "PUT", f"{base}/api/v2/users/{target}", token, {"employee_id": "X1"}
        )
        ok_status, _ = await _send(
            http, "PUT", f"{base}/api/v2/users/{target}", token, {"phone": "07700 900123"}
        )
    assert status == 403 and "cost" in body["error"]
    assert ok_status == 200


# --------------------------------------------------------------------------- teams, locations


async def test_departments_full_for_admins_and_four_fields_for_employees(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    worker = employee(world)
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        admin = await admin_token(http, base, world)
        _, full = await _get(http, f"{base}/api/v2/departments", admin)
        _, paged = await _get(http, f"{base}/api/v2/departments?page=2&page_size=5", admin)
        token = await user_token(http, base, world, worker)
        _, mine = await _get(http, f"{base}/api/v2/departments", token)
    assert [d["id"] for d in full] == sorted(world.teams)
    assert paged == full[5:10]
    assert set(full[0]) >= {
        "id",
        "location_id",
        "name",
        "export_name",
        "colour",
        "staff",
        "managers",
        "updated_at",
    }
    assert [d["id"] for d in mine] == sorted(worker.department_ids)
    assert set(mine[0]) == {"id", "name", "location_id", "colour", "updated_at"}


async def test_team_writes_keep_user_memberships_in_step(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    location_id = sorted(world.locations)[0]
    members = sorted(world.tanda_users)[1:3]
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        status, team = await _send(
            http,
            "POST",
            f"{base}/api/v2/departments",
            token,
            {
                "name": "Waiters",
                "location_id": str(location_id),
                "user_ids": members,
                "manager_ids": members[:1],
            },
        )
        assert status == 200 and team["staff"] == members and team["managers"] == members[:1]
        _, user = await _get(http, f"{base}/api/v2/users/{members[1]}", token)
        assert team["id"] in user["department_ids"]
        status, team = await _send(
            http, "PUT", f"{base}/api/v2/departments/{team['id']}", token, {"user_ids": members[:1]}
        )
        assert team["staff"] == members[:1]
        _, user = await _get(http, f"{base}/api/v2/users/{members[1]}", token)
        assert team["id"] not in user["department_ids"]
        status, _ = await _send(
            http, "DELETE", f"{base}/api/v2/departments/{team['id']}", token, None
        )
        assert status == 200
        status, _ = await _get(http, f"{base}/api/v2/departments/{team['id']}", token)
        assert status == 404
        status, bad = await _send(
            http, "POST", f"{base}/api/v2/departments", token, {"name": "Nowhere", "location_id": 1}
        )
        assert status == 400 and "location" in bad["error"]


async def test_locations_are_unpaged_with_time_zones(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world, scope="department")
        _, locations = await _get(http, f"{base}/api/v2/locations?show_business_hours=true", token)
        first = sorted(world.locations)[0]
        _, one = await _get(http, f"{base}/api/v2/locations/{first}", token)
    assert [loc["id"] for loc in locations] == sorted(world.locations)
    assert {loc["time_zone"] for loc in locations} == {"Europe/London", "Australia/Brisbane"}
    assert all(len(loc["business_hours"]) == 5 for loc in locations)
    assert one["id"] == first and "business_hours" not in one
    brisbane = next(loc for loc in locations if loc["time_zone"] == "Australia/Brisbane")
    assert brisbane["utc_offset"] == 36000


# --------------------------------------------------------------------------- leave


async def test_leave_list_needs_dates_or_ids_and_filters_by_overlap(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    leave = world.leave_requests[sorted(world.leave_requests)[0]]
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        status, _ = await _get(http, f"{base}/api/v2/leave", token)
        status_from, _ = await _get(http, f"{base}/api/v2/leave?from=2026-01-01", token)
        _, by_id = await _get(http, f"{base}/api/v2/leave?ids={leave.id}", token)
        _, window = await _get(
            http,
            f"{base}/api/v2/leave?from={leave.finish}&to={leave.finish}&user_ids={leave.user_id}",
            token,
        )
    assert status == 400 and status_from == 400
    assert [r["id"] for r in by_id] == [leave.id]
    assert leave.id in [r["id"] for r in window]
    record = by_id[0]
    assert set(record["daily_breakdown"]) == {
        (leave.start + timedelta(days=i)).isoformat()
        for i in range((leave.finish - leave.start).days + 1)
    }
    assert "department_id" not in record


async def test_employees_may_only_request_pending_leave(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    worker = employee(world)
    request = {
        "user_id": worker.id,
        "leave_type": "Annual Leave",
        "start": "2026-12-01",
        "finish": "2026-12-02",
        "hours": 15.2,
        "reason": "Holiday",
    }
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await user_token(http, base, world, worker)
        status, refused = await _send(
            http, "POST", f"{base}/api/v2/leave", token, {**request, "status": "approved"}
        )
        missing_status, _ = await _send(http, "POST", f"{base}/api/v2/leave", token, request)
        status_ok, made = await _send(
            http, "POST", f"{base}/api/v2/leave", token, {**request, "status": "pending"}
        )
        approve_status, _ = await _send(
            http, "PUT", f"{base}/api/v2/leave/{made['id']}", token, {"status": "approved"}
        )
    assert status == 400 and "approved" in refused["error"]
    assert missing_status == 400
    assert status_ok == 200 and made["status"] == "pending" and made["hours"] == 15.2
    assert approve_status == 400


async def test_approving_leave_adds_a_shift_per_day_and_rejecting_removes_them(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    boss = manager(world)
    staff = next(
        u for t in boss.managed_department_ids for u in world.teams[t].user_ids if u != boss.id
    )
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        worker_token = await user_token(http, base, world, world.tanda_users[staff])
        _, made = await _send(
            http,
            "POST",
            f"{base}/api/v2/leave",
            worker_token,
            {
                "user_id": staff,
                "leave_type": "Annual Leave",
                "start": "2026-12-07",
                "finish": "2026-12-09",
                "hours": 22.8,
                "status": "pending",
            },
        )
        token = await user_token(http, base, world, boss)
        status, approved = await _send(
            http, "PUT", f"{base}/api/v2/leave/{made['id']}", token, {"status": "approved"}
        )
        _, shifts = await _get(
            http, f"{base}/api/v2/shifts?user_ids={staff}&from=2026-12-07&to=2026-12-09", token
        )
        _, rejected = await _send(
            http, "PUT", f"{base}/api/v2/leave/{made['id']}", token, {"status": "rejected"}
        )
        _, after = await _get(
            http, f"{base}/api/v2/shifts?user_ids={staff}&from=2026-12-07&to=2026-12-09", token
        )
    assert status == 200 and approved["status"] == "approved"
    assert [s["date"] for s in shifts] == ["2026-12-07", "2026-12-08", "2026-12-09"]
    assert {s["leave_request_id"] for s in shifts} == {made["id"]}
    assert rejected["status"] == "rejected" and after == []


async def test_leave_balances_need_user_ids_and_can_be_written(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    worker = employee(world)
    types = sorted(b.leave_type for b in world.leave_balances.values() if b.user_id == worker.id)
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        status, _ = await _get(http, f"{base}/api/v2/leave_balances", token)
        _, balances = await _get(http, f"{base}/api/v2/leave_balances?user_ids={worker.id}", token)
        _, made = await _send(
            http,
            "POST",
            f"{base}/api/v2/leave_balances",
            token,
            {"user_id": worker.id, "leave_type": "Sick Leave", "hours": 18.0},
        )
        _, bulk = await _send(
            http,
            "POST",
            f"{base}/api/v2/leave_balances",
            token,
            {"balances": [{"user_id": worker.id, "leave_type": "Study Leave", "hours": 4}]},
        )
        _, updated = await _send(
            http, "PUT", f"{base}/api/v2/leave_balances/{made['id']}", token, {"hours": 22.5}
        )
        _, again = await _get(http, f"{base}/api/v2/leave_balances?user_ids={worker.id}", token)
    assert status == 400
    assert sorted(b["leave_type"] for b in balances) == types
    assert made["should_accrue"] is False and bulk[0]["leave_type"] == "Study Leave"
    assert updated["hours"] == 22.5
    assert len(again) == len(balances) + 2
