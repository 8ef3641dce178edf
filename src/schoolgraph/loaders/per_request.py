"""``Loaders``: the dataloaders of one GraphQL request, and ``make_loaders(directory)``.

A fresh set per request: a loader's memo answers repeated keys within the request and is
gone after it, so one user's answers never serve another's. Cross-request caching is the
connectors' business, below the Directory.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Hashable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar, cast

from aiodataloader import DataLoader

from schoolgraph.domain import (
    AttendanceMark,
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
    Team,
    Timesheet,
)
from schoolgraph.loaders import groups, people, schools, student_page, timetable, workforce
from schoolgraph.loaders.groups import SchoolGroups
from schoolgraph.loaders.outcomes import All, Loader, Outcome
from schoolgraph.loaders.partial import PartialErrors
from schoolgraph.loaders.people import SchoolContacts
from schoolgraph.loaders.student_page import StudentWindow
from schoolgraph.loaders.timetable import AttendanceKey, SchoolWindow, Timetable
from schoolgraph.loaders.workforce import StaffDay, StaffWindow, Window
from schoolgraph.sources import Directory

__all__ = ["Loaders", "make_loaders"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Loaders:
    """One request's dataloaders, one per key type, over a shared :class:`Directory`.

    Batch functions live in the entity modules of this package and answer one result per
    key: the row, ``None`` when there is none, or the error that key met.

    Args:
        directory: The app's directory (shared across requests).
        batch: ``False`` gives every key its own batch call, the N+1 of a resolver without
            dataloaders (``schoolgraph bench --no-batching`` measures it); keys are still
            memoized within the request.
    """

    def __init__(self, directory: Directory, *, batch: bool = True) -> None:
        self.directory = directory
        self.batch = batch
        self.partial_errors = PartialErrors()
        """Errors of partial reads, reported by the fields that used them."""

        self.all_schools: DataLoader[All, Partial[Sequence[School]]] = self._loader(
            schools.batch_all_schools
        )
        self.school: DataLoader[str, School | None] = self._loader(schools.batch_schools)

        self.students_by_school: DataLoader[str, Mapping[str, Student]] = self._loader(
            people.batch_students_by_school
        )
        self.student: DataLoader[str, Student | None] = self._loader(people.batch_students)
        self.contacts_by_school: DataLoader[str, SchoolContacts] = self._loader(
            people.batch_contacts_by_school
        )
        self.all_staff: Loader[All, Partial[Mapping[str, Staff]]] = self._loader(
            people.batch_all_staff
        )
        self.staff: DataLoader[str, Staff | None] = self._loader(people.batch_staff)

        self.groups_by_school: DataLoader[str, SchoolGroups] = self._loader(
            groups.batch_groups_by_school
        )
        self.group: DataLoader[str, Group | None] = self._loader(groups.batch_groups)

        self.lessons: DataLoader[SchoolWindow, Timetable] = self._loader(timetable.batch_lessons)

        # One student's page: by the student's id for a few, out of the lists above for many.
        self.student_groups: DataLoader[str, Sequence[Group]] = self._loader(
            student_page.batch_student_groups
        )
        self.student_contacts: DataLoader[str, SchoolContacts] = self._loader(
            student_page.batch_student_contacts
        )
        self.student_lessons: DataLoader[StudentWindow, Sequence[Lesson]] = self._loader(
            student_page.batch_student_lessons
        )
        self.attendance: DataLoader[AttendanceKey, Sequence[AttendanceMark]] = self._loader(
            timetable.batch_attendance
        )

        self.teams: Loader[All, Mapping[str, Team]] = self._loader(workforce.batch_teams)
        self.locations: Loader[All, Mapping[str, Location]] = self._loader(
            workforce.batch_locations
        )
        self.rosters_in_window: DataLoader[Window, Sequence[Roster]] = self._loader(
            workforce.batch_rosters_in_window
        )
        self.roster: DataLoader[str, Roster | None] = self._loader(workforce.batch_rosters)
        self.current_roster: DataLoader[All, Roster | None] = self._loader(
            workforce.batch_current_roster
        )
        self.scheduled_shifts: DataLoader[StaffWindow, Sequence[ScheduledShift]] = self._loader(
            workforce.batch_scheduled_shifts
        )
        self.scheduled_shift: DataLoader[str, ScheduledShift | None] = self._loader(
            workforce.batch_scheduled_shifts_by_id
        )
        self.shifts: DataLoader[StaffWindow, Sequence[Shift]] = self._loader(workforce.batch_shifts)
        self.shift: DataLoader[str, Shift | None] = self._loader(workforce.batch_shifts_by_id)
        self.timesheets: DataLoader[StaffDay, Sequence[Timesheet]] = self._loader(
            workforce.batch_timesheets
        )
        self.leave_requests: DataLoader[StaffWindow, Sequence[LeaveRequest]] = self._loader(
            workforce.batch_leave_requests
        )

    def _loader(
        self, batch: Callable[[Loaders, list[K]], Coroutine[Any, Any, list[Outcome[V]]]]
    ) -> Loader[K, V]:
        # aiodataloader types a batch function as answering values only; an error instance
        # in the list rejects that key's future, which is how a failed key is reported.
        bound = cast(Callable[[list[K]], Coroutine[Any, Any, list[V]]], partial(batch, self))
        return Loader(bound, batch=self.batch)

    def forget_all(self) -> None:
        """Drop everything this set of loaders memoized, so the next loads read afresh: a
        subscription does it before each event, as if each event were its own request."""
        for value in vars(self).values():
            if isinstance(value, DataLoader):
                value.clear_all()

    def forget_workforce(self) -> None:
        """Drop what this request memoized of the workforce side, after a write changed it."""
        for loader in (
            self.rosters_in_window,
            self.roster,
            self.current_roster,
            self.scheduled_shifts,
            self.scheduled_shift,
            self.shifts,
            self.shift,
            self.timesheets,
            self.leave_requests,
        ):
            loader.clear_all()


def make_loaders(directory: Directory, *, batch: bool = True) -> Loaders:
    """A fresh set of loaders for one request over ``directory`` (``batch=False``: one batch
    call per key, the naive baseline)."""
    return Loaders(directory, batch=batch)
