"""Groups of students: year, registration (tutor), house, teaching (class) groups."""

from __future__ import annotations

from enum import StrEnum

from msgspec import Struct

from schoolgraph.domain.refs import SourceRef

__all__ = ["Group", "GroupType"]


class GroupType(StrEnum):
    """What a group is for."""

    YEAR = "YEAR"
    REGISTRATION = "REGISTRATION"
    HOUSE = "HOUSE"
    TEACHING = "TEACHING"
    OTHER = "OTHER"


class Group(Struct, frozen=True, gc=False):
    """A group of students with the staff who lead or teach it.

    Attributes:
        student_ids: Student ids of the current members.
        staff_ids: Merged Staff ids of the group's tutors or teachers.
    """

    id: str
    school_id: str
    type: GroupType
    code: str
    name: str
    year: int | None
    subject: str | None
    student_ids: tuple[str, ...]
    staff_ids: tuple[str, ...]
    sources: tuple[SourceRef, ...]
