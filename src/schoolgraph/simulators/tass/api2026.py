"""The 2026 TASS API face: key/secret -> 15-minute bearer -> per-company resources (tass.md §C,
§D.3, §D.4). Paths and wire field names live in `paths.py`.

Every call runs the same checks, in this order (tass.md §D.3 "Request rules"):

1. the verb must be one the endpoint implements, else 405 with `Allow` (ASP.NET endpoint
   routing answers 405 before authorization runs);
2. `Authorization: Bearer <token>`: missing, unknown, expired or revoked -> 401 with
   `WWW-Authenticate: Bearer`;
3. the API user must be enabled, else 403 (§C.2 "prevent the user from accessing");
4. the per-user rate limit, else 429 with `Retry-After` (seconds to the next clock minute);
5. `{cmpy_code}` must be one of the user's companies, else 403 (§C.3);
6. the generic endpoint must be assigned and Enabled and have a Security Role (no 'Alert'),
   else 403 (§C.4);
7. the verb's permission: GET -> Read, POST -> Add, PUT/PATCH -> Update, DELETE -> Delete,
   else 403 ([DESIGN], §D.3);
8. field permissions: Read 'Custom' projects records onto the allowed fields and refuses a
   `$filter` naming any other field (403); Update 'Custom' refuses a body that changes any
   other field (403).

Lists are JSON arrays paged with `$top` (default 100, at most `TassConfig.max_top`, 1000) and
`$skip`, filtered by `$filter` (see `odata.py`) before paging, and sorted by the world's ids. A
larger `$top` is refused with ASP.NET's 400 "The limit of 'N' for Top query has been exceeded",
or with `TassConfig.top_over_max` "cap" answered with a page of `max_top` rows and no error, as
a server that caps pages silently would (what a real server does is DOC-SILENT, §D.3).
Errors are RFC 7807 problem details (`type`, `title`, `status`, `detail`, `errors` for
validation, `traceId` = the audit Request ID, and `message` = `detail`, which the [3P] client
also reads).

Readings beyond the digest:

* PUT compares the fields it is given with the record and changes those that differ; fields it
  omits are left as they are (the [3P] client always sends the full object). PATCH takes an
  RFC 6902 document (`application/json-patch+json`, else 415) with `add`, `replace`, `remove`
  and `test` on top-level fields; the writable fields are listed in `paths.WRITABLE`, any
  other changed field is 400 "read-only".
* User-defined areas ([3P] `/students/{stud_code}/udareas/{area_code}`) are the one resource
  with Add and Delete. The school has two areas, BUS and LCK (`options/students/udareas`);
  their data lives in the simulator, not the world, starts empty and is cleared by reset.
* `/classes` defaults to the current year and semester, `/timetables` to the current year and
  `period` = semester, `/absences` to the current term's first day up to today.
* Rate limit: 300 requests per API user per clock minute by default (DOC-SILENT); the
  authenticate call is limited per client address.
* Tokens are opaque random strings; `token_expiry_date` is school-local without offset like
  every TASS time (the [3P] client compares it with a naive `datetime.now()`). A disabled
  user's correct key/secret is 401 at authentication and 403 on calls (§D.3). A company code
  that does not exist is answered like an unassigned one (403).
* Records: dates (`dob`, `doe`, `dol`) are .NET midnights `2026-01-27T00:00:00`, `update_on`
  is `2026-02-11T10:45:12.557`. The employee record's `e_mail` (personal) is null because the
  world holds only a work address, served as `school_email`.
"""

from __future__ import annotations

import json
import math
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from ..dataset import Staff, Student
from . import paths
from .accounts import ApiUser, EndpointGrant
from .audit import AuditRecord
from .formats import iso_date, iso_local, local, parse_legacy_date
from .odata import FilterError, parse_filter
from .paths import Endpoint
from .state import STATE, TassState, UdAreaData
from .store import RELIGIONS, RESIDENCIES, SchoolView, week_of_year

__all__ = ["ApiError", "audit_middleware", "install_api2026", "problem"]

# RFC 9110 / 6585 anchors that ASP.NET Core puts in `type`.
_TYPES: Mapping[int, tuple[str, str]] = {
    400: ("https://tools.ietf.org/html/rfc9110#section-15.5.1", "Bad Request"),
    401: ("https://tools.ietf.org/html/rfc9110#section-15.5.2", "Unauthorized"),
    403: ("https://tools.ietf.org/html/rfc9110#section-15.5.4", "Forbidden"),
    404: ("https://tools.ietf.org/html/rfc9110#section-15.5.5", "Not Found"),
    405: ("https://tools.ietf.org/html/rfc9110#section-15.5.6", "Method Not Allowed"),
    409: ("https://tools.ietf.org/html/rfc9110#section-15.5.10", "Conflict"),
    410: ("https://tools.ietf.org/html/rfc9110#section-15.5.11", "Gone"),
    415: ("https://tools.ietf.org/html/rfc9110#section-15.5.16", "Unsupported Media Type"),
    429: ("https://tools.ietf.org/html/rfc6585#section-4", "Too Many Requests"),
    500: ("https://tools.ietf.org/html/rfc9110#section-15.6.1", "Internal Server Error"),
    502: ("https://tools.ietf.org/html/rfc9110#section-15.6.3", "Bad Gateway"),
    503: ("https://tools.ietf.org/html/rfc9110#section-15.6.4", "Service Unavailable"),
    504: ("https://tools.ietf.org/html/rfc9110#section-15.6.5", "Gateway Timeout"),
}
_ACTIONS = {"GET": "read", "POST": "add", "PUT": "update", "PATCH": "update", "DELETE": "delete"}
_VERBS = {"read": "Read", "add": "Add", "update": "Update", "delete": "Delete"}

# [DESIGN] user-defined areas of the simulated school: code -> (description, fields).
UD_AREAS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "BUS": ("Bus Travel", ("bus_route", "bus_stop", "pickup_time")),
    "LCK": ("Locker", ("locker_number", "locker_location")),
}
NEXT_YEAR_INDICATORS = (("A", "Advancing"), ("L", "Leaving"), ("R", "Repeating"))
COMMRULE_TYPE_NAMES = (
    ("ACA", "Academic Reports"),
    ("ATT", "Attendance"),
    ("EC", "Emergency Contact"),
    ("GEN", "TASS.web Correspondence"),
    ("LW", "Student Lives With"),
    ("TK", "Teacher Kiosk View"),
    ("TKCO", "Teacher Kiosk Correspondence"),
)  # tass.md §B.7.1 `commtype`
GENDERS = (("F", "Female"), ("M", "Male"))
EMPLOYMENT_STATUSES = (("C", "Casual"), ("F", "Full Time"), ("P", "Part Time"))


class ApiError(Exception):
    """An error answered as problem details by `audit_middleware`."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: dict[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = dict(headers or {})


def problem(
    status: int,
    detail: str,
    *,
    errors: dict[str, list[str]] | None = None,
    trace_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """An RFC 7807 problem-details response in ASP.NET Core's shape (tass.md §D.3)."""
    kind, title = _TYPES.get(status, ("about:blank", "Error"))
    body: dict[str, Any] = {"type": kind, "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    body["traceId"] = trace_id or str(uuid.uuid4())
    body["message"] = detail
    out_headers = dict(headers or {})
    if status == 401:
        out_headers.setdefault("WWW-Authenticate", "Bearer")
    return web.json_response(
        body,
        status=status,
        headers=out_headers,
        content_type="application/problem+json",
        dumps=lambda o: json.dumps(o, separators=(",", ":")),
    )


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(
        body, status=status, dumps=lambda o: json.dumps(o, separators=(",", ":"))
    )


# --------------------------------------------------------------------------- audit


@dataclass(slots=True)
class AuditInfo:
    """What a handler learns about a request, for its audit record."""

    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    user_code: str = ""
    user_name: str = ""
    company: str = ""
    endpoint: str = ""
    error_message: str = ""
    stack_trace: str = ""


_AUDIT: web.RequestKey[AuditInfo] = web.RequestKey("tass_audit", AuditInfo)


def _info(request: web.Request) -> AuditInfo:
    info = request.get(_AUDIT)
    if info is None:
        info = AuditInfo()
        request[_AUDIT] = info
    return info


@web.middleware
async def audit_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Turn errors of the 2026 face into problem details and write one audit record per call
    (tass.md §C.7, §D.1 principle 4)."""
    if not request.path.startswith(paths.API_BASE + "/") and request.path != paths.API_BASE:
        return await handler(request)
    state = request.app[STATE]
    info = _info(request)
    started = time.perf_counter()
    response: web.StreamResponse
    try:
        response = await handler(request)
    except ApiError as exc:
        info.error_message = exc.detail
        response = problem(
            exc.status, exc.detail, errors=exc.errors, trace_id=info.request_id, headers=exc.headers
        )
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        detail = "No endpoint matches the requested URL." if exc.status == 404 else exc.reason
        info.error_message = detail
        response = problem(exc.status, detail, trace_id=info.request_id)
    except Exception as exc:
        info.error_message = "An error occurred while processing your request."
        info.stack_trace = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        response = problem(500, info.error_message, trace_id=info.request_id)
    elapsed = (time.perf_counter() - started) * 1000
    body = getattr(response, "body", None)
    view = state.store.view(info.company) if info.company else None
    zone = view.zone if view is not None else school_zone(state)
    state.audit.add(
        AuditRecord(
            request_id=info.request_id,
            request_datetime=local(state.now(), zone),
            user_code=info.user_code,
            user_name=info.user_name,
            company=info.company,
            method=request.method,
            endpoint=info.endpoint or request.path,
            endpoint_actual=request.path_qs,
            status=response.status,
            error_message=info.error_message if response.status >= 400 else "",
            ip_address=request.remote or "",
            elapsed_ms=elapsed,
            request_length=request.content_length or 0,
            response_length=len(body) if isinstance(body, (bytes, bytearray)) else 0,
            user_agent=request.headers.get("User-Agent", ""),
            query_parameters=request.query_string,
            stack_trace=info.stack_trace,
        )
    )
    return response


def school_zone(state: TassState) -> ZoneInfo:
    school = state.store.tass_school()
    return ZoneInfo(school.time_zone if school else "Australia/Brisbane")


# --------------------------------------------------------------------------- checks


def _rate_limit(state: TassState, key: str) -> None:
    """Fixed per-minute windows on the simulator clock (module docstring)."""
    limit = state.control.faults.rate_limit_per_minute or state.config.rate_limit_per_minute
    stamp = state.now().timestamp()
    window = int(stamp // 60)
    current, count = state.buckets.get(key, (window, 0))
    if current != window:
        count = 0
    if count >= limit:
        retry = max(1, math.ceil(60 - stamp % 60))
        raise ApiError(
            429,
            f"API calls quota exceeded! maximum admitted {limit} per 1m.",
            headers={"Retry-After": str(retry)},
        )
    state.buckets[key] = (window, count + 1)


def _user_for(request: web.Request, state: TassState) -> ApiUser:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(401, "Authorization has been denied for this request.")
    token, reason = state.accounts.resolve(value.strip(), state.now())
    if token is None:
        if reason == "expired":
            raise ApiError(
                401,
                "The bearer token has expired. Run 'POS User - Authenticate' "
                "again for a new token.",
                headers={
                    "WWW-Authenticate": 'Bearer error="invalid_token", '
                    'error_description="The token is expired"'
                },
            )
        raise ApiError(
            401,
            "Authorization has been denied for this request.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    user = state.accounts.users[token.user_code]
    info = _info(request)
    info.user_code, info.user_name = user.user_code, user.user_name
    return user


@dataclass(slots=True)
class Call:
    """One authorised call: its request, user, grant and company view."""

    request: web.Request
    state: TassState
    endpoint: Endpoint
    user: ApiUser
    grant: EndpointGrant
    company: str
    view: SchoolView | None

    def param(self, name: str) -> str:
        return self.request.match_info[name]

    @property
    def now(self) -> datetime:
        return self.state.now()


class LazyRows:
    """Rows produced on demand and kept, so paging through them costs O(page) amortised."""

    def __init__(self, source: Iterator[dict[str, Any]]) -> None:
        self._source: Iterator[dict[str, Any]] | None = source
        self.rows: list[dict[str, Any]] = []

    def upto(self, n: int) -> list[dict[str, Any]]:
        while self._source is not None and len(self.rows) < n:
            row = next(self._source, None)
            if row is None:
                self._source = None
            else:
                self.rows.append(row)
        return self.rows

    def all(self) -> list[dict[str, Any]]:
        if self._source is not None:
            self.rows.extend(self._source)
            self._source = None
        return self.rows


@dataclass(slots=True)
class Page:
    rows: list[dict[str, Any]] | LazyRows


@dataclass(slots=True)
class Item:
    row: dict[str, Any]
    status: int = 200


Result = Page | Item | None
Handler = Callable[[Call], Awaitable[Result]]


def _authorise(request: web.Request, endpoint: Endpoint) -> Call:
    state = request.app[STATE]
    info = _info(request)
    info.endpoint = endpoint.template
    info.company = request.match_info.get("cmpy_code", "")
    if request.method not in endpoint.methods:
        raise ApiError(
            405,
            f"The endpoint '{endpoint.template}' does not support {request.method}.",
            headers={"Allow": ", ".join(endpoint.methods)},
        )
    user = _user_for(request, state)
    if not user.enabled:
        raise ApiError(403, f"The API user '{user.user_name}' is disabled.")
    _rate_limit(state, f"user:{user.user_code}")
    company = info.company
    if company not in user.companies:
        raise ApiError(403, f"The API user is not assigned company '{company}'.")
    grant = user.endpoints.get(endpoint.template)
    if grant is None or not grant.enabled:
        raise ApiError(403, f"The API user has no access to the endpoint '{endpoint.template}'.")
    if grant.alert:
        raise ApiError(
            403, f"The endpoint '{endpoint.template}' has no User Security Role assigned."
        )
    action = _ACTIONS[request.method]
    if not getattr(grant, action):
        raise ApiError(
            403,
            f"The API user does not have {_VERBS[action]} permission on the "
            f"endpoint '{endpoint.template}'.",
        )
    return Call(request, state, endpoint, user, grant, company, state.store.view(company))


def _int_param(request: web.Request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(
            400,
            f"The value '{raw}' of {name} is not a valid integer.",
            errors={name: [f"The value '{raw}' is not valid for {name}."]},
        ) from None
    if value < 0:
        raise ApiError(
            400,
            f"{name} must not be negative, got {value}.",
            errors={name: [f"Invalid value '{raw}' for {name} query option."]},
        )
    if maximum is not None and value > maximum:
        raise ApiError(
            400,
            f"The limit of '{maximum}' for Top query has been exceeded. The "
            f"value from the incoming request is '{value}'.",
            errors={name: [f"The maximum is {maximum}."]},
        )
    return value


def _project(row: Mapping[str, Any], allowed: tuple[str, ...] | None) -> dict[str, Any]:
    if allowed is None:
        return dict(row)
    return {k: v for k, v in row.items() if k in allowed}


def _render(call: Call, result: Result) -> web.Response:
    allowed = call.grant.read_fields
    if result is None:
        return web.Response(status=204)
    if isinstance(result, Item):
        return _json(_project(result.row, allowed), result.status)
    request = call.request
    config = call.state.config
    if config.top_over_max == "cap":
        top = min(_int_param(request, paths.QUERY_TOP, paths.DEFAULT_TOP), config.max_top)
    else:
        top = _int_param(request, paths.QUERY_TOP, paths.DEFAULT_TOP, config.max_top)
    skip = _int_param(request, paths.QUERY_SKIP, 0)
    text = request.query.get(paths.QUERY_FILTER, "").strip()
    if not text:
        rows = result.rows.upto(skip + top) if isinstance(result.rows, LazyRows) else result.rows
        return _json([_project(r, allowed) for r in rows[skip : skip + top]])
    try:
        parsed = parse_filter(text)
    except FilterError as exc:
        raise ApiError(
            400,
            f"The query specified in the URI is not valid. {exc}",
            errors={paths.QUERY_FILTER: [str(exc)]},
        ) from None
    known = set(paths.wire_names(call.endpoint.resource))
    unknown = sorted(parsed.fields - known)
    if unknown:
        raise ApiError(
            400,
            f"Could not find a property named '{unknown[0]}' on this resource.",
            errors={paths.QUERY_FILTER: [f"Unknown property '{name}'." for name in unknown]},
        )
    hidden = sorted(parsed.fields - set(allowed)) if allowed is not None else []
    if hidden:
        raise ApiError(
            403, f"The API user does not have Read permission on the field '{hidden[0]}'."
        )
    zone = call.view.zone if call.view is not None else school_zone(call.state)
    match = parsed.matcher(zone)
    source = result.rows.all() if isinstance(result.rows, LazyRows) else result.rows
    matched = [r for r in source if match(r)]
    return _json([_project(r, allowed) for r in matched[skip : skip + top]])


def _route(
    endpoint: Endpoint, handler: Handler
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def serve(request: web.Request) -> web.StreamResponse:
        call = _authorise(request, endpoint)
        return _render(call, await handler(call))

    return serve


# --------------------------------------------------------------------------- authenticate


async def authenticate(request: web.Request) -> web.Response:
    """'POS User - Authenticate' (tass.md §C.6): key/secret -> bearer token for 15 minutes."""
    state = request.app[STATE]
    info = _info(request)
    info.endpoint = paths.AUTH_PATH
    if request.method != "POST":
        raise ApiError(
            405,
            f"The endpoint '{paths.AUTH_PATH}' does not support {request.method}.",
            headers={"Allow": "POST"},
        )
    _rate_limit(state, f"auth:{request.remote}")
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(
            400,
            "The request body must be a JSON object.",
            errors={"body": ["A JSON object is required."]},
        )
    key, secret = body.get(paths.AUTH_KEY), body.get(paths.AUTH_SECRET)
    if not isinstance(key, str) or not key or not isinstance(secret, str) or not secret:
        errors = {
            name: [f"The {name} field is required."]
            for name, value in ((paths.AUTH_KEY, key), (paths.AUTH_SECRET, secret))
            if not isinstance(value, str) or not value
        }
        raise ApiError(400, "One or more validation errors occurred.", errors=errors)
    owner = next(
        (u for u in state.accounts.users.values() if u.key is not None and u.key.client_key == key),
        None,
    )
    if owner is not None:
        info.user_code, info.user_name = owner.user_code, owner.user_name
    now = state.now()
    faults = state.control.faults
    lifetime = (
        timedelta(seconds=faults.token_lifetime_seconds)
        if faults.token_lifetime_seconds
        else state.config.token_lifetime
    )
    token = state.accounts.authenticate(key, secret, now, lifetime)
    if token is None:
        if (
            owner is not None
            and not owner.enabled
            and owner.key is not None
            and owner.key.secret_matches(secret)
        ):
            raise ApiError(401, f"The API user '{owner.user_name}' is disabled.")
        raise ApiError(401, "The client key or client secret is not valid.")
    user = state.accounts.users[token.user_code]
    companies = state.store.companies()
    zone = school_zone(state)
    return _json(
        {
            paths.TOKEN: token.value,
            paths.TOKEN_EXPIRY: iso_local(token.expires, zone),
            paths.ALLOWED_COMPANIES: [
                {paths.COMPANY_CODE: code, paths.COMPANY_NAME: companies[code].name}
                for code in sorted(user.companies)
                if code in companies
            ],
        }
    )


# --------------------------------------------------------------------------- records


def _rows(
    view: SchoolView | None, key: str, build: Callable[[SchoolView], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Rendered rows cached on the view, i.e. per world revision."""
    if view is None:
        return []
    cache = view.cache
    if key not in cache:
        if len(cache) > 256:  # many distinct absence windows in one revision
            cache.clear()
        cache[key] = build(view)
    return cache[key]


def student_record(view: SchoolView, student: Student) -> dict[str, Any]:
    """The 2026 student record (tass.md §D.4)."""
    house = view.house(student)
    return paths.to_wire(
        "student",
        {
            "code": view.student_code[student.id],
            "uid": student.external_id,
            "company": view.school.code,
            "surname": student.surname,
            "preferred_surname": student.surname,
            "first_name": student.forename,
            "preferred_name": student.preferred_forename,
            "other_name": student.middle_names,
            "email": student.email,
            "mobile": student.mobile,
            "gender": student.gender,
            "dob": iso_date(student.date_of_birth),
            "doe": iso_date(student.admission_date),
            "dol": iso_date(student.leaving_date),
            "year_group": student.year,
            "entry_level": view.entry_level(student),
            "form_class": view.form_class(student) or None,
            "tutor_group": view.tutor_group(student) or None,
            "house": house.code if house else None,
            "campus": view.campus_code.get(student.campus_id or -1),
            "family_code": student.family_code,
            "multi_parent": len(view.addresses(student)) > 1,
            "sms": student.mobile is not None,
            "boarder": student.boarder,
            "distance_ed": False,
            "ffpos": False,
            "privacy": False,
            "web_access": True,
            "fte": 1.0,
            "next_year": view.next_year(student)[0],
            "religion": view.religion(student)[0],
            "residency": view.residency(student)[0],
            "previous_school": None,
            "alt_id": None,
            "ceider": None,
            "usi": None,
            "govt_id": "",
            "idm_id": None,
            "compare": "1",
            "date_arrival": None,
            "visa_expiry": None,
            "visa_subclass": None,
            "updated": iso_local(student.updated_at, view.zone),
        },
    )


def _initials(*names: str | None) -> str:
    return "".join(n[0].upper() for name in names if name for n in name.split() if n)


def employee_record(view: SchoolView, staff: Staff) -> dict[str, Any]:
    """The 2026 employee record ([DESIGN], tass.md §D.4)."""
    return paths.to_wire(
        "employee",
        {
            "code": view.emp_code[staff.id],
            "teacher_code": view.teacher_code.get(staff.id),
            "company": view.school.code,
            "title": staff.title,
            "surname": staff.surname,
            "given_names": staff.forename,
            "first_name": staff.forename,
            "preferred_name": staff.preferred_forename,
            "initials": _initials(staff.forename),
            "gender": staff.gender,
            "dob": iso_date(staff.date_of_birth),
            "email": None,
            "school_email": staff.email,
            "mobile": staff.mobile,
            "position_title": staff.job_title,
            "position_text": "Teacher" if staff.role == "teacher" else "Support Staff",
            "employment_status": "F",
            "campus": view.campus_code.get(staff.campus_id or -1),
            "doe": iso_date(staff.start_date),
            "dol": iso_date(staff.leaving_date),
            "alt_id": staff.payroll_number,
            "ceider": None,
            "updated": iso_local(staff.updated_at, view.zone),
        },
    )


def teacher_name(staff: Staff) -> str:
    """`"Mr N A'llibone"`-style name (tass.md §B.2.1)."""
    return f"{staff.title} {staff.forename[:1]} {staff.surname}".strip()


def teacher_record(view: SchoolView, staff: Staff) -> dict[str, Any]:
    tutor = view.tutor_group_of_staff.get(staff.id)
    return paths.to_wire(
        "teacher",
        {
            "code": view.teacher_code[staff.id],
            "employee_code": view.emp_code[staff.id],
            "company": view.school.code,
            "surname": staff.surname,
            "employee_surname": staff.surname,
            "first_name": staff.forename,
            "given_names": staff.forename,
            "preferred_name": staff.preferred_forename,
            "other_name": "",
            "salutation": staff.title,
            "teacher_name": teacher_name(staff),
            "active": "Y" if view.staff_status(staff) == "current" else "N",
            "tutor_group": tutor.code if tutor else "",
            "department": staff.department or "",
            "email": "",
            "school_email": staff.email or "",
            "portal_user": "",
            "updated": iso_local(staff.updated_at, view.zone),
        },
    )


def class_rows(view: SchoolView, year: int, semester: int) -> list[dict[str, Any]]:
    if year != view.year or semester not in (1, 2):
        return []
    out: list[dict[str, Any]] = []
    for group in view.classes:
        out.append(
            paths.to_wire(
                "class",
                {
                    "company": view.school.code,
                    "subject_code": group.subject_code or "",
                    "class_code": view.class_code(group),
                    "year_group": group.year,
                    "year": year,
                    "semester": semester,
                    "subject_short": view.subject_short(group),
                    "subject_long": group.subject_name or "",
                    "desc": f"{group.subject_name}, {group.year}, {view.class_code(group)}",
                    "teachers": [
                        view.teacher_code[s] for s in group.staff_ids if s in view.teacher_code
                    ],
                    "students": [
                        view.student_code[s] for s in group.student_ids if s in view.student_code
                    ],
                    "updated": iso_local(group.updated_at, view.zone),
                },
            )
        )
    return out


def timetable_rows(view: SchoolView, year: int, semester: int) -> list[dict[str, Any]]:
    if year != view.year or semester not in (1, 2):
        return []
    tt_id = view.tt_id(semester)
    out = []
    for slot in view.slots:
        out.append(paths.to_wire("timetable", timetable_neutral(view, slot, semester, tt_id)))
    return out


def timetable_neutral(view: SchoolView, slot: Any, semester: int, tt_id: int) -> dict[str, Any]:
    """A slot as legacy getTimetables keys (tass.md §B.4.1), neutral-keyed."""
    group = slot.group
    teacher = view.teacher_code.get(slot.entry.staff_id, "")
    klass, subject = view.class_code(group), group.subject_code or ""
    return {
        "tt_id": tt_id,
        "slot_id": f"{slot.period_code}_{tt_id}_{view.year}_{semester}_{slot.day_code}_"
        f"{slot.period_code}_{subject}_{group.year}_{klass}_{teacher}_"
        f"{slot.entry.room}",
        "record_id": slot.entry.id,
        "table_id": "ttmast",
        "year": view.year,
        "semester": semester,
        "day_code": slot.day_code,
        "period_code": slot.period_code,
        "subject_code": subject,
        "class_code": klass,
        "year_group": group.year,
        "year_group_desc": group.year,
        "teacher_code": teacher,
        "room": slot.entry.room,
        "updated": iso_local(max(slot.entry.updated_at, group.updated_at), view.zone),
    }


def calendar_days(view: SchoolView, tt_id: int) -> list[tuple[date, int | str]]:
    """(date, day code or "" on non-school days) for every date of a timetable's semester."""
    semester = view.tt_ids()[tt_id]
    start, end = view.semester_dates(semester)
    out: list[tuple[date, int | str]] = []
    day = start
    while day <= end:
        out.append((day, day.weekday() + 1 if view.is_school_day(day) else ""))
        day += timedelta(days=1)
    return out


def calendar_rows(view: SchoolView, tt_id: int) -> list[dict[str, Any]]:
    return [
        paths.to_wire(
            "calendar",
            {
                "tt_id": tt_id,
                "day_id": f"{tt_id}-{day.isoformat()}",
                "record_id": tt_id * 1000 + index,
                "table_id": "ttcalendar",
                "company": view.school.code,
                "date": iso_date(day),
                "label": day.strftime("%a %d/%m/%Y"),
                "value": day.isoformat(),
                "day_code": code,
                "cat_num": "",
            },
        )
        for index, (day, code) in enumerate(calendar_days(view, tt_id))
    ]


def lesson_slot_rows(view: SchoolView, slots: list[Any]) -> list[dict[str, Any]]:
    semester = view.current_semester
    tt_id = view.tt_id(semester)
    out = []
    for slot in sorted(slots, key=lambda s: (s.day_code, s.period_code, s.group.id)):
        group = slot.group
        out.append(
            paths.to_wire(
                "lesson_slot",
                {
                    "tt_id": tt_id,
                    "year": view.year,
                    "semester": semester,
                    "day_code": slot.day_code,
                    "day_desc": slot.period.code.split(":")[0],
                    "period_code": slot.period_code,
                    "period_desc": f"Lesson {slot.period_code}",
                    "start": slot.period.start.strftime("%H:%M:%S"),
                    "end": slot.period.end.strftime("%H:%M:%S"),
                    "subject_code": group.subject_code or "",
                    "subject_short": view.subject_short(group),
                    "subject_long": group.subject_name or "",
                    "class_code": view.class_code(group),
                    "year_group": group.year,
                    "teacher_code": view.teacher_code.get(slot.entry.staff_id, ""),
                    "room": slot.entry.room,
                },
            )
        )
    return out


def commrule_rows(
    view: SchoolView, student: Student, kind: str | None = None
) -> list[dict[str, Any]]:
    out = []
    for address in view.addresses(student):
        types = address.types
        if kind is not None and kind.upper() not in types:
            continue
        p1, p2 = address.parent1, address.parent2
        people = address.people
        link = address.links[0] if address.links else None
        out.append(
            paths.to_wire(
                "commrule",
                {
                    "student_code": view.student_code[student.id],
                    "family_code": student.family_code,
                    "add_num": address.add_num,
                    "types": ",".join(types),
                    "description": "Parents"
                    if address.add_num == 1
                    else (link.relationship if link else ""),
                    "person_posn": 1,
                    "person_label": "Mother/Parent 1"
                    if address.add_num == 1
                    else (link.relationship if link else ""),
                    "addressee": " & ".join(f"{p.title} {p.forename} {p.surname}" for p in people),
                    "salutation": " & ".join(f"{p.title} {p.surname}" for p in people),
                    "relationship": "Biological"
                    if link and link.parental_responsibility
                    else "Other",
                    "email": p1.email if p1 else None,
                    "email_2": p2.email if p2 else None,
                    "mobile_1": p1.mobile if p1 else None,
                    "mobile_2": p2.mobile if p2 else None,
                    "sms_1": bool(p1 and p1.mobile),
                    "sms_2": bool(p2 and p2.mobile),
                    "home_phone": p1.home_phone if p1 else None,
                    "business_phone": p1.work_phone if p1 else None,
                    "addr1": p1.address if p1 else None,
                    "addr2": None,
                    "addr3": None,
                    "town": (p1.town.upper() if p1 else None),
                    "state": "QLD",
                    "postcode": p1.postcode if p1 else None,
                    "country": "Australia",
                    "m_description": address.description(1),
                    "m_title": p1.title if p1 else None,
                    "m_first_name": p1.forename if p1 else None,
                    "m_surname": p1.surname if p1 else None,
                    "m_preferred_name": p1.forename if p1 else None,
                    "f_description": address.description(2),
                    "f_title": p2.title if p2 else None,
                    "f_first_name": p2.forename if p2 else None,
                    "f_surname": p2.surname if p2 else None,
                    "f_preferred_name": p2.forename if p2 else None,
                    "updated": iso_local(address.updated_at(student.updated_at), view.zone),
                },
            )
        )
    return out


def _options(call: Call, pairs: list[tuple[Any, str]]) -> Page:
    return Page([paths.to_wire("option", {"code": c, "desc": d}) for c, d in pairs])


def _unique(pairs: tuple[tuple[str, str], ...]) -> list[tuple[Any, str]]:
    return sorted(set(pairs))


# --------------------------------------------------------------------------- handlers


def _student(call: Call) -> tuple[SchoolView, Student]:
    code = call.param("stud_code")
    view = call.view
    found = view.student_by_code.get(code) if view else None
    if view is None or found is None:
        raise ApiError(404, f"Student '{code}' was not found in company '{call.company}'.")
    return view, found


def _staff(call: Call) -> tuple[SchoolView, Staff]:
    code = call.param("emp_code")
    view = call.view
    found = view.staff_by_emp.get(code) if view else None
    if view is None or found is None:
        raise ApiError(404, f"Employee '{code}' was not found in company '{call.company}'.")
    return view, found


def _teacher(call: Call) -> tuple[SchoolView, Staff]:
    code = call.param("teacher_code")
    view = call.view
    found = view.teacher_by_code.get(code) if view else None
    if view is None or found is None:
        raise ApiError(404, f"Teacher '{code}' was not found in company '{call.company}'.")
    return view, found


def _fresh_view(call: Call) -> SchoolView:
    view = call.state.store.view(call.company)
    if view is None:
        raise ApiError(404, f"Company '{call.company}' has no school records.")
    return view


async def students(call: Call) -> Result:
    return Page(_rows(call.view, "students", lambda v: [student_record(v, s) for s in v.students]))


async def student(call: Call) -> Result:
    view, found = _student(call)
    if call.request.method == "GET":
        return Item(student_record(view, found))
    await _write(call, "student", "students", found, student_record(view, found))
    return Item(student_record(_fresh_view(call), found))


async def all_commrules(call: Call) -> Result:
    return Page(
        _rows(
            call.view,
            "commrules",
            lambda v: [row for s in v.students for row in commrule_rows(v, s)],
        )
    )


async def student_commrules(call: Call) -> Result:
    view, found = _student(call)
    kind = call.request.match_info.get("type")
    if kind is not None and kind.lower() not in paths.COMMRULE_TYPES:
        raise ApiError(
            404,
            f"Communication rule type '{kind}' does not exist; expected one "
            f"of {', '.join(paths.COMMRULE_TYPES)}.",
        )
    return Page(commrule_rows(view, found, kind))


async def student_timetable(call: Call) -> Result:
    view, found = _student(call)
    return Page(lesson_slot_rows(view, view.student_slots(found)))


async def employees(call: Call) -> Result:
    return Page(_rows(call.view, "employees", lambda v: [employee_record(v, s) for s in v.staff]))


async def employee(call: Call) -> Result:
    view, found = _staff(call)
    if call.request.method == "GET":
        return Item(employee_record(view, found))
    await _write(call, "employee", "staff", found, employee_record(view, found))
    return Item(employee_record(_fresh_view(call), found))


async def teachers(call: Call) -> Result:
    return Page(_rows(call.view, "teachers", lambda v: [teacher_record(v, s) for s in v.teachers]))


async def teacher(call: Call) -> Result:
    view, found = _teacher(call)
    return Item(teacher_record(view, found))


async def teacher_timetable(call: Call) -> Result:
    view, found = _teacher(call)
    return Page(lesson_slot_rows(view, view.slots_by_teacher.get(found.id, [])))


def _year_semester(call: Call, year_name: str, semester_name: str) -> tuple[int, int]:
    view = call.view
    default_year = view.year if view else call.state.store.world.today.year
    default_sem = view.current_semester if view else 1
    return (
        _int_param(call.request, year_name, default_year),
        _int_param(call.request, semester_name, default_sem),
    )


async def classes(call: Call) -> Result:
    year, semester = _year_semester(call, paths.Q_YEAR_NUM, paths.Q_SEMESTER)
    return Page(
        _rows(call.view, f"classes:{year}:{semester}", lambda v: class_rows(v, year, semester))
    )


async def timetables(call: Call) -> Result:
    year, semester = _year_semester(call, paths.Q_YEAR, paths.Q_PERIOD)
    return Page(
        _rows(
            call.view, f"timetables:{year}:{semester}", lambda v: timetable_rows(v, year, semester)
        )
    )


async def calendar(call: Call) -> Result:
    raw = call.param("tt_id")
    view = call.view
    if view is None or not raw.isdigit() or int(raw) not in view.tt_ids():
        raise ApiError(404, f"Timetable '{raw}' was not found in company '{call.company}'.")
    return Page(_rows(view, f"calendar:{raw}", lambda v: calendar_rows(v, int(raw))))


def _date_param(call: Call, name: str, default: date) -> date:
    raw = call.request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse_legacy_date(raw)
    except ValueError:
        raise ApiError(
            400,
            f"The value '{raw}' of {name} is not a valid date.",
            errors={name: ["Use yyyy-mm-dd or dd/mm/yyyy."]},
        ) from None


async def absences(call: Call) -> Result:
    view = call.view
    if view is None:
        return Page([])
    today = view.today
    term_start = max(
        (a for a, _ in view.school.terms if a <= today), default=view.school.terms[0][0]
    )
    start = _date_param(call, paths.Q_ABSENT_FROM, term_start)
    end = _date_param(call, paths.Q_ABSENT_TO, today)
    codes_raw = call.request.query.get(paths.Q_STUDCODE, "").strip()
    if codes_raw and codes_raw.upper() != "ALL":
        codes = [c.strip() for c in codes_raw.split(",") if c.strip()]
        missing = [c for c in codes if c not in view.student_by_code]
        if missing:
            raise ApiError(
                400,
                f"Student Code {missing[0]} is invalid.",
                errors={paths.Q_STUDCODE: [f"Student Code {c} is invalid." for c in missing]},
            )
        people = [view.student_by_code[c] for c in dict.fromkeys(codes)]
        key = ",".join(sorted(set(codes)))
    else:
        people, key = view.students, "ALL"

    cache_key = f"absences:{key}:{start}:{end}"
    lazy = view.lazy.get(cache_key)
    if lazy is None:
        if len(view.lazy) > 64:  # many distinct windows in one revision
            view.lazy.clear()
        lazy = view.lazy[cache_key] = LazyRows(
            paths.to_wire(
                "absence",
                {
                    "student_code": view.student_code[r.student.id],
                    "date": iso_date(r.date),
                    "week": week_of_year(r.date),
                    "day_code": r.day_code,
                    "period_code": r.period_code,
                    "tt_id": view.tt_id(view.semester_of(r.date)),
                    "subject_code": r.subject_code,
                    "class_code": r.class_code,
                    "year_group": r.year_group,
                    "acceptable": r.acceptable,
                    "updated": iso_local(r.updated_at, view.zone),
                },
            )
            for r in view.iter_absences(people, start, end)
        )
    return Page(lazy)


async def campuses(call: Call) -> Result:
    view = call.view
    return _options(call, [(c.code, c.name) for c in view.campuses] if view else [])


async def yeargroups(call: Call) -> Result:
    view = call.view
    return _options(call, [(y, str(y)) for y in view.school.year_levels] if view else [])


def _option_handler(name: str) -> Handler:
    async def handler(call: Call) -> Result:
        view = call.view
        if name == "campuses":
            return await campuses(call)
        if name == "yeargroups":
            return await yeargroups(call)
        if name == "houses":
            return _options(
                call, [(g.code, SchoolView.house_desc(g)) for g in view.houses] if view else []
            )
        if name == "pctutorgroups":
            return _options(call, [(g.code, g.name) for g in view.registrations] if view else [])
        if name == "religions":
            return _options(call, _unique(RELIGIONS))
        if name == "residencystatuses":
            return _options(call, _unique(RESIDENCIES))
        if name == "nextyearindicators":
            return _options(call, list(NEXT_YEAR_INDICATORS))
        if name == "communicationrules/types":
            return _options(call, list(COMMRULE_TYPE_NAMES))
        if name in ("communicationrules/genders", "employees/genders"):
            return _options(call, list(GENDERS))
        if name == "udareas":
            return _options(call, [(code, desc) for code, (desc, _) in UD_AREAS.items()])
        if name == "employees/statuses":
            return _options(call, list(EMPLOYMENT_STATUSES))
        if name == "employees/titles":
            titles = sorted({s.title for s in view.staff}) if view else []
            return _options(call, [(t, t) for t in titles])
        raise ApiError(404, f"Option list '{name}' does not exist.")

    return handler


# -- user-defined areas -------------------------------------------------------------------


def _udarea_row(call: Call, stud_code: str, area: str, data: UdAreaData) -> dict[str, Any]:
    zone = call.view.zone if call.view else school_zone(call.state)
    return paths.to_wire(
        "udarea",
        {
            "student_code": stud_code,
            "area_code": area,
            "area_desc": UD_AREAS[area][0],
            "fields": {name: data.fields.get(name) for name in UD_AREAS[area][1]},
            "updated": iso_local(data.updated_at, zone),
        },
    )


async def udareas(call: Call) -> Result:
    view, found = _student(call)
    code = view.student_code[found.id]
    stored = call.state.udareas.get((call.company, code), {})
    return Page([_udarea_row(call, code, area, stored[area]) for area in sorted(stored)])


async def udarea(call: Call) -> Result:
    view, found = _student(call)
    code = view.student_code[found.id]
    area = call.param("area_code").upper()
    if area not in UD_AREAS:
        raise ApiError(
            404, f"User-defined area '{area}' is not configured; see options/students/udareas."
        )
    stored = call.state.udareas.setdefault((call.company, code), {})
    current = stored.get(area)
    method = call.request.method
    if method == "GET":
        if current is None:
            raise ApiError(404, f"Student '{code}' has no data in area '{area}'.")
        return Item(_udarea_row(call, code, area, current))
    if method == "DELETE":
        if current is None:
            raise ApiError(404, f"Student '{code}' has no data in area '{area}'.")
        del stored[area]
        return None
    if method == "POST" and current is not None:
        raise ApiError(
            409,
            f"Student '{code}' already has data in area '{area}'; use PUT or PATCH to change it.",
        )
    if method in ("PUT", "PATCH") and current is None:
        raise ApiError(404, f"Student '{code}' has no data in area '{area}'.")
    names = UD_AREAS[area][1]
    if method == "PATCH":
        ops = await _patch_ops(call)
        fields = dict(current.fields) if current else {}
        for op, pointer, value in ops:
            parts = pointer.strip("/").split("/")
            if len(parts) != 2 or parts[0] != "fields" or parts[1] not in names:
                raise ApiError(
                    400,
                    f"The path '{pointer}' is not a field of area '{area}'.",
                    errors={pointer: [f"Expected /fields/<{'|'.join(names)}>."]},
                )
            if op == "test":
                if fields.get(parts[1]) != value:
                    raise ApiError(400, f"The test operation failed for '{pointer}'.")
                continue
            fields[parts[1]] = None if op == "remove" else value
    else:
        body = await _json_body(call)
        given = body.get("fields", body)
        if not isinstance(given, dict):
            raise ApiError(400, "The 'fields' member must be an object.")
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise ApiError(
                400,
                f"'{unknown[0]}' is not a field of area '{area}'.",
                errors={name: [f"Not a field of area '{area}'."] for name in unknown},
            )
        fields = {name: given.get(name) for name in names}
    _check_update_fields(call, ["fields"])
    bad = [n for n, v in fields.items() if v is not None and not isinstance(v, (str, int, float))]
    if bad:
        raise ApiError(400, f"The value of '{bad[0]}' must be a string or a number.")
    stored[area] = UdAreaData(fields, call.now)
    return Item(_udarea_row(call, code, area, stored[area]), 201 if method == "POST" else 200)


# -- writes -------------------------------------------------------------------------------


async def _json_body(call: Call) -> dict[str, Any]:
    try:
        body = await call.request.json()
    except ValueError:
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body


async def _patch_ops(call: Call) -> list[tuple[str, str, Any]]:
    if call.request.content_type != "application/json-patch+json":
        raise ApiError(
            415,
            "PATCH takes a JSON Patch document with Content-Type 'application/json-patch+json'.",
        )
    try:
        body = json.loads(await call.request.text())
    except ValueError:
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, list):
        raise ApiError(400, "A JSON Patch document is an array of operations.")
    ops: list[tuple[str, str, Any]] = []
    for index, op in enumerate(body):
        if not isinstance(op, dict) or not isinstance(op.get("path"), str):
            raise ApiError(400, f"Operation {index} needs an 'op' and a 'path'.")
        kind = op.get("op")
        if kind not in ("add", "replace", "remove", "test"):
            raise ApiError(
                400,
                f"Operation {index} has an unsupported op {kind!r}; use add, "
                "replace, remove or test.",
            )
        if kind != "remove" and "value" not in op:
            raise ApiError(400, f"Operation {index} ({kind}) needs a 'value'.")
        pointer = op["path"].replace("~1", "/").replace("~0", "~")
        ops.append((kind, pointer, op.get("value")))
    return ops


def _check_update_fields(call: Call, fields: list[str]) -> None:
    allowed = call.grant.update_fields
    if allowed is None:
        return
    denied = [f for f in fields if f not in allowed]
    if denied:
        raise ApiError(
            403, f"The API user does not have Update permission on the field '{denied[0]}'."
        )


async def _write(
    call: Call, resource: str, table: str, record: Student | Staff, current: dict[str, Any]
) -> None:
    """PUT / JSON Patch on a world record (module docstring, "Readings")."""
    known = set(paths.wire_names(resource))
    writable = paths.WRITABLE[resource]
    changes: dict[str, Any] = {}
    if call.request.method == "PATCH":
        for op, pointer, value in await _patch_ops(call):
            name = pointer.strip("/")
            if name not in known:
                raise ApiError(
                    400,
                    f"The path '{pointer}' does not name a field.",
                    errors={pointer: ["Unknown field."]},
                )
            if op == "test":
                if current.get(name) != value:
                    raise ApiError(400, f"The test operation failed for '{pointer}'.")
                continue
            changes[name] = None if op == "remove" else value
    else:
        body = await _json_body(call)
        unknown = sorted(set(body) - known)
        if unknown:
            raise ApiError(
                400,
                f"'{unknown[0]}' is not a field of this record.",
                errors={name: ["Unknown field."] for name in unknown},
            )
        changes = {k: v for k, v in body.items() if current.get(k) != v}
    changes = {k: v for k, v in changes.items() if current.get(k) != v}
    read_only = sorted(k for k in changes if k not in writable)
    if read_only:
        raise ApiError(
            400,
            f"The field '{read_only[0]}' is read-only.",
            errors={name: ["The field is read-only."] for name in read_only},
        )
    _check_update_fields(call, sorted(changes))
    errors: dict[str, list[str]] = {}
    for name, value in changes.items():
        if value is not None and not isinstance(value, str):
            errors[name] = ["The value must be a string or null."]
        elif name in ("surname", "first_name") and not value:
            errors[name] = ["The field is required."]
        elif name in ("e_mail", "school_email") and value and "@" not in value:
            errors[name] = ["The value is not a valid email address."]
        elif isinstance(value, str) and len(value) > 140:
            errors[name] = ["The maximum length is 140 characters."]
    if errors:
        raise ApiError(400, "One or more validation errors occurred.", errors=errors)
    if changes:
        call.state.store.world.touch(table, record, **{writable[k]: v for k, v in changes.items()})


# --------------------------------------------------------------------------- routing


def _handlers() -> dict[str, Handler]:
    handlers: dict[str, Handler] = {
        "/{cmpy_code}/students": students,
        "/{cmpy_code}/students/communicationrules": all_commrules,
        "/{cmpy_code}/students/{stud_code}": student,
        "/{cmpy_code}/students/{stud_code}/communicationrules": student_commrules,
        "/{cmpy_code}/students/{stud_code}/communicationrules/{type}": student_commrules,
        "/{cmpy_code}/students/{stud_code}/udareas": udareas,
        "/{cmpy_code}/students/{stud_code}/udareas/{area_code}": udarea,
        "/{cmpy_code}/students/{stud_code}/timetable": student_timetable,
        "/{cmpy_code}/employees": employees,
        "/{cmpy_code}/employees/{emp_code}": employee,
        "/{cmpy_code}/teachers": teachers,
        "/{cmpy_code}/teachers/{teacher_code}": teacher,
        "/{cmpy_code}/teachers/{teacher_code}/timetable": teacher_timetable,
        "/{cmpy_code}/classes": classes,
        "/{cmpy_code}/timetables": timetables,
        "/{cmpy_code}/timetables/{tt_id}/calendar": calendar,
        "/{cmpy_code}/absences": absences,
        "/{cmpy_code}/campuses": campuses,
        "/{cmpy_code}/yeargroups": yeargroups,
    }
    prefix = "/{cmpy_code}/options/"
    for endpoint in paths.ENDPOINTS:
        if endpoint.template.startswith(prefix):
            name = endpoint.template.removeprefix(prefix)
            handlers[endpoint.template] = _option_handler(name.removeprefix("students/"))
    return handlers


def install_api2026(app: web.Application) -> None:
    """Register the authenticate route and every endpoint of `paths.ENDPOINTS`."""
    app.router.add_route("*", paths.API_BASE + paths.AUTH_PATH, authenticate)
    handlers = _handlers()
    for endpoint in paths.ENDPOINTS:
        app.router.add_route(
            "*", paths.API_BASE + endpoint.template, _route(endpoint, handlers[endpoint.template])
        )
