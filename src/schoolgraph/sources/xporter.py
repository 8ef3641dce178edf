"""Xporter on Demand in the domain model: one `School` per configured estab.

The only code that knows both `upstreams.xporter` models and `domain`. Every list is mapped
once per connector list object (`memo.ListMemo`), and each row once per row object
(`memo.RowMemo`), so a warm read costs a lookup.

Readings (see `shared/upstreams/xporter.md` for the wire):

* Xporter's `Forename` is the preferred forename; `LegalForename` the legal one. The domain's
  `forename` is the legal one (falling back to `Forename`), `preferred_forename` Xporter's.
* A group's `year` is the year every one of its students is in (Xporter groups carry none);
  ``None`` for a group without students or with students of several years (houses).
* `SchoolInfo.Address` is one block of lines; the last two lines are read as town and
  postcode when there are at least three.
* A session mark is present when its code's physical meaning is `IN`, or when the code
  means an approved educational activity (DfE: counted as attendance, marked `OUT`).
* Staff are current and previous staff (leavers of this and last year), so a leaver who is
  still a Tanda user stays one person; `active` is false for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from functools import lru_cache
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
from schoolgraph.sources.memo import ListMemo, RowMemo
from schoolgraph.upstreams import xporter as x

__all__ = ["XporterSource"]

SYSTEM = System.XPORTER
_GROUP_TYPES: dict[str, GroupType] = {
    "year": GroupType.YEAR,
    "registration": GroupType.REGISTRATION,
    "house": GroupType.HOUSE,
    "teaching": GroupType.TEACHING,
}


class XporterSource:
    """The configured Xporter schools, read through one `XporterClient`."""

    def __init__(self, client: x.XporterClient) -> None:
        self.client = client
        self._lists = ListMemo()
        self._lessons: dict[str, RowMemo[x.Lesson, Lesson]] = {}
        self._marks: dict[str, RowMemo[x.AttendanceMark, AttendanceMark]] = {}

    @property
    def tenants(self) -> tuple[str, ...]:
        return self.client.estabs

    def school_id(self, estab: str) -> str:
        return entity_id(SYSTEM, estab)

    def _id(self, estab: str, native: str) -> str:
        return entity_id(SYSTEM, estab, native)

    def _ref(self, estab: str, native: str) -> tuple[SourceRef, ...]:
        return (SourceRef(SYSTEM, estab, native),)

    # -- school ---------------------------------------------------------------------------

    async def school(self, estab: str) -> School:
        info = await self.client.school_info(estab)
        return self._lists.get(("school", estab), (info,), lambda: self._school(estab, info))

    def _school(self, estab: str, info: x.SchoolInfo) -> School:
        lines = [line.strip() for line in (info.address or "").splitlines() if line.strip()]
        town = postcode = None
        if len(lines) >= 3:
            town, postcode = lines[-2], lines[-1]
            lines = lines[:-2]
        return School(
            id=self.school_id(estab),
            system=SYSTEM,
            tenant=estab,
            name=info.name,
            country="GB",  # Xporter on Demand serves UK schools (England and Wales)
            time_zone=self.client.time_zone(estab).key,
            urn=None,
            phase=info.phase,
            address=", ".join(lines) or None,
            town=town,
            postcode=postcode,
            phone=info.telephone,
            email=info.email,
            website=info.web,
            campuses=(),
            sources=self._ref(estab, info.estab),
        )

    # -- students -------------------------------------------------------------------------

    async def students(self, estab: str) -> Mapping[str, Student]:
        rows = await self.client.students(estab)
        return self._lists.get(("students", estab), (rows,), lambda: self._students(estab, rows))

    async def student(self, estab: str, native: str) -> Student | None:
        """One student read by id (the read a resolver without batching makes per student)."""
        row = await self.client.student(estab, native)
        if row is None:
            return None
        return self._student(estab, self.school_id(estab), self._id(estab, ""), row)

    def _students(self, estab: str, rows: Sequence[x.Student]) -> Mapping[str, Student]:
        school_id, prefix = self.school_id(estab), self._id(estab, "")
        out: dict[str, Student] = {}
        for row in rows:
            student = self._student(estab, school_id, prefix, row)
            out[student.id] = student
        return MappingProxyType(out)

    def _student(self, estab: str, school_id: str, prefix: str, row: x.Student) -> Student:
        """``prefix``: the ids' part before the native id (``self._id(estab, "")``), built
        once per list rather than once per row."""
        return Student(
            id=prefix + row.id,
            school_id=school_id,
            forename=row.legal_forename or row.forename or "",
            surname=row.legal_surname or row.surname or "",
            preferred_forename=row.forename,
            middle_names=row.middle_name,
            gender=row.gender,
            date_of_birth=row.date_of_birth,
            year=_year(row.year_code),
            upn=row.upn,
            email=row.email or row.idaas_email or row.home_email,
            admission_date=row.entry_date,
            leaving_date=row.leaving_date,
            campus=None,
            updated_at=row.last_updated,
            sources=self._ref(estab, row.id),
        )

    # -- staff ----------------------------------------------------------------------------

    async def staff_rows(self, estab: str) -> tuple[x.Staff, ...]:
        """Current and previous staff: the input of the identity merge."""
        return await self.client.staff(estab, include_previous=True)

    def staff(self, estab: str, rows: Sequence[x.Staff], today: date) -> tuple[Staff, ...]:
        """MIS staff as unmerged domain Staff (no Tanda side yet)."""
        return self._lists.get(
            ("staff", estab, today), (rows,), lambda: self._staff(estab, rows, today)
        )

    async def staff_member(self, estab: str, native: str, today: date) -> Staff | None:
        """One member of staff read by id, unmerged (the naive resolver's read)."""
        row = await self.client.staff_member(estab, native, include_previous=True)
        return None if row is None else self._staff_row(estab, row, today)

    def _staff(self, estab: str, rows: Sequence[x.Staff], today: date) -> tuple[Staff, ...]:
        return tuple(self._staff_row(estab, row, today) for row in rows)

    def _staff_row(self, estab: str, row: x.Staff, today: date) -> Staff:
        school_id = self.school_id(estab)
        zone = self.client.time_zone(estab).key
        left = row.employment_end is not None and row.employment_end < today
        forename = row.legal_forename or row.forename
        surname = row.legal_surname or row.surname
        return Staff(
            id=self._id(estab, row.id),
            school_id=school_id,
            tanda_user_id=None,
            title=row.title,
            forename=forename,
            surname=surname,
            display_name=row.display_name
            or " ".join(p for p in (row.forename, row.surname) if p)
            or row.id,
            email=row.work_email or row.idaas_email,
            staff_code=row.staff_code,
            payroll_number=row.payroll_number,
            job_title=row.roles[0] if row.roles else row.teacher_category,
            is_teacher=row.is_teacher,
            active=(row.status or "").lower() != "previous" and not left,
            leaving_date=row.employment_end,
            time_zone=zone,
            team_ids=(),
            match_rule=None,
            match_candidates=(),
            sources=self._ref(estab, row.id),
        )

    # -- groups ---------------------------------------------------------------------------

    async def groups(self, estab: str) -> Mapping[str, Group]:
        """The school's groups, out of the groups list narrowed to the columns a group is made
        of (`x.NarrowGroup`): the read a student's page makes too, so the two share it."""
        rows, students = await asyncio.gather(
            self.client.narrow_groups(estab), self.client.students(estab)
        )
        return self._lists.get(
            ("groups", estab), (rows, students), lambda: self._groups(estab, rows, students)
        )

    def _groups(
        self, estab: str, rows: Sequence[x.NarrowGroup], students: Sequence[x.Student]
    ) -> Mapping[str, Group]:
        school_id, prefix = self.school_id(estab), self._id(estab, "")
        years = self._years(("years", estab), students)
        out: dict[str, Group] = {}
        for row in rows:
            group = self._group(estab, school_id, prefix, row, years)
            out[group.id] = group
        return MappingProxyType(out)

    def _years(
        self, key: tuple[str, str], students: Sequence[x.Student] | Sequence[x.StudentYear]
    ) -> Mapping[str, int | None]:
        """Each student's year by native id, once per list object (memoized under ``key``:
        the full list and the narrowed one each have their own)."""
        return self._lists.get(
            key, (students,), lambda: {s.id: _year(s.year_code) for s in students}
        )

    def _group(
        self,
        estab: str,
        school_id: str,
        prefix: str,
        row: x.Group | x.NarrowGroup,
        years: Mapping[str, int | None],
    ) -> Group:
        """``prefix``: as `_student`'s. Members are mapped with `map` over bound methods, in C:
        a large school's groups hold ~44,000 memberships."""
        member_years = set(map(years.get, row.student_ids))
        year = member_years.pop() if len(member_years) == 1 else None
        add_prefix = prefix.__add__
        return Group(
            id=prefix + row.id,
            school_id=school_id,
            type=_GROUP_TYPES.get(row.type, GroupType.OTHER),
            code=row.code or row.name or row.id,
            name=row.name or row.code or row.id,
            year=year,
            subject=row.subject_name or row.subject_code,
            student_ids=tuple(map(add_prefix, row.student_ids)),
            staff_ids=tuple(map(add_prefix, row.staff_ids)),
            sources=self._ref(estab, row.id),
        )

    async def groups_of_student(self, estab: str, native: str) -> Sequence[Group]:
        """One student's groups (a student's page): out of the groups list narrowed to the
        columns a group is made of (`x.NarrowGroup`) and every student's year narrowed to
        one column (a group's year is its members'), two reads whatever the student's
        number of groups, shared by every student's page of the school."""
        rows, students = await asyncio.gather(
            self.client.narrow_groups(estab), self.client.student_years(estab)
        )
        school_id, prefix = self.school_id(estab), self._id(estab, "")
        years = self._years(("year_column", estab), students)
        # A scan of the member ids (~1 ms for a large school's 43,000): an index of them all
        # costs ~30 ms to build, on the event loop, for the one student asked about.
        return tuple(
            self._group(estab, school_id, prefix, g, years) for g in rows if native in g.student_ids
        )

    # -- contacts -------------------------------------------------------------------------

    async def contacts(self, estab: str) -> Mapping[str, Contact]:
        """The school's contacts, out of the contacts list narrowed to the columns a contact
        is made of (`x.NarrowContact`): the read a student's page makes too."""
        rows = await self.client.narrow_contacts(estab)
        return self._lists.get(("contacts", estab), (rows,), lambda: self._contacts(estab, rows))

    def _contacts(self, estab: str, rows: Sequence[x.NarrowContact]) -> Mapping[str, Contact]:
        school_id = self.school_id(estab)
        out: dict[str, Contact] = {}
        for row in rows:
            contact = self._contact(estab, school_id, row)
            out[contact.id] = contact
        return MappingProxyType(out)

    def _contact(self, estab: str, school_id: str, row: x.Contact | x.NarrowContact) -> Contact:
        return Contact(
            id=self._id(estab, row.id),
            school_id=school_id,
            title=row.title,
            forename=row.forename,
            surname=row.surname,
            email=row.home_email or row.work_email,
            mobile=row.mobile_phone,
            home_phone=row.home_phone,
            work_phone=row.work_phone,
            sources=self._ref(estab, row.id),
        )

    async def contacts_of_student(
        self, estab: str, native: str
    ) -> tuple[Sequence[StudentContact], Mapping[str, Contact]]:
        """One student's links to contacts and those contacts (a student's page): its
        ``StudentContacts/{id}``, and the contacts list narrowed to the columns a contact is
        made of (`x.NarrowContact`), at once: two reads whatever the student's number of
        contacts, the list shared by every student's page of the school."""
        links, rows = await asyncio.gather(
            self.client.contacts_of_student(estab, native), self.client.narrow_contacts(estab)
        )
        by_id = self._lists.get(("contact_rows", estab), (rows,), lambda: {r.id: r for r in rows})
        school_id = self.school_id(estab)
        mine = (by_id.get(i) for i in dict.fromkeys(link.contact_id for link in links))
        contacts = (self._contact(estab, school_id, row) for row in mine if row is not None)
        return self._student_contacts(estab, links), {c.id: c for c in contacts}

    async def student_contacts(self, estab: str) -> Sequence[StudentContact]:
        rows = await self.client.student_contacts(estab)
        return self._lists.get(
            ("student_contacts", estab), (rows,), lambda: self._student_contacts(estab, rows)
        )

    def _student_contacts(
        self, estab: str, rows: Sequence[x.StudentContact]
    ) -> Sequence[StudentContact]:
        prefix = self._id(estab, "")
        return tuple(
            StudentContact(
                student_id=prefix + row.student_id,
                contact_id=prefix + row.contact_id,
                relationship=row.relationship,
                priority=row.priority,
                parental_responsibility=row.parental_responsibility,
                lives_with=None,  # Xporter's StudentContacts carry no such column
            )
            for row in rows
        )

    # -- timetable and attendance ---------------------------------------------------------

    async def lessons(self, estab: str, start: date, end: date) -> Sequence[Lesson]:
        timetable = await self.client.timetable(estab, start, end)
        school_id = self.school_id(estab)
        memo = self._lessons.setdefault(estab, RowMemo())

        def convert(row: x.Lesson) -> Lesson:
            return self._lesson(estab, school_id, row, timetable.staff_ids(row))

        return memo.map(timetable.lessons, convert, timetable.staff_ids)

    def _lesson(
        self, estab: str, school_id: str, row: x.Lesson, staff_ids: Sequence[str]
    ) -> Lesson:
        rooms = ", ".join(row.room_codes)
        return Lesson(
            id=self._id(estab, row.id),
            school_id=school_id,
            group_id=self._id(estab, row.class_id) if row.class_id else None,
            staff_ids=tuple(self._id(estab, i) for i in staff_ids),
            start=row.starts_at,
            end=row.ends_at,
            room=rooms or None,
            period=row.period,
            subject=row.subject_name or row.subject_code,
            sources=self._ref(estab, row.id),
        )

    async def lessons_of_student(
        self, estab: str, native: str, start: date, end: date
    ) -> Sequence[Lesson]:
        """One student's lessons read by its id (a student's page): ``TimetableForStudent/
        {id}``. Its rows name their teachers by `StaffCodes` only (§4.7.3), so the staff list
        (the one the identity merge reads) says whose codes they are."""
        rows, staff = await asyncio.gather(
            self.client.timetable_for_student(estab, native, start, end),
            self.client.staff(estab, include_previous=True),
        )
        by_code = self._lists.get(("staff_codes", estab), (staff,), lambda: _staff_by_code(staff))
        school_id = self.school_id(estab)
        return [
            self._lesson(
                estab,
                school_id,
                row,
                sorted({by_code[code] for code in row.staff_codes if code in by_code}),
            )
            for row in rows
        ]

    def _only_student(self, estab: str, student_ids: Collection[str] | None) -> str | None:
        """The native id of the one student of this school asked for, if only one is."""
        if student_ids is None or len(student_ids) != 1:
            return None
        prefix = self._id(estab, "")
        (student_id,) = student_ids
        native = student_id.removeprefix(prefix)
        return native if native != student_id and native else None

    async def attendance(
        self,
        estab: str,
        start: date,
        end: date,
        student_ids: Collection[str] | None = None,
    ) -> Sequence[AttendanceMark]:
        # One cached read per week whatever the number of students asked for: of that one
        # student when there is one (a student's page; the school's week holds every mark
        # of every student, a hundred thousand rows at a large school), else of the school,
        # filtered here.
        only = self._only_student(estab, student_ids)
        marks, codes = await asyncio.gather(
            self.client.attendance(estab, start, end, student_id=only),
            self.client.attendance_codes(estab),
        )
        meanings = self._lists.get(("codes", estab), (codes,), lambda: _code_meanings(codes))
        school_id, prefix = self.school_id(estab), self._id(estab, "")
        memo = self._marks.setdefault(estab, RowMemo())

        def convert(row: x.AttendanceMark) -> AttendanceMark:
            meaning, present = meanings.get(row.mark, (None, False))
            session: Session = "PM" if (row.session or "").upper() == "PM" else "AM"
            return AttendanceMark(
                id=prefix + row.id,
                school_id=school_id,
                student_id=prefix + row.student_id,
                date=row.date,
                session=session,
                code=row.mark,
                meaning=meaning,
                present=present,
                minutes_late=row.minutes_late,
                sources=self._ref(estab, row.id),
            )

        session_marks = (m for m in marks if (m.type or "S").upper() == "S" and m.session)
        mapped = memo.map(session_marks, convert)
        if student_ids is None:
            return mapped
        wanted = student_ids if isinstance(student_ids, set | frozenset) else set(student_ids)
        return [m for m in mapped if m.student_id in wanted]


@lru_cache(maxsize=64)
def _year(code: str | None) -> int | None:
    """A national curriculum year from `StandardYearGroupCode`: "R" is 0, "N1"/"N2" nursery.

    Cached: a school's thousands of students share a dozen codes.
    """
    if code is None:
        return None
    text = code.strip().upper()
    if text.isdigit():
        return int(text)
    if text == "R":
        return 0
    if text in ("N1", "N2"):
        return int(text[1]) - 3  # nursery years before reception: N1 -2, N2 -1
    return None


def _staff_by_code(staff: Sequence[x.Staff]) -> Mapping[str, str]:
    """Staff ids by `StaffCode`; a current member of staff's code over a leaver's."""
    out: dict[str, str] = {}
    for row in sorted(staff, key=lambda r: (r.status or "").lower() == "previous"):
        if row.staff_code:
            out.setdefault(row.staff_code, row.id)
    return out


def _code_meanings(codes: Sequence[x.AttendanceCode]) -> dict[str, tuple[str | None, bool]]:
    out: dict[str, tuple[str | None, bool]] = {}
    for code in codes:
        meaning = code.meaning or code.short_meaning or code.description
        approved = "approved educational" in (meaning or "").lower()
        present = (code.physical_meaning or "").upper() == "IN" or approved
        out[code.mark] = (meaning, present)
    return out
