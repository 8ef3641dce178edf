"""Every path and wire name of the 2026 TASS API the client uses, in one place.

Section numbers (§) are those of `shared/upstreams/tass.md`. None of this is official: the base
path, the authenticate call, its field names and the student paths were observed in a
third-party client (`redtrinity/tassapi`, Feb 2026, [3P]); teachers, classes, timetables,
absences and the flat communication-rule rows are the simulator's design over the legacy field
names ([DESIGN], §D.3). The official per-endpoint documentation (`api.developer.tassweb.com.au`)
could not be read. So the parts a school's real deployment may spell differently are fields of
`Wire2026`, which `TassConfig.wire` overrides without a code change; the rest is here.

Record field names (`stud_code`, `update_on`, ...) live in `models.py`, the only module that
reads upstream JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

__all__ = [
    "ABSENCES",
    "CALENDAR",
    "CAMPUSES",
    "CLASSES",
    "COMMUNICATION_RULES",
    "DEFAULT_TOP",
    "EMPLOYEES",
    "HOUSES",
    "MAX_TOP",
    "QUERY_FILTER",
    "QUERY_SKIP",
    "QUERY_TOP",
    "Q_ABSENT_FROM",
    "Q_ABSENT_TO",
    "Q_PERIOD",
    "Q_SEMESTER",
    "Q_STUDCODE",
    "Q_YEAR",
    "Q_YEAR_NUM",
    "STUDENT",
    "STUDENTS",
    "STUDENT_TIMETABLE",
    "TEACHERS",
    "TEACHER_TIMETABLE",
    "TIMETABLES",
    "TUTOR_GROUPS",
    "UPDATE_ON",
    "YEAR_GROUPS",
    "Wire2026",
    "expand",
]


@dataclass(frozen=True, slots=True)
class Wire2026:
    """The provisional parts of the 2026 wire (§D.3 "treat every [3P]/[DESIGN] row as
    provisional. Make base path, auth path, auth field names and token-expiry field
    configurable").

    Attributes:
        api_base: path of the API under the school's host ([3P] `https://tass.example.org/api`).
        auth_path: the seed's "POS User - Authenticate", under `api_base` ([3P] `POST /users`).
        key_field: request body field of the client key ([3P] `clientKey`).
        secret_field: request body field of the client secret ([3P] `clientSecret`).
        token_field: response field of the bearer token ([3P] `token`).
        expiry_field: response field of the token's expiry ([3P] `token_expiry_date`).
        companies_field: response field listing the user's companies ([3P]).
        company_code_field: company code in each of those ([3P] `cmpy_code`).
        company_name_field: company name in each of those ([DESIGN] `cmpy_name`).
    """

    api_base: str = "/api"
    auth_path: str = "/users"
    key_field: str = "clientKey"
    secret_field: str = "clientSecret"  # noqa: S105 - a field name, not a secret
    token_field: str = "token"  # noqa: S105 - a field name, not a secret
    expiry_field: str = "token_expiry_date"
    companies_field: str = "allowed_companies"
    company_code_field: str = "cmpy_code"
    company_name_field: str = "cmpy_name"


# --------------------------------------------------------------------------- OData paging

QUERY_TOP = "$top"  # [3P] paginate(): `$top`/`$skip`, default page 100
QUERY_SKIP = "$skip"
QUERY_FILTER = "$filter"  # [3P] `doe le 2026-02-20 and (dol ge 2026-02-20 or dol eq null)`
DEFAULT_TOP = 100  # [3P] client default
MAX_TOP = 1000  # the simulator's ASP.NET-style MaxTop; larger is a 400 (DOC-SILENT)
# What the client asks for first; a lower MaxTop is learned from its 400, and a silent cap from
# a round short page followed by more rows (`Api2026.pages`).
PAGE_SIZE = MAX_TOP
MOST_TOP = 10_000  # the largest `$top` the client may be configured to ask for
UPDATE_ON = "update_on"  # [INFER] §D.3 "Incremental sync": `$filter=update_on ge <local time>`

# Query parameters of the [DESIGN] resources (§D.3 rows 11-13).
Q_YEAR_NUM, Q_SEMESTER = "year_num", "semester"
Q_YEAR, Q_PERIOD = "year", "period"
Q_STUDCODE, Q_ABSENT_FROM, Q_ABSENT_TO = "studcode", "absentdatefrom", "absentdateto"

# --------------------------------------------------------------------------- endpoints
# Generic endpoint templates, relative to `Wire2026.api_base`: what the seed's endpoint grid
# grants and what its audit log filters on (§C.4), and our route templates for call logs.

STUDENTS = "/{cmpy_code}/students"  # [3P]
STUDENT = "/{cmpy_code}/students/{stud_code}"  # [3P] GET, PUT, PATCH (JSON Patch)
COMMUNICATION_RULES = "/{cmpy_code}/students/communicationrules"  # [3P]
STUDENT_TIMETABLE = "/{cmpy_code}/students/{stud_code}/timetable"  # [DESIGN]
EMPLOYEES = "/{cmpy_code}/employees"  # [3P] path; record [DESIGN]
TEACHERS = "/{cmpy_code}/teachers"  # [DESIGN]
TEACHER_TIMETABLE = "/{cmpy_code}/teachers/{teacher_code}/timetable"  # [DESIGN]
CLASSES = "/{cmpy_code}/classes"  # [DESIGN]
TIMETABLES = "/{cmpy_code}/timetables"  # [DESIGN]
CALENDAR = "/{cmpy_code}/timetables/{tt_id}/calendar"  # [DESIGN]
ABSENCES = "/{cmpy_code}/absences"  # [DESIGN]
CAMPUSES = "/{cmpy_code}/options/students/campuses"  # [3P]
YEAR_GROUPS = "/{cmpy_code}/options/students/yeargroups"  # [3P]
HOUSES = "/{cmpy_code}/options/students/houses"  # [3P]
TUTOR_GROUPS = "/{cmpy_code}/options/students/pctutorgroups"  # [3P]


def expand(template: str, **values: str) -> str:
    """Fill a template's `{name}` parts, each percent-encoded as one path segment."""
    return template.format(**{k: quote(v, safe="") for k, v in values.items()})
