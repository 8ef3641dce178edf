"""Per-request dataloaders over the Directory; batch functions per entity.

Loaders never see HTTP or GraphQL: they speak the domain model through
:class:`~schoolgraph.sources.Directory`, batching keys so that the upstream requests of a
query follow the schools and date windows it touches, not its rows.
"""

from schoolgraph.loaders.partial import PartialErrors
from schoolgraph.loaders.per_request import Loaders, make_loaders
from schoolgraph.loaders.timetable import AttendanceKey, SchoolWindow
from schoolgraph.loaders.workforce import EVERYONE, StaffDay, StaffWindow, Window

__all__ = [
    "EVERYONE",
    "AttendanceKey",
    "Loaders",
    "PartialErrors",
    "SchoolWindow",
    "StaffDay",
    "StaffWindow",
    "Window",
    "make_loaders",
]
