"""Every path and wire field name of the 2026 TASS API, in one place (tass.md §D.3, §D.4).

None of this is official: the 2026 paths, the authentication body and the student record were
observed in a third-party client (`redtrinity/tassapi`, Feb 2026, tass.md [3P]); teachers,
classes, timetables, absences, communication-rule rows, option rows and the employee record
are our design over the legacy field names (tass.md [DESIGN]). When the official
`api.developer.tassweb.com.au` documentation can be checked, this module is what changes.

Renderers in `api2026.py` build records keyed by *neutral* names (`"code"`, `"surname"`, ...);
the field maps here turn them into wire names, in wire order. Field permissions (tass.md §C.4
"Fields: All | Custom") and `$filter` refer to wire names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# --------------------------------------------------------------------------- base and auth

API_BASE = "/api"  # [3P] "base url, for example 'https://tass.example.org/api'"
# The seed's "POS User - Authenticate"; [3P] authenticate(auth_endpoint="users").
AUTH_PATH = "/users"
# Wire field names, not secrets (hence the S105 waivers).
AUTH_KEY = "clientKey"  # [3P] request body
AUTH_SECRET = "clientSecret"  # noqa: S105 - [3P] request body field name
TOKEN = "token"  # noqa: S105 - [3P] response body field name
TOKEN_EXPIRY = "token_expiry_date"  # noqa: S105 - [3P] response body field name
ALLOWED_COMPANIES = "allowed_companies"  # [3P] list of objects with `cmpy_code`
COMPANY_CODE = "cmpy_code"  # [3P]
COMPANY_NAME = "cmpy_name"  # [DESIGN] (tass.md §D.3 row 1)

# --------------------------------------------------------------------------- OData paging

QUERY_TOP = "$top"  # [3P] paginate(): `$top`/`$skip`, default page 100
QUERY_SKIP = "$skip"
QUERY_FILTER = "$filter"  # [3P] e.g. `doe le 2026-02-20 and (dol ge 2026-02-20 or dol eq null)`
DEFAULT_TOP = 100  # [3P] client default; the server default is DOC-SILENT, we use the same
MAX_TOP = 1000  # [DESIGN] an ASP.NET OData MaxTop; larger `$top` -> 400

# Query parameters of the [DESIGN] resources (tass.md §D.3 rows 11-13).
Q_YEAR_NUM, Q_SEMESTER = "year_num", "semester"
Q_YEAR, Q_PERIOD = "year", "period"
Q_STUDCODE, Q_ABSENT_FROM, Q_ABSENT_TO = "studcode", "absentdatefrom", "absentdateto"

# --------------------------------------------------------------------------- endpoints


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One generic endpoint: what the seed's endpoint grid lists and the audit log filters on.

    `template` is relative to `API_BASE` and is the "generic URL" (tass.md §C.4, §C.7).
    `methods` are the HTTP verbs it implements; anything else is 405 before any permission
    check (ASP.NET endpoint routing answers 405 before authorization runs).
    """

    template: str
    methods: tuple[str, ...]
    resource: str  # key into FIELDS; "" for endpoints without a record shape


GET, WRITE, UD = ("GET",), ("GET", "PUT", "PATCH"), ("GET", "POST", "PUT", "PATCH", "DELETE")
STUDENT_OPTIONS = (
    "campuses",
    "houses",
    "pctutorgroups",
    "yeargroups",
    "religions",
    "residencystatuses",
    "nextyearindicators",
)  # [3P] options/students/*; feeder schools, comparative reporting types: not in our world
EMPLOYEE_OPTIONS = ("statuses", "genders", "titles")  # [3P] options/employees/* (subset)
COMMRULE_TYPES = ("aca", "att", "ec", "gen", "lw", "tk", "tkco")  # tass.md §B.7.1 `commtype`

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("/{cmpy_code}/students", GET, "student"),  # [3P]
    Endpoint("/{cmpy_code}/students/communicationrules", GET, "commrule"),  # [3P]
    Endpoint("/{cmpy_code}/students/{stud_code}", WRITE, "student"),  # [3P] PUT / JSON Patch
    Endpoint("/{cmpy_code}/students/{stud_code}/communicationrules", GET, "commrule"),  # [3P]
    Endpoint("/{cmpy_code}/students/{stud_code}/communicationrules/{type}", GET, "commrule"),
    Endpoint("/{cmpy_code}/students/{stud_code}/udareas", GET, "udarea"),  # [3P]
    Endpoint("/{cmpy_code}/students/{stud_code}/udareas/{area_code}", UD, "udarea"),  # [3P]
    Endpoint("/{cmpy_code}/students/{stud_code}/timetable", GET, "lesson_slot"),  # [DESIGN]
    Endpoint("/{cmpy_code}/employees", GET, "employee"),  # [3P] path; record [DESIGN]
    Endpoint("/{cmpy_code}/employees/{emp_code}", WRITE, "employee"),  # [3P]
    Endpoint("/{cmpy_code}/teachers", GET, "teacher"),  # [DESIGN]
    Endpoint("/{cmpy_code}/teachers/{teacher_code}", GET, "teacher"),  # [DESIGN]
    Endpoint("/{cmpy_code}/teachers/{teacher_code}/timetable", GET, "lesson_slot"),  # [DESIGN]
    Endpoint("/{cmpy_code}/classes", GET, "class"),  # [DESIGN]
    Endpoint("/{cmpy_code}/timetables", GET, "timetable"),  # [DESIGN]
    Endpoint("/{cmpy_code}/timetables/{tt_id}/calendar", GET, "calendar"),  # [DESIGN]
    Endpoint("/{cmpy_code}/absences", GET, "absence"),  # [DESIGN]
    Endpoint("/{cmpy_code}/campuses", GET, "option"),  # [DESIGN] alias
    Endpoint("/{cmpy_code}/yeargroups", GET, "option"),  # [DESIGN] alias
    *(
        Endpoint(f"/{{cmpy_code}}/options/students/{name}", GET, "option")
        for name in STUDENT_OPTIONS
    ),
    Endpoint("/{cmpy_code}/options/students/communicationrules/types", GET, "option"),  # [3P]
    Endpoint("/{cmpy_code}/options/students/communicationrules/genders", GET, "option"),  # [3P]
    Endpoint("/{cmpy_code}/options/students/udareas", GET, "option"),  # [3P]
    *(
        Endpoint(f"/{{cmpy_code}}/options/employees/{name}", GET, "option")
        for name in EMPLOYEE_OPTIONS
    ),
)
ENDPOINTS_BY_TEMPLATE: Mapping[str, Endpoint] = {e.template: e for e in ENDPOINTS}

# --------------------------------------------------------------------------- record fields

FieldMap = tuple[tuple[str, str], ...]  # (wire name, neutral key), in wire order

# [3P] D.4: the student record as observed, in the observed order.
STUDENT: FieldMap = (
    ("stud_code", "code"),
    ("stud_id", "uid"),
    ("cmpy_code", "company"),
    ("surname", "surname"),
    ("preferred_surname", "preferred_surname"),
    ("first_name", "first_name"),
    ("preferred_name", "preferred_name"),
    ("other_name", "other_name"),
    ("e_mail", "email"),
    ("mob_phone", "mobile"),
    ("gender", "gender"),
    ("dob", "dob"),
    ("doe", "doe"),
    ("dol", "dol"),
    ("year_grp", "year_group"),
    ("entry_lev", "entry_level"),
    ("form_cls", "form_class"),
    ("pctut_grp", "tutor_group"),
    ("house", "house"),
    ("campus_code", "campus"),
    ("par_code", "family_code"),
    ("multipar_flg", "multi_parent"),
    ("sms_flg", "sms"),
    ("boarder", "boarder"),
    ("distance_ed", "distance_ed"),
    ("ffpos", "ffpos"),
    ("privacy_flg", "privacy"),
    ("web_access_ind", "web_access"),
    ("fte", "fte"),
    ("next_yr_ind", "next_year"),
    ("religion", "religion"),
    ("resident_sts", "residency"),
    ("prev_school", "previous_school"),
    ("alt_id", "alt_id"),
    ("ceider", "ceider"),
    ("usi", "usi"),
    ("stud_govt_id", "govt_id"),
    ("idm_id", "idm_id"),
    ("compare_flg", "compare"),
    ("date_arrival", "date_arrival"),
    ("visa_expiry", "visa_expiry"),
    ("visa_subclass", "visa_subclass"),
    ("update_on", "updated"),
)

# [DESIGN] D.4: legacy getEmployeesDetails.general keys renamed to the 2026 style.
EMPLOYEE: FieldMap = (
    ("emp_code", "code"),
    ("tch_code", "teacher_code"),
    ("cmpy_code", "company"),
    ("title", "title"),
    ("surname", "surname"),
    ("given_names", "given_names"),
    ("first_name", "first_name"),
    ("preferred_name", "preferred_name"),
    ("initials", "initials"),
    ("gender", "gender"),
    ("dob", "dob"),
    ("e_mail", "email"),
    ("school_email", "school_email"),
    ("mob_phone", "mobile"),
    ("position_title", "position_title"),
    ("position_text", "position_text"),
    ("employment_status", "employment_status"),
    ("campus_code", "campus"),
    ("doe", "doe"),
    ("dol", "dol"),
    ("alt_id", "alt_id"),
    ("ceider", "ceider"),
    ("update_on", "updated"),
)

# [DESIGN] D.3 row 10: the legacy getTeachers (B.2.1) names, plus company and update_on.
TEACHER: FieldMap = (
    ("teacher_code", "code"),
    ("employee_code", "employee_code"),
    ("cmpy_code", "company"),
    ("surname", "surname"),
    ("employee_surname", "employee_surname"),
    ("first_name", "first_name"),
    ("given_names", "given_names"),
    ("preferred_name", "preferred_name"),
    ("other_name", "other_name"),
    ("salutation", "salutation"),
    ("teacher_name", "teacher_name"),
    ("active_flag", "active"),
    ("pc_tutor_group", "tutor_group"),
    ("department", "department"),
    ("email_address", "email"),
    ("school_email_address", "school_email"),
    ("portal_user_code", "portal_user"),
    ("update_on", "updated"),
)

# [DESIGN] D.3 row 11.
CLASS: FieldMap = (
    ("cmpy_code", "company"),
    ("sub_code", "subject_code"),
    ("class", "class_code"),
    ("year_grp", "year_group"),
    ("year_num", "year"),
    ("semester", "semester"),
    ("sub_short", "subject_short"),
    ("sub_long", "subject_long"),
    ("class_desc", "desc"),
    ("teachers", "teachers"),
    ("students", "students"),
    ("update_on", "updated"),
)

# [DESIGN] D.3 row 12: legacy getTimetables (B.4.1) rows.
TIMETABLE: FieldMap = (
    ("tt_id", "tt_id"),
    ("id", "slot_id"),
    ("record_id", "record_id"),
    ("table_id", "table_id"),
    ("year_num", "year"),
    ("semester", "semester"),
    ("day_code", "day_code"),
    ("prd_code", "period_code"),
    ("sub_code", "subject_code"),
    ("class", "class_code"),
    ("year_grp", "year_group"),
    ("year_grp_desc", "year_group_desc"),
    ("tch_code", "teacher_code"),
    ("room_code", "room"),
    ("update_on", "updated"),
)

# [DESIGN] D.3 row 12: legacy getTimetableCalendar (B.4.2) rows, lower-cased.
CALENDAR: FieldMap = (
    ("tt_id", "tt_id"),
    ("id", "day_id"),
    ("record_id", "record_id"),
    ("table_id", "table_id"),
    ("cmpy_code", "company"),
    ("ttdate", "date"),
    ("label", "label"),
    ("value", "value"),
    ("day_code", "day_code"),
    ("cat_num", "cat_num"),
)

# [DESIGN] D.3 row 12: B.4.3/B.4.4 DAYS/PERIODS/SUBJECTS flattened to one row per slot.
LESSON_SLOT: FieldMap = (
    ("tt_id", "tt_id"),
    ("year_num", "year"),
    ("semester", "semester"),
    ("day_code", "day_code"),
    ("day_desc", "day_desc"),
    ("prd_code", "period_code"),
    ("prd_desc", "period_desc"),
    ("prd_start", "start"),
    ("prd_end", "end"),
    ("sub_code", "subject_code"),
    ("sub_short", "subject_short"),
    ("sub_desc", "subject_long"),
    ("class", "class_code"),
    ("year_grp", "year_group"),
    ("tch_code", "teacher_code"),
    ("room_code", "room"),
)

# [DESIGN] D.3 row 13: legacy getStudentAbsences (B.6.1) fields, lower-cased, plus update_on.
ABSENCE: FieldMap = (
    ("stud_code", "student_code"),
    ("absent_date", "date"),
    ("week", "week"),
    ("day_code", "day_code"),
    ("prd_code", "period_code"),
    ("tt_id", "tt_id"),
    ("sub_code", "subject_code"),
    ("class", "class_code"),
    ("year_grp", "year_group"),
    ("accept_ind", "acceptable"),
    ("update_on", "updated"),
)

# [DESIGN] D.3 row 5: legacy getCommunicationRulesDetails (B.7.1) address fields, one row per
# (student, address), plus stud_code and update_on.
COMMRULE: FieldMap = (
    ("stud_code", "student_code"),
    ("par_code", "family_code"),
    ("add_num", "add_num"),
    ("communication_type", "types"),
    ("address_description", "description"),
    ("address_person_posn", "person_posn"),
    ("address_person_label", "person_label"),
    ("addressee", "addressee"),
    ("salutation", "salutation"),
    ("relationship", "relationship"),
    ("email", "email"),
    ("email_2", "email_2"),
    ("mobile_phone_1", "mobile_1"),
    ("mobile_phone_2", "mobile_2"),
    ("sms_flg_1", "sms_1"),
    ("sms_flg_2", "sms_2"),
    ("home_phone", "home_phone"),
    ("business_phone", "business_phone"),
    ("addr1", "addr1"),
    ("addr2", "addr2"),
    ("addr3", "addr3"),
    ("town_sub", "town"),
    ("state_code", "state"),
    ("post_code", "postcode"),
    ("country", "country"),
    ("m_description", "m_description"),
    ("m_title", "m_title"),
    ("m_first_name", "m_first_name"),
    ("m_surname", "m_surname"),
    ("m_preferred_name", "m_preferred_name"),
    ("f_description", "f_description"),
    ("f_title", "f_title"),
    ("f_first_name", "f_first_name"),
    ("f_surname", "f_surname"),
    ("f_preferred_name", "f_preferred_name"),
    ("update_on", "updated"),
)

# [DESIGN] option rows use the legacy getCampuses/getYearGroups pair (tass.md §B.5, §B.3.7).
OPTION: FieldMap = (("code", "code"), ("desc", "desc"))

# [DESIGN] user-defined area data ([3P] paths; record shape ours).
UDAREA: FieldMap = (
    ("stud_code", "student_code"),
    ("area_code", "area_code"),
    ("area_desc", "area_desc"),
    ("fields", "fields"),
    ("update_on", "updated"),
)

FIELDS: Mapping[str, FieldMap] = {
    "student": STUDENT,
    "employee": EMPLOYEE,
    "teacher": TEACHER,
    "class": CLASS,
    "timetable": TIMETABLE,
    "calendar": CALENDAR,
    "lesson_slot": LESSON_SLOT,
    "absence": ABSENCE,
    "commrule": COMMRULE,
    "option": OPTION,
    "udarea": UDAREA,
}

# Wire fields a PUT/PATCH may change, per resource -> neutral attribute of the world record.
WRITABLE: Mapping[str, Mapping[str, str]] = {
    "student": {
        "surname": "surname",
        "first_name": "forename",
        "preferred_name": "preferred_forename",
        "other_name": "middle_names",
        "e_mail": "email",
        "mob_phone": "mobile",
    },
    "employee": {
        "surname": "surname",
        "first_name": "forename",
        "preferred_name": "preferred_forename",
        "school_email": "email",
        "mob_phone": "mobile",
        "position_title": "job_title",
    },
}


def wire_names(resource: str) -> tuple[str, ...]:
    """The wire field names of a resource, in wire order."""
    return tuple(wire for wire, _ in FIELDS[resource])


def to_wire(resource: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """Render a neutral record as the wire object of `resource`."""
    return {wire: record[key] for wire, key in FIELDS[resource]}
