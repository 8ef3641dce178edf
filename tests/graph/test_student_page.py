"""A student's page: its groups, contacts and timetable read by the student's id.

A loader batch with at most ``FEW_STUDENTS`` students of a school reads theirs with Xporter's
per-student reads (``StudentContacts/{id}``, ``Contacts/{id}``, ``TimetableForStudent/{id}``,
``Groups/{id}`` for the ``GroupIds`` of ``Students/{id}``); a bigger batch reads the school's
lists. Both answer the same, which these tests check from the simulators' request counters.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from yarl import URL

from schoolgraph.loaders.student_page import FEW_STUDENTS
from tests.graph.conftest import Gateway, global_id

PAGE_FIELDS = """
  domainId
  groups { domainId type code name year subject studentCount }
  contacts {
    relationship priority parentalResponsibility livesWith
    contact { domainId title forename surname email mobile homePhone workPhone }
  }
  timetable(from: $from, to: $to) { domainId start end room period subject }
"""
# A lesson's group and staff are read by their own loaders (the school's groups, everyone).
LESSON_LINKS = "timetable(from: $from, to: $to) { domainId group { domainId } staff { domainId } }"

ONE = f"""
query ($id: ID!, $from: Date!, $to: Date!) {{
  node(id: $id) {{ ... on Student {{ {PAGE_FIELDS} }} }}
}}
"""
ONE_LINKED = f"""
query ($id: ID!, $from: Date!, $to: Date!) {{
  node(id: $id) {{ ... on Student {{ {PAGE_FIELDS} links: {LESSON_LINKS} }} }}
}}
"""

MANY = f"""
query ($school: ID!, $first: Int!, $from: Date!, $to: Date!) {{
  students(schoolId: $school, first: $first) {{ nodes {{ {PAGE_FIELDS} }} }}
}}
"""
MANY_LINKED = f"""
query ($school: ID!, $first: Int!, $from: Date!, $to: Date!) {{
  students(schoolId: $school, first: $first) {{
    nodes {{ {PAGE_FIELDS} links: {LESSON_LINKS} }}
  }}
}}
"""

SCHOOL = "/api/v1/School/{estab}"
LISTS = {f"{SCHOOL}/{name}" for name in ("StudentContacts", "Contacts", "Timetable", "Groups")}
BY_ID = {
    f"{SCHOOL}/{name}/{{id}}"
    for name in ("StudentContacts", "Contacts", "TimetableForStudent", "Groups")
}


async def _routes(gateway: Gateway) -> dict[str, int]:
    """Xporter's requests per route since the last call (its counters reset)."""
    url = URL(gateway.simulators.urls["xporter"]) / "__sim" / "stats"
    async with gateway.http.get(url, params={"reset": "true"}) as response:
        stats: dict[str, Any] = await response.json()
    return {row["route"]: row["count"] for row in stats["routes"]}


def _window(gateway: Gateway) -> dict[str, str]:
    """This week, Monday to Sunday: one week is one timetable read."""
    today = gateway.world.today
    monday = today - timedelta(days=today.weekday())
    return {"from": monday.isoformat(), "to": (monday + timedelta(days=6)).isoformat()}


def _school(gateway: Gateway) -> Any:
    return next(s for s in gateway.world.schools.values() if s.system == "xporter")


async def _first_students(
    gateway: Gateway, first: int, query: str = MANY
) -> tuple[list[Any], dict[str, int]]:
    """The page fields of the school's first ``first`` students (by surname), one query."""
    school = _school(gateway)
    await _routes(gateway)
    data = await gateway.data(
        query,
        {
            "school": global_id("School", f"xporter:{school.code}"),
            "first": first,
            **_window(gateway),
        },
    )
    nodes: list[Any] = data["students"]["nodes"]
    return nodes, await _routes(gateway)


async def _one(gateway: Gateway, domain_id: str, query: str = ONE) -> tuple[Any, dict[str, int]]:
    await _routes(gateway)
    data = await gateway.data(query, {"id": global_id("Student", domain_id), **_window(gateway)})
    return data["node"], await _routes(gateway)


async def test_a_students_page_reads_by_the_students_id_not_the_school_lists(
    gateway: Gateway,
) -> None:
    world = gateway.world
    school = _school(gateway)
    student = next(
        s
        for s in world.students_of(school.id)
        if any(link.student_id == s.id for link in world.student_contacts.values())
    )

    node, routes = await _one(gateway, f"xporter:{school.code}:{student.id}")

    contacts = {c.contact_id for c in world.student_contacts.values() if c.student_id == student.id}
    groups = world.groups_of_student(student.id)
    assert len(node["contacts"]) == len(contacts) >= 1
    assert len(node["groups"]) == len(groups) >= 1
    assert node["timetable"]
    assert not LISTS & set(routes), routes
    assert routes[f"{SCHOOL}/StudentContacts/{{id}}"] == 1
    assert routes[f"{SCHOOL}/Contacts/{{id}}"] == len(contacts)
    assert routes[f"{SCHOOL}/TimetableForStudent/{{id}}"] == 1
    assert routes[f"{SCHOOL}/Groups/{{id}}"] == len(groups)
    assert routes[f"{SCHOOL}/Students/{{id}}"] == 1
    # Group years: the students list narrowed to its year column, once.
    assert routes[f"{SCHOOL}/Students"] == 1


async def test_a_students_page_answers_as_the_school_lists_do(gateway: Gateway) -> None:
    listed, list_routes = await _first_students(gateway, FEW_STUDENTS + 5, MANY_LINKED)
    # Read out of the school's lists: no per-student read at all.
    assert set(list_routes) >= LISTS and not BY_ID & set(list_routes), list_routes
    assert any(node["contacts"] for node in listed)
    assert any(node["timetable"] for node in listed)
    assert any(lesson["staff"] for node in listed for lesson in node["links"])

    for expected in listed:
        node, routes = await _one(gateway, expected["domainId"], ONE_LINKED)
        assert node == expected
        # The lessons' groups come out of the school's groups (a cache hit by now).
        assert not (LISTS - {f"{SCHOOL}/Groups"}) & set(routes), routes
        assert routes[f"{SCHOOL}/TimetableForStudent/{{id}}"] == 1


async def test_a_batch_of_few_students_reads_by_id_and_one_more_reads_the_lists(
    gateway: Gateway,
) -> None:
    few, few_routes = await _first_students(gateway, FEW_STUDENTS)
    assert len(few) == FEW_STUDENTS
    assert few_routes[f"{SCHOOL}/TimetableForStudent/{{id}}"] == FEW_STUDENTS
    assert few_routes[f"{SCHOOL}/StudentContacts/{{id}}"] == FEW_STUDENTS
    assert not LISTS & set(few_routes), few_routes

    more, more_routes = await _first_students(gateway, FEW_STUDENTS + 1)
    assert more[:FEW_STUDENTS] == few
    assert all(more_routes[route] == 1 for route in LISTS), more_routes
    assert not BY_ID & set(more_routes), more_routes


async def test_an_unknown_student_is_null_and_costs_no_school_list(gateway: Gateway) -> None:
    school = _school(gateway)
    node, routes = await _one(gateway, f"xporter:{school.code}:999999999")

    assert node is None
    assert not LISTS & set(routes), routes
