"""``Location``: a workplace in Tanda, with its teams."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from schoolgraph import domain
from schoolgraph.graph.fields import field
from schoolgraph.graph.ids import encode_global_id
from schoolgraph.graph.info import Info, loaders
from schoolgraph.graph.types.node import Node
from schoolgraph.graph.types.source_ref import SourceRef, sources_field
from schoolgraph.loaders.outcomes import ALL

if TYPE_CHECKING:
    from schoolgraph.graph.types.team import Team

__all__ = ["Location", "resolve_locations"]


@strawberry.federation.type(keys=["id"], description="A workplace (a Tanda location).")
class Location(Node):
    row: strawberry.Private[domain.Location]
    domain_id: str
    name: str
    short_name: str | None
    address: str | None
    time_zone: str | None = strawberry.field(description="The IANA zone of the location.")
    sources: list[SourceRef] = sources_field()

    @classmethod
    def of(cls, row: domain.Location) -> Location:
        return cls(
            row=row,
            id=strawberry.ID(encode_global_id("Location", row.id)),
            domain_id=row.id,
            name=row.name,
            short_name=row.short_name,
            address=row.address,
            time_zone=row.time_zone,
        )

    @classmethod
    async def load_node(cls, info: Info, domain_id: str) -> Location | None:
        row = (await loaders(info).locations.load(ALL)).get(domain_id)
        return None if row is None else cls.of(row)

    @field(description="The teams at this location, by name.")
    async def teams(
        self, info: Info
    ) -> list[Annotated[Team, strawberry.lazy("schoolgraph.graph.types.team")]] | None:
        from schoolgraph.graph.types.team import Team

        teams = await loaders(info).teams.load(ALL)
        rows = [team for team in teams.values() if team.location_id == self.row.id]
        return [Team.of(row) for row in sorted(rows, key=lambda row: (row.name, row.id))]


async def resolve_locations(info: Info) -> list[Location] | None:
    locations = await loaders(info).locations.load(ALL)
    return [
        Location.of(row) for row in sorted(locations.values(), key=lambda row: (row.name, row.id))
    ]
