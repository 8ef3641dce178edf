"""``Roster``: a week of planned shifts."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry

from schoolgraph import domain
from schoolgraph.graph.arguments import From, To, date_window
from schoolgraph.graph.fields import field
from schoolgraph.graph.ids import decode_id_of, encode_global_id
from schoolgraph.graph.info import Info, loaders
from schoolgraph.graph.loading import selected, with_references
from schoolgraph.graph.types.node import Node
from schoolgraph.graph.types.source_ref import SourceRef, sources_field
from schoolgraph.loaders import EVERYONE, StaffWindow, Window
from schoolgraph.loaders.outcomes import ALL

if TYPE_CHECKING:
    from schoolgraph.graph.types.scheduled_shift import ScheduledShift

__all__ = ["Roster", "resolve_current_roster", "resolve_roster", "resolve_rosters"]


@strawberry.federation.type(keys=["id"], description="A roster: one week of planned shifts.")
class Roster(Node):
    row: strawberry.Private[domain.Roster]
    domain_id: str
    start: date = strawberry.field(description="The roster's first day.")
    finish: date = strawberry.field(description="The roster's last day, inclusive.")
    sources: list[SourceRef] = sources_field()

    @classmethod
    def of(cls, row: domain.Roster) -> Roster:
        return cls(
            row=row,
            id=strawberry.ID(encode_global_id("Roster", row.id)),
            domain_id=row.id,
            start=row.start,
            finish=row.finish,
        )

    @classmethod
    async def load_node(cls, info: Info, domain_id: str) -> Roster | None:
        row = await loaders(info).roster.load(domain_id)
        return None if row is None else cls.of(row)

    @field(description="The roster's shifts, by start; only one team's with `teamId`.")
    async def scheduled_shifts(
        self, info: Info, team_id: strawberry.ID | None = None
    ) -> (
        list[Annotated[ScheduledShift, strawberry.lazy("schoolgraph.graph.types.scheduled_shift")]]
        | None
    ):
        from schoolgraph.graph.types.scheduled_shift import ScheduledShift, scheduled_shift_sort_key

        team = decode_id_of("Team", team_id, field="teamId") if team_id is not None else None
        rows = await with_references(
            info,
            loaders(info).scheduled_shifts.load(
                StaffWindow(EVERYONE, self.row.start, self.row.finish)
            ),
            selected(info),
        )
        mine = [
            row
            for row in rows
            if row.roster_id == self.row.id and (team is None or row.team_id == team)
        ]
        return [ScheduledShift.of(row) for row in sorted(mine, key=scheduled_shift_sort_key)]


async def resolve_rosters(info: Info, from_: From, to: To) -> list[Roster] | None:
    window = date_window(from_, to)
    rows = await loaders(info).rosters_in_window.load(Window(window.start, window.end))
    return [Roster.of(row) for row in sorted(rows, key=lambda row: (row.start, row.id))]


async def resolve_roster(
    info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A Roster id.")]
) -> Roster | None:
    return await Roster.load_node(info, decode_id_of("Roster", id))


async def resolve_current_roster(info: Info) -> Roster | None:
    row = await loaders(info).current_roster.load(ALL)
    return None if row is None else Roster.of(row)
