"""``Shift``: a worked shift on a timesheet (Tanda), and the time zone of workforce times."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable
from enum import Enum
from operator import attrgetter
from typing import TYPE_CHECKING, Annotated, Optional

import strawberry

from schoolgraph import domain
from schoolgraph.graph.arguments import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    After,
    First,
    From,
    To,
    date_window,
)
from schoolgraph.graph.connections import Connection, SortKey, check_page, paginate
from schoolgraph.graph.fields import field
from schoolgraph.graph.ids import decode_id_of, decode_ids_of, encode_global_id
from schoolgraph.graph.info import Info, loaders
from schoolgraph.graph.loading import load_for_people, selected, with_references
from schoolgraph.graph.scalars import utc_text
from schoolgraph.graph.time_zones import local_iso
from schoolgraph.graph.types.node import Node
from schoolgraph.graph.types.source_ref import SourceRef, sources_field
from schoolgraph.graph.types.staff import staff_now
from schoolgraph.graph.types.team import team_now
from schoolgraph.loaders import StaffDay
from schoolgraph.loaders.outcomes import ALL

if TYPE_CHECKING:
    from schoolgraph.graph.types.location import Location
    from schoolgraph.graph.types.staff import Staff
    from schoolgraph.graph.types.team import Team
    from schoolgraph.graph.types.timesheet import Timesheet

__all__ = ["Shift", "ShiftStatus", "resolve_shifts", "shift_sort_key", "workforce_local"]

STAFF = Optional[Annotated["Staff", strawberry.lazy("schoolgraph.graph.types.staff")]]  # noqa: UP045
TEAM = Optional[Annotated["Team", strawberry.lazy("schoolgraph.graph.types.team")]]  # noqa: UP045


@strawberry.enum(description="Where a worked shift is in approval.")
class ShiftStatus(Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"


async def workforce_local(
    info: Info, instant: datetime.datetime | None, staff_id: str | None, team_id: str | None
) -> str | None:
    """``instant`` in the zone a shift's times are shown in: the person's, else the location's
    of its team (ISO-8601 with the offset); None when neither is known."""
    return local_iso(instant, await _workforce_zone(info, staff_id, team_id))


async def _workforce_zone(info: Info, staff_id: str | None, team_id: str | None) -> str | None:
    if staff_id is not None:
        staff = await loaders(info).staff.load(staff_id)
        if staff is not None and staff.time_zone is not None:
            return staff.time_zone
    if team_id is not None:
        team = (await loaders(info).teams.load(ALL)).get(team_id)
        if team is not None:
            location = (await loaders(info).locations.load(ALL)).get(team.location_id)
            if location is not None:
                return location.time_zone
    return None


@strawberry.federation.type(keys=["id"], description="A shift someone worked (or is working).")
class Shift(Node):
    row: strawberry.Private[domain.Shift]
    domain_id: str
    date: datetime.date = strawberry.field(description="The day the shift belongs to.")
    start: datetime.datetime | None
    finish: datetime.datetime | None = strawberry.field(
        description="Null while the person is still clocked in."
    )
    break_minutes: int | None
    status: ShiftStatus
    updated_at: datetime.datetime | None
    sources: list[SourceRef] = sources_field()

    @classmethod
    def of(cls, row: domain.Shift) -> Shift:
        return cls(
            row=row,
            id=strawberry.ID(encode_global_id("Shift", row.id)),
            domain_id=row.id,
            date=row.date,
            start=row.start,
            finish=row.finish,
            break_minutes=row.break_minutes,
            status=ShiftStatus(row.status),
            updated_at=row.updated_at,
        )

    @classmethod
    async def load_node(cls, info: Info, domain_id: str) -> Shift | None:
        row = await loaders(info).shift.load(domain_id)
        return None if row is None else cls.of(row)

    @field(description="`start` in the person's (or location's) time zone.")
    async def local_start(self, info: Info) -> str | None:
        return await workforce_local(info, self.row.start, self.row.staff_id, self.row.team_id)

    @field(description="`finish` in the person's (or location's) time zone.")
    async def local_finish(self, info: Info) -> str | None:
        return await workforce_local(info, self.row.finish, self.row.staff_id, self.row.team_id)

    # Not coroutines: see ScheduledShift.staff.
    @field(
        description="Who worked it.",
        graphql_type=STAFF,
        inline=True,
        keyed_by=attrgetter("row.staff_id"),
    )
    def staff(self, info: Info) -> Staff | Awaitable[Staff | None] | None:
        return staff_now(info, self.row.staff_id)

    @field(
        description="The team it was worked for.",
        graphql_type=TEAM,
        inline=True,
        keyed_by=attrgetter("row.team_id"),
    )
    def team(self, info: Info) -> Team | Awaitable[Team | None] | None:
        return None if self.row.team_id is None else team_now(info, self.row.team_id)

    @field(description="Where it was worked: the team's location.")
    async def location(
        self, info: Info
    ) -> Annotated[Location, strawberry.lazy("schoolgraph.graph.types.location")] | None:
        from schoolgraph.graph.types.location import Location

        if self.row.team_id is None:
            return None
        team = (await loaders(info).teams.load(ALL)).get(self.row.team_id)
        return None if team is None else await Location.load_node(info, team.location_id)

    @field(description="The timesheet the shift is on.")
    async def timesheet(
        self, info: Info
    ) -> Annotated[Timesheet, strawberry.lazy("schoolgraph.graph.types.timesheet")] | None:
        from schoolgraph.graph.types.timesheet import Timesheet

        rows = await loaders(info).timesheets.load(StaffDay(self.row.staff_id, self.row.date))
        row = next((row for row in rows if row.id == self.row.timesheet_id), None)
        return None if row is None else Timesheet.of(row)


def shift_sort_key(row: domain.Shift) -> SortKey:
    # Tanda's instants are UTC (§3.4): the text is the instant's isoformat, as cursors hold it.
    start = utc_text(row.start) if row.start is not None else row.date.isoformat()
    return (start, row.id)


async def resolve_shifts(
    info: Info,
    from_: From,
    to: To,
    staff_ids: Annotated[
        list[strawberry.ID] | None, strawberry.argument(description="Only these people's shifts.")
    ] = None,
    team_id: Annotated[
        strawberry.ID | None, strawberry.argument(description="Only shifts worked for this team.")
    ] = None,
    status: Annotated[
        ShiftStatus | None, strawberry.argument(description="Only shifts with this status.")
    ] = None,
    first: First = DEFAULT_PAGE_SIZE,
    after: After = None,
) -> Connection[Shift] | None:
    window = date_window(from_, to)
    check_page("Shift", first, after)
    people = (
        decode_ids_of("Staff", staff_ids, field="staffIds", limit=MAX_PAGE_SIZE)
        if staff_ids is not None
        else None
    )
    team = decode_id_of("Team", team_id, field="teamId") if team_id is not None else None
    found = await with_references(
        info, load_for_people(loaders(info).shifts, people, window), selected(info)
    )
    rows = [
        row
        for row in found
        if (team is None or row.team_id == team) and (status is None or row.status == status.value)
    ]
    return paginate(rows, kind="Shift", key=shift_sort_key, node=Shift.of, first=first, after=after)
