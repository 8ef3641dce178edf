"""TASS in the domain model: one `School` per configured company.

The only code that knows both `upstreams.tass` models and `domain`. Lists are mapped once per
connector list object (`memo.ListMemo`).

Readings (see `shared/upstreams/tass.md` for the wire):

* Ids: students by student code, staff by employee code (``"teacher:<code>"`` for a teacher
  without a readable employee record), contacts by family (``par_code``), address number and
  parent position (TASS addresses belong to the family, so siblings share them), groups by
  kind: ``year:<n>``, ``tutor:<code>``, ``house:<code>``, ``class:<year>:<sem>:<subject>:
  <year group>:<class>``.
* Students are those enrolled on the directory's today (`Student.status`); the TASS API lists
  past and future students too.
* A staff member's `staff_code` is the teacher code (support staff have none) and the
  `payroll_number` the employee's alternate id, which carries it (tass.md §E.3).
* Groups: year groups, tutor (pastoral care) groups, houses, and the current semester's
  classes; tutor-group staff are the teachers whose tutor group it is.
* Contacts are the parents named on students' communication-rule addresses; a contact's
  priority is the order of the addresses (then Parent 1 before Parent 2), its relationship
  is the person's own description (`m_description`/`f_description`), else the address's
  description, label or relationship, and `lives_with` is the address's LW communication type.
* Lessons are each timetable's weekly slots on its calendar; a slot TASS gives no bell time
  for has no time and is left out.
* TASS lists absences only, per period: each absent session (periods starting before noon
  are AM) becomes one mark, `AUTH` when every period of it is accepted, else `UNAUTH`.
  Present sessions have no mark.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from datetime import date, time
from types import MappingProxyType

from schoolgraph.domain import (
    AttendanceMark,
    Contact,
    Group,
    GroupType,
    Lesson,
    School,
    Session,
    SourceRef,
    Staff,
    Student,
    StudentContact,
    System,
    entity_id,
)
from schoolgraph.sources.memo import ListMemo
from schoolgraph.upstreams import tass as t

__all__ = ["TassSource", "staff_native_id"]

SYSTEM = System.TASS
_NOON = time(12, 0)
_LESSON_MEMO_LIMIT = 100_000


class TassSource:
    """The configured TASS companies, read through one `TassClient`."""

    def __init__(self, client: t.TassClient) -> None:
        self.client = client
        self._lists = ListMemo()
        self._lessons: dict[str, tuple[object, object, dict[t.Lesson, Lesson]]] = {}

    @property
    def tenants(self) -> tuple[str, ...]:
        return self.client.company_codes

    def school_id(self, company: str) -> str:
        return entity_id(SYSTEM, company)

    def _id(self, company: str, native: str) -> str:
        return entity_id(SYSTEM, company, native)

    def _ref(self, company: str, native: str) -> tuple[SourceRef, ...]:
        return (SourceRef(SYSTEM, company, native),)

    # -- school ---------------------------------------------------------------------------

    async def school(self, company: str) -> School:
        companies, campuses = await asyncio.gather(
            self.client.companies(), self.client.campuses(company)
        )
        name = next((c.name for c in companies if c.code == company and c.name), None)
        return self._lists.get(
            ("school", company, name), (campuses,), lambda: self._school(company, name, campuses)
        )

    def _school(self, company: str, name: str | None, campuses: Sequence[t.Option]) -> School:
        return School(
            id=self.school_id(company),
            system=SYSTEM,
            tenant=company,
            name=name or f"TASS company {company}",
            country="AU",  # TASS serves Australian schools
            time_zone=self.client.time_zone(company).key,
            urn=None,
            phase=None,
            address=None,
            town=None,
            postcode=None,
            phone=None,
            email=None,
            website=None,
            campuses=tuple(c.name for c in campuses),
            sources=self._ref(company, company),
        )

    # -- students -------------------------------------------------------------------------

    async def _all_students(self, company: str) -> tuple[tuple[t.Student, ...], Mapping[str, str]]:
        if self.client.fresh(company, "campuses"):
            # Cached campuses answer at once: a gather would cost more than it overlaps.
            campuses = await self.client.campuses(company)
            rows = await self.client.students(company)
        else:
            # Cold: the campuses are asked for alongside the students' first requests.
            campuses, rows = await asyncio.gather(
                self.client.campuses(company), self.client.students(company)
            )
        names = self._lists.get(
            ("campus_names", company), (campuses,), lambda: {c.code: c.name for c in campuses}
        )
        return rows, names

    async def students(self, company: str, today: date) -> Mapping[str, Student]:
        rows, campuses = await self._all_students(company)
        return self._lists.get(
            ("students", company, today),
            (rows, campuses),
            lambda: self._students(company, rows, campuses, today),
        )

    def _students(
        self,
        company: str,
        rows: Sequence[t.Student],
        campuses: Mapping[str, str],
        today: date,
    ) -> Mapping[str, Student]:
        school_id, prefix = self.school_id(company), self._id(company, "")
        out: dict[str, Student] = {}
        for row in rows:
            if row.status(today) != "current":
                continue
            student = Student(
                id=prefix + row.code,
                school_id=school_id,
                forename=row.first_name or row.preferred_name or "",
                surname=row.surname or row.preferred_surname or "",
                preferred_forename=row.preferred_name,
                middle_names=row.other_name,
                gender=row.gender,
                date_of_birth=row.date_of_birth,
                year=row.year_group,
                upn=None,
                email=row.email,
                admission_date=row.entry_date,
                leaving_date=row.leaving_date,
                campus=campuses.get(row.campus_code or "", row.campus_code),
                updated_at=row.updated_at,
                sources=self._ref(company, row.code),
            )
            out[student.id] = student
        return MappingProxyType(out)

    # -- staff ----------------------------------------------------------------------------

    async def staff_rows(self, company: str) -> tuple[t.Staff, ...]:
        """Every employee and teacher: the input of the identity merge."""
        return await self.client.staff(company)

    def staff(self, company: str, rows: Sequence[t.Staff], today: date) -> tuple[Staff, ...]:
        """MIS staff as unmerged domain Staff (no Tanda side yet)."""
        return self._lists.get(
            ("staff", company, today), (rows,), lambda: self._staff(company, rows, today)
        )

    def _staff(self, company: str, rows: Sequence[t.Staff], today: date) -> tuple[Staff, ...]:
        school_id = self.school_id(company)
        zone = self.client.time_zone(company).key
        out: list[Staff] = []
        for row in rows:
            native = staff_native_id(row)
            employee, teacher = row.employee, row.teacher
            if employee is not None:
                active = employee.status(today) == "current"
            else:
                active = teacher is not None and teacher.active is not False
            forename = row.first_name
            display = " ".join(p for p in (row.preferred_name or forename, row.surname) if p)
            out.append(
                Staff(
                    id=self._id(company, native),
                    school_id=school_id,
                    tanda_user_id=None,
                    title=(employee.title if employee else None)
                    or (teacher.salutation if teacher else None),
                    forename=forename,
                    surname=row.surname,
                    display_name=display or (teacher.name if teacher else None) or native,
                    email=row.work_email
                    or (employee.email if employee else None)
                    or (teacher.email if teacher else None),
                    staff_code=row.teacher_code,
                    payroll_number=employee.alternate_id if employee else None,
                    job_title=(employee.position_title or employee.position) if employee else None,
                    is_teacher=row.is_teacher,
                    active=active,
                    leaving_date=employee.leaving_date if employee else None,
                    time_zone=zone,
                    team_ids=(),
                    match_rule=None,
                    match_candidates=(),
                    sources=self._ref(company, native),
                )
            )
        return tuple(out)

    async def _teacher_ids(self, company: str) -> Mapping[str, str]:
        """Teacher code -> Staff id."""
        return self._teacher_ids_of(company, await self.client.staff(company))

    def _teacher_ids_of(self, company: str, rows: Sequence[t.Staff]) -> Mapping[str, str]:
        return self._lists.get(
            ("teacher_ids", company),
            (rows,),
            lambda: {
                r.teacher_code: self._id(company, staff_native_id(r))
                for r in rows
                if r.teacher_code
            },
        )

    # -- groups ---------------------------------------------------------------------------

    async def groups(self, company: str, today: date) -> Mapping[str, Group]:
        (rows, _), years, tutors, houses, classes, staff = await asyncio.gather(
            self._all_students(company),
            self.client.year_groups(company),
            self.client.tutor_groups(company),
            self.client.houses(company),
            self.client.classes(company),
            self.client.staff(company),
        )
        # The legacy API has no house or tutor-group list: those come rebuilt on each call.
        return self._lists.get(
            ("groups", company, today),
            (rows, classes, staff),
            lambda: self._groups(company, today, rows, years, tutors, houses, classes, staff),
            values=(years, tutors, houses),
        )

    def _groups(
        self,
        company: str,
        today: date,
        rows: Sequence[t.Student],
        years: Sequence[t.YearGroup],
        tutors: Sequence[t.Option],
        houses: Sequence[t.Option],
        classes: Sequence[t.TeachingClass],
        staff: Sequence[t.Staff],
    ) -> Mapping[str, Group]:
        school_id, prefix = self.school_id(company), self._id(company, "")
        teachers = self._teacher_ids_of(company, staff)
        current = [s for s in rows if s.status(today) == "current"]
        by_year: dict[int, list[str]] = {}
        by_tutor: dict[str, list[str]] = {}
        by_house: dict[str, list[str]] = {}
        year_of: dict[str, int | None] = {}
        for student in current:
            sid = prefix + student.code
            year_of[student.code] = student.year_group
            if student.year_group is not None:
                by_year.setdefault(student.year_group, []).append(sid)
            if student.tutor_group:
                by_tutor.setdefault(student.tutor_group, []).append(sid)
            if student.house_code:
                by_house.setdefault(student.house_code, []).append(sid)
        tutors_of: dict[str, list[str]] = {}
        for person in staff:
            if person.tutor_group:
                tutors_of.setdefault(person.tutor_group, []).append(
                    self._id(company, staff_native_id(person))
                )

        def year_of_members(codes: Sequence[str]) -> int | None:
            found = {year_of.get(c) for c in codes}
            return found.pop() if len(found) == 1 else None

        out: dict[str, Group] = {}

        def add(
            native: str,
            kind: GroupType,
            code: str,
            name: str,
            year: int | None,
            subject: str | None,
            student_ids: tuple[str, ...],
            staff_ids: tuple[str, ...],
        ) -> None:
            group = Group(
                id=self._id(company, native),
                school_id=school_id,
                type=kind,
                code=code,
                name=name,
                year=year,
                subject=subject,
                student_ids=student_ids,
                staff_ids=staff_ids,
                sources=self._ref(company, native),
            )
            out[group.id] = group

        for year in years:
            add(
                f"year:{year.year}",
                GroupType.YEAR,
                str(year.year),
                year.label,
                year=year.year,
                subject=None,
                student_ids=tuple(by_year.get(year.year, ())),
                staff_ids=(),
            )
        for tutor in tutors:
            members = by_tutor.get(tutor.code, [])
            add(
                f"tutor:{tutor.code}",
                GroupType.REGISTRATION,
                tutor.code,
                tutor.name,
                year=year_of_members([m.rsplit(":", 1)[-1] for m in members]),
                subject=None,
                student_ids=tuple(members),
                staff_ids=tuple(tutors_of.get(tutor.code, ())),
            )
        for house in houses:
            add(
                f"house:{house.code}",
                GroupType.HOUSE,
                house.code,
                house.name,
                year=None,
                subject=None,
                student_ids=tuple(by_house.get(house.code, ())),
                staff_ids=(),
            )
        for klass in classes:
            add(
                _class_native(company, klass.id),
                GroupType.TEACHING,
                f"{klass.subject_code}/{klass.class_code}",
                klass.description
                or f"{klass.subject_name or klass.subject_code} {klass.class_code}",
                year=klass.year_group,
                subject=klass.subject_name or klass.subject_code,
                student_ids=tuple(map(prefix.__add__, klass.student_codes)),
                staff_ids=tuple(teachers[c] for c in klass.teacher_codes if c in teachers),
            )
        return MappingProxyType(out)

    # -- contacts -------------------------------------------------------------------------

    async def _contact_book(
        self, company: str
    ) -> tuple[Mapping[str, Contact], Sequence[StudentContact]]:
        rows = await self.client.communication_rules(company)
        return self._lists.get(
            ("contacts", company), (rows,), lambda: self._contacts(company, rows)
        )

    async def contacts(self, company: str) -> Mapping[str, Contact]:
        return (await self._contact_book(company))[0]

    async def student_contacts(self, company: str) -> Sequence[StudentContact]:
        return (await self._contact_book(company))[1]

    def _contacts(
        self, company: str, rows: Sequence[t.ContactAddress]
    ) -> tuple[Mapping[str, Contact], Sequence[StudentContact]]:
        school_id = self.school_id(company)
        contacts: dict[str, Contact] = {}
        links: list[StudentContact] = []
        order: dict[str, int] = {}
        for row in sorted(rows, key=lambda r: (r.student_code, r.address_number)):
            family = row.family_code or row.student_code
            people = (
                (1, row.parent1, row.email, row.mobile_1, row.business_phone),
                (2, row.parent2, row.email_2, row.mobile_2, None),
            )
            for position, person, email, mobile, work in people:
                if person is None or not (person.first_name or person.surname):
                    continue
                native = f"{family}:{row.address_number}:{position}"
                contact = Contact(
                    id=self._id(company, native),
                    school_id=school_id,
                    title=person.title,
                    forename=person.first_name,
                    surname=person.surname,
                    email=email,
                    mobile=mobile,
                    home_phone=row.home_phone,
                    work_phone=work,
                    sources=self._ref(company, native),
                )
                contacts.setdefault(contact.id, contact)
                priority = order[row.student_code] = order.get(row.student_code, 0) + 1
                links.append(
                    StudentContact(
                        student_id=self._id(company, row.student_code),
                        contact_id=contact.id,
                        # The person's own description first: the address's values are
                        # the same for both people of a shared address (tass.md §B.7.1).
                        relationship=person.description
                        or row.description
                        or row.label
                        or row.relationship,
                        priority=priority,
                        parental_responsibility=None,  # TASS records no such flag
                        lives_with="LW" in {c.upper() for c in row.communication_types},
                    )
                )
        return MappingProxyType(contacts), tuple(links)

    # -- timetable and attendance ---------------------------------------------------------

    async def lessons(self, company: str, start: date, end: date) -> Sequence[Lesson]:
        rows, teachers, classes = await asyncio.gather(
            self.client.lessons(company, start, end),
            self._teacher_ids(company),
            self.client.classes(company),
        )
        subjects = self._lists.get(
            ("subjects", company),
            (classes,),
            lambda: {k.subject_code: k.subject_name for k in classes if k.subject_name},
        )
        # TASS lessons are rebuilt on each call, so the memo is keyed on their value.
        held = self._lessons.get(company)
        if (
            held is None
            or held[0] is not teachers
            or held[1] is not subjects
            or len(held[2]) > _LESSON_MEMO_LIMIT
        ):
            held = (teachers, subjects, {})
            self._lessons[company] = held
        memo = held[2]
        school_id = self.school_id(company)
        out: list[Lesson] = []
        for row in rows:
            if row.starts_at is None or row.ends_at is None:
                continue
            found = memo.get(row)
            if found is None:
                class_native = _class_native(company, row.class_id)
                native = (
                    f"{row.date.isoformat()}:{row.period_code}:"
                    f"{class_native.removeprefix('class:')}"
                )
                found = memo[row] = Lesson(
                    id=self._id(company, native),
                    school_id=school_id,
                    group_id=self._id(company, class_native),
                    staff_ids=tuple(teachers[c] for c in row.teacher_codes if c in teachers),
                    start=row.starts_at,
                    end=row.ends_at,
                    room=row.room,
                    period=str(row.period_code),
                    subject=row.subject_name or subjects.get(row.subject_code) or row.subject_code,
                    sources=self._ref(company, native),
                )
            out.append(found)
        return out

    async def attendance(
        self,
        company: str,
        start: date,
        end: date,
        student_ids: Collection[str] | None = None,
    ) -> Sequence[AttendanceMark]:
        # Every student's absences, one cached read per month, filtered here: the request
        # count does not grow with the number of students asked for.
        rows, bells = await asyncio.gather(
            self.client.absences(company, start, end), self.client.bell_times(company)
        )
        marks = self._lists.get(
            ("attendance", company, start, end),
            (rows, bells),
            lambda: self._attendance(company, rows, bells),
        )
        if student_ids is None:
            return marks
        wanted = student_ids if isinstance(student_ids, set | frozenset) else set(student_ids)
        return [m for m in marks if m.student_id in wanted]

    def _attendance(
        self, company: str, rows: Sequence[t.Absence], bells: Sequence[t.BellTime]
    ) -> Sequence[AttendanceMark]:
        starts = {(b.day_code, b.period_code): b.starts for b in bells}
        sessions: dict[tuple[str, date, Session], bool] = {}
        for row in rows:
            day_code = row.day_code if row.day_code is not None else row.date.isoweekday()
            begins = starts.get((day_code, row.period_code))
            session: Session = "PM" if begins is not None and begins >= _NOON else "AM"
            key = (row.student_code, row.date, session)
            sessions[key] = sessions.get(key, True) and row.acceptable is True
        school_id = self.school_id(company)
        out: list[AttendanceMark] = []
        for (student, day, session), accepted in sessions.items():
            native = f"{student}:{day.isoformat()}:{session}"
            out.append(
                AttendanceMark(
                    id=self._id(company, native),
                    school_id=school_id,
                    student_id=self._id(company, student),
                    date=day,
                    session=session,
                    code="AUTH" if accepted else "UNAUTH",
                    meaning="Authorised absence" if accepted else "Unauthorised absence",
                    present=False,
                    minutes_late=None,
                    sources=self._ref(company, native),
                )
            )
        return tuple(out)


def staff_native_id(row: t.Staff) -> str:
    """The native part of a staff member's domain id: employee code, else ``teacher:<code>``."""
    code = row.employee_code
    return code if code is not None else f"teacher:{row.teacher_code}"


def _class_native(company: str, class_id: str) -> str:
    """`TeachingClass.id` is ``"<company>:<year>:<sem>:<subject>:<year group>:<class>"``."""
    return f"class:{class_id.removeprefix(f'{company}:')}"
