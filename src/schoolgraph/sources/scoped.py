"""``ScopedDirectory``: the directory as one API account sees it, limited to its schools.

Built per request for a caller who may see only some schools, it answers exactly as the
directory would if the gateway were configured with those schools alone:

- ``schools()`` lists only them; another school is "not a configured school" for every read
  that names it, so an entity of another school, asked for by id, is as absent as one of a
  school that does not exist;
- ``staff()`` keeps the people of those schools, and Tanda-only workers when the caller sees
  the workforce side;
- without the workforce side, every Tanda read answers as if Tanda were not configured
  (nothing), and writes are refused the same way.

Errors of partial reads are kept only for the upstreams the caller has schools in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from schoolgraph.accounts.models import TANDA_SCOPE, Caller
from schoolgraph.domain import (
    AttendanceMark,
    Contact,
    Group,
    LeaveRequest,
    Lesson,
    Location,
    Partial,
    Roster,
    ScheduledShift,
    School,
    Shift,
    Staff,
    Student,
    StudentContact,
    System,
    Team,
    Timesheet,
)
from schoolgraph.errors import BadRequestError, NotFoundError, SchoolgraphError
from schoolgraph.sources.directory import Directory, id_prefix

__all__ = ["ScopedDirectory", "scoped_directory"]


def scoped_directory(directory: Directory, caller: Caller) -> Directory:
    """``directory`` as ``caller`` may see it: itself for a caller who sees every school."""
    if caller.schools is None:
        return directory
    return ScopedDirectory(
        directory,
        schools=caller.schools - {TANDA_SCOPE},
        workforce=TANDA_SCOPE in caller.schools,
    )


class ScopedDirectory(Directory):
    """``inner`` limited to ``schools`` (School domain ids), and to Tanda when ``workforce``.

    It does not run :class:`Directory`'s constructor: every public method is overridden to
    check the scope and then ask ``inner`` (a test checks that none is left out).
    """

    def __init__(self, inner: Directory, *, schools: frozenset[str], workforce: bool) -> None:
        self.inner = inner
        self.schools_in_scope = schools
        self.workforce = workforce
        self.tanda_client = inner.tanda_client if workforce else None
        self.xporter_client = inner.xporter_client
        self.tass_client = inner.tass_client
        systems = {school_id.partition(":")[0] for school_id in schools}
        if workforce:
            systems.add(System.TANDA.value)
        self._systems = frozenset(systems)

    def __repr__(self) -> str:
        return (
            f"ScopedDirectory(schools={sorted(self.schools_in_scope)}, workforce={self.workforce})"
        )

    def _errors(self, errors: Sequence[SchoolgraphError]) -> tuple[SchoolgraphError, ...]:
        return tuple(error for error in errors if error.upstream in self._systems)

    def _check(self, school_id: str) -> None:
        if school_id not in self.schools_in_scope:
            # Word for word what Directory says of a school it does not read.
            raise NotFoundError(f"School '{school_id}' is not a configured school.")

    def _visible(self, staff: Staff) -> bool:
        if staff.school_id is not None:
            return staff.school_id in self.schools_in_scope
        return self.workforce

    def _writable(self) -> None:
        if not self.workforce:
            raise BadRequestError("Tanda is not configured, so shifts cannot be changed.")

    # -- health and schools ---------------------------------------------------------------

    async def readiness(self) -> Mapping[str, str]:
        return await self.inner.readiness()

    async def schools(self) -> Partial[Sequence[School]]:
        found = await self.inner.schools()
        mine = tuple(school for school in found.value if school.id in self.schools_in_scope)
        return Partial(mine, self._errors(found.errors))

    def school_ids(self) -> tuple[str, ...]:
        return tuple(id_ for id_ in self.inner.school_ids() if id_ in self.schools_in_scope)

    async def school(self, school_id: str) -> School | None:
        if school_id not in self.schools_in_scope:
            return None
        return await self.inner.school(school_id)

    # -- students, groups, contacts -------------------------------------------------------

    async def students(self, school_id: str) -> Mapping[str, Student]:
        self._check(school_id)
        return await self.inner.students(school_id)

    async def student(self, student_id: str) -> Student | None:
        self._check(id_prefix(student_id))
        return await self.inner.student(student_id)

    async def groups(self, school_id: str) -> Mapping[str, Group]:
        self._check(school_id)
        return await self.inner.groups(school_id)

    async def contacts(self, school_id: str) -> Mapping[str, Contact]:
        self._check(school_id)
        return await self.inner.contacts(school_id)

    async def student_contacts(self, school_id: str) -> Sequence[StudentContact]:
        self._check(school_id)
        return await self.inner.student_contacts(school_id)

    async def lessons(self, school_id: str, start: date, end: date) -> Sequence[Lesson]:
        self._check(school_id)
        return await self.inner.lessons(school_id, start, end)

    async def groups_of_student(self, student_id: str) -> Sequence[Group]:
        self._check(id_prefix(student_id))
        return await self.inner.groups_of_student(student_id)

    async def contacts_of_student(
        self, student_id: str
    ) -> tuple[Sequence[StudentContact], Mapping[str, Contact]]:
        self._check(id_prefix(student_id))
        return await self.inner.contacts_of_student(student_id)

    async def lessons_of_student(self, student_id: str, start: date, end: date) -> Sequence[Lesson]:
        self._check(id_prefix(student_id))
        return await self.inner.lessons_of_student(student_id, start, end)

    async def attendance(
        self,
        school_id: str,
        start: date,
        end: date,
        student_ids: Collection[str] | None = None,
    ) -> Sequence[AttendanceMark]:
        self._check(school_id)
        return await self.inner.attendance(school_id, start, end, student_ids)

    # -- staff ----------------------------------------------------------------------------

    async def staff(self) -> Partial[Mapping[str, Staff]]:
        everyone = await self.inner.staff()
        mine = {key: row for key, row in everyone.value.items() if self._visible(row)}
        return Partial(mine, self._errors(everyone.errors))

    async def staff_member(self, staff_id: str) -> Staff | None:
        person = await self.inner.staff_member(staff_id)
        return person if person is not None and self._visible(person) else None

    # -- the workforce side (Tanda): as if Tanda were not configured, out of scope --------

    async def teams(self) -> Mapping[str, Team]:
        return await self.inner.teams() if self.workforce else {}

    async def locations(self) -> Mapping[str, Location]:
        return await self.inner.locations() if self.workforce else {}

    async def rosters(self, start: date, end: date) -> Sequence[Roster]:
        return await self.inner.rosters(start, end) if self.workforce else []

    async def roster(self, roster_id: str) -> Roster | None:
        return await self.inner.roster(roster_id) if self.workforce else None

    async def current_roster(self) -> Roster | None:
        return await self.inner.current_roster() if self.workforce else None

    async def scheduled_shifts(
        self, staff_ids: Collection[str] | None, start: date, end: date
    ) -> Sequence[ScheduledShift]:
        if not self.workforce:
            return []
        return await self.inner.scheduled_shifts(staff_ids, start, end)

    async def scheduled_shifts_by_ids(self, ids: Collection[str]) -> Mapping[str, ScheduledShift]:
        return await self.inner.scheduled_shifts_by_ids(ids) if self.workforce else {}

    async def shifts(
        self, staff_ids: Collection[str] | None, start: date, end: date
    ) -> Sequence[Shift]:
        return await self.inner.shifts(staff_ids, start, end) if self.workforce else []

    async def shifts_by_ids(self, ids: Collection[str]) -> Mapping[str, Shift]:
        return await self.inner.shifts_by_ids(ids) if self.workforce else {}

    async def timesheets(self, staff_ids: Collection[str] | None, on: date) -> Sequence[Timesheet]:
        return await self.inner.timesheets(staff_ids, on) if self.workforce else []

    async def leave_requests(
        self, staff_ids: Collection[str] | None, start: date, end: date
    ) -> Sequence[LeaveRequest]:
        if not self.workforce:
            return []
        return await self.inner.leave_requests(staff_ids, start, end)

    # -- writes (Tanda) -------------------------------------------------------------------

    async def create_shift(
        self,
        staff_id: str,
        date: date,
        start: datetime,
        finish: datetime | None,
        team_id: str | None = None,
        break_minutes: int | None = None,
    ) -> Shift:
        self._writable()
        return await self.inner.create_shift(
            staff_id, date, start, finish, team_id=team_id, break_minutes=break_minutes
        )

    async def update_shift(self, shift_id: str, **changes: Any) -> Shift:
        self._writable()
        return await self.inner.update_shift(shift_id, **changes)

    async def approve_shifts(self, ids: Collection[str]) -> Sequence[Shift]:
        self._writable()
        return await self.inner.approve_shifts(ids)

    async def delete_shift(self, shift_id: str) -> None:
        self._writable()
        await self.inner.delete_shift(shift_id)

    async def create_scheduled_shift(
        self,
        staff_id: str | None,
        start: datetime,
        finish: datetime,
        team_id: str | None = None,
        break_minutes: int | None = None,
    ) -> ScheduledShift:
        self._writable()
        return await self.inner.create_scheduled_shift(
            staff_id, start, finish, team_id=team_id, break_minutes=break_minutes
        )

    async def update_scheduled_shift(
        self, scheduled_shift_id: str, **changes: Any
    ) -> ScheduledShift:
        self._writable()
        return await self.inner.update_scheduled_shift(scheduled_shift_id, **changes)

    async def publish_scheduled_shifts(self, ids: Collection[str]) -> Sequence[ScheduledShift]:
        self._writable()
        return await self.inner.publish_scheduled_shifts(ids)
