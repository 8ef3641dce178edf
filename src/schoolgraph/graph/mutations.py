"""The root ``Mutation`` type: Tanda writes, checked here, done through the Directory.

Every input is checked before anything is sent upstream, and each failed check is a
``BAD_USER_INPUT`` error whose ``extensions.field`` names the input field (``input.finish``).
Writes go through :class:`~schoolgraph.sources.Directory`, which invalidates the cached
reads they change; this request's loaders forget the workforce side too, so fields read
after a write in the same operation see it.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import strawberry

from schoolgraph import domain
from schoolgraph.errors import NotFoundError
from schoolgraph.graph.admin import AdminMutation
from schoolgraph.graph.arguments import BadUserInputError
from schoolgraph.graph.fields import mutation
from schoolgraph.graph.ids import decode_id_of, decode_ids_of
from schoolgraph.graph.info import Info, loaders
from schoolgraph.graph.types.scheduled_shift import ScheduledShift
from schoolgraph.graph.types.shift import Shift
from schoolgraph.loaders.outcomes import ALL

__all__ = [
    "CreateScheduledShiftInput",
    "CreateShiftInput",
    "Mutation",
    "UpdateScheduledShiftInput",
    "UpdateShiftInput",
]

MAX_SHIFT = datetime.timedelta(hours=24)
MAX_DISTANCE = datetime.timedelta(days=366)
"""How far from now a written shift may start: a year either side (a typo'd year is refused
before it reaches the roster of a week in another century)."""
MAX_BATCH = 100
"""Most ids one approve or publish call takes."""


@strawberry.input(description="A worked shift to record on someone's timesheet.")
class CreateShiftInput:
    staff_id: strawberry.ID = strawberry.field(description="Who worked it (a Staff id).")
    date: datetime.date = strawberry.field(
        description="The day it belongs to (where it was worked)."
    )
    start: datetime.datetime
    finish: datetime.datetime | None = strawberry.field(
        default=None, description="Null while the person is still clocked in."
    )
    team_id: strawberry.ID | None = strawberry.field(default=None, description="A Team id.")
    break_minutes: int | None = None


@strawberry.input(description="Changes to a worked shift; omitted fields stay as they are.")
class UpdateShiftInput:
    date: datetime.date | None = strawberry.UNSET
    start: datetime.datetime | None = strawberry.UNSET
    finish: datetime.datetime | None = strawberry.UNSET
    team_id: strawberry.ID | None = strawberry.UNSET
    break_minutes: int | None = strawberry.UNSET


@strawberry.input(description="A planned shift to add to the roster of its week.")
class CreateScheduledShiftInput:
    staff_id: strawberry.ID | None = strawberry.field(
        default=None, description="Who is rostered (a Staff id); null for a vacant shift."
    )
    start: datetime.datetime
    finish: datetime.datetime
    team_id: strawberry.ID | None = strawberry.field(default=None, description="A Team id.")
    break_minutes: int | None = None


@strawberry.input(description="Changes to a planned shift; omitted fields stay as they are.")
class UpdateScheduledShiftInput:
    staff_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="A Staff id; null makes the shift vacant."
    )
    start: datetime.datetime | None = strawberry.UNSET
    finish: datetime.datetime | None = strawberry.UNSET
    team_id: strawberry.ID | None = strawberry.UNSET
    break_minutes: int | None = strawberry.UNSET


def _given(value: object) -> bool:
    return value is not strawberry.UNSET


def _required(value: object, field: str) -> None:
    if value is None:
        raise BadUserInputError(f"Input field '{field}' cannot be null.", field=field)


def _check_times(
    start: datetime.datetime | None,
    finish: datetime.datetime | None,
    break_minutes: int | None,
    *,
    new_start: bool = True,
) -> None:
    """Check a shift's times as they will be; ``new_start``: the start is being written (an
    old shift keeps its start however long ago it was)."""
    if start is not None and new_start:
        now = datetime.datetime.now(datetime.UTC)
        if not now - MAX_DISTANCE <= start <= now + MAX_DISTANCE:
            raise BadUserInputError(
                f"Input field 'input.start' ({start.isoformat()}) must be within a year of "
                f"now ({now.date().isoformat()}).",
                field="input.start",
            )
    if start is not None and finish is not None:
        if finish <= start:
            raise BadUserInputError(
                f"Input field 'input.finish' ({finish.isoformat()}) must be after "
                f"'input.start' ({start.isoformat()}).",
                field="input.finish",
            )
        if finish - start > MAX_SHIFT:
            raise BadUserInputError(
                f"The shift from {start.isoformat()} to {finish.isoformat()} is longer than "
                "24 hours; record it as separate shifts.",
                field="input.finish",
            )
    if break_minutes is not None:
        length = None if start is None or finish is None else (finish - start)
        if break_minutes < 0 or (
            length is not None and datetime.timedelta(minutes=break_minutes) >= length
        ):
            raise BadUserInputError(
                f"Input field 'input.breakMinutes' ({break_minutes}) must be 0 or more and "
                "shorter than the shift.",
                field="input.breakMinutes",
            )
    if finish is None and start is not None and break_minutes:
        raise BadUserInputError(
            f"Input field 'input.finish' cannot be null while the shift has a break "
            f"({break_minutes} minutes); give breakMinutes: 0 with it.",
            field="input.finish",
        )


def _check_day(day: datetime.date, start: datetime.datetime | None) -> None:
    # A shift's date is the local day it was worked; UTC is at most a day either side.
    if start is not None and abs(start.date() - day) > datetime.timedelta(days=1):
        raise BadUserInputError(
            f"Input field 'input.date' ({day.isoformat()}) must be the day the shift starts "
            f"({start.isoformat()}).",
            field="input.date",
        )


async def _worker(info: Info, global_id: strawberry.ID, field: str) -> str:
    """The Staff id of a person who can have shifts (a Tanda user)."""
    staff_id = decode_id_of("Staff", global_id, field=field)
    staff = await loaders(info).staff.load(staff_id)
    if staff is None:
        raise BadUserInputError(
            f"Input field '{field}': no staff member has id {global_id!r}.", field=field
        )
    if staff.tanda_user_id is None:
        raise BadUserInputError(
            f"Input field '{field}': {staff.display_name} has no Tanda account, so has no shifts.",
            field=field,
        )
    return staff_id


async def _team(info: Info, global_id: strawberry.ID, field: str) -> str:
    team_id = decode_id_of("Team", global_id, field=field)
    if team_id not in await loaders(info).teams.load(ALL):
        raise BadUserInputError(
            f"Input field '{field}': no team has id {global_id!r}.", field=field
        )
    return team_id


async def _shift(info: Info, global_id: strawberry.ID) -> domain.Shift:
    shift = await loaders(info).shift.load(decode_id_of("Shift", global_id))
    if shift is None:
        raise NotFoundError(f"No shift has id {global_id!r}.")
    return shift


async def _scheduled_shift(info: Info, global_id: strawberry.ID) -> domain.ScheduledShift:
    row = await loaders(info).scheduled_shift.load(decode_id_of("ScheduledShift", global_id))
    if row is None:
        raise NotFoundError(f"No scheduled shift has id {global_id!r}.")
    return row


async def _changes(
    info: Info, input: UpdateShiftInput | UpdateScheduledShiftInput, *, nullable_finish: bool
) -> dict[str, Any]:
    """The time and team fields ``input`` gives, checked one by one, as Directory changes."""
    changes: dict[str, Any] = {}
    if _given(input.start):
        _required(input.start, "input.start")
        changes["start"] = input.start
    if _given(input.finish):
        if not nullable_finish:
            _required(input.finish, "input.finish")
        changes["finish"] = input.finish
    if _given(input.break_minutes):
        changes["break_minutes"] = input.break_minutes
    if _given(input.team_id):
        changes["team_id"] = (
            await _team(info, input.team_id, "input.teamId") if input.team_id else None
        )
    return changes


def _check_changes(
    changes: dict[str, Any],
    start: datetime.datetime | None,
    finish: datetime.datetime | None,
    break_minutes: int | None,
) -> None:
    """Check the row as the changes would leave it (given fields over current ones)."""
    if not changes:
        raise BadUserInputError("Argument 'input' changes nothing.", field="input")
    _check_times(
        changes.get("start", start),
        changes.get("finish", finish),
        changes.get("break_minutes", break_minutes),
        new_start="start" in changes,
    )


def _ids(type_name: str, ids: Sequence[strawberry.ID]) -> list[str]:
    if not ids:
        raise BadUserInputError("Argument 'ids' is empty; give at least one id.", field="ids")
    return list(dict.fromkeys(decode_ids_of(type_name, ids, field="ids", limit=MAX_BATCH)))


def _wrote(info: Info) -> None:
    # The Directory invalidated the shared cache; this request's memo must forget too.
    loaders(info).forget_workforce()


@strawberry.type(description="Writes: to Tanda, and (admins only) to API accounts.")
class Mutation(AdminMutation):
    @mutation(description="Record a worked shift on the person's timesheet.")
    async def create_shift(self, info: Info, input: CreateShiftInput) -> Shift | None:
        staff_id = await _worker(info, input.staff_id, "input.staffId")
        team_id = await _team(info, input.team_id, "input.teamId") if input.team_id else None
        _check_times(input.start, input.finish, input.break_minutes)
        _check_day(input.date, input.start)
        row = await info.context.directory.create_shift(
            staff_id,
            input.date,
            input.start,
            input.finish,
            team_id=team_id,
            break_minutes=input.break_minutes,
        )
        _wrote(info)
        return Shift.of(row)

    @mutation(description="Change a worked shift.")
    async def update_shift(
        self, info: Info, id: strawberry.ID, input: UpdateShiftInput
    ) -> Shift | None:
        current = await _shift(info, id)
        changes = await _changes(info, input, nullable_finish=True)
        if _given(input.date):
            _required(input.date, "input.date")
            changes["date"] = input.date
        _check_changes(changes, current.start, current.finish, current.break_minutes)
        _check_day(changes.get("date", current.date), changes.get("start", current.start))
        row = await info.context.directory.update_shift(current.id, **changes)
        _wrote(info)
        return Shift.of(row)

    @mutation(description="Approve worked shifts (at most 100 at a time).")
    async def approve_shifts(self, info: Info, ids: list[strawberry.ID]) -> list[Shift] | None:
        rows = await info.context.directory.approve_shifts(_ids("Shift", ids))
        _wrote(info)
        return [Shift.of(row) for row in rows]

    @mutation(description="Delete a worked shift; answers the id it deleted.")
    async def delete_shift(self, info: Info, id: strawberry.ID) -> strawberry.ID | None:
        current = await _shift(info, id)
        await info.context.directory.delete_shift(current.id)
        _wrote(info)
        return id

    @mutation(description="Add a planned shift to the roster of its week.")
    async def create_scheduled_shift(
        self, info: Info, input: CreateScheduledShiftInput
    ) -> ScheduledShift | None:
        staff_id = await _worker(info, input.staff_id, "input.staffId") if input.staff_id else None
        team_id = await _team(info, input.team_id, "input.teamId") if input.team_id else None
        _check_times(input.start, input.finish, input.break_minutes)
        row = await info.context.directory.create_scheduled_shift(
            staff_id,
            input.start,
            input.finish,
            team_id=team_id,
            break_minutes=input.break_minutes,
        )
        _wrote(info)
        return ScheduledShift.of(row)

    @mutation(description="Change a planned shift.")
    async def update_scheduled_shift(
        self, info: Info, id: strawberry.ID, input: UpdateScheduledShiftInput
    ) -> ScheduledShift | None:
        current = await _scheduled_shift(info, id)
        changes = await _changes(info, input, nullable_finish=False)
        if _given(input.staff_id):
            changes["staff_id"] = (
                await _worker(info, input.staff_id, "input.staffId") if input.staff_id else None
            )
        _check_changes(changes, current.start, current.finish, current.break_minutes)
        row = await info.context.directory.update_scheduled_shift(current.id, **changes)
        _wrote(info)
        return ScheduledShift.of(row)

    @mutation(description="Publish planned shifts to the people rostered (at most 100 at a time).")
    async def publish_scheduled_shifts(
        self, info: Info, ids: list[strawberry.ID]
    ) -> list[ScheduledShift] | None:
        rows = await info.context.directory.publish_scheduled_shifts(_ids("ScheduledShift", ids))
        _wrote(info)
        return [ScheduledShift.of(row) for row in rows]
