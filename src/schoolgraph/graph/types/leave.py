"""``LeaveRequest``: a request for leave, from one day to another."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from schoolgraph import domain
from schoolgraph.graph.arguments import From, To, date_window
from schoolgraph.graph.fields import field
from schoolgraph.graph.ids import encode_global_id
from schoolgraph.graph.info import Info, loaders
from schoolgraph.graph.loading import load_for_people
from schoolgraph.graph.types.source_ref import SourceRef, sources_field

if TYPE_CHECKING:
    from schoolgraph.graph.types.staff import Staff

__all__ = ["LeaveRequest", "resolve_leave_requests"]


@strawberry.type(description="A request for leave, `start` to `finish` inclusive.")
class LeaveRequest:
    row: strawberry.Private[domain.LeaveRequest]
    id: strawberry.ID = strawberry.field(description="Opaque id, unique among leave requests.")
    domain_id: str
    leave_type: str = strawberry.field(description='e.g. "Annual Leave", "Sick Leave".')
    reason: str | None
    start: datetime.date
    finish: datetime.date
    hours: float
    status: str = strawberry.field(description='"pending", "approved", "rejected"...')
    sources: list[SourceRef] = sources_field()

    @classmethod
    def of(cls, row: domain.LeaveRequest) -> LeaveRequest:
        return cls(
            row=row,
            id=strawberry.ID(encode_global_id("LeaveRequest", row.id)),
            domain_id=row.id,
            leave_type=row.leave_type,
            reason=row.reason,
            start=row.start,
            finish=row.finish,
            hours=row.hours,
            status=row.status,
        )

    @field(description="Who asked for the leave.")
    async def staff(
        self, info: Info
    ) -> Annotated[Staff, strawberry.lazy("schoolgraph.graph.types.staff")] | None:
        from schoolgraph.graph.types.staff import Staff

        return await Staff.load_node(info, self.row.staff_id)


async def resolve_leave_requests(
    info: Info,
    from_: From,
    to: To,
    status: Annotated[
        str | None, strawberry.argument(description='Only this status, e.g. "pending".')
    ] = None,
) -> list[LeaveRequest] | None:
    window = date_window(from_, to)
    rows = [
        row
        for row in await load_for_people(loaders(info).leave_requests, None, window)
        if status is None or row.status == status
    ]
    return [LeaveRequest.of(row) for row in sorted(rows, key=lambda row: (row.start, row.id))]
