"""The legacy TASS.web API face: `/tassweb/api/` with `method`, `appcode`, `company`, `v` and
the AES-encrypted `token` (tass.md §A, §B, §D.2).

A request is answered in this order:

1. `appcode` must name an enabled app, `company` one of its companies, and `token` must
   decrypt with the app's Token Key, else 401 with `{"__status":"invalid","__msg":
   "Unauthorized","__invalid":{}}` after IIS's error page (§A.6, below). The decrypted
   string is a query string for `v=1` and a JSON object for `v=2`/`v=3`; one that does not
   parse is also 401.
2. The app must accept the version (an app with a Security Role only `v=3`, one without only
   `v=1`/`v=2`, §A.3), the method must be implemented and licensed for the app, and the role
   must hold the method's documented Permission, else 501 with `__msg` "Not Implemented"
   (the TASS maintainer's "access not configured correctly", §A.6).
3. Validation errors answer `{"__status":"invalid","__invalid":{param: message}}` (or
   `__msg` for the codeonly-style methods) with the exact messages of §B, with HTTP status
   `TassConfig.legacy_validation_status` (default 401, §D.2).
4. Success answers the method's payload key(s) plus `__tassversion` and `token`, the echo of
   the decrypted parameters with `"timestamp": "{ts 'YYYY-MM-DD HH:MM:SS'}"` (§A.5). Echoed
   `"true"`/`"false"` become booleans and digit strings without a leading zero numbers
   (`"year":"2020"` -> 2020, `"code":"0009130"` stays a string), as the examples show.

Readings beyond the digest:

* A refused app, company or token (401) and a method the app may not call (501) are answered
  as real servers answer them (§A.6 [ISSUE]): IIS's `text/html` error page for the status
  ("401 - Unauthorized: Access is denied due to invalid credentials.", "501 - Header values
  specify a method that is not implemented."), its CSS braces included, followed by the JSON
  envelope. `TassConfig.legacy_error_pages` off answers the envelope alone (§D.2). Validation
  errors are the envelope alone: the docs show them so (§A.6). Verbs other than GET and POST
  get 405 with the envelope alone. A `v` outside 1-3 is refused like a version the app does
  not accept (501).
* `method` is matched case-insensitively (§A.1 [INFER]). Where two documented APIs share a
  method name, the simulator implements one: `getStudents` is lms-integration's (not IdM's
  `GetStudents` or library-integration's), `getCampuses` lms-integration's and
  `getYearGroups` online-enrolments'.
* `getStudentAbsences` and `getClassLessons` are documented for v2 only (student-academic-
  analytics) and name no Permission; a v3 app may call them without one.
* No photos exist in the world: `includephoto`/`thumbnail` are validated but no
  `student_photo`/`teacher_photo` object is returned. `other_school_details` is `{}`.
* Dates in parameters are accepted as `dd/mm/yyyy` or `yyyy-mm-dd` (§B.0 [DESIGN]).
  `update_on_from`/`update_on_to` are inclusive whole days and `update_on` one day, in school
  time. `getStudentAbsences` defaults to the school year up to today, `getClassLessons` to
  each timetable's semester.
* `getCampuses` with `codeonly` `true` returns an array of codes and `getYearGroups` an array
  of year numbers (by analogy with getSchoolYearGroups, §B.5 [INFER]).
* `getClassDetailsWithStudents` fills `teachers` with `{"tch_code", "emp_code"}` objects (the
  documented example is empty, so the element shape is ours).
* `setParentContactDetails` writes through `World.touch`: `e_mail1`/`mobile_phone1` go to
  Parent 1 of the address, `e_mail2`/`mobile_phone2` to Parent 2, `home_phone` to both,
  `bus_phone` to Parent 1's work phone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from aiohttp import web

from ..dataset import Contact, Staff, Student
from .accounts import LegacyApp
from .api2026 import teacher_name
from .crypto import TokenError, decrypt_token
from .formats import cf_datetime, cf_timestamp, dmy, dmy_hms, local, parse_legacy_date
from .state import STATE, TassState
from .store import Address, SchoolView, Slot, days, week_of_year

__all__ = ["LEGACY_PATHS", "METHODS", "install_legacy", "legacy_error_body"]

LEGACY_PATHS = ("/tassweb/api/", "/tassweb/api/index.cfm")  # tass.md §A.1, §D.2
_STATUSES_STUDENT = ("current", "future", "past", "noncurrent")
_MSG_STATUS_STUDENT = "Current Status must be 'current' or 'future' or 'past' or 'noncurrent'."
_MSG_STATUS_TEACHER = "Current Status must be 'current' or 'noncurrent'."
_REQUIRED = "field is required"
_BOOL = "Value is not a valid boolean."
_EMAIL = re.compile(r"^[^@\s;]+@[^@\s;]+\.[^@\s;]+$")


def legacy_error_body(message: str, invalid: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The legacy error envelope (tass.md §A.5, §A.6)."""
    return {"__status": "invalid", "__msg": message, "__invalid": dict(invalid or {})}


class Invalid(Exception):  # noqa: N818 - named after the envelope's `__invalid`
    """A validation failure: `__invalid` entries and/or a top-level `__msg`."""

    def __init__(self, invalid: Mapping[str, str] | None = None, msg: str | None = None):
        super().__init__(msg or "; ".join(f"{k}: {v}" for k, v in (invalid or {}).items()))
        self.invalid = dict(invalid or {})
        self.msg = msg


@dataclass(slots=True)
class LegacyCall:
    state: TassState
    app: LegacyApp
    company: str
    view: SchoolView | None
    params: dict[str, Any]
    version: str
    now: datetime

    def text(self, name: str) -> str | None:
        """A parameter as text (JSON numbers and booleans included), None when absent."""
        value = self.params.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value).strip()

    def required(self, name: str, message: str = _REQUIRED) -> str:
        value = self.text(name)
        if not value:
            raise Invalid({name: message})
        return value

    def flag(self, name: str, *, message: str = _BOOL) -> bool | None:
        value = self.text(name)
        if value is None or value == "":
            return None
        if value.lower() not in ("true", "false"):
            raise Invalid({name: message})
        return value.lower() == "true"

    def day(self, name: str, message: str = "date is invalid.") -> date | None:
        value = self.text(name)
        if not value:
            return None
        try:
            return parse_legacy_date(value)
        except ValueError:
            raise Invalid({name: message}) from None

    def integer(self, name: str) -> int | None:
        value = self.text(name)
        if not value:
            return None
        try:
            return int(value)
        except ValueError:
            raise Invalid({name: "Value must be a valid integer"}) from None

    @property
    def quirks(self) -> bool:
        return self.state.config.legacy_quirks


@dataclass(frozen=True, slots=True)
class Method:
    name: str
    permission: str | None  # the doc's "Permission"; None for v2-only methods
    run: Callable[[LegacyCall], dict[str, Any]]


# --------------------------------------------------------------------------- helpers


def _codes(value: str) -> list[str]:
    return [c.strip() for c in value.split(",") if c.strip()]


def _students(call: LegacyCall) -> list[Student]:
    return call.view.students if call.view else []


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _yn(value: bool) -> str:
    return "Y" if value else "N"


def _state_number(student: Student) -> int:
    # QLD schools carry `lui_number` (tass.md §B.1.1); derived from the student code.
    digits = "".join(ch for ch in student.code if ch.isdigit()) or str(student.id)
    return int(f"6{digits[-6:]}")


def _updated_between(
    moment: datetime, view: SchoolView, start: date | None, end: date | None, exact: date | None
) -> bool:
    day = local(moment, view.zone).date()
    if exact is not None and day != exact:
        return False
    if start is not None and day < start:
        return False
    return end is None or day <= end


def _student_status_filter(call: LegacyCall, status: str | None) -> Callable[[Student], bool]:
    view = call.view

    def keep(student: Student) -> bool:
        if status is None or view is None:
            return True
        actual = view.student_status(student)
        return actual != "current" if status == "noncurrent" else actual == status

    return keep


def _gender(value: str) -> str:
    return {"M": "Male", "F": "Female"}.get(value, "")


def _general_details(
    view: SchoolView, s: Student, *, details: bool, quirks: bool
) -> dict[str, Any]:
    """`general_details` of getStudentsDetails (`details`) or lms getStudents (§B.1.1-2)."""
    out: dict[str, Any] = {
        "surname": s.surname,
        "next_year_indicator": view.next_year(s)[1],
        "date_of_leaving": dmy(s.leaving_date),
        "student_code": view.student_code[s.id],
        "usi": "",
    }
    if not details:
        out["portal_user_code"] = ""
    out.update(
        {
            "preferred_surname": s.surname,
            "first_name": s.forename,
            "mobile_phone": s.mobile or "",
            "lui_number": _state_number(s),
            "entry_year_group": view.entry_level(s),
        }
    )
    if details:
        out.update({"par_code": s.family_code, "sms_flg": _yn(s.mobile is not None)})
    out.update(
        {
            "religion": view.religion(s)[1],
            "preferred_name": s.preferred_forename,
            "other_name": s.middle_names or "",
            "gender": _gender(s.gender),
            "date_of_entry": dmy(s.admission_date),
            "date_of_birth": dmy(s.date_of_birth),
            "alternate_id": "",
            "given_names": " ".join(n for n in (s.forename, s.middle_names) if n),
        }
    )
    if details:
        out["multipar_flg " if quirks else "multipar_flg"] = _yn(len(view.addresses(s)) > 1)
        out["last_update_on"] = dmy_hms(s.updated_at, view.zone)
        out["last_update_by"] = "Admin"
    return out


def _school_details(view: SchoolView, s: Student) -> dict[str, Any]:
    campus = view.campus_of(s.campus_id)
    house = view.house(s)
    return {
        "campus": campus.name if campus else "",
        "email_address": s.email or "",
        "pc_tutor_group": view.tutor_group(s),
        "boarder": _yes_no(s.boarder),
        "student_cafe_access": "Yes",
        "house": view.house_desc(house) if house else "",
        "year_group": s.year,
        "form_class": view.form_class(s),
        "residency_status": view.residency(s)[1],
    }


def _photo_flags(call: LegacyCall) -> None:
    call.flag("includephoto")
    call.flag("thumbnail")


# --------------------------------------------------------------------------- students


def get_students_details(call: LegacyCall) -> dict[str, Any]:
    """student-details getStudentsDetails (tass.md §B.1.1)."""
    status = call.text("currentstatus") or None
    code = call.text("code") or None
    if status is None and code is None:
        raise Invalid({"currentstatus": "currentstatus or code must be provided"})
    if status is not None and status not in _STATUSES_STUDENT:
        raise Invalid({"currentstatus": _MSG_STATUS_STUDENT})
    _photo_flags(call)
    view = call.view
    people = _students(call)
    if code is not None:
        wanted = _codes(code)
        by_code = view.student_by_code if view else {}
        if not wanted or any(c not in by_code for c in wanted):
            raise Invalid({"code": "Student Code is invalid."})
        people = [by_code[c] for c in dict.fromkeys(wanted)]
        people.sort(key=lambda s: s.id)
    campus, tutor, klass, year = (
        call.text(n) or None for n in ("campus", "pc_tutor_group", "class", "year_group")
    )
    # Consent2Go's key spellings, the evidently intended ones (tass.md §B.1.1 [DESIGN]).
    if view is not None:
        if campus is not None and campus not in {c.code for c in view.campuses}:
            raise Invalid({"campus": f"Invalid campus {campus}."})
        if tutor is not None and tutor not in {g.code for g in view.registrations}:
            raise Invalid({"pc_tutor_group": f"Invalid pc_tutor_group {tutor}."})
        if klass is not None and klass not in {view.form_class(s) for s in view.students}:
            raise Invalid({"form_class": f"Invalid form class {klass}."})
        if year is not None and (
            not year.lstrip("-").isdigit() or int(year) not in view.school.year_levels
        ):
            raise Invalid({"year_group": f"Invalid year_group {year}."})
    start, end, exact = (call.day(n) for n in ("update_on_from", "update_on_to", "update_on"))
    keep_status = _student_status_filter(call, status)
    out = []
    for s in people:
        if view is None or not keep_status(s):
            continue
        if campus is not None and view.campus_code.get(s.campus_id or -1) != campus:
            continue
        if tutor is not None and view.tutor_group(s) != tutor:
            continue
        if klass is not None and view.form_class(s) != klass:
            continue
        if year is not None and s.year != int(year):
            continue
        if (start or end or exact) and not _updated_between(s.updated_at, view, start, end, exact):
            continue
        out.append(
            {
                "general_details": _general_details(view, s, details=True, quirks=call.quirks),
                "school_details": _school_details(view, s),
                "other_school_details": {},
            }
        )
    return {"students": out}


def get_students(call: LegacyCall) -> dict[str, Any]:
    """lms-integration getStudents (tass.md §B.1.2)."""
    status = call.required("currentstatus")
    if status not in _STATUSES_STUDENT:
        raise Invalid({"currentstatus": _MSG_STATUS_STUDENT})
    _photo_flags(call)
    view = call.view
    keep = _student_status_filter(call, status)
    return {
        "students": [
            {
                "general_details": _general_details(view, s, details=False, quirks=call.quirks),
                "school_details": _school_details(view, s),
                "other_school_details": {},
            }
            for s in _students(call)
            if view is not None and keep(s)
        ]
    }


def get_student_subjects(call: LegacyCall) -> dict[str, Any]:
    """lms-integration getStudentSubjects: a dynamic key per student (tass.md §B.3.1)."""
    code = call.required("code")
    lms = call.text("lmsflag")
    if lms and lms not in ("Y", "N"):
        raise Invalid({"lmsflag": "lmsflag must be set to 'Y' or 'N'."})
    view = call.view
    if code.lower() == "all":
        people = [s for s in _students(call) if view and view.student_status(s) == "current"]
    else:
        found = view.student_by_code.get(code) if view else None
        if found is None:
            raise Invalid({"code": "Invalid Student Code"})
        people = [found]
    out: dict[str, Any] = {}
    if view is None:
        return out
    semester = view.current_semester
    for s in people:
        rows = [
            {
                "sub_code": g.subject_code or "",
                "from_date": "",
                "sub_short": view.subject_short(g),
                "to_date": "",
                "student_code": view.student_code[s.id],
                "sub_long": g.subject_name or "",
                "class": view.class_code(g),
                "sub_type": "COR",
                "semester": semester,
                "year_grp_desc": g.year,
                "year_grp": g.year,
                "year_num": view.year,
            }
            for g in sorted(view.classes_of.get(s.id, []), key=lambda g: g.id)
        ]
        if rows:
            out[view.student_code[s.id]] = rows
    return out


def get_communication_rules(call: LegacyCall) -> dict[str, Any]:
    """student-details getCommunicationRulesDetails (tass.md §B.7.1)."""
    status = call.required("currentstatus")
    if status not in _STATUSES_STUDENT:
        raise Invalid({"currentstatus": _MSG_STATUS_STUDENT})
    commtype = call.required("commtype").lower()
    if commtype not in ("all", "aca", "att", "ec", "gen", "lw", "tk", "tkco"):
        raise Invalid({"commtype": "Communication Rules are not enabled."})
    call.flag("useoptimised")
    view = call.view
    people = _students(call)
    code = call.text("code")
    if code:
        found = view.student_by_code.get(code) if view else None
        if found is None:
            raise Invalid({"code": "Student Code is invalid."})
        people = [found]
    keep = _student_status_filter(call, status)
    out = []
    for s in people:
        if view is None or not keep(s):
            continue
        addresses = [
            _address(view, s, a, call.quirks)
            for a in view.addresses(s)
            if commtype == "all" or commtype.upper() in a.types
        ]
        if addresses:
            out.append({"addresses": addresses, "studcode": view.student_code[s.id]})
    return {"commrules": out}


def _person(
    prefix: str, person: Contact | None, description: str | None, quirks: bool
) -> dict[str, Any]:
    fields = (
        "description",
        "title",
        "initials",
        "surname",
        "first_name",
        "other_name",
        "preferred_name",
        "suffix",
    )
    if person is None:
        out: dict[str, Any] = {f"{prefix}_{f}": "" for f in fields}
        out[f"{prefix}_person_num"] = ""
    else:
        out = {
            f"{prefix}_description": description or "",
            f"{prefix}_title": person.title,
            f"{prefix}_initials": person.forename[:1],
            f"{prefix}_surname": person.surname,
            f"{prefix}_first_name": person.forename,
            f"{prefix}_other_name": "",
            f"{prefix}_preferred_name": person.forename,
            f"{prefix}_suffix": "",
            f"{prefix}_person_num": person.id,
        }
    out[f"{prefix}_deceased_flg " if quirks else f"{prefix}_deceased_flg"] = "N"
    return out


def _address(view: SchoolView, s: Student, address: Address, quirks: bool) -> dict[str, Any]:
    p1, p2 = address.parent1, address.parent2
    people: list[Contact] = address.people
    link = address.links[0] if address.links else None
    label = "Mother/Parent 1" if address.add_num == 1 else (link.relationship if link else "")
    lines = [f"{p.title} {p.forename[:1]} {p.surname}" for p in people]
    town = p1.town.upper() if p1 else ""
    addr1 = p1.address if p1 else ""
    return {
        "communication_type": ",".join(address.types),
        "add_num": address.add_num,
        "parent_code": s.family_code,
        "address_description": "Parents" if address.add_num == 1 else label,
        "address_person_posn": 1,
        "address_person_label": label,
        "address_person_gender": p1.gender if p1 else "",
        "address_person_gender_desc": _gender(p1.gender) if p1 else "",
        "addressee": " & ".join(lines),
        "salutation": " & ".join(f"{p.title} {p.surname}" for p in people),
        "relationship": "Biological" if link and link.parental_responsibility else "Other",
        "tag": "",
        "email": (p1.email or "") if p1 else "",
        "email_2": (p2.email or "") if p2 else "",
        "mobile_phone_1": (p1.mobile or "") if p1 else "",
        "mobile_phone_2": (p2.mobile or "") if p2 else "",
        "sms_flg_1": _yn(bool(p1 and p1.mobile)),
        "sms_flg_2": _yn(bool(p2 and p2.mobile)),
        "home_phone": (p1.home_phone or "") if p1 else "",
        "business_phone": (p1.work_phone or "") if p1 else "",
        "facsimile": "",
        "current_address": "<br />".join(
            [" & ".join(lines), addr1, f"{town} QLD {p1.postcode if p1 else ''}"]
        ),
        "addr1": addr1,
        "addr2": "",
        "addr3": "",
        "town_sub": town,
        "state_code": "QLD",
        "post_code": int(p1.postcode) if p1 and p1.postcode.isdigit() else "",
        "country": "",
        "call_order": "",
        **_person("m", p1, address.description(1), quirks),
        **_person("f", p2, address.description(2), quirks),
    }


# --------------------------------------------------------------------------- staff


def get_teachers(call: LegacyCall) -> dict[str, Any]:
    """lms-integration getTeachers (tass.md §B.2.1)."""
    status = call.required("currentstatus")
    if status not in ("current", "noncurrent"):
        raise Invalid({"currentstatus": _MSG_STATUS_TEACHER})
    _photo_flags(call)
    view = call.view
    if view is None:
        return {"teachers": []}
    out = []
    for t in view.teachers:
        current = view.staff_status(t) == "current"
        if current != (status == "current"):
            continue
        tutor = view.tutor_group_of_staff.get(t.id)
        out.append(
            {
                "surname": t.surname,
                "employee_surname": t.surname,
                "active_flag": _yn(current),
                "teacher_name": teacher_name(t),
                "pc_tutor_group": tutor.code if tutor else "",
                "department": t.department or "",
                "portal_user_code": "",
                "employee_code": int(view.emp_code[t.id]),
                "teacher_code": view.teacher_code[t.id],
                "first_name": t.forename,
                "email_address": "",
                "salutation": t.title,
                "preferred_name": t.preferred_forename,
                "other_name": "",
                "school_email_address": t.email or "",
                "given_names": t.forename,
            }
        )
    return {"teachers": out}


def get_employees_details(call: LegacyCall) -> dict[str, Any]:
    """employee-hr getEmployeesDetails (tass.md §B.2.2)."""
    if not call.text("date"):
        raise Invalid({"date": _REQUIRED})
    cutoff = call.day("date")
    _photo_flags(call)
    view = call.view
    staff = view.staff if view else []
    code = call.text("code")
    if code:
        wanted = _codes(code)
        by_code = view.staff_by_emp if view else {}
        if any(c not in by_code for c in wanted):
            raise Invalid({"code": "Employee Code is invalid."})
        staff = sorted((by_code[c] for c in dict.fromkeys(wanted)), key=lambda s: s.id)
    start, end, exact = (call.day(n) for n in ("update_on_from", "update_on_to", "update_on"))
    out = []
    for person in staff:
        if view is None:
            break
        if cutoff is not None and person.leaving_date is not None and person.leaving_date < cutoff:
            continue
        if (start or end or exact) and not _updated_between(
            person.updated_at, view, start, end, exact
        ):
            continue
        out.append(_employee(view, person))
    return {"employees": out}


def _employee(view: SchoolView, p: Staff) -> dict[str, Any]:
    return {
        "address": {
            "town_suburb": "",
            "address_line_1": "",
            "address_barcode": "",
            "address_description": "1. Employee Address *",
            "address_line_2": "",
            "state": "QLD",
            "employee_name": f"{p.title} {p.forename[:1]} {p.surname}",
            "email": "",
            "work_phone": "",
            "mobile_phone": p.mobile or "",
            "country": "",
            "sms": _yn(p.mobile is not None),
            "post_code": "",
            "home_phone": "",
        },
        "general": {
            "initials": p.forename[:1],
            "employment_status": "F",
            "surname": p.surname,
            "marital_status": "",
            "last_update_on": dmy_hms(p.updated_at, view.zone),
            "supervisor": "",
            "alt_id": p.payroll_number,
            "ceider": "",
            "position_title": p.job_title,
            "start_date": dmy(p.start_date),
            "employee_code": int(view.emp_code[p.id]),
            "school_email": p.email or "",
            "teacher_code": view.teacher_code.get(p.id, ""),
            "position_text": "Teacher" if p.role == "teacher" else "Support Staff",
            "last_update_by": "Admin",
            "termination_date": dmy(p.leaving_date),
            "supervisor_2": "",
            "preferred_name": p.preferred_forename,
            "name_suffixes": "",
            "gender": p.gender,
            "title": p.title,
            "driver_licence_no": "",
            "date_of_birth": dmy(p.date_of_birth),
            "supplier_code": "",
            "given_names": p.forename,
        },
        "next_of_kin": {
            "town_suburb": "",
            "address_line_1": "",
            "country": "",
            "address_line_2": "",
            "state": "",
            "post_code": "",
            "home_phone": "",
            "relationship": "",
            "work_phone": "",
            "name": "",
        },
    }


def get_teacher_subjects(call: LegacyCall) -> dict[str, Any]:
    """lms-integration getTeacherSubjects: a dynamic key per teacher (tass.md §B.3.2)."""
    code = call.required("code")
    lms = call.text("lmsflag")
    if lms and lms not in ("Y", "N"):
        raise Invalid({"lmsflag": "lmsflag must be set to 'Y' or 'N'."})
    view = call.view
    if code.lower() == "all":
        teachers = view.teachers if view else []
    else:
        found = view.teacher_by_code.get(code) if view else None
        if found is None:
            raise Invalid({"code": "Invalid Teacher Code"})
        teachers = [found]
    out: dict[str, Any] = {}
    if view is None:
        return out
    for t in teachers:
        rows = [
            {
                "semester": view.current_semester,
                "year_grp_desc": g.year,
                "sub_code": g.subject_code or "",
                "sub_short": view.subject_short(g),
                "year_grp": g.year,
                "year_num": view.year,
                "sub_long": g.subject_name or "",
                "class": view.class_code(g),
                "employee_code": int(view.emp_code[t.id]),
                "sub_type": "COR",
                "teacher_code": view.teacher_code[t.id],
                "sub_dept_code": (g.subject_code or "")[:3],
                "sub_dept_desc": g.subject_name or "",
            }
            for g in view.classes
            if t.id in g.staff_ids
        ]
        if rows:
            out[view.teacher_code[t.id]] = rows
    return out


# --------------------------------------------------------------------------- timetables


def get_timetables(call: LegacyCall) -> dict[str, Any]:
    """lms-integration getTimetables (tass.md §B.4.1)."""
    year = call.required("year")
    period = call.required("period")
    view = call.view
    if view is None or year != str(view.year) or period not in ("1", "2"):
        return {"timetables": []}
    semester = int(period)
    tt_id = view.tt_id(semester)
    rows = []
    for slot in view.slots:
        group = slot.group
        teacher = view.teacher_code.get(slot.entry.staff_id, "")
        klass, subject = view.class_code(group), group.subject_code or ""
        rows.append(
            {
                "sub_code": subject,
                "room_code": slot.entry.room,
                "tch_code": teacher,
                "prd_code": slot.period_code,
                "table_id": "ttmast",
                "class": klass,
                "day_code": slot.day_code,
                "semester": semester,
                "year_grp_desc": group.year,
                "year_grp": group.year,
                "year_num": view.year,
                "record_id": slot.entry.id,
                "id": f"{slot.period_code}_{tt_id}_{view.year}_{semester}_{slot.day_code}_"
                f"{slot.period_code}_{subject}_{group.year}_{klass}_{teacher}_"
                f"{slot.entry.room}",
                "tt_id": tt_id,
            }
        )
    return {"timetables": rows}


def get_timetable_calendar(call: LegacyCall) -> dict[str, Any]:
    """lms-integration getTimetableCalendar (tass.md §B.4.2)."""
    raw = call.required("tt_id")
    if not raw.isdigit():
        raise Invalid({"tt_id": "Value must be a valid integer"})
    view = call.view
    tt_id = int(raw)
    if view is None or tt_id not in view.tt_ids():
        return {"tt_calendar": []}
    start, end = view.semester_dates(view.tt_ids()[tt_id])
    rows = []
    day, index = start, 0
    while day <= end:
        rows.append(
            {
                "CAT_NUM": "",
                "CMPY_CODE": int(call.company),
                "TTDATE": cf_datetime(day),
                "RECORD_ID": tt_id * 1000 + index,
                "LABEL": day.strftime("%a %d/%m/%Y"),
                "ID": f"{tt_id}-{day.isoformat()}",
                "TABLE_ID": "ttcalendar",
                "VALUE": day.isoformat(),
                "TT_ID": tt_id,
                "DAY_CODE": day.weekday() + 1 if view.is_school_day(day) else "",
            }
        )
        day += timedelta(days=1)
        index += 1
    return {"tt_calendar": rows}


def _grid(
    view: SchoolView, slots: Iterable[Slot], *, student: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """DAYS (with SUBJECTS) and STRDAYS (bell times) of a person timetable (§B.4.3)."""
    by_cell: dict[tuple[int, int], list[Slot]] = {}
    for slot in slots:
        by_cell.setdefault((slot.day_code, slot.period_code), []).append(slot)
    days: dict[str, Any] = {}
    strdays: dict[str, Any] = {}
    names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    for weekday, periods in sorted(view.periods_by_weekday.items()):
        day_code = weekday + 1
        day_periods: dict[str, Any] = {}
        bells: dict[str, Any] = {}
        for period in periods:
            prd = view.period_code[period.id]
            bell = {
                "PRD_END": cf_datetime(datetime.combine(date(1900, 1, 1), period.end)),
                "PRD_START": cf_datetime(datetime.combine(date(1900, 1, 1), period.start)),
                "PRD_DESC": f"Lesson {prd}",
            }
            subjects = []
            for slot in by_cell.get((day_code, prd), []):
                group = slot.group
                item: dict[str, Any] = {
                    "SUB_CODE": group.subject_code or "",
                    "SUB_SHORT": view.subject_short(group),
                    "HASOVERRIDE": 0,
                    "ROOM_CODE": slot.entry.room,
                    "TCH_CODE": view.teacher_code.get(slot.entry.staff_id, ""),
                    "SUBTAB_YEAR_GRP_DESC": str(group.year),
                    "CLASS": view.class_code(group),
                    "YEAR_GRP": group.year,
                    "SUB_DESC": group.subject_name or "",
                    "SUB_ABREV": group.subject_code or "",
                    "LINE_CODE": "",
                    "SUBTAB_YEAR_GRP": group.year,
                }
                if student:
                    item.update(
                        {"FROM_DATE": "", "TO_DATE": "", "TT_PRIORITY": 999, "DATE_RANGE": ""}
                    )
                subjects.append(item)
            day_periods[str(prd)] = {"SUBJECTS": subjects, **bell, "PRD_CODE": prd}
            bells[str(prd)] = bell
        days[str(day_code)] = {"PERIODS": day_periods}
        strdays[str(day_code)] = {"PERIODS": bells, "DAY_DESC": names[weekday]}
    return days, strdays


def _bounds(view: SchoolView) -> dict[str, int]:
    prds = [view.period_code[p.id] for ps in view.periods_by_weekday.values() for p in ps]
    day_codes = [w + 1 for w in view.periods_by_weekday]
    return {
        "PERIODMIN": min(prds, default=1),
        "PERIODMAX": max(prds, default=1),
        "DAYMIN": min(day_codes, default=1),
        "DAYMAX": max(day_codes, default=1),
    }


def get_student_timetable(call: LegacyCall) -> dict[str, Any]:
    """lms-integration getStudentTimetable (tass.md §B.4.3), current semester."""
    code = call.required("student_code")
    view = call.view
    found = view.student_by_code.get(code) if view else None
    if view is None or found is None:
        raise Invalid({"student_code": "Invalid Student Code"})
    semester, house = view.current_semester, view.house(found)
    tt_id = view.tt_id(semester)
    days, strdays = _grid(view, view.student_slots(found), student=True)
    return {
        "student_timetable": [
            {
                "HSE_CODE": house.code if house else "",
                "HSE_NAME": view.house_desc(house) if house else "",
                "DESC_TEXT": f"Timetable {view.year} S{semester}",
                "DAYS": days,
                **_bounds(view),
                "SEMESTER": semester,
                "YEAR_NUM": view.year,
                "PCTUT_GRP": view.tutor_group(found),
                "YEAR_GRP": found.year,
                "STUD_YEAR_GRP": found.year,
                "ARRLINES": [],
                "STRDAYS": strdays,
                "FORM_CLS": view.form_class(found),
                "ENTITYCODE": f"{tt_id}_{code}",
                "TT_ID": tt_id,
                "ENTITYNAME": f"{code} - {found.surname}, {found.preferred_forename}",
            }
        ]
    }


def get_teacher_timetable(call: LegacyCall) -> dict[str, Any]:
    """lms-integration getTeacherTimetable (tass.md §B.4.4)."""
    code = call.required("teacher_code")
    year = call.required("year_num")
    semester = call.required("semester")
    tt_raw = call.text("tt_id")
    view = call.view
    found = view.teacher_by_code.get(code) if view else None
    if view is None or found is None:
        raise Invalid({"teacher_code": "Invalid Teacher Code"})
    if year != str(view.year) or semester not in ("1", "2"):
        return {"teacher_timetable": []}
    tt_id = view.tt_id(int(semester))
    if tt_raw and tt_raw != str(tt_id):
        return {"teacher_timetable": []}
    days, strdays = _grid(view, view.slots_by_teacher.get(found.id, []), student=False)
    return {
        "teacher_timetable": [
            {
                "DESC_TEXT": f"Timetable {view.year} S{semester}",
                "DAYS": days,
                **_bounds(view),
                "SEMESTER": int(semester),
                "YEAR_NUM": view.year,
                "YEAR_GRP": "",
                "ARRLINES": [],
                "STRDAYS": strdays,
                "ENTITYCODE": f"{tt_id}_{code}",
                "TT_ID": tt_id,
                "ENTITYNAME": f"{code} - {teacher_name(found)}",
            }
        ]
    }


# --------------------------------------------------------------------------- lists


def _codeonly(call: LegacyCall) -> bool:
    value = call.text("codeonly")
    if not value:
        raise Invalid(msg="'codeonly' IS REQUIRED")
    if value.lower() not in ("true", "false"):
        raise Invalid(msg="'codeonly' MUST BE 'true' or 'false'")
    return value.lower() == "true"


def get_campuses(call: LegacyCall) -> dict[str, Any]:
    """lms-integration getCampuses (tass.md §B.5)."""
    codeonly = _codeonly(call)
    campuses = call.view.campuses if call.view else []
    if codeonly:
        return {"campuses": [c.code for c in campuses]}
    return {"campuses": [{"code": c.code, "desc": c.name} for c in campuses]}


def get_year_groups(call: LegacyCall) -> dict[str, Any]:
    """online-enrolments getYearGroups (tass.md §B.3.7)."""
    codeonly = _codeonly(call)
    years = call.view.school.year_levels if call.view else ()
    if codeonly:
        return {"yeargroups": list(years)}
    return {"yeargroups": [{"code": y, "desc": y} for y in years]}


def get_class_details_with_students(call: LegacyCall) -> dict[str, Any]:
    """Consent2Go getClassDetailsWithStudents, current year and semester (tass.md §B.3.5)."""
    view = call.view
    if view is None:
        return {"data": []}
    out = []
    for g in view.classes:
        klass = view.class_code(g)
        out.append(
            {
                "class_desc": f"{g.subject_name}, {g.year}, {klass}",
                "sub_code": g.subject_code,
                "year_grp_desc": str(g.year),
                "year_grp": g.year,
                "semester": view.current_semester,
                "sub_long": g.subject_name or "",
                "class": klass,
                "year_study": view.year,
                "teachers": [
                    {"tch_code": view.teacher_code[s], "emp_code": int(view.emp_code[s])}
                    for s in g.staff_ids
                    if s in view.teacher_code
                ],
                "sub_desc": g.subject_name or "",
                "students": [
                    {"stud_code": view.student_code[s]}
                    for s in g.student_ids
                    if s in view.student_code
                ],
            }
        )
    return {"data": out}


# --------------------------------------------------------------------------- analytics (v2)


def _code_list(call: LegacyCall, name: str) -> list[Student] | None:
    """'ALL' (None) or the students of a comma list, with SAA's error wording."""
    raw = call.required(name)
    if raw.upper() == "ALL":
        return None
    view = call.view
    out = []
    for code in _codes(raw):
        found = view.student_by_code.get(code) if view else None
        if found is None:
            raise Invalid({name: f"Student Code {code} is invalid"})
        out.append(found)
    return sorted(set(out), key=lambda s: s.id)


def get_student_absences(call: LegacyCall) -> dict[str, Any]:
    """student-academic-analytics getStudentAbsences (tass.md §B.6.1)."""
    chosen = _code_list(call, "studcode")
    view = call.view
    start = call.day("absentdatefrom")
    end = call.day("absentdateto")
    ttid, yeargrp = call.integer("ttid"), call.integer("yeargrp")
    subcode, accept = call.text("subcode") or None, call.text("acceptind") or None
    if view is None:
        return {"DATA": []}
    people = view.students if chosen is None else chosen
    rows = []
    for r in view.absences(people, start or view.school.terms[0][0], end or view.today):
        tt_id = view.tt_id(view.semester_of(r.date))
        if ttid is not None and tt_id != ttid:
            continue
        if yeargrp is not None and r.year_group != yeargrp:
            continue
        if subcode is not None and r.subject_code != subcode:
            continue
        if accept is not None and r.acceptable != accept:
            continue
        rows.append(
            {
                "SUB_CODE": r.subject_code,
                "YEAR_GRP": r.year_group,
                "ACCEPT_IND": r.acceptable,
                "STUD_CODE": view.student_code[r.student.id],
                "PRD_CODE": r.period_code,
                "CLASS": r.class_code,
                "WEEK": week_of_year(r.date),
                "TT_ID": tt_id,
                "ABSENT_DATE": cf_datetime(r.date),
                "DAY_CODE": r.day_code,
            }
        )
    return {"DATA": rows}


def get_class_lessons(call: LegacyCall) -> dict[str, Any]:
    """student-academic-analytics getClassLessons (tass.md §B.3.6)."""
    raw = call.text("ttid")
    if not raw:
        raise Invalid({"ttid": "Value must be a valid integer"})
    view = call.view
    if view is None:
        return {"DATA": []}
    if raw.upper() == "ALL":
        wanted = sorted(view.tt_ids())
    else:
        try:
            wanted = [int(t) for t in _codes(raw)]
        except ValueError:
            raise Invalid({"ttid": "Value must be a valid integer"}) from None
    start, end = call.day("datefrom"), call.day("dateto")
    subcode, klass = call.text("subcode") or None, call.text("class") or None
    yeargrp, daycode, prdcode = (call.integer(n) for n in ("yeargrp", "daycode", "prdcode"))
    rows = []
    for tt_id in wanted:
        semester = view.tt_ids().get(tt_id)
        if semester is None:
            continue
        first, last = view.semester_dates(semester)
        first, last = max(first, start or first), min(last, end or last)
        by_day: dict[int, list[Slot]] = {}
        for slot in view.slots:
            by_day.setdefault(slot.day_code, []).append(slot)
        for day in days(first, last):
            if not view.is_school_day(day):
                continue
            # The world's lesson occurrences (World.lessons) are these slots on school days.
            for slot in sorted(
                by_day.get(day.weekday() + 1, []), key=lambda s: (s.period.start, s.group.id)
            ):
                group = slot.group
                if subcode is not None and group.subject_code != subcode:
                    continue
                if klass is not None and view.class_code(group) != klass:
                    continue
                if yeargrp is not None and group.year != yeargrp:
                    continue
                if daycode is not None and slot.day_code != daycode:
                    continue
                if prdcode is not None and slot.period_code != prdcode:
                    continue
                rows.append(
                    {
                        "SUB_CODE": group.subject_code or "",
                        "YEAR_GRP": group.year,
                        "TTDATE": cf_datetime(day),
                        "PRD_CODE": slot.period_code,
                        "CLASS": view.class_code(group),
                        "TT_ID": tt_id,
                        "DAY_CODE": slot.day_code,
                    }
                )
    return {"DATA": rows}


# --------------------------------------------------------------------------- write


def set_parent_contact_details(call: LegacyCall) -> dict[str, Any]:
    """Consent2Go setParentContactDetails (tass.md §B.7.3); errors nest `__msg` in
    `__invalid`."""
    par_code = call.text("par_code")
    if not par_code:
        raise Invalid({"__msg": "'par_code' IS REQUIRED."})
    view = call.view
    family = [s for s in (view.students if view else []) if s.family_code == par_code]
    if view is None or not family:
        raise Invalid({"__msg": "Parent record not found."})
    add_num = call.text("add_num")
    if not add_num:
        raise Invalid({"__msg": "'add_num' IS REQUIRED."})
    address = next((a for a in view.addresses(family[0]) if str(a.add_num) == add_num), None)
    if address is None:
        raise Invalid({"__msg": "Parent record not found."})
    values = {
        name: call.text(name)
        for name in (
            "e_mail1",
            "e_mail2",
            "home_phone",
            "bus_phone",
            "mobile_phone1",
            "mobile_phone2",
        )
    }
    limits = (
        ("home_phone", 30, "home_phone"),
        ("bus_phone", 30, "bus_phone"),
        ("mobile_phone1", 30, "mobile_phone1"),
        ("mobile_phone2", 30, "mobile2"),
        ("e_mail1", 140, "e_mail1"),
        ("e_mail2", 140, "e_mail2"),
    )
    for name, limit, label in limits:  # "mobile2" [sic] (tass.md §B.7.3)
        value = values[name]
        if value is not None and len(value) > limit:
            raise Invalid({"__msg": f"{label} maximum size allowed is {limit} characters."})
        if name.startswith("e_mail") and value and not _EMAIL.match(value):
            raise Invalid({"__msg": f"{name} is invalid."})
    p1, p2 = address.parent1, address.parent2
    changes: dict[int, dict[str, Any]] = {}

    def put(person: Contact | None, attr: str, value: str | None) -> None:
        if person is not None and value is not None:
            changes.setdefault(person.id, {})[attr] = value

    put(p1, "email", values["e_mail1"])
    put(p2, "email", values["e_mail2"])
    put(p1, "mobile", values["mobile_phone1"])
    put(p2, "mobile", values["mobile_phone2"])
    put(p1, "work_phone", values["bus_phone"])
    for person in address.people:
        put(person, "home_phone", values["home_phone"])
    world = view.world
    for contact_id, attrs in sorted(changes.items()):
        contact = world.contacts.get(contact_id)
        if contact is not None:
            world.touch("contacts", contact, **attrs)
    return {"success": "You successfully saved parent contact details."}


METHODS: dict[str, Method] = {
    m.name.lower(): m
    for m in (
        Method("getStudentsDetails", "Student Records > Students > View", get_students_details),
        Method("getStudents", "Student Records > Students > View", get_students),
        Method(
            "getStudentSubjects",
            "Student Records > Students > Subjects Tab > View",
            get_student_subjects,
        ),
        Method(
            "getCommunicationRulesDetails",
            "Student Records > Students > View",
            get_communication_rules,
        ),
        Method("getTeachers", "Teacher Records > Teachers > View", get_teachers),
        Method("getEmployeesDetails", "Employee/HR > Employees > View", get_employees_details),
        Method(
            "getTeacherSubjects",
            "Teacher Records > Teachers > Subjects Tab > View",
            get_teacher_subjects,
        ),
        Method(
            "getTimetables",
            "Timetables > Timetable Setup > Timetable Definitions > View",
            get_timetables,
        ),
        Method(
            "getTimetableCalendar",
            "Timetables > Timetable Calendar Setup > View",
            get_timetable_calendar,
        ),
        Method(
            "getStudentTimetable",
            "Timetable > Print Student Timetables > View",
            get_student_timetable,
        ),
        Method(
            "getTeacherTimetable",
            "Timetable > Print Teacher Timetables > View",
            get_teacher_timetable,
        ),
        Method(
            "getCampuses",
            "Student Records > Student Records Setup > Campuses Tab > View",
            get_campuses,
        ),
        Method("getYearGroups", "Parent Records > Parent Records Setup - View", get_year_groups),
        Method(
            "getClassDetailsWithStudents",
            "Student Records > Class Lists > View",
            get_class_details_with_students,
        ),
        Method("getStudentAbsences", None, get_student_absences),
        Method("getClassLessons", None, get_class_lessons),
        Method(
            "setParentContactDetails", "Parent Records > Parents > Edit", set_parent_contact_details
        ),
    )
}


# --------------------------------------------------------------------------- HTTP


def _response(body: Mapping[str, Any], status: int = 200) -> web.Response:
    return web.json_response(
        dict(body), status=status, dumps=lambda o: json.dumps(o, separators=(",", ":"))
    )


# IIS 7+'s detailed error page, as schools quote it before the envelope (§A.6 [ISSUE]).
_IIS_PAGE = """\
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" \
"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>
<title>{status} - {title}</title>
<style type="text/css">
<!--
body{{margin:0;font-size:.7em;font-family:Verdana, Arial, Helvetica, sans-serif;\
background:#EEEEEE;}}
fieldset{{padding:0 15px 10px 15px;}}
h1{{font-size:2.4em;margin:0;color:#FFF;}}
h2{{font-size:1.7em;margin:0;color:#CC0000;}}
h3{{font-size:1.2em;margin:10px 0 0 0;color:#000000;}}
#header{{width:96%;margin:0 0 0 0;padding:6px 2% 6px 2%;font-family:"trebuchet MS", Verdana, \
sans-serif;color:#FFF;background-color:#555555;}}
#content{{margin:0 0 0 2%;position:relative;}}
.content-container{{background:#FFF;width:96%;margin-top:8px;padding:10px;position:relative;}}
-->
</style>
</head>
<body>
<div id="header"><h1>Server Error</h1></div>
<div id="content">
 <div class="content-container"><fieldset>
  <h2>{status} - {title}</h2>
  <h3>{detail}</h3>
 </fieldset></div>
</div>
</body>
</html>
"""
_IIS_ERRORS = {
    401: (
        "Unauthorized: Access is denied due to invalid credentials.",
        "You do not have permission to view this directory or page using the credentials "
        "that you supplied.",
    ),
    501: (
        "Header values specify a method that is not implemented.",
        "The page you are looking for cannot be displayed because a header value in the "
        "request does not match certain configuration settings on the Web server.",
    ),
}


def _refused(state: TassState, message: str, status: int) -> web.Response:
    """A 401 or 501 envelope, after IIS's error page unless `legacy_error_pages` is off."""
    body = legacy_error_body(message)
    if not state.config.legacy_error_pages:
        return _response(body, status)
    title, detail = _IIS_ERRORS[status]
    page = _IIS_PAGE.format(status=status, title=title, detail=detail)
    text = page + json.dumps(body, separators=(",", ":"))
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def _unauthorized(state: TassState) -> web.Response:
    return _refused(state, "Unauthorized", 401)


def _not_implemented(state: TassState) -> web.Response:
    return _refused(state, "Not Implemented", 501)


def _echo_value(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        if text.isdigit() and (text == "0" or not text.startswith("0")):
            return int(text)
    return value


def _parse_params(plaintext: str, version: str) -> dict[str, Any] | None:
    if version == "1":
        return dict(parse_qsl(plaintext, keep_blank_values=True))
    try:
        parsed = json.loads(plaintext) if plaintext.strip() else {}
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


async def legacy_api(request: web.Request) -> web.StreamResponse:
    """The one ColdFusion handler behind `/tassweb/api/` and `/tassweb/api/index.cfm`."""
    state = request.app[STATE]
    if request.method not in ("GET", "POST"):
        return _response(legacy_error_body("Method Not Allowed"), 405)
    params: dict[str, str] = dict(request.query)
    if request.method == "POST":
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    app = state.accounts.legacy_apps.get(params.get("appcode", "").strip().upper())
    company = params.get("company", "").strip()
    token = params.get("token", "").strip()
    if app is None or not app.enabled or company not in app.companies or not token:
        return _unauthorized(state)
    try:
        plaintext = decrypt_token(token, app.token_key)
    except TokenError:
        return _unauthorized(state)
    version = params.get("v", "").strip()
    decoded = _parse_params(plaintext, version if version in ("1", "2", "3") else "2")
    if decoded is None:
        return _unauthorized(state)
    method = METHODS.get(params.get("method", "").strip().lower())
    if (
        method is None
        or not app.accepts_version(version)
        or (app.methods is not None and method.name.lower() not in app.methods)
        or (
            app.security_role is not None
            and method.permission is not None
            and method.permission not in app.security_role
        )
    ):
        return _not_implemented(state)
    now = state.now()
    view = state.store.view(company)
    call = LegacyCall(state, app, company, view, decoded, version, now)
    try:
        payload = method.run(call)
    except Invalid as exc:
        body: dict[str, Any] = {"__status": "invalid"}
        if exc.msg is not None:
            body["__msg"] = exc.msg
        body["__invalid"] = exc.invalid
        return _response(body, state.config.legacy_validation_status)
    zone = view.zone if view is not None else _default_zone(state)
    echo = {k: _echo_value(v) for k, v in decoded.items()}
    echo["timestamp"] = cf_timestamp(now, zone)
    return _response({**payload, "__tassversion": state.config.tass_version, "token": echo})


def _default_zone(state: TassState) -> ZoneInfo:
    school = state.store.tass_school()
    return ZoneInfo(school.time_zone if school else "Australia/Brisbane")


def install_legacy(app: web.Application) -> None:
    """Register the legacy handler on both documented paths."""
    for path in LEGACY_PATHS:
        app.router.add_route("*", path, legacy_api)
