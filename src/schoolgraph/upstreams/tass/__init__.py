"""The TASS connector: the 2026 API (key/secret -> 15-minute bearer) and the legacy TASS.web
API (AES-encrypted parameter token), chosen per company, behind one typed, cached client.

See `client.py` for what each method reads and how the cache keeps lists current, `auth.py`
for both authentication schemes, `paths.py` for the 2026 wire names (provisional, overridable
through `TassConfig.wire`) and `models.py` for the parsed types.
"""

from __future__ import annotations

from .api2026 import EndpointDeniedError
from .auth import BearerAuth, TassApiKey, TassLegacyApp, encrypt_token
from .client import TassClient, TassCompanyConfig, TassConfig, TassTtls
from .models import (
    Absence,
    BellTime,
    CalendarDay,
    Company,
    ContactAddress,
    ContactPerson,
    Employee,
    Lesson,
    Option,
    PersonSlot,
    Staff,
    Student,
    Teacher,
    TeachingClass,
    TimetableSlot,
    YearGroup,
)
from .paths import Wire2026
from .snapshot import Snapshot

__all__ = [
    "Absence",
    "BearerAuth",
    "BellTime",
    "CalendarDay",
    "Company",
    "ContactAddress",
    "ContactPerson",
    "Employee",
    "EndpointDeniedError",
    "Lesson",
    "Option",
    "PersonSlot",
    "Snapshot",
    "Staff",
    "Student",
    "TassApiKey",
    "TassClient",
    "TassCompanyConfig",
    "TassConfig",
    "TassLegacyApp",
    "TassTtls",
    "Teacher",
    "TeachingClass",
    "TimetableSlot",
    "Wire2026",
    "YearGroup",
    "encrypt_token",
]
