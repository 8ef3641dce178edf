"""schoolgraph as one subgraph of an Apollo supergraph: composed by ``@apollo/composition``,
served by ``@apollo/gateway``, next to a badge service that extends ``Staff`` and a desk
service that extends ``Team`` and ``Location``."""

from __future__ import annotations

import re
from typing import Any

from yarl import URL

from tests.federation.badges_subgraph import RECEIVED, badge_for
from tests.federation.conftest import ApolloGateway, StartBadges, StartDesks, Subgraph
from tests.federation.desks_subgraph import BookedDesk
from tests.graph.conftest import Gateway

STAFF = "{ staff(first: 6) { nodes { id forename surname displayName school { name } } } }"

STAFF_WITH_BADGES = """
{
  staff(first: 6) {
    nodes { id forename surname displayName school { name } badge { colour issuedOn } }
  }
}
"""

BADGE_HOLDERS = (
    "{ badgeHolders { id forename surname displayName school { name } badge { colour } } }"
)


def subgraphs(schoolgraph: Gateway, badges: Subgraph) -> dict[str, URL]:
    return {"schoolgraph": schoolgraph.url / "graphql", "badges": badges.url}


def entity_requests(badges: Subgraph) -> list[Any]:
    """The representations of each ``_entities`` request the badge service was sent."""
    return [
        request["variables"]["representations"]
        for request in badges.app[RECEIVED]
        if "_entities" in request["query"]
    ]


def badge_json(staff_id: str) -> dict[str, str]:
    badge = badge_for(staff_id)
    return {"colour": badge.colour, "issuedOn": badge.issued_on.isoformat()}


async def test_apollo_gateway_merges_schoolgraph_staff_with_another_subgraphs_badges(
    apollo: ApolloGateway, schoolgraph: Gateway, start_badges: StartBadges
) -> None:
    badges = await start_badges(())
    alone = (await schoolgraph.data(STAFF))["staff"]["nodes"]

    supergraph = await apollo.execute(subgraphs(schoolgraph, badges), STAFF_WITH_BADGES)

    staff_type = re.search(r"^type Staff\b[^{]*", supergraph.sdl, re.MULTILINE)
    assert staff_type is not None, supergraph.sdl
    assert '@join__type(graph: SCHOOLGRAPH, key: "id")' in staff_type.group()
    assert '@join__type(graph: BADGES, key: "id")' in staff_type.group()
    assert "errors" not in supergraph.result, supergraph.result["errors"]
    merged = supergraph.result["data"]["staff"]["nodes"]
    ids = [person["id"] for person in alone]
    assert len(ids) == 6
    assert [person["id"] for person in merged] == ids
    assert merged == [{**person, "badge": badge_json(person["id"])} for person in alone]
    assert any(person["school"] for person in merged)
    # One batch, keyed by schoolgraph's own ids: the gateway planned the badges as entities.
    assert entity_requests(badges) == [[{"__typename": "Staff", "id": i} for i in ids]]


async def test_apollo_gateway_fills_in_staff_that_another_subgraph_refers_to(
    apollo: ApolloGateway, schoolgraph: Gateway, start_badges: StartBadges
) -> None:
    alone = (await schoolgraph.data(STAFF))["staff"]["nodes"]
    # Issued in reverse order, so the answer's order is the badge office's, not schoolgraph's.
    holders = [person["id"] for person in reversed(alone)]
    badges = await start_badges(holders)

    supergraph = await apollo.execute(subgraphs(schoolgraph, badges), BADGE_HOLDERS)

    assert "errors" not in supergraph.result, supergraph.result["errors"]
    by_id = {person["id"]: person for person in alone}
    assert supergraph.result["data"]["badgeHolders"] == [
        {**by_id[i], "badge": {"colour": badge_for(i).colour}} for i in holders
    ]
    # The badges came with the holders: the badge service was never asked for entities.
    assert entity_requests(badges) == []


TEAMS = "{ teams { id name location { id name } } }"

DESKS_AND_TEAMS = """
{
  desks { label team { id name location { name } } location { id name } }
  teams { name desks { label } }
}
"""


async def test_apollo_gateway_fills_in_teams_and_locations_another_subgraph_refers_to(
    apollo: ApolloGateway, schoolgraph: Gateway, start_desks: StartDesks
) -> None:
    teams = (await schoolgraph.data(TEAMS))["teams"][:3]
    assert len(teams) == 3 and all(team["location"] for team in teams)
    # Booked in reverse order, so the desks' order is the desk service's, not schoolgraph's.
    booked = [
        BookedDesk(label=f"D{n}", team_id=team["id"], location_id=team["location"]["id"])
        for n, team in enumerate(reversed(teams), start=1)
    ]
    desks = await start_desks(booked)

    supergraph = await apollo.execute(
        {"schoolgraph": schoolgraph.url / "graphql", "desks": desks.url}, DESKS_AND_TEAMS
    )

    assert "errors" not in supergraph.result, supergraph.result["errors"]
    data = supergraph.result["data"]
    # Names only schoolgraph knows: it resolved the desk service's references by their key.
    assert data["desks"] == [
        {
            "label": desk.label,
            "team": {
                "id": team["id"],
                "name": team["name"],
                "location": {"name": team["location"]["name"]},
            },
            "location": team["location"],
        }
        for desk, team in zip(booked, reversed(teams), strict=True)
    ]
    # And the other way: schoolgraph's teams, each with the desks the desk service adds
    # (none for the teams without a booked desk).
    assert len(data["teams"]) > len(teams)
    assert [team for team in data["teams"] if team["desks"]] == [
        {"name": team["name"], "desks": [{"label": desk.label}]}
        for team in teams
        for desk in booked
        if desk.team_id == team["id"]
    ]
