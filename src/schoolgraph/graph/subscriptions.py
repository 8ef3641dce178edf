"""``Subscription``: live changes, each delivering the changed entity through the normal graph.

Every field subscribes to the app's :class:`~schoolgraph.live.broker.Broker` for one kind of
change. For each change it forgets what the connection's loaders memoized (each event is
read afresh, as its own request would be), loads the entity through the caller's scoped
loaders, and skips it when the caller cannot see it (another school: the load answers
nothing) or the field's arguments filter it out. A deleted entity cannot be loaded: it is
delivered with its id and ``deleted: true`` when its school (and team or roster, if
filtered) is the caller's.

``missed`` counts changes dropped for this subscription because the client read too slowly
(the queue holds ``SCHOOLGRAPH_LIVE_QUEUE_SIZE``); refetch when it is not 0.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated

import strawberry

from schoolgraph.domain import Change, ChangeKind
from schoolgraph.graph.arguments import date_window
from schoolgraph.graph.configured_schools import check_configured_school
from schoolgraph.graph.fields import subscription
from schoolgraph.graph.ids import decode_id_of, encode_global_id
from schoolgraph.graph.info import Info, loaders
from schoolgraph.graph.types.group import Group
from schoolgraph.graph.types.scheduled_shift import ScheduledShift
from schoolgraph.graph.types.shift import Shift
from schoolgraph.graph.types.staff import Staff
from schoolgraph.graph.types.student import Student
from schoolgraph.live.app_keys import LIVE
from schoolgraph.upstreams.http import CallLog, current_call_log, set_deadline

__all__ = [
    "GroupMembershipChange",
    "ScheduledShiftChange",
    "ShiftChange",
    "StaffChange",
    "StudentChange",
    "Subscription",
]

_MISSED = "Changes dropped before this one because the client read too slowly; refetch if not 0."
_DELETED = "Whether the entity is gone; `node` is then null."


@strawberry.type(description="A worked shift changed.")
class ShiftChange:
    id: strawberry.ID = strawberry.field(description="The shift's id.")
    deleted: bool = strawberry.field(description=_DELETED)
    missed: int = strawberry.field(description=_MISSED)
    node: Shift | None = strawberry.field(description="The shift as it is now.")


@strawberry.type(description="A planned shift changed, was added or was deleted.")
class ScheduledShiftChange:
    id: strawberry.ID = strawberry.field(description="The scheduled shift's id.")
    deleted: bool = strawberry.field(description=_DELETED)
    missed: int = strawberry.field(description=_MISSED)
    node: ScheduledShift | None = strawberry.field(description="The scheduled shift as it is now.")


@strawberry.type(description="A student's record changed, was added or left.")
class StudentChange:
    id: strawberry.ID = strawberry.field(description="The student's id.")
    deleted: bool = strawberry.field(description=_DELETED)
    missed: int = strawberry.field(description=_MISSED)
    node: Student | None = strawberry.field(description="The student as they are now.")


@strawberry.type(description="A member of staff's record changed, was added or left.")
class StaffChange:
    id: strawberry.ID = strawberry.field(description="The member of staff's id.")
    deleted: bool = strawberry.field(description=_DELETED)
    missed: int = strawberry.field(description=_MISSED)
    node: Staff | None = strawberry.field(description="The member of staff as they are now.")


@strawberry.type(description="A group changed: its members, its staff or its details.")
class GroupMembershipChange:
    id: strawberry.ID = strawberry.field(description="The group's id.")
    deleted: bool = strawberry.field(description=_DELETED)
    missed: int = strawberry.field(description=_MISSED)
    node: Group | None = strawberry.field(description="The group as it is now.")


def _visible(info: Info, change: Change) -> bool:
    schools = info.context.caller.schools
    return schools is None or change.scope in schools


async def _changes(info: Info, kind: ChangeKind) -> AsyncIterator[tuple[Change, int]]:
    """The caller's changes of ``kind``, with the count dropped before each; loaders fresh."""
    broker = info.context.request.app[LIVE].broker
    missed = 0
    async with broker.subscribe(kind) as subscriber:
        while True:
            change, dropped = await subscriber.next()
            missed += dropped
            if not _visible(info, change):
                continue
            # Each event is read as its own request would be: fresh memo, call log and deadline.
            loaders(info).forget_all()
            current_call_log.set(CallLog())
            set_deadline(info.context.settings.request_timeout)
            yield change, missed
            missed = 0


OptionalId = Annotated[strawberry.ID | None, strawberry.argument(description="Only this one's.")]
FromDay = Annotated[
    datetime.date | None,
    strawberry.argument(name="from", description="Only shifts on or after this day."),
]
ToDay = Annotated[
    datetime.date | None, strawberry.argument(description="Only shifts on or before this day.")
]
SchoolId = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="Only this school's; every school the caller sees if null."),
]


def _school(info: Info, school_id: strawberry.ID | None) -> str | None:
    """The school a subscription is limited to; ``NOT_FOUND``, as a query's ``schoolId`` is,
    when it is not configured or not the caller's (it would never have an event)."""
    if school_id is None:
        return None
    school = decode_id_of("School", school_id, field="schoolId")
    check_configured_school(info, school)
    return school


@strawberry.type(description="Live changes, over WebSocket (graphql-transport-ws) on /graphql.")
class Subscription:
    @subscription(
        description="Worked shifts as they change (Tanda webhooks), optionally of one person, "
        "one team, or days from `from` to `to`."
    )
    async def shift_changed(
        self,
        info: Info,
        staff_id: OptionalId = None,
        team_id: OptionalId = None,
        from_: FromDay = None,
        to: ToDay = None,
    ) -> AsyncGenerator[ShiftChange, None]:
        staff = None if staff_id is None else decode_id_of("Staff", staff_id, field="staffId")
        team = None if team_id is None else decode_id_of("Team", team_id, field="teamId")
        if from_ is not None and to is not None:
            date_window(from_, to, max_days=None)  # refused as a query's window is
        async for change, missed in _changes(info, ChangeKind.SHIFT):
            node = await Shift.load_node(info, change.entity_id)
            if node is None:
                continue
            row = node.row
            if (
                (staff is not None and row.staff_id != staff)
                or (team is not None and row.team_id != team)
                or (from_ is not None and row.date < from_)
                or (to is not None and row.date > to)
            ):
                continue
            yield ShiftChange(id=node.id, deleted=False, missed=missed, node=node)

    @subscription(
        description="Planned shifts as they change, are added or deleted (Tanda webhooks), "
        "optionally of one roster or one team."
    )
    async def scheduled_shift_changed(
        self, info: Info, roster_id: OptionalId = None, team_id: OptionalId = None
    ) -> AsyncGenerator[ScheduledShiftChange, None]:
        roster = None if roster_id is None else decode_id_of("Roster", roster_id, field="rosterId")
        team = None if team_id is None else decode_id_of("Team", team_id, field="teamId")
        async for change, missed in _changes(info, ChangeKind.SCHEDULED_SHIFT):
            global_id = strawberry.ID(encode_global_id("ScheduledShift", change.entity_id))
            node = None
            if change.deleted:
                team_of, roster_of = change.team_id, change.roster_id
            else:
                node = await ScheduledShift.load_node(info, change.entity_id)
                if node is None:
                    continue
                team_of, roster_of = node.row.team_id, node.row.roster_id
            if (team is not None and team_of != team) or (
                roster is not None and roster_of != roster
            ):
                continue
            yield ScheduledShiftChange(
                id=global_id, deleted=change.deleted, missed=missed, node=node
            )

    @subscription(
        description="Students as their records change, join or leave (Xporter change sets, "
        "TASS `update_on` polls)."
    )
    async def student_changed(
        self, info: Info, school_id: SchoolId = None
    ) -> AsyncGenerator[StudentChange, None]:
        school = _school(info, school_id)
        async for change, missed in _changes(info, ChangeKind.STUDENT):
            if school is not None and change.scope != school:
                continue
            node = None if change.deleted else await Student.load_node(info, change.entity_id)
            if node is None and not change.deleted:
                continue
            global_id = strawberry.ID(encode_global_id("Student", change.entity_id))
            yield StudentChange(id=global_id, deleted=change.deleted, missed=missed, node=node)

    @subscription(
        description="Staff as their records change, join or leave (Xporter change sets, TASS "
        "`update_on` polls)."
    )
    async def staff_changed(
        self, info: Info, school_id: SchoolId = None
    ) -> AsyncGenerator[StaffChange, None]:
        school = _school(info, school_id)
        async for change, missed in _changes(info, ChangeKind.STAFF):
            if school is not None and change.scope != school:
                continue
            node = None if change.deleted else await Staff.load_node(info, change.entity_id)
            if node is None and not change.deleted:
                continue
            global_id = strawberry.ID(encode_global_id("Staff", change.entity_id))
            yield StaffChange(id=global_id, deleted=change.deleted, missed=missed, node=node)

    @subscription(
        description="A group as its members or staff change (Xporter change sets); every group "
        "of the caller's schools when `groupId` is null."
    )
    async def group_membership_changed(
        self, info: Info, group_id: OptionalId = None
    ) -> AsyncGenerator[GroupMembershipChange, None]:
        group = None if group_id is None else decode_id_of("Group", group_id, field="groupId")
        async for change, missed in _changes(info, ChangeKind.GROUP_MEMBERSHIP):
            if group is not None and change.entity_id != group:
                continue
            node = None if change.deleted else await Group.load_node(info, change.entity_id)
            if node is None and not change.deleted:
                continue
            global_id = strawberry.ID(encode_global_id("Group", change.entity_id))
            yield GroupMembershipChange(
                id=global_id, deleted=change.deleted, missed=missed, node=node
            )
