"""Lessons and attendance: one read per (school, date window), whatever the rows asked."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from schoolgraph.domain import AttendanceMark, Lesson
from schoolgraph.errors import SchoolgraphError
from schoolgraph.loaders.outcomes import Outcome, gather_per_key

if TYPE_CHECKING:
    from schoolgraph.loaders.per_request import Loaders

__all__ = ["AttendanceKey", "SchoolWindow", "Timetable", "batch_attendance", "batch_lessons"]


class SchoolWindow(NamedTuple):
    """A school's days from ``start`` to ``end`` inclusive."""

    school_id: str
    start: date
    end: date


class AttendanceKey(NamedTuple):
    """One student's marks from ``start`` to ``end`` inclusive."""

    school_id: str
    student_id: str
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class Timetable:
    """A school's lessons in a window, by group and by member of staff, in time order."""

    lessons: Sequence[Lesson]
    by_group: Mapping[str, Sequence[Lesson]]
    by_staff: Mapping[str, Sequence[Lesson]]

    @classmethod
    def of(cls, lessons: Sequence[Lesson]) -> Timetable:
        ordered = sorted(lessons, key=lambda lesson: (lesson.start, lesson.id))
        by_group: dict[str, list[Lesson]] = defaultdict(list)
        by_staff: dict[str, list[Lesson]] = defaultdict(list)
        for lesson in ordered:
            if lesson.group_id is not None:
                by_group[lesson.group_id].append(lesson)
            for staff_id in lesson.staff_ids:
                by_staff[staff_id].append(lesson)
        return cls(ordered, dict(by_group), dict(by_staff))


async def batch_lessons(loaders: Loaders, keys: list[SchoolWindow]) -> list[Outcome[Timetable]]:
    async def read(key: SchoolWindow) -> Timetable:
        return Timetable.of(await loaders.directory.lessons(key.school_id, key.start, key.end))

    return await gather_per_key(keys, read)


async def batch_attendance(
    loaders: Loaders, keys: list[AttendanceKey]
) -> list[Outcome[Sequence[AttendanceMark]]]:
    """One ``attendance`` read per (school, window) for every student asked about in it."""
    students: dict[SchoolWindow, set[str]] = defaultdict(set)
    for key in keys:
        students[SchoolWindow(key.school_id, key.start, key.end)].add(key.student_id)

    async def read(window: SchoolWindow) -> dict[str, list[AttendanceMark]]:
        marks = await loaders.directory.attendance(
            window.school_id, window.start, window.end, sorted(students[window])
        )
        by_student: dict[str, list[AttendanceMark]] = defaultdict(list)
        for mark in marks:
            by_student[mark.student_id].append(mark)
        return by_student

    windows = list(students)
    read_windows = dict(zip(windows, await gather_per_key(windows, read), strict=True))
    answers: list[Outcome[Sequence[AttendanceMark]]] = []
    for key in keys:
        marks = read_windows[SchoolWindow(key.school_id, key.start, key.end)]
        answers.append(
            marks if isinstance(marks, SchoolgraphError) else marks.get(key.student_id, [])
        )
    return answers
