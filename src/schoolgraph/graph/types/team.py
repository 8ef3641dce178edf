"""``Team``: a Tanda team (department) at a location, and its people."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Annotated

import strawberry

from schoolgraph import domain
from schoolgraph.graph.fields import field
from schoolgraph.graph.ids import encode_global_id
from schoolgraph.graph.info import Info, already_built, built_once, loaders
from schoolgraph.graph.loading import load_rows
from schoolgraph.graph.types.node import Node
from schoolgraph.graph.types.source_ref import SourceRef, sources_field
from schoolgraph.loaders.outcomes import ALL, UNSETTLED

if TYPE_CHECKING:
    from schoolgraph.graph.types.location import Location
    from schoolgraph.graph.types.staff import Staff

__all__ = ["Team", "resolve_teams", "team_now"]


@strawberry.federation.type(keys=["id"], description="A team (a Tanda department) at a location.")
class Team(Node):
    row: strawberry.Private[domain.Team]
    domain_id: str
    name: str
    sources: list[SourceRef] = sources_field()

    @classmethod
    def of(cls, row: domain.Team) -> Team:
        return cls(
            row=row,
            id=strawberry.ID(encode_global_id("Team", row.id)),
            domain_id=row.id,
            name=row.name,
        )

    @classmethod
    async def load_node(cls, info: Info, domain_id: str) -> Team | None:
        row = (await loaders(info).teams.load(ALL)).get(domain_id)
        return None if row is None else cls.of(row)

    @field(description="Where the team works.")
    async def location(
        self, info: Info
    ) -> Annotated[Location, strawberry.lazy("schoolgraph.graph.types.location")] | None:
        from schoolgraph.graph.types.location import Location

        return await Location.load_node(info, self.row.location_id)

    @field(description="The team's members, by surname.")
    async def staff(
        self, info: Info
    ) -> list[Annotated[Staff, strawberry.lazy("schoolgraph.graph.types.staff")]] | None:
        from schoolgraph.graph.types.staff import Staff, staff_sort_key

        rows = await load_rows(info, loaders(info).staff, self.row.staff_ids)
        return [Staff.of(row) for row in sorted(rows, key=staff_sort_key)]

    @field(description="The team's managers.")
    async def managers(
        self, info: Info
    ) -> list[Annotated[Staff, strawberry.lazy("schoolgraph.graph.types.staff")]] | None:
        from schoolgraph.graph.types.staff import Staff

        rows = await load_rows(info, loaders(info).staff, self.row.manager_ids)
        return [Staff.of(row) for row in rows]


def team_now(info: Info, team_id: str) -> Team | Awaitable[Team | None] | None:
    """The team with ``team_id``: at once when the request has read the teams (see
    :func:`~schoolgraph.graph.loading.with_references`), else an awaitable of it.

    Raises:
        SchoolgraphError: Tanda could not be read.
    """
    built = already_built(info, "Team", team_id, Team)
    if built is not None:  # the team of the shift before
        return built
    teams = loaders(info).teams.settled(ALL)
    if teams is UNSETTLED:
        return Team.load_node(info, team_id)
    row = teams.get(team_id)
    return None if row is None else built_once(info, "Team", row.id, lambda: Team.of(row))


async def resolve_teams(info: Info) -> list[Team] | None:
    teams = await loaders(info).teams.load(ALL)
    return [Team.of(row) for row in sorted(teams.values(), key=lambda row: (row.name, row.id))]
