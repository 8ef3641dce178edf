"""Start the reads a student's selected fields will make beside the student's own read.

``node(id:)`` (and ``nodes``, ``_entities``) resolves its object before any of the object's
fields: a student's page waited for the student's own read by id (Xporter
``/Students/{id}``, 21 ms in a traced cold run at the ``large`` scale) before its timetable,
attendance, groups and contacts were asked for, though each of those reads needs only the
student's id and the field's arguments, both in the request. Looked ahead, they are asked
for with the student: the loaders they go through are the request's, so the fields, when
they resolve, await the same reads (a dataloader keeps each key's result).

Only fields the operation selects are read, with the caller's grants already checked (the
permissions extension refuses an operation before it runs) and through the caller's own
sources. A field whose arguments do not parse is left to its resolver, which reports them;
an id that names no student costs the reads of that one student's fields, whose outcome
nobody awaits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from graphql import GraphQLError
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from schoolgraph.errors import SchoolgraphError
from schoolgraph.graph.arguments import date_window
from schoolgraph.graph.info import Info, loaders
from schoolgraph.graph.scalars import parse_date
from schoolgraph.loaders import AttendanceKey, Loaders
from schoolgraph.loaders.people import school_of
from schoolgraph.loaders.student_page import StudentWindow

__all__ = ["look_ahead_student"]

_Start = Callable[[Loaders, str, Mapping[str, Any]], "asyncio.Future[Any] | None"]


def _window(arguments: Mapping[str, Any]) -> tuple[date, date] | None:
    """The ``from``/``to`` arguments (strawberry converts a variable's value, not a literal
    in the query) read as the schema reads them; None when the field's resolver will refuse
    them (it says why)."""
    try:
        start, end = (
            value if isinstance(value, date) else parse_date(value)
            for value in (arguments.get("from"), arguments.get("to"))
        )
        window = date_window(start, end)
    except (GraphQLError, SchoolgraphError):
        return None
    return window.start, window.end


def _timetable(found: Loaders, student_id: str, arguments: Mapping[str, Any]) -> Any:
    window = _window(arguments)
    if window is None:
        return None
    return found.student_lessons.load(StudentWindow(student_id, *window))


def _attendance(found: Loaders, student_id: str, arguments: Mapping[str, Any]) -> Any:
    window = _window(arguments)
    if window is None:
        return None
    return found.attendance.load(AttendanceKey(school_of(student_id), student_id, *window))


_STUDENT: dict[str, _Start] = {
    "groups": lambda found, student_id, _: found.student_groups.load(student_id),
    "contacts": lambda found, student_id, _: found.student_contacts.load(student_id),
    "timetable": _timetable,
    "attendance": _attendance,
}
"""The reads of a ``Student``'s fields, by field name, as its resolvers key them."""


def look_ahead_student(info: Info, student_id: str) -> None:
    """Start the reads of the ``Student`` fields the operation selects on the object this
    field answers, for the student ``student_id``, without waiting for them."""
    found = loaders(info)
    if not found.batch:
        return  # the naive baseline reads nothing before a field asks
    for name, arguments in _fields_on(info, "Student", _STUDENT):
        started = _STUDENT[name](found, student_id, arguments)
        if started is not None:
            started.add_done_callback(_settle)


def _fields_on(
    info: Info, type_name: str, names: Mapping[str, object]
) -> tuple[tuple[str, Mapping[str, Any]], ...]:
    """The fields of ``names`` selected on the ``type_name`` objects this field answers,
    through fragments, with their arguments; worked out once per field of the query and
    request (``nodes(ids:)`` asks it for each id)."""
    key = (type_name, *map(id, info._raw_info.field_nodes))
    memo = info.context.look_ahead
    found = memo.get(key)
    if found is None:
        fields: list[tuple[str, Mapping[str, Any]]] = []

        def walk(selections: Iterable[Selection], on: str | None) -> None:
            for selection in selections:
                if isinstance(selection, InlineFragment | FragmentSpread):
                    walk(selection.selections, selection.type_condition or on)
                elif (
                    isinstance(selection, SelectedField)
                    and on in (None, type_name)
                    and selection.name in names
                ):
                    fields.append((selection.name, selection.arguments))

        for field in info.selected_fields:
            walk(field.selections, None)
        found = memo[key] = tuple(fields)
    return found


def _settle(started: asyncio.Future[Any]) -> None:
    # The field awaits the same read and reports its outcome; a read nobody awaited (an id
    # that names no student) is not news.
    if not started.cancelled():
        started.exception()
