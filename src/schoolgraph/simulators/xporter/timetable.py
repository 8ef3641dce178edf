"""Timetable, TimetableForStudent and TimetableForStaff (xporter.md §4.7)."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from ..dataset import Lesson
from .errors import bad_request
from .render import Context, Tables
from .rows import Row, columns, table

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


LESSONS = table(
    "Lessons",
    columns(
        "School",
        "Id",
        "PeriodId",
        "ClassId",
        "JoinedId",
        "ClassName",
        "Period",
        "StartDateTime",
        "EndDateTime",
        "StaffCodes",
        "RoomCodes",
        "SubjectCode",
        "SubjectName",
    ),
    key="PeriodId",
    order_by=("StartDateTime", "ClassId"),
)
LESSON_STAFF = table("LessonStaff", columns("School", "Id", "LessonId", "StaffId", "StaffCode"))
LESSON_ROOMS = table("LessonRooms", columns("School", "Id", "LessonId", "RoomId", "Code"))
# SIM-PROPOSAL (§4.7.3): the per-person timetable table is named `Timetable`.
TIMETABLE = table(
    "Timetable",
    columns(
        "School",
        "Id",
        "LessonId",
        "JoinedId",
        "PeriodId",
        "ClassId",
        "Period",
        "Date",
        "StartDateTime",
        "EndDateTime",
        "ClassName",
        "RoomCodes",
        "StaffCodes",
        "SubjectCode",
        "SubjectName",
    ),
    order_by=("StartDateTime", "ClassId"),
)
TIMETABLES = table(
    "Timetables",
    columns(
        "School",
        "Id",
        "Description",
        "StartDate",
        "EndDate",
        "DaysPerCycle",
        "PeriodsPerCycle",
        "TeachingPeriodsPerCycle",
    ),
)
TIMETABLE_DAYS = table(
    "TimetableDays", columns("School", "Id", "TimetableId", "DayName", "Sequence")
)
TIMETABLE_PERIODS = table(
    "TimetablePeriods",
    columns(
        "School", "Id", "TimetableDayId", "PeriodName", "StartTime", "EndTime", "PeriodSequence"
    ),
)


def room_id(code: str) -> str:
    """A stable numeric id for a room code (the world knows rooms by code only)."""
    digest = hashlib.sha1(code.encode(), usedforsecurity=False).digest()
    return str(1000 + int.from_bytes(digest[:3], "big") % 9000)


def _window(ctx: Context, default_back: int, default_ahead: int) -> tuple[date, date]:
    p, today = ctx.params, ctx.world.today
    if p.flag("bypassDateFilter"):
        return ctx.school.terms[0][0], ctx.school.terms[-1][1]
    # Prose says From/To, the param lists and EXT say DateFrom/DateTo (§4.7.3): accept both.
    start = p.date("DateFrom") or p.date("From") or today - timedelta(days=default_back)
    end = p.date("DateTo") or p.date("To") or today + timedelta(days=default_ahead)
    if end < start:
        raise bad_request(f"DateTo {end.isoformat()} is before DateFrom {start.isoformat()}.")
    return start, end


def _lesson_common(ctx: Context, lesson: Lesson) -> Row:
    ix = ctx.index
    group = ix.groups.get(lesson.group_id)
    staff = ix.staff.get(lesson.staff_id)
    joined = ix.joined.get(lesson.entry_id)
    return {
        "ClassId": str(lesson.group_id),
        "JoinedId": str(joined) if joined else None,
        "ClassName": group.name if group else None,
        "Period": ix.periods[lesson.period_id].code,
        "StartDateTime": ctx.wall(lesson.start),
        "EndDateTime": ctx.wall(lesson.end),
        "StaffCodes": staff.code if staff else None,
        "RoomCodes": lesson.room,
        "SubjectCode": group.subject_code if group else None,
        "SubjectName": group.subject_name if group else None,
    }


def timetable_tables(ctx: Context) -> Tables:
    """Lessons, LessonStaff and LessonRooms in a date window (§4.7.1)."""
    p = ctx.params
    with_lessons, with_staff = p.flag("includeLessons"), p.flag("includeLessonStaff")
    with_rooms = p.flag("includeLessonRooms")
    # "The endpoint will return an empty set unless at least one of the options ... selected."
    if not (with_lessons or with_staff or with_rooms):
        return [(LESSONS, []), (LESSON_STAFF, []), (LESSON_ROOMS, [])]
    start, end = _window(ctx, 7, 14)
    lessons = ctx.world.lessons(ctx.school.id, start, end)
    rows: list[Row] = []
    staff_rows: dict[str, Row] = {}
    room_rows: dict[str, Row] = {}
    for lesson in lessons:
        entry = str(lesson.entry_id)
        if with_lessons:
            rows.append({"Id": entry, "PeriodId": lesson.id, **_lesson_common(ctx, lesson)})
        staff = ctx.index.staff.get(lesson.staff_id)
        if with_staff and staff is not None:
            staff_rows[f"{entry}.{staff.id}"] = {
                "Id": f"{entry}.{staff.id}",
                "LessonId": entry,
                "StaffId": str(staff.id),
                "StaffCode": staff.code,
            }
        if with_rooms:
            rid = room_id(lesson.room)
            room_rows[f"{entry}.{rid}"] = {
                "Id": f"{entry}.{rid}",
                "LessonId": entry,
                "RoomId": rid,
                "Code": lesson.room,
            }
    return [
        (LESSONS, rows),
        (LESSON_STAFF, list(staff_rows.values())),
        (LESSON_ROOMS, list(room_rows.values())),
    ]


def _person_timetable(ctx: Context, *, student: bool) -> Tables:
    if ctx.record_id is None:
        raise bad_request(
            "The Id parameter is required: the Id of the "
            f"{'student' if student else 'staff member'}."
        )
    ix = ctx.index
    start, end = _window(ctx, 7, 14)
    lessons: list[Lesson] = []
    if student:
        pupil = next((s for s in ix.students.values() if str(s.id) == ctx.record_id), None)
        if pupil is not None:
            groups = {g.id for g in ix.groups_of_student.get(pupil.id, ())}
            lessons = ctx.world.lessons(ctx.school.id, start, end, group_ids=groups)
    else:
        member = next((t for t in ix.staff.values() if str(t.id) == ctx.record_id), None)
        if member is not None:
            lessons = ctx.world.lessons(ctx.school.id, start, end, staff_id=member.id)
    rows = [
        {
            "Id": lesson.id,
            "LessonId": str(lesson.entry_id),
            "PeriodId": lesson.id,
            "Date": f"{lesson.date.isoformat()}T00:00:00",
            **_lesson_common(ctx, lesson),
        }
        for lesson in lessons
    ]
    out: Tables = [(TIMETABLE, rows)]
    if ctx.params.flag("includeTTStructure"):
        out.extend(_tt_structure(ctx))
    return out


def _tt_structure(ctx: Context) -> Tables:
    school = ctx.school
    periods = sorted(ctx.index.periods.values(), key=lambda p: (p.weekday, p.start))
    weekdays = sorted({p.weekday for p in periods})
    first = school.terms[0][0]
    timetables: list[Row] = [
        {
            "Id": "1",
            "Description": f"Timetable {first.year}/{(first.year + 1) % 100:02d}",
            "StartDate": first.isoformat(),
            "EndDate": school.terms[-1][1].isoformat(),
            "DaysPerCycle": len(weekdays),
            "PeriodsPerCycle": len(periods),
            "TeachingPeriodsPerCycle": len(periods),
        }
    ]
    days: list[Row] = [
        {"Id": str(w + 1), "TimetableId": "1", "DayName": _DAY_NAMES[w], "Sequence": w + 1}
        for w in weekdays
    ]
    period_rows: list[Row] = []
    for w in weekdays:
        for n, period in enumerate(p for p in periods if p.weekday == w):
            period_rows.append(
                {
                    "Id": str(period.id),
                    "TimetableDayId": str(w + 1),
                    "PeriodName": f"{_DAY_NAMES[w]}{period.name}",
                    "StartTime": period.start.strftime("%H:%M"),
                    "EndTime": period.end.strftime("%H:%M"),
                    "PeriodSequence": n + 1,
                }
            )
    return [(TIMETABLES, timetables), (TIMETABLE_DAYS, days), (TIMETABLE_PERIODS, period_rows)]


def timetable_for_student_tables(ctx: Context) -> Tables:
    """One student's lessons (§4.7.4)."""
    return _person_timetable(ctx, student=True)


def timetable_for_staff_tables(ctx: Context) -> Tables:
    """One staff member's lessons (§4.7.3)."""
    return _person_timetable(ctx, student=False)
