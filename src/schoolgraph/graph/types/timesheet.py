"""``Timesheet``: a person's timesheet for one pay period, and its shifts."""

from __future__ import annotations

import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from schoolgraph import domain
from schoolgraph.graph.fields import field
from schoolgraph.graph.ids import encode_global_id
from schoolgraph.graph.info import Info, loaders
from schoolgraph.graph.types.source_ref import SourceRef, sources_field
from schoolgraph.loaders import StaffWindow

if TYPE_CHECKING:
    from schoolgraph.graph.types.shift import Shift
    from schoolgraph.graph.types.staff import Staff

__all__ = ["Timesheet", "TimesheetStatus"]


@strawberry.enum(description="Where a timesheet is in payroll.")
class TimesheetStatus(Enum):
    PENDING = "pending"
    APPROVED = "approved"
    EXPORTED = "exported"


@strawberry.type(description="A person's timesheet for one pay period.")
class Timesheet:
    row: strawberry.Private[domain.Timesheet]
    id: strawberry.ID = strawberry.field(description="Opaque id, unique among timesheets.")
    domain_id: str
    start: datetime.date = strawberry.field(description="The pay period's first day.")
    finish: datetime.date = strawberry.field(description="The pay period's last day, inclusive.")
    status: TimesheetStatus
    sources: list[SourceRef] = sources_field()

    @classmethod
    def of(cls, row: domain.Timesheet) -> Timesheet:
        return cls(
            row=row,
            id=strawberry.ID(encode_global_id("Timesheet", row.id)),
            domain_id=row.id,
            start=row.start,
            finish=row.finish,
            status=TimesheetStatus(row.status),
        )

    @field(description="Whose timesheet it is.")
    async def staff(
        self, info: Info
    ) -> Annotated[Staff, strawberry.lazy("schoolgraph.graph.types.staff")] | None:
        from schoolgraph.graph.types.staff import Staff

        return await Staff.load_node(info, self.row.staff_id)

    @field(description="The shifts on the timesheet, by start.")
    async def shifts(
        self, info: Info
    ) -> list[Annotated[Shift, strawberry.lazy("schoolgraph.graph.types.shift")]] | None:
        from schoolgraph.graph.types.shift import Shift, shift_sort_key

        rows = await loaders(info).shifts.load(
            StaffWindow(self.row.staff_id, self.row.start, self.row.finish)
        )
        mine = [row for row in rows if row.timesheet_id == self.row.id]
        return [Shift.of(row) for row in sorted(mine, key=shift_sort_key)]
