"""Rosters and schedules (tanda.md §4.3, §4.4), scope `roster` (+ `cost` for costs)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web

from ..dataset import Roster, Schedule, World
from .auth import Principal
from .errors import TandaError, json_response, not_found
from .indexes import local_date, org_zone, schedule_zone
from .params import (
    body_int,
    body_unix,
    json_body,
    nullable_field,
    paginate,
    parse_date,
    query_date,
    query_flag,
    query_ids,
    query_page,
    query_updated_after,
)
from .render import render_roster, render_schedule
from .state import TandaState, context

MAX_RANGE_DAYS = 7  # tanda.md §4.4: "from and to can be at most 7 days apart"
MAX_PUBLISH = 100  # tanda.md §4.4: "Cannot publish more than 100 schedules at once"


# --------------------------------------------------------------------------- permissions


def visible(principal: Principal, schedule: Schedule, *, colleagues: bool) -> bool:
    """tanda.md §3.6: managers see their teams' schedules; employees only published ones."""
    if principal.is_admin:
        return True
    if schedule.department_id in principal.managed_team_ids or (
        schedule.user_id is not None and schedule.user_id in principal.managed_user_ids
    ):
        return True
    if schedule.last_published_at is None:
        return False
    if schedule.user_id == principal.user.id:
        return True
    return colleagues and schedule.department_id in principal.user.department_ids


def _can_edit(principal: Principal, user_id: int | None, department_id: int | None) -> bool:
    """tanda.md §3.6: admins, or team managers for staff (or vacancies) of their teams."""
    if principal.is_admin:
        return True
    if user_id is not None:
        return principal.can_manage_user(user_id)
    return department_id is not None and department_id in principal.managed_team_ids


def _require_edit(principal: Principal, user_id: int | None, department_id: int | None) -> None:
    if not _can_edit(principal, user_id, department_id):
        raise TandaError(403, "You do not have permission to change that schedule!")


# --------------------------------------------------------------------------- rosters


def week_start(world: World, day: date) -> date:
    """The first day of the roster week holding `day` (org `week_start_day`, 0 = Sunday)."""
    org = world.organisation[min(world.organisation)]
    tanda_weekday = (day.weekday() + 1) % 7
    return day - timedelta(days=(tanda_weekday - org.week_start_day) % 7)


def roster_on(state: TandaState, day: date) -> Roster | None:
    roster_id = state.index.rosters_by_start.get(week_start(state.world, day))
    if roster_id is not None:
        return state.world.rosters[roster_id]
    return state.world.roster_containing(day)


def _ensure_roster(state: TandaState, day: date) -> Roster:
    """tanda.md §4.4: creating a schedule creates the roster for its date if needed."""
    roster = roster_on(state, day)
    if roster is not None:
        return roster
    start = week_start(state.world, day)
    roster = Roster(
        id=state.world.new_id(),
        updated_at=state.now(),
        revision=0,
        start=start,
        finish=start + timedelta(days=6),
    )
    return state.world.add("rosters", roster)


def _roster_response(
    request: web.Request, state: TandaState, principal: Principal, roster: Roster, *, paged: bool
) -> web.Response:
    show_costs = query_flag(request, "show_costs")
    principal.require_cost(show_costs)
    world, index = state.world, state.index
    schedules = [world.schedules[i] for i in index.schedules_by_roster.get(roster.id, [])]
    schedules = [s for s in schedules if visible(principal, s, colleagues=True)]
    updated_at = max([roster.updated_at, *(s.updated_at for s in schedules)])
    page = query_page(request) if paged else None
    meta = None
    if page is not None:
        # tanda.md §4.3: MetaData is undefined; the digest suggests this shape.
        meta = {"page": page.number, "page_size": page.size, "total": len(schedules)}
    shown = list(paginate(schedules, page))
    return json_response(
        render_roster(
            world,
            roster,
            shown,
            index.schedule_date,
            show_costs=show_costs,
            meta=meta,
            updated_at=updated_at,
        )
    )


async def get_roster(request: web.Request) -> web.Response:
    """GET /api/v2/rosters/{id}."""
    state, principal = context(request)
    principal.require("roster")
    try:
        roster = state.world.rosters.get(int(request.match_info["id"]))
    except ValueError:
        roster = None
    if roster is None:
        raise not_found("roster")
    return _roster_response(request, state, principal, roster, paged=False)


def _no_roster() -> web.Response:
    return web.Response(status=204)  # tanda.md §4.3: "204 response if there is no roster"


async def current_roster(request: web.Request) -> web.Response:
    """GET /api/v2/rosters/current: the week holding today in the organisation's zone."""
    state, principal = context(request)
    principal.require("roster")
    roster = roster_on(state, local_date(state.now(), org_zone(state.world)))
    if roster is None:
        return _no_roster()
    return _roster_response(request, state, principal, roster, paged=False)


async def roster_on_date(request: web.Request) -> web.Response:
    """GET /api/v2/rosters/on/{date}: nested schedules paginated when asked (§3.8)."""
    state, principal = context(request)
    principal.require("roster")
    day = parse_date("date", request.match_info["date"])
    roster = roster_on(state, day)
    if roster is None:
        return _no_roster()
    return _roster_response(request, state, principal, roster, paged=True)


# --------------------------------------------------------------------------- schedules


def _render_one(
    request: web.Request, principal: Principal, state: TandaState, schedule: Schedule
) -> dict[str, Any]:
    show_costs = query_flag(request, "show_costs")
    award = query_flag(request, "show_award_interpretation")
    principal.require_cost(show_costs, award)
    row = render_schedule(
        state.world,
        schedule,
        show_costs=show_costs,
        include_names=query_flag(request, "include_names"),
    )
    if award:
        row["award_interpretation"] = []  # the neutral world has no award rules
    return row


def _render_all(
    request: web.Request, principal: Principal, state: TandaState, schedules: list[Schedule]
) -> web.Response:
    show_costs = query_flag(request, "show_costs")
    principal.require_cost(show_costs, query_flag(request, "show_award_interpretation"))
    return json_response([_render_one(request, principal, state, s) for s in schedules])


async def list_schedules(request: web.Request) -> web.Response:
    """GET /api/v2/schedules: by `ids`, or by `from`/`to` (+ `user_ids`); §4.4."""
    state, principal = context(request)
    principal.require("roster")
    ids = query_ids(request, "ids")
    updated_after = query_updated_after(request)
    world = state.world
    if ids is not None:
        # tanda.md §4.4: include_colleagues=false means only the caller's own schedules for
        # an employee; managers and admins see their teams regardless.
        colleagues = query_flag(request, "include_colleagues")
        published_only = query_flag(request, "published_only")
        vacant_only = query_flag(request, "show_vacant_only")
        rows = []
        for schedule_id in sorted(set(ids)):
            schedule = world.schedules.get(schedule_id)
            if schedule is None or not visible(principal, schedule, colleagues=colleagues):
                continue
            if published_only and schedule.last_published_at is None:
                continue
            if vacant_only and schedule.user_id is not None:
                continue
            if updated_after is not None and schedule.updated_at <= updated_after:
                continue
            rows.append(schedule)
        return _render_all(request, principal, state, rows)
    start, finish = query_date(request, "from"), query_date(request, "to")
    if start is None or finish is None:
        raise TandaError(400, "Pass ids, or a from and to date (with optional user_ids).")
    if finish < start:
        raise TandaError(400, "The to date must not be before the from date.")
    if (finish - start).days > MAX_RANGE_DAYS:
        raise TandaError(400, "from and to can be at most 7 days apart.")
    user_ids = query_ids(request, "user_ids")
    if (
        query_flag(request, "show_costs")
        and user_ids
        and not all(principal.can_manage_user(u) for u in user_ids)
    ):
        raise TandaError(403, "You cannot see wages for every user in user_ids.")
    index = state.index
    candidate_ids: set[int] = set()
    if user_ids is not None:
        for user_id in set(user_ids):
            candidate_ids.update(index.schedules_by_user.get(user_id, []))
    else:
        day = start
        while day <= finish:
            candidate_ids.update(index.schedules_by_date.get(day, []))
            day += timedelta(days=1)
    rows = []
    for schedule_id in sorted(candidate_ids):
        schedule = world.schedules[schedule_id]
        if not start <= index.schedule_date[schedule_id] <= finish:
            continue
        if not visible(principal, schedule, colleagues=True):
            continue
        if updated_after is not None and schedule.updated_at <= updated_after:
            continue
        rows.append(schedule)
    return _render_all(request, principal, state, rows)


def _schedule(principal: Principal, request: web.Request) -> Schedule:
    try:
        schedule = principal.world.schedules.get(int(request.match_info["id"]))
    except ValueError:
        schedule = None
    if schedule is None:
        raise not_found("schedule")
    if not visible(principal, schedule, colleagues=True):
        raise TandaError(403, "You do not have permission to view that schedule.")
    return schedule


async def get_schedule(request: web.Request) -> web.Response:
    """GET /api/v2/schedules/{id}."""
    state, principal = context(request)
    principal.require("roster")
    return json_response(_render_one(request, principal, state, _schedule(principal, request)))


def _schedule_changes(
    state: TandaState, body: dict[str, Any], current: Schedule | None
) -> dict[str, Any]:
    world = state.world
    changes: dict[str, Any] = {}
    if "user_id" in body:
        user_id = body_int(body, "user_id")
        if user_id is not None and user_id not in world.tanda_users:
            raise TandaError(400, f"No known user with id {user_id}!")
        changes["user_id"] = user_id
    if "department_id" in body:
        team_id = body_int(body, "department_id")
        if team_id is not None and team_id not in world.teams:
            raise TandaError(400, f"No known team with id {team_id}!")
        changes["department_id"] = team_id
    if "start" in body:
        start = body_unix(body, "start")
        if start is None:
            raise TandaError(400, "A schedule needs a start.")
        changes["start"] = start
    if "finish" in body:
        changes["finish"] = body_unix(body, "finish")
    if body.get("shift_detail_id") is not None:
        raise TandaError(400, f"No known shift detail with id {body['shift_detail_id']}!")
    if "automatic_break_length" in body:
        changes["automatic_break_length"] = body_int(body, "automatic_break_length")
    if "breaks" in body:
        breaks = body.get("breaks") or []
        if not isinstance(breaks, list) or not all(isinstance(b, dict) for b in breaks):
            raise TandaError(400, "breaks must be a list of break objects.")
        # The neutral world keeps one break per schedule: the first one is stored.
        first = breaks[0] if breaks else {}
        changes["break_start"] = body_unix(first, "start")
        changes["break_finish"] = body_unix(first, "finish")
    has_breaks = changes.get("break_start", current.break_start if current else None)
    automatic = changes.get(
        "automatic_break_length", current.automatic_break_length if current else None
    )
    if has_breaks is not None and automatic is not None:
        # tanda.md §4.4: only one of breaks and automatic_break_length may be set.
        raise TandaError(
            400,
            "Only one of breaks and automatic_break_length can be set; "
            "clear the other by setting it to null.",
        )
    return changes


def _cost(
    world: World,
    user_id: int | None,
    start: datetime,
    finish: datetime | None,
    break_start: datetime | None,
    break_finish: datetime | None,
    automatic_break: int | None,
) -> float:
    user = world.tanda_users.get(user_id) if user_id is not None else None
    if user is None or finish is None:
        return 0.0
    seconds = (finish - start).total_seconds()
    if break_start is not None and break_finish is not None:
        seconds -= (break_finish - break_start).total_seconds()
    seconds -= (automatic_break or 0) * 60
    return round(max(seconds, 0) / 3600 * user.hourly_rate, 2)


def _place(state: TandaState, schedule: Schedule) -> dict[str, Any]:
    """The roster and cost that follow from a schedule's user, start and breaks."""
    day = local_date(schedule.start, schedule_zone(state.world, schedule))
    finish: datetime | None = schedule.finish
    return {
        "roster_id": _ensure_roster(state, day).id,
        "cost": _cost(
            state.world,
            schedule.user_id,
            schedule.start,
            finish,
            schedule.break_start,
            schedule.break_finish,
            schedule.automatic_break_length,
        ),
    }


async def create_schedule(request: web.Request) -> web.Response:
    """POST /api/v2/schedules: 200 with the schedule; the roster is created if needed."""
    state, principal = context(request)
    principal.require("roster")
    body = await json_body(request)
    if body.get("start") is None:
        raise TandaError(400, "A schedule needs a start.")
    changes = _schedule_changes(state, body, None)
    _require_edit(principal, changes.get("user_id"), changes.get("department_id"))
    world = state.world
    schedule = Schedule(
        id=world.new_id(),
        updated_at=state.now(),
        revision=0,
        roster_id=0,
        user_id=changes.get("user_id"),
        department_id=changes.get("department_id"),
        start=changes["start"],
        finish=nullable_field(changes.get("finish")),
        break_start=changes.get("break_start"),
        break_finish=changes.get("break_finish"),
        automatic_break_length=changes.get("automatic_break_length"),
        last_published_at=None,
        cost=0.0,
    )
    placement = _place(state, schedule)
    schedule.roster_id, schedule.cost = placement["roster_id"], placement["cost"]
    world.add("schedules", schedule)
    return json_response(_render_one(request, principal, state, schedule))


async def update_schedule(request: web.Request) -> web.Response:
    """PUT /api/v2/schedules/{id}: a partial update (`{"user_id": null}` makes it vacant)."""
    state, principal = context(request)
    principal.require("roster")
    schedule = _schedule(principal, request)
    _require_edit(principal, schedule.user_id, schedule.department_id)
    changes = _schedule_changes(state, await json_body(request), schedule)
    _require_edit(
        principal,
        changes.get("user_id", schedule.user_id),
        changes.get("department_id", schedule.department_id),
    )
    preview = Schedule(**{**_fields(schedule), **changes})
    changes.update(_place(state, preview))
    state.world.touch("schedules", schedule, **changes)
    return json_response(_render_one(request, principal, state, schedule))


def _fields(schedule: Schedule) -> dict[str, Any]:
    return {name: getattr(schedule, name) for name in Schedule.__dataclass_fields__}


async def delete_schedule(request: web.Request) -> web.Response:
    """DELETE /api/v2/schedules/{id}: 200 with the deleted schedule."""
    state, principal = context(request)
    principal.require("roster")
    schedule = _schedule(principal, request)
    _require_edit(principal, schedule.user_id, schedule.department_id)
    body = _render_one(request, principal, state, schedule)
    state.world.delete("schedules", schedule.id)
    return json_response(body)


async def publish_schedules(request: web.Request) -> web.Response:
    """POST /api/v2/schedules/publish: 201 with the published schedules (§4.4)."""
    state, principal = context(request)
    principal.require("roster")
    body = await json_body(request)
    raw = body.get("schedule_ids")
    if not isinstance(raw, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in raw
    ):
        raise TandaError(400, "schedule_ids must be a list of schedule ids.")
    if len(raw) > MAX_PUBLISH:
        raise TandaError(400, "Cannot publish more than 100 schedules at once")
    if not principal.is_manager:
        raise TandaError(403, "You do not have permission to publish schedules!")
    world = state.world
    # "Schedules you do not have permission to update will be filtered out".
    chosen = [
        world.schedules[i]
        for i in sorted(set(raw))
        if i in world.schedules
        and _can_edit(principal, world.schedules[i].user_id, world.schedules[i].department_id)
    ]
    if not chosen:
        raise TandaError(404, "No valid schedules found!")
    now = state.now()
    for schedule in chosen:
        world.touch("schedules", schedule, last_published_at=now)
    response = _render_all(request, principal, state, chosen)
    response.set_status(201)
    return response
