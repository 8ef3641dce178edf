"""``School``: an Xporter establishment or a TASS company, and what hangs off it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from schoolgraph import domain
from schoolgraph.domain import GroupType, System
from schoolgraph.errors import NotFoundError
from schoolgraph.graph.arguments import DEFAULT_PAGE_SIZE, After, First
from schoolgraph.graph.connections import Connection
from schoolgraph.graph.extensions.partial_errors import report_partial
from schoolgraph.graph.fields import field
from schoolgraph.graph.ids import decode_id_of, encode_global_id
from schoolgraph.graph.info import Info, loaders
from schoolgraph.graph.search import GROUP_SEARCH, STAFF_SEARCH, STUDENT_SEARCH
from schoolgraph.graph.types.node import Node
from schoolgraph.graph.types.source_ref import SourceRef, sources_field
from schoolgraph.loaders.outcomes import ALL

if TYPE_CHECKING:
    from schoolgraph.graph.types.group import Group
    from schoolgraph.graph.types.staff import Staff
    from schoolgraph.graph.types.student import Student

__all__ = ["School", "resolve_school", "resolve_schools"]


@strawberry.federation.type(
    keys=["id"], description="A school: an Xporter establishment or a TASS company."
)
class School(Node):
    row: strawberry.Private[domain.School]
    domain_id: str = strawberry.field(
        description='The stable composite id, "<system>:<tenant>" (e.g. "xporter:7109606").'
    )
    name: str
    system: System = strawberry.field(description="The MIS that holds the school's data.")
    tenant: str = strawberry.field(description="The Xporter estab id or the TASS company code.")
    country: str | None
    time_zone: str = strawberry.field(description="The IANA zone of the school's local times.")
    urn: str | None = strawberry.field(description="UK unique reference number.")
    phase: str | None
    address: str | None
    town: str | None
    postcode: str | None
    phone: str | None
    email: str | None
    website: str | None
    campuses: list[str]
    sources: list[SourceRef] = sources_field()

    @classmethod
    def of(cls, row: domain.School) -> School:
        return cls(
            row=row,
            id=strawberry.ID(encode_global_id("School", row.id)),
            domain_id=row.id,
            name=row.name,
            system=row.system,
            tenant=row.tenant,
            country=row.country,
            time_zone=row.time_zone,
            urn=row.urn,
            phase=row.phase,
            address=row.address,
            town=row.town,
            postcode=row.postcode,
            phone=row.phone,
            email=row.email,
            website=row.website,
            campuses=list(row.campuses),
        )

    @classmethod
    async def load_node(cls, info: Info, domain_id: str) -> School:
        """The school; a school exists exactly when it is configured (and in the caller's
        scope), so an id of any other is ``NOT_FOUND``, as every ``schoolId`` argument says.

        Raises:
            NotFoundError: the school is not configured, or not one the caller may see.
        """
        row = await loaders(info).school.load(domain_id)
        if row is None:
            # Word for word what the directory says when a read names such a school.
            raise NotFoundError(f"School '{domain_id}' is not a configured school.")
        return cls.of(row)

    @field(description="The school's students, filtered, a page at a time.")
    async def students(
        self,
        info: Info,
        group_id: strawberry.ID | None = None,
        year: int | None = None,
        search: Annotated[
            str | None, strawberry.argument(description=STUDENT_SEARCH.description)
        ] = None,
        updated_since: datetime | None = None,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[Annotated[Student, strawberry.lazy("schoolgraph.graph.types.student")]] | None:
        from schoolgraph.graph.types.student import student_connection

        return await student_connection(
            info,
            school_id=self.row.id,
            group_id=group_id,
            year=year,
            search=search,
            updated_since=updated_since,
            first=first,
            after=after,
        )

    @field(description="The school's staff (from its MIS), by surname.")
    async def staff(
        self,
        info: Info,
        search: Annotated[
            str | None, strawberry.argument(description=STAFF_SEARCH.description)
        ] = None,
        is_teacher: bool | None = None,
    ) -> list[Annotated[Staff, strawberry.lazy("schoolgraph.graph.types.staff")]] | None:
        from schoolgraph.graph.types.staff import Staff, find_staff

        rows = await find_staff(info, school_id=self.row.id, search=search, is_teacher=is_teacher)
        return [Staff.of(row) for row in rows]

    @field(description="The school's groups, by type then name.")
    async def groups(
        self,
        info: Info,
        type: GroupType | None = None,
        year: int | None = None,
        search: Annotated[
            str | None, strawberry.argument(description=GROUP_SEARCH.description)
        ] = None,
    ) -> list[Annotated[Group, strawberry.lazy("schoolgraph.graph.types.group")]] | None:
        from schoolgraph.graph.types.group import Group, find_groups

        rows = await find_groups(
            info, school_ids=[self.row.id], type=type, year=year, search=search, strict=True
        )
        return [Group.of(row) for row in rows]


async def resolve_schools(info: Info) -> list[School]:
    schools = await loaders(info).all_schools.load(ALL)
    report_partial(info, schools.errors)
    return [School.of(row) for row in sorted(schools.value, key=lambda row: (row.name, row.id))]


async def resolve_school(
    info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A School id.")]
) -> School | None:
    return await School.load_node(info, decode_id_of("School", id))
