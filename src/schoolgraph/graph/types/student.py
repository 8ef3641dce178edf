"""``Student``, the ``students`` connection, and a student's groups, contacts and days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from schoolgraph import domain
from schoolgraph.domain import GroupType
from schoolgraph.graph.arguments import (
    DEFAULT_PAGE_SIZE,
    After,
    First,
    From,
    To,
    date_window,
)
from schoolgraph.graph.connections import (
    Connection,
    Keyed,
    SortedRows,
    SortKey,
    check_page,
    paginate_sorted,
)
from schoolgraph.graph.fields import field
from schoolgraph.graph.ids import decode_id_of, encode_global_id
from schoolgraph.graph.info import Info, loaders
from schoolgraph.graph.loading import load_keyed
from schoolgraph.graph.look_ahead import look_ahead_student
from schoolgraph.graph.search import STUDENT_SEARCH, matches, search_terms
from schoolgraph.graph.types.node import Node
from schoolgraph.graph.types.source_ref import SourceRef, sources_field
from schoolgraph.loaders import AttendanceKey
from schoolgraph.loaders.people import school_of
from schoolgraph.loaders.student_page import StudentWindow

if TYPE_CHECKING:
    from schoolgraph.graph.types.attendance import AttendanceMark
    from schoolgraph.graph.types.contact import StudentContact
    from schoolgraph.graph.types.group import Group
    from schoolgraph.graph.types.lesson import Lesson
    from schoolgraph.graph.types.school import School

__all__ = ["Student", "find_students", "resolve_students", "student_connection", "student_sort_key"]


@strawberry.federation.type(keys=["id"], description="A student on a school's roll.")
class Student(Node):
    row: strawberry.Private[domain.Student]
    domain_id: str = strawberry.field(
        description='The stable composite id, "<system>:<tenant>:<MIS id>".'
    )
    forename: str
    surname: str
    preferred_forename: str | None
    middle_names: str | None
    gender: str | None
    date_of_birth: date | None
    year: int | None = strawberry.field(description="National curriculum year or year level.")
    upn: str | None = strawberry.field(description="UK unique pupil number.")
    email: str | None
    admission_date: date | None
    leaving_date: date | None
    campus: str | None
    updated_at: datetime | None = strawberry.field(
        description="When the MIS last changed the record, where it says."
    )
    sources: list[SourceRef] = sources_field()
    # A value, not a resolver: a method field costs a resolver call per student of a list.
    display_name: str = strawberry.field(
        description="Preferred forename (or forename) and surname."
    )

    @classmethod
    def of(cls, row: domain.Student) -> Student:
        return cls(
            row=row,
            id=strawberry.ID(encode_global_id("Student", row.id)),
            domain_id=row.id,
            forename=row.forename,
            surname=row.surname,
            preferred_forename=row.preferred_forename,
            middle_names=row.middle_names,
            gender=row.gender,
            date_of_birth=row.date_of_birth,
            year=row.year,
            upn=row.upn,
            email=row.email,
            admission_date=row.admission_date,
            leaving_date=row.leaving_date,
            campus=row.campus,
            updated_at=row.updated_at,
            display_name=f"{row.preferred_forename or row.forename} {row.surname}",
        )

    @classmethod
    async def load_node(cls, info: Info, domain_id: str) -> Student | None:
        look_ahead_student(info, domain_id)  # its fields' reads beside its own
        row = await loaders(info).student.load(domain_id)
        return None if row is None else cls.of(row)

    @field(description="The student's school.")
    async def school(
        self, info: Info
    ) -> Annotated[School, strawberry.lazy("schoolgraph.graph.types.school")] | None:
        from schoolgraph.graph.types.school import School

        return await School.load_node(info, self.row.school_id)

    @field(description="The groups the student is in, by type then name.")
    async def groups(
        self, info: Info, type: GroupType | None = None
    ) -> list[Annotated[Group, strawberry.lazy("schoolgraph.graph.types.group")]] | None:
        from schoolgraph.graph.types.group import Group, group_sort_key

        groups = await loaders(info).student_groups.load(self.row.id)
        rows = [row for row in groups if type is None or row.type is type]
        return [Group.of(row) for row in sorted(rows, key=group_sort_key)]

    @field(description="The student's contacts, first to call first.")
    async def contacts(
        self, info: Info
    ) -> list[Annotated[StudentContact, strawberry.lazy("schoolgraph.graph.types.contact")]] | None:
        from schoolgraph.graph.types.contact import StudentContact

        index = await loaders(info).student_contacts.load(self.row.id)
        return StudentContact.list_of(index.by_student.get(self.row.id, ()), index)

    @field(description="Attendance marks from `from` to `to`, by day and session.")
    async def attendance(
        self, info: Info, from_: From, to: To
    ) -> (
        list[Annotated[AttendanceMark, strawberry.lazy("schoolgraph.graph.types.attendance")]]
        | None
    ):
        from schoolgraph.graph.types.attendance import AttendanceMark

        window = date_window(from_, to)
        marks = await loaders(info).attendance.load(
            AttendanceKey(self.row.school_id, self.row.id, window.start, window.end)
        )
        ordered = sorted(marks, key=lambda mark: (mark.date, mark.session, mark.id))
        return [AttendanceMark.of(mark) for mark in ordered]

    @field(description="The lessons of the student's groups from `from` to `to`.")
    async def timetable(
        self, info: Info, from_: From, to: To
    ) -> list[Annotated[Lesson, strawberry.lazy("schoolgraph.graph.types.lesson")]] | None:
        from schoolgraph.graph.types.lesson import Lesson

        window = date_window(from_, to)
        lessons = await loaders(info).student_lessons.load(
            StudentWindow(self.row.id, window.start, window.end)
        )
        return [Lesson.of(lesson) for lesson in lessons]


def student_sort_key(row: domain.Student) -> SortKey:
    return (row.surname.casefold(), row.forename.casefold(), row.id)


_BY_NAME: SortedRows[domain.Student] = SortedRows(student_sort_key)


async def find_students(
    info: Info,
    *,
    school_ids: Sequence[str],
    group_id: strawberry.ID | None = None,
    year: int | None = None,
    search: str | None = None,
    updated_since: datetime | None = None,
    strict: bool,
) -> Keyed[domain.Student]:
    """The students of ``school_ids`` that pass every filter given, by surname, with their
    sort keys.

    A school whose MIS cannot be read fails the field when ``strict`` (the client named it),
    else is left out with its error reported against the field.
    """
    terms = search_terms(search)
    members: set[str] | None = None
    if group_id is not None:
        group_domain_id = decode_id_of("Group", group_id, field="groupId")
        school_ids = [
            school_id for school_id in school_ids if school_id == school_of(group_domain_id)
        ]
        group = await loaders(info).group.load(group_domain_id)
        members = set(group.student_ids) if group is not None else set()
    by_school = await load_keyed(info, loaders(info).students_by_school, school_ids, strict=strict)
    keyed = _BY_NAME.of(list(by_school), list(by_school.values()))
    if members is None and year is None and updated_since is None and not terms:
        return keyed
    searched = STUDENT_SEARCH.values_for(info.context.caller)
    return [
        (key, row)
        for key, row in keyed
        if (members is None or row.id in members)
        and (year is None or row.year == year)
        and (
            updated_since is None
            or (row.updated_at is not None and row.updated_at >= updated_since)
        )
        and matches(terms, *searched(row))
    ]


async def student_connection(
    info: Info,
    *,
    school_id: str | None,
    group_id: strawberry.ID | None,
    year: int | None,
    search: str | None,
    updated_since: datetime | None,
    first: int | None,
    after: str | None,
) -> Connection[Student]:
    """The ``students`` connection of one school, or of every school when ``school_id`` is None."""
    # Bad input costs no upstream request.
    check_page("Student", first, after)
    search_terms(search)
    if group_id is not None:
        decode_id_of("Group", group_id, field="groupId")
    # Every school from configuration, not from a read of every school's details: a slow
    # upstream's SchoolInfo must not hold up the other schools' students.
    school_ids = [school_id] if school_id is not None else info.context.directory.school_ids()
    rows = await find_students(
        info,
        school_ids=school_ids,
        group_id=group_id,
        year=year,
        search=search,
        updated_since=updated_since,
        strict=school_id is not None,
    )
    return paginate_sorted(rows, kind="Student", node=Student.of, first=first, after=after)


async def resolve_students(
    info: Info,
    school_id: Annotated[
        strawberry.ID | None, strawberry.argument(description="Only this school's students.")
    ] = None,
    group_id: Annotated[
        strawberry.ID | None, strawberry.argument(description="Only this group's members.")
    ] = None,
    year: Annotated[int | None, strawberry.argument(description="Only this year group.")] = None,
    search: Annotated[
        str | None, strawberry.argument(description=STUDENT_SEARCH.description)
    ] = None,
    updated_since: Annotated[
        datetime | None, strawberry.argument(description="Only records changed since then.")
    ] = None,
    first: First = DEFAULT_PAGE_SIZE,
    after: After = None,
) -> Connection[Student] | None:
    return await student_connection(
        info,
        school_id=decode_id_of("School", school_id, field="schoolId")
        if school_id is not None
        else None,
        group_id=group_id,
        year=year,
        search=search,
        updated_since=updated_since,
        first=first,
        after=after,
    )
