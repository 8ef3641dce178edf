"""Tanda / Workforce.com API v2 objects as typed models, parsed once from the wire.

This module is the only code that knows Tanda's JSON. Section numbers (§) are those of
`shared/upstreams/tanda.md`.

Wire conventions the parsers absorb:

* Instants are unix seconds (§3.4) and become aware UTC `datetime`s. `approved_at` is typed
  string in the doc but unix in its example; numeric strings are accepted everywhere.
* Calendar dates are `YYYY-MM-DD` and become `date`; they are already local dates (shift
  `date`, roster and timesheet `start`/`finish`, leave `start`/`finish`). Non-zero-padded
  dates (`2020-1-1`, seen on pay fields) are accepted too.
* A user's `time_zone` (IANA) and `utc_offset` are kept, so the graph can render local times
  (`User.zone`). Schedule and shift times stay instants; convert with the user's zone.
* Leave `start_time`/`finish_time` are ISO strings on a dummy date 2000-01-01 (§3.4): only
  the wall-clock time is kept. `daily_breakdown` comes as an object keyed by date (schema) or
  as a list of `{date, ...}` (create example, §7.5); both are read.
* Every object carries `updated_at` (§3.5); it is optional here because the doc's schemas
  omit it. Unknown fields are ignored.

A missing required field ("(req)" in the doc) or a present field of the wrong type raises
`UpstreamBadResponseError` naming the object, the field and the route, never the value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from ...errors import UpstreamBadResponseError
from ..http import EXACT_WHOLE_FLOAT

UPSTREAM = "tanda"

M = TypeVar("M")

_INSTANTS: dict[int, datetime] = {}
_INSTANTS_KEPT = 16_384
"""Unix times remembered as datetimes (about 2 MB when full, then emptied): a large
roster's 47,000 instants are 4,600 distinct times, and a lookup costs a tenth of a conversion."""


def _unix_instant(seconds: int) -> datetime:
    """``datetime.fromtimestamp(seconds, UTC)``, remembered (raises as it does)."""
    found = _INSTANTS.get(seconds)
    if found is None:
        if len(_INSTANTS) >= _INSTANTS_KEPT:
            _INSTANTS.clear()
        found = _INSTANTS[seconds] = datetime.fromtimestamp(seconds, UTC)
    return found


# --------------------------------------------------------------------------- reading fields


class Fields:
    """One wire object of kind `kind` from `route`, read field by field."""

    __slots__ = ("_kind", "_route", "_values")

    def __init__(self, value: object, kind: str, route: str) -> None:
        if value.__class__ is not dict and not isinstance(value, Mapping):
            raise UpstreamBadResponseError(
                f"Tanda answered {route} with a {kind} that is not a JSON object.",
                upstream=UPSTREAM,
            )
        self._values: Mapping[str, Any] = value
        self._kind = kind
        self._route = route

    def _missing(self, name: str) -> UpstreamBadResponseError:
        return UpstreamBadResponseError(
            f"Tanda answered {self._route} with a {self._kind} that has no '{name}'.",
            upstream=UPSTREAM,
        )

    def _wrong(self, name: str, expected: str) -> UpstreamBadResponseError:
        return UpstreamBadResponseError(
            f"Tanda answered {self._route} with a {self._kind} whose '{name}' is not {expected}.",
            upstream=UPSTREAM,
        )

    def raw(self, name: str) -> Any:
        return self._values.get(name)

    def has(self, name: str) -> bool:
        return self._values.get(name) is not None

    # -- numbers

    # Each reader returns the wire's own value first when it is already of the model's type
    # (exactly that type: a bool is an int to isinstance), the common case, before the rest.

    def opt_integer(self, name: str) -> int | None:
        value = self._values.get(name)
        if value is None or value.__class__ is int:
            return value
        if isinstance(value, bool):
            raise self._wrong(name, "a whole number")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer() and abs(value) <= EXACT_WHOLE_FLOAT:
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise self._wrong(name, "a whole number")

    def integer(self, name: str) -> int:
        value = self.opt_integer(name)
        if value is None:
            raise self._missing(name)
        return value

    def opt_number(self, name: str) -> float | None:
        value = self._values.get(name)
        if value is None or value.__class__ is float:
            return value
        if isinstance(value, bool):
            raise self._wrong(name, "a number")
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise self._wrong(name, "a number")

    def number(self, name: str) -> float:
        value = self.opt_number(name)
        if value is None:
            raise self._missing(name)
        return value

    def ids(self, name: str) -> tuple[int, ...]:
        """A list of ids; absent or null is empty."""
        value = self._values.get(name)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self._wrong(name, "a list of ids")
        out: list[int] = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, int | str):
                raise self._wrong(name, "a list of ids")
            try:
                out.append(int(item))
            except ValueError:
                raise self._wrong(name, "a list of ids") from None
        return tuple(out)

    def opt_ids(self, name: str) -> tuple[int, ...] | None:
        """A list of ids, or None when the field is absent (e.g. an employee's team view)."""
        return self.ids(name) if name in self._values else None

    # -- text and flags

    def opt_text(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is None or value.__class__ is str:
            return value
        if isinstance(value, bool):
            raise self._wrong(name, "a string")
        if isinstance(value, int | float):
            return str(value)
        if not isinstance(value, str):
            raise self._wrong(name, "a string")
        return value

    def text(self, name: str) -> str:
        value = self.opt_text(name)
        if value is None:
            raise self._missing(name)
        return value

    def texts(self, name: str) -> tuple[str, ...]:
        value = self._values.get(name)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._wrong(name, "a list of strings")
        return tuple(value)

    def opt_flag(self, name: str) -> bool | None:
        value = self._values.get(name)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"  # `multitagging` is typed string (§7.7)
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise self._wrong(name, "true or false")

    def flag(self, name: str, default: bool) -> bool:
        value = self.opt_flag(name)
        return default if value is None else value

    # -- times

    def opt_instant(self, name: str) -> datetime | None:
        """Unix seconds (§3.4) as an aware UTC datetime."""
        value = self._values.get(name)
        if value is None:
            return None
        if value.__class__ is int:
            try:
                return _unix_instant(value)
            except (OverflowError, OSError, ValueError):
                raise self._wrong(name, "a unix time") from None
        if isinstance(value, bool):
            raise self._wrong(name, "a unix time")
        seconds: float
        if isinstance(value, int | float):
            seconds = value
        elif isinstance(value, str):
            try:
                seconds = float(value.strip())
            except ValueError:
                raise self._wrong(name, "a unix time") from None
        else:
            raise self._wrong(name, "a unix time")
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise self._wrong(name, "a unix time") from None

    def instant(self, name: str) -> datetime:
        value = self.opt_instant(name)
        if value is None:
            raise self._missing(name)
        return value

    def opt_day(self, name: str) -> date | None:
        value = self._values.get(name)
        if value is None:
            return None
        parsed = parse_wire_date(value)
        if parsed is None:
            raise self._wrong(name, "a YYYY-MM-DD date")
        return parsed

    def day(self, name: str) -> date:
        value = self.opt_day(name)
        if value is None:
            raise self._missing(name)
        return value

    def opt_wall_time(self, name: str) -> time | None:
        """The local time of day of an ISO timestamp (leave times sit on a dummy date)."""
        value = self._values.get(name)
        if value is None:
            return None
        moment = parse_iso(value)
        if moment is None:
            raise self._wrong(name, "an ISO time")
        return moment.time().replace(tzinfo=None)

    def opt_iso_instant(self, name: str) -> datetime | None:
        """An ISO timestamp with an offset, as an aware UTC datetime."""
        value = self._values.get(name)
        if value is None:
            return None
        moment = parse_iso(value)
        if moment is None or moment.tzinfo is None:
            raise self._wrong(name, "an ISO time with an offset")
        return moment.astimezone(UTC)

    # -- nesting

    def objects(self, name: str, kind: str, parse: Callable[[Fields], M]) -> tuple[M, ...]:
        value = self._values.get(name)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self._wrong(name, "a list")
        return tuple(parse(Fields(item, kind, self._route)) for item in value)

    def required_objects(self, name: str, kind: str, parse: Callable[[Fields], M]) -> tuple[M, ...]:
        if self._values.get(name) is None:
            raise self._missing(name)
        return self.objects(name, kind, parse)


def parse_wire_date(value: object) -> date | None:
    """`YYYY-MM-DD` (also `2020-1-1`), or None when it is not a date."""
    if not isinstance(value, str):
        return None
    if len(value) == 10 and value[4] == "-" and value[7] == "-":  # the common form, in C
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass  # e.g. digits other than ASCII, which the general reading accepts
    parts = value.strip().split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def parse_iso(value: object) -> datetime | None:
    """An ISO 8601 timestamp (`...+10:00`, `...+1000`, or a space separator), or None."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone, or None when absent or unknown to this machine."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


# --------------------------------------------------------------------------- models


@dataclass(frozen=True, slots=True)
class OrganisationRef:
    """One organisation the current user has a profile in (§4.1 `organisations`)."""

    id: int
    name: str | None
    user_id: int | None


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """`GET /users/me` (§4.1)."""

    id: int
    name: str
    email: str | None
    time_zone: str | None
    utc_offset: int | None
    organisation: str | None
    organisation_id: int | None
    permissions: tuple[str, ...]
    valid_subscription: bool
    user_ids: tuple[int, ...]
    organisations: tuple[OrganisationRef, ...]
    updated_at: datetime | None

    @property
    def zone(self) -> ZoneInfo | None:
        return zone_named(self.time_zone)


class User(msgspec.Struct, frozen=True):
    """A Tanda user (staff member), §4.2.2. `passcode` (a clock-in PIN) is not kept. A
    struct, as `Schedule` is: a large organisation's users are all read for the identity
    merge."""

    id: int
    name: str
    legal_first_name: str | None
    legal_last_name: str | None
    email: str | None
    employee_id: str | None
    phone: str | None
    normalised_phone: str | None
    date_of_birth: date | None
    employment_start_date: date | None
    employment_end_date: date | None
    active: bool
    department_ids: tuple[int, ...]
    report_department_id: int | None
    managed_department_ids: tuple[int, ...]
    time_zone: str | None
    utc_offset: int | None
    created_at: datetime | None
    updated_at: datetime | None

    @property
    def zone(self) -> ZoneInfo | None:
        """The user's IANA zone, for rendering their schedules and shifts in local time."""
        return zone_named(self.time_zone)


@dataclass(frozen=True, slots=True)
class Team:
    """A team (department), §4.7. `staff`/`managers` are None in an employee's view."""

    id: int
    location_id: int
    name: str
    export_name: str | None
    colour: str | None
    staff: tuple[int, ...] | None
    managers: tuple[int, ...] | None
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class Location:
    """A location, §4.8."""

    id: int
    name: str
    short_name: str | None
    address: str | None
    latitude: float | None
    longitude: float | None
    time_zone: str | None
    utc_offset: int | None
    updated_at: datetime | None

    @property
    def zone(self) -> ZoneInfo | None:
        return zone_named(self.time_zone)


class ScheduleBreak(msgspec.Struct, frozen=True):
    """A schedule's break. A struct, as `Schedule` is: built in C."""

    start: datetime | None
    finish: datetime | None
    length: int | None  # minutes
    paid: bool
    paid_meal_break: bool


class Schedule(msgspec.Struct, frozen=True, weakref=True):  # weakref: sources.memo.RowMemo
    """A scheduled (planned) shift in a roster, §4.4. `user_id` None is a vacant shift.

    A struct rather than a frozen dataclass, which sets each of its 13 fields through
    ``object.__setattr__``: a large organisation's week is 4,400 schedules, all built on a
    cold read."""

    id: int
    roster_id: int
    user_id: int | None
    start: datetime | None
    finish: datetime | None
    breaks: tuple[ScheduleBreak, ...]
    automatic_break_length: int | None  # minutes
    department_id: int | None
    shift_detail_id: int | None
    cost: float | None
    last_published_at: datetime | None
    acceptance_status: str | None
    updated_at: datetime | None

    @property
    def published(self) -> bool:
        return self.last_published_at is not None


@dataclass(frozen=True, slots=True)
class RosterDay:
    """One day of a roster (`DailyScheduleData`, undefined in the doc; §4.3)."""

    date: date
    schedules: tuple[Schedule, ...]


@dataclass(frozen=True, slots=True)
class Roster:
    """A roster week, §4.3: `start`..`finish` are local dates; `days` hold its schedules."""

    id: int
    start: date
    finish: date
    days: tuple[RosterDay, ...]
    cost: float | None
    updated_at: datetime | None

    @property
    def schedules(self) -> tuple[Schedule, ...]:
        return tuple(s for day in self.days for s in day.schedules)


class ShiftBreak(msgspec.Struct, frozen=True):
    """A worked shift's break. A struct, as `Shift` is: built in C."""

    id: int | None
    shift_id: int | None
    start: datetime | None
    finish: datetime | None
    length: int | None  # minutes
    paid: bool


class Shift(msgspec.Struct, frozen=True, weakref=True):  # weakref: sources.memo.RowMemo
    """A worked shift, §4.6. `status` is upper case (`PENDING`, `APPROVED`). A struct, as
    `Schedule` is."""

    id: int
    timesheet_id: int
    user_id: int
    date: date  # the local date worked
    start: datetime | None
    finish: datetime | None  # None while clocked in
    break_start: datetime | None
    break_finish: datetime | None
    break_length: int | None  # minutes
    breaks: tuple[ShiftBreak, ...]
    status: str
    department_id: int | None
    metadata: str | None
    leave_request_id: int | None
    approved_by: int | None
    approved_at: datetime | None
    cost: float | None
    updated_at: datetime | None

    @property
    def approved(self) -> bool:
        return self.status.upper() == "APPROVED"


@dataclass(frozen=True, slots=True, weakref_slot=True)  # see sources.memo.RowMemo
class Timesheet:
    """A user's timesheet for one pay period, with its shifts, §4.5 (status lower case)."""

    id: int
    user_id: int
    start: date
    finish: date
    status: str
    shifts: tuple[Shift, ...]
    cost: float | None
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class LeaveDay:
    """One day of a leave request's `daily_breakdown`."""

    date: date
    hours: float | None
    all_day: bool | None
    start: datetime | None  # UTC
    finish: datetime | None


@dataclass(frozen=True, slots=True, weakref_slot=True)  # see sources.memo.RowMemo
class LeaveRequest:
    """A leave request, §4.10 (status `pending`, `approved` or `rejected`)."""

    id: int
    user_id: int
    leave_type: str
    hours: float
    start: date
    finish: date
    status: str
    reason: str | None
    all_day: bool | None
    start_time: time | None  # local wall-clock time of day, when not all day
    finish_time: time | None
    daily_breakdown: tuple[LeaveDay, ...]
    department_id: int | None
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class LeaveBalance:
    """A leave balance, §4.11."""

    id: int
    user_id: int
    leave_type: str
    hours: float
    should_accrue: bool
    updated_at: datetime | None


# --------------------------------------------------------------------------- parsers


def _organisation_ref(f: Fields) -> OrganisationRef:
    return OrganisationRef(f.integer("id"), f.opt_text("name"), f.opt_integer("user_id"))


def current_user(f: Fields) -> CurrentUser:
    return CurrentUser(
        id=f.integer("id"),
        name=f.text("name"),
        email=f.opt_text("email"),
        time_zone=f.opt_text("time_zone"),
        utc_offset=f.opt_integer("utc_offset"),
        organisation=f.opt_text("organisation"),
        organisation_id=f.opt_integer("organisation_id"),
        permissions=f.texts("permissions"),
        valid_subscription=f.flag("valid_subscription", True),
        user_ids=f.ids("user_ids"),
        organisations=f.objects("organisations", "organisation", _organisation_ref),
        updated_at=f.opt_instant("updated_at"),
    )


def user(f: Fields) -> User:
    return User(
        id=f.integer("id"),
        name=f.text("name"),
        legal_first_name=f.opt_text("legal_first_name"),
        legal_last_name=f.opt_text("legal_last_name"),
        email=f.opt_text("email"),
        employee_id=f.opt_text("employee_id"),
        phone=f.opt_text("phone"),
        normalised_phone=f.opt_text("normalised_phone"),
        date_of_birth=f.opt_day("date_of_birth"),
        employment_start_date=f.opt_day("employment_start_date"),
        employment_end_date=f.opt_day("employment_end_date"),
        active=f.flag("active", True),
        department_ids=f.ids("department_ids"),
        report_department_id=f.opt_integer("report_department_id"),
        managed_department_ids=f.ids("managed_department_ids"),
        time_zone=f.opt_text("time_zone"),
        utc_offset=f.opt_integer("utc_offset"),
        created_at=f.opt_instant("created_at"),
        updated_at=f.opt_instant("updated_at"),
    )


def team(f: Fields) -> Team:
    return Team(
        id=f.integer("id"),
        location_id=f.integer("location_id"),
        name=f.text("name"),
        export_name=f.opt_text("export_name"),
        colour=f.opt_text("colour"),
        staff=f.opt_ids("staff"),
        managers=f.opt_ids("managers"),
        updated_at=f.opt_instant("updated_at"),
    )


def location(f: Fields) -> Location:
    return Location(
        id=f.integer("id"),
        name=f.text("name"),
        short_name=f.opt_text("short_name"),
        address=f.opt_text("address"),
        latitude=f.opt_number("latitude"),
        longitude=f.opt_number("longitude"),
        time_zone=f.opt_text("time_zone"),
        utc_offset=f.opt_integer("utc_offset"),
        updated_at=f.opt_instant("updated_at"),
    )


def _schedule_break(f: Fields) -> ScheduleBreak:
    # §4.4 / §7.4: the doc spells the flag both `paid_meal_breaks` and `paid_meal_break`.
    meal = f.opt_flag("paid_meal_breaks")
    if meal is None:
        meal = f.opt_flag("paid_meal_break")
    return ScheduleBreak(
        start=f.opt_instant("start"),
        finish=f.opt_instant("finish"),
        length=f.opt_integer("length"),
        paid=f.flag("paid", False),
        paid_meal_break=bool(meal),
    )


def schedule(f: Fields) -> Schedule:
    return Schedule(
        id=f.integer("id"),
        roster_id=f.integer("roster_id"),
        user_id=f.opt_integer("user_id"),
        start=f.opt_instant("start"),
        finish=f.opt_instant("finish"),
        breaks=f.objects("breaks", "schedule break", _schedule_break),
        automatic_break_length=f.opt_integer("automatic_break_length"),
        department_id=f.opt_integer("department_id"),
        shift_detail_id=f.opt_integer("shift_detail_id"),
        cost=f.opt_number("cost"),
        last_published_at=f.opt_instant("last_published_at"),
        acceptance_status=f.opt_text("acceptance_status"),
        updated_at=f.opt_instant("updated_at"),
    )


def _roster_day(f: Fields) -> RosterDay:
    return RosterDay(f.day("date"), f.objects("schedules", "schedule", schedule))


def _roster(f: Fields, days: Callable[[Fields], tuple[RosterDay, ...]]) -> Roster:
    return Roster(
        id=f.integer("id"),
        start=f.day("start"),
        finish=f.day("finish"),
        days=days(f),
        cost=f.opt_number("cost"),
        updated_at=f.opt_instant("updated_at"),
    )


def roster(f: Fields) -> Roster:
    return _roster(f, lambda f: f.required_objects("schedules", "roster day", _roster_day))


def roster_header(f: Fields) -> Roster:
    """A roster without its schedules (`days` empty): what `GET /rosters/on/{date}` with
    `page_size=1` is read for; its schedules are read from `GET /schedules`."""
    return _roster(f, lambda f: ())


def _shift_break(f: Fields) -> ShiftBreak:
    return ShiftBreak(
        id=f.opt_integer("id"),
        shift_id=f.opt_integer("shift_id"),
        start=f.opt_instant("start"),
        finish=f.opt_instant("finish"),
        length=f.opt_integer("length"),
        paid=f.flag("paid", False),
    )


def shift(f: Fields) -> Shift:
    return Shift(
        id=f.integer("id"),
        timesheet_id=f.integer("timesheet_id"),
        user_id=f.integer("user_id"),
        date=f.day("date"),
        start=f.opt_instant("start"),
        finish=f.opt_instant("finish"),
        break_start=f.opt_instant("break_start"),
        break_finish=f.opt_instant("break_finish"),
        break_length=f.opt_integer("break_length"),
        breaks=f.objects("breaks", "shift break", _shift_break),
        status=f.text("status"),
        department_id=f.opt_integer("department_id"),
        metadata=f.opt_text("metadata"),
        leave_request_id=f.opt_integer("leave_request_id"),
        approved_by=f.opt_integer("approved_by"),
        approved_at=f.opt_instant("approved_at"),
        cost=f.opt_number("cost"),
        updated_at=f.opt_instant("updated_at"),
    )


def timesheet(f: Fields) -> Timesheet:
    return Timesheet(
        id=f.integer("id"),
        user_id=f.integer("user_id"),
        start=f.day("start"),
        finish=f.day("finish"),
        status=f.text("status"),
        shifts=f.required_objects("shifts", "shift", shift),
        cost=f.opt_number("cost"),
        updated_at=f.opt_instant("updated_at"),
    )


def _leave_day(f: Fields, day: date | None = None) -> LeaveDay:
    return LeaveDay(
        date=day if day is not None else f.day("date"),
        hours=f.opt_number("hours"),
        all_day=f.opt_flag("all_day"),
        start=f.opt_iso_instant("start_time"),
        finish=f.opt_iso_instant("finish_time"),
    )


def _daily_breakdown(f: Fields, route: str) -> tuple[LeaveDay, ...]:
    value = f.raw("daily_breakdown")
    if value is None:
        return ()
    if isinstance(value, list):  # the create example's shape (§7.5)
        return f.objects("daily_breakdown", "leave day", _leave_day)
    if not isinstance(value, Mapping):
        raise UpstreamBadResponseError(
            f"Tanda answered {route} with a leave request whose 'daily_breakdown' is neither "
            "an object nor a list.",
            upstream=UPSTREAM,
        )
    days: list[LeaveDay] = []
    for key, item in value.items():
        day = parse_wire_date(key)
        if day is None:
            raise UpstreamBadResponseError(
                f"Tanda answered {route} with a leave request whose 'daily_breakdown' has a "
                "key that is not a date.",
                upstream=UPSTREAM,
            )
        days.append(_leave_day(Fields(item, "leave day", route), day))
    return tuple(sorted(days, key=lambda d: d.date))


def leave_request(f: Fields, route: str) -> LeaveRequest:
    return LeaveRequest(
        id=f.integer("id"),
        user_id=f.integer("user_id"),
        leave_type=f.text("leave_type"),
        hours=f.number("hours"),
        start=f.day("start"),
        finish=f.day("finish"),
        status=f.text("status"),
        reason=f.opt_text("reason"),
        all_day=f.opt_flag("all_day"),
        start_time=f.opt_wall_time("start_time"),
        finish_time=f.opt_wall_time("finish_time"),
        daily_breakdown=_daily_breakdown(f, route),
        department_id=f.opt_integer("department_id"),
        updated_at=f.opt_instant("updated_at"),
    )


def leave_balance(f: Fields) -> LeaveBalance:
    return LeaveBalance(
        id=f.integer("id"),
        user_id=f.integer("user_id"),
        leave_type=f.text("leave_type"),
        hours=f.number("hours"),
        should_accrue=f.flag("should_accrue", False),
        updated_at=f.opt_instant("updated_at"),
    )


# --------------------------------------------------------------------------- entry points

Parser = Callable[[object, str], M]


def _one(kind: str, parse: Callable[[Fields], M]) -> Callable[[object, str], M]:
    def parse_one(value: object, route: str) -> M:
        return parse(Fields(value, kind, route))

    return parse_one


def _leave_one(value: object, route: str) -> LeaveRequest:
    return leave_request(Fields(value, "leave request", route), route)


parse_current_user = _one("current user", current_user)
parse_user = _one("user", user)
parse_team = _one("team", team)
parse_location = _one("location", location)
parse_schedule = _one("schedule", schedule)
parse_roster = _one("roster", roster)
parse_roster_header = _one("roster", roster_header)
parse_shift = _one("shift", shift)
parse_timesheet = _one("timesheet", timesheet)
parse_leave_request = _leave_one
parse_leave_balance = _one("leave balance", leave_balance)


def parse_list(body: object, route: str, parse: Callable[[object, str], M]) -> tuple[M, ...]:
    """A JSON array of objects (every Tanda list is a bare array, §3.8)."""
    if not isinstance(body, list):
        raise UpstreamBadResponseError(
            f"Tanda answered {route} with something other than a JSON array.",
            upstream=UPSTREAM,
        )
    return tuple(parse(item, route) for item in body)


__all__ = [
    "CurrentUser",
    "Fields",
    "LeaveBalance",
    "LeaveDay",
    "LeaveRequest",
    "Location",
    "OrganisationRef",
    "Roster",
    "RosterDay",
    "Schedule",
    "ScheduleBreak",
    "Shift",
    "ShiftBreak",
    "Team",
    "Timesheet",
    "User",
    "parse_current_user",
    "parse_iso",
    "parse_leave_balance",
    "parse_leave_request",
    "parse_list",
    "parse_location",
    "parse_roster",
    "parse_roster_header",
    "parse_schedule",
    "parse_shift",
    "parse_team",
    "parse_timesheet",
    "parse_user",
    "parse_wire_date",
    "zone_named",
]
