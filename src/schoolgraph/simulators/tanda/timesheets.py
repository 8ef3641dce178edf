"""Timesheets and shifts (tanda.md §4.5, §4.6), scope `timesheet` (+ `cost` for costs)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

from aiohttp import web

from ..dataset import Shift, Timesheet, World
from .auth import Principal
from .errors import TandaError, json_response, not_found
from .indexes import local_date, org_zone
from .params import (
    body_date,
    body_int,
    body_text,
    body_unix,
    json_body,
    paginate,
    parse_date,
    query_date,
    query_flag,
    query_ids,
    query_int,
    query_page,
    query_text,
    query_updated_after,
)
from .render import render_shift, render_timesheet, timesheet_updated_at
from .state import TandaState, context

MAX_METADATA = 500  # tanda.md §4.6: "Custom string field that holds up to 500 characters"
_PERIOD_ANCHOR = date(2024, 1, 1)  # a Monday; used only when the world has no timesheet yet


# --------------------------------------------------------------------------- timesheets


def timesheet_on(state: TandaState, user_id: int, day: date) -> Timesheet | None:
    for sheet_id in state.index.timesheets_by_user.get(user_id, []):
        sheet = state.world.timesheets[sheet_id]
        if sheet.start <= day <= sheet.finish:
            return sheet
    return None


def ensure_timesheet(state: TandaState, user_id: int, day: date) -> Timesheet:
    """tanda.md §4.5: creating a shift creates the timesheet for its pay period if needed."""
    sheet = timesheet_on(state, user_id, day)
    if sheet is not None:
        return sheet
    world = state.world
    org = world.organisation[min(world.organisation)]
    period = org.pay_period_days
    anchor = min((t.start for t in world.timesheets.values()), default=_PERIOD_ANCHOR)
    start = anchor + timedelta(days=(day - anchor).days // period * period)
    sheet = Timesheet(
        id=world.new_id(),
        updated_at=state.now(),
        revision=0,
        user_id=user_id,
        start=start,
        finish=start + timedelta(days=period - 1),
        status="pending",
    )
    return world.add("timesheets", sheet)


def _shifts_of(state: TandaState, sheet: Timesheet) -> list[Shift]:
    world = state.world
    return [world.shifts[i] for i in state.index.shifts_by_timesheet.get(sheet.id, [])]


def _sheet_options(request: web.Request, principal: Principal) -> tuple[bool, bool, bool]:
    show_costs = query_flag(request, "show_costs")
    award = query_flag(request, "show_award_interpretation")
    principal.require_cost(show_costs, award)
    if query_text(request, "export_format") is not None:
        # tanda.md §4.5: the list of export formats is doc-silent; none is simulated.
        raise TandaError(400, f"Unknown export format {query_text(request, 'export_format')!r}.")
    return show_costs, award, query_flag(request, "show_notes")


def _render_sheet(
    state: TandaState, sheet: Timesheet, options: tuple[bool, bool, bool]
) -> dict[str, Any]:
    show_costs, award, notes = options
    out = render_timesheet(state.world, sheet, _shifts_of(state, sheet), show_costs=show_costs)
    if award:
        out["award_interpretation"] = []  # the neutral world has no award rules
    if notes:
        out["notes"] = []
    return out


def _report_location(world: World, user_id: int) -> int | None:
    user = world.tanda_users.get(user_id)
    team = world.teams.get(user.report_department_id or -1) if user is not None else None
    return team.location_id if team is not None else None


def _sheets_on(
    request: web.Request, state: TandaState, principal: Principal, day: date, *, paged: bool
) -> web.Response:
    options = _sheet_options(request, principal)
    updated_after = query_updated_after(request)
    report_location_id = query_int(request, "report_location_id")
    approved_only = query_flag(request, "approved_only")
    page = query_page(request) if paged else None
    world, index = state.world, state.index
    rows: list[Timesheet] = []
    for user_id in sorted(index.timesheets_by_user):
        if not principal.can_see_user(user_id):
            continue
        if (
            report_location_id is not None
            and _report_location(world, user_id) != report_location_id
        ):
            continue
        sheet = timesheet_on(state, user_id, day)
        if sheet is None or (approved_only and sheet.status != "approved"):
            continue
        if (
            updated_after is not None
            and timesheet_updated_at(sheet, _shifts_of(state, sheet)) <= updated_after
        ):
            continue
        rows.append(sheet)
    rows.sort(key=lambda t: t.id)
    return json_response([_render_sheet(state, s, options) for s in paginate(rows, page)])


def _today(state: TandaState) -> date:
    return local_date(state.now(), org_zone(state.world))


async def current_timesheets(request: web.Request) -> web.Response:
    """GET /api/v2/timesheets/current: every visible user's current-period timesheet."""
    state, principal = context(request)
    principal.require("timesheet")
    return _sheets_on(request, state, principal, _today(state), paged=False)


async def timesheets_on(request: web.Request) -> web.Response:
    """GET /api/v2/timesheets/on/{date}: paginated (§3.8)."""
    state, principal = context(request)
    principal.require("timesheet")
    day = parse_date("date", request.match_info["date"])
    return _sheets_on(request, state, principal, day, paged=True)


def _for_user(
    request: web.Request, state: TandaState, principal: Principal, day: date | None
) -> web.Response:
    raw = request.match_info["user_id"]
    if raw == "me":  # tanda.md §4.5: "me can also be used to reference the current user"
        user_id = principal.user.id
    else:
        try:
            user_id = int(raw)
        except ValueError:
            raise not_found("user") from None
    user = state.world.tanda_users.get(user_id)
    if user is None:
        raise not_found("user")
    if not principal.can_see_user(user_id):
        raise TandaError(403, "You do not have permission to view that user's timesheets.")
    options = _sheet_options(request, principal)
    day = day or local_date(state.now(), user.time_zone)
    sheet = timesheet_on(state, user_id, day)
    if sheet is None or (query_flag(request, "approved_only") and sheet.status != "approved"):
        # tanda.md §4.5: doc-silent when there is no timesheet; 404 in the documented shape.
        raise TandaError(404, f"No known timesheet for user {user_id} on {day.isoformat()}!")
    return json_response(_render_sheet(state, sheet, options))


async def user_current_timesheet(request: web.Request) -> web.Response:
    """GET /api/v2/timesheets/for/{user_id}/current."""
    state, principal = context(request)
    principal.require("timesheet")
    return _for_user(request, state, principal, None)


async def user_timesheet_on(request: web.Request) -> web.Response:
    """GET /api/v2/timesheets/for/{user_id}/on/{date}."""
    state, principal = context(request)
    principal.require("timesheet")
    return _for_user(request, state, principal, parse_date("date", request.match_info["date"]))


def _timesheet(principal: Principal, request: web.Request) -> Timesheet:
    try:
        sheet = principal.world.timesheets.get(int(request.match_info["id"]))
    except ValueError:
        sheet = None
    if sheet is None:
        raise not_found("timesheet")
    if not principal.can_see_user(sheet.user_id):
        raise TandaError(403, "You do not have permission to view that timesheet.")
    return sheet


async def get_timesheet(request: web.Request) -> web.Response:
    """GET /api/v2/timesheets/{id}."""
    state, principal = context(request)
    principal.require("timesheet")
    sheet = _timesheet(principal, request)
    options = _sheet_options(request, principal)
    if query_flag(request, "approved_only") and sheet.status != "approved":
        raise not_found("timesheet")
    return json_response(_render_sheet(state, sheet, options))


async def update_timesheet(request: web.Request) -> web.Response:
    """PUT /api/v2/timesheets/{id}: `{"status": "pending"|"approved"|"exported"}`."""
    state, principal = context(request)
    principal.require("timesheet")
    sheet = _timesheet(principal, request)
    if not principal.can_manage_user(sheet.user_id):
        raise TandaError(403, "You do not have permission to approve that timesheet!")
    body = await json_body(request)
    status = body.get("status")
    if status not in ("pending", "approved", "exported"):
        raise TandaError(400, f"status must be pending, approved or exported, got {status!r}.")
    state.world.touch("timesheets", sheet, status=status)
    return json_response(_render_sheet(state, sheet, (False, False, False)))


# --------------------------------------------------------------------------- shifts


def _shift_options(request: web.Request, principal: Principal) -> dict[str, bool]:
    options = {
        name: query_flag(request, name)
        for name in ("show_costs", "show_award_interpretation", "show_notes", "show_export_name")
    }
    principal.require_cost(options["show_costs"], options["show_award_interpretation"])
    return options


def _render_one(state: TandaState, shift: Shift, options: dict[str, bool]) -> dict[str, Any]:
    row = render_shift(
        state.world,
        shift,
        show_costs=options["show_costs"],
        show_export_name=options["show_export_name"],
    )
    if options["show_award_interpretation"]:
        row["award_interpretation"] = []
    if options["show_notes"]:
        row["notes"] = []
    return row


async def list_shifts(request: web.Request) -> web.Response:
    """GET /api/v2/shifts: `ids`, `user_ids`, `from`+`to`, all ANDed; paginated (§4.6)."""
    state, principal = context(request)
    principal.require("timesheet")
    options = _shift_options(request, principal)
    ids, user_ids = query_ids(request, "ids"), query_ids(request, "user_ids")
    start, finish = query_date(request, "from"), query_date(request, "to")
    if (start is None) != (finish is None):
        raise TandaError(400, "Pass from and to together.")
    if ids is None and user_ids is None and start is None:
        raise TandaError(400, "You need to provide at least one of ids, user_ids, or from + to.")
    updated_after = query_updated_after(request)
    report_location_id = query_int(request, "report_location_id")
    page = query_page(request)
    world, index = state.world, state.index
    candidates: set[int] = set()
    if ids is not None:
        candidates = set(ids)
    elif user_ids is not None:
        for user_id in set(user_ids):
            candidates.update(index.shifts_by_user.get(user_id, []))
    elif start is not None and finish is not None:
        day = start
        while day <= finish:
            candidates.update(index.shifts_by_date.get(day, []))
            day += timedelta(days=1)
    wanted_users = set(user_ids) if user_ids is not None else None
    rows: list[Shift] = []
    for shift_id in sorted(candidates):
        shift = world.shifts.get(shift_id)
        if shift is None or not principal.can_see_user(shift.user_id):
            continue
        if wanted_users is not None and shift.user_id not in wanted_users:
            continue
        if start is not None and finish is not None and not start <= shift.date <= finish:
            continue
        if updated_after is not None and shift.updated_at <= updated_after:
            continue
        if (
            report_location_id is not None
            and _report_location(world, shift.user_id) != report_location_id
        ):
            continue
        rows.append(shift)
    return json_response([_render_one(state, s, options) for s in paginate(rows, page)])


def _shift(principal: Principal, request: web.Request) -> Shift:
    try:
        shift = principal.world.shifts.get(int(request.match_info["id"]))
    except ValueError:
        shift = None
    if shift is None:
        raise not_found("shift")
    if not principal.can_see_user(shift.user_id):
        raise TandaError(403, "You do not have permission to view that shift.")
    return shift


async def get_shift(request: web.Request) -> web.Response:
    """GET /api/v2/shifts/{id}."""
    state, principal = context(request)
    principal.require("timesheet")
    shift = _shift(principal, request)
    return json_response(_render_one(state, shift, _shift_options(request, principal)))


def _require_edit(principal: Principal, user_id: int) -> None:
    if not principal.can_manage_user(user_id):
        raise TandaError(403, "You do not have permission to change that user's shifts!")


def _not_exported(sheet: Timesheet | None) -> None:
    if sheet is not None and sheet.status == "exported":
        # tanda.md §4.5: an exported timesheet "cannot be edited and its costs are locked".
        raise TandaError(400, f"Timesheet {sheet.id} is exported and cannot be edited.")


def _shift_changes(state: TandaState, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if "date" in body:
        day = body_date(body, "date")
        if day is None:
            raise TandaError(400, "A shift needs a date.")
        changes["date"] = day
    for name in ("start", "finish", "break_start", "break_finish"):
        if name in body:
            changes[name] = body_unix(body, name, to_minute=True)  # §4.6: rounded
    if "department_id" in body:
        team_id = body_int(body, "department_id")
        if team_id is not None and team_id not in state.world.teams:
            raise TandaError(400, f"No known team with id {team_id}!")
        changes["department_id"] = team_id
    if "metadata" in body:
        metadata = body_text(body, "metadata")
        if metadata is not None and len(metadata) > MAX_METADATA:
            raise TandaError(400, "metadata holds up to 500 characters.")
        changes["metadata"] = metadata
    if "status" in body:
        status = body.get("status")
        if status not in ("PENDING", "APPROVED"):
            raise TandaError(400, f"status must be PENDING or APPROVED, got {status!r}.")
        changes["status"] = status
        approved = status == "APPROVED"
        changes["approved_by"] = principal.user.id if approved else None
        changes["approved_at"] = state.now() if approved else None
    return changes


def _derived(state: TandaState, shift: Shift) -> dict[str, Any]:
    """Break length, cost and timesheet that follow from a shift's times and date."""
    world = state.world
    break_length = None
    if shift.break_start is not None and shift.break_finish is not None:
        break_length = round((shift.break_finish - shift.break_start).total_seconds() / 60)
    user = world.tanda_users.get(shift.user_id)
    cost = 0.0
    if user is not None and shift.start is not None and shift.finish is not None:
        worked = (shift.finish - shift.start).total_seconds() - (break_length or 0) * 60
        cost = round(max(worked, 0) / 3600 * user.hourly_rate, 2)
    sheet = ensure_timesheet(state, shift.user_id, shift.date)
    _not_exported(sheet)
    return {"break_length": break_length, "cost": cost, "timesheet_id": sheet.id}


async def create_shift(request: web.Request) -> web.Response:
    """POST /api/v2/shifts: 200 with the shift; its timesheet is created if needed."""
    state, principal = context(request)
    principal.require("timesheet")
    body = await json_body(request)
    user_id = body_int(body, "user_id")
    if user_id is None or user_id not in state.world.tanda_users:
        raise TandaError(400, f"No known user with id {body.get('user_id')}!")
    _require_edit(principal, user_id)
    changes = _shift_changes(state, principal, body)
    user = state.world.tanda_users[user_id]
    day: date | None = changes.get("date")
    start: datetime | None = changes.get("start")
    if day is None and start is not None:
        day = local_date(start, user.time_zone)
    if day is None:
        raise TandaError(400, "A shift needs a date or a start.")
    status: Literal["PENDING", "APPROVED"] = changes.get("status", "PENDING")
    shift = Shift(
        id=state.world.new_id(),
        updated_at=state.now(),
        revision=0,
        timesheet_id=0,
        user_id=user_id,
        department_id=changes.get("department_id", user.report_department_id),
        date=day,
        start=start,
        finish=changes.get("finish"),
        break_start=changes.get("break_start"),
        break_finish=changes.get("break_finish"),
        break_length=None,
        status=status,
        approved_by=changes.get("approved_by"),
        approved_at=changes.get("approved_at"),
        leave_request_id=None,
        cost=0.0,
        metadata=changes.get("metadata"),
    )
    for name, value in _derived(state, shift).items():
        setattr(shift, name, value)
    state.world.add("shifts", shift)
    return json_response(_render_one(state, shift, _shift_options(request, principal)))


async def update_shift(request: web.Request) -> web.Response:
    """PUT /api/v2/shifts/{id}: partial; `{"status": "APPROVED"}` approves (§4.6)."""
    state, principal = context(request)
    principal.require("timesheet")
    shift = _shift(principal, request)
    _require_edit(principal, shift.user_id)
    _not_exported(state.world.timesheets.get(shift.timesheet_id))
    changes = _shift_changes(state, principal, await json_body(request))
    if changes.get("status") == shift.status:
        # Re-sending the same status keeps who approved it and when.
        for name in ("status", "approved_by", "approved_at"):
            changes.pop(name)
    preview = Shift(**{**{n: getattr(shift, n) for n in Shift.__dataclass_fields__}, **changes})
    changes.update(_derived(state, preview))
    state.world.touch("shifts", shift, **changes)
    return json_response(_render_one(state, shift, _shift_options(request, principal)))


async def delete_shift(request: web.Request) -> web.Response:
    """DELETE /api/v2/shifts/{id}: 200 with the deleted shift."""
    state, principal = context(request)
    principal.require("timesheet")
    shift = _shift(principal, request)
    _require_edit(principal, shift.user_id)
    _not_exported(state.world.timesheets.get(shift.timesheet_id))
    body = _render_one(state, shift, _shift_options(request, principal))
    state.world.delete("shifts", shift.id)
    return json_response(body)
