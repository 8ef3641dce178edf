"""Every client method against the simulator, checked against the world it serves."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest

from schoolgraph.errors import ConfigError, NotFoundError, UpstreamAuthError
from schoolgraph.simulators.dataset import School
from schoolgraph.upstreams.xporter import (
    NarrowContact,
    NarrowGroup,
    Staff,
    Student,
    XporterClient,
    XporterConfig,
    XporterSchool,
)
from schoolgraph.upstreams.xporter.models import (
    NARROW_CONTACTS,
    NARROW_GROUPS,
    STAFF,
    STUDENT_YEARS,
    STUDENTS,
    RowContext,
    StudentYear,
    TableSpec,
)
from schoolgraph.upstreams.xporter.typed_rows import decode_tables

from .conftest import (
    NARROW_RP,
    NARROW_SECRET,
    STAFF_LITE_RP,
    STAFF_LITE_SECRET,
    MakeClient,
    Sim,
)

LONDON = ZoneInfo("Europe/London")
MONDAY = date(2026, 11, 16)  # the week before the world's today (Monday 23 November 2026)


def _school(sim: Sim, index: int = 0) -> School:
    return sim.world.schools[sim.school_id(index)]


def _ms(moment: datetime) -> datetime:
    """Xporter timestamps carry milliseconds at most (§2.2)."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000).astimezone(UTC)


async def test_school_info_carries_the_school_and_its_time_zone(
    sim: Sim, client: XporterClient
) -> None:
    school = _school(sim)

    info = await client.school_info(sim.estab())

    assert (info.estab, info.name, info.head) == (school.code, school.name, school.head_teacher)
    assert info.time_zone == "Europe/London"
    assert info.last_updated == _ms(school.updated_at)
    assert info.last_updated is not None and info.last_updated.tzinfo is UTC


async def test_students_are_the_schools_students_on_roll(sim: Sim, client: XporterClient) -> None:
    world = sim.world
    expected = sorted(
        (s for s in world.students.values() if s.school_id == sim.school_id()),
        key=lambda s: s.id,
    )

    students = await client.students(sim.estab())

    assert [s.id for s in students] == [str(s.id) for s in expected]
    first, source = students[0], expected[0]
    year = next(g for g in world.groups.values() if g.type == "year" and source.id in g.student_ids)
    assert (first.forename, first.surname) == (source.preferred_forename, source.surname)
    assert first.legal_forename == source.forename
    assert first.date_of_birth == source.date_of_birth
    assert first.year_group_id == str(year.id) and first.year_code == str(source.year)
    assert first.mobile_phone == source.mobile and first.upn == source.upn
    assert first.status == "OnRoll" and not first.is_leaver
    assert first.last_updated == _ms(source.updated_at)


async def test_staff_are_the_schools_current_staff(sim: Sim, client: XporterClient) -> None:
    expected = {
        str(s.id): s
        for s in sim.world.staff.values()
        if s.school_id == sim.school_id()
        and s.start_date <= sim.world.today
        and (s.leaving_date is None or s.leaving_date >= sim.world.today)
    }

    staff = await client.staff(sim.estab())

    assert {s.id for s in staff} == set(expected)
    for member in staff:
        source = expected[member.id]
        assert member.is_teacher is (source.role == "teacher")
        assert member.payroll_number == source.payroll_number
        assert member.staff_code == source.code and member.work_email == source.email
        assert member.employment_start == source.start_date
        assert member.roles and member.status == "Current"


async def test_groups_carry_their_type_and_member_ids(sim: Sim, client: XporterClient) -> None:
    world = sim.world
    kinds = {"year": "year", "registration": "registration", "class": "teaching", "house": "house"}

    groups = await client.groups(sim.estab())
    years = await client.groups(sim.estab(), types=["year"])

    assert groups and {g.type for g in groups} == set(kinds.values())
    for group in groups:
        source = world.groups[int(group.id)]
        assert group.type == kinds[source.type]
        assert group.student_ids == tuple(str(i) for i in source.student_ids)
        assert group.staff_ids == tuple(str(i) for i in source.staff_ids)
        assert group.student_count == len(source.student_ids)
    assert years == tuple(g for g in groups if g.type == "year")
    assert await sim.calls("/Groups") == 1  # the type filter reads the one cached list


async def test_contacts_and_their_relationships(sim: Sim, client: XporterClient) -> None:
    world = sim.world
    estab = sim.estab()

    contacts = await client.contacts(estab)
    links = await client.student_contacts(estab)

    contact_ids = {c.id for c in contacts}
    assert contacts and links
    for link in links:
        source = next(
            sc
            for sc in world.student_contacts.values()
            if str(sc.student_id) == link.student_id and str(sc.contact_id) == link.contact_id
        )
        assert link.contact_id in contact_ids
        assert link.priority == source.priority
        assert link.parental_responsibility is source.parental_responsibility
        assert link.relationship == source.relationship
    contact = contacts[0]
    source_contact = world.contacts[int(contact.id)]
    assert contact.mobile_phone == source_contact.mobile
    assert contact.home_email == source_contact.email


async def test_narrowed_groups_and_contacts_carry_the_full_lists_values_of_their_columns(
    sim: Sim, client: XporterClient
) -> None:
    estab = sim.estab()
    groups, contacts = await client.groups(estab), await client.contacts(estab)

    narrow_groups, narrow_contacts = (
        await client.narrow_groups(estab),
        await client.narrow_contacts(estab),
    )

    def columns(row: object, names: tuple[str, ...]) -> dict[str, object]:
        return {name: getattr(row, name) for name in names}

    group_fields = tuple(f.name for f in dataclasses.fields(NarrowGroup))
    contact_fields = NarrowContact.__struct_fields__
    assert len(groups) > 10 and len(contacts) > 10
    assert [columns(g, group_fields) for g in narrow_groups] == [
        columns(g, group_fields) for g in groups
    ]
    assert [columns(c, contact_fields) for c in narrow_contacts] == [
        columns(c, contact_fields) for c in contacts
    ]
    assert any(g.student_ids and g.staff_ids and g.subject_name for g in narrow_groups)
    assert any(c.home_email and c.mobile_phone and c.title for c in narrow_contacts)
    # Their own reads (the full lists' cache entries hold the other columns).
    assert await sim.calls("/Groups") == await sim.calls("/Contacts") == 2


async def test_by_id_lookups_are_served_from_the_cached_list(
    sim: Sim, client: XporterClient
) -> None:
    estab = sim.estab()
    students = await client.students(estab)
    staff = await client.staff(estab)
    groups = await client.groups(estab)
    contacts = await client.contacts(estab)

    found = await client.students_by_id(estab, [students[2].id, "nobody", students[0].id])

    assert found == [students[2], None, students[0]] and found[0] is students[2]
    assert (await client.staff_by_id(estab, [staff[1].id]))[0] is staff[1]
    assert (await client.groups_by_id(estab, [groups[3].id, "0"])) == [groups[3], None]
    assert (await client.contacts_by_id(estab, [contacts[0].id]))[0] is contacts[0]
    assert (await sim.stats())["total"] == 5  # the token and four lists, nothing per id


async def test_the_school_timetable_is_read_a_week_at_a_time(
    sim: Sim, client: XporterClient
) -> None:
    school = _school(sim)
    start, end = MONDAY + timedelta(days=2), MONDAY + timedelta(days=9)  # Wed to next Wed

    timetable = await client.timetable(sim.estab(), start, end)

    expected = sim.world.lessons(school.id, start, end)
    assert [(lesson.id, lesson.starts_at, lesson.ends_at) for lesson in timetable.lessons] == [
        (lesson.id, lesson.start, lesson.end) for lesson in expected
    ]
    assert all(lesson.starts_at.tzinfo is UTC for lesson in timetable.lessons)
    assert await sim.calls("/Timetable") == 2  # two Monday-to-Sunday weeks
    teacher = expected[0].staff_id
    assert [lesson.id for lesson in timetable.for_staff(str(teacher))] == [
        lesson.id for lesson in expected if lesson.staff_id == teacher
    ]
    group = expected[0].group_id
    assert len(timetable.for_group(str(group))) == sum(1 for x in expected if x.group_id == group)


async def test_lesson_times_follow_british_summer_time(sim: Sim, client: XporterClient) -> None:
    # Clocks go back on Sunday 25 October 2026: 09:00 is 08:00 UTC before, 09:00 UTC after.
    summer = await client.timetable(sim.estab(), date(2026, 10, 19), date(2026, 10, 19))
    winter = await client.timetable(sim.estab(), date(2026, 11, 2), date(2026, 11, 2))

    first_summer, first_winter = summer.lessons[0], winter.lessons[0]
    assert (
        first_summer.starts_at.astimezone(LONDON).time()
        == first_winter.starts_at.astimezone(LONDON).time()
    )
    assert first_summer.starts_at.utcoffset() == timedelta(0)
    assert (
        first_summer.starts_at.astimezone(LONDON).hour - first_summer.starts_at.hour,
        first_winter.starts_at.astimezone(LONDON).hour - first_winter.starts_at.hour,
    ) == (1, 0)


async def test_person_timetables_match_the_school_timetable(
    sim: Sim, client: XporterClient
) -> None:
    estab = sim.estab()
    world = sim.world
    start, end = MONDAY, MONDAY + timedelta(days=4)
    school_lessons = (await client.timetable(estab, start, end)).lessons
    student = (await client.students(estab))[0]
    groups = {str(g.id) for g in world.groups.values() if int(student.id) in g.student_ids}
    teacher = school_lessons[0]
    staff_id = str(world.lessons(sim.school_id(), start, end)[0].staff_id)

    for_student = await client.timetable_for_student(estab, student.id, start, end)
    for_staff = await client.timetable_for_staff(estab, staff_id, start, end)

    assert [x.id for x in for_student] == [x.id for x in school_lessons if x.class_id in groups]
    assert teacher.id in {x.id for x in for_staff}
    assert all(x.lesson_id is not None for x in for_staff)
    by_id = {x.id: x for x in school_lessons}
    assert all(x.starts_at == by_id[x.id].starts_at for x in for_student)


async def test_attendance_codes(sim: Sim, client: XporterClient) -> None:
    codes = await client.attendance_codes(sim.estab())

    assert {c.mark for c in codes} == {c.code for c in sim.world.attendance_codes}
    present = next(c for c in codes if c.mark == "/")
    assert present.physical_meaning == "IN" and present.active is True


async def test_attendance_for_a_date_has_session_and_lesson_marks(
    sim: Sim, client: XporterClient
) -> None:
    estab = sim.estab()
    day = MONDAY + timedelta(days=4)
    student = (await client.students(estab))[0]
    lessons = {x.id for x in (await client.timetable(estab, day, day)).lessons}

    marks = await client.attendance_for_date(estab, day)
    own = await client.attendance_for_date(estab, day, student_id=student.id)

    sessions = [m for m in marks if m.type == "S" and m.student_id == student.id]
    expected = sim.world.attendance(int(student.id), day, day)
    assert [(m.id, m.session, m.mark) for m in sessions] == [
        (m.id, m.session, m.code) for m in expected
    ]
    lesson_marks = [m for m in marks if m.type == "L"]
    assert lesson_marks and all(m.instance_id in lessons for m in lesson_marks)
    assert {m.id for m in own} == {m.id for m in marks if m.student_id == student.id}


async def test_attendance_over_a_range_is_read_a_week_at_a_time(
    sim: Sim, client: XporterClient
) -> None:
    estab = sim.estab()
    start, end = MONDAY - timedelta(days=3), MONDAY + timedelta(days=4)  # Fri to next Fri
    students = await client.students(estab)

    marks = await client.attendance(estab, start, end)

    expected = sorted(
        (m for s in students for m in sim.world.attendance(int(s.id), start, end)),
        key=lambda m: (m.date, m.student_id, m.id),
    )
    assert [(m.id, m.mark, m.date) for m in marks] == [(m.id, m.code, m.date) for m in expected]
    assert await sim.calls("/AttendanceForDateRange") == 2


async def test_health_and_readiness(sim: Sim, client: XporterClient) -> None:
    health = await client.health(sim.estab())
    assert (health.estab, health.school_data_status, health.xod_status) == (
        sim.estab(),
        "ok",
        "ok",
    )

    assert await client.readiness() == {sim.estab(0): "ok", sim.estab(1): "ok"}
    await sim.post("/__sim/xporter/pause", {"estab": sim.estab(0)})
    client.auth(sim.estab(0)).forget()
    assert await client.readiness() == {
        sim.estab(0): "UPSTREAM_AUTH_FAILED",
        sim.estab(1): "ok",
    }
    await sim.post("/__sim/xporter/pause", {"estab": sim.estab(1)})
    client.auth(sim.estab(1)).forget()
    with pytest.raises(UpstreamAuthError):
        await client.readiness()


async def test_an_unknown_school_or_a_bad_window_is_refused_before_any_request(
    sim: Sim, client: XporterClient
) -> None:
    with pytest.raises(NotFoundError, match="School '0000000' is not configured"):
        await client.students("0000000")
    with pytest.raises(ValueError, match="ends"):
        await client.attendance(sim.estab(), MONDAY, MONDAY - timedelta(days=1))
    with pytest.raises(ValueError, match="longer than 366 days"):
        await client.timetable(sim.estab(), MONDAY, MONDAY + timedelta(days=400))
    assert (await sim.stats())["total"] == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"base_url": "ftp://example"}, "base_url"),
        ({"relying_party": " "}, "relying_party"),
        ({"schools": ()}, "at least one school"),
        ({"schools": (XporterSchool("1", "a"), XporterSchool("1", "b"))}, "configured twice"),
        ({"time_zone": "Mars/Olympus"}, "Mars/Olympus"),
        ({"page_size": 0}, "page_size"),
    ],
    ids=["scheme", "relying-party", "no-schools", "duplicate", "zone", "page-size"],
)
def test_config_fails_loud_naming_the_setting(changes: dict[str, object], message: str) -> None:
    base = XporterConfig("https://x.example", "rp", (XporterSchool("1", "secret-value"),))
    with pytest.raises(ConfigError, match=message):
        dataclasses.replace(base, **changes)  # type: ignore[arg-type]


async def test_a_school_can_name_its_own_time_zone(sim: Sim, make_client: MakeClient) -> None:
    schools = (XporterSchool(sim.estab(), sim.secret(), time_zone="Europe/Dublin"),)
    client = await make_client(schools=schools, time_zone="Europe/London")

    info = await client.school_info(sim.estab())

    assert info.time_zone == "Europe/Dublin"
    assert client.time_zone(sim.estab()).key == "Europe/Dublin"


async def _answer(sim: Sim, estab: str, endpoint: str, params: dict[str, str]) -> bytes:
    """The school's answer to a read, as Xporter sends it, over plain HTTP."""
    creds = sim.world.credentials
    secret = next(s.school_secret for s in creds.xporter_schools if s.estab == estab)
    sts = await sim.post(
        "/idaas/sts/STS/GetToken",
        {
            "estab": estab,
            "relyingParty": creds.xporter_relying_party,
            "password": secret,
            "thirdpartyid": "XporterOnDemand",
        },
    )
    async with sim.http.get(
        f"{sim.base}/api/v1/School/{estab}/{endpoint}",
        headers={"Authorization": f"Idaas {sts['token']}"},
        params=params,
    ) as response:
        assert response.status == 200
        return await response.read()


async def _every_column_rows(
    sim: Sim, estab: str, endpoint: str = "Students", options: str = "includeComms"
) -> list[dict[str, object]]:
    """The school's students (or another list) as Xporter sends them without `select`."""
    body = await _answer(sim, estab, endpoint, {"options": options})
    rows: list[dict[str, object]] = json.loads(body)[endpoint]
    return rows


@pytest.mark.parametrize(
    ("spec", "endpoint", "params"),
    [
        (STUDENTS, "Students", {"options": "includeComms", "select": Student.SELECT}),
        (STUDENT_YEARS, "Students", {"select": StudentYear.SELECT}),
        (STAFF, "Staff", {"options": "includePrevious", "select": Staff.SELECT}),
        (NARROW_CONTACTS, "Contacts", {"select": NarrowContact.SELECT}),
        (
            NARROW_GROUPS,
            "Groups",
            {"options": "includeMembersIds,includeSubjects", "select": NarrowGroup.SELECT},
        ),
    ],
    ids=lambda v: getattr(v, "__name__", None) or (v if isinstance(v, str) else None),
)
async def test_the_narrowed_reads_answers_decode_straight_into_structs(
    sim: Sim, spec: TableSpec[Any], endpoint: str, params: dict[str, str]
) -> None:
    """What the client asks for narrowed comes back in the exact shape, so the client's
    fast path is the one it takes (`typed_rows.decode_tables`), not only one it could."""
    assert spec.typed is not None
    body = await _answer(sim, sim.estab(), endpoint, params)

    decoded = decode_tables(body, {spec.name.lower(): spec.typed})

    assert decoded is not None
    rows = decoded[spec.name]
    assert len(rows) > 10
    assert all(isinstance(row, msgspec.Struct) for row in rows)
    assert all(struct is not None for struct in spec.typed.convert(rows) or [None])


async def test_students_are_read_narrowed_to_the_columns_their_model_holds(
    sim: Sim, client: XporterClient
) -> None:
    estab = sim.estab()
    students = await client.students(estab)

    rows = await _every_column_rows(sim, estab)
    ctx = RowContext(estab, LONDON, "/api/v1/School/{estab}/Students", "Students")
    assert len(rows) == len(students) > 10
    assert len(rows[0]) > 2 * len(Student.COLUMNS)  # the narrowing leaves most columns behind
    # Every value the model holds is the one the every-column row gives.
    by_id = {s.id: s for s in students}
    assert all(Student.from_row(row, ctx) == by_id[str(row["Id"])] for row in rows)
    assert any(s.date_of_birth and s.home_phone and s.upn and s.row_hash for s in students)
    read = client.sync_log[-1]
    assert read.endpoint == "Students" and "select=" in read.resource
    assert read.bytes < len(json.dumps({"Students": rows})) / 2


async def test_a_school_whose_consent_hides_a_narrowed_column_is_read_with_every_column(
    sim: Sim, make_client: MakeClient
) -> None:
    # NARROW_RP is granted StudentLite only: DateOfBirth (StudentExtended) is not visible to
    # it, so Xporter refuses a `select` that names it.
    client = await make_client(
        relying_party=NARROW_RP, schools=(XporterSchool(sim.estab(), NARROW_SECRET),)
    )
    estab = sim.estab()
    await sim.stats(reset=True)

    students = await client.students(estab)
    again = await client.student(estab, students[0].id)

    assert len(students) > 10 and all(s.date_of_birth is None for s in students)
    assert all(s.forename and s.row_hash for s in students)
    assert again == students[0]
    # One refused read, then every-column reads only: the refusal is remembered.
    assert await sim.calls("/Students") == 2 and await sim.calls("/Students/{id}") == 1
    assert all("select=" not in r.resource for r in client.sync_log if r.endpoint == "Students")
    assert client.cached_row_hashes(estab, "Students") == {s.id: s.row_hash for s in students}


async def test_staff_are_read_narrowed_to_the_columns_their_model_holds(
    sim: Sim, client: XporterClient
) -> None:
    estab = sim.estab()
    staff = await client.staff(estab, include_previous=True)

    rows = await _every_column_rows(sim, estab, "Staff", "includePrevious")
    ctx = RowContext(estab, LONDON, "/api/v1/School/{estab}/Staff", "Staff")
    assert len(rows) == len(staff) > 10
    assert len(rows[0]) > len(Staff.COLUMNS)  # the narrowing leaves columns behind
    # Every value the model holds is the one the every-column row gives.
    by_id = {s.id: s for s in staff}
    assert all(Staff.from_row(row, ctx) == by_id[str(row["Id"])] for row in rows)
    assert {s.status for s in staff} >= {"Current", "Previous"}
    assert {s.is_teacher for s in staff} == {True, False} and all(s.roles for s in staff)
    assert any(
        s.date_of_birth and s.employment_end and s.last_updated and s.row_hash for s in staff
    )
    read = client.sync_log[-1]
    assert read.endpoint == "Staff" and "select=" in read.resource
    assert "includePrevious" in read.resource
    assert read.bytes < len(json.dumps({"Staff": rows}))
    # One member read by id is narrowed the same way, and is the list's.
    member = await client.staff_member(estab, staff[-1].id, include_previous=True)
    assert member == staff[-1]
    assert "Staff/" in client.sync_log[-1].resource and "select=" in client.sync_log[-1].resource


async def test_a_school_granting_staff_lite_only_is_read_with_every_staff_column(
    sim: Sim, make_client: MakeClient
) -> None:
    # STAFF_LITE_RP is granted StaffLite only: DateOfBirth (StaffExtended) and Roles
    # (StaffEmployment) are not visible to it, so Xporter refuses a `select` that names them.
    client = await make_client(
        relying_party=STAFF_LITE_RP, schools=(XporterSchool(sim.estab(), STAFF_LITE_SECRET),)
    )
    estab = sim.estab()
    await sim.stats(reset=True)

    staff = await client.staff(estab, include_previous=True)
    again = await client.staff_member(estab, staff[0].id, include_previous=True)

    assert len(staff) > 10 and all(s.date_of_birth is None and not s.roles for s in staff)
    assert all(s.forename and s.is_teacher is not None and s.row_hash for s in staff)
    assert again == staff[0]
    # One refused read, then every-column reads only: the refusal is remembered.
    assert await sim.calls("/Staff") == 2 and await sim.calls("/Staff/{id}") == 1
    assert all("select=" not in r.resource for r in client.sync_log if r.endpoint == "Staff")
    assert client.cached_row_hashes(estab, "Staff") == {s.id: s.row_hash for s in staff}
