"""Users: `/users/me`, the user list and its filters, inactive users, read, create, update,
deactivate (tanda.md §4.1, §4.2)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from aiohttp import web

from ..dataset import TandaUser, World
from .auth import Principal
from .errors import TandaError, json_response, not_found
from .indexes import org_zone
from .params import (
    body_bool,
    body_date,
    body_ids,
    body_int,
    body_number,
    body_text,
    json_body,
    nullable_field,
    paginate,
    query_flag,
    query_ids,
    query_int,
    query_page,
    query_text,
    query_updated_after,
)
from .render import ROLE_IDS, normalised_phone, render_me, render_user, user_roles
from .state import TandaState, context


async def me(request: web.Request) -> web.Response:
    """GET /api/v2/users/me (scope `me`)."""
    _, principal = context(request)
    principal.require("me")
    return json_response(render_me(principal.world, principal.user, principal.permissions))


def _render(principal: Principal, request: web.Request, user: TandaUser) -> dict[str, Any]:
    show_wages = query_flag(request, "show_wages")
    principal.require_cost(show_wages)
    return render_user(
        principal.world,
        user,
        show_wages=show_wages,
        show_regular_hours=query_flag(request, "show_regular_hours"),
        financial=principal.has("financial"),
    )


def _location_of(world: World, team_id: int | None) -> int | None:
    team = world.teams.get(team_id) if team_id is not None else None
    return team.location_id if team is not None else None


def _listed(
    request: web.Request, state: TandaState, principal: Principal, *, inactive: bool
) -> web.Response:
    principal.require("user")
    name, email = query_text(request, "name"), query_text(request, "email")
    if name is not None and email is not None:
        raise TandaError(400, "You cannot pass both name and email params.")
    show_wages = query_flag(request, "show_wages")
    principal.require_cost(show_wages)
    show_inactive = query_flag(request, "show_inactive")
    legal = {
        field: query_text(request, field)
        for field in ("legal_first_name", "legal_middle_names", "legal_last_name")
    }
    updated_after = query_updated_after(request)
    report_location_id = query_int(request, "report_location_id")
    # These filters are documented on GET /users only (§4.2.1), not on /users/inactive.
    location_id = None if inactive else query_int(request, "location_id")
    role_types = None if inactive else query_text(request, "role_types")
    platform_role_ids = None if inactive else query_ids(request, "platform_role_ids")
    employee_id = None if inactive else query_text(request, "employee_id")
    phone = None if inactive else query_text(request, "normalised_phone")
    page = query_page(request)

    world, index = state.world, state.index
    # tanda.md §4.2.1: email matched exactly but case-insensitively (digest recommendation).
    candidates = index.users_by_email.get(email.lower(), []) if email else index.users
    wanted_roles = {r.strip() for r in role_types.split(",")} if role_types else None
    rows: list[TandaUser] = []
    for user_id in candidates:
        user = world.tanda_users[user_id]
        if inactive and user.active:
            continue
        if not inactive and not user.active and not show_inactive:
            continue
        if not principal.can_see_user(user.id):
            continue
        if name is not None and user.name != name:
            continue
        if (
            legal["legal_first_name"] is not None
            and user.legal_first_name != legal["legal_first_name"]
        ):
            continue
        if legal["legal_middle_names"] is not None:
            continue  # the neutral world has no middle names: nobody matches
        if (
            legal["legal_last_name"] is not None
            and user.legal_last_name != legal["legal_last_name"]
        ):
            continue
        if updated_after is not None and user.updated_at <= updated_after:
            continue
        if location_id is not None and not any(
            _location_of(world, t) == location_id for t in user.department_ids
        ):
            continue
        if (
            report_location_id is not None
            and _location_of(world, user.report_department_id) != report_location_id
        ):
            continue
        roles = user_roles(user)
        if wanted_roles is not None and not wanted_roles & set(roles):
            continue
        if platform_role_ids is not None and not set(platform_role_ids) & {
            ROLE_IDS[r] for r in roles
        }:
            continue
        if employee_id is not None and user.employee_id != employee_id:
            continue
        if phone is not None and normalised_phone(user.phone, user.time_zone) != phone:
            continue
        rows.append(user)
    return json_response([_render(principal, request, u) for u in paginate(rows, page)])


async def list_users(request: web.Request) -> web.Response:
    """GET /api/v2/users (§4.2.1)."""
    state, principal = context(request)
    return _listed(request, state, principal, inactive=False)


async def list_inactive(request: web.Request) -> web.Response:
    """GET /api/v2/users/inactive (§4.2.3)."""
    state, principal = context(request)
    return _listed(request, state, principal, inactive=True)


def _user(principal: Principal, request: web.Request) -> TandaUser:
    try:
        user_id = int(request.match_info["id"])
    except ValueError:
        raise not_found("user") from None
    user = principal.world.tanda_users.get(user_id)
    if user is None:
        raise not_found("user")
    if not principal.can_see_user(user.id):
        raise TandaError(403, "You do not have permission to view that user.")
    return user


async def get_user(request: web.Request) -> web.Response:
    """GET /api/v2/users/{id} (§4.2.4)."""
    _, principal = context(request)
    principal.require("user")
    return json_response(_render(principal, request, _user(principal, request)))


def passcode_for(world: World, user_id: int) -> str:
    """A clock-in PIN, regenerated deterministically (§4.2.2: null regenerates it)."""
    digest = hashlib.sha256(f"{world.seed}:passcode:{user_id}".encode()).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 10000:04d}"


# Writable fields the neutral world stores (tanda.md §4.2.5); other documented fields are
# accepted and not stored (see the package docstring).
_TEXT_FIELDS = ("name", "legal_first_name", "legal_last_name", "email", "phone")
_DATE_FIELDS = ("date_of_birth", "employment_start_date", "employment_end_date")
_FINANCIAL_FIELDS = ("tax_declaration", "bank_details", "super_fund_membership")


def _changes(
    world: World, principal: Principal, body: dict[str, Any], current: TandaUser | None
) -> dict[str, Any]:
    """Validated changes from a create or update body."""
    if any(body.get(name) is not None for name in _FINANCIAL_FIELDS):
        principal.require("financial")
    # tanda.md §2.6: writing employee_id or wages needs the cost scope.
    if any(name in body for name in ("employee_id", "hourly_rate", "yearly_salary")):
        principal.require("cost")
    changes: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        if name in body:
            changes[name] = body_text(body, name)
    if "name" in changes and not (changes["name"] or "").strip():
        raise TandaError(400, "A user needs a name.")
    for name in _DATE_FIELDS:
        if name in body:
            changes[name] = body_date(body, name)
    if "employee_id" in body:
        value = body.get("employee_id")
        changes["employee_id"] = None if value is None else str(value)
    if "passcode" in body:
        value = body.get("passcode")
        changes["passcode"] = (
            (passcode_for(world, current.id) if current is not None else None)
            if value is None
            else str(value)
        )
    if "hourly_rate" in body:
        changes["hourly_rate"] = body_number(body, "hourly_rate") or 0.0
    for name in ("department_ids", "managed_department_ids"):
        if name in body:
            ids = sorted(set(body_ids(body, name)))
            unknown = [i for i in ids if i not in world.teams]
            if unknown:
                raise TandaError(400, f"No known team with id {unknown[0]}!")
            changes[name] = ids
    if "report_department_id" in body:
        team_id = body_int(body, "report_department_id")
        if team_id is not None and team_id not in world.teams:
            raise TandaError(400, f"No known team with id {team_id}!")
        changes["report_department_id"] = team_id
    if "active" in body:
        active = body_bool(body, "active")
        if active is None:
            raise TandaError(400, "active must be true or false.")
        changes["active"] = active
    touched_teams: set[int] = set()
    for name in ("department_ids", "managed_department_ids"):
        if name in changes:
            before: list[int] = getattr(current, name) if current is not None else []
            touched_teams |= set(changes[name]) ^ set(before)
    if not principal.is_admin and not touched_teams <= principal.managed_team_ids:
        raise TandaError(403, "You can only place staff in teams you manage.")
    return changes


def _sync_teams(
    world: World, user: TandaUser, old_members: set[int], old_managers: set[int]
) -> None:
    """Keep team `staff` in step with the user's `department_ids` (§4.7), and mark the
    teams whose managers changed as changed: their `managers` are read from the users."""
    for team_id in sorted(old_members ^ set(user.department_ids)):
        team = world.teams.get(team_id)
        if team is None:
            continue
        members = [u for u in team.user_ids if u != user.id]
        if team_id in user.department_ids:
            members.append(user.id)
        world.touch("teams", team, user_ids=members)
    for team_id in sorted(old_managers ^ set(user.managed_department_ids)):
        team = world.teams.get(team_id)
        if team is None:
            continue
        world.touch("teams", team)


async def create_user(request: web.Request) -> web.Response:
    """POST /api/v2/users (§4.2.5): only `name` is required."""
    state, principal = context(request)
    principal.require("user")
    if not principal.is_manager:
        raise TandaError(403, "You do not have permission to create users!")
    body = await json_body(request)
    if not isinstance(body.get("name"), str):
        raise TandaError(400, "A user needs a name.")
    world = state.world
    changes = _changes(world, principal, body, None)
    email = changes.get("email")
    if (
        email
        and not query_flag(request, "skip_validation")
        and state.index.users_by_email.get(email.lower())
    ):
        raise TandaError(400, f"A user with the email {email} already exists.")
    name: str = changes["name"].strip()
    first, _, last = name.partition(" ")
    now: datetime = state.now()
    user_id = world.new_id()
    user = TandaUser(
        id=user_id,
        updated_at=now,
        revision=0,
        name=name,
        legal_first_name=changes.get("legal_first_name") or first,
        legal_last_name=changes.get("legal_last_name") or last,
        email=email,
        employee_id=changes.get("employee_id"),
        phone=changes.get("phone"),
        date_of_birth=nullable_field(changes.get("date_of_birth")),
        employment_start_date=nullable_field(changes.get("employment_start_date")),
        employment_end_date=changes.get("employment_end_date"),
        active=changes.get("active", True),
        department_ids=changes.get("department_ids", []),
        report_department_id=changes.get("report_department_id"),
        managed_department_ids=changes.get("managed_department_ids", []),
        time_zone=org_zone(world),
        passcode=changes.get("passcode") or passcode_for(world, user_id),
        hourly_rate=changes.get("hourly_rate", 0.0),
        created_at=now,
        is_admin=False,
        mis_staff_id=None,
    )
    world.add("tanda_users", user)
    _sync_teams(world, user, set(), set())
    return json_response(_render(principal, request, user))


async def update_user(request: web.Request) -> web.Response:
    """PUT /api/v2/users/{id} (§4.2.6): a partial update."""
    state, principal = context(request)
    principal.require("user")
    user = _user(principal, request)
    if not principal.can_manage_user(user.id):
        raise TandaError(403, "You do not have permission to update that user!")
    body = await json_body(request)
    changes = _changes(state.world, principal, body, user)
    old_members, old_managers = set(user.department_ids), set(user.managed_department_ids)
    state.world.touch("tanda_users", user, **changes)
    _sync_teams(state.world, user, old_members, old_managers)
    return json_response(_render(principal, request, user))


async def delete_user(request: web.Request) -> web.Response:
    """DELETE /api/v2/users/{id}: marks the user inactive and returns it (§4.2.7)."""
    state, principal = context(request)
    principal.require("user")
    user = _user(principal, request)
    if not principal.can_manage_user(user.id):
        raise TandaError(403, "You do not have permission to update that user!")
    state.world.touch("tanda_users", user, active=False)
    return json_response(_render(principal, request, user))
