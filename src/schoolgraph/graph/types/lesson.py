"""``Lesson``: one timetabled lesson occurrence."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from schoolgraph import domain
from schoolgraph.graph.fields import field
from schoolgraph.graph.ids import encode_global_id
from schoolgraph.graph.info import Info, loaders
from schoolgraph.graph.loading import load_rows
from schoolgraph.graph.time_zones import local_iso
from schoolgraph.graph.types.source_ref import SourceRef, sources_field

if TYPE_CHECKING:
    from schoolgraph.graph.types.group import Group
    from schoolgraph.graph.types.school import School
    from schoolgraph.graph.types.staff import Staff

__all__ = ["Lesson"]


@strawberry.type(description="One timetabled lesson: a group, its teachers, a room, a time.")
class Lesson:
    row: strawberry.Private[domain.Lesson]
    id: strawberry.ID = strawberry.field(description="Opaque id, unique among lessons.")
    domain_id: str
    start: datetime
    end: datetime
    room: str | None
    period: str | None = strawberry.field(description="The period's name in the school's day.")
    subject: str | None
    sources: list[SourceRef] = sources_field()

    @classmethod
    def of(cls, row: domain.Lesson) -> Lesson:
        return cls(
            row=row,
            id=strawberry.ID(encode_global_id("Lesson", row.id)),
            domain_id=row.id,
            start=row.start,
            end=row.end,
            room=row.room,
            period=row.period,
            subject=row.subject,
        )

    @field(description="`start` in the school's time zone, with its offset.")
    async def local_start(self, info: Info) -> str | None:
        return local_iso(self.row.start, await self._zone(info))

    @field(description="`end` in the school's time zone, with its offset.")
    async def local_end(self, info: Info) -> str | None:
        return local_iso(self.row.end, await self._zone(info))

    async def _zone(self, info: Info) -> str | None:
        school = await loaders(info).school.load(self.row.school_id)
        return None if school is None else school.time_zone

    @field(description="The lesson's school.")
    async def school(
        self, info: Info
    ) -> Annotated[School, strawberry.lazy("schoolgraph.graph.types.school")] | None:
        from schoolgraph.graph.types.school import School

        return await School.load_node(info, self.row.school_id)

    @field(description="The group taught.")
    async def group(
        self, info: Info
    ) -> Annotated[Group, strawberry.lazy("schoolgraph.graph.types.group")] | None:
        from schoolgraph.graph.types.group import Group

        if self.row.group_id is None:
            return None
        return await Group.load_node(info, self.row.group_id)

    @field(description="Who teaches it.")
    async def staff(
        self, info: Info
    ) -> list[Annotated[Staff, strawberry.lazy("schoolgraph.graph.types.staff")]] | None:
        from schoolgraph.graph.types.staff import Staff

        rows = await load_rows(info, loaders(info).staff, self.row.staff_ids)
        return [Staff.of(row) for row in rows]
