"""The seeded world: determinism, scale, and the deliberate mess integrators meet."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from schoolgraph.simulators.dataset import Scale, World, generate_world, school_codes

TODAY = date(2026, 11, 23)


def test_same_seed_gives_the_same_bytes() -> None:
    first = generate_world(11, "small", TODAY).canonical_json()
    second = generate_world(11, "small", TODAY).canonical_json()
    assert first == second


def test_another_seed_gives_another_world() -> None:
    assert (
        generate_world(11, "small", TODAY).fingerprint()
        != generate_world(12, "small", TODAY).fingerprint()
    )


def test_unknown_scale_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match="'huge'"):
        generate_world(1, "huge", TODAY)  # type: ignore[arg-type]


def test_large_scale_meets_the_benchmark_sizes() -> None:
    world = generate_world(7, "large", TODAY)
    assert len(world.students) >= 10_000
    assert len(world.staff) >= 1_000
    assert len(world.shifts) >= 50_000


def test_schools_cover_both_systems_and_tass_has_campuses(small_world: World) -> None:
    systems = sorted(s.system for s in small_world.schools.values())
    assert systems == ["tass", "xporter", "xporter"]
    tass = next(s for s in small_world.schools.values() if s.system == "tass")
    assert {c.school_id for c in small_world.campuses.values()} == {tass.id}


def test_every_student_has_year_registration_house_and_classes(small_world: World) -> None:
    for student in small_world.students.values():
        types = sorted({g.type for g in small_world.groups_of_student(student.id)})
        assert types == ["class", "house", "registration", "year"]


def test_deliberate_mess_is_present(small_world: World) -> None:
    staff = small_world.staff.values()
    users = [u for u in small_world.tanda_users.values() if u.mis_staff_id is not None]
    by_staff = {u.mis_staff_id: u for u in users}
    # emails that differ only in case
    assert any(
        s.email
        and s.id in by_staff
        and by_staff[s.id].email != s.email
        and (by_staff[s.id].email or "").lower() == s.email.lower()
        for s in staff
    )
    # a staff member with no email, matched by employee_id
    nameless = [s for s in staff if s.email is None]
    assert nameless and by_staff[nameless[0].id].employee_id == nameless[0].code
    # a name collision
    names = [(s.forename, s.surname) for s in staff]
    assert len(names) != len(set(names))
    # a leaver still active in Tanda
    leavers = [s for s in staff if s.leaving_date and s.leaving_date < TODAY]
    assert leavers and by_staff[leavers[0].id].active
    # workers who exist only in Tanda
    assert any(u.mis_staff_id is None and not u.is_admin for u in small_world.tanda_users.values())


def test_timetable_has_no_teacher_double_booked(small_world: World) -> None:
    for school in small_world.schools.values():
        lessons = small_world.lessons(school.id, TODAY, TODAY + timedelta(days=6))
        slots = [(lesson.staff_id, lesson.start) for lesson in lessons]
        assert lessons and len(slots) == len(set(slots))


def test_attendance_is_derived_only_up_to_today(small_world: World) -> None:
    student = next(iter(small_world.students.values()))
    marks = small_world.attendance(
        student.id, TODAY - timedelta(days=14), TODAY + timedelta(days=14)
    )
    assert marks and max(m.date for m in marks) <= TODAY
    assert {m.session for m in marks} == {"AM", "PM"}


def test_worked_shifts_end_before_today_and_schedules_reach_ahead(small_world: World) -> None:
    worked = [s for s in small_world.shifts.values() if s.leave_request_id is None]
    finished = [s for s in worked if s.finish is not None]
    assert max(s.date for s in finished) < TODAY
    clocked_in = [s for s in worked if s.finish is None]
    assert [s.date for s in clocked_in] == [TODAY]
    assert max(s.start.date() for s in small_world.schedules.values()) > TODAY


def test_every_worker_has_a_current_timesheet(small_world: World) -> None:
    workers = {u.id for u in small_world.tanda_users.values() if not u.is_admin}
    current = {t.user_id for t in small_world.timesheets.values() if t.start <= TODAY <= t.finish}
    assert workers == current


def test_approved_leave_appears_as_leave_shifts(small_world: World) -> None:
    approved = [r for r in small_world.leave_requests.values() if r.status == "approved"]
    assert approved
    for request in approved:
        shifts = [s for s in small_world.shifts.values() if s.leave_request_id == request.id]
        weekdays = sum(
            1
            for n in range((request.finish - request.start).days + 1)
            if (request.start + timedelta(days=n)).weekday() < 5
        )
        assert len(shifts) == weekdays


@pytest.mark.parametrize(("seed", "scale"), [(7, "small"), (11, "small"), (7, "demo")])
def test_school_codes_are_the_worlds_without_building_it(seed: int, scale: Scale) -> None:
    world = generate_world(seed, scale, TODAY)

    assert school_codes(seed, scale) == tuple(
        (school.system, school.code) for school in world.schools.values()
    )


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@pytest.mark.parametrize(
    "today",
    [TODAY, date(2027, 3, 10), date(2026, 8, 20)],
    ids=["november", "march", "august-holidays"],
)
def test_every_students_age_fits_their_year_group(today: date) -> None:
    world = generate_world(7, "small", today)
    # England: the school year starts on 1 September and pupils are placed by their age on
    # 31 August (Year 7 are 11). Queensland: the school year is the calendar year and Prep
    # children turn 5 by 30 June, so Year N are N + 5 on 30 June.
    england_start = today.year if today.month >= 9 else today.year - 1
    cutoff = {"GB": date(england_start, 8, 31), "AU": date(today.year, 6, 30)}
    countries: set[str] = set()
    for student in world.students.values():
        country = world.schools[student.school_id].country
        countries.add(country)
        offset = 4 if country == "GB" else 5
        assert _age(student.date_of_birth, cutoff[country]) == student.year + offset, (
            student.code,
            student.year,
            student.date_of_birth,
        )
    assert countries == {"GB", "AU"}
