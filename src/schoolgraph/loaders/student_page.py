"""One student's groups, contacts and lessons: read by the student's id for a few students,
out of the school's lists for many.

A student's page asks for one student: the school's lists (every contact and link, every
lesson of the week, every group and student) cost a large school's worth of rows to read and
parse for a handful of them, so a batch with at most :data:`FEW_STUDENTS` students of a school
reads theirs by id (the directory knows how, per upstream: a fixed number of reads per student,
whatever its number of groups and contacts). A batch with more (a dashboard, a long list)
reads the school's lists once, as before, so its upstream requests still follow the schools it
touches, not its rows.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from schoolgraph.domain import Group, Lesson
from schoolgraph.loaders.outcomes import Outcome, gather_per_key, load_each
from schoolgraph.loaders.people import SchoolContacts, school_of
from schoolgraph.loaders.timetable import SchoolWindow, Timetable

if TYPE_CHECKING:
    from schoolgraph.loaders.groups import SchoolGroups
    from schoolgraph.loaders.per_request import Loaders

__all__ = [
    "FEW_STUDENTS",
    "StudentWindow",
    "batch_student_contacts",
    "batch_student_groups",
    "batch_student_lessons",
]

FEW_STUDENTS = 3
"""Most students of one school a batch reads by id; more read the school's lists."""

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class StudentWindow(NamedTuple):
    """One student's days from ``start`` to ``end`` inclusive."""

    student_id: str
    start: date
    end: date


def _few(keys: Sequence[K], student_of: Callable[[K], str]) -> tuple[list[K], list[K]]:
    """``keys`` split into those of schools with at most FEW_STUDENTS students among them
    (read by id) and the rest (read out of their school's lists)."""
    students = dict.fromkeys(student_of(key) for key in keys)
    per_school = Counter(school_of(student) for student in students)
    few: list[K] = []
    many: list[K] = []
    for key in dict.fromkeys(keys):
        small = per_school[school_of(student_of(key))] <= FEW_STUDENTS
        (few if small else many).append(key)
    return few, many


async def _by_id_or_lists(
    keys: list[K],
    student_of: Callable[[K], str],
    by_id: Callable[[K], Awaitable[V]],
    from_lists: Callable[[list[K]], Awaitable[Callable[[K], Outcome[V]]]],
) -> list[Outcome[V]]:
    """One answer per key: ``by_id(key)`` for the keys of few students of a school, else the
    answer ``from_lists`` (given those keys, it reads their schools' lists) gives the key;
    both at once."""
    few, many = _few(keys, student_of)
    read, answer = await asyncio.gather(gather_per_key(few, by_id), from_lists(many))
    found = dict(zip(few, read, strict=True))
    return [found[key] if key in found else answer(key) for key in keys]


def _same(student_id: str) -> str:
    return student_id


def _student(key: StudentWindow) -> str:
    return key.student_id


async def batch_student_groups(loaders: Loaders, keys: list[str]) -> list[Outcome[Sequence[Group]]]:
    """The groups each student is in (any order)."""

    async def from_lists(many: list[str]) -> Callable[[str], Outcome[Sequence[Group]]]:
        by_school = await load_each(loaders.groups_by_school, (school_of(key) for key in many))

        def answer(key: str) -> Outcome[Sequence[Group]]:
            index = by_school[school_of(key)]
            return index if isinstance(index, Exception) else index.by_student.get(key, ())

        return answer

    return await _by_id_or_lists(keys, _same, loaders.directory.groups_of_student, from_lists)


async def batch_student_contacts(
    loaders: Loaders, keys: list[str]
) -> list[Outcome[SchoolContacts]]:
    """Each student's contacts, as an index holding at least that student's links."""

    async def by_id(student_id: str) -> SchoolContacts:
        links, contacts = await loaders.directory.contacts_of_student(student_id)
        return SchoolContacts.of(contacts, links)

    async def from_lists(many: list[str]) -> Callable[[str], Outcome[SchoolContacts]]:
        by_school = await load_each(loaders.contacts_by_school, (school_of(key) for key in many))
        return lambda key: by_school[school_of(key)]

    return await _by_id_or_lists(keys, _same, by_id, from_lists)


async def batch_student_lessons(
    loaders: Loaders, keys: list[StudentWindow]
) -> list[Outcome[Sequence[Lesson]]]:
    """Each student's lessons in its window, in time order: by id for a few students, else
    the lessons of their groups out of the school's timetable."""

    async def by_id(key: StudentWindow) -> Sequence[Lesson]:
        return _in_order(
            await loaders.directory.lessons_of_student(key.student_id, key.start, key.end)
        )

    async def from_lists(
        many: list[StudentWindow],
    ) -> Callable[[StudentWindow], Outcome[Sequence[Lesson]]]:
        schools = {school_of(key.student_id) for key in many}
        windows = {SchoolWindow(school_of(k.student_id), k.start, k.end) for k in many}
        # The school's timetable does not wait for its groups.
        groups, timetables = await asyncio.gather(
            load_each(loaders.groups_by_school, schools), load_each(loaders.lessons, windows)
        )

        def answer(key: StudentWindow) -> Outcome[Sequence[Lesson]]:
            school_id = school_of(key.student_id)
            index = groups[school_id]
            timetable = timetables[SchoolWindow(school_id, key.start, key.end)]
            if isinstance(index, Exception):
                return index
            if isinstance(timetable, Exception):
                return timetable
            return _of_groups(key.student_id, index, timetable)

        return answer

    return await _by_id_or_lists(keys, _student, by_id, from_lists)


def _of_groups(student_id: str, index: SchoolGroups, timetable: Timetable) -> Sequence[Lesson]:
    lessons = (
        lesson
        for group in index.by_student.get(student_id, ())
        for lesson in timetable.by_group.get(group.id, ())
    )
    return _in_order(lessons)


def _in_order(lessons: Iterable[Lesson]) -> list[Lesson]:
    unique = {lesson.id: lesson for lesson in lessons}
    return sorted(unique.values(), key=lambda lesson: (lesson.start, lesson.id))
