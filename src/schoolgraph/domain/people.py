"""People: students, (merged) staff, contacts, and who is whose contact."""

from __future__ import annotations

from datetime import date, datetime

from msgspec import Struct

from schoolgraph.domain.refs import SourceRef

__all__ = ["Contact", "Staff", "Student", "StudentContact"]


class Student(Struct, frozen=True, gc=False):
    """A student on a school's roll (or a leaver still listed)."""

    id: str
    school_id: str
    forename: str
    surname: str
    preferred_forename: str | None
    middle_names: str | None
    gender: str | None
    date_of_birth: date | None
    year: int | None
    upn: str | None
    email: str | None
    admission_date: date | None
    leaving_date: date | None
    campus: str | None
    updated_at: datetime | None
    sources: tuple[SourceRef, ...]


class Staff(Struct, frozen=True, gc=False):
    """One person: a school MIS staff member, a Tanda user, or both merged.

    Attributes:
        id: The MIS record's id when there is one, else the Tanda user's.
        school_id: The MIS school, ``None`` for a Tanda-only worker.
        tanda_user_id: The Tanda user's domain id, ``None`` when the person has none.
        active: From the MIS when the person has an MIS record, else from Tanda.
        time_zone: The Tanda user's time zone, else the school's.
        team_ids: Tanda team ids (domain ids) the person belongs to.
        match_rule: How the Tanda user was matched (``"employee_id=staff_code"``,
            ``"email"``...), ``None`` when not merged.
        match_candidates: Staff ids of the ambiguous candidates that kept this person split.
        sources: The MIS record's ref first (when any), then the Tanda user's with
            ``matched_by`` set on a merge.
    """

    id: str
    school_id: str | None
    tanda_user_id: str | None
    title: str | None
    forename: str | None
    surname: str | None
    display_name: str
    email: str | None
    staff_code: str | None
    payroll_number: str | None
    job_title: str | None
    is_teacher: bool | None
    active: bool
    leaving_date: date | None
    time_zone: str | None
    team_ids: tuple[str, ...]
    match_rule: str | None
    match_candidates: tuple[str, ...]
    sources: tuple[SourceRef, ...]


class Contact(Struct, frozen=True, gc=False):
    """A parent, carer or other contact of students at one school."""

    id: str
    school_id: str
    title: str | None
    forename: str | None
    surname: str | None
    email: str | None
    mobile: str | None
    home_phone: str | None
    work_phone: str | None
    sources: tuple[SourceRef, ...]


class StudentContact(Struct, frozen=True, gc=False):
    """The link between a student and one of their contacts (lower priority = called first)."""

    student_id: str
    contact_id: str
    relationship: str | None
    priority: int | None
    parental_responsibility: bool | None
    lives_with: bool | None
