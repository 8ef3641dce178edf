"""Leave requests and leave balances (tanda.md §4.10, §4.11), scope `leave`."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from ..dataset import LeaveBalance, LeaveRequest, Shift
from .auth import Principal
from .errors import TandaError, json_response, not_found
from .indexes import zone
from .params import (
    body_date,
    body_int,
    body_number,
    body_text,
    json_body,
    paginate,
    query_date,
    query_flag,
    query_ids,
    query_page,
    query_updated_after,
)
from .render import render_balance, render_leave
from .state import TandaState, context
from .timesheets import ensure_timesheet

STATUSES = ("pending", "approved", "rejected")


# --------------------------------------------------------------------------- leave requests


async def list_leave(request: web.Request) -> web.Response:
    """GET /api/v2/leave: needs `from` and `to`, or `ids` (or all three); paginated."""
    state, principal = context(request)
    principal.require("leave")
    ids, user_ids = query_ids(request, "ids"), query_ids(request, "user_ids")
    start, finish = query_date(request, "from"), query_date(request, "to")
    if ids is None and (start is None or finish is None):
        raise TandaError(400, "Your URL parameters must include from and to, or ids.")
    updated_after = query_updated_after(request)
    include_inactive = query_flag(request, "include_inactive")
    page = query_page(request)
    world, index = state.world, state.index
    if ids is not None:
        candidates = sorted(set(ids))
    elif user_ids is not None:
        candidates = sorted({i for u in set(user_ids) for i in index.leave_by_user.get(u, [])})
    else:
        candidates = sorted(world.leave_requests)
    wanted_users = set(user_ids) if user_ids is not None else None
    rows: list[LeaveRequest] = []
    for leave_id in candidates:
        leave = world.leave_requests.get(leave_id)
        if leave is None or not principal.can_see_user(leave.user_id):
            continue
        if wanted_users is not None and leave.user_id not in wanted_users:
            continue
        # Leave overlapping the from..to window, both inclusive.
        if (
            start is not None
            and finish is not None
            and (leave.finish < start or leave.start > finish)
        ):
            continue
        if updated_after is not None and leave.updated_at <= updated_after:
            continue
        user = world.tanda_users.get(leave.user_id)
        if not include_inactive and (user is None or not user.active):
            continue
        rows.append(leave)
    return json_response([render_leave(world, r) for r in paginate(rows, page)])


def _leave(principal: Principal, request: web.Request) -> LeaveRequest:
    try:
        leave = principal.world.leave_requests.get(int(request.match_info["id"]))
    except ValueError:
        leave = None
    if leave is None:
        raise not_found("leave request")
    if not principal.can_see_user(leave.user_id):
        raise TandaError(403, "You do not have permission to view that leave request.")
    return leave


async def get_leave(request: web.Request) -> web.Response:
    """GET /api/v2/leave/{id}."""
    state, principal = context(request)
    principal.require("leave")
    return json_response(render_leave(state.world, _leave(principal, request)))


def _check_status(principal: Principal, user_id: int, status: str) -> None:
    """tanda.md §3.6 / §4.10: employees may only create pending leave; managers approved
    leave for their staff (not themselves: the org setting is off); admins for anyone.
    Violations are a 400."""
    if status not in STATUSES:
        raise TandaError(
            400, f"Leave request status must be one of pending, approved, rejected; got {status!r}."
        )
    if principal.is_admin:
        return
    own = user_id == principal.user.id
    if not own and not principal.can_manage_user(user_id):
        raise TandaError(400, "You cannot request leave for that user.")
    if status != "pending" and (own or not principal.can_manage_user(user_id)):
        raise TandaError(400, f"You cannot create {status} leave requests for that user.")


def _leave_changes(body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in ("reason", "leave_type", "status"):
        if name in body:
            changes[name] = body_text(body, name)
    for name in ("start", "finish"):
        if name in body:
            day = body_date(body, name)
            if day is None:
                raise TandaError(400, f"A leave request needs a {name} date.")
            changes[name] = day
    if "hours" in body:
        hours = body_number(body, "hours")
        if hours is None or hours < 0:
            raise TandaError(400, "hours must be a number of hours.")
        changes["hours"] = hours
    return changes


def _sync_leave_shifts(state: TandaState, leave: LeaveRequest, department_id: int | None) -> None:
    """tanda.md §4.10: approved leave has one shift per day it spans; other statuses none."""
    world = state.world
    existing = [
        world.shifts[i]
        for i in state.index.shifts_by_user.get(leave.user_id, [])
        if world.shifts[i].leave_request_id == leave.id
    ]
    wanted: dict[date, None] = {}
    if leave.status == "approved":
        day = leave.start
        while day <= leave.finish:
            wanted[day] = None
            day += timedelta(days=1)
    for shift in sorted(existing, key=lambda s: s.id):
        if shift.date in wanted:
            del wanted[shift.date]
        else:
            world.delete("shifts", shift.id)
    user = world.tanda_users.get(leave.user_id)
    if not wanted or user is None:
        return
    days = max(1, (leave.finish - leave.start).days + 1)
    hours = leave.hours / days
    for day in wanted:
        start = datetime.combine(day, time(9), zone(user.time_zone))
        finish = start + timedelta(hours=hours)
        sheet = ensure_timesheet(state, user.id, day)
        world.add(
            "shifts",
            Shift(
                id=world.new_id(),
                updated_at=state.now(),
                revision=0,
                timesheet_id=sheet.id,
                user_id=user.id,
                department_id=department_id or user.report_department_id,
                date=day,
                start=start,
                finish=finish,
                break_start=None,
                break_finish=None,
                break_length=None,
                status="PENDING",
                approved_by=None,
                approved_at=None,
                leave_request_id=leave.id,
                cost=round(hours * user.hourly_rate, 2),
                metadata=None,
            ),
        )


async def create_leave(request: web.Request) -> web.Response:
    """POST /api/v2/leave: `status` is required (§4.10)."""
    state, principal = context(request)
    principal.require("leave")
    body = await json_body(request)
    user_id = body_int(body, "user_id")
    if user_id is None or user_id not in state.world.tanda_users:
        raise TandaError(400, f"No known user with id {body.get('user_id')}!")
    changes = _leave_changes(body)
    missing = [
        n for n in ("leave_type", "start", "finish", "hours", "status") if changes.get(n) is None
    ]
    if missing:
        raise TandaError(400, f"A leave request needs {', '.join(missing)}.")
    _check_status(principal, user_id, changes["status"])
    if changes["finish"] < changes["start"]:
        raise TandaError(400, "The finish date must not be before the start date.")
    world = state.world
    leave = LeaveRequest(
        id=world.new_id(),
        updated_at=state.now(),
        revision=0,
        user_id=user_id,
        reason=changes.get("reason") or "",
        leave_type=changes["leave_type"],
        start=changes["start"],
        finish=changes["finish"],
        hours=changes["hours"],
        status=changes["status"],
    )
    world.add("leave_requests", leave)
    _sync_leave_shifts(state, leave, body_int(body, "department_id"))
    return json_response(render_leave(world, leave))


async def update_leave(request: web.Request) -> web.Response:
    """PUT /api/v2/leave/{id}: partial (§4.10)."""
    state, principal = context(request)
    principal.require("leave")
    leave = _leave(principal, request)
    body = await json_body(request)
    changes = _leave_changes(body)
    for name in ("leave_type", "status"):
        if name in changes and changes[name] is None:
            raise TandaError(400, f"A leave request needs a {name}.")
    status = changes.get("status", leave.status)
    if status not in STATUSES:
        raise TandaError(
            400, f"Leave request status must be one of pending, approved, rejected; got {status!r}."
        )
    manages = principal.is_admin or (
        principal.can_manage_user(leave.user_id) and leave.user_id != principal.user.id
    )
    if not manages and (leave.status != "pending" or status != "pending"):
        # tanda.md §4.10: employees only ever hold pending leave; violations are a 400.
        raise TandaError(400, "Only a manager can approve, reject or change decided leave.")
    if changes.get("finish", leave.finish) < changes.get("start", leave.start):
        raise TandaError(400, "The finish date must not be before the start date.")
    state.world.touch("leave_requests", leave, **changes)
    _sync_leave_shifts(state, leave, body_int(body, "department_id"))
    return json_response(render_leave(state.world, leave))


# --------------------------------------------------------------------------- balances


async def list_balances(request: web.Request) -> web.Response:
    """GET /api/v2/leave_balances: `user_ids` required; not paginated."""
    state, principal = context(request)
    principal.require("leave")
    user_ids = query_ids(request, "user_ids")
    if not user_ids:
        raise TandaError(400, "user_ids is required.")
    updated_after = query_updated_after(request)
    world = state.world
    ids = sorted(
        {
            i
            for u in set(user_ids)
            if principal.can_see_user(u)
            for i in state.index.balances_by_user.get(u, [])
        }
    )
    return json_response(
        [
            render_balance(world.leave_balances[i])
            for i in ids
            if updated_after is None or world.leave_balances[i].updated_at > updated_after
        ]
    )


def _balance(principal: Principal, request: web.Request) -> LeaveBalance:
    try:
        balance = principal.world.leave_balances.get(int(request.match_info["id"]))
    except ValueError:
        balance = None
    if balance is None:
        raise not_found("leave balance")
    if not principal.can_see_user(balance.user_id):
        raise TandaError(403, "You do not have permission to view that leave balance.")
    return balance


async def get_balance(request: web.Request) -> web.Response:
    """GET /api/v2/leave_balances/{id}."""
    _, principal = context(request)
    principal.require("leave")
    return json_response(render_balance(_balance(principal, request)))


def _new_balance(state: TandaState, principal: Principal, item: object) -> LeaveBalance:
    if not isinstance(item, dict):
        raise TandaError(400, "Each balance must be an object.")
    user_id = body_int(item, "user_id")
    if user_id is None or user_id not in state.world.tanda_users:
        raise TandaError(400, f"No known user with id {item.get('user_id')}!")
    if not principal.can_manage_user(user_id):
        raise TandaError(403, "You do not have permission to set that user's leave balances!")
    leave_type, hours = body_text(item, "leave_type"), body_number(item, "hours")
    if not leave_type or hours is None:
        raise TandaError(400, "A leave balance needs a leave_type and hours.")
    return LeaveBalance(
        id=state.world.new_id(),
        updated_at=state.now(),
        revision=0,
        user_id=user_id,
        leave_type=leave_type,
        hours=hours,
    )


async def create_balance(request: web.Request) -> web.Response:
    """POST /api/v2/leave_balances: one balance, or `{"balances": [...]}` for many."""
    state, principal = context(request)
    principal.require("leave")
    body = await json_body(request)
    if "balances" in body:
        items = body["balances"]
        if not isinstance(items, list):
            raise TandaError(400, "balances must be a list.")
        made = [_new_balance(state, principal, item) for item in items]
        for balance in made:
            state.world.add("leave_balances", balance)
        return json_response([render_balance(b) for b in made])
    balance = _new_balance(state, principal, body)
    state.world.add("leave_balances", balance)
    return json_response(render_balance(balance))


async def update_balance(request: web.Request) -> web.Response:
    """PUT /api/v2/leave_balances/{id}: `{"hours": 22.5}`."""
    state, principal = context(request)
    principal.require("leave")
    balance = _balance(principal, request)
    if not principal.can_manage_user(balance.user_id):
        raise TandaError(403, "You do not have permission to set that user's leave balances!")
    hours = body_number(await json_body(request), "hours")
    if hours is None:
        raise TandaError(400, "hours is required.")
    state.world.touch("leave_balances", balance, hours=hours)
    return json_response(render_balance(balance))
