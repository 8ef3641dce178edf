"""``ScheduledShift``: a planned shift in a roster (Tanda schedule)."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable
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
from schoolgraph.graph.types.node import Node
from schoolgraph.graph.types.shift import workforce_local
from schoolgraph.graph.types.source_ref import SourceRef, sources_field
from schoolgraph.graph.types.staff import staff_now
from schoolgraph.graph.types.team import team_now

if TYPE_CHECKING:
    from schoolgraph.graph.types.roster import Roster
    from schoolgraph.graph.types.staff import Staff
    from schoolgraph.graph.types.team import Team

__all__ = ["ScheduledShift", "resolve_scheduled_shifts", "scheduled_shift_sort_key"]

STAFF = Optional[Annotated["Staff", strawberry.lazy("schoolgraph.graph.types.staff")]]  # noqa: UP045
TEAM = Optional[Annotated["Team", strawberry.lazy("schoolgraph.graph.types.team")]]  # noqa: UP045


@strawberry.federation.type(keys=["id"], description="A planned shift in a roster.")
class ScheduledShift(Node):
    row: strawberry.Private[domain.ScheduledShift]
    domain_id: str
    start: datetime.datetime | None
    finish: datetime.datetime | None
    break_minutes: int | None
    published_at: datetime.datetime | None = strawberry.field(
        description="When it was published to the person; null while a draft."
    )
    published: bool
    vacant: bool = strawberry.field(description="Whether nobody is assigned yet.")
    updated_at: datetime.datetime | None
    sources: list[SourceRef] = sources_field()

    @classmethod
    def of(cls, row: domain.ScheduledShift) -> ScheduledShift:
        return cls(
            row=row,
            id=strawberry.ID(encode_global_id("ScheduledShift", row.id)),
            domain_id=row.id,
            start=row.start,
            finish=row.finish,
            break_minutes=row.break_minutes,
            published_at=row.published_at,
            published=row.published_at is not None,
            vacant=row.staff_id is None,
            updated_at=row.updated_at,
        )

    @classmethod
    async def load_node(cls, info: Info, domain_id: str) -> ScheduledShift | None:
        row = await loaders(info).scheduled_shift.load(domain_id)
        return None if row is None else cls.of(row)

    @field(description="`start` in the person's (or location's) time zone.")
    async def local_start(self, info: Info) -> str | None:
        return await workforce_local(info, self.row.start, self.row.staff_id, self.row.team_id)

    @field(description="`finish` in the person's (or location's) time zone.")
    async def local_finish(self, info: Info) -> str | None:
        return await workforce_local(info, self.row.finish, self.row.staff_id, self.row.team_id)

    # Not coroutines: a list of shifts whose parent read the people and teams answers each
    # shift's `staff` and `team` at once (see graph.loading.with_references).
    @field(
        description="Who is rostered; null for a vacant shift.",
        graphql_type=STAFF,
        inline=True,
        keyed_by=attrgetter("row.staff_id"),
    )
    def staff(self, info: Info) -> Staff | Awaitable[Staff | None] | None:
        return None if self.row.staff_id is None else staff_now(info, self.row.staff_id)

    @field(
        description="The team it is planned for.",
        graphql_type=TEAM,
        inline=True,
        keyed_by=attrgetter("row.team_id"),
    )
    def team(self, info: Info) -> Team | Awaitable[Team | None] | None:
        return None if self.row.team_id is None else team_now(info, self.row.team_id)

    @field(description="The roster (week) it belongs to.")
    async def roster(
        self, info: Info
    ) -> Annotated[Roster, strawberry.lazy("schoolgraph.graph.types.roster")] | None:
        from schoolgraph.graph.types.roster import Roster

        return await Roster.load_node(info, self.row.roster_id)


def scheduled_shift_sort_key(row: domain.ScheduledShift) -> SortKey:
    return (utc_text(row.start) if row.start is not None else "", row.id)


async def resolve_scheduled_shifts(
    info: Info,
    from_: From,
    to: To,
    staff_ids: Annotated[
        list[strawberry.ID] | None, strawberry.argument(description="Only these people's shifts.")
    ] = None,
    team_id: Annotated[
        strawberry.ID | None, strawberry.argument(description="Only shifts planned for this team.")
    ] = None,
    first: First = DEFAULT_PAGE_SIZE,
    after: After = None,
) -> Connection[ScheduledShift] | None:
    window = date_window(from_, to)
    check_page("ScheduledShift", first, after)
    people = (
        decode_ids_of("Staff", staff_ids, field="staffIds", limit=MAX_PAGE_SIZE)
        if staff_ids is not None
        else None
    )
    team = decode_id_of("Team", team_id, field="teamId") if team_id is not None else None
    found = await with_references(
        info, load_for_people(loaders(info).scheduled_shifts, people, window), selected(info)
    )
    rows = [row for row in found if team is None or row.team_id == team]
    return paginate(
        rows,
        kind="ScheduledShift",
        key=scheduled_shift_sort_key,
        node=ScheduledShift.of,
        first=first,
        after=after,
    )
