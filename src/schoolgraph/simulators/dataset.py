"""One seeded world that all three simulators describe.

`generate_world(seed, scale, today)` builds every school, person, group, timetable and
workforce record deterministically: the same `(seed, scale, today)` always gives the same
world, byte for byte (`World.fingerprint()`). The model here is neutral: it holds what a
school or workforce system knows, in plain Python types. Each simulator renders it into its
own wire format (Xporter's named tables, TASS's records, Tanda's JSON objects); nothing in
this module knows any upstream's field names.

What lives where:

* Schools run either Xporter (UK, `Europe/London`) or TASS (Australia, `Australia/Brisbane`,
  with campuses). Students, staff, groups, contacts and the weekly timetable belong to one
  school.
* One Tanda organisation employs a share of the school staff (matched by email and/or by
  `employee_id` equal to the MIS staff code or payroll number) plus workers who exist only in
  Tanda. `TandaUser.mis_staff_id` records the ground truth for tests; no simulator exposes it.
* Deliberate mess: a staff member whose Tanda email differs only in case, one MIS staff member
  with no email (matched by `employee_id` alone), two staff with the same name, and a leaver
  still active in Tanda.
* Lessons and attendance marks are derived on demand from the weekly timetable and a
  per-(seed, student, date, session) hash, so a `large` world costs seconds, not minutes.
  Attendance marks written through a simulator are kept in `attendance_overrides`.

Change tracking: every record carries `updated_at` and `revision` (a world-wide counter).
`World.touch()`, `World.add()` and `World.delete()` move both and keep tombstones, so
ETags, row hashes, change sets and `updated_after` filters all follow from one mechanism.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

Scale = Literal["small", "demo", "large"]
SchoolSystem = Literal["xporter", "tass"]
GroupType = Literal["year", "registration", "house", "class"]
StaffRole = Literal["teacher", "support"]

SCALES: tuple[Scale, ...] = ("small", "demo", "large")


@dataclass(frozen=True)
class ScaleSpec:
    """How big a world is: students and staff per school, Tanda-only workers, weeks of shifts."""

    students_per_xporter_school: int
    students_per_tass_school: int
    staff_per_xporter_school: int
    staff_per_tass_school: int
    tanda_share: float  # share of school staff who also work Tanda shifts
    tanda_only_workers: int
    weeks_before: int  # weeks of rosters/shifts before the current week
    weeks_after: int  # weeks of rosters after the current week (schedules only)
    class_size: int


SCALE_SPECS: dict[Scale, ScaleSpec] = {
    "small": ScaleSpec(60, 48, 14, 12, 0.6, 6, 2, 1, 20),
    "demo": ScaleSpec(420, 360, 48, 40, 0.5, 25, 4, 2, 25),
    # large: >= 10,000 students, 1,000 staff, 50,000 shifts (issue "Faithful simulators").
    "large": ScaleSpec(3900, 3200, 350, 300, 0.85, 150, 12, 2, 28),
}


# --------------------------------------------------------------------------- records


@dataclass(slots=True, kw_only=True)
class Record:
    """Common change-tracking fields. `revision` grows world-wide with every change."""

    id: int
    updated_at: datetime  # UTC
    revision: int


@dataclass(slots=True, kw_only=True)
class School(Record):
    system: SchoolSystem
    code: str  # Xporter estab ("8812001") or TASS company code ("01")
    name: str
    country: Literal["GB", "AU"]
    time_zone: str
    urn: str | None  # UK unique reference number
    la_code: str | None  # UK local authority code
    phase: str  # "Secondary"
    address: str
    town: str
    postcode: str
    phone: str
    email: str
    head_teacher: str
    website: str
    year_levels: tuple[int, ...]
    terms: tuple[tuple[date, date], ...]  # (start, end) of each term of the academic year


@dataclass(slots=True, kw_only=True)
class Campus(Record):
    school_id: int
    code: str  # "SE"
    name: str  # "Senior School (Curlew St)"


@dataclass(slots=True, kw_only=True)
class Student(Record):
    school_id: int
    code: str  # admission number / TASS stud_code
    external_id: str  # MIS GUID
    upn: str | None  # UK unique pupil number
    forename: str
    surname: str
    preferred_forename: str
    middle_names: str | None
    gender: Literal["M", "F"]
    date_of_birth: date
    year: int  # national curriculum year / year level
    campus_id: int | None
    admission_date: date
    leaving_date: date | None
    email: str | None
    home_phone: str | None
    mobile: str | None
    address: str
    town: str
    postcode: str
    family_code: str  # TASS par_code; shared by siblings
    sen_status: str | None  # None, "K" (support), "E" (EHC plan)
    free_meals: bool
    boarder: bool


@dataclass(slots=True, kw_only=True)
class Staff(Record):
    school_id: int
    code: str  # MIS staff code ("ABR")
    payroll_number: str  # "P00123"
    external_id: str
    title: str
    forename: str
    surname: str
    preferred_forename: str
    gender: Literal["M", "F"]
    date_of_birth: date
    email: str | None  # work email; None for the deliberate "no email" case
    mobile: str | None
    job_title: str
    role: StaffRole
    department: str | None  # subject department for teachers
    campus_id: int | None
    start_date: date
    leaving_date: date | None


@dataclass(slots=True, kw_only=True)
class Group(Record):
    school_id: int
    type: GroupType
    code: str
    name: str
    year: int | None
    subject_code: str | None
    subject_name: str | None
    campus_id: int | None
    staff_ids: list[int]  # first is the primary (lead) staff member
    student_ids: list[int]
    start_date: date
    end_date: date


@dataclass(slots=True, kw_only=True)
class Contact(Record):
    school_id: int
    external_id: str
    title: str
    forename: str
    surname: str
    gender: Literal["M", "F"]
    email: str | None
    home_phone: str | None
    mobile: str | None
    work_phone: str | None
    address: str
    town: str
    postcode: str


@dataclass(slots=True, kw_only=True)
class StudentContact(Record):
    school_id: int
    student_id: int
    contact_id: int
    relationship: str  # "Mother", "Father", "Carer", "Grandparent", ...
    priority: int  # 1 = first contact
    parental_responsibility: bool
    lives_with: bool
    receives_correspondence: bool


@dataclass(slots=True, kw_only=True)
class Period(Record):
    """One slot of a school's weekly timetable structure."""

    school_id: int
    weekday: int  # 0 = Monday
    code: str  # "Mon:1"
    name: str  # "1"
    start: time  # school-local
    end: time


@dataclass(slots=True, kw_only=True)
class TimetableEntry(Record):
    """A class meeting in a weekly slot; lessons are its occurrences on school days."""

    school_id: int
    group_id: int
    staff_id: int
    period_id: int
    room: str


@dataclass(frozen=True, slots=True)
class Lesson:
    """A derived lesson occurrence. `id` is stable: entry id and date."""

    id: str
    school_id: int
    entry_id: int
    group_id: int
    staff_id: int
    period_id: int
    room: str
    date: date
    start: datetime  # aware, school time zone
    end: datetime


@dataclass(frozen=True, slots=True)
class AttendanceCode:
    code: str
    description: str
    meaning: str  # "Present", "Authorised absence", ...
    statistical: str  # "PRES", "AUTH", "UNAUTH", "AEA", "NOTREQ"
    is_present: bool


@dataclass(frozen=True, slots=True)
class AttendanceMark:
    """A session mark, derived or overridden. `id` follows Xporter's `9919.2016-08-26.AM` form."""

    id: str
    school_id: int
    student_id: int
    date: date
    session: Literal["AM", "PM"]
    code: str
    minutes_late: int
    updated_at: datetime
    revision: int


# Tanda ---------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class Organisation(Record):
    name: str
    country: str
    time_zone: str
    week_start_day: int  # 1 = Monday (Tanda: 0 = Sunday, 1 = Monday)
    pay_period_days: int  # timesheets are 7 or 14 days


@dataclass(slots=True, kw_only=True)
class Location(Record):
    name: str
    short_name: str
    address: str
    latitude: float
    longitude: float
    time_zone: str
    school_id: int | None


@dataclass(slots=True, kw_only=True)
class Team(Record):
    """A Tanda department. Its managers are not held here: they are the users whose
    `managed_department_ids` name it (one source for both views, tanda.md §4.2, §4.7)."""

    location_id: int
    name: str
    export_name: str | None
    colour: str | None
    user_ids: list[int]


@dataclass(slots=True, kw_only=True)
class TandaUser(Record):
    name: str  # preferred full name
    legal_first_name: str
    legal_last_name: str
    email: str | None
    employee_id: str | None  # MIS staff code or payroll number for school staff
    phone: str | None
    date_of_birth: date | None
    employment_start_date: date | None
    employment_end_date: date | None
    active: bool
    department_ids: list[int]
    report_department_id: int | None
    managed_department_ids: list[int]
    time_zone: str
    passcode: str
    hourly_rate: float
    created_at: datetime
    is_admin: bool
    mis_staff_id: int | None  # ground truth of the cross-system match; never served


@dataclass(slots=True, kw_only=True)
class Roster(Record):
    start: date
    finish: date  # start + 6 days


@dataclass(slots=True, kw_only=True)
class Schedule(Record):
    roster_id: int
    user_id: int | None  # None = vacant
    department_id: int | None
    start: datetime  # UTC
    finish: datetime | None  # UTC; None for a vacant schedule created with only a start
    break_start: datetime | None
    break_finish: datetime | None
    automatic_break_length: int | None  # minutes; exclusive with breaks
    last_published_at: datetime | None
    cost: float


@dataclass(slots=True, kw_only=True)
class Timesheet(Record):
    user_id: int
    start: date
    finish: date
    status: Literal["pending", "approved", "exported"]


@dataclass(slots=True, kw_only=True)
class Shift(Record):
    timesheet_id: int
    user_id: int
    department_id: int | None
    date: date  # local date worked
    start: datetime | None  # UTC
    finish: datetime | None
    break_start: datetime | None
    break_finish: datetime | None
    break_length: int | None  # minutes
    status: Literal["PENDING", "APPROVED"]
    approved_by: int | None
    approved_at: datetime | None
    leave_request_id: int | None
    cost: float
    metadata: str | None


@dataclass(slots=True, kw_only=True)
class LeaveRequest(Record):
    user_id: int
    reason: str
    leave_type: str
    start: date
    finish: date
    hours: float
    status: Literal["pending", "approved", "rejected"]


@dataclass(slots=True, kw_only=True)
class LeaveBalance(Record):
    user_id: int
    leave_type: str
    hours: float


# Credentials -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class XporterSchoolCredential:
    estab: str
    school_secret: str


@dataclass(frozen=True, slots=True)
class Credentials:
    """Demo credentials, derived from the seed so scripts and tests can rely on them."""

    tanda_admin_email: str
    tanda_admin_password: str
    tanda_client_id: str
    tanda_client_secret: str
    tanda_redirect_uri: str
    tanda_webhook_secret: str
    xporter_relying_party: str
    xporter_third_party_id: str
    xporter_management_secret: str
    xporter_schools: tuple[XporterSchoolCredential, ...]
    tass_client_key: str
    tass_client_secret: str
    tass_company_codes: tuple[str, ...]
    tass_legacy_appcode: str
    tass_legacy_token_key: str  # base64 AES key for the legacy `token` parameter


# --------------------------------------------------------------------------- world

R = TypeVar("R", bound=Record)

# Table names used by touch/add/delete and by simulators' mutate handlers.
TABLES: tuple[str, ...] = (
    "schools",
    "campuses",
    "students",
    "staff",
    "groups",
    "contacts",
    "student_contacts",
    "periods",
    "timetable",
    "organisation",
    "locations",
    "teams",
    "tanda_users",
    "rosters",
    "schedules",
    "timesheets",
    "shifts",
    "leave_requests",
    "leave_balances",
)


@dataclass(frozen=True, slots=True)
class Tombstone:
    table: str
    id: int
    school_id: int | None
    deleted_at: datetime
    revision: int


@dataclass(slots=True)
class World:
    """Everything the simulators serve. Mutate only through `touch`, `add` and `delete`."""

    seed: int
    scale: Scale
    today: date
    credentials: Credentials
    schools: dict[int, School] = field(default_factory=dict)
    campuses: dict[int, Campus] = field(default_factory=dict)
    students: dict[int, Student] = field(default_factory=dict)
    staff: dict[int, Staff] = field(default_factory=dict)
    groups: dict[int, Group] = field(default_factory=dict)
    contacts: dict[int, Contact] = field(default_factory=dict)
    student_contacts: dict[int, StudentContact] = field(default_factory=dict)
    periods: dict[int, Period] = field(default_factory=dict)
    timetable: dict[int, TimetableEntry] = field(default_factory=dict)
    attendance_codes: tuple[AttendanceCode, ...] = ()
    attendance_overrides: dict[str, AttendanceMark] = field(default_factory=dict)
    organisation: dict[int, Organisation] = field(default_factory=dict)
    locations: dict[int, Location] = field(default_factory=dict)
    teams: dict[int, Team] = field(default_factory=dict)
    tanda_users: dict[int, TandaUser] = field(default_factory=dict)
    rosters: dict[int, Roster] = field(default_factory=dict)
    schedules: dict[int, Schedule] = field(default_factory=dict)
    timesheets: dict[int, Timesheet] = field(default_factory=dict)
    shifts: dict[int, Shift] = field(default_factory=dict)
    leave_requests: dict[int, LeaveRequest] = field(default_factory=dict)
    leave_balances: dict[int, LeaveBalance] = field(default_factory=dict)
    tombstones: list[Tombstone] = field(default_factory=list)
    revision: int = 0
    next_id: int = 1_000_000
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), repr=False)
    listeners: list[Callable[[str, str, Record | None, int], None]] = field(
        default_factory=list, repr=False
    )

    # -- change tracking ---------------------------------------------------------

    def table(self, name: str) -> dict[int, Any]:
        if name not in TABLES:
            raise KeyError(f"Unknown table {name!r}; expected one of {', '.join(TABLES)}.")
        table: dict[int, Any] = getattr(self, name)
        return table

    def _bump(self) -> tuple[int, datetime]:
        self.revision += 1
        return self.revision, self.clock().astimezone(UTC)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def touch(self, table: str, record: R, **changes: Any) -> R:
        """Apply `changes` to `record` and mark it changed (new revision, `updated_at` now)."""
        for name, value in changes.items():
            setattr(record, name, value)
        record.revision, record.updated_at = self._bump()
        self._notify("update", table, record)
        return record

    def add(self, table: str, record: R) -> R:
        """Insert `record` (its `id` must be new) and mark it changed."""
        rows = self.table(table)
        if record.id in rows:
            raise ValueError(f"{table} already holds a record with id {record.id}.")
        record.revision, record.updated_at = self._bump()
        rows[record.id] = record
        self._notify("add", table, record)
        return record

    def delete(self, table: str, record_id: int) -> Tombstone:
        """Remove a record, leaving a tombstone for change sets and webhooks."""
        rows = self.table(table)
        record = rows.pop(record_id)
        revision, now = self._bump()
        stone = Tombstone(table, record_id, getattr(record, "school_id", None), now, revision)
        self.tombstones.append(stone)
        self._notify("delete", table, record)
        return stone

    def set_attendance(self, mark: AttendanceMark) -> AttendanceMark:
        revision, now = self._bump()
        mark = dataclasses.replace(mark, updated_at=now, revision=revision)
        self.attendance_overrides[mark.id] = mark
        return mark

    def _notify(self, action: str, table: str, record: Record | None) -> None:
        for listener in self.listeners:
            listener(action, table, record, self.revision)

    # -- queries ---------------------------------------------------------------------

    def school_by_code(self, code: str) -> School | None:
        return next((s for s in self.schools.values() if s.code == code), None)

    def students_of(self, school_id: int, *, include_leavers: bool = False) -> list[Student]:
        return [
            s
            for s in self.students.values()
            if s.school_id == school_id and (include_leavers or s.leaving_date is None)
        ]

    def staff_of(self, school_id: int, *, include_leavers: bool = False) -> list[Staff]:
        return [
            s
            for s in self.staff.values()
            if s.school_id == school_id
            and (include_leavers or s.leaving_date is None or s.leaving_date >= self.today)
        ]

    def groups_of(self, school_id: int, *, type: GroupType | None = None) -> list[Group]:
        return [
            g
            for g in self.groups.values()
            if g.school_id == school_id and (type is None or g.type == type)
        ]

    def groups_of_student(self, student_id: int) -> list[Group]:
        return [g for g in self.groups.values() if student_id in g.student_ids]

    def groups_of_staff(self, staff_id: int) -> list[Group]:
        return [g for g in self.groups.values() if staff_id in g.staff_ids]

    def school_days(self, school_id: int, start: date, end: date) -> Iterator[date]:
        """Weekdays inside a term, `start` and `end` inclusive."""
        school = self.schools[school_id]
        day = start
        while day <= end:
            if day.weekday() < 5 and any(a <= day <= b for a, b in school.terms):
                yield day
            day += timedelta(days=1)

    def lessons(
        self,
        school_id: int,
        start: date,
        end: date,
        *,
        group_ids: set[int] | None = None,
        staff_id: int | None = None,
    ) -> list[Lesson]:
        """Lesson occurrences between `start` and `end` inclusive, in time order."""
        zone = ZoneInfo(self.schools[school_id].time_zone)
        by_weekday: dict[int, list[TimetableEntry]] = {}
        for entry in self.timetable.values():
            if entry.school_id != school_id or entry.period_id not in self.periods:
                continue  # an entry whose period was deleted no longer meets
            if group_ids is not None and entry.group_id not in group_ids:
                continue
            if staff_id is not None and entry.staff_id != staff_id:
                continue
            by_weekday.setdefault(self.periods[entry.period_id].weekday, []).append(entry)
        out: list[Lesson] = []
        for day in self.school_days(school_id, start, end):
            for entry in by_weekday.get(day.weekday(), ()):
                period = self.periods[entry.period_id]
                out.append(
                    Lesson(
                        id=f"{entry.id}.{day.isoformat()}",
                        school_id=school_id,
                        entry_id=entry.id,
                        group_id=entry.group_id,
                        staff_id=entry.staff_id,
                        period_id=entry.period_id,
                        room=entry.room,
                        date=day,
                        start=datetime.combine(day, period.start, zone),
                        end=datetime.combine(day, period.end, zone),
                    )
                )
        out.sort(key=lambda lesson: (lesson.start, lesson.group_id))
        return out

    def attendance(self, student_id: int, start: date, end: date) -> list[AttendanceMark]:
        """Session marks for school days up to today (no marks for the future)."""
        student = self.students[student_id]
        last = min(end, self.today)
        out: list[AttendanceMark] = []
        for day in self.school_days(student.school_id, start, last):
            if day < student.admission_date:
                continue
            for session in ("AM", "PM"):
                mark_id = f"{student_id}.{day.isoformat()}.{session}"
                out.append(
                    self.attendance_overrides.get(mark_id)
                    or self._derived_mark(student, day, session, mark_id)
                )
        return out

    def _derived_mark(
        self, student: Student, day: date, session: Literal["AM", "PM"], mark_id: str
    ) -> AttendanceMark:
        digest = hashlib.blake2b(f"{self.seed}:{mark_id}".encode(), digest_size=4).digest()
        roll = int.from_bytes(digest, "big") % 1000
        # Roughly a UK secondary: ~94% present, some late, some authorised/unauthorised absence.
        if roll < 880:
            code, late = "/" if session == "AM" else "\\", 0
        elif roll < 930:
            code, late = "L", 5 + roll % 25
        elif roll < 960:
            code, late = "I", 0
        elif roll < 975:
            code, late = "M", 0
        elif roll < 990:
            code, late = "O", 0
        else:
            code, late = "U", 0 + roll % 20
        zone = ZoneInfo(self.schools[student.school_id].time_zone)
        taken = datetime.combine(day, time(9, 5) if session == "AM" else time(13, 50), zone)
        return AttendanceMark(
            id=mark_id,
            school_id=student.school_id,
            student_id=student.id,
            date=day,
            session=session,
            code=code,
            minutes_late=late,
            updated_at=taken.astimezone(UTC),
            revision=0,
        )

    def roster_containing(self, day: date) -> Roster | None:
        return next((r for r in self.rosters.values() if r.start <= day <= r.finish), None)

    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON of the whole world (determinism checks)."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def canonical_json(self) -> str:
        body = {
            "seed": self.seed,
            "scale": self.scale,
            "today": self.today.isoformat(),
            "credentials": dataclasses.asdict(self.credentials),
            "attendance_codes": [dataclasses.asdict(c) for c in self.attendance_codes],
            **{
                name: [dataclasses.asdict(r) for _, r in sorted(self.table(name).items())]
                for name in TABLES
            },
        }
        return json.dumps(body, sort_keys=True, default=_json_default, separators=(",", ":"))


def _json_default(value: object) -> str:
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    raise TypeError(f"Cannot encode {type(value).__name__} in the world's canonical JSON.")


# --------------------------------------------------------------------------- generation

_FIRST_F = [
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Mia",
    "Ivy",
    "Lily",
    "Isabella",
    "Rosie",
    "Sophia",
    "Grace",
    "Freya",
    "Willow",
    "Florence",
    "Emily",
    "Ella",
    "Poppy",
    "Evie",
    "Elsie",
    "Charlotte",
    "Evelyn",
    "Sienna",
    "Sofia",
    "Daisy",
    "Phoebe",
    "Sophie",
    "Alice",
    "Harper",
    "Matilda",
    "Ruby",
    "Emilia",
    "Maya",
    "Millie",
    "Isabelle",
    "Eva",
    "Chloe",
    "Aisha",
    "Zara",
    "Priya",
    "Niamh",
    "Siobhan",
    "Hannah",
    "Chloe",
    "Mei",
]
_FIRST_M = [
    "Noah",
    "Oliver",
    "George",
    "Arthur",
    "Muhammad",
    "Leo",
    "Harry",
    "Oscar",
    "Archie",
    "Henry",
    "Theodore",
    "Freddie",
    "Jack",
    "Charlie",
    "Theo",
    "Alfie",
    "Jacob",
    "Thomas",
    "Finley",
    "Arlo",
    "William",
    "Lucas",
    "Roman",
    "Tommy",
    "Isaac",
    "Teddy",
    "Edward",
    "Luca",
    "Adam",
    "Ethan",
    "Joshua",
    "Samuel",
    "Joseph",
    "Reuben",
    "Mohammed",
    "Daniel",
    "Hugo",
    "Ibrahim",
    "Kai",
    "Liam",
    "Jayden",
    "Aarav",
]
_SURNAMES = [
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Davis",
    "Parker",
    "Price",
    "Bennett",
    "Young",
    "Griffiths",
    "Mitchell",
    "Kelly",
    "Cook",
    "Carter",
    "Richardson",
    "Bailey",
    "Collins",
    "Bell",
    "Shaw",
    "Murphy",
    "Miller",
    "Cox",
    "Richards",
    "Khan",
    "Marshall",
    "Anderson",
    "Simpson",
    "Ellis",
    "Adams",
    "Singh",
    "Begum",
    "Wilkinson",
    "Foster",
    "Chapman",
    "Powell",
    "Webb",
    "Rogers",
    "Gray",
    "Mason",
    "Ali",
    "Hunt",
    "Hussain",
    "Campbell",
    "Matthews",
    "Owen",
    "Palmer",
    "Holmes",
    "Mills",
    "Barnes",
    "Knight",
    "Lloyd",
    "Butler",
    "Russell",
    "Nguyen",
    "O'Brien",
    "Kowalski",
    "Okafor",
    "Chen",
    "Murray",
    "Byrne",
    "Sullivan",
    "MacDonald",
    "Stewart",
]
_SUBJECTS = (
    ("MA", "Mathematics"),
    ("EN", "English"),
    ("SC", "Science"),
    ("HI", "History"),
    ("GE", "Geography"),
    ("FR", "French"),
    ("AR", "Art"),
    ("MU", "Music"),
    ("PE", "Physical Education"),
    ("CS", "Computing"),
    ("RE", "Religious Education"),
    ("DT", "Design Technology"),
)
_SUPPORT_JOBS = (
    "Teaching Assistant",
    "Cover Supervisor",
    "Office Manager",
    "Receptionist",
    "Site Manager",
    "Caretaker",
    "Catering Assistant",
    "Boarding Assistant",
    "Lab Technician",
    "Librarian",
)
_HOUSES_UK = (("RED", "Raleigh"), ("BLU", "Brunel"), ("GRN", "Nightingale"), ("YEL", "Seacole"))
_HOUSES_AU = (("KNGR", "Kangaroo"), ("KOAL", "Koala"), ("EMU", "Emu"), ("WMBT", "Wombat"))
_TEAMS = ("Boarding", "Canteen", "Grounds", "Front Office", "Relief Teaching")
_TOWNS_UK = (("Ashford", "TN23"), ("Barnsley", "S70"), ("Cheltenham", "GL50"), ("Derby", "DE1"))
_TOWNS_AU = (("Brisbane", "4000"), ("Toowong", "4066"), ("Paddington", "4064"))
_STREETS = ("High Street", "Station Road", "Church Lane", "Mill Road", "Park Avenue", "Queen St")
_RELATIONSHIPS: tuple[tuple[str, Literal["M", "F"]], ...] = (
    ("Mother", "F"),
    ("Father", "M"),
    ("Carer", "F"),
    ("Grandparent", "M"),
)
_LEAVE_TYPES = ("Annual Leave", "Personal/Carer's Leave", "Long Service Leave", "Unpaid Leave")

ATTENDANCE_CODES: tuple[AttendanceCode, ...] = (
    AttendanceCode("/", "Present (AM)", "Present", "PRES", True),
    AttendanceCode("\\", "Present (PM)", "Present", "PRES", True),
    AttendanceCode("L", "Late (before registers closed)", "Present", "PRES", True),
    AttendanceCode("B", "Educated off site", "Approved Education Activity", "AEA", True),
    AttendanceCode("I", "Illness", "Authorised absence", "AUTH", False),
    AttendanceCode("M", "Medical/Dental appointments", "Authorised absence", "AUTH", False),
    AttendanceCode("C", "Other authorised circumstances", "Authorised absence", "AUTH", False),
    AttendanceCode("O", "Unauthorised absence", "Unauthorised absence", "UNAUTH", False),
    AttendanceCode("U", "Late (after registers closed)", "Unauthorised absence", "UNAUTH", False),
    AttendanceCode("#", "Planned whole or partial school closure", "Not required", "NOTREQ", False),
)


class _Gen:
    """Holds the RNG and id counters while one world is built."""

    def __init__(self, seed: int, scale: Scale, today: date) -> None:
        self.rng = random.Random(f"schoolgraph:{seed}:{scale}")
        self.seed = seed
        self.scale = scale
        self.spec = SCALE_SPECS[scale]
        self.today = today
        # Initial records look as if last edited in the months before "today".
        self.epoch = datetime.combine(today, time(8, 0), UTC) - timedelta(days=120)
        self.counters: dict[str, int] = {}

    def next_id(self, kind: str, start: int) -> int:
        value = self.counters.get(kind, start)
        self.counters[kind] = value + 1
        return value

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def stamp(self) -> datetime:
        return self.epoch + timedelta(seconds=self.rng.randrange(0, 110 * 86400))

    def secret(self, n: int = 24) -> str:
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def person(self) -> tuple[str, str, Literal["M", "F"]]:
        gender: Literal["M", "F"] = self.rng.choice(("M", "F"))
        first = self.rng.choice(_FIRST_F if gender == "F" else _FIRST_M)
        return first, self.rng.choice(_SURNAMES), gender

    def phone(self, country: str) -> str:
        if country == "GB":
            return f"07{self.rng.randrange(100, 999)} {self.rng.randrange(100000, 999999)}"
        r = self.rng
        return f"04{r.randrange(10, 99)} {r.randrange(100, 999)} {r.randrange(100, 999)}"


def _academic_terms(today: date, country: str) -> tuple[tuple[date, date], ...]:
    """Three (UK) or four (AU) terms covering the academic year around `today`."""
    if country == "GB":
        start_year = today.year if today.month >= 9 else today.year - 1
        y = start_year
        return (
            (date(y, 9, 3), date(y, 12, 19)),
            (date(y + 1, 1, 5), date(y + 1, 3, 27)),
            (date(y + 1, 4, 13), date(y + 1, 7, 22)),
        )
    y = today.year
    return (
        (date(y, 1, 27), date(y, 4, 2)),
        (date(y, 4, 20), date(y, 6, 26)),
        (date(y, 7, 13), date(y, 9, 18)),
        (date(y, 10, 6), date(y, 12, 11)),
    )


def birth_window(country: str, year: int, today: date) -> tuple[date, date]:
    """The first and last dates of birth of a pupil in `year` in the school year holding
    `today`.

    England (GB): the school year starts on 1 September and pupils are placed by their age
    on the day before (Year 7 are 11 on 31 August), so Year N were born 1 September (S-N-5)
    to 31 August (S-N-4), S the year the school year started.

    Queensland (AU): the school year is the calendar year Y and Prep takes children who turn
    5 by 30 June of it, so Year N were born 1 July (Y-N-6) to 30 June (Y-N-5).
    """
    if country == "GB":
        start = today.year if today.month >= 9 else today.year - 1
        return date(start - year - 5, 9, 1), date(start - year - 4, 8, 31)
    return date(today.year - year - 6, 7, 1), date(today.year - year - 5, 6, 30)


def generate_world(seed: int = 7, scale: Scale = "demo", today: date | None = None) -> World:
    """Build the world. Same arguments, same world (see `World.fingerprint`).

    Args:
        seed: any integer; it picks names, memberships, shifts and secrets.
        scale: `small` for fast tests, `demo` (the default), `large` for benchmarks.
        today: the date the world is centred on; defaults to the local date.
    """
    if scale not in SCALE_SPECS:
        raise ValueError(f"Unknown scale {scale!r}; expected one of {', '.join(SCALES)}.")
    today = today or date.today()
    g = _Gen(seed, scale, today)
    credentials = _credentials(g)
    world = World(seed=seed, scale=scale, today=today, credentials=credentials)
    world.attendance_codes = ATTENDANCE_CODES

    for index, name in enumerate(("Ashford Oaks Academy", "Barnsley Park School")):
        estab = credentials.xporter_schools[index].estab
        _school(g, world, "xporter", estab, name, "GB", "Europe/London")
    _school(
        g,
        world,
        "tass",
        credentials.tass_company_codes[0],
        "Curlew Creek College",
        "AU",
        "Australia/Brisbane",
    )
    _messy_staff(g, world)
    _workforce(g, world)
    world.next_id = max([1_000_000] + [max(world.table(t), default=0) for t in TABLES]) + 1
    return world


def school_codes(seed: int = 7, scale: Scale = "demo") -> tuple[tuple[SchoolSystem, str], ...]:
    """The system and code (Xporter estab, TASS company) of each school
    :func:`generate_world` builds from ``seed`` at ``scale``, without building it: the
    credentials are the first thing drawn, so this costs microseconds (the accounts CLI checks
    the schools an account is given against them)."""
    credentials = _credentials(_Gen(seed, scale, date.today()))
    return (
        *(("xporter", school.estab) for school in credentials.xporter_schools[:2]),
        ("tass", credentials.tass_company_codes[0]),
    )


def _credentials(g: _Gen) -> Credentials:
    estabs = tuple(f"{g.rng.randrange(200, 999)}{g.rng.randrange(1000, 9999)}" for _ in range(2))
    key = bytes(g.rng.getrandbits(8) for _ in range(16))
    import base64

    return Credentials(
        tanda_admin_email="admin@curlew-workforce.example",
        tanda_admin_password=g.secret(16),
        tanda_client_id=g.secret(32).lower(),
        tanda_client_secret=g.secret(40),
        tanda_redirect_uri="http://127.0.0.1:8000/oauth/tanda/callback",
        tanda_webhook_secret=g.secret(32),
        xporter_relying_party="schoolgraph.example",
        xporter_third_party_id="XporterOnDemand",  # xporter.md §1.2: always this value
        xporter_management_secret=g.secret(32),
        xporter_schools=tuple(XporterSchoolCredential(e, g.secret(32)) for e in estabs),
        tass_client_key=g.secret(20),
        tass_client_secret=g.secret(40),
        tass_company_codes=("01", "02"),
        tass_legacy_appcode="SCHOOLGRAPH",
        tass_legacy_token_key=base64.b64encode(key).decode(),
    )


def _school(
    g: _Gen,
    world: World,
    system: SchoolSystem,
    code: str,
    name: str,
    country: Literal["GB", "AU"],
    zone: str,
) -> School:
    spec = g.spec
    school_id = g.next_id("school", 1)
    towns = _TOWNS_UK if country == "GB" else _TOWNS_AU
    town, postcode = towns[school_id % len(towns)]
    slug = name.lower().split()[0]
    domain = f"{slug}.sch.uk" if country == "GB" else f"{slug}.qld.edu.au"
    years = tuple(range(7, 14)) if country == "GB" else tuple(range(7, 13))
    head_first, head_last, _ = g.person()
    school = School(
        id=school_id,
        updated_at=g.stamp(),
        revision=0,
        system=system,
        code=code,
        name=name,
        country=country,
        time_zone=zone,
        urn=str(g.rng.randrange(100000, 149999)) if country == "GB" else None,
        la_code=str(g.rng.randrange(201, 938)) if country == "GB" else None,
        phase="Secondary",
        address=f"{g.rng.randrange(1, 200)} {g.rng.choice(_STREETS)}",
        town=town,
        postcode=f"{postcode} {g.rng.randrange(1, 9)}AB" if country == "GB" else postcode,
        phone=g.phone(country),
        email=f"office@{domain}",
        head_teacher=f"{head_first} {head_last}",
        website=f"https://www.{domain}",
        year_levels=years,
        terms=_academic_terms(g.today, country),
    )
    world.schools[school_id] = school
    base = school_id * 100_000  # ids unique across schools, readable per school

    campus_ids: list[int | None] = [None]
    if system == "tass":
        campus_ids = []
        for offset, (ccode, cname) in enumerate(
            (("SE", "Senior School (Curlew St)"), ("JU", "Junior School (Billabong Road)"))
        ):
            cid = base + 90_000 + offset
            world.campuses[cid] = Campus(
                id=cid,
                updated_at=g.stamp(),
                revision=0,
                school_id=school_id,
                code=ccode,
                name=cname,
            )
            campus_ids.append(cid)

    # Staff ----------------------------------------------------------------------------
    n_staff = spec.staff_per_xporter_school if system == "xporter" else spec.staff_per_tass_school
    staff_list: list[Staff] = []
    used_codes: set[str] = set()
    for i in range(n_staff):
        first, last, gender = g.person()
        is_teacher = i < int(n_staff * 0.7)
        code = (first[0] + last[:2]).upper()
        while code in used_codes:
            code = (first[0] + last[0] + chr(65 + g.rng.randrange(26))).upper()
        used_codes.add(code)
        subject = _SUBJECTS[i % len(_SUBJECTS)] if is_teacher else None
        start = g.today - timedelta(days=g.rng.randrange(60, 6000))
        email_name = f"{first[0]}{last}".lower().replace("'", "")
        staff = Staff(
            id=base + 10_000 + i,
            updated_at=g.stamp(),
            revision=0,
            school_id=school_id,
            code=code,
            payroll_number=f"P{school_id}{i:05d}",
            external_id=g.uuid(),
            title=g.rng.choice(("Mr", "Dr"))
            if gender == "M"
            else g.rng.choice(("Ms", "Mrs", "Miss", "Dr")),
            forename=first,
            surname=last,
            preferred_forename=first,
            gender=gender,
            date_of_birth=g.today - timedelta(days=g.rng.randrange(23 * 365, 64 * 365)),
            email=f"{email_name}{i}@{domain}",
            mobile=g.phone(country),
            job_title=f"Teacher of {subject[1]}" if subject else g.rng.choice(_SUPPORT_JOBS),
            role="teacher" if is_teacher else "support",
            department=subject[1] if subject else None,
            campus_id=campus_ids[i % len(campus_ids)],
            start_date=start,
            leaving_date=None,
        )
        world.staff[staff.id] = staff
        staff_list.append(staff)
    teachers = [s for s in staff_list if s.role == "teacher"]

    # Year, registration and house groups -------------------------------------------------
    term_start, term_end = school.terms[0][0], school.terms[-1][1]
    n_students = (
        spec.students_per_xporter_school if system == "xporter" else spec.students_per_tass_school
    )
    per_year = max(1, n_students // len(years))
    forms_per_year = max(1, per_year // g.spec.class_size)
    houses = _HOUSES_UK if country == "GB" else _HOUSES_AU
    group_seq = iter(range(base + 20_000, base + 30_000))

    def new_group(
        type_: GroupType,
        code: str,
        name: str,
        year: int | None,
        subject: tuple[str, str] | None,
        staff_ids: list[int],
        campus_id: int | None,
    ) -> Group:
        group = Group(
            id=next(group_seq),
            updated_at=g.stamp(),
            revision=0,
            school_id=school_id,
            type=type_,
            code=code,
            name=name,
            year=year,
            subject_code=subject[0] if subject else None,
            subject_name=subject[1] if subject else None,
            campus_id=campus_id,
            staff_ids=staff_ids,
            student_ids=[],
            start_date=term_start,
            end_date=term_end,
        )
        world.groups[group.id] = group
        return group

    house_groups = [
        new_group(
            "house", hcode, f"{hname} House", None, None, [teachers[k % len(teachers)].id], None
        )
        for k, (hcode, hname) in enumerate(houses)
    ]
    year_groups: dict[int, Group] = {}
    forms: dict[int, list[Group]] = {}
    for k, year in enumerate(years):
        year_groups[year] = new_group(
            "year",
            f"Y{year}" if country == "GB" else str(year),
            f"Year {year}",
            year,
            None,
            [teachers[(k * 3) % len(teachers)].id],
            None,
        )
        forms[year] = [
            new_group(
                "registration",
                f"{year}{letter}",
                f"{year}{letter}",
                year,
                None,
                [teachers[(k * 5 + f) % len(teachers)].id],
                campus_ids[f % len(campus_ids)],
            )
            for f, letter in enumerate("ABCDEFGHJKLMNPQRSTUVWXYZ"[:forms_per_year])
        ]

    # Students and contacts ----------------------------------------------------------------
    family_seq = 0
    contact_seq = iter(range(base + 40_000, base + 90_000))
    link_seq = iter(range(base * 10 + 500_000, base * 10 + 999_999))
    students_by_year: dict[int, list[Student]] = {y: [] for y in years}
    previous: Student | None = None
    for i in range(n_students):
        year = years[i % len(years)]
        first, last, gender = g.person()
        sibling = previous is not None and g.rng.random() < 0.12
        if sibling and previous is not None:
            last, family_code, address, town_, pc = (
                previous.surname,
                previous.family_code,
                previous.address,
                previous.town,
                previous.postcode,
            )
        else:
            family_seq += 1
            family_code = f"{school_id}{family_seq:05d}"
            address = f"{g.rng.randrange(1, 250)} {g.rng.choice(_STREETS)}"
            town_, pc = town, school.postcode
        # One draw of 365 days into the year group's birth window (`birth_window`), as
        # before, so the rest of the world's random stream is unchanged.
        dob = birth_window(country, year, g.today)[0] + timedelta(days=g.rng.randrange(0, 365))
        form = forms[year][i % len(forms[year])]
        student = Student(
            id=base + 50_000 + i,
            updated_at=g.stamp(),
            revision=0,
            school_id=school_id,
            code=f"{school_id}{i:05d}",
            external_id=g.uuid(),
            upn=f"{'ABCDEFGHJKLMNPQRTUVWXYZ'[i % 23]}{school_id:03d}{g.rng.randrange(10**8, 10**9)}"
            if country == "GB"
            else None,
            forename=first,
            surname=last,
            preferred_forename=first,
            middle_names=g.rng.choice((None, None, "James", "Rose", "Lee", "Marie")),
            gender=gender,
            date_of_birth=dob,
            year=year,
            campus_id=form.campus_id,
            admission_date=date(
                g.today.year - (year - years[0]) - (0 if g.today.month >= 9 else 1), 9, 3
            )
            if country == "GB"
            else date(g.today.year - (year - years[0]), 1, 27),
            leaving_date=None,
            email=f"{first.lower()}.{last.lower().replace(chr(39), '')}{i}@students.{domain}",
            home_phone=g.phone(country) if g.rng.random() < 0.6 else None,
            mobile=g.phone(country) if year >= 9 and g.rng.random() < 0.5 else None,
            address=address,
            town=town_,
            postcode=pc,
            family_code=family_code,
            sen_status=g.rng.choices((None, "K", "E"), (85, 12, 3))[0],
            free_meals=g.rng.random() < 0.2,
            boarder=system == "tass" and g.rng.random() < 0.1,
        )
        world.students[student.id] = student
        students_by_year[year].append(student)
        year_groups[year].student_ids.append(student.id)
        form.student_ids.append(student.id)
        house_groups[i % len(house_groups)].student_ids.append(student.id)
        if sibling and previous is not None:
            for link in [
                sc for sc in world.student_contacts.values() if sc.student_id == previous.id
            ]:
                copy = dataclasses.replace(link, id=next(link_seq), student_id=student.id)
                world.student_contacts[copy.id] = copy
        else:
            for priority in range(1, g.rng.choice((2, 2, 2, 1, 3)) + 1):
                relationship, c_gender = _RELATIONSHIPS[(priority - 1) % len(_RELATIONSHIPS)]
                c_first = g.rng.choice(_FIRST_F if c_gender == "F" else _FIRST_M)
                contact = Contact(
                    id=next(contact_seq),
                    updated_at=g.stamp(),
                    revision=0,
                    school_id=school_id,
                    external_id=g.uuid(),
                    title="Mrs" if c_gender == "F" else "Mr",
                    forename=c_first,
                    surname=last,
                    gender=c_gender,
                    email=f"{c_first.lower()}.{last.lower().replace(chr(39), '')}{i}@example.com"
                    if g.rng.random() < 0.9
                    else None,
                    home_phone=student.home_phone,
                    mobile=g.phone(country),
                    work_phone=g.phone(country) if g.rng.random() < 0.3 else None,
                    address=address,
                    town=town_,
                    postcode=pc,
                )
                world.contacts[contact.id] = contact
                link = StudentContact(
                    id=next(link_seq),
                    updated_at=g.stamp(),
                    revision=0,
                    school_id=school_id,
                    student_id=student.id,
                    contact_id=contact.id,
                    relationship=relationship,
                    priority=priority,
                    parental_responsibility=priority <= 2,
                    lives_with=priority <= 2 or g.rng.random() < 0.2,
                    receives_correspondence=priority == 1,
                )
                world.student_contacts[link.id] = link
        previous = student

    # Teaching groups and the weekly timetable --------------------------------------------
    period_times = (
        (time(8, 50), time(9, 50)),
        (time(9, 50), time(10, 50)),
        (time(11, 10), time(12, 10)),
        (time(13, 0), time(14, 0)),
        (time(14, 0), time(15, 0)),
    )
    periods: list[Period] = []
    for weekday in range(5):
        for p, (p_start, p_end) in enumerate(period_times):
            period = Period(
                id=base + 95_000 + weekday * 10 + p,
                updated_at=g.stamp(),
                revision=0,
                school_id=school_id,
                weekday=weekday,
                code=f"{('Mon', 'Tue', 'Wed', 'Thu', 'Fri')[weekday]}:{p + 1}",
                name=str(p + 1),
                start=p_start,
                end=p_end,
            )
            world.periods[period.id] = period
            periods.append(period)
    entry_seq = iter(range(base + 60_000, base + 90_000))
    # Teachers' timetables must not clash: track (staff, period) and (group, period).
    busy: set[tuple[int, int]] = set()
    by_subject: dict[str, list[Staff]] = {}
    for t in teachers:
        by_subject.setdefault(t.department or "", []).append(t)
    for year in years:
        pupils = students_by_year[year]
        n_sets = max(1, len(pupils) // g.spec.class_size)
        for s_index, subject in enumerate(_SUBJECTS[:8]):
            pool = by_subject.get(subject[1]) or teachers
            for set_no in range(n_sets):
                teacher = pool[(set_no + year) % len(pool)]
                code = f"{year}{'XY'[set_no % 2]}{set_no + 1}/{subject[0]}"
                group = new_group(
                    "class",
                    code,
                    code,
                    year,
                    subject,
                    [teacher.id],
                    campus_ids[set_no % len(campus_ids)],
                )
                group.student_ids = [p.id for p in pupils[set_no::n_sets]]
                # Two lessons a week per class, in slots free for the group's year and teacher.
                placed = 0
                for attempt in range(len(periods)):
                    period = periods[
                        (s_index * 7 + set_no * 3 + attempt * 11 + year) % len(periods)
                    ]
                    key_t, key_y = (teacher.id, period.id), (-year * 1000 - set_no, period.id)
                    if key_t in busy or key_y in busy:
                        continue
                    busy.update((key_t, key_y))
                    entry = TimetableEntry(
                        id=next(entry_seq),
                        updated_at=g.stamp(),
                        revision=0,
                        school_id=school_id,
                        group_id=group.id,
                        staff_id=teacher.id,
                        period_id=period.id,
                        room=f"{subject[0]}{1 + (set_no % 4)}",
                    )
                    world.timetable[entry.id] = entry
                    placed += 1
                    if placed == 2:
                        break
    return school


def _messy_staff(g: _Gen, world: World) -> None:
    """The integrator's usual surprises (module docstring)."""
    xporter_ids = [s.id for s in world.schools.values() if s.system == "xporter"]
    first_school = sorted(world.staff_of(xporter_ids[0]), key=lambda s: s.id)
    second_school = sorted(world.staff_of(xporter_ids[1]), key=lambda s: s.id)
    # A name collision: a teacher in the second school shares a name with one in the first.
    twin, original = second_school[1], first_school[1]
    twin.forename = twin.preferred_forename = original.forename
    twin.surname = original.surname
    twin.gender = original.gender
    # One member of staff has no email at all (matched to Tanda by employee_id only).
    first_school[2].email = None
    # A leaver: left last term, still active in Tanda (see _workforce).
    first_school[3].leaving_date = g.today - timedelta(days=40)


def _leave_shifts(
    world: World,
    request: LeaveRequest,
    user: TandaUser,
    sheet_for: Callable[[int, date], Timesheet],
    shift_seq: Iterator[int],
) -> None:
    """Approved leave appears as one shift per weekday carrying `leave_request_id` (§4.10)."""
    zone = ZoneInfo(user.time_zone)
    hours_per_day = request.hours / max(1, (request.finish - request.start).days + 1)
    day = request.start
    while day <= request.finish:
        if day.weekday() < 5:
            start = datetime.combine(day, time(9, 0), zone)
            finish = start + timedelta(hours=hours_per_day)
            shift = Shift(
                id=next(shift_seq),
                updated_at=request.updated_at,
                revision=0,
                timesheet_id=sheet_for(user.id, day).id,
                user_id=user.id,
                department_id=user.report_department_id,
                date=day,
                start=start.astimezone(UTC),
                finish=finish.astimezone(UTC),
                break_start=None,
                break_finish=None,
                break_length=None,
                status="APPROVED",
                approved_by=None,
                approved_at=None,
                leave_request_id=request.id,
                cost=round(user.hourly_rate * hours_per_day, 2),
                metadata=None,
            )
            world.shifts[shift.id] = shift
        day += timedelta(days=1)


def _workforce(g: _Gen, world: World) -> None:
    spec = g.spec
    org = Organisation(
        id=1,
        updated_at=g.stamp(),
        revision=0,
        name="Curlew Schools Workforce",
        country="GB",
        time_zone="Europe/London",
        week_start_day=1,
        pay_period_days=14,
    )
    world.organisation[org.id] = org
    loc_seq = iter(range(2001, 3000))
    team_seq = iter(range(3001, 4000))
    teams: list[Team] = []
    for school in world.schools.values():
        location = Location(
            id=next(loc_seq),
            updated_at=g.stamp(),
            revision=0,
            name=school.name,
            short_name="".join(w[0] for w in school.name.split()),
            address=f"{school.address}, {school.town} {school.postcode}",
            latitude=round(51.0 + g.rng.random(), 5)
            if school.country == "GB"
            else round(-27.5 + g.rng.random() / 10, 5),
            longitude=round(-1.5 + g.rng.random(), 5)
            if school.country == "GB"
            else round(152.9 + g.rng.random() / 10, 5),
            time_zone=school.time_zone,
            school_id=school.id,
        )
        world.locations[location.id] = location
        for name in _TEAMS:
            team = Team(
                id=next(team_seq),
                updated_at=g.stamp(),
                revision=0,
                location_id=location.id,
                name=name,
                export_name=f"{location.short_name}-{name[:3].upper()}",
                colour=g.rng.choice(("#4f46e5", "#16a34a", "#dc2626", "#ca8a04")),
                user_ids=[],
            )
            world.teams[team.id] = team
            teams.append(team)

    user_seq = iter(range(100_001, 200_000))
    admin = TandaUser(
        id=next(user_seq),
        updated_at=g.stamp(),
        revision=0,
        name="Workforce Admin",
        legal_first_name="Workforce",
        legal_last_name="Admin",
        email=world.credentials.tanda_admin_email,
        employee_id=None,
        phone=None,
        date_of_birth=date(1980, 1, 1),
        employment_start_date=g.today - timedelta(days=900),
        employment_end_date=None,
        active=True,
        department_ids=[],
        report_department_id=None,
        managed_department_ids=[t.id for t in teams],
        time_zone="Europe/London",
        passcode="0000",
        hourly_rate=0.0,
        created_at=g.epoch,
        is_admin=True,
        mis_staff_id=None,
    )
    world.tanda_users[admin.id] = admin

    messy = sorted(
        (s for s in world.staff.values() if world.schools[s.school_id].system == "xporter"),
        key=lambda s: s.id,
    )
    case_mangled = messy[0].id  # Tanda email differs only in case
    no_email, leaver = messy[2].id, messy[3].id
    workers: list[TandaUser] = []
    for staff in sorted(world.staff.values(), key=lambda s: s.id):
        school = world.schools[staff.school_id]
        must = staff.id in (case_mangled, no_email, leaver)
        if not must and g.rng.random() >= spec.tanda_share:
            continue
        local_teams = [t for t in teams if world.locations[t.location_id].school_id == school.id]
        team = local_teams[4] if staff.role == "teacher" else local_teams[g.rng.randrange(0, 4)]
        email = staff.email
        if staff.id == case_mangled and email:
            email = email[0].upper() + email[1:].replace(staff.surname.lower(), staff.surname)
        # Half the matched staff carry the MIS staff code, the rest the payroll number.
        employee_id = staff.code if g.rng.random() < 0.5 else staff.payroll_number
        if staff.id == no_email:
            employee_id = staff.code
        user = TandaUser(
            id=next(user_seq),
            updated_at=g.stamp(),
            revision=0,
            name=f"{staff.preferred_forename} {staff.surname}",
            legal_first_name=staff.forename,
            legal_last_name=staff.surname,
            email=email,
            employee_id=employee_id,
            phone=staff.mobile,
            date_of_birth=staff.date_of_birth,
            employment_start_date=staff.start_date,
            employment_end_date=None,
            active=True,
            department_ids=[team.id],
            report_department_id=team.id,
            managed_department_ids=[],
            time_zone=school.time_zone,
            passcode=f"{g.rng.randrange(0, 10000):04d}",
            hourly_rate=round(g.rng.uniform(11.5, 38.0), 2),
            created_at=g.stamp(),
            is_admin=False,
            mis_staff_id=staff.id,
        )
        world.tanda_users[user.id] = user
        team.user_ids.append(user.id)
        workers.append(user)
    for _ in range(spec.tanda_only_workers):
        first, last, _gender = g.person()
        team = teams[g.rng.randrange(len(teams))]
        location = world.locations[team.location_id]
        user = TandaUser(
            id=next(user_seq),
            updated_at=g.stamp(),
            revision=0,
            name=f"{first} {last}",
            legal_first_name=first,
            legal_last_name=last,
            email=f"{first.lower()}.{last.lower().replace(chr(39), '')}@agency.example",
            employee_id=f"AG{g.rng.randrange(1000, 9999)}",
            phone=g.phone("GB"),
            date_of_birth=date(1970, 1, 1) + timedelta(days=g.rng.randrange(0, 12000)),
            employment_start_date=g.today - timedelta(days=g.rng.randrange(10, 700)),
            employment_end_date=None,
            active=True,
            department_ids=[team.id],
            report_department_id=team.id,
            managed_department_ids=[],
            time_zone=location.time_zone,
            passcode=f"{g.rng.randrange(0, 10000):04d}",
            hourly_rate=round(g.rng.uniform(11.5, 30.0), 2),
            created_at=g.stamp(),
            is_admin=False,
            mis_staff_id=None,
        )
        world.tanda_users[user.id] = user
        team.user_ids.append(user.id)
        workers.append(user)
    for team in teams:
        if team.user_ids:
            world.tanda_users[team.user_ids[0]].managed_department_ids.append(team.id)

    # Rosters: one per week, Monday to Sunday, from weeks_before to weeks_after.
    monday = g.today - timedelta(days=g.today.weekday())
    roster_seq = iter(range(70_001, 80_000))
    schedule_seq = iter(range(31_000_001, 40_000_000))
    timesheet_seq = iter(range(7_001, 900_000))
    shift_seq = iter(range(1_000_001, 9_000_000))
    for w in range(-spec.weeks_before, spec.weeks_after + 1):
        start = monday + timedelta(weeks=w)
        roster = Roster(
            id=next(roster_seq),
            updated_at=g.stamp(),
            revision=0,
            start=start,
            finish=start + timedelta(days=6),
        )
        world.rosters[roster.id] = roster

    timesheets: dict[tuple[int, date], Timesheet] = {}
    period_start0 = monday - timedelta(weeks=spec.weeks_before)

    def sheet_for(user_id: int, day: date) -> Timesheet:
        """The user's timesheet for the pay period holding `day`, created when first needed."""
        period_index = (day - period_start0).days // org.pay_period_days
        p_start = period_start0 + timedelta(days=period_index * org.pay_period_days)
        sheet = timesheets.get((user_id, p_start))
        if sheet is None:
            closed = p_start + timedelta(days=org.pay_period_days) <= g.today - timedelta(days=7)
            sheet = Timesheet(
                id=next(timesheet_seq),
                updated_at=g.stamp(),
                revision=0,
                user_id=user_id,
                start=p_start,
                finish=p_start + timedelta(days=org.pay_period_days - 1),
                status="approved" if closed else "pending",
            )
            timesheets[(user_id, p_start)] = sheet
            world.timesheets[sheet.id] = sheet
        return sheet

    for user in workers:
        zone = ZoneInfo(user.time_zone)
        team_id = user.report_department_id
        days = (0, 1, 2, 3, 4) if g.rng.random() < 0.7 else (0, 2, 4)
        start_hour = g.rng.choice((6, 7, 8, 11, 15))
        length = g.rng.choice((4, 6, 8))
        for roster in world.rosters.values():
            for weekday in days:
                day = roster.start + timedelta(days=weekday)
                local_start = datetime.combine(day, time(start_hour, 0), zone)
                local_finish = local_start + timedelta(hours=length)
                has_break = length >= 6
                brk_start = local_start + timedelta(hours=length // 2) if has_break else None
                published = datetime.combine(roster.start - timedelta(days=5), time(16, 0), UTC)
                schedule = Schedule(
                    id=next(schedule_seq),
                    updated_at=g.stamp(),
                    revision=0,
                    roster_id=roster.id,
                    user_id=user.id,
                    department_id=team_id,
                    start=local_start.astimezone(UTC),
                    finish=local_finish.astimezone(UTC),
                    break_start=brk_start.astimezone(UTC) if brk_start else None,
                    break_finish=(brk_start + timedelta(minutes=30)).astimezone(UTC)
                    if brk_start
                    else None,
                    automatic_break_length=None,
                    last_published_at=published if day <= g.today + timedelta(days=7) else None,
                    cost=round(user.hourly_rate * (length - (0.5 if has_break else 0)), 2),
                )
                world.schedules[schedule.id] = schedule
                if day >= g.today:
                    continue  # worked shifts only up to yesterday
                sheet = sheet_for(user.id, day)
                jitter_in = timedelta(minutes=g.rng.randrange(-6, 9))
                jitter_out = timedelta(minutes=g.rng.randrange(-5, 20))
                worked_start = (local_start + jitter_in).astimezone(UTC)
                worked_finish = (local_finish + jitter_out).astimezone(UTC)
                approved = sheet.status == "approved"
                shift = Shift(
                    id=next(shift_seq),
                    updated_at=g.stamp(),
                    revision=0,
                    timesheet_id=sheet.id,
                    user_id=user.id,
                    department_id=team_id,
                    date=day,
                    start=worked_start,
                    finish=worked_finish,
                    break_start=schedule.break_start,
                    break_finish=schedule.break_finish,
                    break_length=30 if has_break else None,
                    status="APPROVED" if approved else "PENDING",
                    approved_by=admin.id if approved else None,
                    approved_at=datetime.combine(sheet.finish + timedelta(days=2), time(9), UTC)
                    if approved
                    else None,
                    leave_request_id=None,
                    cost=round(user.hourly_rate * (worked_finish - worked_start).seconds / 3600, 2),
                    metadata=None,
                )
                world.shifts[shift.id] = shift

    # Real Tanda keeps a timesheet per worker per pay period, so the current one exists even
    # before its first shift (tanda.md §4.5).
    for user in workers:
        sheet_for(user.id, g.today)
    # One worker is clocked in right now: a shift today with a start and no finish (§4.6).
    if workers:
        on_shift = workers[0]
        started = datetime.combine(g.today, time(7, 58), ZoneInfo(on_shift.time_zone))
        shift = Shift(
            id=next(shift_seq),
            updated_at=g.stamp(),
            revision=0,
            timesheet_id=sheet_for(on_shift.id, g.today).id,
            user_id=on_shift.id,
            department_id=on_shift.report_department_id,
            date=g.today,
            start=started.astimezone(UTC),
            finish=None,
            break_start=None,
            break_finish=None,
            break_length=None,
            status="PENDING",
            approved_by=None,
            approved_at=None,
            leave_request_id=None,
            cost=0.0,
            metadata=None,
        )
        world.shifts[shift.id] = shift

    leave_seq = iter(range(300_001, 400_000))
    balance_seq = iter(range(400_001, 500_000))
    for index, user in enumerate(workers):
        for leave_type in _LEAVE_TYPES[:2]:
            balance = LeaveBalance(
                id=next(balance_seq),
                updated_at=g.stamp(),
                revision=0,
                user_id=user.id,
                leave_type=leave_type,
                hours=round(g.rng.uniform(0, 160), 1),
            )
            world.leave_balances[balance.id] = balance
        if index % 5 == 0:
            start = g.today + timedelta(days=g.rng.randrange(-20, 30))
            span = g.rng.randrange(0, 4)
            request = LeaveRequest(
                id=next(leave_seq),
                updated_at=g.stamp(),
                revision=0,
                user_id=user.id,
                reason=g.rng.choice(
                    ("Family holiday", "Medical appointment", "Moving house", "Wedding")
                ),
                leave_type=g.rng.choice(_LEAVE_TYPES),
                start=start,
                finish=start + timedelta(days=span),
                hours=7.6 * (span + 1),
                status=g.rng.choice(("pending", "approved", "approved", "rejected")),
            )
            world.leave_requests[request.id] = request
            if request.status == "approved":
                _leave_shifts(world, request, user, sheet_for, shift_seq)
