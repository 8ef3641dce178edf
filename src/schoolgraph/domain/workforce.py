"""The workforce side (Tanda): locations, teams, rosters, shifts, timesheets, leave.

Every datetime is aware UTC; every date a calendar ``date``. Staff references are merged
Staff ids (see ``people.Staff``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from msgspec import Struct

from schoolgraph.domain.refs import SourceRef

__all__ = [
    "LeaveRequest",
    "Location",
    "Roster",
    "ScheduledShift",
    "Shift",
    "ShiftStatus",
    "Team",
    "Timesheet",
    "TimesheetStatus",
]

ShiftStatus = Literal["PENDING", "APPROVED"]
TimesheetStatus = Literal["pending", "approved", "exported"]


class Location(Struct, frozen=True, gc=False):
    """A workplace."""

    id: str
    name: str
    short_name: str | None
    address: str | None
    time_zone: str | None
    sources: tuple[SourceRef, ...]


class Team(Struct, frozen=True, gc=False):
    """A team (Tanda "department") at a location."""

    id: str
    location_id: str
    name: str
    staff_ids: tuple[str, ...]
    manager_ids: tuple[str, ...]
    sources: tuple[SourceRef, ...]


class Roster(Struct, frozen=True, gc=False):
    """A roster week, ``start`` to ``finish`` inclusive."""

    id: str
    start: date
    finish: date
    sources: tuple[SourceRef, ...]


class ScheduledShift(Struct, frozen=True, gc=False):
    """A planned shift in a roster; ``staff_id`` ``None`` is a vacant shift.

    ``start``/``finish`` are ``None`` only for a schedule Tanda holds without times.
    """

    id: str
    roster_id: str
    staff_id: str | None
    team_id: str | None
    start: datetime | None
    finish: datetime | None
    break_minutes: int | None
    published_at: datetime | None
    updated_at: datetime | None
    sources: tuple[SourceRef, ...]


class Shift(Struct, frozen=True, gc=False):
    """A worked shift on a timesheet; ``finish`` ``None`` means still clocked in."""

    id: str
    timesheet_id: str
    staff_id: str
    date: date
    start: datetime | None
    finish: datetime | None
    break_minutes: int | None
    status: ShiftStatus
    team_id: str | None
    leave_request_id: str | None
    updated_at: datetime | None
    sources: tuple[SourceRef, ...]


class Timesheet(Struct, frozen=True, gc=False):
    """A person's timesheet for one pay period."""

    id: str
    staff_id: str
    start: date
    finish: date
    status: TimesheetStatus
    sources: tuple[SourceRef, ...]


class LeaveRequest(Struct, frozen=True, gc=False):
    """A leave request, ``start`` to ``finish`` inclusive."""

    id: str
    staff_id: str
    leave_type: str
    reason: str | None
    start: date
    finish: date
    hours: float
    status: str
    sources: tuple[SourceRef, ...]
