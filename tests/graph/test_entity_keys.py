"""``Team``, ``Location`` and ``Contact`` as federation entities, and ``_entities``' refusal
of an id that does not fit its representation, over loopback HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.graph.conftest import Gateway, global_id

TEAMS_AND_CONTACTS = """
{
  teams { id name location { id name address } }
  students(first: 20) { nodes { contacts { contact { id forename surname } } } }
}
"""

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Team { id name location { id name address } }
    ... on Location { id name address }
    ... on Contact { id forename surname }
  }
}
"""


async def test_teams_locations_and_contacts_resolve_as_entities(gateway: Gateway) -> None:
    data = await gateway.data(TEAMS_AND_CONTACTS)
    team = data["teams"][0]
    location = team["location"]
    contact = next(
        link["contact"]
        for student in data["students"]["nodes"]
        for link in student["contacts"]
        if link["contact"]
    )

    body = await gateway.post(
        ENTITIES,
        {
            "representations": [
                {"__typename": "Team", "id": team["id"]},
                {"__typename": "Location", "id": location["id"]},
                {"__typename": "Contact", "id": contact["id"]},
            ]
        },
    )

    assert "errors" not in body, body["errors"]
    assert body["data"]["_entities"] == [
        {"__typename": "Team", **team},
        {"__typename": "Location", **location},
        {"__typename": "Contact", **contact},
    ]


async def test_entities_that_no_longer_exist_are_null(gateway: Gateway) -> None:
    organisation = next(iter(gateway.world.organisation.values()))
    school = next(s for s in gateway.world.schools.values() if s.system == "xporter")
    missing = [
        {"__typename": "Team", "id": global_id("Team", f"tanda:{organisation.id}:999999")},
        {"__typename": "Location", "id": global_id("Location", f"tanda:{organisation.id}:9999")},
        {"__typename": "Contact", "id": global_id("Contact", f"xporter:{school.code}:999999")},
    ]

    body = await gateway.post(ENTITIES, {"representations": missing})

    assert "errors" not in body, body["errors"]
    assert body["data"]["_entities"] == [None, None, None]


def staff_id(gateway: Gateway) -> str:
    staff = next(iter(gateway.world.staff.values()))
    school = gateway.world.schools[staff.school_id]
    return global_id("Staff", f"{school.system}:{school.code}:{staff.id}")


@pytest.mark.parametrize(
    ("type_name", "key", "message"),
    [
        ("Student", "staff", "representations[1] has the id of a Staff, not of a Student."),
        ("Team", "staff", "representations[1] has the id of a Staff, not of a Team."),
        ("Student", "x", "representations[1] has id 'x', which is not a schoolgraph id."),
        (
            "Location",
            global_id("Location", "x"),
            f"representations[1] has id {global_id('Location', 'x')!r}, which is not a "
            "schoolgraph id.",
        ),
    ],
    ids=["student-with-staff-id", "team-with-staff-id", "not-base64", "not-a-domain-id"],
)
async def test_an_id_that_does_not_fit_its_representation_is_refused_at_its_index(
    gateway: Gateway, type_name: str, key: str, message: str
) -> None:
    good = {"__typename": "Staff", "id": staff_id(gateway)}
    bad = {"__typename": type_name, "id": good["id"] if key == "staff" else key}

    body = await gateway.post(
        "query ($r: [_Any!]!) { _entities(representations: $r) { ... on Staff { id } } }",
        {"r": [good, bad, good]},
    )

    errors: list[Any] = body["errors"]
    assert [(e["message"], e["path"], e["extensions"]) for e in errors] == [
        (message, ["_entities", 1], {"code": "BAD_USER_INPUT", "field": "representations[1]"})
    ]
    assert body["data"]["_entities"] == [{"id": good["id"]}, None, {"id": good["id"]}]
