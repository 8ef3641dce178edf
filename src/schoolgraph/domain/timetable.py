"""The timetable and attendance of a school."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from schoolgraph.domain.refs import SourceRef

__all__ = ["AttendanceMark", "Lesson", "Session"]

Session = Literal["AM", "PM"]


@dataclass(frozen=True, slots=True)
class Lesson:
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


@dataclass(frozen=True, slots=True)
class AttendanceMark:
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
