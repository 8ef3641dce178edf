"""The world's workforce records in Tanda's wire format (tanda.md §4).

Fields come in the order the doc's examples show them. Every object carries `updated_at`
(unix, §3.5). Times are unix seconds, dates `YYYY-MM-DD` (§3.4). Fields the neutral world
does not model are rendered with the values the doc shows for a fresh record (`award: null`,
`allowances: []`, `acceptance_status: "not_accepted"`, ...). `mis_staff_id` is never rendered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from ..dataset import (
    LeaveBalance,
    LeaveRequest,
    Location,
    Roster,
    Schedule,
    Shift,
    TandaUser,
    Team,
    Timesheet,
    World,
)
from .indexes import zone

JSON = dict[str, Any]

# Platform role ids (invented; tanda.md §4.2.5 shows 3816 as a fresh user's role).
ROLE_IDS: dict[str, int] = {"employee": 3816, "manager": 3817, "organisation_admin": 3818}
_COUNTRIES = {"GB": ("United Kingdom", "en-GB"), "AU": ("Australia", "en-AU")}
_HOLIDAY_REGIONS = {"Europe/London": ["gb", "gb_eng"], "Australia/Brisbane": ["au", "au_qld"]}


def unix(moment: datetime | None) -> int | None:
    """Unix seconds (floored), or None."""
    return None if moment is None else int(moment.timestamp())


def utc_offset(world: World, zone_name: str) -> int:
    """The zone's UTC offset in seconds at noon on the world's `today` (deterministic)."""
    noon = datetime.combine(world.today, time(12), zone(zone_name))
    offset = noon.utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def organisation(world: World) -> tuple[int, str, str]:
    """(id, name, country code) of the one Tanda organisation."""
    org = world.organisation[min(world.organisation)]
    return org.id, org.name, org.country


def normalised_phone(phone: str | None, zone_name: str) -> str | None:
    """E.164 form of a national number (`07700 900123` -> `+447700900123`)."""
    if not phone:
        return None
    digits = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    if digits.startswith("+"):
        return digits
    prefix = "+61" if zone_name.startswith("Australia/") else "+44"
    return prefix + digits.removeprefix("0")


def user_roles(user: TandaUser) -> list[str]:
    roles = ["employee"]
    if user.managed_department_ids or user.is_admin:
        roles.append("manager")
    if user.is_admin:
        roles.append("organisation_admin")
    return roles


def render_user(
    world: World,
    user: TandaUser,
    *,
    show_wages: bool = False,
    show_regular_hours: bool = False,
    financial: bool = False,
) -> JSON:
    """The User object of tanda.md §4.2.2."""
    out: JSON = {
        "id": user.id,
        "name": user.name,
        "legal_first_name": user.legal_first_name,
        "legal_middle_names": None,
        "legal_last_name": user.legal_last_name,
        "date_of_birth": _iso(user.date_of_birth),
        "employment_start_date": _iso(user.employment_start_date),
        "employment_end_date": _iso(user.employment_end_date),
        "employee_id": user.employee_id,
        "passcode": user.passcode,
        "platform_role_ids": sorted(ROLE_IDS[r] for r in user_roles(user)),
        "department_ids": sorted(user.department_ids),
        "preferred_hours": 22,
        "award": None,
        "award_template_id": None,
        "award_template_organisation_id": None,
        "award_tag_ids": [],
        "report_department_id": user.report_department_id,
        "managed_department_ids": sorted(user.managed_department_ids),
        "active": user.active,
        "payroll_cessation_code": None,
        "enable_login": True,
        "can_see_costs": user.is_admin or bool(user.managed_department_ids),
        "email": user.email,
        "payslip_email": None,
        "photo": None,
        "phone": user.phone,
        "normalised_phone": normalised_phone(user.phone, user.time_zone),
    }
    if show_wages:
        out["hourly_rate"] = user.hourly_rate
    out.update(
        {
            "time_zone": user.time_zone,
            "utc_offset": utc_offset(world, user.time_zone),
            "created_at": unix(user.created_at),
            "contracted_weekly_hours": 0.0,
            "part_time_fixed_hours": 0.0,
            "expected_hours_in_pay_period": None,
            "days_overtime_averaged_over": 7,
            "overtime_calculated_over_period_start": None,
        }
    )
    if financial:
        out.update(
            {
                "super_fund_membership": None,
                "super_fund": None,
                "bank_details": None,
                "tax_declaration": None,
            }
        )
    out.update({"onboarding_status": "not_applicable", "qualifications": []})
    if show_regular_hours:
        out["regular_hours"] = None
    out["updated_at"] = unix(user.updated_at)
    return out


def render_me(world: World, user: TandaUser, permissions: list[str]) -> JSON:
    """GET /users/me (tanda.md §4.1)."""
    org_id, org_name, country = organisation(world)
    country_name, locale = _COUNTRIES.get(country, (country, "en"))
    return {
        "id": user.id,
        "name": user.name,
        "legal_first_name": user.legal_first_name,
        "legal_middle_names": None,
        "legal_last_name": user.legal_last_name,
        "email": user.email,
        "time_zone": user.time_zone,
        "utc_offset": utc_offset(world, user.time_zone),
        "organisation": org_name,
        "organisation_id": org_id,
        "locale": locale,
        "country": country_name,
        "permissions": permissions,
        "valid_subscription": True,
        "user_ids": [user.id],
        "organisations": [
            {
                "name": org_name,
                "id": org_id,
                "user_id": user.id,
                "locale": locale,
                "country": country_name,
            }
        ],
        "updated_at": unix(user.updated_at),
    }


def team_managers(world: World) -> dict[int, list[int]]:
    """Team id -> its managers: the users whose `managed_department_ids` name it, by id."""
    out: dict[int, list[int]] = {}
    for user_id in sorted(world.tanda_users):
        for team_id in world.tanda_users[user_id].managed_department_ids:
            out.setdefault(team_id, []).append(user_id)
    return out


def render_department(
    world: World,
    team: Team,
    *,
    full: bool,
    managers: Mapping[int, Sequence[int]] | None = None,
) -> JSON:
    """A Team; employees get only id, name, location_id and colour (tanda.md §4.7).

    `staff` names only users that still exist; `managers` are the users whose
    `managed_department_ids` name the team (pass `team_managers(world)` when rendering many).
    """
    if not full:
        return {
            "id": team.id,
            "name": team.name,
            "location_id": team.location_id,
            "colour": team.colour,
            "updated_at": unix(team.updated_at),
        }
    if managers is None:
        managers = team_managers(world)
    return {
        "id": team.id,
        "location_id": team.location_id,
        "name": team.name,
        "export_name": team.export_name,
        "colour": team.colour,
        "staff": sorted(u for u in team.user_ids if u in world.tanda_users),
        "managers": list(managers.get(team.id, ())),
        "associated_tags": [],
        "qualification_ids": [],
        "updated_at": unix(team.updated_at),
    }


def render_location(world: World, location: Location, *, business_hours: bool) -> JSON:
    """A Location (tanda.md §4.8)."""
    out: JSON = {
        "id": location.id,
        "name": location.name,
        "short_name": location.short_name,
        "latitude": location.latitude,
        "longitude": location.longitude,
        "address": location.address,
        "time_zone": location.time_zone,
        "utc_offset": utc_offset(world, location.time_zone),
        "public_holiday_regions": list(_HOLIDAY_REGIONS.get(location.time_zone, [])),
        "specific_holiday_dates": [],
        "business_day_cutoff": 0,
    }
    if business_hours:
        # School office hours, Monday to Friday (weekday 0 = Sunday in the doc's example).
        out["business_hours"] = [
            {"weekday": d, "start": "08:00", "finish": "17:00"} for d in range(1, 6)
        ]
    out["updated_at"] = unix(location.updated_at)
    return out


def render_schedule(
    world: World, schedule: Schedule, *, show_costs: bool = False, include_names: bool = False
) -> JSON:
    """A Schedule (tanda.md §4.4). The neutral world holds at most one break."""
    breaks: list[JSON] = []
    if schedule.break_start is not None and schedule.break_finish is not None:
        breaks.append(
            {
                "start": unix(schedule.break_start),
                "finish": unix(schedule.break_finish),
                "paid": False,
                "paid_meal_breaks": False,
                "length": round(
                    (schedule.break_finish - schedule.break_start).total_seconds() / 60
                ),
            }
        )
    finish: datetime | None = schedule.finish
    out: JSON = {
        "id": schedule.id,
        "roster_id": schedule.roster_id,
        "user_id": schedule.user_id,
        "start": unix(schedule.start),
        "finish": unix(finish),
        "breaks": breaks,
        "automatic_break_length": schedule.automatic_break_length,
        "department_id": schedule.department_id,
        "shift_detail_id": None,
    }
    if show_costs:
        out["cost"] = schedule.cost
    out.update(
        {
            "last_published_at": unix(schedule.last_published_at),
            "last_acknowledged_at": None,
            "acceptance_status": "not_accepted",
            "needs_acceptance": True,
            "creation_method": "manual",
            "creation_platform": "web",
        }
    )
    if include_names:
        # tanda.md §3.11: key names doc-silent; the digest recommends these two.
        team = world.teams.get(schedule.department_id or -1)
        out["department_name"] = team.name if team is not None else None
        out["shift_detail_name"] = None
    out["updated_at"] = unix(schedule.updated_at)
    return out


def render_roster(
    world: World,
    roster: Roster,
    schedules: list[Schedule],
    dates: dict[int, date],
    *,
    show_costs: bool,
    meta: JSON | None,
    updated_at: datetime,
) -> JSON:
    """A Roster with `schedules` as `[{date, schedules: [...]}]` (tanda.md §4.3)."""
    by_day: dict[date, list[JSON]] = {}
    day = roster.start
    while day <= roster.finish:
        by_day[day] = []
        day += timedelta(days=1)
    for schedule in schedules:
        by_day.setdefault(dates[schedule.id], []).append(render_schedule(world, schedule))
    out: JSON = {
        "id": roster.id,
        "schedules": [
            {"date": d.isoformat(), "schedules": rows} for d, rows in sorted(by_day.items())
        ],
        "start": roster.start.isoformat(),
        "finish": roster.finish.isoformat(),
    }
    if show_costs:
        out["cost"] = round(sum(s.cost for s in schedules), 2)
    if meta is not None:
        out["meta"] = meta
    out["updated_at"] = unix(updated_at)
    return out


def render_shift(
    world: World, shift: Shift, *, show_costs: bool = False, show_export_name: bool = False
) -> JSON:
    """A Shift (tanda.md §4.6); the legacy break fields mirror the one break."""
    breaks: list[JSON] = []
    if shift.break_start is not None:
        breaks.append(
            {
                "id": shift.id,  # one break per shift in the neutral world: it borrows the id
                "shift_id": shift.id,
                "start": unix(shift.break_start),
                "finish": unix(shift.break_finish),
                "length": shift.break_length,
                "paid": False,
                "selected_automatic_break_id": None,
            }
        )
    out: JSON = {
        "id": shift.id,
        "timesheet_id": shift.timesheet_id,
        "user_id": shift.user_id,
        "date": shift.date.isoformat(),
        "start": unix(shift.start),
        "break_start": unix(shift.break_start),
        "break_finish": unix(shift.break_finish),
        "break_length": shift.break_length,
        "breaks": breaks,
        "finish": unix(shift.finish),
        "status": shift.status,
        "allowances": [],
        "tag": None,
        "tag_id": None,
    }
    if show_costs:
        out["cost"] = shift.cost
    out["department_id"] = shift.department_id
    if show_export_name:
        team = world.teams.get(shift.department_id or -1)
        out["department_export_name"] = team.export_name if team is not None else None
    out.update(
        {
            "metadata": shift.metadata,
            "leave_request_id": shift.leave_request_id,
            "approved_by": shift.approved_by,
            "approved_at": unix(shift.approved_at),  # unix, as the doc's example (typed string)
            "updated_at": unix(shift.updated_at),
        }
    )
    return out


def render_timesheet(
    world: World, sheet: Timesheet, shifts: list[Shift], *, show_costs: bool = False
) -> JSON:
    """A Timesheet with its shifts; `updated_at` also moves when one of its shifts changes."""
    out: JSON = {
        "id": sheet.id,
        "user_id": sheet.user_id,
        "start": sheet.start.isoformat(),
        "finish": sheet.finish.isoformat(),
        "status": sheet.status,
        "shifts": [render_shift(world, s, show_costs=show_costs) for s in shifts],
    }
    if show_costs:
        out["cost"] = round(sum(s.cost for s in shifts), 2)
    out["updated_at"] = unix(timesheet_updated_at(sheet, shifts))
    return out


def timesheet_updated_at(sheet: Timesheet, shifts: list[Shift]) -> datetime:
    return max([sheet.updated_at, *(s.updated_at for s in shifts)])


def render_leave(world: World, leave: LeaveRequest) -> JSON:
    """A Leave request (tanda.md §4.10); `daily_breakdown` is the object keyed by date."""
    user = world.tanda_users.get(leave.user_id)
    zone_name = user.time_zone if user is not None else "UTC"
    days = max(1, (leave.finish - leave.start).days + 1)
    per_day = round(leave.hours / days, 2)
    breakdown: JSON = {}
    for offset in range(days):
        day = leave.start + timedelta(days=offset)
        begin = datetime.combine(day, time(9), zone(zone_name))
        end = begin + timedelta(hours=per_day)
        breakdown[day.isoformat()] = {
            "hours": per_day,
            "all_day": True,
            "start_time": begin.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "finish_time": end.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
    return {
        "id": leave.id,
        "user_id": leave.user_id,
        "reason": leave.reason,
        "leave_type": leave.leave_type,
        "hours": leave.hours,
        "start": leave.start.isoformat(),
        "finish": leave.finish.isoformat(),
        "status": leave.status,
        "multitagging": False,
        "all_day": True,
        "daily_breakdown": breakdown,
        "updated_at": unix(leave.updated_at),
    }


def render_balance(balance: LeaveBalance) -> JSON:
    """A Leave balance (tanda.md §4.11)."""
    return {
        "id": balance.id,
        "user_id": balance.user_id,
        "leave_type": balance.leave_type,
        "hours": balance.hours,
        "should_accrue": False,
        "updated_at": unix(balance.updated_at),
    }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
