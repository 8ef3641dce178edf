"""The one data store both TASS faces read: the world, seen as TASS companies (tass.md §D.1).

A `SchoolView` indexes one TASS school of the world (students, staff, groups, contacts,
timetable) once per `World.revision`, so list endpoints cost O(page) after the first call of a
revision. Both faces render from the same view, so the legacy and 2026 APIs always agree.

Readings shared by both faces (each is also listed in the package docstring):

* Companies: "01" is the world's TASS school (`School.code`). "02" is a second company of the
  same TASS database with no school records (the school's foundation): a key granted "01" and
  "02" reads real data in "01" and empty lists in "02". "10" and "99" exist only for the legacy
  documentation apps `DEMOAPP`/`MYAPP01` (tass.md §D.2 "Test vectors") and are empty too.
* Codes: `stud_code` is `Student.code`; `tch_code` is `Staff.code` for teachers only (TASS
  gives support staff no teacher code); `emp_code` is the digits of `Staff.payroll_number`
  (TASS employee codes are numeric, tass.md §E.1) and `alt_id` carries the payroll number
  verbatim (tass.md §E.3 rank 2). A row copied by `/__sim/mutate` keeps its original's code in
  the world; the copy is served under its numeric world id so codes stay unique.
* Groups: `pctut_grp` is the registration group code ("7A"), `form_cls` its letter ("A"),
  `house` the house group code ("KNGR"; the legacy API shows the description "Kangaroo"),
  `year_grp` the year level. A class group "7X1/MA" is subject "MA", class "X1", year 7.
* Calendar: the school year is the calendar year (Australia); semester 1 is terms 1-2,
  semester 2 terms 3-4; one timetable per semester with `tt_id` = two-digit year and semester
  (261, 262); `day_code` is Monday=1..Friday=5 (the world's cycle is one week); `prd_code` is
  the slot's place in its day (1..5).
* Status: a student is current when entered (`doe <= today`) and not left (`dol` empty or
  after today; TASS sets `dol` to the day after the last day, [3P]); "future" has
  `doe > today`, "past" `dol <= today`, "noncurrent" is past or future.
* Absences: every AM/PM attendance mark of the world that is an absence (not present, and
  statistically authorised or unauthorised) becomes one row per period of that session; the
  row names the student's lesson in that period, or the home-group pseudo subject "HOME9997"
  (the value of the documented example, tass.md §B.6.1) when the student has no lesson then.
  `accept_ind` is "Y" for authorised, "N" for unauthorised. `WEEK` is the Sunday-based week of
  the year (`%U`), which reproduces the documented example (2019-06-05 -> 22).
* Contacts: the student's mother/father contacts (priority 1-2) form address 1 of the family
  (`par_code` = `Student.family_code`, Parent 1 = `m_*`, Parent 2 = `f_*`); every further
  contact is its own address (2, 3, ...). `m_description`/`f_description` (values DOC-SILENT)
  are that person's own relationship to the student ("Mother", "Father", "Carer"), else the
  slot's label "Mother/Parent 1"/"Father/Parent 2". Communication types: EC for all, GEN when
  the contact receives correspondence, LW when the student lives with them, ACA/ATT/TK/TKCO
  with parental responsibility.
* Values TASS records but the world does not (religion, residency status) are derived from a
  hash of the student's MIS GUID, so they are stable and deterministic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..dataset import (
    AttendanceMark,
    Campus,
    Contact,
    Group,
    Period,
    School,
    Staff,
    Student,
    StudentContact,
    TimetableEntry,
    World,
)

__all__ = [
    "AbsenceRow",
    "Address",
    "Company",
    "DataStore",
    "SchoolView",
    "Slot",
    "company_names",
]

HOME_SUBJECT = "HOME9997"  # tass.md §B.6.1 example SUB_CODE for a home-group period
RELIGIONS: tuple[tuple[str, str], ...] = (
    ("CH", "Christian"),
    ("AN", "Anglican"),
    ("CA", "Catholic"),
    ("UC", "Uniting Church"),
    ("NR", "No Religion"),
    ("BU", "Buddhist"),
    ("IS", "Islam"),
    ("HI", "Hindu"),
)
RESIDENCIES: tuple[tuple[str, str], ...] = (
    ("AUS", "Australian Citizen"),
    ("AUS", "Australian Citizen"),
    ("AUS", "Australian Citizen"),
    ("AUS", "Australian Citizen"),
    ("AUS", "Australian Citizen"),
    ("AUS", "Australian Citizen"),
    ("PR", "Permanent Resident"),
    ("NZ", "New Zealand Citizen"),
)
AM_CUTOFF = time(12, 0)  # periods starting before noon belong to the AM session


@dataclass(frozen=True, slots=True)
class Company:
    """A TASS company: a data set an API user or app is granted (tass.md §C.3)."""

    code: str
    name: str
    school_id: int | None


@dataclass(frozen=True, slots=True)
class Slot:
    """One weekly timetable slot of a class, with its TASS coordinates."""

    entry: TimetableEntry
    group: Group
    period: Period
    day_code: int
    period_code: int


@dataclass(frozen=True, slots=True)
class AbsenceRow:
    """One period of an absent session (tass.md §B.6.1)."""

    student: Student
    date: date
    day_code: int
    period_code: int
    subject_code: str
    class_code: str
    year_group: int
    acceptable: str
    updated_at: datetime


@dataclass(slots=True)
class Address:
    """One communication-rule address of a student (tass.md §B.7.1)."""

    add_num: int
    parent1: Contact | None  # m_* fields
    parent2: Contact | None  # f_* fields
    links: list[StudentContact] = field(default_factory=list)

    @property
    def people(self) -> list[Contact]:
        return [p for p in (self.parent1, self.parent2) if p is not None]

    def description(self, position: int) -> str | None:
        """`m_description` (position 1) or `f_description` (2): that person's relationship
        to the student from their own link, else the slot's label; None when no one is there.
        """
        person = self.parent1 if position == 1 else self.parent2
        if person is None:
            return None
        own = next((x.relationship for x in self.links if x.contact_id == person.id), None)
        return own or ("Mother/Parent 1" if position == 1 else "Father/Parent 2")

    @property
    def types(self) -> list[str]:
        """Communication types of this address, in TASS's upper-case codes."""
        kinds = {"EC"}
        for link in self.links:
            if link.receives_correspondence:
                kinds.add("GEN")
            if link.lives_with:
                kinds.add("LW")
            if link.parental_responsibility:
                kinds.update(("ACA", "ATT", "TK", "TKCO"))
        order = ("ACA", "ATT", "EC", "GEN", "LW", "TK", "TKCO")
        return [k for k in order if k in kinds]

    def updated_at(self, floor: datetime) -> datetime:
        stamps = [floor, *(p.updated_at for p in self.people), *(x.updated_at for x in self.links)]
        return max(stamps)


def _pick(seed: str, table: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    digest = hashlib.blake2b(seed.encode(), digest_size=4).digest()
    return table[int.from_bytes(digest, "big") % len(table)]


def _unique_codes(rows: Iterable[tuple[int, str]]) -> dict[int, str]:
    """Keep each code for the lowest id holding it; later holders get their numeric id."""
    out: dict[int, str] = {}
    seen: set[str] = set()
    for record_id, code in sorted(rows):
        if code in seen:
            code = str(record_id)
        seen.add(code)
        out[record_id] = code
    return out


class SchoolView:
    """Indexes of one TASS school at one world revision. Build with `DataStore.view`."""

    def __init__(self, world: World, school: School) -> None:
        self.world = world
        self.school = school
        self.revision = world.revision
        self.cache: dict[str, list[dict[str, Any]]] = {}  # rendered rows of this revision
        self.lazy: dict[str, Any] = {}  # api2026.LazyRows of this revision, by query
        self.zone = ZoneInfo(school.time_zone)
        self.today = world.today
        sid = school.id
        self.campuses: list[Campus] = sorted(
            (c for c in world.campuses.values() if c.school_id == sid), key=lambda c: c.id
        )
        self.campus_code: dict[int, str] = {c.id: c.code for c in self.campuses}
        self.students: list[Student] = sorted(
            (s for s in world.students.values() if s.school_id == sid), key=lambda s: s.id
        )
        self.student_code = _unique_codes((s.id, s.code) for s in self.students)
        self.student_by_code: dict[str, Student] = {
            self.student_code[s.id]: s for s in self.students
        }
        self.staff: list[Staff] = sorted(
            (s for s in world.staff.values() if s.school_id == sid), key=lambda s: s.id
        )
        self.emp_code = _unique_codes(
            (s.id, s.payroll_number.lstrip("P") or str(s.id)) for s in self.staff
        )
        self.staff_by_emp: dict[str, Staff] = {self.emp_code[s.id]: s for s in self.staff}
        self.teachers: list[Staff] = [s for s in self.staff if s.role == "teacher"]
        self.teacher_code = _unique_codes((s.id, s.code) for s in self.teachers)
        self.teacher_by_code: dict[str, Staff] = {self.teacher_code[s.id]: s for s in self.teachers}

        groups = sorted(
            (g for g in world.groups.values() if g.school_id == sid), key=lambda g: g.id
        )
        self.groups = groups
        self.classes: list[Group] = [g for g in groups if g.type == "class"]
        self.houses: list[Group] = [g for g in groups if g.type == "house"]
        self.registrations: list[Group] = [g for g in groups if g.type == "registration"]
        self.year_groups: list[Group] = [g for g in groups if g.type == "year"]
        self.registration_of: dict[int, Group] = {}
        self.house_of: dict[int, Group] = {}
        self.classes_of: dict[int, list[Group]] = {}
        for group in groups:
            for member in group.student_ids:
                if group.type == "registration":
                    self.registration_of.setdefault(member, group)
                elif group.type == "house":
                    self.house_of.setdefault(member, group)
                elif group.type == "class":
                    self.classes_of.setdefault(member, []).append(group)
        self.tutor_group_of_staff: dict[int, Group] = {}
        for group in self.registrations:
            if group.staff_ids:
                self.tutor_group_of_staff.setdefault(group.staff_ids[0], group)

        periods = sorted(
            (p for p in world.periods.values() if p.school_id == sid),
            key=lambda p: (p.weekday, p.start, p.id),
        )
        self.period_code: dict[int, int] = {}
        self.periods_by_weekday: dict[int, list[Period]] = {}
        for period in periods:
            day = self.periods_by_weekday.setdefault(period.weekday, [])
            day.append(period)
            self.period_code[period.id] = len(day)
        by_id = {g.id: g for g in groups}
        self.slots: list[Slot] = []
        for entry in sorted(
            (e for e in world.timetable.values() if e.school_id == sid), key=lambda e: e.id
        ):
            klass = by_id.get(entry.group_id)
            slot_period = world.periods.get(entry.period_id)
            if klass is None or slot_period is None:
                continue
            self.slots.append(
                Slot(
                    entry,
                    klass,
                    slot_period,
                    slot_period.weekday + 1,
                    self.period_code[slot_period.id],
                )
            )
        self.slots_by_group: dict[int, list[Slot]] = {}
        self.slots_by_teacher: dict[int, list[Slot]] = {}
        for slot in self.slots:
            self.slots_by_group.setdefault(slot.group.id, []).append(slot)
            self.slots_by_teacher.setdefault(slot.entry.staff_id, []).append(slot)

        self.contacts_of: dict[int, list[tuple[StudentContact, Contact]]] = {}
        for link in sorted(world.student_contacts.values(), key=lambda x: (x.priority, x.id)):
            if link.school_id != sid:
                continue
            contact = world.contacts.get(link.contact_id)
            if contact is not None:
                self.contacts_of.setdefault(link.student_id, []).append((link, contact))

    # -- calendar ---------------------------------------------------------------------

    @property
    def year(self) -> int:
        return self.today.year

    def semester_dates(self, semester: int) -> tuple[date, date]:
        terms = self.school.terms
        if semester == 1:
            return terms[0][0], terms[min(1, len(terms) - 1)][1]
        return terms[min(2, len(terms) - 1)][0], terms[-1][1]

    def semester_of(self, day: date) -> int:
        return 1 if day <= self.semester_dates(1)[1] else 2

    @property
    def current_semester(self) -> int:
        return self.semester_of(self.today)

    def tt_id(self, semester: int) -> int:
        return (self.year % 100) * 10 + semester

    def tt_ids(self) -> dict[int, int]:
        """tt_id -> semester for this year's timetables."""
        return {self.tt_id(s): s for s in (1, 2)}

    def is_school_day(self, day: date) -> bool:
        return day.weekday() < 5 and any(a <= day <= b for a, b in self.school.terms)

    # -- people -------------------------------------------------------------------------

    def status(self, doe: date, dol: date | None) -> str:
        """'current', 'future' or 'past' (see the module docstring)."""
        if doe > self.today:
            return "future"
        if dol is not None and dol <= self.today:
            return "past"
        return "current"

    def student_status(self, student: Student) -> str:
        return self.status(student.admission_date, student.leaving_date)

    def staff_status(self, staff: Staff) -> str:
        return self.status(staff.start_date, staff.leaving_date)

    def religion(self, student: Student) -> tuple[str, str]:
        return _pick(f"{student.external_id}:religion", RELIGIONS)

    def residency(self, student: Student) -> tuple[str, str]:
        return _pick(f"{student.external_id}:residency", RESIDENCIES)

    def next_year(self, student: Student) -> tuple[str, str]:
        if student.year >= max(self.school.year_levels):
            return "L", "Leaving"
        return "A", "Advancing"

    def entry_level(self, student: Student) -> int:
        return max(
            min(self.school.year_levels),
            student.year - (self.today.year - student.admission_date.year),
        )

    def form_class(self, student: Student) -> str:
        group = self.registration_of.get(student.id)
        if group is None:
            return ""
        return group.code.removeprefix(str(student.year)) or group.code

    def tutor_group(self, student: Student) -> str:
        group = self.registration_of.get(student.id)
        return group.code if group else ""

    def house(self, student: Student) -> Group | None:
        return self.house_of.get(student.id)

    @staticmethod
    def house_desc(group: Group) -> str:
        return group.name.removesuffix(" House")

    def campus_of(self, campus_id: int | None) -> Campus | None:
        return next((c for c in self.campuses if c.id == campus_id), None)

    # -- classes ------------------------------------------------------------------------

    @staticmethod
    def class_code(group: Group) -> str:
        left = group.code.split("/")[0]
        return left.removeprefix(str(group.year)) if group.year is not None else left

    @staticmethod
    def subject_short(group: Group) -> str:
        return (group.subject_name or group.subject_code or "").split()[0][:6]

    # -- contacts -----------------------------------------------------------------------

    def addresses(self, student: Student) -> list[Address]:
        """The student's communication-rule addresses (module docstring, "Contacts")."""
        links = self.contacts_of.get(student.id, [])
        parents = [(x, c) for x, c in links if x.priority <= 2]
        others = [(x, c) for x, c in links if x.priority > 2]
        out: list[Address] = []
        if parents:
            ordered = sorted(parents, key=lambda lc: (lc[1].gender != "F", lc[0].priority))
            first = ordered[0][1]
            second = ordered[1][1] if len(ordered) > 1 else None
            out.append(Address(1, first, second, [x for x, _ in parents]))
        for link, contact in others:
            out.append(Address(len(out) + 1, contact, None, [link]))
        return out

    # -- lessons and absences ------------------------------------------------------------

    def student_slots(self, student: Student) -> list[Slot]:
        out: list[Slot] = []
        for group in self.classes_of.get(student.id, []):
            out.extend(self.slots_by_group.get(group.id, []))
        return sorted(out, key=lambda s: (s.day_code, s.period_code, s.group.id))

    def absences(self, students: Iterable[Student], start: date, end: date) -> list[AbsenceRow]:
        """Absence rows between `start` and `end` inclusive, sorted by date, student, period."""
        return list(self.iter_absences(students, start, end))

    def iter_absences(
        self, students: Iterable[Student], start: date, end: date
    ) -> Iterator[AbsenceRow]:
        """Absence rows in (date, student code, period) order, one school day at a time, so a
        first page costs one day of marks rather than the whole window."""
        codes = {c.code: c for c in self.world.attendance_codes}
        people = sorted(students, key=lambda s: self.student_code[s.id])
        slot_maps: dict[int, dict[tuple[int, int], Slot]] = {}
        for day in days(start, min(end, self.today)):
            if not self.is_school_day(day):
                continue
            for student in people:
                for mark in self.world.attendance(student.id, day, day):
                    code = codes.get(mark.code)
                    if (
                        code is None
                        or code.is_present
                        or code.statistical not in ("AUTH", "UNAUTH")
                    ):
                        continue
                    slots = slot_maps.get(student.id)
                    if slots is None:
                        slots = {
                            (x.day_code, x.period_code): x for x in self.student_slots(student)
                        }
                        slot_maps[student.id] = slots
                    yield from self._absence_rows(
                        student, mark, slots, "Y" if code.statistical == "AUTH" else "N"
                    )

    def _absence_rows(
        self,
        student: Student,
        mark: AttendanceMark,
        slots: dict[tuple[int, int], Slot],
        acceptable: str,
    ) -> list[AbsenceRow]:
        out: list[AbsenceRow] = []
        day_code = mark.date.weekday() + 1
        for period in self.periods_by_weekday.get(mark.date.weekday(), []):
            if (period.start < AM_CUTOFF) != (mark.session == "AM"):
                continue
            prd = self.period_code[period.id]
            slot = slots.get((day_code, prd))
            if slot is not None:
                subject, klass = slot.group.subject_code or "", self.class_code(slot.group)
            else:
                subject, klass = HOME_SUBJECT, self.form_class(student)
            out.append(
                AbsenceRow(
                    student,
                    mark.date,
                    day_code,
                    prd,
                    subject,
                    klass,
                    student.year,
                    acceptable,
                    mark.updated_at,
                )
            )
        return out

    # -- time ---------------------------------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        """A UTC instant as naive school-local time (TASS times carry no offset, §D.3)."""
        return moment.astimezone(self.zone).replace(tzinfo=None)

    def now_local(self, now: datetime) -> datetime:
        return self.local(now if now.tzinfo else now.replace(tzinfo=UTC))


class DataStore:
    """The companies of the simulated TASS database and a cached view per company."""

    def __init__(self, world_getter: Callable[[], World]) -> None:
        self._world = world_getter
        self._views: dict[int, SchoolView] = {}

    @property
    def world(self) -> World:
        return self._world()

    def tass_school(self) -> School | None:
        return next(
            (
                s
                for s in sorted(self.world.schools.values(), key=lambda s: s.id)
                if s.system == "tass"
            ),
            None,
        )

    def companies(self) -> dict[str, Company]:
        """Every company of the database, by code (module docstring, "Companies")."""
        school = self.tass_school()
        codes = list(self.world.credentials.tass_company_codes)
        out: dict[str, Company] = {}
        for code in codes:
            if school is not None and code == school.code:
                out[code] = Company(code, school.name, school.id)
            else:
                base = school.name if school is not None else "Curlew Creek College"
                out[code] = Company(code, f"{base} Foundation", None)
        if school is not None and school.code not in out:
            out[school.code] = Company(school.code, school.name, school.id)
        for code in ("10", "99"):
            out.setdefault(code, Company(code, "TASS documentation example company", None))
        return dict(sorted(out.items()))

    def view(self, company: str) -> SchoolView | None:
        """The school behind `company` at the current revision, or None for an empty company."""
        found = self.companies().get(company)
        if found is None or found.school_id is None:
            return None
        world = self.world
        school = world.schools.get(found.school_id)
        if school is None:
            return None
        cached = self._views.get(school.id)
        if cached is None or cached.revision != world.revision or cached.world is not world:
            cached = SchoolView(world, school)
            self._views[school.id] = cached
        return cached


def week_of_year(day: date) -> int:
    """TASS's `WEEK`: Sunday-based week of the year (reproduces the §B.6.1 example)."""
    return int(day.strftime("%U"))


def days(start: date, end: date) -> Iterable[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def company_names(world: World) -> dict[str, str]:
    """Code -> name of the demo companies (`world.credentials.tass_company_codes`), e.g.
    `{"01": "Curlew Creek College", "02": "Curlew Creek College Foundation"}`."""
    companies = DataStore(lambda: world).companies()
    return {
        code: companies[code].name
        for code in world.credentials.tass_company_codes
        if code in companies
    }
