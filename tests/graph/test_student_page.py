"""A student's page: its groups, contacts and timetable read by the student's id.

A loader batch with at most ``FEW_STUDENTS`` students of a school reads theirs with Xporter's
per-student reads (``StudentContacts/{id}``, ``TimetableForStudent/{id}``) and the groups and
contacts lists narrowed by ``select`` to the columns the domain needs (one read each, whatever
the student's number of groups and contacts); a bigger batch reads the school's full lists.
Both answer the same, which these tests check from the simulators' request counters.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from urllib.parse import quote_plus

import pytest
from yarl import URL

from schoolgraph.app import RUNTIME
from schoolgraph.config import Settings
from schoolgraph.loaders.student_page import FEW_STUDENTS
from schoolgraph.upstreams.xporter import NarrowContact, NarrowGroup
from tests.graph.conftest import Gateway, Start, global_id
from tests.simulated_upstreams import sim_post

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
BY_ID = {f"{SCHOOL}/{name}/{{id}}" for name in ("StudentContacts", "TimetableForStudent")}
# Read once per list instead: never a request per group or per contact.
PER_ROW = {f"{SCHOOL}/{name}/{{id}}" for name in ("Groups", "Contacts")}
NARROWED = {f"{SCHOOL}/Groups", f"{SCHOOL}/Contacts"}


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


def _selects(gateway: Gateway) -> dict[str, list[str]]:
    """The resources the gateway's Xporter client read, by endpoint (from its sync log)."""
    client = gateway.app[RUNTIME].xporter
    assert client is not None
    reads: dict[str, list[str]] = {}
    for record in client.sync_log:
        reads.setdefault(record.endpoint, []).append(record.resource)
    return reads


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
    assert not (LISTS - NARROWED) & set(routes), routes
    assert not PER_ROW & set(routes), routes
    assert routes[f"{SCHOOL}/StudentContacts/{{id}}"] == 1
    assert routes[f"{SCHOOL}/TimetableForStudent/{{id}}"] == 1
    assert routes[f"{SCHOOL}/Students/{{id}}"] == 1
    # Groups and contacts: each list once, narrowed to the columns the domain needs; group
    # years: the students list narrowed to its year column, once.
    assert routes[f"{SCHOOL}/Groups"] == routes[f"{SCHOOL}/Contacts"] == 1
    assert routes[f"{SCHOOL}/Students"] == 1
    reads = _selects(gateway)
    assert [r for r in reads["Groups"] if "select=" in r] == reads["Groups"], reads
    assert any(quote_plus(NarrowGroup.SELECT) in r for r in reads["Groups"]), reads
    assert reads["Contacts"] == [f"Contacts?select={quote_plus(NarrowContact.SELECT)}"], reads


async def test_a_students_page_costs_the_same_requests_whatever_its_groups_and_contacts(
    start_gateway: Start,
) -> None:
    settings = Settings(demo_scale="small")
    few_gateway, many_gateway = await start_gateway(settings), await start_gateway(settings)
    school = _school(few_gateway)

    def rows(world: Any, student: Any) -> tuple[int, int]:
        links = [c for c in world.student_contacts.values() if c.student_id == student.id]
        return len(world.groups_of_student(student.id)), len(links)

    # The small world puts every student in 11 groups: three of the student with the fewest
    # contacts leave the school first (their members with them), so it has fewer of both.
    world = few_gateway.world
    by_contacts = sorted(world.students_of(school.id), key=lambda s: rows(world, s)[1])
    few, many = by_contacts[0], by_contacts[-1]
    gone = [g.id for g in world.groups_of_student(few.id) if many.id not in g.student_ids][:3]
    await sim_post(
        few_gateway.http,
        few_gateway.simulators,
        "xporter",
        "/__sim/mutate",
        {"table": "groups", "action": "delete", "ids": gone},
    )
    few_rows, many_rows = rows(world, few), rows(many_gateway.world, many)
    assert few_rows[0] < many_rows[0] and few_rows[1] < many_rows[1], (few_rows, many_rows)

    counts = []
    for gateway, student, expected in (
        (few_gateway, few, few_rows),
        (many_gateway, many, many_rows),
    ):
        await gateway.sim_requests()
        node, routes = await _one(gateway, f"xporter:{school.code}:{student.id}")
        assert (len(node["groups"]), len(node["contacts"])) == expected
        assert not PER_ROW & set(routes), routes
        # Xporter's per route (_one read and reset its counters), the others' totals.
        others = await gateway.sim_requests()
        counts.append((routes, others["tanda"], others["tass"]))
    # Each page from a cold gateway: the same requests per Xporter route and per upstream.
    assert counts[0] == counts[1], counts


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
        # The lessons' groups come out of the school's groups (a cache hit by now); the
        # page's groups and contacts out of the narrowed lists (read by the first page).
        assert not (LISTS - NARROWED) & set(routes), routes
        assert not PER_ROW & set(routes), routes
        assert routes[f"{SCHOOL}/TimetableForStudent/{{id}}"] == 1


async def test_a_batch_of_few_students_reads_by_id_and_one_more_reads_the_lists(
    gateway: Gateway,
) -> None:
    few, few_routes = await _first_students(gateway, FEW_STUDENTS)
    assert len(few) == FEW_STUDENTS
    assert few_routes[f"{SCHOOL}/TimetableForStudent/{{id}}"] == FEW_STUDENTS
    assert few_routes[f"{SCHOOL}/StudentContacts/{{id}}"] == FEW_STUDENTS
    assert not (LISTS - NARROWED) & set(few_routes), few_routes
    assert not PER_ROW & set(few_routes), few_routes
    assert all(few_routes[route] == 1 for route in NARROWED), few_routes

    more, more_routes = await _first_students(gateway, FEW_STUDENTS + 1)
    assert more[:FEW_STUDENTS] == few
    # The school's lists, once each; its groups and contacts are the narrowed lists the few
    # students' pages read, shared.
    assert all(more_routes[route] == 1 for route in LISTS - NARROWED), more_routes
    assert not NARROWED & set(more_routes), more_routes
    assert not BY_ID & set(more_routes), more_routes


async def test_an_unknown_student_is_null_and_costs_no_more_than_a_page(
    gateway: Gateway,
) -> None:
    school = _school(gateway)
    node, routes = await _one(gateway, f"xporter:{school.code}:999999999")

    assert node is None
    # Its fields' reads were asked for beside its own (graph.look_ahead): each once, none
    # per row, and the school's lists they read are the ones the next page reads.
    assert all(count == 1 for count in routes.values()), routes
    assert not PER_ROW & set(routes), routes
    student = min(gateway.world.students_of(school.id), key=lambda s: s.id)
    known, known_routes = await _one(gateway, f"xporter:{school.code}:{student.id}")
    assert known is not None
    assert set(known_routes) <= {f"{SCHOOL}/Students/{{id}}", *BY_ID}, known_routes


@pytest.mark.parametrize("dates", ["variables", "literals"])
async def test_a_students_fields_are_read_beside_its_own_read(gateway: Gateway, dates: str) -> None:
    """node(id:) resolves the student before its fields; their reads need only its id and
    their arguments, so they are asked for while the student's own read is under way: here
    the timetable is answered while that read is held. Its dates given as variables or
    written in the query (strawberry hands the look-ahead a date, or the text)."""
    query, variables = ONE, _window(gateway)
    if dates == "literals":
        window = _window(gateway)
        query = ONE.replace(", $from: Date!, $to: Date!", "")
        query = query.replace("$from", f'"{window["from"]}"').replace("$to", f'"{window["to"]}"')
        variables = {}
    school = _school(gateway)
    student = min(gateway.world.students_of(school.id), key=lambda s: s.id)
    by_id = f"{SCHOOL}/Students/{{id}}"
    timetable = f"{SCHOOL}/TimetableForStudent/{{id}}"
    stack = gateway.simulators
    await _routes(gateway)
    await sim_post(
        gateway.http, stack, "xporter", "/__sim/faults", {"hang": True, "paths": [by_id]}
    )
    page = asyncio.create_task(
        gateway.data(
            query,
            {"id": global_id("Student", f"xporter:{school.code}:{student.id}"), **variables},
        )
    )
    try:
        seen: dict[str, int] = {}
        for _ in range(500):  # until the timetable is answered (the student's read is held)
            seen = {**seen, **await _routes(gateway)}
            if timetable in seen:
                break
            await asyncio.sleep(0.01)
        held = seen.get(by_id, 0)  # the route is listed once its request arrives
        assert (seen.get(timetable), held) == (1, 0), seen
    finally:
        await sim_post(gateway.http, stack, "xporter", "/__sim/faults", {"clear": True})
        data = await page
    assert data["node"]["domainId"] == f"xporter:{school.code}:{student.id}"
    assert data["node"]["timetable"]
    # The field awaited the read started for it: no second one.
    assert timetable not in await _routes(gateway)
