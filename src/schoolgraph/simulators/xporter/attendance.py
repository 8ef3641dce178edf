"""AttendanceCodes, AttendanceForDate and AttendanceForDateRange (xporter.md §4.8)."""

from __future__ import annotations

from datetime import time

from ..dataset import AttendanceMark, Student
from .errors import bad_request
from .render import Context, Tables
from .rows import Row, columns, table

_MEANING = {  # statistical category -> (MeaningDescription, ShortMeaningDescription)
    "PRES": ("Present", "Present"),
    "AEA": ("Approved Educational Activity", "AEA"),
    "AUTH": ("Authorised Absence", "Authorised"),
    "UNAUTH": ("Unauthorised Absence", "Unauthorised"),
    "NOTREQ": ("Attendance Not Required", "Not Required"),
}


ATTEND_CODES = table(
    "AttendCodes",
    columns(
        "Attendance",
        "Mark",
        "Description",
        "MeaningDescription",
        "ShortMeaningDescription",
        "PhysicalMeaning",
        "Active",
    ),
    key="Mark",
)
ATTEND_MARKS = table(
    "AttendMarks",
    [
        *columns("", "Id"),
        *columns("Attendance", "Date"),
        *columns("", "InstanceId"),
        *columns("Attendance", "StudentId", "Mark"),
        # includeExternalId names no column (§4.8.3); ours.
        *columns("Attendance", "StudentExternalId", option="includeExternalId"),
        *columns("", "MinsLate"),
        *columns("Attendance", "Notes", "Type", "Session"),
    ],
)
ATTEND_MARKS_RANGE = table(
    "AttendMarks",
    [
        *columns("", "Id"),
        *columns("Attendance", "Date", "StudentId", "Mark"),
        *columns("Attendance", "StudentExternalId", option="includeExternalId"),
        *columns("Attendance", "Type", "Session"),
    ],
)
# `DateRange` fields are doc-silent (§4.8.2): the window the marks cover.
DATE_RANGE = table(
    "DateRange", columns("Attendance", "DateFrom", "DateTo"), key="DateFrom", info=True
)
_PM_FROM = time(12, 0)  # lessons starting at or after noon belong to the PM session


def attendance_codes_tables(ctx: Context) -> Tables:
    """The mark codes in use (§4.8.1)."""
    rows: list[Row] = []
    for code in ctx.world.attendance_codes:
        if ctx.record_id is not None and code.code != ctx.record_id:
            continue
        meaning, short = _MEANING.get(code.statistical, (code.meaning, code.meaning))
        rows.append(
            {
                "Mark": code.code,
                "Description": code.description,
                "MeaningDescription": meaning,
                "ShortMeaningDescription": short,
                "PhysicalMeaning": "IN" if code.statistical == "PRES" else "OUT",
                "Active": 1,
            }
        )
    return [(ATTEND_CODES, rows)]


def _students_for_marks(ctx: Context, *, include_leavers: bool) -> list[Student]:
    ix = ctx.index
    return [
        s
        for s in ix.students.values()
        if (include_leavers or ix.on_roll(s))
        and (ctx.record_id is None or str(s.id) == ctx.record_id)
    ]


def _session_filter(ctx: Context) -> str | None:
    session = ctx.params.get("sessionType")
    if session is not None and session.upper() not in ("AM", "PM"):
        raise bad_request(f"The value '{session}' is not valid for sessionType; use AM or PM.")
    return session.upper() if session else None


def _keep_mark(ctx: Context, code: str) -> bool:
    p = ctx.params
    no_mark = code == "-" and p.flag("excludeNoMarks")
    return not (no_mark or (code == "#" and p.flag("excludeClosed")))


def attendance_for_date_tables(ctx: Context) -> Tables:
    """Session and lesson marks for one day (§4.8.2)."""
    p = ctx.params
    day = p.date("date") or ctx.world.today
    kind = p.get("attendanceType")
    if kind is not None and kind.upper() not in ("L", "S"):
        raise bad_request(f"The value '{kind}' is not valid for attendanceType; use L or S.")
    session = _session_filter(ctx)
    students = _students_for_marks(ctx, include_leavers=False)
    rows: list[Row] = []
    marks: dict[tuple[int, str], AttendanceMark] = {}
    for s in students:
        for mark in ctx.world.attendance(s.id, day, day):
            marks[(s.id, mark.session)] = mark
            if (
                (kind is None or kind.upper() == "S")
                and session in (None, mark.session)
                and _keep_mark(ctx, mark.code)
            ):
                rows.append(_mark_row(ctx, s, mark, None))
    if kind is None or kind.upper() == "L":
        # Lesson marks follow the session mark of the session the lesson falls in.
        wanted = {s.id for s in students}
        for lesson in ctx.world.lessons(ctx.school.id, day, day):
            group = ctx.index.groups.get(lesson.group_id)
            local_start = lesson.start.astimezone(ctx.index.zone).time()
            lesson_session = "PM" if local_start >= _PM_FROM else "AM"
            if group is None or session not in (None, lesson_session):
                continue
            for sid in group.student_ids:
                session_mark = marks.get((sid, lesson_session))
                if sid not in wanted or session_mark is None:
                    continue
                if _keep_mark(ctx, session_mark.code):
                    rows.append(
                        {
                            **_mark_row(ctx, ctx.index.students[sid], session_mark, lesson.id),
                            "Id": f"{sid}.{day.isoformat()}.{lesson.entry_id}",
                            "Type": "L",
                        }
                    )
    window: list[Row] = [{"DateFrom": day.isoformat(), "DateTo": day.isoformat()}]
    return [(ATTEND_MARKS, rows), (DATE_RANGE, window)]


def _mark_row(ctx: Context, student: Student, mark: AttendanceMark, instance: str | None) -> Row:
    return {
        "Id": mark.id,
        "Date": mark.date.isoformat(),
        "InstanceId": instance,
        "StudentId": str(student.id),
        "Mark": mark.code,
        "StudentExternalId": student.external_id,
        "MinsLate": mark.minutes_late if mark.code in ("L", "U") else None,
        "Notes": None,
        "Type": "S",
        "Session": mark.session,
    }


def attendance_for_date_range_tables(ctx: Context) -> Tables:
    """Session marks for a date range (§4.8.3)."""
    p = ctx.params
    single = p.date("date")
    start, end = p.date("DateFrom") or single, p.date("DateTo") or single
    if start is None or end is None:
        raise bad_request("DateFrom and DateTo are required (yyyy-MM-dd).")
    if end < start:
        raise bad_request(f"DateTo {end.isoformat()} is before DateFrom {start.isoformat()}.")
    session = _session_filter(ctx)
    rows: list[Row] = []
    for s in _students_for_marks(ctx, include_leavers=p.flag("includeLeavers")):
        for mark in ctx.world.attendance(s.id, start, end):
            if session in (None, mark.session) and _keep_mark(ctx, mark.code):
                rows.append(_mark_row(ctx, s, mark, None))
    window: list[Row] = [{"DateFrom": start.isoformat(), "DateTo": end.isoformat()}]
    return [(ATTEND_MARKS_RANGE, rows), (DATE_RANGE, window)]
