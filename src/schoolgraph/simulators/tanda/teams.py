"""Teams (departments) and locations (tanda.md §4.7, §4.8), scope `department`."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..dataset import Team, World
from .auth import Principal
from .errors import TandaError, json_response, not_found
from .params import (
    body_ids,
    body_int,
    body_text,
    json_body,
    nullable_field,
    paginate,
    query_flag,
    query_page,
    query_updated_after,
)
from .render import render_department, render_location, team_managers
from .state import context


def _full_view(principal: Principal, team: Team) -> bool | None:
    """True: every field; False: the employee subset (§4.7); None: not visible at all."""
    if principal.is_admin or team.id in principal.managed_team_ids:
        return True
    if team.id in principal.user.department_ids:
        return False
    return None


async def list_departments(request: web.Request) -> web.Response:
    """GET /api/v2/departments: paginated, `updated_after`."""
    state, principal = context(request)
    principal.require("department")
    updated_after = query_updated_after(request)
    page = query_page(request)
    rows: list[tuple[Team, bool]] = []
    for team_id in sorted(state.world.teams):
        team = state.world.teams[team_id]
        full = _full_view(principal, team)
        if full is None or (updated_after is not None and team.updated_at <= updated_after):
            continue
        rows.append((team, full))
    managers = team_managers(state.world)
    return json_response(
        [
            render_department(state.world, t, full=f, managers=managers)
            for t, f in paginate(rows, page)
        ]
    )


def _team(principal: Principal, request: web.Request) -> tuple[Team, bool]:
    try:
        team = principal.world.teams.get(int(request.match_info["id"]))
    except ValueError:
        team = None
    if team is None:
        raise not_found("team")
    full = _full_view(principal, team)
    if full is None:
        raise TandaError(403, "You do not have permission to view that team.")
    return team, full


async def get_department(request: web.Request) -> web.Response:
    """GET /api/v2/departments/{id}."""
    _, principal = context(request)
    principal.require("department")
    team, full = _team(principal, request)
    return json_response(render_department(principal.world, team, full=full))


def _sync_users(world: World, team: Team, old_staff: set[int]) -> None:
    """Keep users' `department_ids` in step with the team's staff."""
    for user_id in sorted(old_staff ^ set(team.user_ids)):
        user = world.tanda_users.get(user_id)
        if user is not None:
            ids = [t for t in user.department_ids if t != team.id]
            if user_id in team.user_ids:
                ids.append(team.id)
            world.touch("tanda_users", user, department_ids=sorted(ids))


def _set_managers(world: World, team_id: int, manager_ids: list[int]) -> None:
    """Make `manager_ids` exactly the users whose `managed_department_ids` name the team:
    a team's managers are read from its users (`dataset.Team`)."""
    for user_id in sorted(world.tanda_users):
        user = world.tanda_users[user_id]
        if (team_id in user.managed_department_ids) != (user_id in manager_ids):
            ids = [t for t in user.managed_department_ids if t != team_id]
            if user_id in manager_ids:
                ids.append(team_id)
            world.touch("tanda_users", user, managed_department_ids=sorted(ids))


def _team_changes(world: World, body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in ("name", "export_name", "colour"):
        if name in body:
            changes[name] = body_text(body, name)
    if "name" in changes and not (changes["name"] or "").strip():
        raise TandaError(400, "A team needs a name.")
    if "location_id" in body:
        location_id = body_int(body, "location_id")
        if location_id is None or location_id not in world.locations:
            raise TandaError(400, f"No known location with id {body.get('location_id')}!")
        changes["location_id"] = location_id
    # tanda.md §4.7: writes use user_ids/manager_ids, reads return staff/managers; a PUT
    # replaces the lists (digest recommendation).
    for wire, field in (("user_ids", "user_ids"), ("manager_ids", "manager_ids")):
        if wire in body:
            ids = sorted(set(body_ids(body, wire)))
            unknown = [i for i in ids if i not in world.tanda_users]
            if unknown:
                raise TandaError(400, f"No known user with id {unknown[0]}!")
            changes[field] = ids
    return changes


async def create_department(request: web.Request) -> web.Response:
    """POST /api/v2/departments: `name` and `location_id` required; admins only (§3.6)."""
    state, principal = context(request)
    principal.require("department")
    if not principal.is_admin:
        raise TandaError(403, "You do not have permission to create teams!")
    body = await json_body(request)
    world = state.world
    if not isinstance(body.get("name"), str) or body.get("location_id") is None:
        raise TandaError(400, "A team needs a name and a location_id.")
    changes = _team_changes(world, body)
    managers = changes.pop("manager_ids", [])
    team = Team(
        id=world.new_id(),
        updated_at=state.now(),
        revision=0,
        location_id=changes["location_id"],
        name=changes["name"].strip(),
        export_name=nullable_field(changes.get("export_name")),
        colour=nullable_field(changes.get("colour")),
        user_ids=changes.get("user_ids", []),
    )
    # Managers first, so the team's own change (and its webhook body) already lists them.
    _set_managers(world, team.id, managers)
    world.add("teams", team)
    _sync_users(world, team, set())
    return json_response(render_department(world, team, full=True))


async def update_department(request: web.Request) -> web.Response:
    """PUT /api/v2/departments/{id}: admins, and managers of that team (§3.6)."""
    state, principal = context(request)
    principal.require("department")
    team, _ = _team(principal, request)
    if team.id not in principal.managed_team_ids:
        raise TandaError(403, "You do not have permission to update that team!")
    changes = _team_changes(state.world, await json_body(request))
    managers = changes.pop("manager_ids", None)
    if managers is not None:
        _set_managers(state.world, team.id, managers)
    old_staff = set(team.user_ids)
    state.world.touch("teams", team, **changes)
    _sync_users(state.world, team, old_staff)
    return json_response(render_department(state.world, team, full=True))


async def delete_department(request: web.Request) -> web.Response:
    """DELETE /api/v2/departments/{id}: admins only; returns the deleted team."""
    state, principal = context(request)
    principal.require("department")
    team, _ = _team(principal, request)
    if not principal.is_admin:
        raise TandaError(403, "You do not have permission to delete teams!")
    world = state.world
    body = render_department(world, team, full=True)
    world.delete("teams", team.id)
    for user_id in sorted(world.tanda_users):
        user = world.tanda_users[user_id]
        member = user_id in team.user_ids or team.id in user.department_ids
        if member or team.id in user.managed_department_ids:
            world.touch(
                "tanda_users",
                user,
                department_ids=[t for t in user.department_ids if t != team.id],
                managed_department_ids=[t for t in user.managed_department_ids if t != team.id],
                report_department_id=None
                if user.report_department_id == team.id
                else user.report_department_id,
            )
    return json_response(body)


async def list_locations(request: web.Request) -> web.Response:
    """GET /api/v2/locations: not paginated (§3.8), `updated_after`, `show_business_hours`."""
    state, principal = context(request)
    principal.require("department")
    updated_after = query_updated_after(request)
    business_hours = query_flag(request, "show_business_hours")
    world = state.world
    return json_response(
        [
            render_location(world, world.locations[i], business_hours=business_hours)
            for i in sorted(world.locations)
            if updated_after is None or world.locations[i].updated_at > updated_after
        ]
    )


async def get_location(request: web.Request) -> web.Response:
    """GET /api/v2/locations/{id}."""
    state, principal = context(request)
    principal.require("department")
    try:
        location = state.world.locations.get(int(request.match_info["id"]))
    except ValueError:
        location = None
    if location is None:
        raise not_found("location")
    return json_response(
        render_location(
            state.world, location, business_hours=query_flag(request, "show_business_hours")
        )
    )
