"""The TASS client over real HTTP: every method on both APIs, the same models from each,
paging, chunking, windows, field permissions, rate limits."""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, timedelta

import pytest

from schoolgraph.errors import BadRequestError, NotFoundError, UpstreamBadResponseError
from schoolgraph.simulators.tass import TassConfig as SimConfig
from schoolgraph.upstreams.tass import (
    EndpointDeniedError,
    Lesson,
    Staff,
    Student,
    TassClient,
)

from .conftest import MakeClient, Sim

STUDENTS = "/api/{cmpy_code}/students"
ABSENCES = "/api/{cmpy_code}/absences"
MONDAY, FRIDAY = date(2026, 11, 23), date(2026, 11, 27)
APIS = pytest.mark.parametrize("api", ["2026", "legacy"])


def _world_students(sim: Sim) -> dict[str, object]:
    school = sim.world.school_by_code("01")
    assert school is not None
    return {s.code: s for s in sim.world.students.values() if s.school_id == school.id}


# --------------------------------------------------------------------------- every method


@APIS
async def test_students_carry_campus_year_house_and_tutor_group(
    sim: Sim, make_client: MakeClient, api: str
) -> None:
    client = await make_client(api)
    students = await client.students("01")
    world = _world_students(sim)
    assert {s.code for s in students} == set(world)
    campuses = {c.code for c in await client.campuses("01")}
    houses = {h.code for h in await client.houses("01")}
    tutor_groups = {g.code for g in await client.tutor_groups("01")}
    years = {y.year for y in await client.year_groups("01")}
    for student in students:
        assert isinstance(student, Student) and student.company == "01"
        assert student.campus_code in campuses
        assert student.house_code in houses and student.house_name
        assert student.tutor_group in tutor_groups
        assert student.year_group in years
        assert student.updated_at is None or student.updated_at.tzinfo is UTC


async def test_both_apis_answer_the_same_students(make_client: MakeClient) -> None:
    rest = {s.code: s for s in await (await make_client("2026")).students("01")}
    legacy = {s.code: s for s in await (await make_client("legacy")).students("01")}
    assert rest.keys() == legacy.keys()
    same = (
        "surname",
        "first_name",
        "preferred_name",
        "date_of_birth",
        "entry_date",
        "leaving_date",
        "year_group",
        "form_class",
        "tutor_group",
        "house_name",
        "campus_code",
        "email",
        "mobile",
        "family_code",
        "boarder",
        "gender",
    )
    for code, student in rest.items():
        for name in same:
            assert getattr(student, name) == getattr(legacy[code], name), (code, name)
        # legacy `last_update_on` has whole seconds, 2026 `update_on` milliseconds
        rest_stamp, legacy_stamp = student.updated_at, legacy[code].updated_at
        assert rest_stamp is not None and legacy_stamp is not None
        assert abs(rest_stamp - legacy_stamp) < timedelta(seconds=1)


@APIS
async def test_staff_match_employees_with_teachers(
    sim: Sim, make_client: MakeClient, api: str
) -> None:
    client = await make_client(api)
    staff = await client.staff("01")
    school = sim.world.school_by_code("01")
    assert school is not None
    world = [s for s in sim.world.staff.values() if s.school_id == school.id]
    assert len(staff) == len(world)
    teachers = [s for s in staff if s.is_teacher]
    assert len(teachers) == sum(s.role == "teacher" for s in world)
    for member in teachers:
        assert isinstance(member, Staff)
        assert member.employee is not None and member.teacher is not None
        assert member.employee.teacher_code == member.teacher.code
        assert member.teacher.employee_code == member.employee.code
    emails = {s.email for s in world}
    assert {s.work_email for s in staff} <= emails
    assert await client.staff("01") is staff  # unchanged inputs, the same objects
    found = await client.staff_by_teacher_code("01", [teachers[0].teacher_code or "", "NOPE"])
    assert found == [teachers[0], None]


@APIS
async def test_classes_have_members_that_exist(make_client: MakeClient, api: str) -> None:
    client = await make_client(api)
    classes = await client.classes("01")
    students = {s.code for s in await client.students("01")}
    teachers = {t.code for t in await client.teachers("01")}
    assert classes
    for klass in classes:
        assert klass.year == 2026 and klass.semester == 2
        assert set(klass.student_codes) <= students
        assert set(klass.teacher_codes) <= teachers
    assert len({k.id for k in classes}) == len(classes)


@APIS
async def test_communication_rules_belong_to_students(make_client: MakeClient, api: str) -> None:
    client = await make_client(api)
    contacts = await client.communication_rules("01")
    students = await client.students("01")
    assert contacts and {c.student_code for c in contacts} <= {s.code for s in students}
    assert all("EC" in c.communication_types for c in contacts)
    first = students[0]
    [mine] = await client.contacts_of_students("01", [first.code])
    assert mine and all(c.family_code == first.family_code for c in mine if c.address_number == 1)


@APIS
async def test_lessons_place_the_grid_on_the_calendar_with_bell_times(
    make_client: MakeClient, api: str
) -> None:
    client = await make_client(api)
    lessons = await client.lessons("01", MONDAY, FRIDAY)
    assert lessons and all(isinstance(x, Lesson) for x in lessons)
    assert {x.date for x in lessons} == {MONDAY + timedelta(days=d) for d in range(5)}
    for lesson in lessons:
        assert lesson.day_code == lesson.date.weekday() + 1
        assert lesson.starts_at is not None and lesson.ends_at is not None
        assert lesson.starts_at.tzinfo is UTC and lesson.starts_at < lesson.ends_at
        local = lesson.starts_at.astimezone(client.time_zone("01"))
        assert local.date() == lesson.date and 8 <= local.hour < 16
    class_ids = {k.id for k in await client.classes("01")}
    assert {x.class_id for x in lessons} <= class_ids


@APIS
async def test_a_students_timetable_is_their_classes_lessons(
    make_client: MakeClient, api: str
) -> None:
    client = await make_client(api)
    student = (await client.students("01"))[0]
    mine = await client.student_timetable("01", student.code, MONDAY, FRIDAY)
    classes = {k.id for k in await client.classes("01") if student.code in k.student_codes}
    assert mine and {x.class_id for x in mine} == classes
    everyone = {
        (x.date, x.period_code, x.class_id) for x in await client.lessons("01", MONDAY, FRIDAY)
    }
    assert {(x.date, x.period_code, x.class_id) for x in mine} <= everyone
    teacher = mine[0].teacher_codes[0]
    theirs = await client.teacher_timetable("01", teacher, MONDAY, FRIDAY)
    assert theirs and all(teacher in x.teacher_codes for x in theirs)


async def test_an_unknown_student_timetable_is_not_found(client: TassClient) -> None:
    with pytest.raises(NotFoundError, match="student 'NOPE'"):
        await client.student_timetable("01", "NOPE", MONDAY, FRIDAY)


@APIS
async def test_absences_are_read_per_month_and_filtered_to_the_window(
    sim: Sim, make_client: MakeClient, api: str
) -> None:
    client = await make_client(api)
    start, end = date(2026, 9, 15), date(2026, 11, 23)
    absences = await client.absences("01", start, end)
    assert absences and all(start <= a.date <= end for a in absences)
    assert {a.student_code for a in absences} <= {s.code for s in await client.students("01")}
    assert all(a.acceptable in (True, False) for a in absences)
    stats = await sim.stats(reset=True)
    assert stats["total"] >= 3  # September, October, November
    inner = await client.absences("01", date(2026, 10, 1), date(2026, 10, 31))
    assert inner == tuple(a for a in absences if a.date.month == 10)
    assert (await sim.stats())["total"] == 0  # the October read was shared


async def test_absences_for_given_students_are_chunked(sim: Sim, make_client: MakeClient) -> None:
    client = await make_client(max_codes_per_call=20, page_size=1000)
    codes = [s.code for s in await client.students("01")]
    await sim.stats(reset=True)
    mine = await client.absences("01", date(2026, 11, 1), date(2026, 11, 23), codes)
    assert await sim.calls(ABSENCES) == 3  # 48 codes in chunks of 20, one month
    everyone = await client.absences("01", date(2026, 11, 1), date(2026, 11, 23))
    assert mine == everyone


async def test_date_windows_are_checked(client: TassClient) -> None:
    with pytest.raises(BadRequestError, match="longer than 366 days"):
        await client.absences("01", date(2025, 1, 1), date(2026, 11, 23))
    with pytest.raises(BadRequestError, match="ends before it starts"):
        await client.lessons("01", FRIDAY, MONDAY)


async def test_an_unknown_company_is_a_bad_request(client: TassClient) -> None:
    with pytest.raises(BadRequestError, match="'77' is not configured"):
        await client.students("77")


@APIS
async def test_readiness_reports_each_company(make_client: MakeClient, api: str) -> None:
    assert await (await make_client(api)).readiness() == {"01": "ok"}


async def test_readiness_reports_a_refused_credential(sim: Sim, make_client: MakeClient) -> None:
    client = await make_client(api_key=type(sim.demo_key())("nope", "nope"))
    assert await client.readiness() == {"01": "UPSTREAM_AUTH_FAILED"}


# --------------------------------------------------------------------------- paging


@pytest.mark.parametrize(("page_size", "pages"), [(10, 5), (48, 2), (100, 1)])
async def test_pages_are_followed_transparently(
    sim: Sim, make_client: MakeClient, page_size: int, pages: int
) -> None:
    client = await make_client(page_size=page_size)
    students = await client.students("01")
    assert len(students) == 48 and len({s.code for s in students}) == 48
    assert await sim.calls(STUDENTS) == pages


async def test_a_lower_max_top_is_learned_from_the_400_that_names_it(
    sim: Sim, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    # The simulator's MaxTop is 1,000 (ASP.NET's wording on a larger `$top`); the client
    # asks for pages of 5,000, learns the limit from the refusal, and keeps to it.
    client = await make_client(page_size=5000)
    await sim.stats(reset=True)
    with caplog.at_level(logging.INFO, logger="schoolgraph.upstreams.tass.api2026"):
        students = await client.students("01")
    assert len(students) == 48
    # Refused once (on whichever list came first: students need the houses too), and
    # every read after it asks for pages of 1,000.
    assert caplog.text.count("at most 1000 rows") == 1
    assert await sim.calls(STUDENTS) in (1, 2)

    await sim.stats(reset=True)
    assert len(await client.employees("01")) > 0
    assert await sim.calls("/api/{cmpy_code}/employees") == 1  # no second refusal


async def _students_in_school(sim: Sim, count: int) -> None:
    """Add copies of students until company 01 has `count` of them (a copy per student at
    most each time)."""
    while (missing := count - len(_world_students(sim))) > 0:
        await sim.mutate("students", "add", count=missing)
    assert len(_world_students(sim)) == count


@pytest.mark.parametrize(
    "sim_config", [pytest.param(SimConfig(max_top=100, top_over_max="cap"), id="caps-at-100")]
)
@pytest.mark.parametrize(("students", "requests"), [(137, 2), (250, 3)])
async def test_a_tass_that_caps_pages_silently_still_yields_every_student(
    sim: Sim,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
    students: int,
    requests: int,
) -> None:
    # tass.md §D.3 "Paging": what a server does with a `$top` above its limit is DOC-SILENT.
    # This one answers `$top=1000` with 100 rows and no error: the round short page is
    # followed up, the cap learned, and pages of 100 asked for from then on.
    await _students_in_school(sim, students)
    client = await make_client()
    await sim.stats(reset=True)
    with caplog.at_level(logging.INFO, logger="schoolgraph.upstreams.tass.api2026"):
        read = await client.students("01")
    assert {s.code for s in read} == set(_world_students(sim))
    assert await sim.calls(STUDENTS) == requests  # 100, then 37; or 100, 100, 50
    assert caplog.text.count("at most 100 rows") == 1
    assert not any(code in caplog.text for code in _world_students(sim))

    await sim.stats(reset=True)
    staff = await client.employees("01")
    assert staff and await sim.calls("/api/{cmpy_code}/employees") == 1
    assert caplog.text.count("at most 100 rows") == 1


async def test_a_round_short_page_costs_one_request_to_confirm_the_end(
    sim: Sim, make_client: MakeClient
) -> None:
    # A healthy TASS answers pages of 1,000: a list of exactly 100 rows may be a silent cap
    # of 100, so the page after it is asked for (empty); a list of 137 rows cannot be one.
    await _students_in_school(sim, 100)
    await sim.stats(reset=True)
    assert len(await (await make_client()).students("01")) == 100
    assert await sim.calls(STUDENTS) == 2
    await _students_in_school(sim, 137)
    await sim.stats(reset=True)
    assert len(await (await make_client()).students("01")) == 137
    assert await sim.calls(STUDENTS) == 1


async def test_a_round_short_page_after_full_ones_ends_the_list(
    sim: Sim, make_client: MakeClient
) -> None:
    # Pages of 100: two full ones show that the server does not cap below 100, so the short
    # page of 50 after them is the last one, not a cap to confirm with one more request.
    await _students_in_school(sim, 250)
    await sim.stats(reset=True)
    assert len(await (await make_client(page_size=100)).students("01")) == 250
    assert await sim.calls(STUDENTS) == 3


# --------------------------------------------------------------------------- permissions


async def test_hidden_fields_are_none_and_a_denied_endpoint_names_itself(
    sim: Sim, make_client: MakeClient
) -> None:
    _, key = await sim.new_api_user(
        [
            {
                "endpoint": "/{cmpy_code}/students",
                "read": True,
                "read_fields": ["stud_code", "surname", "year_grp", "pctut_grp", "update_on"],
            }
        ]
    )
    client = await make_client(api_key=key)
    students = await client.students("01")  # houses are denied: names are just unknown
    assert len(students) == 48
    for student in students:
        assert student.surname and student.year_group and student.tutor_group
        assert student.first_name is None and student.email is None
        assert student.house_code is None and student.house_name is None
    with pytest.raises(EndpointDeniedError) as info:
        await client.employees("01")
    assert info.value.endpoint == "/{cmpy_code}/employees" and info.value.company == "01"
    assert "/{cmpy_code}/employees" in info.value.message


async def test_staff_without_readable_employees_are_the_teachers(
    sim: Sim, make_client: MakeClient
) -> None:
    _, key = await sim.new_api_user([{"endpoint": "/{cmpy_code}/teachers", "read": True}])
    client = await make_client(api_key=key)
    staff = await client.staff("01")
    assert staff and all(s.employee is None and s.teacher is not None for s in staff)
    assert all(s.employee_code for s in staff)  # from the teacher record


async def test_a_company_not_assigned_is_denied(sim: Sim, make_client: MakeClient) -> None:
    _, key = await sim.new_api_user(companies=("02",))
    client = await make_client(api_key=key)
    with pytest.raises(EndpointDeniedError, match="company 01"):
        await client.campuses("01")


async def test_rows_without_their_key_field_are_a_bad_response(
    sim: Sim, make_client: MakeClient
) -> None:
    _, key = await sim.new_api_user(
        [{"endpoint": "/{cmpy_code}/students", "read": True, "read_fields": ["surname"]}]
    )
    client = await make_client(api_key=key)
    with pytest.raises(UpstreamBadResponseError) as info:
        await client.students("01")
    assert "'stud_code'" in info.value.message and "/api/{cmpy_code}/students" in info.value.message


# --------------------------------------------------------------------------- rate limits


async def test_a_429_is_waited_out_and_the_read_completes(
    sim: Sim, make_client: MakeClient
) -> None:
    client = await make_client(page_size=10)
    await client.campuses("01")  # authenticate first (the token call has its own bucket)
    await sim.faults(rate_limit_per_minute=3)
    now = sim.now()
    second = now.second + now.microsecond / 1e6
    # into a fresh fixed window of the simulator's per-minute limit, 1.5 s before it ends
    await sim.advance((58.5 - second) % 60 + 60)
    await sim.stats(reset=True)
    started = time.monotonic()
    students = await client.students("01")
    waited = time.monotonic() - started
    assert len(students) == 48
    stats = await sim.stats()
    assert stats["rate_limited"] == 1
    assert stats["by_status"]["200"] == 6  # houses, then 5 pages of students
    assert 0.5 < waited < 10


# --------------------------------------------------------------------------- writes


async def test_a_student_write_is_read_back_by_an_incremental_refresh(
    sim: Sim, client: TassClient
) -> None:
    await sim.ensure_clock_after_world()
    before = await client.students("01")
    target = before[5]
    updated = await client.update_student(
        "01", target.code, {"mobile": "0400 000 111", "email": "new.address@example.org"}
    )
    assert (updated.mobile, updated.email) == ("0400 000 111", "new.address@example.org")
    await sim.stats(reset=True)
    after = await client.students("01")  # no TTL passed: the write made the list stale
    assert await sim.calls(STUDENTS) == 1
    assert after[5] == updated and after[5] is not target
    assert all(a is b for i, (a, b) in enumerate(zip(before, after, strict=True)) if i != 5)


async def test_student_writes_are_refused_before_any_request_when_invalid(
    sim: Sim, make_client: MakeClient
) -> None:
    client = await make_client()
    with pytest.raises(BadRequestError, match="'year_group' cannot be written"):
        await client.update_student("01", "300000", {"year_group": "8"})
    legacy = await make_client("legacy")
    with pytest.raises(BadRequestError, match="legacy API"):
        await legacy.update_student("01", "300000", {"mobile": "1"})
    assert (await sim.stats())["total"] == 0


async def test_a_write_tass_rejects_names_the_fields(client: TassClient) -> None:
    code = (await client.students("01"))[0].code
    with pytest.raises(UpstreamBadResponseError, match="e_mail"):
        await client.update_student("01", code, {"email": "not-an-email"})
    with pytest.raises(NotFoundError, match="student 'NOPE'"):
        await client.update_student("01", "NOPE", {"mobile": "1"})
