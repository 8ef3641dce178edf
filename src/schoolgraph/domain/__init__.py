"""The unified domain model: what the graph speaks, whichever upstream the data came from.

Frozen ``msgspec.Struct`` records with no upstream field names (built eight to twelve times
faster than frozen dataclasses, and a cold read builds one per row of every list: 11,000
students for a big list, 4,392 shifts for a roster week). They hold only immutable values,
so none is tracked by the garbage collector (``gc=False``). Ids are composite and stable,
``"<system>:<tenant>:<native id>"``; cross-references between entities use these ids.
"""

from schoolgraph.domain.changes import Change, ChangeKind
from schoolgraph.domain.groups import Group, GroupType
from schoolgraph.domain.people import Contact, Staff, Student, StudentContact
from schoolgraph.domain.refs import Partial, SourceRef, System, entity_id, split_id
from schoolgraph.domain.schools import School
from schoolgraph.domain.timetable import AttendanceMark, Lesson, Session
from schoolgraph.domain.workforce import (
    LeaveRequest,
    Location,
    Roster,
    ScheduledShift,
    Shift,
    ShiftStatus,
    Team,
    Timesheet,
    TimesheetStatus,
)

__all__ = [
    "AttendanceMark",
    "Change",
    "ChangeKind",
    "Contact",
    "Group",
    "GroupType",
    "LeaveRequest",
    "Lesson",
    "Location",
    "Partial",
    "Roster",
    "ScheduledShift",
    "School",
    "Session",
    "Shift",
    "ShiftStatus",
    "SourceRef",
    "Staff",
    "Student",
    "StudentContact",
    "System",
    "Team",
    "Timesheet",
    "TimesheetStatus",
    "entity_id",
    "split_id",
]
