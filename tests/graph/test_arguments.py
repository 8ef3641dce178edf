"""Pagination, filters and bad input over HTTP: coded errors that name the argument."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.graph.conftest import Gateway, global_id

STUDENTS = """
query ($first: Int, $after: String, $year: Int, $search: String, $group: ID, $since: DateTime) {
  students(first: $first, after: $after, year: $year, search: $search, groupId: $group,
           updatedSince: $since) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { domainId } }
    nodes { domainId surname forename year upn updatedAt }
  }
}
"""


async def test_pages_of_students_cover_the_list_once_in_order(gateway: Gateway) -> None:
    everyone = (await gateway.data(STUDENTS, {"first": 500}))["students"]
    assert not everyone["pageInfo"]["hasNextPage"]

    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = (await gateway.data(STUDENTS, {"first": 40, "after": after}))["students"]
        pages += 1
        assert page["totalCount"] == everyone["totalCount"]
        assert page["pageInfo"]["hasPreviousPage"] is (pages > 1)
        assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        seen.extend(node["domainId"] for node in page["nodes"])
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break

    assert pages == -(-everyone["totalCount"] // 40)
    assert seen == [node["domainId"] for node in everyone["nodes"]]
    keys = [(n["surname"].casefold(), n["forename"].casefold()) for n in everyone["nodes"]]
    assert keys == sorted(keys)

    empty = (await gateway.data(STUDENTS, {"first": 10, "after": after}))["students"]
    assert empty["nodes"] == [] and empty["pageInfo"]["endCursor"] is None
    assert (await gateway.data(STUDENTS, {"first": 0}))["students"]["nodes"] == []


async def test_any_edge_cursor_resumes_right_after_its_row(gateway: Gateway) -> None:
    page = (await gateway.data(STUDENTS, {"first": 10}))["students"]
    ids = [edge["node"]["domainId"] for edge in page["edges"]]
    assert ids == [node["domainId"] for node in page["nodes"]]

    after = page["edges"][3]["cursor"]
    resumed = (await gateway.data(STUDENTS, {"first": 6, "after": after}))["students"]

    assert [node["domainId"] for node in resumed["nodes"]] == ids[4:]
    assert resumed["pageInfo"]["startCursor"] == page["edges"][4]["cursor"]
    assert [edge["cursor"] for edge in resumed["edges"]] == [
        edge["cursor"] for edge in page["edges"][4:]
    ]


async def test_the_default_page_is_fifty(gateway: Gateway) -> None:
    page = (await gateway.data(STUDENTS))["students"]
    assert len(page["nodes"]) == 50 < page["totalCount"]


async def test_student_filters(gateway: Gateway) -> None:
    world = gateway.world
    school = next(s for s in world.schools.values() if s.system == "xporter")
    group = next(g for g in world.groups_of(school.id, type="class") if g.student_ids)
    student = world.students[group.student_ids[0]]

    year = (await gateway.data(STUDENTS, {"first": 500, "year": 9}))["students"]["nodes"]
    assert year and all(n["year"] == 9 for n in year)
    assert len(year) == sum(
        1 for s in world.students.values() if s.year == 9 and s.leaving_date is None
    ) or all(n["year"] == 9 for n in year)

    members = (
        await gateway.data(
            STUDENTS,
            {"first": 500, "group": global_id("Group", f"xporter:{school.code}:{group.id}")},
        )
    )["students"]["nodes"]
    assert {n["domainId"] for n in members} == {
        f"xporter:{school.code}:{s}" for s in group.student_ids
    }

    search = f"{student.forename.lower()} {student.surname.upper()}"
    found = (await gateway.data(STUDENTS, {"first": 500, "search": search}))["students"]["nodes"]
    assert f"xporter:{school.code}:{student.id}" in {n["domainId"] for n in found}
    assert all(
        student.forename.casefold() in f"{n['forename']} {n['surname']}".casefold() for n in found
    )

    future = datetime.now(UTC) + timedelta(days=1)
    assert (await gateway.data(STUDENTS, {"since": future.isoformat()}))["students"]["nodes"] == []
    past = datetime(2000, 1, 1, tzinfo=UTC)
    since = (await gateway.data(STUDENTS, {"first": 500, "since": past.isoformat()}))["students"]
    assert all(n["updatedAt"] is None or n["updatedAt"] >= past.isoformat() for n in since["nodes"])


async def test_group_filters(gateway: Gateway) -> None:
    world = gateway.world
    school = next(s for s in world.schools.values() if s.system == "xporter")
    data = await gateway.data(
        """
        query ($school: ID!) {
          teaching: groups(schoolId: $school, type: TEACHING, year: 9, first: 500) {
            totalCount nodes { type year school { domainId } }
          }
          houses: groups(schoolId: $school, type: HOUSE, first: 500) { nodes { domainId } }
          everywhere: groups(type: YEAR, first: 500) { nodes { school { domainId } } }
        }
        """,
        {"school": global_id("School", f"xporter:{school.code}")},
    )

    teaching = data["teaching"]["nodes"]
    assert data["teaching"]["totalCount"] == sum(
        1 for g in world.groups_of(school.id, type="class") if g.year == 9
    )
    assert all(
        n["type"] == "TEACHING"
        and n["year"] == 9
        and n["school"]["domainId"] == f"xporter:{school.code}"
        for n in teaching
    )
    assert {n["domainId"] for n in data["houses"]["nodes"]} == {
        f"xporter:{school.code}:{g.id}" for g in world.groups_of(school.id, type="house")
    }
    assert len({n["school"]["domainId"] for n in data["everywhere"]["nodes"]}) == len(world.schools)


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert len(body["errors"]) == 1, body["errors"]
    error: dict[str, Any] = body["errors"][0]
    return error


@pytest.mark.parametrize(
    ("arguments", "field", "words"),
    [
        ("first: 501", "first", "at most 500"),
        ("first: -1", "first", "0 or more"),
        ('after: "not-a-cursor"', "after", "not a cursor"),
        ('search: "' + "x" * 101 + '"', "search", "at most 100"),
        ('schoolId: "bm9wZQ"', "schoolId", "not a schoolgraph id"),
        ('schoolId: "U3R1ZGVudDp4cG9ydGVyOjE6Mg"', "schoolId", "not of a School"),
    ],
    ids=["first-too-big", "first-negative", "bad-cursor", "long-search", "bad-id", "wrong-type"],
)
async def test_bad_arguments_are_coded_errors_naming_the_argument(
    gateway: Gateway, arguments: str, field: str, words: str
) -> None:
    await gateway.sim_requests()
    body = await gateway.post(f"{{ students({arguments}) {{ totalCount }} service {{ name }} }}")

    error = only_error(body)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert words in error["message"]
    assert error["path"] == ["students"]
    assert body["data"] == {"students": None, "service": {"name": "schoolgraph"}}
    assert sum((await gateway.sim_requests()).values()) == 0, "bad input reached an upstream"


@pytest.mark.parametrize(
    "domain_id",
    ["x", "xporter:1", "bogus:1:2", ":1:2", "xporter::2"],
    ids=["no-upstream", "a-school-id", "unknown-upstream", "no-system", "no-tenant"],
)
async def test_a_node_id_whose_domain_id_is_malformed_is_refused_as_bad_input(
    gateway: Gateway, domain_id: str
) -> None:
    # Base64 of "Student:x" decodes, but no student's id has that shape: refused like any id
    # the gateway did not issue, not looked for as a student of a school named "x".
    await gateway.sim_requests()
    body = await gateway.post(
        "query ($id: ID!) { node(id: $id) { id } service { name } }",
        {"id": global_id("Student", domain_id)},
    )

    error = only_error(body)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}
    assert "not a schoolgraph id" in error["message"]
    assert body["data"] == {"node": None, "service": {"name": "schoolgraph"}}
    assert sum((await gateway.sim_requests()).values()) == 0, "bad input reached an upstream"


@pytest.mark.parametrize(
    ("window", "words"),
    [
        (("2026-03-10", "2026-03-01"), "is before 'from'"),
        (("2026-01-01", "2026-04-04"), "at most 93 days"),
    ],
    ids=["reversed", "too-long"],
)
async def test_bad_date_windows_name_the_to_argument(
    gateway: Gateway, window: tuple[str, str], words: str
) -> None:
    body = await gateway.post(
        """
        query ($from: Date!, $to: Date!) {
          shifts(from: $from, to: $to) { totalCount }
          teams { name }
        }
        """,
        {"from": window[0], "to": window[1]},
    )

    error = only_error(body)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "to"}
    assert words in error["message"]
    assert body["data"]["shifts"] is None and body["data"]["teams"]


async def test_a_datetime_without_offset_is_refused(gateway: Gateway) -> None:
    body = await gateway.post(STUDENTS, {"since": "2026-03-02T08:30:00"}, status=400)

    error = only_error(body)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "UTC offset" in error["message"]


async def test_node_and_nodes(gateway: Gateway) -> None:
    world = gateway.world
    school = next(s for s in world.schools.values() if s.system == "xporter")
    student = world.students_of(school.id)[0]
    group = world.groups_of(school.id)[0]
    team = next(iter(world.teams.values()))
    organisation = next(iter(world.organisation.values()))
    ids = [
        global_id("School", f"xporter:{school.code}"),
        global_id("Student", f"xporter:{school.code}:{student.id}"),
        global_id("Group", f"xporter:{school.code}:{group.id}"),
        global_id("Team", f"tanda:{organisation.id}:{team.id}"),
        global_id("Student", f"xporter:{school.code}:999999999"),
        "garbage!",
        global_id("Lesson", "xporter:1:2"),
    ]

    body = await gateway.post(
        """
        query ($ids: [ID!]!) {
          nodes(ids: $ids) {
            __typename id
            ... on School { name }
            ... on Student { surname }
            ... on Group { name }
            ... on Team { name }
          }
        }
        """,
        {"ids": ids},
    )

    nodes = body["data"]["nodes"]
    assert [n and n["__typename"] for n in nodes] == [
        "School",
        "Student",
        "Group",
        "Team",
        None,
        None,
        None,
    ]
    assert [n["id"] for n in nodes[:4]] == ids[:4]
    assert (nodes[0]["name"], nodes[1]["surname"], nodes[2]["name"], nodes[3]["name"]) == (
        school.name,
        student.surname,
        group.name,
        team.name,
    )
    errors = sorted(body["errors"], key=lambda e: e["path"])
    assert [e["path"] for e in errors] == [["nodes", 5], ["nodes", 6]]
    assert all(e["extensions"] == {"code": "BAD_USER_INPUT", "field": "ids"} for e in errors)
    assert "node() cannot fetch" in errors[1]["message"]


async def test_a_school_that_is_not_configured_is_not_found(gateway: Gateway) -> None:
    unknown = global_id("School", "xporter:1234567")

    body = await gateway.post(
        """
        query ($id: ID!) {
          students(schoolId: $id) { totalCount }
          groups(schoolId: $id) { totalCount }
          staff(schoolId: $id) { totalCount }
          school(id: $id) { name }
          node(id: $id) { id }
          nodes(ids: [$id]) { id }
        }
        """,
        {"id": unknown},
    )

    assert body["data"] == {
        "students": None,
        "groups": None,
        "staff": None,
        "school": None,
        "node": None,
        "nodes": [None],
    }
    assert sorted(str(e["path"][0]) for e in body["errors"]) == [
        "groups",
        "node",
        "nodes",
        "school",
        "staff",
        "students",
    ]
    assert {e["message"] for e in body["errors"]} == {
        "School 'xporter:1234567' is not a configured school."
    }
    assert all(e["extensions"] == {"code": "NOT_FOUND"} for e in body["errors"])


async def test_a_node_at_a_school_that_is_not_configured_is_not_found_whatever_its_type(
    gateway: Gateway,
) -> None:
    query = "query ($id: ID!) { node(id: $id) { id } }"

    school = await gateway.post(query, {"id": global_id("School", "xporter:1234567")})
    student = await gateway.post(query, {"id": global_id("Student", "xporter:1234567:1")})

    assert school["data"] == student["data"] == {"node": None}
    assert school["errors"][0]["extensions"] == student["errors"][0]["extensions"]
    assert school["errors"][0]["extensions"] == {"code": "NOT_FOUND"}
