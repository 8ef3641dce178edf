"""``Contact`` (a parent or carer) and ``StudentContact``, the link that says how they relate."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated

import strawberry

from schoolgraph import domain
from schoolgraph.graph.fields import field
from schoolgraph.graph.ids import encode_global_id
from schoolgraph.graph.info import Info, loaders
from schoolgraph.graph.types.node import Node
from schoolgraph.graph.types.source_ref import SourceRef, sources_field
from schoolgraph.loaders.people import SchoolContacts, school_of

if TYPE_CHECKING:
    from schoolgraph.graph.types.school import School
    from schoolgraph.graph.types.student import Student

__all__ = ["Contact", "StudentContact"]


@strawberry.federation.type(
    keys=["id"], description="A parent, carer or other contact of students at one school."
)
class Contact(Node):
    row: strawberry.Private[domain.Contact]
    domain_id: str = strawberry.field(
        description='The stable composite id, "<system>:<tenant>:<MIS id>".'
    )
    title: str | None
    forename: str | None
    surname: str | None
    email: str | None
    mobile: str | None
    home_phone: str | None
    work_phone: str | None
    sources: list[SourceRef] = sources_field()

    @classmethod
    def of(cls, row: domain.Contact) -> Contact:
        return cls(
            row=row,
            id=strawberry.ID(encode_global_id("Contact", row.id)),
            domain_id=row.id,
            title=row.title,
            forename=row.forename,
            surname=row.surname,
            email=row.email,
            mobile=row.mobile,
            home_phone=row.home_phone,
            work_phone=row.work_phone,
        )

    @classmethod
    async def load_node(cls, info: Info, domain_id: str) -> Contact | None:
        index = await loaders(info).contacts_by_school.load(school_of(domain_id))
        row = index.by_id.get(domain_id)
        return None if row is None else cls.of(row)

    @field(description="The contact's school.")
    async def school(
        self, info: Info
    ) -> Annotated[School, strawberry.lazy("schoolgraph.graph.types.school")] | None:
        from schoolgraph.graph.types.school import School

        return await School.load_node(info, self.row.school_id)

    @field(description="The students this is a contact of, and how.")
    async def students(self, info: Info) -> list[StudentContact] | None:
        index = await loaders(info).contacts_by_school.load(self.row.school_id)
        return StudentContact.list_of(index.by_contact.get(self.row.id, ()), index)


@strawberry.type(description="How a contact relates to a student.")
class StudentContact:
    row: strawberry.Private[domain.StudentContact]
    contact: Contact | None = strawberry.field(
        description="The contact; null when the MIS lists the link but not the contact."
    )
    relationship: str | None = strawberry.field(description='"Mother", "Carer", ...')
    priority: int | None = strawberry.field(description="1 is called first.")
    parental_responsibility: bool | None
    lives_with: bool | None = strawberry.field(description="Whether the student lives with them.")

    @classmethod
    def list_of(
        cls, links: Iterable[domain.StudentContact], index: SchoolContacts
    ) -> list[StudentContact]:
        """The links, first to call first, each with its contact from ``index``."""
        ordered = sorted(
            links,
            key=lambda link: (
                link.priority if link.priority is not None else 1_000_000,
                link.contact_id,
                link.student_id,
            ),
        )
        return [
            cls(
                row=link,
                contact=Contact.of(index.by_id[link.contact_id])
                if link.contact_id in index.by_id
                else None,
                relationship=link.relationship,
                priority=link.priority,
                parental_responsibility=link.parental_responsibility,
                lives_with=link.lives_with,
            )
            for link in ordered
        ]

    @field(description="The student.")
    async def student(
        self, info: Info
    ) -> Annotated[Student, strawberry.lazy("schoolgraph.graph.types.student")] | None:
        from schoolgraph.graph.types.student import Student

        return await Student.load_node(info, self.row.student_id)
