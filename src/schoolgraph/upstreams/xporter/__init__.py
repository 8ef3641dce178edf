"""Xporter on Demand (Groupcall) School Data API: auth, typed models and the cached client.

See `client.py` for how reads, errors and the change-set cache work, and `auth.py` for the
per-school STS tokens.
"""

from __future__ import annotations

from .auth import AuthorisationPausedError, SchoolAuth, SchoolAuthError, XporterSchool
from .client import SyncRecord, XporterClient, XporterConfig, XporterRequestError, XporterTtls
from .models import (
    AttendanceCode,
    AttendanceMark,
    Contact,
    Group,
    GroupType,
    Health,
    Lesson,
    LessonStaff,
    NarrowContact,
    NarrowGroup,
    SchoolInfo,
    Staff,
    Student,
    StudentContact,
    StudentYear,
    Timetable,
)

__all__ = [
    "AttendanceCode",
    "AttendanceMark",
    "AuthorisationPausedError",
    "Contact",
    "Group",
    "GroupType",
    "Health",
    "Lesson",
    "LessonStaff",
    "NarrowContact",
    "NarrowGroup",
    "SchoolAuth",
    "SchoolAuthError",
    "SchoolInfo",
    "Staff",
    "Student",
    "StudentContact",
    "StudentYear",
    "SyncRecord",
    "Timetable",
    "XporterClient",
    "XporterConfig",
    "XporterRequestError",
    "XporterSchool",
    "XporterTtls",
]
