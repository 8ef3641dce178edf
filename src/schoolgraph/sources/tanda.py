"""Tanda (Workforce.com) in the domain model: the workforce side, and Tanda users as people.

The only code that knows both `upstreams.tanda` models and `domain`. Every Tanda id becomes
``"tanda:<organisation>:<id>"``; a user id becomes the merged Staff id of its person (through
`identity.MergedStaff`), everywhere a row names a user.

Readings (see `shared/upstreams/tanda.md` for the wire):

* Tanda "departments" are `Team`s; a schedule is a `ScheduledShift` and a timesheet shift a
  `Shift`.
* Break minutes: a schedule's automatic break length, else the sum of its breaks' lengths; a
  shift's `break_length`, else the sum of its breaks.
* Writes take break minutes; Tanda records a shift's break as a start and a finish, so the
  break is placed in the middle of the shift.
* Tanda's refusals of a write (HTTP 400/409/422) become `BadRequestError` carrying Tanda's
  own message, 403 `ForbiddenError`, 404 `NotFoundError`.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Collection, Mapping, Sequence
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any, TypeVar

from msgspec.structs import replace

from schoolgraph.domain import (
    Change,
    ChangeKind,
    LeaveRequest,
    Location,
    Roster,
    ScheduledShift,
    Shift,
    ShiftStatus,
    SourceRef,
    Staff,
    System,
    Team,
    Timesheet,
    TimesheetStatus,
    entity_id,
    split_id,
)
from schoolgraph.errors import (
    BadRequestError,
    ForbiddenError,
    NotFoundError,
    SchoolgraphError,
)
from schoolgraph.identity.matching import WorkerRecord
from schoolgraph.sources.identity import MergedStaff
from schoolgraph.sources.memo import ListMemo, RowMemo
from schoolgraph.upstreams import tanda as td

__all__ = ["SCHEDULED_SHIFT_FIELDS", "SHIFT_FIELDS", "TandaSource", "Worker"]

SYSTEM = System.TANDA
TANDA_SCOPE = "tanda"
"""The scope of the workforce side in an account's schools (accounts.models.TANDA_SCOPE)."""
UPSTREAM = "tanda"
T = TypeVar("T")
Worker = tuple[WorkerRecord, Staff]
SHIFT_FIELDS = frozenset({"date", "start", "finish", "team_id", "break_minutes", "status"})
SCHEDULED_SHIFT_FIELDS = frozenset({"staff_id", "start", "finish", "team_id", "break_minutes"})


class TandaSource:
    """One Tanda organisation, read and written through one `TandaClient`."""

    def __init__(self, client: td.TandaClient) -> None:
        self.client = client
        self._tenant: str | None = None
        self._lists = ListMemo()
        self._index: MergedStaff | None = None
        self._schedules: RowMemo[td.Schedule, ScheduledShift] = RowMemo()
        # The same rows with `staff_id` unset: everything but the merge (see `_unassigned`).
        self._unassigned_schedules: RowMemo[td.Schedule, ScheduledShift] = RowMemo()
        self._shifts: RowMemo[td.Shift, Shift] = RowMemo()
        self._timesheets: RowMemo[td.Timesheet, Timesheet] = RowMemo()
        self._leave: RowMemo[td.LeaveRequest, LeaveRequest] = RowMemo()

    # -- ids ------------------------------------------------------------------------------

    async def tenant(self) -> str:
        """The organisation id the credentials act in (asked once when not configured)."""
        if self._tenant is None:
            configured = self.client.config.organisation_id
            if configured is None:
                configured = (await self.client.me()).organisation_id
            self._tenant = str(configured) if configured is not None else "default"
        return self._tenant

    def _id(self, tenant: str, native: int) -> str:
        return entity_id(SYSTEM, tenant, str(native))

    def _ref(self, tenant: str, native: int) -> tuple[SourceRef, ...]:
        return (SourceRef(SYSTEM, tenant, str(native)),)

    def native(self, tenant: str, value: str) -> int | None:
        """The native Tanda id in a domain id of this organisation; None when it is not one."""
        parts = split_id(value)
        if parts is None or parts[0] is not SYSTEM or parts[1] != tenant:
            return None
        return int(parts[2]) if parts[2].isdigit() else None

    def _natives(self, tenant: str, ids: Collection[str]) -> set[int]:
        """The native ids among ``ids``; the others cannot name a row here and are left out."""
        return {n for i in ids if (n := self.native(tenant, i)) is not None}

    def require_native(self, tenant: str, value: str, field: str) -> int:
        native = self.native(tenant, value)
        if native is None:
            raise BadRequestError(f"{field} '{value}' is not an id of this Tanda organisation.")
        return native

    def user_of(self, index: MergedStaff, staff_id: str) -> int:
        """The Tanda user id of a merged Staff id, for a write that names a person."""
        user = index.user_of_staff.get(staff_id)
        if user is None:
            if staff_id in index.staff:
                raise BadRequestError(
                    f"staff_id '{staff_id}' has no Tanda user, so has no shifts or schedules."
                )
            raise BadRequestError(f"staff_id '{staff_id}' is not a known member of staff.")
        return user

    def _team(self, tenant: str, team_id: object) -> int | None:
        if team_id is None:
            return None
        if not isinstance(team_id, str):
            raise BadRequestError(f"team_id must be a Team id, got {team_id!r}.")
        return self.require_native(tenant, team_id, "team_id")

    def _staff_id(self, tenant: str, index: MergedStaff, user_id: int) -> str:
        return index.staff_of_user.get(user_id) or self._id(tenant, user_id)

    def _rows_for(self, index: MergedStaff) -> None:
        """Row memos depend on the user -> Staff mapping; start afresh when it changes."""
        if self._index is not index:
            self._index = index
            for memo in (self._schedules, self._shifts, self._timesheets, self._leave):
                memo.clear()

    # -- webhooks -------------------------------------------------------------------------

    async def apply_notification(self, notification: td.Notification) -> tuple[Change, ...]:
        """Evict what a webhook says changed, and name the changed shifts and schedules.

        Topics of other families (users, teams, leave) only evict: their subscriptions are
        not served from Tanda.
        """
        self.client.invalidate_topic(notification.topic)
        tenant = await self.tenant()
        native = notification.record_id
        family, _, event = notification.topic.partition(".")
        if native is None or notification.organisation_id != tenant:
            return ()
        if family == "shift":
            return (Change(ChangeKind.SHIFT, self._id(tenant, native), TANDA_SCOPE),)
        if family == "schedule":
            body = notification.body
            team, roster = body.get("department_id"), body.get("roster_id")
            return (
                Change(
                    ChangeKind.SCHEDULED_SHIFT,
                    self._id(tenant, native),
                    TANDA_SCOPE,
                    deleted=event == "destroyed",
                    team_id=self._id(tenant, team) if isinstance(team, int) else None,
                    roster_id=self._id(tenant, roster) if isinstance(roster, int) else None,
                ),
            )
        return ()

    # -- users ----------------------------------------------------------------------------

    async def users(self) -> tuple[td.User, ...]:
        """Every user, deactivated ones too: the input of the identity merge."""
        return await self.client.users(include_inactive=True)

    def workers(self, tenant: str, users: Sequence[td.User]) -> tuple[Worker, ...]:
        """Each user's matching record and its Tanda-only Staff."""
        return self._lists.get(("workers", tenant), (users,), lambda: self._workers(tenant, users))

    def _workers(self, tenant: str, users: Sequence[td.User]) -> tuple[Worker, ...]:
        prefix = entity_id(SYSTEM, tenant, "")
        out: list[Worker] = []
        for user in users:
            first, _, last = user.name.partition(" ")
            native = str(user.id)
            staff_id = prefix + native
            staff = Staff(
                id=staff_id,
                school_id=None,
                tanda_user_id=staff_id,
                title=None,
                forename=user.legal_first_name or first or None,
                surname=user.legal_last_name or last or None,
                display_name=user.name,
                email=user.email,
                staff_code=None,
                payroll_number=None,
                job_title=None,
                is_teacher=None,
                active=user.active,
                leaving_date=user.employment_end_date,
                time_zone=user.time_zone,
                team_ids=tuple(prefix + str(d) for d in user.department_ids),
                match_rule=None,
                match_candidates=(),
                sources=(SourceRef(SYSTEM, tenant, native),),
            )
            out.append((WorkerRecord(native, user.employee_id, user.email), staff))
        return tuple(out)

    # -- teams and locations --------------------------------------------------------------

    async def teams(
        self, tenant: str, index: MergedStaff | Awaitable[MergedStaff]
    ) -> Mapping[str, Team]:
        rows, users = await asyncio.gather(self.client.teams(), self.users())
        index = await _settled(index)
        return self._lists.get(
            ("teams", tenant), (rows, users, index), lambda: self._teams(tenant, rows, users, index)
        )

    def _teams(
        self,
        tenant: str,
        rows: Sequence[td.Team],
        users: Sequence[td.User],
        index: MergedStaff,
    ) -> Mapping[str, Team]:
        members: dict[int, list[int]] = {}
        managers: dict[int, list[int]] = {}
        for user in users:
            for department in user.department_ids:
                members.setdefault(department, []).append(user.id)
            for department in user.managed_department_ids:
                managers.setdefault(department, []).append(user.id)
        out: dict[str, Team] = {}
        for row in rows:
            # A team lists its staff only with the right scope; the users' side always does.
            staff = row.staff if row.staff is not None else members.get(row.id, ())
            leads = row.managers if row.managers is not None else managers.get(row.id, ())
            team = Team(
                id=self._id(tenant, row.id),
                location_id=self._id(tenant, row.location_id),
                name=row.name,
                staff_ids=tuple(self._staff_id(tenant, index, u) for u in staff),
                manager_ids=tuple(self._staff_id(tenant, index, u) for u in leads),
                sources=self._ref(tenant, row.id),
            )
            out[team.id] = team
        return MappingProxyType(out)

    async def locations(self, tenant: str) -> Mapping[str, Location]:
        rows = await self.client.locations()
        return self._lists.get(
            ("locations", tenant), (rows,), lambda: self._locations(tenant, rows)
        )

    def _locations(self, tenant: str, rows: Sequence[td.Location]) -> Mapping[str, Location]:
        out: dict[str, Location] = {}
        for row in rows:
            location = Location(
                id=self._id(tenant, row.id),
                name=row.name,
                short_name=row.short_name,
                address=row.address,
                time_zone=row.time_zone,
                sources=self._ref(tenant, row.id),
            )
            out[location.id] = location
        return MappingProxyType(out)

    # -- rosters --------------------------------------------------------------------------

    def _roster(self, tenant: str, row: td.Roster) -> Roster:
        return self._lists.get(
            ("roster", tenant, row.id),
            (row,),
            lambda: Roster(
                id=self._id(tenant, row.id),
                start=row.start,
                finish=row.finish,
                sources=self._ref(tenant, row.id),
            ),
        )

    async def rosters(self, tenant: str, start: date, end: date) -> Sequence[Roster]:
        """The rosters (weeks) overlapping ``start`` to ``end``: one cached read per week.

        Days a week apart from ``start`` fall in different rosters, so they are read side
        by side; ``end`` is read after them only if none of theirs holds it (a window
        that does not start on the organisation's first day of the week).
        """
        days: list[date] = []
        day = start
        while day <= end:
            days.append(day)
            day += timedelta(days=7)
        found = list(await asyncio.gather(*(self.client.roster_on(d) for d in days)))
        if days[-1] != end and not any(r.start <= end <= r.finish for r in found if r):
            found.append(await self.client.roster_on(end))
        unique = {r.id: r for r in found if r is not None}
        return sorted(
            (self._roster(tenant, r) for r in unique.values()), key=lambda r: (r.start, r.id)
        )

    async def roster(self, tenant: str, roster_id: str) -> Roster | None:
        native = self.native(tenant, roster_id)
        if native is None:
            return None
        row = await self.client.roster(native)
        return self._roster(tenant, row) if row is not None else None

    async def current_roster(self, tenant: str) -> Roster | None:
        row = await self.client.current_roster()
        return self._roster(tenant, row) if row is not None else None

    # -- scheduled shifts -----------------------------------------------------------------

    def _unassigned(self, tenant: str, rows: Sequence[td.Schedule]) -> list[ScheduledShift]:
        """The domain rows of ``rows`` with `staff_id` left unset: all of a schedule that does
        not need the identity merge, built as soon as the rows arrive. A week's roster comes
        in while Tanda's users are still paging (the merge needs them all); 4,392 shifts took
        14 to 21 ms to build after the merge, and setting their staff takes 1 to 2."""

        def convert(row: td.Schedule) -> ScheduledShift:
            breaks = _break_minutes(row.automatic_break_length, row.breaks)
            return ScheduledShift(
                id=self._id(tenant, row.id),
                roster_id=self._id(tenant, row.roster_id),
                staff_id=None,
                team_id=(
                    self._id(tenant, row.department_id) if row.department_id is not None else None
                ),
                start=row.start,
                finish=row.finish,
                break_minutes=breaks,
                published_at=row.last_published_at,
                updated_at=row.updated_at,
                sources=self._ref(tenant, row.id),
            )

        return self._unassigned_schedules.map(rows, convert)

    def _scheduled(
        self, tenant: str, index: MergedStaff, rows: Sequence[td.Schedule]
    ) -> list[ScheduledShift]:
        self._rows_for(index)
        # Read only when a row was not assigned before (a warm read assigns none). `rows`
        # keeps every row alive for this call, so their ids are theirs throughout.
        unassigned: dict[int, ScheduledShift] = {}

        def convert(row: td.Schedule) -> ScheduledShift:
            if not unassigned:
                unassigned.update(zip(map(id, rows), self._unassigned(tenant, rows), strict=True))
            shift = unassigned[id(row)]
            if row.user_id is None:
                return shift  # vacant
            return replace(shift, staff_id=self._staff_id(tenant, index, row.user_id))

        return self._schedules.map(rows, convert)

    async def scheduled_shifts(
        self,
        tenant: str,
        index: MergedStaff | Awaitable[MergedStaff],
        user_ids: Collection[int] | None,
        start: date,
        end: date,
    ) -> Sequence[ScheduledShift]:
        rows = await self.client.schedules_for_users(user_ids, start, end)
        if inspect.isawaitable(index):
            self._unassigned(tenant, rows)  # now, while the merge is still coming
        return self._scheduled(tenant, await _settled(index), rows)

    async def scheduled_shifts_by_ids(
        self, tenant: str, index: MergedStaff, ids: Collection[str]
    ) -> Mapping[str, ScheduledShift]:
        natives = self._natives(tenant, ids)
        if not natives:
            return {}
        rows = await self.client.schedules_by_ids(natives)
        return {s.id: s for s in self._scheduled(tenant, index, list(rows.values()))}

    # -- shifts, timesheets, leave --------------------------------------------------------

    def _shift_rows(self, tenant: str, index: MergedStaff, rows: Sequence[td.Shift]) -> list[Shift]:
        self._rows_for(index)

        def convert(row: td.Shift) -> Shift:
            breaks = _break_minutes(row.break_length, row.breaks)
            status: ShiftStatus = "APPROVED" if row.status.upper() == "APPROVED" else "PENDING"
            return Shift(
                id=self._id(tenant, row.id),
                timesheet_id=self._id(tenant, row.timesheet_id),
                staff_id=self._staff_id(tenant, index, row.user_id),
                date=row.date,
                start=row.start,
                finish=row.finish,
                break_minutes=breaks,
                status=status,
                team_id=(
                    self._id(tenant, row.department_id) if row.department_id is not None else None
                ),
                leave_request_id=(
                    self._id(tenant, row.leave_request_id)
                    if row.leave_request_id is not None
                    else None
                ),
                updated_at=row.updated_at,
                sources=self._ref(tenant, row.id),
            )

        return self._shifts.map(rows, convert)

    async def shifts(
        self,
        tenant: str,
        index: MergedStaff | Awaitable[MergedStaff],
        user_ids: Collection[int] | None,
        start: date,
        end: date,
    ) -> Sequence[Shift]:
        rows = await self.client.shifts_for_users(user_ids, start, end)
        return self._shift_rows(tenant, await _settled(index), rows)

    async def shifts_by_ids(
        self, tenant: str, index: MergedStaff, ids: Collection[str]
    ) -> Mapping[str, Shift]:
        natives = self._natives(tenant, ids)
        if not natives:
            return {}
        rows = await self.client.shifts_by_ids(natives)
        return {s.id: s for s in self._shift_rows(tenant, index, list(rows.values()))}

    async def timesheets(
        self,
        tenant: str,
        index: MergedStaff | Awaitable[MergedStaff],
        user_ids: Collection[int] | None,
        on: date,
    ) -> Sequence[Timesheet]:
        # One (paginated, cached) list of everyone's timesheets, filtered here: the request
        # count does not grow with the number of staff asked for.
        rows = await self.client.timesheets_on(on)
        if user_ids is not None:
            wanted = user_ids if isinstance(user_ids, set | frozenset) else set(user_ids)
            rows = tuple(r for r in rows if r.user_id in wanted)
        index = await _settled(index)
        self._rows_for(index)

        def convert(row: td.Timesheet) -> Timesheet:
            status = row.status.lower()
            known: TimesheetStatus = "pending"
            if status == "approved":
                known = "approved"
            elif status == "exported":
                known = "exported"
            return Timesheet(
                id=self._id(tenant, row.id),
                staff_id=self._staff_id(tenant, index, row.user_id),
                start=row.start,
                finish=row.finish,
                status=known,
                sources=self._ref(tenant, row.id),
            )

        return self._timesheets.map(rows, convert)

    async def leave_requests(
        self,
        tenant: str,
        index: MergedStaff | Awaitable[MergedStaff],
        user_ids: Collection[int] | None,
        start: date,
        end: date,
    ) -> Sequence[LeaveRequest]:
        # Deactivated users stay people (leavers), so their leave is read too.
        rows = await self.client.leave_requests(
            user_ids=user_ids, start=start, finish=end, include_inactive=True
        )
        index = await _settled(index)
        self._rows_for(index)

        def convert(row: td.LeaveRequest) -> LeaveRequest:
            return LeaveRequest(
                id=self._id(tenant, row.id),
                staff_id=self._staff_id(tenant, index, row.user_id),
                leave_type=row.leave_type,
                reason=row.reason,
                start=row.start,
                finish=row.finish,
                hours=row.hours,
                status=row.status,
                sources=self._ref(tenant, row.id),
            )

        return self._leave.map(rows, convert)

    # -- writes ---------------------------------------------------------------------------

    async def create_shift(
        self,
        tenant: str,
        index: MergedStaff,
        staff_id: str,
        day: date,
        start: datetime,
        finish: datetime | None,
        team_id: str | None,
        break_minutes: int | None,
    ) -> Shift:
        user_id = self.user_of(index, staff_id)
        team = self._team(tenant, team_id)
        day = _day(day, "date")
        start = _instant(start, "start")
        finish = _optional_instant(finish, "finish")
        _check_times(start, finish, break_minutes)
        pause = _middle_break(start, finish, break_minutes)
        row = await _write(
            self.client.create_shift(
                user_id,
                day=day,
                start=start,
                finish=finish,
                break_start=pause[0] if pause else None,
                break_finish=pause[1] if pause else None,
                department_id=team,
            )
        )
        return self._shift_rows(tenant, index, [row])[0]

    async def update_shift(
        self, tenant: str, index: MergedStaff, shift_id: str, changes: Mapping[str, object]
    ) -> Shift:
        """A partial update of `SHIFT_FIELDS`; a field not in ``changes`` is left as it is.

        When the times change and ``break_minutes`` is not given, the break keeps its length
        and moves to the middle of the new times.
        """
        _known(changes, SHIFT_FIELDS, "a shift")
        native = self.require_native(tenant, shift_id, "shift_id")
        kwargs: dict[str, Any] = {}
        if "date" in changes:
            kwargs["day"] = _day(changes["date"], "date")
        if "start" in changes:
            kwargs["start"] = _instant(changes["start"], "start")
        if "finish" in changes:
            kwargs["finish"] = _optional_instant(changes["finish"], "finish")
        if "team_id" in changes:
            kwargs["department_id"] = self._team(tenant, changes["team_id"])
        if "status" in changes:
            status = changes["status"]
            if status not in ("PENDING", "APPROVED"):
                raise BadRequestError(f"status must be PENDING or APPROVED, got {status!r}.")
            kwargs["status"] = status
        if {"start", "finish", "break_minutes"} & changes.keys():
            current = (await self.client.shifts_by_ids([native])).get(native)
            if current is None:
                raise NotFoundError(f"Shift '{shift_id}' does not exist.", upstream=UPSTREAM)
            begin: datetime | None = kwargs.get("start", current.start)
            end: datetime | None = kwargs.get("finish", current.finish)
            if "break_minutes" in changes:
                minutes = _minutes(changes["break_minutes"])
            else:
                minutes = current.break_length
            if begin is None:
                raise BadRequestError(f"Shift '{shift_id}' has no start time to place a break in.")
            _check_times(begin, end, minutes)
            pause = _middle_break(begin, end, minutes)
            kwargs["break_start"] = pause[0] if pause else None
            kwargs["break_finish"] = pause[1] if pause else None
        if not kwargs:
            raise BadRequestError("An update of a shift needs at least one change.")
        row = await _write(self.client.update_shift(native, **kwargs))
        return self._shift_rows(tenant, index, [row])[0]

    async def approve_shifts(
        self, tenant: str, index: MergedStaff, ids: Collection[str]
    ) -> Sequence[Shift]:
        natives = [self.require_native(tenant, i, "shift id") for i in ids]
        rows = await _write(self.client.approve_shifts(natives))
        return self._shift_rows(tenant, index, rows)

    async def delete_shift(self, tenant: str, shift_id: str) -> None:
        await _write(self.client.delete_shift(self.require_native(tenant, shift_id, "shift_id")))

    async def create_scheduled_shift(
        self,
        tenant: str,
        index: MergedStaff,
        staff_id: str | None,
        start: datetime,
        finish: datetime,
        team_id: str | None,
        break_minutes: int | None,
    ) -> ScheduledShift:
        user_id = self.user_of(index, staff_id) if staff_id is not None else None
        team = self._team(tenant, team_id)
        start = _instant(start, "start")
        finish = _instant(finish, "finish")
        _check_times(start, finish, break_minutes)
        row = await _write(
            self.client.create_schedule(
                start=start,
                finish=finish,
                user_id=user_id,
                department_id=team,
                automatic_break_length=break_minutes,
            )
        )
        return self._scheduled(tenant, index, [row])[0]

    async def update_scheduled_shift(
        self,
        tenant: str,
        index: MergedStaff,
        scheduled_shift_id: str,
        changes: Mapping[str, object],
    ) -> ScheduledShift:
        """A partial update of `SCHEDULED_SHIFT_FIELDS`; ``staff_id=None`` makes it vacant."""
        _known(changes, SCHEDULED_SHIFT_FIELDS, "a scheduled shift")
        native = self.require_native(tenant, scheduled_shift_id, "scheduled_shift_id")
        kwargs: dict[str, Any] = {}
        if "staff_id" in changes:
            staff_id = changes["staff_id"]
            if staff_id is None:
                kwargs["user_id"] = None
            elif isinstance(staff_id, str):
                kwargs["user_id"] = self.user_of(index, staff_id)
            else:
                raise BadRequestError(f"staff_id must be a Staff id or null, got {staff_id!r}.")
        if "start" in changes:
            kwargs["start"] = _instant(changes["start"], "start")
        if "finish" in changes:
            kwargs["finish"] = _instant(changes["finish"], "finish")
        if "team_id" in changes:
            kwargs["department_id"] = self._team(tenant, changes["team_id"])
        if "break_minutes" in changes:
            minutes = _minutes(changes["break_minutes"])
            kwargs["automatic_break_length"] = minutes
            if minutes is not None:
                kwargs["breaks"] = None  # Tanda takes one of breaks and automatic length
        if "start" in kwargs or "finish" in kwargs:
            current = (await self.client.schedules_by_ids([native])).get(native)
            if current is None:
                raise NotFoundError(
                    f"Scheduled shift '{scheduled_shift_id}' does not exist.", upstream=UPSTREAM
                )
            begin = kwargs.get("start", current.start)
            if begin is not None:
                _check_times(begin, kwargs.get("finish", current.finish), None)
        if not kwargs:
            raise BadRequestError("An update of a scheduled shift needs at least one change.")
        row = await _write(self.client.update_schedule(native, **kwargs))
        return self._scheduled(tenant, index, [row])[0]

    async def publish_scheduled_shifts(
        self, tenant: str, index: MergedStaff, ids: Collection[str]
    ) -> Sequence[ScheduledShift]:
        natives = [self.require_native(tenant, i, "scheduled shift id") for i in ids]
        rows = await _write(self.client.publish_schedules(natives))
        return self._scheduled(tenant, index, rows)


def _break_minutes(
    length: int | None, breaks: Sequence[td.ScheduleBreak | td.ShiftBreak]
) -> int | None:
    """The row's own break length, else the sum of its breaks' lengths (None: no breaks)."""
    if length is not None:
        return length
    lengths = [b.length for b in breaks if b.length is not None]
    return sum(lengths) if lengths else None


def _known(changes: Mapping[str, object], fields: frozenset[str], what: str) -> None:
    unknown = sorted(set(changes) - fields)
    if unknown:
        raise BadRequestError(
            f"{unknown[0]} is not a field of {what} that can be changed; "
            f"the fields are {', '.join(sorted(fields))}."
        )


def _day(value: object, field: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise BadRequestError(f"{field} must be a date, got {value!r}.")
    return value


def _instant(value: object, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise BadRequestError(f"{field} must be a date and time, got {value!r}.")
    if value.tzinfo is None:
        raise BadRequestError(f"{field} ({value.isoformat()}) must carry a time zone.")
    return value


def _optional_instant(value: object, field: str) -> datetime | None:
    return None if value is None else _instant(value, field)


def _minutes(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequestError(f"break_minutes must be a whole number of minutes, got {value!r}.")
    if value < 0:
        raise BadRequestError(f"break_minutes must be 0 or more, got {value}.")
    return value


def _check_times(start: datetime, finish: datetime | None, break_minutes: int | None) -> None:
    if start.tzinfo is None or (finish is not None and finish.tzinfo is None):
        raise BadRequestError("start and finish must be instants with a time zone.")
    if finish is not None and finish <= start:
        raise BadRequestError(
            f"finish ({finish.isoformat()}) must be after start ({start.isoformat()})."
        )
    if break_minutes is None:
        return
    _minutes(break_minutes)
    if finish is None and break_minutes:
        raise BadRequestError("break_minutes needs a finish time (the shift is still open).")
    if finish is not None and timedelta(minutes=break_minutes) >= finish - start:
        raise BadRequestError(
            f"break_minutes ({break_minutes}) must be shorter than the shift "
            f"({int((finish - start).total_seconds() // 60)} minutes)."
        )


def _middle_break(
    start: datetime, finish: datetime | None, minutes: int | None
) -> tuple[datetime, datetime] | None:
    if finish is None or not minutes:
        return None
    pause = timedelta(minutes=minutes)
    begin = start + (finish - start - pause) / 2
    begin = begin.replace(second=0, microsecond=0)  # Tanda keeps whole minutes
    return begin, begin + pause


async def _write(call: Awaitable[T]) -> T:
    """Tanda's refusal of a write, as the error a client can act on."""
    try:
        return await call
    except td.TandaRequestError as error:
        raise _refusal(error) from None


def _refusal(error: td.TandaRequestError) -> SchoolgraphError:
    reason = error.upstream_message or "it gave no reason"
    if error.status == 404:
        return NotFoundError(f"Tanda has no such record: {reason}", upstream=UPSTREAM)
    if error.status == 403:
        return ForbiddenError(f"Tanda does not allow this change: {reason}", upstream=UPSTREAM)
    return BadRequestError(f"Tanda rejected the change: {reason}", upstream=UPSTREAM)


async def _settled(index: MergedStaff | Awaitable[MergedStaff]) -> MergedStaff:
    """The merged staff, once the merge is in (a read of everyone starts before it)."""
    return await index if inspect.isawaitable(index) else index
