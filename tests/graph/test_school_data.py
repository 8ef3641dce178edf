"""Schools, students, groups and contacts over HTTP, checked against the simulators' world."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from schoolgraph.simulators.dataset import School as WorldSchool
from schoolgraph.simulators.dataset import Student as WorldStudent
from tests.graph.conftest import Gateway, global_id

GROUP_TYPES = {
    "year": "YEAR",
    "registration": "REGISTRATION",
    "house": "HOUSE",
    "class": "TEACHING",
}


def school_domain_id(school: WorldSchool) -> str:
    return f"{school.system}:{school.code}"


async def test_schools_are_the_worlds_schools(gateway: Gateway) -> None:
    data = await gateway.data(
        "{ schools { id domainId name system tenant timeZone sources { tenant upstreamId } } }"
    )

    # Every world school, plus the TASS companies the demo configures that hold no school
    # of the world (company "02" is an empty company of the same TASS database).
    world_schools = {school_domain_id(school): school for school in gateway.world.schools.values()}
    companies = gateway.simulators.describe()["tass"]["companies"]
    expected_ids = set(world_schools) | {f"tass:{company['code']}" for company in companies}
    assert {school["domainId"] for school in data["schools"]} == expected_ids
    names = [school["name"] for school in data["schools"]]
    assert names == sorted(names)
    for answered in data["schools"]:
        assert answered["id"] == global_id("School", answered["domainId"])
        school = world_schools.get(answered["domainId"])
        if school is None:
            continue
        assert answered["name"] == school.name
        assert answered["system"] == school.system.upper()
        assert answered["tenant"] == school.code
        assert answered["timeZone"] == school.time_zone
        assert answered["sources"][0]["tenant"] == school.code


STUDENTS = """
query ($school: ID!, $first: Int, $after: String) {
  school(id: $school) {
    students(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id } }
      nodes { id forename surname year upn sources { system tenant upstreamId } }
    }
  }
}
"""


async def test_a_schools_students_paged_are_the_worlds_students_of_that_school(
    gateway: Gateway,
) -> None:
    world = gateway.world
    for school in world.schools.values():
        nodes: list[Any] = []
        after = None
        while True:
            page = (
                await gateway.data(
                    STUDENTS,
                    {
                        "school": global_id("School", school_domain_id(school)),
                        "first": 25,
                        "after": after,
                    },
                )
            )["school"]["students"]
            assert [edge["node"]["id"] for edge in page["edges"]] == [
                n["id"] for n in page["nodes"]
            ]
            nodes.extend(page["nodes"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]

        # Xporter keeps the MIS id; TASS identifies students by their student code.
        def native(student: WorldStudent, system: str = school.system) -> str:
            return str(student.id) if system == "xporter" else student.code

        expected = {
            native(student): student
            for student in world.students_of(school.id, include_leavers=True)
        }
        answered = {node["sources"][0]["upstreamId"]: node for node in nodes}
        assert len(answered) == len(nodes) == page["totalCount"]
        assert set(answered) <= set(expected)
        assert {native(s) for s in world.students_of(school.id)} <= set(answered)
        for upstream_id, node in answered.items():
            student = expected[upstream_id]
            assert (node["forename"], node["surname"], node["year"]) == (
                student.forename,
                student.surname,
                student.year,
            )
            assert node["sources"][0]["tenant"] == school.code
        surnames = [node["surname"].casefold() for node in nodes]
        assert surnames == sorted(surnames)


STUDENT_EDGES = """
query ($id: ID!, $from: Date!, $to: Date!) {
  node(id: $id) {
    ... on Student {
      domainId
      school { domainId }
      groups { domainId type code }
      teaching: groups(type: TEACHING) { domainId }
      contacts {
        relationship priority parentalResponsibility livesWith
        contact { domainId surname sources { upstreamId } }
        student { domainId }
      }
      attendance(from: $from, to: $to) { date session code present }
      timetable(from: $from, to: $to) { start end localStart group { domainId } }
    }
  }
}
"""


async def test_a_students_edges_match_the_world(gateway: Gateway) -> None:
    world = gateway.world
    school = next(s for s in world.schools.values() if s.system == "xporter")
    student = world.students_of(school.id)[0]
    domain_id = f"xporter:{school.code}:{student.id}"
    start, end = world.today - timedelta(days=13), world.today

    data = await gateway.data(
        STUDENT_EDGES,
        {"id": global_id("Student", domain_id), "from": start.isoformat(), "to": end.isoformat()},
    )
    node = data["node"]

    assert node["domainId"] == domain_id
    assert node["school"]["domainId"] == school_domain_id(school)
    world_groups = world.groups_of_student(student.id)
    assert {g["domainId"] for g in node["groups"]} == {
        f"xporter:{school.code}:{g.id}" for g in world_groups
    }
    assert {g["domainId"] for g in node["teaching"]} == {
        f"xporter:{school.code}:{g.id}" for g in world_groups if g.type == "class"
    }
    types = [g["type"] for g in node["groups"]]
    assert types == sorted(types, key=["YEAR", "REGISTRATION", "HOUSE", "TEACHING", "OTHER"].index)

    links = sorted(
        (link for link in world.student_contacts.values() if link.student_id == student.id),
        key=lambda link: link.priority,
    )
    # Xporter's StudentContacts carry no lives-with column: livesWith stays unknown.
    assert [
        (c["relationship"], c["priority"], c["parentalResponsibility"], c["livesWith"])
        for c in node["contacts"]
    ] == [(link.relationship, link.priority, link.parental_responsibility, None) for link in links]
    assert [int(c["contact"]["sources"][0]["upstreamId"]) for c in node["contacts"]] == [
        link.contact_id for link in links
    ]
    assert {c["student"]["domainId"] for c in node["contacts"]} == {domain_id}

    marks = world.attendance(student.id, start, end)
    assert [(m["date"], m["session"], m["code"]) for m in node["attendance"]] == [
        (mark.date.isoformat(), mark.session, mark.code)
        for mark in sorted(marks, key=lambda mark: (mark.date, mark.session))
    ]

    lessons = world.lessons(school.id, start, end, group_ids={g.id for g in world_groups})
    assert [(lesson["start"], lesson["group"]["domainId"]) for lesson in node["timetable"]] == [
        (lesson.start.astimezone(UTC).isoformat(), f"xporter:{school.code}:{lesson.group_id}")
        for lesson in lessons
    ]
    assert all(lesson["localStart"].endswith(("+00:00", "+01:00")) for lesson in node["timetable"])
