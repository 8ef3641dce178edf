"""What the graph needs from TASS, parsed once from either API's JSON.

Section numbers (§) are those of `shared/upstreams/tass.md`. This is the only module that knows
TASS's record shapes: the 2026 API's flat snake_case rows (`*_2026` parsers; the student record
is [3P]-observed, the rest the simulator's [DESIGN] over legacy names, §D.3-§D.4) and the legacy
API's documented shapes (`*_legacy` parsers, §B). Both produce the same frozen models, so the
client's methods answer the same types whichever API a company is configured for.

Rules every parser follows:

* Codes are strings, leading zeros kept (§E.1; legacy sends some as JSON numbers).
* Every non-key field is optional: a v3 Security Role or a 2026 'Custom' field permission
  silently drops fields (§A.3, §C.4, §E.4 #9), and a missing field is `None`, not an error.
  A missing key field (the code that identifies the row) is an UPSTREAM_BAD_RESPONSE naming the
  field and route, never the value. Unknown extra fields are ignored.
* Empty strings (legacy's "no value") and unreadable optional values become `None`.
* Times: TASS sends school-local times without an offset (§D.3, §E.4 #5). Instants become aware
  UTC `datetime`s through the company's time zone; calendar dates become `date`s; bell times
  (`1900-01-01 11:29:00.0`, `11:29:00`) become `time`s.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec

from ...errors import UpstreamBadResponseError
from ..http import EXACT_WHOLE_FLOAT

__all__ = [
    "STUDENT_WRITABLE_2026",
    "UPSTREAM",
    "Absence",
    "BellTime",
    "CalendarDay",
    "Company",
    "ContactAddress",
    "ContactPerson",
    "Employee",
    "Lesson",
    "Option",
    "PersonSlot",
    "RowContext",
    "Staff",
    "Student",
    "Teacher",
    "TeachingClass",
    "TimetableSlot",
    "YearGroup",
    "absence_2026",
    "absence_legacy",
    "calendar_day_2026",
    "calendar_day_legacy",
    "class_2026",
    "class_legacy",
    "communication_rules_rows_legacy",
    "contact_address_2026",
    "contact_address_legacy",
    "employee_2026",
    "employee_legacy",
    "key_text",
    "local_wire_time",
    "option_2026",
    "option_legacy",
    "parse_date",
    "parse_instant",
    "parse_time",
    "person_slot_2026",
    "person_timetable_legacy",
    "problem_message",
    "student_2026",
    "student_legacy",
    "student_patch_2026",
    "teacher_2026",
    "teacher_legacy",
    "timetable_slot_2026",
    "timetable_slot_legacy",
    "year_group_2026",
    "year_group_legacy",
]

UPSTREAM = "tass"
Row = Mapping[str, Any]
Status = Literal["current", "future", "past"]


# --------------------------------------------------------------------------- models


@dataclass(frozen=True, slots=True)
class Company:
    """A TASS company: one school's data set (§C.3); every id is scoped by it (§E.1)."""

    code: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Option:
    """One row of a lookup list: campuses, houses, tutor groups."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class YearGroup:
    """A year group: an integer (pre-primary years are <= 0) and its school-defined label."""

    year: int
    label: str


class Student(msgspec.Struct, frozen=True):
    """A student of one company (§B.1.1 legacy, §D.4 2026).

    A struct rather than a frozen dataclass: a large company's thousands of students are
    built on every cold read, and a struct is built in C (a frozen dataclass sets each of
    its 23 fields through ``object.__setattr__``).

    `house_code` is the 2026 house code ("KNGR"); the legacy API knows houses by description
    only, so there it is the description ("Kangaroo"), the same value as `houses()` codes.
    `campus_code` is a code in both (the legacy description is mapped through `campuses()`).
    """

    company: str
    code: str
    surname: str | None = None
    first_name: str | None = None
    preferred_name: str | None = None
    other_name: str | None = None
    preferred_surname: str | None = None
    gender: str | None = None
    date_of_birth: date | None = None
    entry_date: date | None = None
    leaving_date: date | None = None
    year_group: int | None = None
    form_class: str | None = None
    tutor_group: str | None = None
    house_code: str | None = None
    house_name: str | None = None
    campus_code: str | None = None
    email: str | None = None
    mobile: str | None = None
    family_code: str | None = None
    boarder: bool | None = None
    alternate_id: str | None = None
    updated_at: datetime | None = None

    def status(self, today: date) -> Status:
        """TASS's reading of enrolment: future before `doe`, past from `dol` on."""
        return _status(today, self.entry_date, self.leaving_date)


class Employee(msgspec.Struct, frozen=True):
    """An employee (`getEmployeesDetails.general`, §B.2.2; 2026 `/employees`, §D.4).

    A struct, as `Student` is: built in C (a frozen dataclass sets each of its 21 fields
    through ``object.__setattr__``), on every cold read of a company's staff."""

    company: str
    code: str
    teacher_code: str | None = None
    title: str | None = None
    surname: str | None = None
    first_name: str | None = None
    given_names: str | None = None
    preferred_name: str | None = None
    gender: str | None = None
    date_of_birth: date | None = None
    school_email: str | None = None
    email: str | None = None
    mobile: str | None = None
    position_title: str | None = None
    position: str | None = None
    employment_status: str | None = None
    campus_code: str | None = None
    start_date: date | None = None
    leaving_date: date | None = None
    alternate_id: str | None = None
    updated_at: datetime | None = None

    def status(self, today: date) -> Status:
        return _status(today, self.start_date, self.leaving_date)


class Teacher(msgspec.Struct, frozen=True):
    """A teacher (`getTeachers`, §B.2.1; 2026 `/teachers`). Only teachers have a teacher
    code; `employee_code` links to the `Employee`. A struct, as `Employee` is."""

    company: str
    code: str
    employee_code: str | None = None
    surname: str | None = None
    first_name: str | None = None
    preferred_name: str | None = None
    salutation: str | None = None
    name: str | None = None
    active: bool | None = None
    tutor_group: str | None = None
    departments: tuple[str, ...] = ()
    email: str | None = None
    school_email: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Staff:
    """One staff member: an employee and, for teachers, the teacher record, matched by employee
    code (then by teacher code). Support staff have no teacher; a teacher without a readable
    employee record has no employee."""

    company: str
    employee: Employee | None
    teacher: Teacher | None

    @property
    def employee_code(self) -> str | None:
        if self.employee is not None:
            return self.employee.code
        return self.teacher.employee_code if self.teacher is not None else None

    @property
    def teacher_code(self) -> str | None:
        if self.teacher is not None:
            return self.teacher.code
        return self.employee.teacher_code if self.employee is not None else None

    @property
    def is_teacher(self) -> bool:
        return self.teacher_code is not None

    @property
    def surname(self) -> str | None:
        return _first(
            self.employee.surname if self.employee else None,
            self.teacher.surname if self.teacher else None,
        )

    @property
    def first_name(self) -> str | None:
        return _first(
            self.employee.first_name if self.employee else None,
            self.teacher.first_name if self.teacher else None,
        )

    @property
    def preferred_name(self) -> str | None:
        return _first(
            self.employee.preferred_name if self.employee else None,
            self.teacher.preferred_name if self.teacher else None,
        )

    @property
    def work_email(self) -> str | None:
        """The school email, the best matching key after an employee number (§E.3)."""
        return _first(
            self.employee.school_email if self.employee else None,
            self.teacher.school_email if self.teacher else None,
        )

    @property
    def tutor_group(self) -> str | None:
        return self.teacher.tutor_group if self.teacher is not None else None


@dataclass(frozen=True, slots=True)
class TeachingClass:
    """A class (teaching group) of the current year and semester (§B.3.5; 2026 `/classes`).

    Legacy TASS has no class id; `id` is the composite of §E.1 ([DESIGN]).
    """

    company: str
    subject_code: str
    class_code: str
    year_group: int | None
    year: int | None
    semester: int | None
    subject_name: str | None = None
    subject_short: str | None = None
    description: str | None = None
    teacher_codes: tuple[str, ...] = ()
    student_codes: tuple[str, ...] = ()
    updated_at: datetime | None = None

    @property
    def id(self) -> str:
        return class_id(
            self.company,
            self.year,
            self.semester,
            self.subject_code,
            self.year_group,
            self.class_code,
        )


@dataclass(frozen=True, slots=True)
class TimetableSlot:
    """One weekly slot of a timetable (`getTimetables`, §B.4.1; 2026 `/timetables`)."""

    company: str
    tt_id: int
    year: int | None
    semester: int | None
    day_code: int
    period_code: int
    subject_code: str
    class_code: str
    year_group: int | None
    teacher_codes: tuple[str, ...] = ()
    room: str | None = None
    record_id: str | None = None
    updated_at: datetime | None = None

    @property
    def class_id(self) -> str:
        return class_id(
            self.company,
            self.year,
            self.semester,
            self.subject_code,
            self.year_group,
            self.class_code,
        )


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """One date of a timetable's calendar and its day code, None on non-school days (§B.4.2)."""

    tt_id: int
    date: date
    day_code: int | None


@dataclass(frozen=True, slots=True)
class BellTime:
    """When a period of a timetable day runs, school-local (§B.4.3 `STRDAYS`)."""

    day_code: int
    period_code: int
    starts: time
    ends: time
    description: str | None = None


@dataclass(frozen=True, slots=True)
class PersonSlot:
    """One weekly lesson of a student's or teacher's timetable, with its bell times (§B.4.3,
    §B.4.4; 2026 `/students/{code}/timetable`, flattened)."""

    tt_id: int | None
    year: int | None
    semester: int | None
    day_code: int
    period_code: int
    subject_code: str
    class_code: str
    year_group: int | None
    teacher_codes: tuple[str, ...] = ()
    room: str | None = None
    subject_name: str | None = None
    starts: time | None = None
    ends: time | None = None


@dataclass(frozen=True, slots=True)
class Lesson:
    """A class meeting on a date: a timetable slot placed on the calendar."""

    company: str
    date: date
    tt_id: int | None
    year: int | None
    semester: int | None
    day_code: int
    period_code: int
    subject_code: str
    class_code: str
    year_group: int | None
    teacher_codes: tuple[str, ...] = ()
    room: str | None = None
    subject_name: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    @property
    def class_id(self) -> str:
        return class_id(
            self.company,
            self.year,
            self.semester,
            self.subject_code,
            self.year_group,
            self.class_code,
        )


@dataclass(frozen=True, slots=True)
class Absence:
    """One absent period of a student (`getStudentAbsences`, §B.6.1; 2026 `/absences`).
    TASS exposes absences only, not presence marks or reasons (§B.6.1 [ISSUE])."""

    company: str
    student_code: str
    date: date
    period_code: int
    day_code: int | None = None
    tt_id: int | None = None
    subject_code: str | None = None
    class_code: str | None = None
    year_group: int | None = None
    acceptable: bool | None = None
    week: int | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ContactPerson:
    """Parent 1 (`m_*`) or Parent 2 (`f_*`) of an address (§B.7.1).

    `description` is `{prefix}_description`, this person's own description; its values are
    DOC-SILENT (the simulators give the person's relationship to the student, "Mother").
    """

    title: str | None = None
    first_name: str | None = None
    surname: str | None = None
    preferred_name: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ContactAddress:
    """One communication-rule address of a student (`getCommunicationRulesDetails`, §B.7.1;
    2026 `/students/communicationrules`, one row per student and address)."""

    company: str
    student_code: str
    address_number: int
    family_code: str | None = None
    communication_types: tuple[str, ...] = ()
    description: str | None = None
    label: str | None = None
    addressee: str | None = None
    salutation: str | None = None
    relationship: str | None = None
    email: str | None = None
    email_2: str | None = None
    mobile_1: str | None = None
    mobile_2: str | None = None
    sms_1: bool | None = None
    sms_2: bool | None = None
    home_phone: str | None = None
    business_phone: str | None = None
    address_lines: tuple[str, ...] = ()
    town: str | None = None
    state: str | None = None
    postcode: str | None = None
    country: str | None = None
    parent1: ContactPerson | None = None
    parent2: ContactPerson | None = None
    updated_at: datetime | None = None


# --------------------------------------------------------------------------- context


@dataclass(frozen=True, slots=True)
class RowContext:
    """What parsing a row needs besides the row: whose it is, where it came from, and lookups.

    Attributes:
        company: the company code the rows belong to.
        zone: the company's time zone (TASS times carry no offset).
        route: the route template, for error messages.
        campus_codes: campus description -> code (legacy students carry descriptions).
        house_names: house code -> description (2026 students carry codes).
    """

    company: str
    zone: ZoneInfo
    route: str
    campus_codes: Mapping[str, str] = field(default_factory=dict)
    house_names: Mapping[str, str] = field(default_factory=dict)

    def bad(self, message: str) -> UpstreamBadResponseError:
        return UpstreamBadResponseError(
            f"TASS answered {self.route} with {message}", upstream=UPSTREAM
        )


def class_id(
    company: str,
    year: int | None,
    semester: int | None,
    subject: str,
    year_group: int | None,
    klass: str,
) -> str:
    """`cmpy:year:sem:sub:yr:class` (§E.1 [DESIGN]); empty parts stay empty."""
    parts = (company, year, semester, subject, year_group, klass)
    return ":".join("" if p is None else str(p) for p in parts)


# --------------------------------------------------------------------------- scalars


_LEGACY_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_LEGACY_DATETIME = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$"
)
_CF_TS = re.compile(r"^\{ts '([^']+)'\}$")
_WHOLE = re.compile(r"-?\d+")


def _text(value: Any) -> str | None:
    """A string value, trimmed; numbers as their text; empty -> None."""
    if isinstance(value, str):  # first: nearly every value is one
        return value.strip() or None
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        whole = isinstance(value, float) and value.is_integer() and abs(value) <= EXACT_WHOLE_FLOAT
        return str(int(value)) if whole else str(value)
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) <= EXACT_WHOLE_FLOAT:
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if _WHOLE.fullmatch(text):
            return int(text)
    return None


def _flag(value: Any) -> bool | None:
    """Booleans from JSON, `Y`/`N`, `Yes`/`No`, `true`/`false`."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("y", "yes", "true", "1"):
            return True
        if text in ("n", "no", "false", "0"):
            return False
    return None


def _codes(value: Any) -> tuple[str, ...]:
    """A comma list (`"AJ,BBE"`, §B.4.3) or a JSON list of codes, as strings."""
    if isinstance(value, list):
        return tuple(c for c in (_text(v) for v in value) if c)
    text = _text(value)
    if text is None:
        return ()
    return tuple(c.strip() for c in text.split(",") if c.strip())


def _gender(value: Any) -> str | None:
    text = _text(value)
    if text is None:
        return None
    return {"male": "M", "female": "F"}.get(text.lower(), text.upper() if len(text) == 1 else text)


def _naive(text: str) -> datetime | None:
    """A TASS date-time string in any of its documented forms, as a naive or aware datetime."""
    text = text.strip()
    if not text:
        return None
    # ISO first: it is the 2026 API's form, and no legacy form (`/`, `{ts`) is also ISO.
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    match = _CF_TS.match(text)
    if match:
        text = match.group(1)
    match = _LEGACY_DATETIME.match(text)
    if match:
        day, month, year, hour, minute, second, ampm = match.groups()
        hour_n = int(hour)
        if ampm:
            hour_n = hour_n % 12 + (12 if ampm.lower() == "pm" else 0)
        try:
            return datetime(int(year), int(month), int(day), hour_n, int(minute), int(second or 0))
        except ValueError:
            return None
    match = _LEGACY_DATE.match(text)
    if match:
        day, month, year = match.groups()
        try:
            return datetime(int(year), int(month), int(day))
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_instant(value: Any, zone: ZoneInfo) -> datetime | None:
    """A TASS timestamp as an aware UTC datetime.

    Accepts ISO-8601 with or without `T`, fraction and offset (`2026-02-11T10:45:12.557`,
    `2026-02-11 10:45:12.557`, `...Z`), legacy `dd/mm/yyyy hh:mm:ss AM/PM`, `dd/mm/yyyy` and
    ColdFusion `{ts '...'}`. A value without an offset is school-local in `zone`.
    """
    if not isinstance(value, str):
        return None
    moment = _naive(value)
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def parse_date(value: Any) -> date | None:
    """A TASS date: `2026-01-27T00:00:00` (2026), `dd/mm/yyyy`, `YYYY-MM-DD HH:MM:SS.0`."""
    if not isinstance(value, str):
        return None
    moment = _naive(value)
    return moment.date() if moment is not None else None


def parse_time(value: Any) -> time | None:
    """A bell time: `11:29:00` (2026) or `1900-01-01 11:29:00.0` (legacy, §B.4.3)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return time.fromisoformat(text)
    except ValueError:
        moment = _naive(text)
        return moment.time() if moment is not None else None


def local_wire_time(moment: datetime, zone: ZoneInfo) -> str:
    """An instant as the school-local, offset-free text TASS compares with (`$filter`)."""
    return moment.astimezone(zone).replace(tzinfo=None).isoformat(timespec="milliseconds")


def _status(today: date, start: date | None, end: date | None) -> Status:
    if start is not None and start > today:
        return "future"
    if end is not None and end <= today:
        return "past"
    return "current"


def _first(*values: str | None) -> str | None:
    return next((v for v in values if v), None)


def _key(row: Row, name: str, ctx: RowContext) -> str:
    return key_text(row.get(name), name, ctx)


def key_text(value: Any, name: str, ctx: RowContext) -> str:
    """The key field ``name`` of a row (`_text` of its ``value``): missing or blank, the
    answer is an UPSTREAM_BAD_RESPONSE naming the field, never the value."""
    text = _text(value)
    if text is None:
        raise ctx.bad(f"a row without its key field '{name}'.")
    return text


def _key_int(row: Row, name: str, ctx: RowContext) -> int:
    value = _int(row.get(name))
    if value is None:
        raise ctx.bad(f"a row without a whole number in its key field '{name}'.")
    return value


def _object(value: Any, name: str, ctx: RowContext) -> Row:
    if not isinstance(value, Mapping):
        raise ctx.bad(f"a row whose '{name}' is not an object.")
    return value


def problem_message(body: Any) -> str | None:
    """The message of a 2026 RFC 7807 problem (`detail`, else `title`/`message`) or of a legacy
    envelope (`__msg`, else the `__invalid` entries)."""
    if not isinstance(body, Mapping):
        return None
    errors = body.get("errors")
    fields = (
        "; ".join(
            f"{k}: {' '.join(str(m) for m in v) if isinstance(v, list) else v}"
            for k, v in errors.items()
        )
        if isinstance(errors, Mapping) and errors
        else ""
    )
    for name in ("detail", "message", "title", "__msg"):
        text = _text(body.get(name))
        if text:
            return f"{text.rstrip('.')} ({fields})" if fields else text
    invalid = body.get("__invalid")
    if isinstance(invalid, Mapping) and invalid:
        return "; ".join(f"{k}: {v}" for k, v in invalid.items())
    return None


# --------------------------------------------------------------------------- options


def option_2026(row: Row, ctx: RowContext) -> Option:
    """A 2026 option row `{"code", "desc"}` ([3P] paths, [DESIGN] shape, §D.3 row 8)."""
    code = _key(row, "code", ctx)
    return Option(code, _text(row.get("desc")) or code)


def option_legacy(value: Any, ctx: RowContext) -> Option:
    """A legacy `getCampuses` row `{"code", "desc"}` (§B.5) or a bare code."""
    if not isinstance(value, Mapping):
        code = _text(value)
        if code is None:
            raise ctx.bad("a list entry without a code.")
        return Option(code, code)
    code = _key(value, "code", ctx)
    return Option(code, _text(value.get("desc")) or code)


def year_group_2026(row: Row, ctx: RowContext) -> YearGroup:
    year = _key_int(row, "code", ctx)
    return YearGroup(year, _text(row.get("desc")) or str(year))


def year_group_legacy(value: Any, ctx: RowContext) -> YearGroup:
    """`getYearGroups` `{"code": -2, "desc": "AA"}` (desc str or num) or a bare number."""
    if not isinstance(value, Mapping):
        year = _int(value)
        if year is None:
            raise ctx.bad("a year group that is not a whole number.")
        return YearGroup(year, str(year))
    year = _key_int(value, "code", ctx)
    return YearGroup(year, _text(value.get("desc")) or str(year))


# --------------------------------------------------------------------------- students


def student_2026(row: Row, ctx: RowContext) -> Student:
    """The 2026 student record (§D.4 [3P])."""
    house = _text(row.get("house"))
    return Student(
        company=ctx.company,
        code=_key(row, "stud_code", ctx),
        surname=_text(row.get("surname")),
        first_name=_text(row.get("first_name")),
        preferred_name=_text(row.get("preferred_name")),
        other_name=_text(row.get("other_name")),
        preferred_surname=_text(row.get("preferred_surname")),
        gender=_gender(row.get("gender")),
        date_of_birth=parse_date(row.get("dob")),
        entry_date=parse_date(row.get("doe")),
        leaving_date=parse_date(row.get("dol")),
        year_group=_int(row.get("year_grp")),
        form_class=_text(row.get("form_cls")),
        tutor_group=_text(row.get("pctut_grp")),
        house_code=house,
        house_name=ctx.house_names.get(house) if house else None,
        campus_code=_text(row.get("campus_code")),
        email=_text(row.get("e_mail")),
        mobile=_text(row.get("mob_phone")),
        family_code=_text(row.get("par_code")),
        boarder=_flag(row.get("boarder")),
        alternate_id=_text(row.get("alt_id")),
        updated_at=parse_instant(row.get("update_on"), ctx.zone),
    )


def student_legacy(item: Row, ctx: RowContext) -> Student:
    """A `getStudentsDetails` student (§B.1.1): `general_details` + `school_details`."""
    general = _object(item.get("general_details"), "general_details", ctx)
    school = item.get("school_details")
    school = school if isinstance(school, Mapping) else {}
    campus = _text(school.get("campus"))
    house = _text(school.get("house"))
    return Student(
        company=ctx.company,
        code=_key(general, "student_code", ctx),
        surname=_text(general.get("surname")),
        first_name=_text(general.get("first_name")),
        preferred_name=_text(general.get("preferred_name")),
        other_name=_text(general.get("other_name")),
        preferred_surname=_text(general.get("preferred_surname")),
        gender=_gender(general.get("gender")),
        date_of_birth=parse_date(general.get("date_of_birth")),
        entry_date=parse_date(general.get("date_of_entry")),
        leaving_date=parse_date(general.get("date_of_leaving")),
        year_group=_int(school.get("year_group")),
        form_class=_text(school.get("form_class")),
        tutor_group=_text(school.get("pc_tutor_group")),
        house_code=house,  # the legacy API has descriptions only (module docstring)
        house_name=house,
        campus_code=ctx.campus_codes.get(campus, campus) if campus else None,
        email=_text(school.get("email_address")),
        mobile=_text(general.get("mobile_phone")),
        family_code=_text(general.get("par_code")),
        boarder=_flag(school.get("boarder")),
        alternate_id=_text(general.get("alternate_id")),
        updated_at=parse_instant(general.get("last_update_on"), ctx.zone),
    )


# --------------------------------------------------------------------------- staff


def employee_2026(row: Row, ctx: RowContext) -> Employee:
    """The 2026 employee record ([DESIGN] §D.4: legacy `general` keys in the 2026 style)."""
    return Employee(
        company=ctx.company,
        code=_key(row, "emp_code", ctx),
        teacher_code=_text(row.get("tch_code")),
        title=_text(row.get("title")),
        surname=_text(row.get("surname")),
        first_name=_text(row.get("first_name")),
        given_names=_text(row.get("given_names")),
        preferred_name=_text(row.get("preferred_name")),
        gender=_gender(row.get("gender")),
        date_of_birth=parse_date(row.get("dob")),
        school_email=_text(row.get("school_email")),
        email=_text(row.get("e_mail")),
        mobile=_text(row.get("mob_phone")),
        position_title=_text(row.get("position_title")),
        position=_text(row.get("position_text")),
        employment_status=_text(row.get("employment_status")),
        campus_code=_text(row.get("campus_code")),
        start_date=parse_date(row.get("doe")),
        leaving_date=parse_date(row.get("dol")),
        alternate_id=_text(row.get("alt_id")),
        updated_at=parse_instant(row.get("update_on"), ctx.zone),
    )


def employee_legacy(item: Row, ctx: RowContext) -> Employee:
    """A `getEmployeesDetails` employee (§B.2.2): `general` + `address`."""
    general = _object(item.get("general"), "general", ctx)
    address = item.get("address")
    address = address if isinstance(address, Mapping) else {}
    given = _text(general.get("given_names"))
    return Employee(
        company=ctx.company,
        code=_key(general, "employee_code", ctx),
        teacher_code=_text(general.get("teacher_code")),
        title=_text(general.get("title")),
        surname=_text(general.get("surname")),
        first_name=given.split()[0] if given else None,
        given_names=given,
        preferred_name=_text(general.get("preferred_name")),
        gender=_gender(general.get("gender")),
        date_of_birth=parse_date(general.get("date_of_birth")),
        school_email=_text(general.get("school_email")),
        email=_text(address.get("email")),
        mobile=_text(address.get("mobile_phone")),
        position_title=_text(general.get("position_title")),
        position=_text(general.get("position_text")),
        employment_status=_text(general.get("employment_status")),
        campus_code=None,
        start_date=parse_date(general.get("start_date")),
        leaving_date=parse_date(general.get("termination_date")),
        alternate_id=_text(general.get("alt_id")),
        updated_at=parse_instant(general.get("last_update_on"), ctx.zone),
    )


def _teacher(row: Row, ctx: RowContext, updated: Any) -> Teacher:
    return Teacher(
        company=ctx.company,
        code=_key(row, "teacher_code", ctx),
        employee_code=_text(row.get("employee_code")),
        surname=_text(row.get("surname")),
        first_name=_text(row.get("first_name")),
        preferred_name=_text(row.get("preferred_name")),
        salutation=_text(row.get("salutation")),
        name=_text(row.get("teacher_name")),
        active=_flag(row.get("active_flag")),
        tutor_group=_text(row.get("pc_tutor_group")),
        departments=_codes(row.get("department")),
        email=_text(row.get("email_address")),
        school_email=_text(row.get("school_email_address")),
        updated_at=parse_instant(updated, ctx.zone),
    )


def teacher_2026(row: Row, ctx: RowContext) -> Teacher:
    """The 2026 teacher record ([DESIGN] §D.3 row 10: the `getTeachers` names)."""
    return _teacher(row, ctx, row.get("update_on"))


def teacher_legacy(row: Row, ctx: RowContext) -> Teacher:
    """A `getTeachers` row (§B.2.1); `employee_code` is a JSON number in v3."""
    return _teacher(row, ctx, None)


# --------------------------------------------------------------------------- classes


def class_2026(row: Row, ctx: RowContext) -> TeachingClass:
    """A 2026 class row ([DESIGN] §D.3 row 11)."""
    return TeachingClass(
        company=ctx.company,
        subject_code=_key(row, "sub_code", ctx),
        class_code=_key(row, "class", ctx),
        year_group=_int(row.get("year_grp")),
        year=_int(row.get("year_num")),
        semester=_int(row.get("semester")),
        subject_name=_text(row.get("sub_long")),
        subject_short=_text(row.get("sub_short")),
        description=_text(row.get("class_desc")),
        teacher_codes=_codes(row.get("teachers")),
        student_codes=_codes(row.get("students")),
        updated_at=parse_instant(row.get("update_on"), ctx.zone),
    )


def class_legacy(row: Row, ctx: RowContext) -> TeachingClass:
    """A `getClassDetailsWithStudents` row (§B.3.5): `teachers[]`/`students[]` of objects."""
    teachers = row.get("teachers")
    students = row.get("students")
    return TeachingClass(
        company=ctx.company,
        subject_code=_key(row, "sub_code", ctx),
        class_code=_key(row, "class", ctx),
        year_group=_int(row.get("year_grp")),
        year=_int(row.get("year_study")),
        semester=_int(row.get("semester")),
        subject_name=_text(row.get("sub_long")) or _text(row.get("sub_desc")),
        subject_short=None,
        description=_text(row.get("class_desc")),
        teacher_codes=tuple(
            c
            for c in (_text(t.get("tch_code")) for t in (teachers or []) if isinstance(t, Mapping))
            if c
        ),
        student_codes=tuple(
            c
            for c in (_text(s.get("stud_code")) for s in (students or []) if isinstance(s, Mapping))
            if c
        ),
    )


# --------------------------------------------------------------------------- timetables


def _slot(row: Row, ctx: RowContext, updated: Any) -> TimetableSlot:
    record = _text(row.get("record_id")) or _text(row.get("id"))
    return TimetableSlot(
        company=ctx.company,
        tt_id=_key_int(row, "tt_id", ctx),
        year=_int(row.get("year_num")),
        semester=_int(row.get("semester")),
        day_code=_key_int(row, "day_code", ctx),
        period_code=_key_int(row, "prd_code", ctx),
        subject_code=_key(row, "sub_code", ctx),
        class_code=_text(row.get("class")) or "",
        year_group=_int(row.get("year_grp")),
        teacher_codes=_codes(row.get("tch_code")),
        room=_text(row.get("room_code")),
        record_id=record,
        updated_at=parse_instant(updated, ctx.zone),
    )


def timetable_slot_2026(row: Row, ctx: RowContext) -> TimetableSlot:
    """A 2026 `/timetables` row ([DESIGN] §D.3 row 12: `getTimetables` names)."""
    return _slot(row, ctx, row.get("update_on"))


def timetable_slot_legacy(row: Row, ctx: RowContext) -> TimetableSlot:
    """A `getTimetables` row (§B.4.1)."""
    return _slot(row, ctx, None)


def calendar_day_2026(row: Row, ctx: RowContext) -> CalendarDay:
    """A 2026 calendar row ([DESIGN]: `getTimetableCalendar` lower-cased)."""
    day = parse_date(row.get("ttdate")) or parse_date(row.get("value"))
    if day is None:
        raise ctx.bad("a calendar row without a readable 'ttdate'.")
    return CalendarDay(_key_int(row, "tt_id", ctx), day, _int(row.get("day_code")))


def calendar_day_legacy(row: Row, ctx: RowContext) -> CalendarDay:
    """A `getTimetableCalendar` row (§B.4.2, UPPERCASE keys; `DAY_CODE` "" on days off)."""
    day = parse_date(row.get("TTDATE")) or parse_date(row.get("VALUE"))
    if day is None:
        raise ctx.bad("a calendar row without a readable 'TTDATE'.")
    return CalendarDay(_key_int(row, "TT_ID", ctx), day, _int(row.get("DAY_CODE")))


def person_slot_2026(row: Row, ctx: RowContext) -> PersonSlot:
    """A 2026 person-timetable row ([DESIGN]: §B.4.3 DAYS/PERIODS/SUBJECTS flattened)."""
    return PersonSlot(
        tt_id=_int(row.get("tt_id")),
        year=_int(row.get("year_num")),
        semester=_int(row.get("semester")),
        day_code=_key_int(row, "day_code", ctx),
        period_code=_key_int(row, "prd_code", ctx),
        subject_code=_key(row, "sub_code", ctx),
        class_code=_text(row.get("class")) or "",
        year_group=_int(row.get("year_grp")),
        teacher_codes=_codes(row.get("tch_code")),
        room=_text(row.get("room_code")),
        subject_name=_text(row.get("sub_desc")),
        starts=parse_time(row.get("prd_start")),
        ends=parse_time(row.get("prd_end")),
    )


def person_timetable_legacy(entry: Row, ctx: RowContext) -> tuple[list[PersonSlot], list[BellTime]]:
    """A `getStudentTimetable`/`getTeacherTimetable` entry (§B.4.3-4): its lessons, flattened
    from `DAYS.*.PERIODS.*.SUBJECTS[]`, and the bell times of every period in `STRDAYS`."""
    tt_id, year, semester = (
        _int(entry.get("TT_ID")),
        _int(entry.get("YEAR_NUM")),
        _int(entry.get("SEMESTER")),
    )
    slots: list[PersonSlot] = []
    days = entry.get("DAYS")
    for day_key, day in days.items() if isinstance(days, Mapping) else ():
        day_code = _int(day_key)
        periods = day.get("PERIODS") if isinstance(day, Mapping) else None
        if day_code is None or not isinstance(periods, Mapping):
            continue
        for prd_key, period in periods.items():
            if not isinstance(period, Mapping):
                continue
            prd = _int(period.get("PRD_CODE")) or _int(prd_key)
            if prd is None:
                continue
            for subject in period.get("SUBJECTS") or ():
                if not isinstance(subject, Mapping):
                    continue
                slots.append(
                    PersonSlot(
                        tt_id=tt_id,
                        year=year,
                        semester=semester,
                        day_code=day_code,
                        period_code=prd,
                        subject_code=_key(subject, "SUB_CODE", ctx),
                        class_code=_text(subject.get("CLASS")) or "",
                        year_group=_int(subject.get("YEAR_GRP")),
                        teacher_codes=_codes(subject.get("TCH_CODE")),
                        room=_text(subject.get("ROOM_CODE")),
                        subject_name=_text(subject.get("SUB_DESC")),
                        starts=parse_time(period.get("PRD_START")),
                        ends=parse_time(period.get("PRD_END")),
                    )
                )
    bells: list[BellTime] = []
    strdays = entry.get("STRDAYS")
    for day_key, day in strdays.items() if isinstance(strdays, Mapping) else ():
        day_code = _int(day_key)
        periods = day.get("PERIODS") if isinstance(day, Mapping) else None
        if day_code is None or not isinstance(periods, Mapping):
            continue
        for prd_key, period in periods.items():
            prd = _int(prd_key)
            if prd is None or not isinstance(period, Mapping):
                continue
            starts, ends = parse_time(period.get("PRD_START")), parse_time(period.get("PRD_END"))
            if starts is not None and ends is not None:
                bells.append(BellTime(day_code, prd, starts, ends, _text(period.get("PRD_DESC"))))
    slots.sort(key=lambda s: (s.day_code, s.period_code, s.subject_code, s.class_code))
    bells.sort(key=lambda b: (b.day_code, b.period_code))
    return slots, bells


# --------------------------------------------------------------------------- absences


def absence_2026(row: Row, ctx: RowContext) -> Absence:
    """A 2026 absence row ([DESIGN] §D.3 row 13: `getStudentAbsences` lower-cased)."""
    day = parse_date(row.get("absent_date"))
    if day is None:
        raise ctx.bad("an absence row without a readable 'absent_date'.")
    return Absence(
        company=ctx.company,
        student_code=_key(row, "stud_code", ctx),
        date=day,
        period_code=_key_int(row, "prd_code", ctx),
        day_code=_int(row.get("day_code")),
        tt_id=_int(row.get("tt_id")),
        subject_code=_text(row.get("sub_code")),
        class_code=_text(row.get("class")),
        year_group=_int(row.get("year_grp")),
        acceptable=_flag(row.get("accept_ind")),
        week=_int(row.get("week")),
        updated_at=parse_instant(row.get("update_on"), ctx.zone),
    )


def absence_legacy(row: Row, ctx: RowContext) -> Absence:
    """A `getStudentAbsences` row (§B.6.1, UPPERCASE keys, `ABSENT_DATE` `... 00:00:00.0`)."""
    day = parse_date(row.get("ABSENT_DATE"))
    if day is None:
        raise ctx.bad("an absence row without a readable 'ABSENT_DATE'.")
    return Absence(
        company=ctx.company,
        student_code=_key(row, "STUD_CODE", ctx),
        date=day,
        period_code=_key_int(row, "PRD_CODE", ctx),
        day_code=_int(row.get("DAY_CODE")),
        tt_id=_int(row.get("TT_ID")),
        subject_code=_text(row.get("SUB_CODE")),
        class_code=_text(row.get("CLASS")),
        year_group=_int(row.get("YEAR_GRP")),
        acceptable=_flag(row.get("ACCEPT_IND")),
        week=_int(row.get("WEEK")),
    )


# --------------------------------------------------------------------------- contacts


def _person(row: Row, prefix: str) -> ContactPerson | None:
    person = ContactPerson(
        title=_text(row.get(f"{prefix}_title")),
        first_name=_text(row.get(f"{prefix}_first_name")),
        surname=_text(row.get(f"{prefix}_surname")),
        preferred_name=_text(row.get(f"{prefix}_preferred_name")),
        description=_text(row.get(f"{prefix}_description")),
    )
    return person if (person.first_name or person.surname) else None


def _address(row: Row, ctx: RowContext, student: str, family: Any, updated: Any) -> ContactAddress:
    lines = tuple(t for t in (_text(row.get(n)) for n in ("addr1", "addr2", "addr3")) if t)
    return ContactAddress(
        company=ctx.company,
        student_code=student,
        address_number=_key_int(row, "add_num", ctx),
        family_code=_text(family),
        communication_types=tuple(c.upper() for c in _codes(row.get("communication_type"))),
        description=_text(row.get("address_description")),
        label=_text(row.get("address_person_label")),
        addressee=_text(row.get("addressee")) or _text(row.get("adressee")),  # §B.7.1 [sic]
        salutation=_text(row.get("salutation")),
        relationship=_text(row.get("relationship")),
        email=_text(row.get("email")),
        email_2=_text(row.get("email_2")),
        mobile_1=_text(row.get("mobile_phone_1")),
        mobile_2=_text(row.get("mobile_phone_2")),
        sms_1=_flag(row.get("sms_flg_1")),
        sms_2=_flag(row.get("sms_flg_2")),
        home_phone=_text(row.get("home_phone")),
        business_phone=_text(row.get("business_phone")),
        address_lines=lines,
        town=_text(row.get("town_sub")),
        state=_text(row.get("state_code")),
        postcode=_text(row.get("post_code")),
        country=_text(row.get("country")),
        parent1=_person(row, "m"),
        parent2=_person(row, "f"),
        updated_at=parse_instant(updated, ctx.zone),
    )


def contact_address_2026(row: Row, ctx: RowContext) -> ContactAddress:
    """A 2026 communication-rule row ([DESIGN] §D.3 row 5: one per student and address)."""
    return _address(
        row, ctx, _key(row, "stud_code", ctx), row.get("par_code"), row.get("update_on")
    )


def communication_rules_rows_legacy(item: Row, ctx: RowContext) -> list[dict[str, Any]]:
    """A `getCommunicationRulesDetails` entry `{"addresses": [...], "studcode"}` (§B.7.1) as
    one row per address, each carrying the entry's `studcode`."""
    student = _key(item, "studcode", ctx)
    addresses = item.get("addresses")
    if not isinstance(addresses, list):
        raise ctx.bad("a communication-rules entry whose 'addresses' is not a list.")
    return [{**a, "studcode": student} for a in addresses if isinstance(a, Mapping)]


def contact_address_legacy(row: Row, ctx: RowContext) -> ContactAddress:
    """One address row of `communication_rules_rows_legacy`."""
    return _address(row, ctx, _key(row, "studcode", ctx), row.get("parent_code"), None)


# --------------------------------------------------------------------------- writes

# Student fields the 2026 API lets a PUT/PATCH change, by model name -> wire name (the
# simulator's reading of [3P]'s JSON Patch support, §D.3 row 4; the real list is DOC-SILENT).
STUDENT_WRITABLE_2026: Mapping[str, str] = {
    "surname": "surname",
    "first_name": "first_name",
    "preferred_name": "preferred_name",
    "other_name": "other_name",
    "email": "e_mail",
    "mobile": "mob_phone",
}


def student_patch_2026(changes: Mapping[str, str | None]) -> list[dict[str, Any]]:
    """An RFC 6902 JSON Patch for a 2026 student from model-named changes.

    Raises:
        ValueError: a field that is not writable, named in the message.
    """
    unknown = sorted(set(changes) - set(STUDENT_WRITABLE_2026))
    if unknown:
        writable = ", ".join(sorted(STUDENT_WRITABLE_2026))
        raise ValueError(f"The student field '{unknown[0]}' cannot be written; use {writable}.")
    return [
        {"op": "remove", "path": f"/{STUDENT_WRITABLE_2026[name]}"}
        if value is None
        else {"op": "replace", "path": f"/{STUDENT_WRITABLE_2026[name]}", "value": value}
        for name, value in changes.items()
    ]
