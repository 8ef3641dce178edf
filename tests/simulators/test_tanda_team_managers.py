"""Tanda simulator: a department's `managers` are exactly the users whose
`managed_department_ids` name it (tanda.md §4.2, §4.7), read and written from either side."""

from __future__ import annotations

from typing import Any

import aiohttp

from schoolgraph.simulators.control import WorldHolder

from .conftest import ServeApp
from .test_tanda import admin_token, bearer, employee, make_app


async def _get(http: aiohttp.ClientSession, url: str, token: str) -> Any:
    async with http.get(url, headers=bearer(token)) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def _put(http: aiohttp.ClientSession, url: str, token: str, body: object) -> Any:
    async with http.put(url, json=body, headers=bearer(token)) as response:
        assert response.status == 200, await response.text()
        return await response.json()


def _managers_from_users(users: list[Any]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for user in sorted(users, key=lambda u: u["id"]):
        for team_id in user["managed_department_ids"]:
            out.setdefault(team_id, []).append(user["id"])
    return out


async def test_department_managers_are_the_users_that_manage_them(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        users = await _get(http, f"{base}/api/v2/users?show_inactive=true", token)
        departments = await _get(http, f"{base}/api/v2/departments", token)
        one = await _get(http, f"{base}/api/v2/departments/{departments[0]['id']}", token)

    expected = _managers_from_users(users)
    assert {d["id"]: d["managers"] for d in departments} == {
        d["id"]: expected.get(d["id"], []) for d in departments
    }
    assert one["managers"] == expected[one["id"]]
    # The admin manages every team (its managed_department_ids), so every team lists it.
    [admin] = [u for u in world.tanda_users.values() if u.is_admin]
    assert all(admin.id in d["managers"] for d in departments)


async def test_a_manager_change_on_either_side_shows_on_the_other(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    worker = employee(world)
    team_id = sorted(world.teams)[-1]
    app, control = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, world)
        since = int(control.clock().timestamp()) - 1
        before = await _get(http, f"{base}/api/v2/departments/{team_id}", token)
        assert worker.id not in before["managers"]

        await _put(
            http, f"{base}/api/v2/users/{worker.id}", token, {"managed_department_ids": [team_id]}
        )
        after_user_write = await _get(http, f"{base}/api/v2/departments/{team_id}", token)
        changed = await _get(http, f"{base}/api/v2/departments?updated_after={since}", token)

        written = await _put(
            http, f"{base}/api/v2/departments/{team_id}", token, {"manager_ids": [worker.id]}
        )
        user = await _get(http, f"{base}/api/v2/users/{worker.id}", token)
        users = await _get(http, f"{base}/api/v2/users?show_inactive=true", token)

    assert after_user_write["managers"] == sorted([*before["managers"], worker.id])
    # The team changed too (its managers are read from the users): a poller sees it.
    assert [d["id"] for d in changed] == [team_id]
    assert written["managers"] == [worker.id]
    assert user["managed_department_ids"] == [team_id]
    assert _managers_from_users(users)[team_id] == [worker.id]
