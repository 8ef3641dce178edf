"""A school's students, groups, contacts, lessons and attendance equal the simulators' world.

Run for one Xporter school and for the TASS school: the same questions, two upstreams.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from schoolgraph.domain import GroupType
from schoolgraph.simulators.dataset import Lesson, School, Student, World
from schoolgraph.sources import Directory

from .conftest import TASS_COMPANY, TODAY, Sims

WEEK = (date(2026, 11, 16), date(2026, 11, 20))
GROUP_TYPES = {
    "year": GroupType.YEAR,
    "registration": GroupType.REGISTRATION,
    "house": GroupType.HOUSE,
    "class": GroupType.TEACHING,
}
ABSENT = {"AUTH": "AUTH", "UNAUTH": "UNAUTH"}


def school_of(world: World, system: str) -> School:
    return next(
        s
        for s in sorted(world.schools.values(), key=lambda s: s.id)
        if s.system == system and (system == "xporter" or s.code == TASS_COMPANY)
    )


def student_id(school: School, student: Student) -> str:
    native = str(student.id) if school.system == "xporter" else student.code
    return f"{school.system}:{school.code}:{native}"


async def staff_ids_by_world_id(
    directory: Directory, world: World, school: School
) -> dict[int, str]:
    """World staff id -> domain Staff id, joined on the payroll number both MIS carry."""
    school_id = f"{school.system}:{school.code}"
    people = (await directory.staff()).value.values()
    by_payroll = {p.payroll_number: p.id for p in people if p.school_id == school_id}
    return {
        s.id: by_payroll[s.payroll_number]
        for s in world.staff.values()
        if s.school_id == school.id and s.payroll_number in by_payroll
    }


CASES = [("xporter", "2026"), ("tass", "2026"), ("tass", "legacy")]


@pytest.fixture(params=CASES, ids=["xporter", "tass-2026", "tass-legacy"])
def case(request: pytest.FixtureRequest) -> tuple[str, str]:
    value: tuple[str, str] = request.param
    return value


@pytest.fixture
def system(case: tuple[str, str]) -> str:
    return case[0]


@pytest.fixture
def tass_api(case: tuple[str, str]) -> str:
    return case[1]


async def test_students_are_the_schools_students_on_roll(sims: Sims, system: str) -> None:
    school = school_of(sims.world, system)

    students = await sims.directory().students(f"{system}:{school.code}")

    expected = {
        student_id(school, s): s
        for s in sims.world.students_of(school.id)
        if s.admission_date <= TODAY
    }
    assert set(students) == set(expected)
    for key, student in students.items():
        truth = expected[key]
        assert (student.forename, student.surname, student.year) == (
            truth.forename,
            truth.surname,
            truth.year,
        )
        assert student.date_of_birth == truth.date_of_birth
        assert student.preferred_forename == truth.preferred_forename


async def test_groups_have_the_worlds_types_names_and_members(sims: Sims, system: str) -> None:
    world = sims.world
    school = school_of(world, system)
    directory = sims.directory()
    staff_ids = await staff_ids_by_world_id(directory, world, school)

    groups = await directory.groups(f"{system}:{school.code}")

    def members(ids: list[int]) -> frozenset[str]:
        return frozenset(
            student_id(school, world.students[i])
            for i in ids
            if world.students[i].leaving_date is None
        )

    # TASS names no staff of year groups and houses; Xporter names them all.
    staffed = {"registration", "class"} if system == "tass" else set(GROUP_TYPES)
    expected = Counter(
        (
            GROUP_TYPES[g.type],
            members(g.student_ids),
            frozenset(staff_ids[s] for s in g.staff_ids) if g.type in staffed else None,
            g.subject_name,
        )
        for g in world.groups_of(school.id)
    )
    staffed_types = {GROUP_TYPES[name] for name in staffed}
    found = Counter(
        (
            g.type,
            frozenset(g.student_ids),
            frozenset(g.staff_ids) if g.type in staffed_types else None,
            g.subject,
        )
        for g in groups.values()
    )
    assert found == expected
    if system == "xporter":
        names = {(g.code, g.name) for g in world.groups_of(school.id)}
        assert {(g.code, g.name) for g in groups.values()} == names


async def test_group_years_follow_their_students(sims: Sims, system: str) -> None:
    school = school_of(sims.world, system)
    groups = await sims.directory().groups(f"{system}:{school.code}")

    for group in groups.values():
        if group.type is GroupType.HOUSE:
            assert group.year is None
        elif group.student_ids:
            assert group.year is not None and 7 <= group.year <= 13


async def test_contacts_and_links_are_the_worlds(sims: Sims, system: str) -> None:
    world = sims.world
    school = school_of(world, system)
    directory = sims.directory()
    school_id = f"{system}:{school.code}"

    contacts = await directory.contacts(school_id)
    links = await directory.student_contacts(school_id)

    students = {s.id for s in world.students_of(school.id, include_leavers=system == "tass")}
    truth = [x for x in world.student_contacts.values() if x.student_id in students]
    people = {x.contact_id: world.contacts[x.contact_id] for x in truth}
    assert sorted((c.forename, c.surname) for c in contacts.values()) == sorted(
        (p.forename, p.surname) for p in people.values()
    )
    found_pairs = {
        (x.student_id, contacts[x.contact_id].forename, contacts[x.contact_id].surname)
        for x in links
    }
    expected_pairs = {
        (
            student_id(school, world.students[x.student_id]),
            people[x.contact_id].forename,
            people[x.contact_id].surname,
        )
        for x in truth
    }
    assert found_pairs == expected_pairs


async def test_lessons_are_the_worlds_with_times_in_utc(sims: Sims, system: str) -> None:
    world = sims.world
    school = school_of(world, system)
    directory = sims.directory()
    school_id = f"{system}:{school.code}"
    staff_ids = await staff_ids_by_world_id(directory, world, school)

    lessons = await directory.lessons(school_id, *WEEK)
    groups = await directory.groups(school_id)

    truth: dict[tuple[datetime, str | None], Lesson] = {
        (x.start.astimezone(UTC), x.room): x for x in world.lessons(school.id, *WEEK)
    }
    assert len(lessons) == len(truth)
    for lesson in lessons:
        assert lesson.start.tzinfo is UTC and lesson.end.tzinfo is UTC
        expected = truth[(lesson.start, lesson.room)]
        assert lesson.end == expected.end.astimezone(UTC)
        assert lesson.staff_ids == (staff_ids[expected.staff_id],)
        assert lesson.group_id is not None
        group = groups[lesson.group_id]
        world_group = world.groups[expected.group_id]
        assert set(group.student_ids) == {
            student_id(school, world.students[i])
            for i in world_group.student_ids
            if world.students[i].leaving_date is None
        }


async def test_attendance_is_the_worlds_session_marks(sims: Sims, system: str) -> None:
    world = sims.world
    school = school_of(world, system)
    school_id = f"{system}:{school.code}"
    codes = {c.code: c for c in world.attendance_codes}

    marks = await sims.directory().attendance(school_id, *WEEK)

    expected = set()
    for student in world.students_of(school.id):
        for mark in world.attendance(student.id, *WEEK):
            code = codes[mark.code]
            if system == "xporter":
                expected.add((student_id(school, student), mark.date, mark.session, mark.code))
            elif code.statistical in ABSENT:  # TASS lists absences only
                expected.add(
                    (student_id(school, student), mark.date, mark.session, code.statistical)
                )
    assert {(m.student_id, m.date, m.session, m.code) for m in marks} == expected
    for found in marks:
        assert found.present == (codes[found.code].is_present if system == "xporter" else False)


async def test_attendance_of_some_students_only(sims: Sims, system: str) -> None:
    school = school_of(sims.world, system)
    school_id = f"{system}:{school.code}"
    directory = sims.directory()
    every = await directory.attendance(school_id, WEEK[0] - timedelta(days=21), WEEK[1])
    some = sorted({m.student_id for m in every})[:3]

    marks = await directory.attendance(school_id, WEEK[0] - timedelta(days=21), WEEK[1], some)

    assert marks and {m.student_id for m in marks} <= set(some)
    assert len(marks) == sum(1 for m in every if m.student_id in some)


async def test_a_warm_read_is_the_same_object(sims: Sims, system: str) -> None:
    school = school_of(sims.world, system)
    school_id = f"{system}:{school.code}"
    directory = sims.directory()

    assert await directory.students(school_id) is await directory.students(school_id)
    assert await directory.groups(school_id) is await directory.groups(school_id)
    assert await directory.contacts(school_id) is await directory.contacts(school_id)
    first = await directory.lessons(school_id, *WEEK)
    second = await directory.lessons(school_id, *WEEK)
    assert all(a is b for a, b in zip(first, second, strict=True))


async def test_a_warm_read_asks_no_upstream(sims: Sims, system: str) -> None:
    school = school_of(sims.world, system)
    school_id = f"{system}:{school.code}"
    directory = sims.directory()
    await directory.students(school_id)
    await directory.groups(school_id)
    before = await sims.stats(system)

    for _ in range(3):
        await directory.students(school_id)
        await directory.groups(school_id)

    after = await sims.stats(system)
    assert after["routes"] == before["routes"]
