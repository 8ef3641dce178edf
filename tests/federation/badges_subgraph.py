"""A second federated service, as another team would write one: it knows nothing about
schools, adds a door ``badge`` to schoolgraph's ``Staff`` by the entity key alone, and lists
``badgeHolders`` as bare ``Staff`` references for schoolgraph to fill in.

It keeps every GraphQL request it is sent (``RECEIVED``), so a test can see what the Apollo
gateway asked of it, the way the simulators' request logs show what schoolgraph asked of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from typing import Any

import strawberry
from aiohttp import web
from strawberry.aiohttp.views import GraphQLView
from strawberry.federation import Schema

__all__ = ["HOLDERS", "RECEIVED", "Badge", "badge_for", "create_badges_app"]

COLOURS = ("amber", "blue", "green", "red", "violet")
FIRST_ISSUE = date(2020, 1, 1)

RECEIVED = web.AppKey("received", list[dict[str, Any]])
HOLDERS = web.AppKey("holders", tuple[str, ...])


@strawberry.type
class Badge:
    """A door badge."""

    colour: str
    issued_on: date


def badge_for(staff_id: str) -> Badge:
    """The badge of the person with this schoolgraph ``Staff`` id, the same on every call."""
    digest = hashlib.sha256(staff_id.encode()).digest()
    return Badge(
        colour=COLOURS[digest[0] % len(COLOURS)],
        issued_on=FIRST_ISSUE + timedelta(days=int.from_bytes(digest[1:3]) % 2000),
    )


@strawberry.federation.type(keys=["id"])
class Staff:
    """schoolgraph's ``Staff``, seen by its key only."""

    id: strawberry.ID

    @strawberry.field
    def badge(self) -> Badge:
        """The person's door badge."""
        return badge_for(self.id)


@strawberry.type
class Query:
    @strawberry.field
    def badge_holders(self, info: strawberry.Info[dict[str, Any], None]) -> list[Staff]:
        """Who holds a badge, in the order the badge office issued them: references that the
        supergraph asks schoolgraph's ``_entities`` to fill in."""
        request: web.Request = info.context["request"]
        return [Staff(id=strawberry.ID(holder)) for holder in request.app[HOLDERS]]


@web.middleware
async def keep_requests(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if request.method == "POST":
        request.app[RECEIVED].append(await request.json())
    return await handler(request)


def create_badges_app(holders: Sequence[str] = ()) -> web.Application:
    """The badge service, a federation 2 subgraph at ``POST /graphql``.

    Args:
        holders: The schoolgraph ``Staff`` ids the badge office has issued badges to.
    """
    schema = Schema(query=Query, federation_version="2.11")
    app = web.Application(middlewares=[keep_requests])
    app[RECEIVED] = []
    app[HOLDERS] = tuple(holders)
    app.router.add_route("*", "/graphql", GraphQLView(schema=schema))
    return app
