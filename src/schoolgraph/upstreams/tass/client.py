"""The TASS client: typed reads per company, over the 2026 API or the legacy API, cached.

Section numbers (§) are those of `shared/upstreams/tass.md`.

Two APIs, one client
--------------------
Each company (school) is configured for one API (`TassCompanyConfig.api`):

* `"2026"`: the seed's API Endpoint Maintenance API, key/secret -> 15-minute bearer token
  (`auth.BearerAuth`), per-company REST lists paged with OData (`api2026.py`, `paths.py`).
* `"legacy"`: the TASS.web API Gateway, one handler with AES-encrypted parameters
  (`legacy.py`, `auth.encrypt_token`).

Every method answers the same models (`models.py`) whichever API the company uses. Where one
API lacks something the other has, the docstring says what comes back (e.g. legacy house codes
are descriptions; legacy employees carry no campus).

What each method reads
----------------------
=====================  ==============================  =====================================
method                 2026                            legacy (§B)
=====================  ==============================  =====================================
campuses               options/students/campuses       getCampuses codeonly=false
year_groups            options/students/yeargroups     getYearGroups codeonly=false
houses                 options/students/houses         (none: distinct student houses)
tutor_groups           options/students/pctutorgroups  (none: distinct student tutor groups)
students               students                        getStudentsDetails current+noncurrent
employees              employees                       getEmployeesDetails date=01/01/1900
teachers               teachers                        getTeachers current+noncurrent
staff                  employees + teachers, matched   the same, matched
classes                classes (current semester)      getClassDetailsWithStudents
communication_rules    students/communicationrules     getCommunicationRulesDetails commtype=all
timetable              timetables?year&period          getTimetables year, period
calendar               timetables/{tt_id}/calendar     getTimetableCalendar tt_id
student_timetable      students/{code}/timetable       getStudentTimetable
teacher_timetable      teachers/{code}/timetable       getTeacherTimetable
absences               absences?studcode&from&to       getStudentAbsences
update_student         PATCH students/{code}           (none: raises BadRequestError)
=====================  ==============================  =====================================

Cache
-----
Every read is an `UpstreamCache` entry keyed by (tass, `<company>:<credential>`, resource), so
neither two companies nor two credentials with different field permissions share an entry.
TASS sends no ETags, so there are no 304s; instead (`snapshot.py`):

* rows are hashed locally (SHA-1 of the parsed model, `snapshot.model_bytes`) and a row
  whose hash did not change keeps its model object, across every kind of refresh;
* students, employees, teachers and communication rules refresh incrementally after their TTL:
  2026 asks `$filter=update_on ge <newest update_on seen>` (school-local, no offset); legacy
  asks `update_on_from=<that date>` (students and employees only; whole days, §B.0). Changed
  rows are merged by key; an empty answer keeps the cached snapshot as is (so does a whole
  read that found nothing changed: kept answers built on it stay valid);
* a whole 2026 read parses and hashes each page on arrival while the next page is on the wire
  (`Api2026.pages`), and assembles the snapshot after the last. Students are parsed with the
  house names (legacy: campus codes), which a whole read asks for alongside its first page;
  a snapshot parsed under other lookups (`Snapshot.context`) is refreshed by a whole read;
* deletions cannot be seen by `update_on`, so a snapshot older than `full_refresh_every`
  (default 6 hours) is refreshed by a full read, which drops vanished rows. Classes, timetables,
  calendars and absences are always read whole (class membership and absence corrections may
  not move `update_on`, DOC-SILENT) and keep identities by hash;
* if TASS refuses the `update_on` filter (HTTP 400, or 403 when a field permission hides
  `update_on`), that list falls back to full reads;
* an upstream failure serves the stale entry (recorded as `stale` in the call log), except an
  authorisation failure: a school that withdrew access has withdrawn its data, so the entry is
  evicted and the error raised.

Batches and windows
-------------------
By-code lookups (`students_by_code`, `staff_by_employee_code`, ...) are served from the cached
per-company list, one upstream read however many codes. `absences` reads whole calendar months
(each its own entry, shared by overlapping windows) and, when given student codes, at most 100
per call; a month that ended before today is kept `TassTtls.absences_closed` (6 hours), the
current one `TassTtls.absences` (5 minutes). `lessons` and person timetables place weekly slots
on each timetable's calendar.
"""

from __future__ import annotations

import asyncio
import calendar as calendar_module
import hashlib
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable, Iterable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...cache.store import CacheEntry, CacheKey, Refresh, UpstreamCache
from ...errors import BadRequestError, ConfigError, UpstreamAuthError, UpstreamError
from ..http import RateLimiter, Transport, TransportPolicy
from ..off_loop import off_loop
from . import paths
from .api2026 import Api2026, EndpointDeniedError, RequestRejectedError, stop_task
from .auth import BearerAuth, TassApiKey, TassLegacyApp
from .legacy import LEGACY_PATH, LegacyApi
from .models import (
    UPSTREAM,
    Absence,
    BellTime,
    CalendarDay,
    Company,
    ContactAddress,
    Employee,
    Lesson,
    Option,
    PersonSlot,
    RowContext,
    Staff,
    Student,
    Teacher,
    TeachingClass,
    TimetableSlot,
    YearGroup,
    absence_2026,
    absence_legacy,
    calendar_day_2026,
    calendar_day_legacy,
    class_2026,
    class_legacy,
    communication_rules_rows_legacy,
    contact_address_2026,
    contact_address_legacy,
    employee_2026,
    employee_legacy,
    local_wire_time,
    option_2026,
    option_legacy,
    person_slot_2026,
    person_timetable_legacy,
    student_2026,
    student_legacy,
    student_patch_2026,
    teacher_2026,
    teacher_legacy,
    timetable_slot_2026,
    timetable_slot_legacy,
    year_group_2026,
    year_group_legacy,
)
from .snapshot import HashedRows, Snapshot, assemble, hash_rows, merge
from .typed_rows import typed_page

__all__ = ["TassClient", "TassCompanyConfig", "TassConfig", "TassTtls"]

logger = logging.getLogger(__name__)

M = TypeVar("M")
T = TypeVar("T")
Api = Literal["2026", "legacy"]
Raw = dict[str, Any]
"""A row as read: orjson's dict, or (a page the typed reading took) a `typed_rows` struct,
which only the parser of its list (`_parser`) is handed."""

DEFAULT_TIME_ZONE = "Australia/Brisbane"
_ALL_SINCE = "01/01/1900"  # getEmployeesDetails `date`: omit nobody (§B.2.2)


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True, slots=True)
class TassTtls:
    """Seconds a cached read is served before it is refreshed."""

    lookups: float = 86_400.0  # campuses, year groups, houses, tutor groups
    students: float = 300.0
    staff: float = 300.0  # employees and teachers
    classes: float = 600.0
    contacts: float = 600.0
    timetable: float = 3_600.0  # weekly grids and bell times
    calendar: float = 86_400.0
    person_timetable: float = 900.0
    absences: float = 300.0  # the current month
    absences_closed: float = 21_600.0  # months that ended before today


@dataclass(frozen=True, slots=True)
class TassCompanyConfig:
    """One company (school) and the API it is read through.

    Attributes:
        api: `"2026"` (key/secret, bearer) or `"legacy"` (App Code, Token Key).
        api_key: the 2026 key for this company; default `TassConfig.api_key`.
        legacy_app: the legacy app for this company; default `TassConfig.legacy_app`.
        time_zone: the zone of the school's timestamps; default `TassConfig.time_zone`.
        name: a display name; the 2026 authenticate answer names companies too.
    """

    api: Api = "2026"
    api_key: TassApiKey | None = None
    legacy_app: TassLegacyApp | None = None
    time_zone: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class TassConfig:
    """Everything the client needs; built by the caller (this module reads no environment).

    Attributes:
        base_url: the school's TASS host, e.g. `https://tass.school.edu.au`.
        companies: company code -> its configuration.
        api_key: the 2026 API user's key and secret, for companies that name none.
        legacy_app: the legacy app, for legacy companies that name none.
        time_zone: school time zone of TASS's offset-free timestamps.
        wire: 2026 base path and authenticate names (provisional, see `paths.Wire2026`).
        legacy_path: the legacy handler's path.
        legacy_http_method: `POST` (form) or `GET` for legacy calls.
        ttl: seconds per resource before a refresh.
        full_refresh_every: seconds after which an incremental list is read whole again, so
            deletions (invisible to `update_on`) are dropped.
        incremental_overlap: seconds subtracted from the watermark of incremental reads.
        token_lifetime: the longest a bearer token is trusted (15 minutes, §C.6).
        token_renew_ahead: renew a bearer token this many seconds before it expires.
        auth_failure_backoff: seconds a refused key is not tried again.
        rate_limit_per_minute: client-side limit per credential (the real one is DOC-SILENT;
            the simulator's default is 300 per API user); 429s are waited out as well.
        page_size: `$top` of 2026 pages (1,000; at most 10,000). A TASS whose OData
            MaxTop is lower refuses it with a 400 naming its limit: the client then asks for
            pages of that limit (`api2026`).
        max_codes_per_call: student codes per absence call (batch parameters are chunked).
        max_window_days: the longest date range one call may ask for.
        bell_time_probes: 2026 teacher timetables read at most to learn the bell times.
        transport: timeouts, retries and circuit breaker of the shared transport.
    """

    base_url: str
    companies: Mapping[str, TassCompanyConfig]
    api_key: TassApiKey | None = None
    legacy_app: TassLegacyApp | None = None
    time_zone: str = DEFAULT_TIME_ZONE
    wire: paths.Wire2026 = field(default_factory=paths.Wire2026)
    legacy_path: str = LEGACY_PATH
    legacy_http_method: Literal["POST", "GET"] = "POST"
    ttl: TassTtls = field(default_factory=TassTtls)
    full_refresh_every: float = 21_600.0
    incremental_overlap: float = 0.0
    token_lifetime: float = 900.0
    token_renew_ahead: float = 60.0
    auth_failure_backoff: float = 30.0
    rate_limit_per_minute: int = 300
    page_size: int = paths.PAGE_SIZE
    max_codes_per_call: int = 100
    max_window_days: int = 366
    bell_time_probes: int = 8
    transport: TransportPolicy = field(default_factory=TransportPolicy)

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"TASS base_url '{self.base_url}' must be an http:// or https:// URL."
            )
        if not self.companies:
            raise ConfigError("TASS needs at least one company (e.g. {'01': TassCompanyConfig()}).")
        if not 1 <= self.page_size <= paths.MOST_TOP:
            raise ConfigError(
                f"TASS page_size {self.page_size} must be between 1 and {paths.MOST_TOP}."
            )
        if not 1 <= self.max_codes_per_call <= 100:
            raise ConfigError(
                f"TASS max_codes_per_call {self.max_codes_per_call} must be between 1 and 100."
            )
        if self.legacy_http_method not in ("POST", "GET"):
            raise ConfigError(
                f"TASS legacy_http_method '{self.legacy_http_method}' must be POST or GET."
            )
        for code, company in self.companies.items():
            if not code.strip():
                raise ConfigError("A TASS company code is empty.")
            if company.api not in ("2026", "legacy"):
                raise ConfigError(
                    f"TASS company '{code}' has api '{company.api}'; use '2026' or 'legacy'."
                )
            if company.api == "2026" and (company.api_key or self.api_key) is None:
                raise ConfigError(
                    f"TASS company '{code}' uses the 2026 API but no API key is configured."
                )
            if company.api == "legacy" and (company.legacy_app or self.legacy_app) is None:
                raise ConfigError(
                    f"TASS company '{code}' uses the legacy API but no legacy app is configured."
                )
            _zone(company.time_zone or self.time_zone, code)


def _zone(name: str, company: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TASS company '{company}' has an unknown time zone '{name}'.") from None


class _AuthFailure(Exception):  # noqa: N818 - a carrier, never raised to callers
    """Carries an authorisation failure through the cache so it does not serve stale data."""

    def __init__(self, error: UpstreamAuthError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(slots=True)
class _Tenant:
    """One configured company, with the API objects that read it."""

    code: str
    api: Api
    zone: ZoneInfo
    name: str | None
    credential: str  # fingerprinted credential name, part of cache tenants
    rest: Api2026 | None = None
    legacy: LegacyApi | None = None

    @property
    def cache_tenant(self) -> str:
        return f"{self.code}:{self.credential}"


@dataclass(frozen=True, slots=True)
class _Parser:
    """How the rows of a list are parsed, and a fingerprint of the lookups that takes
    (`Snapshot.context`; empty when it takes none)."""

    parse: Callable[[Raw], Any]
    context: str = ""


_Lookups = Mapping[str, Mapping[str, str]]
"""`RowContext` lookups by field name, e.g. `{"house_names": {code: name}}`."""


@dataclass(frozen=True, slots=True)
class _ListRead:
    """How to read, parse and refresh one cached list.

    `parser` is the parser, or, for rows parsed with lookups read from other lists (students
    with house names), how to get it: a whole read asks for those lookups alongside its first
    page (`TassClient._read_whole`).
    """

    resource: str
    route: str
    ttl: float
    pages: Callable[[], AsyncGenerator[list[Raw], None]]
    parser: _Parser | Callable[[], Awaitable[_Parser]]
    key: Callable[[Any], Hashable]
    fetch_since: Callable[[datetime], Awaitable[list[Raw]]] | None = None


def _fingerprint(mapping: Mapping[str, str]) -> str:
    text = "\n".join(f"{k}={v}" for k, v in sorted(mapping.items()))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]


def _lookups_fingerprint(lookups: _Lookups) -> str:
    return ",".join(f"{name}:{_fingerprint(found)}" for name, found in sorted(lookups.items()))


async def _parser_of(read: _ListRead) -> _Parser:
    return read.parser if isinstance(read.parser, _Parser) else await read.parser()


def _parsing(read: _ListRead, parser: _Parser | None) -> asyncio.Future[_Parser]:
    """The parser of a whole read: at hand, or its lookups asked for now (a task)."""
    if parser is None:
        if not isinstance(read.parser, _Parser):
            return asyncio.ensure_future(read.parser())
        parser = read.parser
    ready: asyncio.Future[_Parser] = asyncio.get_running_loop().create_future()
    ready.set_result(parser)
    return ready


async def _one_page(fetch: Callable[[], Awaitable[list[Raw]]]) -> AsyncGenerator[list[Raw], None]:
    """A list read in one go (the legacy API does not page), as pages."""
    yield await fetch()


_ROW_BYTES = 500
"""About the JSON size of a TASS row (2026 students ~870 bytes, employees ~520, teachers ~440),
for deciding where a list is parsed and hashed (`upstreams.off_loop`)."""


def _wire_bytes(raws: list[Raw]) -> int:
    return len(raws) * _ROW_BYTES


def _dmy(day: date) -> str:
    """Legacy date parameters: `dd/mm/yyyy` (§B.0 "the connector should send dd/mm/yyyy")."""
    return day.strftime("%d/%m/%Y")


# --------------------------------------------------------------------------- the client


class TassClient:
    """Typed, cached reads of TASS companies.

    Args:
        config: the client's settings.
        cache: the shared cross-request cache; a private one if omitted.
        clock: monotonic seconds for token expiry and full-refresh age (tests move it).
        wall_clock: the current UTC time ("today" of each school, token expiry fallback).
    """

    def __init__(
        self,
        config: TassConfig,
        *,
        cache: UpstreamCache | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.cache = cache if cache is not None else UpstreamCache(clock=clock)
        self._clock = clock
        self._wall_clock = wall_clock
        self.transport = Transport(
            UPSTREAM,
            config.base_url,
            policy=config.transport,
            limiter=RateLimiter(config.rate_limit_per_minute),
        )
        default_zone = _zone(config.time_zone, "(default)")
        self._auths: dict[str, BearerAuth] = {}
        self._rests: dict[str, Api2026] = {}
        self._legacies: dict[str, LegacyApi] = {}
        self._tenants: dict[str, _Tenant] = {}
        for code, company in config.companies.items():
            zone = _zone(company.time_zone or config.time_zone, code)
            if company.api == "2026":
                key = company.api_key or config.api_key
                if key is None:  # TassConfig checks this; kept for the type checker
                    raise ConfigError(f"TASS company '{code}' has no API key.")
                rest = self._rest(key, default_zone)
                self._tenants[code] = _Tenant(code, "2026", zone, company.name, key.name, rest=rest)
            else:
                app = company.legacy_app or config.legacy_app
                if app is None:  # TassConfig checks this; kept for the type checker
                    raise ConfigError(f"TASS company '{code}' has no legacy app.")
                legacy = self._legacies.get(app.appcode)
                if legacy is None:
                    legacy = LegacyApi(
                        app,
                        transport=self.transport,
                        path=config.legacy_path,
                        http_method=config.legacy_http_method,
                    )
                    self._legacies[app.appcode] = legacy
                self._tenants[code] = _Tenant(
                    code, "legacy", zone, company.name, f"legacy-{app.appcode}", legacy=legacy
                )
        self._no_incremental: set[tuple[str, str]] = set()
        self._staff_memo: dict[str, tuple[Any, Any, tuple[Staff, ...], dict[Hashable, Staff]]] = {}

    def _rest(self, key: TassApiKey, zone: ZoneInfo) -> Api2026:
        rest = self._rests.get(key.name)
        if rest is None:
            auth = BearerAuth(
                key,
                transport=self.transport,
                wire=self.config.wire,
                time_zone=zone,
                lifetime=self.config.token_lifetime,
                renew_ahead=self.config.token_renew_ahead,
                failure_backoff=self.config.auth_failure_backoff,
                clock=self._clock,
                wall_clock=self._wall_clock,
            )
            self._auths[key.name] = auth
            rest = Api2026(
                auth,
                transport=self.transport,
                wire=self.config.wire,
                page_size=self.config.page_size,
            )
            self._rests[key.name] = rest
        return rest

    def __repr__(self) -> str:
        return f"TassClient(base_url={self.config.base_url!r}, companies={self.company_codes!r})"

    async def start(self) -> None:
        await self.transport.start()

    async def close(self) -> None:
        await self.transport.close()

    async def __aenter__(self) -> TassClient:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # -- companies ----------------------------------------------------------------------

    @property
    def company_codes(self) -> tuple[str, ...]:
        return tuple(self._tenants)

    def api_of(self, company: str) -> Api:
        return self._tenant(company).api

    def time_zone(self, company: str) -> ZoneInfo:
        return self._tenant(company).zone

    def auth(self, company: str) -> BearerAuth | None:
        """The bearer lifecycle of a 2026 company (None for legacy ones)."""
        tenant = self._tenant(company)
        return tenant.rest.auth if tenant.rest is not None else None

    def today(self, company: str) -> date:
        """The school's current date in its own time zone."""
        return self._wall_clock().astimezone(self._tenant(company).zone).date()

    def _tenant(self, company: str) -> _Tenant:
        tenant = self._tenants.get(company)
        if tenant is None:
            known = ", ".join(self._tenants) or "none"
            raise BadRequestError(
                f"TASS company '{company}' is not configured (configured: {known})."
            )
        return tenant

    async def companies(self) -> tuple[Company, ...]:
        """The configured companies, named by configuration or by the 2026 authenticate call."""
        names: dict[str, str] = {}
        for auth in self._auths.values():
            try:
                await auth.ensure()
            except UpstreamError as error:
                logger.warning("Could not name TASS companies: %s", error.message)
                continue
            names.update({c.code: c.name for c in auth.companies if c.name})
        return tuple(Company(t.code, t.name or names.get(t.code)) for t in self._tenants.values())

    async def readiness(self) -> dict[str, str]:
        """One cheap authenticated call per company: `"ok"` or the error code."""

        async def check(tenant: _Tenant) -> str:
            try:
                if tenant.rest is not None:
                    await tenant.rest.rows(tenant.code, paths.CAMPUSES, max_rows=1)
                else:
                    await _legacy_of(tenant).call(tenant.code, "getCampuses", {"codeonly": "true"})
            except UpstreamError as error:
                return error.code
            return "ok"

        results = await asyncio.gather(*(check(t) for t in self._tenants.values()))
        return dict(zip(self._tenants, results, strict=True))

    # -- lookups ------------------------------------------------------------------------

    async def campuses(self, company: str) -> tuple[Option, ...]:
        """Campus codes and descriptions."""
        tenant = self._tenant(company)
        if tenant.rest is not None:
            read = self._rest_list(
                tenant, "campuses", paths.CAMPUSES, option_2026, self.config.ttl.lookups, key=_code
            )
        else:
            read = self._legacy_list(
                tenant,
                "campuses",
                "getCampuses",
                [{"codeonly": "false"}],
                "campuses",
                option_legacy,
                self.config.ttl.lookups,
                key=_code,
            )
        return (await self._list(tenant, read)).rows

    async def year_groups(self, company: str) -> tuple[YearGroup, ...]:
        """Year groups (integers, pre-primary <= 0) and their school-defined labels."""
        tenant = self._tenant(company)
        if tenant.rest is not None:
            read = self._rest_list(
                tenant,
                "year_groups",
                paths.YEAR_GROUPS,
                year_group_2026,
                self.config.ttl.lookups,
                key=lambda y: y.year,
            )
        else:
            read = self._legacy_list(
                tenant,
                "year_groups",
                "getYearGroups",
                [{"codeonly": "false"}],
                "yeargroups",
                year_group_legacy,
                self.config.ttl.lookups,
                key=lambda y: y.year,
            )
        return (await self._list(tenant, read)).rows

    async def houses(self, company: str) -> tuple[Option, ...]:
        """Houses. The legacy API has no house list and knows houses by description only
        (§B.3.7), so there the codes are the descriptions found on students."""
        tenant = self._tenant(company)
        if tenant.rest is not None:
            read = self._rest_list(
                tenant, "houses", paths.HOUSES, option_2026, self.config.ttl.lookups, key=_code
            )
            return (await self._list(tenant, read)).rows
        names = sorted({s.house_name for s in await self.students(company) if s.house_name})
        return tuple(Option(n, n) for n in names)

    async def tutor_groups(self, company: str) -> tuple[Option, ...]:
        """Tutor (pastoral care) groups. The legacy API has no list (§B.3.7), so there they
        are the codes found on students and teachers, named by their code."""
        tenant = self._tenant(company)
        if tenant.rest is not None:
            read = self._rest_list(
                tenant,
                "tutor_groups",
                paths.TUTOR_GROUPS,
                option_2026,
                self.config.ttl.lookups,
                key=_code,
            )
            return (await self._list(tenant, read)).rows
        students, teachers = await asyncio.gather(
            self.students(company), self._optional(self.teachers(company))
        )
        codes = {s.tutor_group for s in students if s.tutor_group}
        codes.update(t.tutor_group for t in teachers if t.tutor_group)
        return tuple(Option(c, c) for c in sorted(codes))

    # -- students -----------------------------------------------------------------------

    async def students(self, company: str) -> tuple[Student, ...]:
        """Every student the upstream lists for the company: current, past and future (use
        `Student.status(today)`), with campus, year, house and tutor group."""
        # Rows are parsed with house names (legacy: campus codes), read only when the list is
        # (re)loaded: a whole read asks for them alongside its first page.
        tenant = self._tenant(company)
        if tenant.rest is not None:

            async def houses() -> _Lookups:
                found = await self._optional(self.houses(company))
                return {"house_names": {o.code: o.name for o in found}}

            read = self._rest_list(
                tenant,
                "students",
                paths.STUDENTS,
                student_2026,
                self.config.ttl.students,
                key=_code,
                incremental=True,
                lookups=houses,
            )
        else:

            async def campuses() -> _Lookups:
                found = await self._optional(self.campuses(company))
                return {"campus_codes": {o.name: o.code for o in found}}

            read = self._legacy_list(
                tenant,
                "students",
                "getStudentsDetails",
                [{"currentstatus": "current"}, {"currentstatus": "noncurrent"}],
                "students",
                student_legacy,
                self.config.ttl.students,
                key=_code,
                incremental=True,
                lookups=campuses,
            )
        return (await self._list(tenant, read)).rows

    async def students_by_code(self, company: str, codes: Iterable[str]) -> list[Student | None]:
        """One result per code (None when unknown), from one cached list read."""
        by_code = {s.code: s for s in await self.students(company)}
        return [by_code.get(code) for code in codes]

    async def update_student(
        self, company: str, code: str, changes: Mapping[str, str | None]
    ) -> Student:
        """Change a student's writable fields (2026 API: JSON Patch) and return the record.

        The cached student list is marked stale rather than dropped, so the next read is an
        `update_on` refresh that fetches this student and keeps every other model as it was.

        Args:
            company: the company code.
            code: the student code.
            changes: model field name -> new value (None removes it); the writable fields are
                `models.STUDENT_WRITABLE_2026`.

        Raises:
            BadRequestError: a legacy company (its API has no student write), no changes, or a
                field that cannot be written.
            NotFoundError: no such student.
        """
        tenant = self._tenant(company)
        if tenant.rest is None:
            raise BadRequestError(
                f"TASS company '{company}' is read through the legacy API, which has no student "
                "write."
            )
        try:
            operations = student_patch_2026(changes)
        except ValueError as error:
            raise BadRequestError(str(error)) from None
        if not operations:
            raise BadRequestError("No student fields to change were given.")
        body = await tenant.rest.patch(
            company,
            paths.STUDENT,
            operations,
            values={"stud_code": code},
            missing=f"student '{code}'",
        )
        self._expire(tenant, "students")
        house_names = {o.code: o.name for o in await self._optional(self.houses(company))}
        ctx = self._ctx(tenant, tenant.rest.route(paths.STUDENT), house_names=house_names)
        return student_2026(body, ctx)

    async def communication_rules(self, company: str) -> tuple[ContactAddress, ...]:
        """Every student's communication-rule addresses (contacts), all communication types."""
        tenant = self._tenant(company)
        if tenant.rest is not None:
            read = self._rest_list(
                tenant,
                "communication_rules",
                paths.COMMUNICATION_RULES,
                contact_address_2026,
                self.config.ttl.contacts,
                key=_address_key,
                incremental=True,
            )
        else:
            legacy = _legacy_of(tenant)
            ctx = self._ctx(tenant, legacy.route("getCommunicationRulesDetails"))

            async def fetch() -> list[Raw]:
                entries = await self._legacy_rows(
                    tenant,
                    "getCommunicationRulesDetails",
                    [{"currentstatus": s, "commtype": "all"} for s in ("current", "noncurrent")],
                    "commrules",
                )
                return [row for e in entries for row in communication_rules_rows_legacy(e, ctx)]

            read = _ListRead(
                "communication_rules",
                ctx.route,
                self.config.ttl.contacts,
                partial(_one_page, fetch),
                _Parser(lambda raw: contact_address_legacy(raw, ctx)),
                _address_key,
            )
        return (await self._list(tenant, read)).rows

    async def contacts_of_students(
        self, company: str, codes: Iterable[str]
    ) -> list[tuple[ContactAddress, ...]]:
        """Each student's addresses (empty when none), from one cached list read."""
        by_student: dict[str, list[ContactAddress]] = {}
        for address in await self.communication_rules(company):
            by_student.setdefault(address.student_code, []).append(address)
        return [tuple(by_student.get(code, ())) for code in codes]

    # -- staff --------------------------------------------------------------------------

    async def employees(self, company: str) -> tuple[Employee, ...]:
        """Every employee, leavers included (use `Employee.status(today)`)."""
        tenant = self._tenant(company)
        if tenant.rest is not None:
            read = self._rest_list(
                tenant,
                "employees",
                paths.EMPLOYEES,
                employee_2026,
                self.config.ttl.staff,
                key=_code,
                incremental=True,
            )
        else:
            read = self._legacy_list(
                tenant,
                "employees",
                "getEmployeesDetails",
                [{"date": _ALL_SINCE}],
                "employees",
                employee_legacy,
                self.config.ttl.staff,
                key=_code,
                incremental=True,
            )
        return (await self._list(tenant, read)).rows

    async def teachers(self, company: str) -> tuple[Teacher, ...]:
        """Every teacher, inactive ones included (`Teacher.active`)."""
        tenant = self._tenant(company)
        if tenant.rest is not None:
            read = self._rest_list(
                tenant,
                "teachers",
                paths.TEACHERS,
                teacher_2026,
                self.config.ttl.staff,
                key=_code,
                incremental=True,
            )
        else:
            read = self._legacy_list(
                tenant,
                "teachers",
                "getTeachers",
                [{"currentstatus": "current"}, {"currentstatus": "noncurrent"}],
                "teachers",
                teacher_legacy,
                self.config.ttl.staff,
                key=_code,
            )
        return (await self._list(tenant, read)).rows

    async def staff(self, company: str) -> tuple[Staff, ...]:
        """Employees with their teacher records, matched by employee code, then teacher code
        (§E.2 "Employee <-> teacher"); teachers without an employee record come last. The
        same inputs give the same objects, so unchanged staff keep their identity."""
        employees, teachers = await asyncio.gather(
            self._optional_rows(self.employees(company), "employees"), self.teachers(company)
        )
        tenant = self._tenant(company)
        memo = self._staff_memo.get(tenant.cache_tenant)
        if memo is not None and memo[0] is employees and memo[1] is teachers:
            return memo[2]
        previous = memo[3] if memo is not None else {}
        by_employee = {t.employee_code: t for t in teachers if t.employee_code}
        by_code = {t.code: t for t in teachers}
        matched: set[str] = set()
        out: list[Staff] = []
        index: dict[Hashable, Staff] = {}
        for employee in employees:
            teacher = by_employee.get(employee.code) or (
                by_code.get(employee.teacher_code) if employee.teacher_code else None
            )
            if teacher is not None:
                matched.add(teacher.code)
            out.append(self._staff_row(company, employee, teacher, previous, index))
        for teacher in teachers:
            if teacher.code not in matched:
                out.append(self._staff_row(company, None, teacher, previous, index))
        result = tuple(out)
        self._staff_memo[tenant.cache_tenant] = (employees, teachers, result, index)
        return result

    @staticmethod
    def _staff_row(
        company: str,
        employee: Employee | None,
        teacher: Teacher | None,
        previous: Mapping[Hashable, Staff],
        index: dict[Hashable, Staff],
    ) -> Staff:
        key = (employee.code if employee else None, teacher.code if teacher else None)
        old = previous.get(key)
        row = (
            old
            if old is not None and old.employee is employee and old.teacher is teacher
            else Staff(company, employee, teacher)
        )
        index[key] = row
        return row

    async def staff_by_employee_code(
        self, company: str, codes: Iterable[str]
    ) -> list[Staff | None]:
        """One result per employee code (None when unknown), from the cached lists."""
        found = {s.employee_code: s for s in await self.staff(company) if s.employee_code}
        return [found.get(code) for code in codes]

    async def staff_by_teacher_code(self, company: str, codes: Iterable[str]) -> list[Staff | None]:
        """One result per teacher code (None when unknown), from the cached lists."""
        found = {s.teacher_code: s for s in await self.staff(company) if s.teacher_code}
        return [found.get(code) for code in codes]

    # -- classes ------------------------------------------------------------------------

    async def classes(self, company: str) -> tuple[TeachingClass, ...]:
        """Classes of the current year and semester, with teacher and student codes (§B.3.5:
        the legacy roster method knows only the current semester, so both APIs answer that)."""
        tenant = self._tenant(company)
        if tenant.rest is not None:
            read = self._rest_list(
                tenant,
                "classes",
                paths.CLASSES,
                class_2026,
                self.config.ttl.classes,
                key=lambda c: c.id,
            )
        else:
            read = self._legacy_list(
                tenant,
                "classes",
                "getClassDetailsWithStudents",
                [{}],
                "data",
                class_legacy,
                self.config.ttl.classes,
                key=lambda c: c.id,
            )
        return (await self._list(tenant, read)).rows

    # -- timetables ---------------------------------------------------------------------

    async def timetable(self, company: str, year: int, semester: int) -> tuple[TimetableSlot, ...]:
        """The weekly slots of the timetable of `year` and `semester` (TASS's `period`)."""
        tenant = self._tenant(company)
        resource = f"timetable:{year}:{semester}"
        if tenant.rest is not None:
            read = self._rest_list(
                tenant,
                resource,
                paths.TIMETABLES,
                timetable_slot_2026,
                self.config.ttl.timetable,
                key=_slot_key,
                params={paths.Q_YEAR: str(year), paths.Q_PERIOD: str(semester)},
            )
        else:
            read = self._legacy_list(
                tenant,
                resource,
                "getTimetables",
                [{"year": str(year), "period": str(semester)}],
                "timetables",
                timetable_slot_legacy,
                self.config.ttl.timetable,
                key=_slot_key,
            )
        return (await self._list(tenant, read)).rows

    async def calendar(self, company: str, tt_id: int) -> tuple[CalendarDay, ...]:
        """The dates of a timetable and their day codes (None on non-school days)."""
        tenant = self._tenant(company)
        resource = f"calendar:{tt_id}"
        if tenant.rest is not None:
            read = self._rest_list(
                tenant,
                resource,
                paths.CALENDAR,
                calendar_day_2026,
                self.config.ttl.calendar,
                key=lambda d: d.date,
                values={"tt_id": str(tt_id)},
            )
        else:
            read = self._legacy_list(
                tenant,
                resource,
                "getTimetableCalendar",
                [{"tt_id": str(tt_id)}],
                "tt_calendar",
                calendar_day_legacy,
                self.config.ttl.calendar,
                key=lambda d: d.date,
            )
        return tuple(sorted((await self._list(tenant, read)).rows, key=lambda d: d.date))

    async def lessons(self, company: str, start: date, end: date) -> tuple[Lesson, ...]:
        """Every lesson of the school from `start` to `end` inclusive: each timetable's weekly
        slots placed on its calendar, timed by the bell times (None where unknown)."""
        self._check_window(start, end)
        grids = await asyncio.gather(
            *(
                self.timetable(company, year, semester)
                for year in range(start.year, end.year + 1)
                for semester in (1, 2)
            )
        )
        slots = [slot for grid in grids for slot in grid]
        if not slots:
            return ()
        bells = {(b.day_code, b.period_code): b for b in await self.bell_times(company)}
        by_tt: dict[int, dict[int, list[TimetableSlot]]] = {}
        for slot in slots:
            by_tt.setdefault(slot.tt_id, {}).setdefault(slot.day_code, []).append(slot)
        calendars = await asyncio.gather(*(self.calendar(company, tt) for tt in by_tt))
        zone = self.time_zone(company)
        out: list[Lesson] = []
        for tt_id, days in zip(by_tt, calendars, strict=True):
            for day in days:
                if day.day_code is None or not start <= day.date <= end:
                    continue
                for slot in sorted(
                    by_tt[tt_id].get(day.day_code, ()),
                    key=lambda s: (s.period_code, s.subject_code, s.class_code),
                ):
                    bell = bells.get((slot.day_code, slot.period_code))
                    out.append(
                        _lesson(
                            company,
                            day.date,
                            zone,
                            tt_id,
                            slot.year,
                            slot.semester,
                            slot.day_code,
                            slot.period_code,
                            slot.subject_code,
                            slot.class_code,
                            slot.year_group,
                            slot.teacher_codes,
                            slot.room,
                            None,
                            bell.starts if bell else None,
                            bell.ends if bell else None,
                        )
                    )
        out.sort(key=lambda x: (x.date, x.period_code, x.subject_code, x.class_code))
        return tuple(out)

    async def bell_times(self, company: str) -> tuple[BellTime, ...]:
        """When each period of each timetable day runs, from the current timetable.

        Neither API has a bell-time list: the legacy API puts them in every person timetable
        (`STRDAYS`, §B.4.3), so one teacher timetable gives them all; the 2026 person
        timetables time only that person's lessons, so up to `bell_time_probes` teacher
        timetables are read, busiest teachers first, until every slot of the grid is timed.
        """
        tenant = self._tenant(company)
        term = await self._current_term(company)
        if term is None:
            return ()
        year, semester, grid = term

        async def load() -> tuple[BellTime, ...]:
            counts: dict[str, int] = {}
            for slot in grid:
                for code in slot.teacher_codes:
                    counts[code] = counts.get(code, 0) + 1
            busiest = sorted(counts, key=lambda c: (-counts[c], c))
            if tenant.legacy is not None:
                for code in busiest[:1]:
                    _, bells = await self._legacy_person(
                        tenant,
                        "getTeacherTimetable",
                        {"teacher_code": code, "year_num": str(year), "semester": str(semester)},
                        "teacher_timetable",
                    )
                    return tuple(bells)
                return ()
            wanted = {(s.day_code, s.period_code) for s in grid}
            found: dict[tuple[int, int], BellTime] = {}
            for code in busiest[: self.config.bell_time_probes]:
                for lesson in await self._rest_person(tenant, paths.TEACHER_TIMETABLE, code):
                    cell = (lesson.day_code, lesson.period_code)
                    if lesson.starts and lesson.ends and cell not in found:
                        found[cell] = BellTime(cell[0], cell[1], lesson.starts, lesson.ends)
                if wanted <= found.keys():
                    break
            return tuple(found[c] for c in sorted(found))

        return await self._value(
            tenant, f"bell_times:{year}:{semester}", "bell times", self.config.ttl.timetable, load
        )

    async def student_timetable(
        self, company: str, code: str, start: date, end: date
    ) -> tuple[Lesson, ...]:
        """A student's lessons from `start` to `end` (the current timetable only: TASS's
        person timetables describe the current semester)."""
        return await self._person_lessons(company, "student", code, start, end)

    async def teacher_timetable(
        self, company: str, code: str, start: date, end: date
    ) -> tuple[Lesson, ...]:
        """A teacher's lessons from `start` to `end` (the current timetable only)."""
        return await self._person_lessons(company, "teacher", code, start, end)

    async def _person_lessons(
        self, company: str, kind: Literal["student", "teacher"], code: str, start: date, end: date
    ) -> tuple[Lesson, ...]:
        self._check_window(start, end)
        tenant = self._tenant(company)
        slots = await self._person_slots(tenant, kind, code)
        by_tt: dict[int, dict[int, list[PersonSlot]]] = {}
        for slot in slots:
            if slot.tt_id is not None:
                by_tt.setdefault(slot.tt_id, {}).setdefault(slot.day_code, []).append(slot)
        calendars = await asyncio.gather(*(self.calendar(company, tt) for tt in by_tt))
        out: list[Lesson] = []
        for tt_id, days in zip(by_tt, calendars, strict=True):
            for day in days:
                if day.day_code is None or not start <= day.date <= end:
                    continue
                for slot in by_tt[tt_id].get(day.day_code, ()):
                    out.append(
                        _lesson(
                            company,
                            day.date,
                            tenant.zone,
                            tt_id,
                            slot.year,
                            slot.semester,
                            slot.day_code,
                            slot.period_code,
                            slot.subject_code,
                            slot.class_code,
                            slot.year_group,
                            slot.teacher_codes,
                            slot.room,
                            slot.subject_name,
                            slot.starts,
                            slot.ends,
                        )
                    )
        out.sort(key=lambda x: (x.date, x.period_code, x.subject_code, x.class_code))
        return tuple(out)

    async def _person_slots(
        self, tenant: _Tenant, kind: Literal["student", "teacher"], code: str
    ) -> tuple[PersonSlot, ...]:
        if tenant.rest is not None:
            template = paths.STUDENT_TIMETABLE if kind == "student" else paths.TEACHER_TIMETABLE
            return await self._value(
                tenant,
                f"{kind}_timetable:{code}",
                self._rest_route(tenant, template),
                self.config.ttl.person_timetable,
                lambda: self._rest_person(tenant, template, code),
            )
        if kind == "student":
            method, params = "getStudentTimetable", {"student_code": code}
        else:
            term = await self._current_term(tenant.code)
            if term is None:
                return ()
            params = {"teacher_code": code, "year_num": str(term[0]), "semester": str(term[1])}
            method = "getTeacherTimetable"

        async def load() -> tuple[PersonSlot, ...]:
            slots, _ = await self._legacy_person(tenant, method, params, f"{kind}_timetable")
            return tuple(slots)

        legacy = _legacy_of(tenant)
        return await self._value(
            tenant,
            f"{kind}_timetable:{code}",
            legacy.route(method),
            self.config.ttl.person_timetable,
            load,
        )

    async def _rest_person(
        self, tenant: _Tenant, template: str, code: str
    ) -> tuple[PersonSlot, ...]:
        rest = _rest_of(tenant)
        name = "stud_code" if template == paths.STUDENT_TIMETABLE else "teacher_code"
        what = "student" if template == paths.STUDENT_TIMETABLE else "teacher"
        ctx = self._ctx(tenant, rest.route(template))
        rows = await rest.rows(
            tenant.code, template, values={name: code}, missing=f"{what} '{code}'"
        )
        return tuple(person_slot_2026(r, ctx) for r in rows)

    async def _legacy_person(
        self, tenant: _Tenant, method: str, params: Mapping[str, str], payload: str
    ) -> tuple[list[PersonSlot], list[BellTime]]:
        legacy = _legacy_of(tenant)
        body = await legacy.call(tenant.code, method, params)
        ctx = self._ctx(tenant, legacy.route(method))
        entries = body.get(payload)
        if not isinstance(entries, list):
            raise ctx.bad(f"no '{payload}' list.")
        slots: list[PersonSlot] = []
        bells: list[BellTime] = []
        for entry in entries:
            if isinstance(entry, dict):
                more_slots, more_bells = person_timetable_legacy(entry, ctx)
                slots.extend(more_slots)
                bells.extend(more_bells)
        return slots, bells

    async def _current_term(
        self, company: str
    ) -> tuple[int, int, tuple[TimetableSlot, ...]] | None:
        """(year, semester, grid) of the timetable whose calendar holds today; otherwise the
        latest that started before today, otherwise the first with slots."""
        today = self.today(company)
        grids = await asyncio.gather(
            *(self.timetable(company, today.year, semester) for semester in (1, 2))
        )
        candidates: list[tuple[int, tuple[TimetableSlot, ...], tuple[CalendarDay, ...]]] = []
        for semester, grid in zip((1, 2), grids, strict=True):
            if grid:
                days = await self.calendar(company, grid[0].tt_id)
                candidates.append((semester, grid, days))
        for semester, grid, days in candidates:
            if days and days[0].date <= today <= days[-1].date:
                return today.year, semester, grid
        started = [c for c in candidates if c[2] and c[2][0].date <= today]
        chosen = started[-1] if started else (candidates[0] if candidates else None)
        return (today.year, chosen[0], chosen[1]) if chosen is not None else None

    # -- absences -----------------------------------------------------------------------

    async def absences(
        self,
        company: str,
        start: date,
        end: date,
        student_codes: Iterable[str] | None = None,
    ) -> tuple[Absence, ...]:
        """Absent periods from `start` to `end` inclusive, of every student or of the given
        ones. Read per calendar month (and at most 100 students per call), so overlapping
        windows share upstream reads."""
        self._check_window(start, end)
        tenant = self._tenant(company)
        chunks: list[tuple[str, ...] | None]
        if student_codes is None:
            chunks = [None]
        else:
            codes = sorted(set(student_codes))
            if not codes:
                return ()
            size = self.config.max_codes_per_call
            chunks = [tuple(codes[i : i + size]) for i in range(0, len(codes), size)]
        months = _months(start, end)
        reads = await asyncio.gather(
            *(
                self._absence_month(tenant, first, last, chunk)
                for first, last in months
                for chunk in chunks
            )
        )
        rows = [a for read in reads for a in read if start <= a.date <= end]
        rows.sort(key=lambda a: (a.date, a.student_code, a.period_code))
        return tuple(rows)

    async def _absence_month(
        self, tenant: _Tenant, first: date, last: date, codes: tuple[str, ...] | None
    ) -> tuple[Absence, ...]:
        who = "ALL" if codes is None else ",".join(codes)
        tag = "ALL" if codes is None else _fingerprint(dict.fromkeys(codes, ""))
        resource = f"absences:{first.isoformat()}:{tag}"
        closed = last < self.today(tenant.code)
        ttl = self.config.ttl.absences_closed if closed else self.config.ttl.absences
        if tenant.rest is not None:
            read = self._rest_list(
                tenant,
                resource,
                paths.ABSENCES,
                absence_2026,
                ttl,
                key=_absence_key,
                params={
                    paths.Q_STUDCODE: who,
                    paths.Q_ABSENT_FROM: first.isoformat(),
                    paths.Q_ABSENT_TO: last.isoformat(),
                },
            )
        else:
            read = self._legacy_list(
                tenant,
                resource,
                "getStudentAbsences",
                [{"studcode": who, "absentdatefrom": _dmy(first), "absentdateto": _dmy(last)}],
                "DATA",
                absence_legacy,
                ttl,
                key=_absence_key,
            )
        return (await self._list(tenant, read)).rows

    # -- invalidation -------------------------------------------------------------------

    def invalidate(self, company: str | None = None, resource: str | None = None) -> int:
        """Drop cached reads (a webhook or a write elsewhere changed them); return how many."""
        tenants = [self._tenant(company)] if company is not None else list(self._tenants.values())
        return sum(
            self.cache.evict(UPSTREAM, tenant=t.cache_tenant, resource_prefix=resource)
            for t in tenants
        )

    def expire(self, company: str, resource: str) -> None:
        """Make a cached list stale now, so its next read refreshes it: an `update_on` read, or
        a whole one when `full_refresh_every` is due (live updates poll this way)."""
        self._expire(self._tenant(company), resource)

    def _expire(self, tenant: _Tenant, resource: str) -> None:
        """Make a cached read stale now, so its next use refreshes it (incrementally)."""
        entry = self.cache.peek(CacheKey(UPSTREAM, tenant.cache_tenant, resource))
        if entry is not None:
            entry.fresh_until = float("-inf")

    def fresh(self, company: str, resource: str) -> bool:
        """Whether a read of `resource` (e.g. `"campuses"`) would be answered from the cache
        now, without a request: a caller can tell whether starting it early would overlap
        anything."""
        return self.cache.fresh(CacheKey(UPSTREAM, self._tenant(company).cache_tenant, resource))

    def snapshot(self, company: str, resource: str) -> Snapshot[Any] | None:
        """The cached snapshot of a list (for explain output and tests), if any."""
        entry = self.cache.peek(CacheKey(UPSTREAM, self._tenant(company).cache_tenant, resource))
        return entry.value if entry is not None and isinstance(entry.value, Snapshot) else None

    # -- machinery ----------------------------------------------------------------------

    def _ctx(self, tenant: _Tenant, route: str, **lookups: Any) -> RowContext:
        return RowContext(tenant.code, tenant.zone, route, **lookups)

    def _rest_route(self, tenant: _Tenant, template: str) -> str:
        return _rest_of(tenant).route(template)

    def _check_window(self, start: date, end: date) -> None:
        if end < start:
            raise BadRequestError(f"The date range {start}..{end} ends before it starts.")
        if (end - start).days + 1 > self.config.max_window_days:
            raise BadRequestError(
                f"The date range {start}..{end} is longer than {self.config.max_window_days} days."
            )

    def _rest_list(
        self,
        tenant: _Tenant,
        resource: str,
        template: str,
        parse: Callable[[Raw, RowContext], Any],
        ttl: float,
        *,
        key: Callable[[Any], Hashable],
        incremental: bool = False,
        params: Mapping[str, str] | None = None,
        values: Mapping[str, str] | None = None,
        lookups: Callable[[], Awaitable[_Lookups]] | None = None,
    ) -> _ListRead:
        rest = _rest_of(tenant)
        route = rest.route(template)

        typed = typed_page(parse)
        decode = typed.decode if typed is not None else None

        def pages() -> AsyncGenerator[list[Raw], None]:
            return rest.pages(tenant.code, template, values=values, params=params, decode=decode)

        async def fetch_since(since: datetime) -> list[Raw]:
            literal = local_wire_time(since, tenant.zone)
            return await rest.rows(
                tenant.code,
                template,
                values=values,
                params=params,
                where=f"{paths.UPDATE_ON} ge {literal}",
                decode=decode,
            )

        return _ListRead(
            resource,
            route,
            ttl,
            pages,
            self._parser(tenant, route, parse, lookups),
            key,
            fetch_since if incremental else None,
        )

    def _legacy_list(
        self,
        tenant: _Tenant,
        resource: str,
        method: str,
        calls: list[dict[str, str]],
        payload: str,
        parse: Callable[[Any, RowContext], Any],
        ttl: float,
        *,
        key: Callable[[Any], Hashable],
        incremental: bool = False,
        lookups: Callable[[], Awaitable[_Lookups]] | None = None,
    ) -> _ListRead:
        legacy = _legacy_of(tenant)
        route = legacy.route(method)

        async def fetch() -> list[Raw]:
            return await self._legacy_rows(tenant, method, calls, payload)

        async def fetch_since(since: datetime) -> list[Raw]:
            day = since.astimezone(tenant.zone).date()
            return await self._legacy_rows(
                tenant, method, [{**c, "update_on_from": _dmy(day)} for c in calls], payload
            )

        return _ListRead(
            resource,
            route,
            ttl,
            partial(_one_page, fetch),
            self._parser(tenant, route, parse, lookups),
            key,
            fetch_since if incremental else None,
        )

    def _parser(
        self,
        tenant: _Tenant,
        route: str,
        parse: Callable[[Raw, RowContext], Any],
        lookups: Callable[[], Awaitable[_Lookups]] | None,
    ) -> _Parser | Callable[[], Awaitable[_Parser]]:
        typed = typed_page(parse)

        def parser(found: _Lookups) -> _Parser:
            ctx = self._ctx(tenant, route, **found)
            fingerprint = _lookups_fingerprint(found)
            if typed is None:
                return _Parser(lambda raw: parse(raw, ctx), fingerprint)
            # A page the typed reading decoded holds its structs; any other page, dicts.
            wire, build = typed.wire, typed.build
            return _Parser(
                lambda raw: build(raw, ctx) if type(raw) is wire else parse(raw, ctx), fingerprint
            )

        if lookups is None:
            return parser({})

        async def read_lookups() -> _Parser:
            return parser(await lookups())

        return read_lookups

    async def _legacy_rows(
        self, tenant: _Tenant, method: str, calls: list[dict[str, str]], payload: str
    ) -> list[Raw]:
        legacy = _legacy_of(tenant)
        bodies = await asyncio.gather(*(legacy.call(tenant.code, method, c) for c in calls))
        rows: list[Raw] = []
        for body in bodies:
            value = body.get(payload)
            if not isinstance(value, list):
                raise self._ctx(tenant, legacy.route(method)).bad(f"no '{payload}' list.")
            rows.extend(value)
        return rows

    async def _list(self, tenant: _Tenant, read: _ListRead) -> Snapshot[Any]:
        """A cached list, refreshed incrementally or whole (module docstring, "Cache")."""
        key = CacheKey(UPSTREAM, tenant.cache_tenant, read.resource)
        marker = (tenant.cache_tenant, read.resource)

        async def load(previous: CacheEntry[Snapshot[Any]] | None) -> Refresh[Snapshot[Any]]:
            try:
                return await self._load(read, marker, previous)
            except UpstreamAuthError as error:
                raise _AuthFailure(error) from None

        try:
            cached = await self.cache.fetch(key, load, ttl=read.ttl, route=read.route)
        except _AuthFailure as failure:
            self.cache.evict(UPSTREAM, tenant=tenant.cache_tenant, resource_prefix=read.resource)
            raise _copy(failure.error) from None
        return cached.value

    async def _load(
        self,
        read: _ListRead,
        marker: tuple[str, str],
        entry: CacheEntry[Snapshot[Any]] | None,
    ) -> Refresh[Snapshot[Any]]:
        now = self._clock()
        refused = False
        parser: _Parser | None = None
        previous = entry.value if entry is not None else None
        if (
            previous is not None
            and entry is not None
            and read.fetch_since is not None
            and previous.watermark is not None
            and now - _full_read_at(entry) < self.config.full_refresh_every
            and marker not in self._no_incremental
        ):
            # The lookups first: rows parsed under other lookups are read whole again.
            parser = await _parser_of(read)
            if previous.context == parser.context:
                since = previous.watermark - timedelta(seconds=self.config.incremental_overlap)
                try:
                    raws = await read.fetch_since(since)
                except (RequestRejectedError, EndpointDeniedError):
                    refused = True  # the filter, or the whole endpoint: the full read tells
                else:
                    parse = parser.parse
                    merged = await off_loop(
                        _wire_bytes(raws),
                        lambda: merge(previous, raws, parse=parse, key=read.key),
                    )
                    if merged is None:
                        return Refresh.unchanged()
                    return Refresh(
                        value=merged, size=merged.size, outcome="revalidated", meta=entry.meta
                    )
        snapshot = await self._read_whole(read, previous, now, parser)
        if refused:
            logger.warning(
                "TASS refused an update_on read of %s but not a full one; reading it whole from "
                "now on.",
                read.route,
            )
            self._no_incremental.add(marker)
        if previous is not None and snapshot.rows is previous.rows:
            # Nothing changed: keep the very snapshot (what kept answers were built on), and
            # note the full read beside it.
            return Refresh(not_modified=True, outcome="revalidated", meta={_FULL_READ_AT: now})
        return Refresh(value=snapshot, size=snapshot.size, outcome="miss")

    async def _read_whole(
        self,
        read: _ListRead,
        previous: Snapshot[Any] | None,
        now: float,
        parser: _Parser | None,
    ) -> Snapshot[Any]:
        """A full read: each page is parsed and hashed as it arrives, while the next one is on
        the wire (`Api2026.pages`), and the snapshot assembled after the last. _Lookups the
        parse needs, unless already read (`parser`), are asked for alongside the first page."""
        parsing = _parsing(read, parser)
        parts: list[HashedRows[Any]] = []
        try:
            pages = read.pages()
            async with aclosing(pages):
                async for page in pages:
                    parse = (await parsing).parse
                    parts.append(
                        await off_loop(
                            _wire_bytes(page), partial(hash_rows, page, parse=parse, key=read.key)
                        )
                    )
            context = (await parsing).context
        finally:
            await stop_task(parsing)
        return assemble(parts, previous=previous, now=now, context=context)

    async def _value(
        self,
        tenant: _Tenant,
        resource: str,
        route: str,
        ttl: float,
        load_value: Callable[[], Awaitable[T]],
    ) -> T:
        """A cached value that is always read whole (person timetables, bell times)."""
        key = CacheKey(UPSTREAM, tenant.cache_tenant, resource)

        async def load(previous: CacheEntry[T] | None) -> Refresh[T]:
            try:
                value = await load_value()
            except UpstreamAuthError as error:
                raise _AuthFailure(error) from None
            if previous is not None and previous.value == value:
                return Refresh.unchanged()  # keep the cached objects
            return Refresh(value=value, size=1024, outcome="miss")

        try:
            cached = await self.cache.fetch(key, load, ttl=ttl, route=route)
        except _AuthFailure as failure:
            self.cache.evict(UPSTREAM, tenant=tenant.cache_tenant, resource_prefix=resource)
            raise _copy(failure.error) from None
        return cached.value

    @staticmethod
    async def _optional(read: Awaitable[tuple[T, ...]]) -> tuple[T, ...]:
        """A lookup list, or nothing when the credential may not read it."""
        try:
            return await read
        except UpstreamAuthError as error:
            logger.info("A TASS lookup is not readable (%s); carrying on without it.", error.code)
            return ()

    @staticmethod
    async def _optional_rows(read: Awaitable[tuple[T, ...]], what: str) -> tuple[T, ...]:
        try:
            return await read
        except EndpointDeniedError:
            logger.info("TASS %s are not readable; staff are teachers only.", what)
            return ()


# --------------------------------------------------------------------------- helpers

_FULL_READ_AT = "full_read_at"
"""The cache entry's note of the last full read that found nothing changed: such a read keeps
the snapshot object, whose own `full_read_at` is then older."""


def _full_read_at(entry: CacheEntry[Snapshot[Any]]) -> float:
    noted = entry.meta.get(_FULL_READ_AT)
    read_at = entry.value.full_read_at
    return max(read_at, noted) if isinstance(noted, float | int) else read_at


def _rest_of(tenant: _Tenant) -> Api2026:
    if tenant.rest is None:
        raise RuntimeError(f"TASS company '{tenant.code}' is not read through the 2026 API.")
    return tenant.rest


def _legacy_of(tenant: _Tenant) -> LegacyApi:
    if tenant.legacy is None:
        raise RuntimeError(f"TASS company '{tenant.code}' is not read through the legacy API.")
    return tenant.legacy


def _code(model: Any) -> Hashable:
    code: Hashable = model.code
    return code


def _address_key(address: ContactAddress) -> Hashable:
    return (address.student_code, address.address_number)


def _slot_key(slot: TimetableSlot) -> Hashable:
    return slot.record_id or (slot.day_code, slot.period_code, slot.subject_code, slot.class_code)


def _absence_key(absence: Absence) -> Hashable:
    return (absence.student_code, absence.date, absence.period_code)


def _months(start: date, end: date) -> list[tuple[date, date]]:
    out: list[tuple[date, date]] = []
    first = start.replace(day=1)
    while first <= end:
        last = first.replace(day=calendar_module.monthrange(first.year, first.month)[1])
        out.append((first, last))
        first = last + timedelta(days=1)
    return out


def _lesson(
    company: str,
    day: date,
    zone: ZoneInfo,
    tt_id: int | None,
    year: int | None,
    semester: int | None,
    day_code: int,
    period_code: int,
    subject_code: str,
    class_code: str,
    year_group: int | None,
    teacher_codes: tuple[str, ...],
    room: str | None,
    subject_name: str | None,
    starts: Any,
    ends: Any,
) -> Lesson:
    def instant(moment: Any) -> datetime | None:
        if moment is None:
            return None
        return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)

    return Lesson(
        company=company,
        date=day,
        tt_id=tt_id,
        year=year,
        semester=semester,
        day_code=day_code,
        period_code=period_code,
        subject_code=subject_code,
        class_code=class_code,
        year_group=year_group,
        teacher_codes=teacher_codes,
        room=room,
        subject_name=subject_name,
        starts_at=instant(starts),
        ends_at=instant(ends),
    )


def _copy(error: UpstreamAuthError) -> UpstreamAuthError:
    """A fresh instance (re-raising one instance from a cache grows its traceback)."""
    if isinstance(error, EndpointDeniedError):
        return EndpointDeniedError(error.message, endpoint=error.endpoint, company=error.company)
    return UpstreamAuthError(error.message, upstream=UPSTREAM)
