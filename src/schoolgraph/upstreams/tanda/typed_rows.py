"""Tanda lists decoded straight from the bytes into row structs, where the rows allow it.

`models.parse_list` reads a list the general way: orjson builds a dict for every row, with
every field Tanda sends (a schedule has 17, the model keeps 13), and `models.Fields` then
reads each kept field through a Python call that accepts every form the doc allows (numeric
strings, floats, `"true"`). A large organisation's week of schedules is 4,400 rows in one
1.8 MB answer: 6 to 10 ms to decode and 26 to 28 ms to read (about 6 us a row).

A :class:`TypedList` decodes the same bytes with msgspec into wire structs that name only
the kept fields, in their documented types (unix seconds and ids as whole numbers, flags as
booleans), skipping the rest in C, and builds the models from the structs: the same 4,400
schedules in 8 to 10 ms. Schedules, worked shifts and users are read this way. An answer not
exactly in that shape (a numeric string, a float where a whole number is documented, a row
without a required field, a time beyond `datetime`'s range) is read the general way
instead, so what a list reads as, and every error it raises, stay the general reading's;
property tests compare the two.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from types import GenericAlias
from typing import Annotated, Any, Generic, TypeVar

import msgspec

from .models import (
    Schedule,
    ScheduleBreak,
    Shift,
    ShiftBreak,
    User,
    _unix_instant,
    parse_schedule,
    parse_shift,
    parse_user,
    parse_wire_date,
)

__all__ = ["TYPED_OFF_LOOP_BYTES", "TypedList", "typed_reading"]

TYPED_OFF_LOOP_BYTES = 256 * 1024
"""Answers at least this large are read typed on a worker thread; smaller ones on the loop.

Decoding and building together cost 3.5 to 10 us a KB (users, shifts), so an answer under
256 KB holds the loop 1 to 2.5 ms. A page of a chain (100 users, 100 KB) read here is done
before the next page is asked for, as the general reading's decode is
(`off_loop.DECODE_OFF_LOOP_BYTES`); on a worker thread it would queue behind the rows
other answers are building there, and the next page would go out that much later."""

W = TypeVar("W")
M = TypeVar("M")


class TypedList(Generic[W, M]):
    """A list's rows decoded into wire structs ``W`` and built into models ``M``.

    Args:
        wire: The wire struct of one row.
        build: The model of one wire row; it may raise ``OverflowError``, ``OSError`` or
            ``ValueError`` (a time out of range), which sends the answer the general way.
    """

    def __init__(self, wire: type[W], build: Callable[[W], M]) -> None:
        self._decoder = msgspec.json.Decoder(GenericAlias(list, (wire,)))  # list[wire]
        self._build = build

    def decode(self, body: bytes) -> tuple[M, ...] | None:
        """The models of a JSON array in the wire shape; None when it is not in it."""
        try:
            rows: list[W] = self._decoder.decode(body)
            build = self._build
            return tuple([build(row) for row in rows])
        except (msgspec.DecodeError, OverflowError, OSError, ValueError):
            return None


Whole = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
"""A whole number as orjson reads it exactly: it reads one beyond 64 bits as a float, which
the general reading refuses where it is not a float's whole number, so those are left to it."""


def _instant(seconds: int | None) -> datetime | None:
    return None if seconds is None else _unix_instant(seconds)


class ScheduleBreakWire(msgspec.Struct, frozen=True):
    """A schedule's break as `models._schedule_break` reads it (§4.4)."""

    start: Whole | None = None
    finish: Whole | None = None
    length: Whole | None = None
    paid: bool | None = None
    paid_meal_breaks: bool | None = None
    paid_meal_break: bool | None = None


class ScheduleWire(msgspec.Struct, frozen=True):
    """A schedule as `models.schedule` reads it (§4.4)."""

    id: Whole
    roster_id: Whole
    user_id: Whole | None = None
    start: Whole | None = None
    finish: Whole | None = None
    breaks: list[ScheduleBreakWire] | None = None
    automatic_break_length: Whole | None = None
    department_id: Whole | None = None
    shift_detail_id: Whole | None = None
    cost: float | None = None
    last_published_at: Whole | None = None
    acceptance_status: str | None = None
    updated_at: Whole | None = None


def _schedule_break(wire: ScheduleBreakWire) -> ScheduleBreak:
    meal = wire.paid_meal_breaks
    return ScheduleBreak(
        start=_instant(wire.start),
        finish=_instant(wire.finish),
        length=wire.length,
        paid=bool(wire.paid),
        paid_meal_break=bool(wire.paid_meal_break if meal is None else meal),
    )


def schedule(wire: ScheduleWire) -> Schedule:
    """`models.schedule` of a row in the wire shape."""
    return Schedule(
        id=wire.id,
        roster_id=wire.roster_id,
        user_id=wire.user_id,
        start=_instant(wire.start),
        finish=_instant(wire.finish),
        breaks=tuple([_schedule_break(b) for b in wire.breaks]) if wire.breaks else (),
        automatic_break_length=wire.automatic_break_length,
        department_id=wire.department_id,
        shift_detail_id=wire.shift_detail_id,
        cost=wire.cost,
        last_published_at=_instant(wire.last_published_at),
        acceptance_status=wire.acceptance_status,
        updated_at=_instant(wire.updated_at),
    )


class ShiftBreakWire(msgspec.Struct, frozen=True):
    """A worked shift's break as `models._shift_break` reads it (§4.6)."""

    id: Whole | None = None
    shift_id: Whole | None = None
    start: Whole | None = None
    finish: Whole | None = None
    length: Whole | None = None
    paid: bool | None = None


class ShiftWire(msgspec.Struct, frozen=True):
    """A worked shift as `models.shift` reads it (§4.6)."""

    id: Whole
    timesheet_id: Whole
    user_id: Whole
    date: str
    status: str
    start: Whole | None = None
    finish: Whole | None = None
    break_start: Whole | None = None
    break_finish: Whole | None = None
    break_length: Whole | None = None
    breaks: list[ShiftBreakWire] | None = None
    department_id: Whole | None = None
    metadata: str | None = None
    leave_request_id: Whole | None = None
    approved_by: Whole | None = None
    approved_at: Whole | None = None
    cost: float | None = None
    updated_at: Whole | None = None


def _day(text: str) -> date:
    found = parse_wire_date(text)
    if found is None:
        raise ValueError("not a date")  # the general reading names the field
    return found


def _shift_break(wire: ShiftBreakWire) -> ShiftBreak:
    return ShiftBreak(
        id=wire.id,
        shift_id=wire.shift_id,
        start=_instant(wire.start),
        finish=_instant(wire.finish),
        length=wire.length,
        paid=bool(wire.paid),
    )


def shift(wire: ShiftWire) -> Shift:
    """`models.shift` of a row in the wire shape."""
    return Shift(
        id=wire.id,
        timesheet_id=wire.timesheet_id,
        user_id=wire.user_id,
        date=_day(wire.date),
        start=_instant(wire.start),
        finish=_instant(wire.finish),
        break_start=_instant(wire.break_start),
        break_finish=_instant(wire.break_finish),
        break_length=wire.break_length,
        breaks=tuple([_shift_break(b) for b in wire.breaks]) if wire.breaks else (),
        status=wire.status,
        department_id=wire.department_id,
        metadata=wire.metadata,
        leave_request_id=wire.leave_request_id,
        approved_by=wire.approved_by,
        approved_at=_instant(wire.approved_at),
        cost=wire.cost,
        updated_at=_instant(wire.updated_at),
    )


class UserWire(msgspec.Struct, frozen=True):
    """A user as `models.user` reads it (§4.2.2)."""

    id: Whole
    name: str
    legal_first_name: str | None = None
    legal_last_name: str | None = None
    email: str | None = None
    employee_id: str | None = None
    phone: str | None = None
    normalised_phone: str | None = None
    date_of_birth: str | None = None
    employment_start_date: str | None = None
    employment_end_date: str | None = None
    active: bool | None = None
    department_ids: list[Whole] | None = None
    report_department_id: Whole | None = None
    managed_department_ids: list[Whole] | None = None
    time_zone: str | None = None
    utc_offset: Whole | None = None
    created_at: Whole | None = None
    updated_at: Whole | None = None


def _opt_day(text: str | None) -> date | None:
    return None if text is None else _day(text)


def user(wire: UserWire) -> User:
    """`models.user` of a row in the wire shape."""
    return User(
        id=wire.id,
        name=wire.name,
        legal_first_name=wire.legal_first_name,
        legal_last_name=wire.legal_last_name,
        email=wire.email,
        employee_id=wire.employee_id,
        phone=wire.phone,
        normalised_phone=wire.normalised_phone,
        date_of_birth=_opt_day(wire.date_of_birth),
        employment_start_date=_opt_day(wire.employment_start_date),
        employment_end_date=_opt_day(wire.employment_end_date),
        active=True if wire.active is None else wire.active,
        department_ids=tuple(wire.department_ids) if wire.department_ids else (),
        report_department_id=wire.report_department_id,
        managed_department_ids=(
            tuple(wire.managed_department_ids) if wire.managed_department_ids else ()
        ),
        time_zone=wire.time_zone,
        utc_offset=wire.utc_offset,
        created_at=_instant(wire.created_at),
        updated_at=_instant(wire.updated_at),
    )


_TYPED: dict[object, TypedList[Any, Any]] = {
    parse_schedule: TypedList(ScheduleWire, schedule),
    parse_shift: TypedList(ShiftWire, shift),
    parse_user: TypedList(UserWire, user),
}


def typed_reading(parse: Callable[[object, str], M]) -> TypedList[Any, M] | None:
    """The typed reading of the lists a row parser (`models.parse_*`) reads, if it has one."""
    return _TYPED.get(parse)
