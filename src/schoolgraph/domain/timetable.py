"""The timetable and attendance of a school."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from msgspec import Struct

from schoolgraph.domain.refs import SourceRef

__all__ = ["AttendanceMark", "Lesson", "Session"]

Session = Literal["AM", "PM"]


class Lesson(Struct, frozen=True, gc=False):
    """One timetabled lesson occurrence; ``start`` and ``end`` are aware UTC."""

    id: str
    school_id: str
    group_id: str | None
    staff_ids: tuple[str, ...]
    start: datetime
    end: datetime
    room: str | None
    period: str | None
    subject: str | None
    sources: tuple[SourceRef, ...]


class AttendanceMark(Struct, frozen=True, gc=False):
    """A student's attendance mark for one session of one day."""

    id: str
    school_id: str
    student_id: str
    date: date
    session: Session
    code: str
    meaning: str | None
    present: bool
    minutes_late: int | None
    sources: tuple[SourceRef, ...]
