"""``AttendanceMark``: a student's mark for one session of one day."""

from __future__ import annotations

import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from schoolgraph import domain
from schoolgraph.graph.fields import field
from schoolgraph.graph.ids import encode_global_id
from schoolgraph.graph.info import Info
from schoolgraph.graph.types.source_ref import SourceRef, sources_field

if TYPE_CHECKING:
    from schoolgraph.graph.types.student import Student

__all__ = ["AttendanceMark", "AttendanceSession"]


@strawberry.enum(description="Half of a school day.")
class AttendanceSession(Enum):
    AM = "AM"
    PM = "PM"


@strawberry.type(description="A student's attendance mark for one session of one day.")
class AttendanceMark:
    row: strawberry.Private[domain.AttendanceMark]
    id: strawberry.ID = strawberry.field(description="Opaque id, unique among marks.")
    domain_id: str
    date: datetime.date
    session: AttendanceSession
    code: str = strawberry.field(description='The MIS mark, e.g. "/", "L", "N".')
    meaning: str | None = strawberry.field(description='What the mark means, e.g. "Present".')
    present: bool
    minutes_late: int | None
    sources: list[SourceRef] = sources_field()

    @classmethod
    def of(cls, row: domain.AttendanceMark) -> AttendanceMark:
        return cls(
            row=row,
            id=strawberry.ID(encode_global_id("AttendanceMark", row.id)),
            domain_id=row.id,
            date=row.date,
            session=AttendanceSession(row.session),
            code=row.code,
            meaning=row.meaning,
            present=row.present,
            minutes_late=row.minutes_late,
        )

    @field(description="The student the mark is for.")
    async def student(
        self, info: Info
    ) -> Annotated[Student, strawberry.lazy("schoolgraph.graph.types.student")] | None:
        from schoolgraph.graph.types.student import Student

        return await Student.load_node(info, self.row.student_id)
