"""The school-data endpoints this simulator serves, with their EXT endpoint scopes (§3)."""

from __future__ import annotations

from .attendance import (
    ATTEND_CODES,
    ATTEND_MARKS,
    ATTEND_MARKS_RANGE,
    DATE_RANGE,
    attendance_codes_tables,
    attendance_for_date_range_tables,
    attendance_for_date_tables,
)
from .groups import (
    GROUP,
    GROUP_TYPES_TABLE,
    STAFF_MEMBERS,
    STANDARD_YEAR_GROUPS,
    STUDENT_MEMBERS,
    SUB_GROUPS,
    groups_tables,
)
from .people import (
    CONTACTS,
    STAFF,
    STAFF_HIERARCHY,
    STAFF_NEXT_OF_KIN,
    STAFF_SWAC,
    STAFF_VEHICLES,
    STUDENT_CONTACTS,
    STUDENT_SIBLINGS,
    STUDENTS,
    contacts_tables,
    staff_tables,
    student_contacts_tables,
    students_tables,
)
from .render import Endpoint
from .school import HEALTH, SCHOOL_INFO, SITES, health_tables, school_info_tables
from .timetable import (
    LESSON_ROOMS,
    LESSON_STAFF,
    LESSONS,
    TIMETABLE,
    TIMETABLE_DAYS,
    TIMETABLE_PERIODS,
    TIMETABLES,
    timetable_for_staff_tables,
    timetable_for_student_tables,
    timetable_tables,
)

STUDENT_SCOPE = ("Student", "StudentLite")
STAFF_SCOPE = ("Staff", "StaffLite")
SCHOOL_SCOPE = ("School", "SchoolLite")
_TT_TABLES = (TIMETABLE, TIMETABLES, TIMETABLE_DAYS, TIMETABLE_PERIODS)

# EXT endpoint scopes (§3): `School&Student,School&StudentLite` -> (("School",), STUDENT_SCOPE).
# Health's EXT scope is `*`: any school token, or a management token (§2.4).
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("Students", (STUDENT_SCOPE,), (STUDENTS, STUDENT_SIBLINGS), students_tables),
    Endpoint(
        "Staff",
        (STAFF_SCOPE,),
        (STAFF, STAFF_HIERARCHY, STAFF_VEHICLES, STAFF_NEXT_OF_KIN, STAFF_SWAC),
        staff_tables,
    ),
    Endpoint(
        "Groups",
        (SCHOOL_SCOPE,),
        (
            GROUP,
            STAFF_MEMBERS,
            STUDENT_MEMBERS,
            GROUP_TYPES_TABLE,
            SUB_GROUPS,
            STANDARD_YEAR_GROUPS,
        ),
        groups_tables,
    ),
    Endpoint("Contacts", (("Contact",),), (CONTACTS,), contacts_tables),
    Endpoint(
        "StudentContacts",
        (("Contact",), STUDENT_SCOPE),
        (STUDENT_CONTACTS,),
        student_contacts_tables,
    ),
    Endpoint("Timetable", (("School",),), (LESSONS, LESSON_STAFF, LESSON_ROOMS), timetable_tables),
    Endpoint(
        "TimetableForStudent",
        (("School",), STUDENT_SCOPE),
        _TT_TABLES,
        timetable_for_student_tables,
    ),
    Endpoint(
        "TimetableForStaff", (("School",), STAFF_SCOPE), _TT_TABLES, timetable_for_staff_tables
    ),
    Endpoint("AttendanceCodes", (("Attendance",),), (ATTEND_CODES,), attendance_codes_tables),
    Endpoint(
        "AttendanceForDate",
        (("Attendance",),),
        (ATTEND_MARKS, DATE_RANGE),
        attendance_for_date_tables,
    ),
    Endpoint(
        "AttendanceForDateRange",
        (("Attendance",),),
        (ATTEND_MARKS_RANGE, DATE_RANGE),
        attendance_for_date_range_tables,
    ),
    Endpoint(
        "SchoolInfo", (SCHOOL_SCOPE,), (SCHOOL_INFO, SITES), school_info_tables, paginated=False
    ),
    Endpoint("Health", (), (HEALTH,), health_tables, paginated=False),
)
ENDPOINTS_BY_NAME = {e.name.lower(): e for e in ENDPOINTS}
