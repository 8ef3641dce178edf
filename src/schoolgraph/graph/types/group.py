"""``Group``: a year, registration (tutor), house or teaching group, and its members."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import strawberry

from schoolgraph import domain
from schoolgraph.domain import GroupType
from schoolgraph.errors import SchoolgraphError
from schoolgraph.graph.arguments import (
    DEFAULT_PAGE_SIZE,
    After,
    First,
    From,
    To,
    date_window,
)
from schoolgraph.graph.connections import Connection, SortedRows, SortKey, check_page, paginate
from schoolgraph.graph.extensions.partial_errors import report_partial
from schoolgraph.graph.fields import field
from schoolgraph.graph.ids import decode_id_of, encode_global_id
from schoolgraph.graph.info import Info, loaders
from schoolgraph.graph.loading import load_keyed, load_rows
from schoolgraph.graph.search import GROUP_SEARCH, matches, search_terms
from schoolgraph.graph.turns import take_turn
from schoolgraph.graph.types.node import Node
from schoolgraph.graph.types.source_ref import SourceRef, sources_field
from schoolgraph.loaders import SchoolWindow
from schoolgraph.loaders.people import students_of

if TYPE_CHECKING:
    from schoolgraph.graph.types.lesson import Lesson
    from schoolgraph.graph.types.school import School
    from schoolgraph.graph.types.staff import Staff
    from schoolgraph.graph.types.student import Student

__all__ = ["Group", "find_groups", "group_sort_key", "resolve_groups"]

strawberry.enum(GroupType, description="What a group is for.")


@strawberry.federation.type(
    keys=["id"], description="A group of students and the staff who lead or teach it."
)
class Group(Node):
    row: strawberry.Private[domain.Group]
    domain_id: str = strawberry.field(
        description='The stable composite id, "<system>:<tenant>:<MIS id>".'
    )
    type: GroupType
    code: str
    name: str
    year: int | None = strawberry.field(description="The year group it belongs to, if any.")
    subject: str | None = strawberry.field(description="A teaching group's subject.")
    student_count: int = strawberry.field(description="How many students are in the group.")
    sources: list[SourceRef] = sources_field()

    @classmethod
    def of(cls, row: domain.Group) -> Group:
        return cls(
            row=row,
            id=strawberry.ID(encode_global_id("Group", row.id)),
            domain_id=row.id,
            type=row.type,
            code=row.code,
            name=row.name,
            year=row.year,
            subject=row.subject,
            student_count=len(row.student_ids),
        )

    @classmethod
    async def load_node(cls, info: Info, domain_id: str) -> Group | None:
        row = await loaders(info).group.load(domain_id)
        return None if row is None else cls.of(row)

    @field(description="The group's school.")
    async def school(
        self, info: Info
    ) -> Annotated[School, strawberry.lazy("schoolgraph.graph.types.school")] | None:
        from schoolgraph.graph.types.school import School

        return await School.load_node(info, self.row.school_id)

    @field(description="The group's students, by surname.")
    async def students(
        self, info: Info
    ) -> list[Annotated[Student, strawberry.lazy("schoolgraph.graph.types.student")]] | None:
        from schoolgraph.graph.types.student import Student, student_sort_key

        # The members are the group's school's students: one read of that school, indexed
        # here, rather than a loader key per student.
        try:
            students = await students_of(loaders(info), self.row.school_id, self.row.student_ids)
        except SchoolgraphError as error:
            report_partial(info, [error])  # as for any row whose upstream failed: left out
            return []
        # Every group of the school wakes on the same read: one at a time, answers between.
        await take_turn()
        rows = [row for i in dict.fromkeys(self.row.student_ids) if (row := students.get(i))]
        return [Student.of(row) for row in sorted(rows, key=student_sort_key)]

    @field(description="The group's tutors or teachers, lead first.")
    async def staff(
        self, info: Info
    ) -> list[Annotated[Staff, strawberry.lazy("schoolgraph.graph.types.staff")]] | None:
        from schoolgraph.graph.types.staff import Staff

        rows = await load_rows(info, loaders(info).staff, self.row.staff_ids)
        return [Staff.of(row) for row in rows]

    @field(description="The group's lessons from `from` to `to`, in time order.")
    async def lessons(
        self,
        info: Info,
        from_: From,
        to: To,
    ) -> list[Annotated[Lesson, strawberry.lazy("schoolgraph.graph.types.lesson")]] | None:
        from schoolgraph.graph.types.lesson import Lesson

        window = date_window(from_, to)
        timetable = await loaders(info).lessons.load(
            SchoolWindow(self.row.school_id, window.start, window.end)
        )
        return [Lesson.of(lesson) for lesson in timetable.by_group.get(self.row.id, ())]


_TYPE_ORDER = {group_type: str(n) for n, group_type in enumerate(GroupType)}


def group_sort_key(row: domain.Group) -> SortKey:
    return (_TYPE_ORDER[row.type], row.name.casefold(), row.id)


_BY_TYPE_AND_NAME: SortedRows[domain.Group] = SortedRows(group_sort_key)


async def find_groups(
    info: Info,
    *,
    school_ids: Sequence[str],
    type: GroupType | None = None,
    year: int | None = None,
    search: str | None = None,
    strict: bool,
) -> list[domain.Group]:
    """The groups of ``school_ids`` that pass every filter given, by type then name.

    A school whose MIS cannot be read fails the field when ``strict`` (the client named it),
    else is left out with its error reported against the field.
    """
    terms = search_terms(search)
    searched = GROUP_SEARCH.values_for(info.context.caller)
    by_school = await load_keyed(info, loaders(info).groups_by_school, school_ids, strict=strict)
    return [
        row
        for _, row in _BY_TYPE_AND_NAME.of(
            list(by_school), [index.by_id for index in by_school.values()]
        )
        if (type is None or row.type is type)
        and (year is None or row.year == year)
        and matches(terms, *searched(row))
    ]


async def resolve_groups(
    info: Info,
    school_id: Annotated[
        strawberry.ID | None, strawberry.argument(description="Only this school's groups.")
    ] = None,
    type: Annotated[GroupType | None, strawberry.argument(description="Only this type.")] = None,
    year: Annotated[int | None, strawberry.argument(description="Only this year group.")] = None,
    search: Annotated[str | None, strawberry.argument(description=GROUP_SEARCH.description)] = None,
    first: First = DEFAULT_PAGE_SIZE,
    after: After = None,
) -> Connection[Group] | None:
    check_page("Group", first, after)
    search_terms(search)
    if school_id is not None:
        school_ids: Sequence[str] = [decode_id_of("School", school_id, field="schoolId")]
    else:
        # From configuration, as for students: no school's groups wait for another
        # upstream's school details.
        school_ids = info.context.directory.school_ids()
    rows = await find_groups(
        info,
        school_ids=school_ids,
        type=type,
        year=year,
        search=search,
        strict=school_id is not None,
    )
    return paginate(rows, kind="Group", key=group_sort_key, node=Group.of, first=first, after=after)
