"""A desk-booking service, as another team would write one: it knows nothing about teams or
workplaces but their ids, adds ``desks`` to schoolgraph's ``Team`` and ``Location`` by the
entity key alone, and lists ``desks`` whose team and location are bare references for
schoolgraph to fill in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import strawberry
from aiohttp import web
from strawberry.aiohttp.views import GraphQLView
from strawberry.federation import Schema

__all__ = ["DESKS", "BookedDesk", "create_desks_app"]


@dataclass(frozen=True)
class BookedDesk:
    """A desk, and the schoolgraph ``Team`` and ``Location`` ids it belongs to."""

    label: str
    team_id: str
    location_id: str


DESKS = web.AppKey("desks", tuple[BookedDesk, ...])


def _booked(info: strawberry.Info[dict[str, Any], None]) -> tuple[BookedDesk, ...]:
    request: web.Request = info.context["request"]
    return request.app[DESKS]


@strawberry.type
class Desk:
    """A desk someone can book."""

    label: str
    team: Team
    location: Location

    @classmethod
    def of(cls, desk: BookedDesk) -> Desk:
        return cls(
            label=desk.label,
            team=Team(id=strawberry.ID(desk.team_id)),
            location=Location(id=strawberry.ID(desk.location_id)),
        )


@strawberry.federation.type(keys=["id"])
class Team:
    """schoolgraph's ``Team``, seen by its key only."""

    id: strawberry.ID

    @strawberry.field
    def desks(self, info: strawberry.Info[dict[str, Any], None]) -> list[Desk]:
        """The team's desks."""
        return [Desk.of(desk) for desk in _booked(info) if desk.team_id == self.id]


@strawberry.federation.type(keys=["id"])
class Location:
    """schoolgraph's ``Location``, seen by its key only."""

    id: strawberry.ID

    @strawberry.field
    def desks(self, info: strawberry.Info[dict[str, Any], None]) -> list[Desk]:
        """The desks at this workplace."""
        return [Desk.of(desk) for desk in _booked(info) if desk.location_id == self.id]


@strawberry.type
class Query:
    @strawberry.field
    def desks(self, info: strawberry.Info[dict[str, Any], None]) -> list[Desk]:
        """Every desk, in the order they were booked: each team and location a reference
        that the supergraph asks schoolgraph's ``_entities`` to fill in."""
        return [Desk.of(desk) for desk in _booked(info)]


def create_desks_app(desks: Sequence[BookedDesk] = ()) -> web.Application:
    """The desk service, a federation 2 subgraph at ``POST /graphql``.

    Args:
        desks: The desks booked, with the schoolgraph ids of their teams and locations.
    """
    schema = Schema(query=Query, federation_version="2.3")
    app = web.Application()
    app[DESKS] = tuple(desks)
    app.router.add_route("*", "/graphql", GraphQLView(schema=schema))
    return app
