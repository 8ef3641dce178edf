"""One student's groups, contacts and lessons: read by the student's id for a few students,
out of the school's lists for many.

A student's page asks for one student: the school's lists (every contact and link, every
lesson of the week, every group and student) cost a large school's worth of rows to read and
parse for a handful of them, so a batch with at most :data:`FEW_STUDENTS` students of a school
reads theirs by id (the directory knows how, per upstream). A batch with more (a dashboard, a
long list) reads the school's lists once, as before, so its upstream requests still follow
the schools it touches, not its rows.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
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


def _same(student_id: str) -> str:
    return student_id


async def batch_student_groups(loaders: Loaders, keys: list[str]) -> list[Outcome[Sequence[Group]]]:
    """The groups each student is in (any order)."""
    few, many = _few(keys, _same)
    read, by_school = await asyncio.gather(
        gather_per_key(few, loaders.directory.groups_of_student),
        load_each(loaders.groups_by_school, (school_of(key) for key in many)),
    )
    by_id = dict(zip(few, read, strict=True))
    answers: list[Outcome[Sequence[Group]]] = []
    for key in keys:
        if key in by_id:
            answers.append(by_id[key])
            continue
        index = by_school[school_of(key)]
        answers.append(index if isinstance(index, Exception) else index.by_student.get(key, ()))
    return answers


async def batch_student_contacts(
    loaders: Loaders, keys: list[str]
) -> list[Outcome[SchoolContacts]]:
    """Each student's contacts, as an index holding at least that student's links."""

    async def read(student_id: str) -> SchoolContacts:
        links, contacts = await loaders.directory.contacts_of_student(student_id)
        return SchoolContacts.of(contacts, links)

    few, many = _few(keys, _same)
    read_few, by_school = await asyncio.gather(
        gather_per_key(few, read),
        load_each(loaders.contacts_by_school, (school_of(key) for key in many)),
    )
    by_id = dict(zip(few, read_few, strict=True))
    return [by_id[key] if key in by_id else by_school[school_of(key)] for key in keys]


def _student(key: StudentWindow) -> str:
    return key.student_id


async def batch_student_lessons(
    loaders: Loaders, keys: list[StudentWindow]
) -> list[Outcome[Sequence[Lesson]]]:
    """Each student's lessons in its window, in time order: by id for a few students, else
    the lessons of their groups out of the school's timetable."""

    async def read(key: StudentWindow) -> Sequence[Lesson]:
        return _in_order(
            await loaders.directory.lessons_of_student(key.student_id, key.start, key.end)
        )

    few, many = _few(keys, _student)
    schools = {school_of(key.student_id) for key in many}
    windows = {SchoolWindow(school_of(k.student_id), k.start, k.end) for k in many}
    # The school's timetable does not wait for its groups, nor either for the few.
    read_few, groups, timetables = await asyncio.gather(
        gather_per_key(few, read),
        load_each(loaders.groups_by_school, schools),
        load_each(loaders.lessons, windows),
    )
    by_id = dict(zip(few, read_few, strict=True))
    answers: list[Outcome[Sequence[Lesson]]] = []
    for key in keys:
        if key in by_id:
            answers.append(by_id[key])
            continue
        school_id = school_of(key.student_id)
        index = groups[school_id]
        timetable = timetables[SchoolWindow(school_id, key.start, key.end)]
        if isinstance(index, Exception):
            answers.append(index)
        elif isinstance(timetable, Exception):
            answers.append(timetable)
        else:
            answers.append(_of_groups(key.student_id, index, timetable))
    return answers


def _of_groups(student_id: str, index: SchoolGroups, timetable: Timetable) -> Sequence[Lesson]:
    lessons = {
        lesson.id: lesson
        for group in index.by_student.get(student_id, ())
        for lesson in timetable.by_group.get(group.id, ())
    }
    return _in_order(lessons.values())


def _in_order(lessons: Iterable[Lesson]) -> list[Lesson]:
    unique = {lesson.id: lesson for lesson in lessons}
    return sorted(unique.values(), key=lambda lesson: (lesson.start, lesson.id))
