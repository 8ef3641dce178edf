"""The Xporter on Demand client: typed reads per school, cached and kept current by change sets.

Section numbers (§) are those of `shared/upstreams/xporter.md`.

Requests
--------
* `GET {base_url}/api/v1/School/{estab}/{Endpoint}[/{id}]` (EXT template, §3) with the
  school's STS token (`auth.py`). Switches go in one `options=` CSV, the form both public
  clients send to the real API (§2.1 EXT); the doc's one-boolean-per-switch form is untested
  in any capture.
* Paging is followed transparently: `page`/`pageSize` until `__pagination__.PageCount`
  (§2.1, §2.2). A change set is calculated before paging, so every page repeats the same
  `changedRows` value; if the pages disagree on the next token the data moved mid-read and
  the read starts again.
* Xporter has no multi-id parameters (§6.2: "Whether `id` accepts a CSV is DOC-SILENT"), so
  there is nothing to chunk: by-id lookups are served from the cached per-school list, which
  the graph batches over. Date ranges are split into Monday-to-Sunday weeks, each its own cache
  entry and change-set partition, so overlapping windows share upstream reads.

Errors: why `httpstatuscodes=true` is sent, and why the body still decides
---------------------------------------------------------------------------
Xporter reports failures as HTTP 200 with a non-null `ExceptionMessage` unless the request has
`httpstatuscodes=true` (§2.1, §2.5); the codes it then uses are doc-silent, and the public
clients never sent the flag. We send it (`XporterConfig.http_status_codes`), because real
statuses let the shared transport do what it does for every upstream: a 401 re-authenticates
exactly once and retries, 5xx are retried and open the circuit breaker, 429 waits. But the body
stays authoritative: any non-null `ExceptionMessage` is an error whatever the status, so the
client is correct against an API that ignores the flag. Envelope errors are classified by the
text the contract documents (AuthorisationPaused), the ASP.NET 401 text ("Authorization has
been denied"), the status and the `ExceptionType`:

* paused -> `AuthorisationPausedError`; a refused token -> one renewal and retry, then
  `SchoolAuthError(token_rejected)`; a missing grant or scope -> `SchoolAuthError
  (not_authorised)`; anything else -> `XporterRequestError` (UPSTREAM_BAD_RESPONSE).
* Authorisation failures are never answered from stale cache: a paused or revoked school has
  withdrawn its data (the pause exists so the school can remove people from the feed, §1.2),
  so its cached entries are evicted instead.

Cache
-----
Every list is one `UpstreamCache` entry per (school, endpoint, filters) holding a
`changesets.Snapshot`; the tenant of the key is the estab. The first read asks for
`changedRows=*`; after the entry's TTL the refresh asks for `changedRows=<token>` and applies
only the changed rows and the rows `<Table>_deleted` names, keeping unchanged rows as the same
objects. A `_deleted` row carries only `Id` (§2.2): for `Lessons`, keyed by occurrence
(`PeriodId`), that is the lesson, and every occurrence of it goes (§4.7.1). A token the
upstream refuses (its TTL and error shape are doc-silent, §6.4), or a change set deleting rows
of a table without an `Id` of its own (`AttendCodes`, §4.8.1), whose `_deleted` Ids name none
of them, falls back to a full `*` read.

A student or member of staff read by id (`/Students/{id}`, `/Staff/{id}`) is an entry of its
own; a refresh of the school's list that changes or deletes the row evicts it, so reads by id
agree with the list from that refresh on. Live updates poll the lists the graph reads.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Literal, TypeVar
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from msgspec import Struct

from ...cache.store import CacheEntry, CacheKey, Refresh, UpstreamCache
from ...errors import (
    ConfigError,
    NotFoundError,
    UpstreamAuthError,
    UpstreamBadResponseError,
    UpstreamError,
)
from ..http import RateLimiter, Transport, TransportPolicy, UpstreamResponse
from ..off_loop import DECODE_OFF_LOOP_BYTES, off_loop
from .auth import (
    STS_PATH,
    THIRD_PARTY_ID,
    SchoolAuth,
    SchoolAuthError,
    XporterSchool,
    is_paused_message,
    paused_error,
)
from .changesets import Snapshot, Table, Wire, apply, unnamed_deletions
from .models import (
    ATTENDANCE_CODES,
    ATTENDANCE_MARKS,
    CONTACTS,
    GROUPS,
    HEALTH,
    LESSON_STAFF,
    LESSONS,
    NARROW_CONTACTS,
    NARROW_GROUPS,
    PERSON_TIMETABLE,
    SCHOOL_INFO,
    STAFF,
    STUDENT_CONTACTS,
    STUDENT_YEARS,
    STUDENTS,
    UPSTREAM,
    AttendanceCode,
    AttendanceMark,
    Contact,
    Fields,
    Group,
    GroupType,
    Health,
    Lesson,
    NarrowContact,
    NarrowGroup,
    RowContext,
    SchoolInfo,
    Staff,
    Student,
    StudentContact,
    StudentYear,
    TableSpec,
    Timetable,
    parse_local,
)
from .typed_rows import TypedRows, as_row, decode_tables

logger = logging.getLogger(__name__)

M = TypeVar("M")

DEFAULT_TIME_ZONE = "Europe/London"  # UK schools; the contract carries no time zone
SCHOOL_PATH = "/api/v1/School"
# 400/403/404 answers carry an envelope worth reading; 401, 429 and 5xx are the transport's.
_READ_STATUSES = frozenset({400, 403, 404})
_MAX_PAGES = 10_000
_READ_ATTEMPTS = 3  # reads restarted because the data moved between pages
_READ_BY_ID = frozenset({"Students", "Staff"})  # lists whose rows are also cached by id
_EVICT_EACH_UP_TO = 64  # changed rows evicted one by one; more evict every by-id entry


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True, slots=True)
class XporterTtls:
    """Seconds a cached result is served before it is refreshed with a change set."""

    school_info: float = 3600.0
    students: float = 300.0
    staff: float = 300.0
    groups: float = 300.0
    contacts: float = 600.0
    student_contacts: float = 600.0
    timetable: float = 600.0
    attendance_codes: float = 86_400.0
    attendance: float = 300.0  # Xporter itself refreshes attendance every 30 minutes (§2.4)


@dataclass(frozen=True, slots=True)
class XporterConfig:
    """Everything the client needs; built by the caller (this module reads no environment).

    Attributes:
        base_url: `https://xporter.groupcall.com` for the real API.
        relying_party: the app id Groupcall registered (`relyingParty`).
        schools: the schools that authorised the app, with their secrets.
        token_url: the STS; default `{base_url}/idaas/sts/STS/GetToken`. The real one is
            `https://login.groupcall.com/idaas/sts/STS/GetToken` (EXT, §1.2).
        third_party_id: "Always XporterOnDemand" (§1.2).
        time_zone: the zone of schools' local timestamps unless a school names its own.
        ttl: seconds per resource before a change-set refresh.
        page_size: rows per page; None leaves paging to the upstream (100011 rows, §2.1).
        http_status_codes: send `httpstatuscodes=true` (see the module docstring).
        token_renew_ahead: renew a school's token this many seconds before `expires`.
        auth_failure_backoff: seconds a refused or paused school is not asked again.
        rate_limit_per_minute: a client-side limit per school; the contract documents none.
        max_window_days: the longest date range one call may ask for.
        transport: timeouts, retries and circuit breaker of the shared transport.
    """

    base_url: str
    relying_party: str
    schools: tuple[XporterSchool, ...]
    token_url: str | None = None
    third_party_id: str = THIRD_PARTY_ID
    time_zone: str = DEFAULT_TIME_ZONE
    ttl: XporterTtls = XporterTtls()
    page_size: int | None = None
    http_status_codes: bool = True
    token_renew_ahead: float = 300.0
    auth_failure_backoff: float = 30.0
    rate_limit_per_minute: int | None = None
    max_window_days: int = 366
    transport: TransportPolicy = field(default_factory=TransportPolicy)

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"Xporter base_url '{self.base_url}' must be an http:// or https:// URL."
            )
        if not self.relying_party.strip():
            raise ConfigError("Xporter relying_party is empty; use the app id Groupcall issued.")
        if not self.schools:
            raise ConfigError("Xporter needs at least one school (estab and schoolSecret).")
        seen: set[str] = set()
        for school in self.schools:
            if not school.estab.strip() or not school.secret:
                raise ConfigError(
                    f"Xporter school '{school.estab}' needs both an estab and a secret."
                )
            if school.estab in seen:
                raise ConfigError(f"Xporter school '{school.estab}' is configured twice.")
            seen.add(school.estab)
        for zone in {self.time_zone, *(s.time_zone for s in self.schools if s.time_zone)}:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ConfigError(f"Xporter time zone '{zone}' is not an IANA zone.") from None
        if self.page_size is not None and self.page_size < 1:
            raise ConfigError(f"Xporter page_size must be at least 1, got {self.page_size}.")
        if self.rate_limit_per_minute is not None and self.rate_limit_per_minute < 1:
            raise ConfigError(
                f"Xporter rate_limit_per_minute must be at least 1, got "
                f"{self.rate_limit_per_minute}."
            )

    @property
    def sts_url(self) -> str:
        return self.token_url or f"{self.base_url.rstrip('/')}{STS_PATH}"


# --------------------------------------------------------------------------- records, errors


class XporterRequestError(UpstreamBadResponseError):
    """Xporter refused a read for a reason other than authorisation (an `ExceptionMessage`).

    Attributes:
        estab: the school.
        status: the HTTP status (200 when Xporter used its envelope only).
    """

    def __init__(self, message: str, *, estab: str, status: int) -> None:
        super().__init__(message, upstream=UPSTREAM)
        self.estab = estab
        self.status = status


class _Withdrawn(Exception):  # noqa: N818 - a carrier, never raised out of this module
    """Carries an authorisation failure through the cache so it does not serve stale data."""

    def __init__(self, error: SchoolAuthError) -> None:
        super().__init__(error.message)
        self.error = error


SyncKind = Literal["full", "changes", "fallback"]
PolledEndpoint = Literal["Students", "Staff", "Groups"]
"""The lists live updates poll for changed rows."""


def _hashes(table: Table[Any]) -> dict[str, str]:
    return {key: table.hash_of(key) or "" for key in table}


@dataclass(frozen=True, slots=True)
class SyncRecord:
    """One read that filled or refreshed a cached result, as the upstream answered it.

    Attributes:
        kind: `full` (`changedRows=*`), `changes` (a change set), or `fallback` (a change-set
            token the upstream refused, or a change set whose deletions name no rows; a
            `full` read follows).
        rows: data rows received, all tables and pages.
        deleted: rows received in `<Table>_deleted` tables.
    """

    estab: str
    endpoint: str
    resource: str
    kind: SyncKind
    rows: int
    deleted: int
    pages: int
    bytes: int


@dataclass(frozen=True, slots=True)
class _Read:
    """One cacheable read: an endpoint, its filters and switches, and the tables it returns."""

    endpoint: str
    specs: tuple[TableSpec[Any], ...]
    ttl: float
    params: tuple[tuple[str, str], ...] = ()
    options: tuple[str, ...] = ()
    record_id: str | None = None
    unnarrowed: _Read | None = None
    """For a read narrowed by `select` to the columns its models use: the same read with
    every column, for a school whose consent hides one of them (`XporterClient._reading`)."""

    @property
    def query(self) -> dict[str, str]:
        query = dict(self.params)
        if self.options:
            query["options"] = ",".join(self.options)
        return query

    @property
    def typed_tables(self) -> dict[str, TypedRows[Any]]:
        """The tables read narrowed, by lower-cased name and alias: their rows are decoded
        straight into structs (`typed_rows.decode_tables`)."""
        return {
            name.lower(): spec.typed
            for spec in self.specs
            if spec.typed is not None
            for name in (spec.name, *spec.aliases)
        }

    @property
    def resource(self) -> str:
        """The cache key's resource: endpoint, id and normalised parameters."""
        path = self.endpoint if self.record_id is None else f"{self.endpoint}/{self.record_id}"
        return f"{path}?{urlencode(sorted(self.query.items()))}"

    @property
    def route(self) -> str:
        base = f"{SCHOOL_PATH}/{{estab}}/{self.endpoint}"
        return base if self.record_id is None else f"{base}/{{id}}"

    def path(self, estab: str) -> str:
        base = f"{SCHOOL_PATH}/{quote(estab, safe='')}/{self.endpoint}"
        return base if self.record_id is None else f"{base}/{quote(self.record_id, safe='')}"


# --------------------------------------------------------------------------- the client


class XporterClient:
    """Typed, cached reads of the schools that authorised our app.

    Open with `start()` (or `async with`), close with `close()`. Every method takes the
    school's estab first; results are immutable models, and a list read twice within its TTL
    is the same tuple of the same objects.
    """

    upstream = UPSTREAM

    def __init__(
        self,
        config: XporterConfig,
        *,
        cache: UpstreamCache | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.cache = cache if cache is not None else UpstreamCache()
        limiter = (
            RateLimiter(config.rate_limit_per_minute, 60.0)
            if config.rate_limit_per_minute is not None
            else None
        )
        self.transport = Transport(
            UPSTREAM, config.base_url, policy=config.transport, limiter=limiter
        )
        self._zones = {
            school.estab: ZoneInfo(school.time_zone or config.time_zone)
            for school in config.schools
        }
        self._auth = {
            school.estab: SchoolAuth(
                school,
                transport=self.transport,
                token_url=config.sts_url,
                relying_party=config.relying_party,
                third_party_id=config.third_party_id,
                renew_ahead=config.token_renew_ahead,
                failure_backoff=config.auth_failure_backoff,
                clock=clock,
            )
            for school in config.schools
        }
        self.sync_log: deque[SyncRecord] = deque(maxlen=512)
        self._unnarrowed: set[tuple[str, str]] = set()  # (estab, endpoint): select refused

    def __repr__(self) -> str:
        return f"XporterClient(base_url={self.config.base_url!r}, schools={self.estabs!r})"

    async def start(self) -> None:
        await self.transport.start()

    async def close(self) -> None:
        await self.transport.close()

    async def __aenter__(self) -> XporterClient:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def estabs(self) -> tuple[str, ...]:
        """The configured schools, in configuration order."""
        return tuple(school.estab for school in self.config.schools)

    def time_zone(self, estab: str) -> ZoneInfo:
        """The zone the school's local timestamps are read in."""
        self._check(estab)
        return self._zones[estab]

    def auth(self, estab: str) -> SchoolAuth:
        """The school's token lifecycle."""
        self._check(estab)
        return self._auth[estab]

    def _check(self, estab: str) -> None:
        if estab not in self._auth:
            raise NotFoundError(
                f"School '{estab}' is not configured for Xporter; configured schools are "
                f"{', '.join(self.estabs)}.",
                upstream=UPSTREAM,
            )

    # ------------------------------------------------------------------ readiness, health

    async def readiness(self) -> dict[str, str]:
        """Prove reachability and auth: one uncached Health call per school.

        Returns:
            estab -> "ok" or the error code that school failed with.

        Raises:
            UpstreamError: the first failure, when no school answered.
        """
        results = await asyncio.gather(
            *(self.health(estab) for estab in self.estabs), return_exceptions=True
        )
        states: dict[str, str] = {}
        first: UpstreamError | None = None
        for estab, result in zip(self.estabs, results, strict=True):
            if isinstance(result, UpstreamError):
                states[estab] = result.code
                first = first or result
            elif isinstance(result, BaseException):
                raise result
            else:
                states[estab] = "ok"
        if first is not None and "ok" not in states.values():
            raise first
        return states

    async def health(self, estab: str) -> Health:
        """`School.Health` (§2.4), never cached: how old Xporter's copy of the school is."""
        self._check(estab)
        read = _Read("Health", (HEALTH,), 0.0)
        try:
            wire = await self._read_wire(estab, read, changed_rows=None)
        except SchoolAuthError as error:
            self._withdrawn(estab, read, error)
            raise
        snapshot = apply(read.specs, wire, None, self._ctx(estab, read), delta=False).snapshot
        rows = snapshot.table(HEALTH).models
        return rows[0] if rows else Health(estab, None, None, None)

    # ------------------------------------------------------------------ school and people

    async def school_info(self, estab: str) -> SchoolInfo:
        """`school.schoolinfo` (§4.11.1) with the school's configured time zone."""
        read = _Read("SchoolInfo", (SCHOOL_INFO,), self.config.ttl.school_info)
        rows = (await self._table(estab, read, SCHOOL_INFO)).models
        if not rows:
            raise UpstreamBadResponseError(
                f"Xporter answered SchoolInfo for school {estab} without a SchoolInfo row.",
                upstream=UPSTREAM,
            )
        return rows[0]

    async def students(self, estab: str, *, include_leavers: bool = False) -> tuple[Student, ...]:
        """Students on roll (§4.1); with `include_leavers`, this and last year's leavers too."""
        return (await self._table(estab, self._students(include_leavers), STUDENTS)).models

    async def students_by_id(
        self, estab: str, ids: Iterable[str], *, include_leavers: bool = False
    ) -> list[Student | None]:
        """One result per id, from the cached list (Xporter has no multi-id lookup, §6.2)."""
        table = await self._table(estab, self._students(include_leavers), STUDENTS)
        return [table.get(str(i)) for i in ids]

    async def student(self, estab: str, student_id: str) -> Student | None:
        """One student on roll read by id: ``/Students/{id}`` (§3), cached on its own.

        A student's page, and the read a resolver without batching makes per student; the
        batched paths read the school's list once instead.
        """
        read = self._students(False, record_id=student_id)
        return _only(await self._table(estab, read, STUDENTS), student_id)

    async def student_years(self, estab: str) -> tuple[StudentYear, ...]:
        """Each student on roll's year: the list narrowed by `select` (§2.1) to three
        columns, a fraction of the full list to read and parse (a group's year)."""
        read = _Read(
            "Students",
            (STUDENT_YEARS,),
            self.config.ttl.students,
            params=(("select", StudentYear.SELECT),),
        )
        return (await self._table(estab, read, STUDENT_YEARS)).models

    def _students(self, include_leavers: bool, *, record_id: str | None = None) -> _Read:
        # includeComms adds home email and phones (StudentExtended scope, §4.1).
        options = ("includeComms", "includeLeavers") if include_leavers else ("includeComms",)
        whole = _Read(
            "Students", (STUDENTS,), self.config.ttl.students, options=options, record_id=record_id
        )
        return replace(whole, params=(("select", Student.SELECT),), unnarrowed=whole)

    async def staff(
        self, estab: str, *, include_previous: bool = False, include_future: bool = False
    ) -> tuple[Staff, ...]:
        """Current staff (§4.3); previous (left this or last year) and future on request."""
        read = self._staff(include_previous, include_future)
        return (await self._table(estab, read, STAFF)).models

    async def staff_by_id(
        self,
        estab: str,
        ids: Iterable[str],
        *,
        include_previous: bool = False,
        include_future: bool = False,
    ) -> list[Staff | None]:
        """One result per id, from the cached list."""
        table = await self._table(estab, self._staff(include_previous, include_future), STAFF)
        return [table.get(str(i)) for i in ids]

    async def staff_member(
        self, estab: str, staff_id: str, *, include_previous: bool = False
    ) -> Staff | None:
        """One member of staff read by id: ``/Staff/{id}`` (§3), cached on its own."""
        read = self._staff(include_previous, False, record_id=staff_id)
        return _only(await self._table(estab, read, STAFF), staff_id)

    def _staff(
        self, include_previous: bool, include_future: bool, *, record_id: str | None = None
    ) -> _Read:
        options = tuple(
            name
            for name, wanted in (
                ("includeFuture", include_future),
                ("includePrevious", include_previous),
            )
            if wanted
        )
        whole = _Read(
            "Staff", (STAFF,), self.config.ttl.staff, options=options, record_id=record_id
        )
        return replace(whole, params=(("select", Staff.SELECT),), unnarrowed=whole)

    async def groups(
        self, estab: str, *, types: Collection[GroupType] | None = None
    ) -> tuple[Group, ...]:
        """Active groups with their member ids (§4.6), optionally of some types only.

        All types come from one cached read; `types` filters it.
        """
        models = (await self._table(estab, self._groups(), GROUPS)).models
        if types is None:
            return models
        wanted = frozenset(types)
        return tuple(group for group in models if group.type in wanted)

    async def groups_by_id(self, estab: str, ids: Iterable[str]) -> list[Group | None]:
        """One result per id, from the cached list."""
        table = await self._table(estab, self._groups(), GROUPS)
        return [table.get(str(i)) for i in ids]

    async def narrow_groups(self, estab: str) -> tuple[NarrowGroup, ...]:
        """Active groups with their member ids, narrowed by `select` (§2.1) to the columns a
        domain group is made of: three fifths of the full list's bytes, half its parsing (a
        student's page reads it for the student's groups)."""
        return (await self._table(estab, self._groups(narrow=True), NARROW_GROUPS)).models

    def _groups(self, *, narrow: bool = False) -> _Read:
        return _Read(
            "Groups",
            (NARROW_GROUPS,) if narrow else (GROUPS,),
            self.config.ttl.groups,
            params=(("select", NarrowGroup.SELECT),) if narrow else (),
            options=("includeMembersIds", "includeSubjects"),
        )

    async def contacts(self, estab: str) -> tuple[Contact, ...]:
        """Contacts of students on roll (§4.4)."""
        return (await self._table(estab, self._contacts(), CONTACTS)).models

    async def contacts_by_id(self, estab: str, ids: Iterable[str]) -> list[Contact | None]:
        """One result per id, from the cached list."""
        table = await self._table(estab, self._contacts(), CONTACTS)
        return [table.get(str(i)) for i in ids]

    async def narrow_contacts(self, estab: str) -> tuple[NarrowContact, ...]:
        """Contacts of students on roll narrowed by `select` (§2.1) to the columns a domain
        contact is made of: a quarter of the full list's bytes, a third of its parsing (a
        student's page reads it for the student's contacts)."""
        read = _Read(
            "Contacts",
            (NARROW_CONTACTS,),
            self.config.ttl.contacts,
            params=(("select", NarrowContact.SELECT),),
        )
        return (await self._table(estab, read, NARROW_CONTACTS)).models

    def _contacts(self) -> _Read:
        return _Read("Contacts", (CONTACTS,), self.config.ttl.contacts)

    async def student_contacts(
        self, estab: str, *, include_leavers: bool = False
    ) -> tuple[StudentContact, ...]:
        """Every student-contact relationship (§4.5)."""
        read = self._student_contacts(include_leavers)
        return (await self._table(estab, read, STUDENT_CONTACTS)).models

    async def contacts_of_student(
        self, estab: str, student_id: str, *, include_leavers: bool = False
    ) -> tuple[StudentContact, ...]:
        """One student's relationships: ``/StudentContacts/{id}`` (§4.5), cached on its own.

        `id` is "a student or contact ID" and how the two id spaces are told apart is
        doc-silent, so only rows whose `StudentId` is the student's are kept.
        """
        read = self._student_contacts(include_leavers, record_id=student_id)
        rows = (await self._table(estab, read, STUDENT_CONTACTS)).models
        return tuple(row for row in rows if row.student_id == str(student_id))

    def _student_contacts(self, include_leavers: bool, *, record_id: str | None = None) -> _Read:
        return _Read(
            "StudentContacts",
            (STUDENT_CONTACTS,),
            self.config.ttl.student_contacts,
            options=("includeLeavers",) if include_leavers else (),
            record_id=record_id,
        )

    # ------------------------------------------------------------------ timetable

    async def timetable(self, estab: str, start: date, end: date) -> Timetable:
        """The school's lessons from `start` to `end` inclusive (school-local dates, §4.7.1)."""
        weeks = self._weeks(start, end)
        reads = [
            _Read(
                "Timetable",
                (LESSONS, LESSON_STAFF),
                self.config.ttl.timetable,
                params=(("DateFrom", monday.isoformat()), ("DateTo", sunday.isoformat())),
                options=("includeLessons", "includeLessonStaff"),
            )
            for monday, sunday in weeks
        ]
        snapshots = await asyncio.gather(*(self._snapshot(estab, read) for read in reads))
        lessons: list[Lesson] = []
        staff: dict[str, set[str]] = {}
        for snapshot in snapshots:
            lessons.extend(
                lesson for lesson in snapshot.table(LESSONS).models if start <= lesson.date <= end
            )
            for row in snapshot.table(LESSON_STAFF).models:
                staff.setdefault(row.lesson_id, set()).add(row.staff_id)
        return Timetable(tuple(lessons), {key: tuple(sorted(ids)) for key, ids in staff.items()})

    async def timetable_for_student(
        self, estab: str, student_id: str, start: date, end: date
    ) -> tuple[Lesson, ...]:
        """One student's lessons (§4.7.4)."""
        return await self._person_timetable(estab, "TimetableForStudent", student_id, start, end)

    async def timetable_for_staff(
        self, estab: str, staff_id: str, start: date, end: date
    ) -> tuple[Lesson, ...]:
        """One staff member's lessons (§4.7.3)."""
        return await self._person_timetable(estab, "TimetableForStaff", staff_id, start, end)

    async def _person_timetable(
        self, estab: str, endpoint: str, person_id: str, start: date, end: date
    ) -> tuple[Lesson, ...]:
        reads = [
            _Read(
                endpoint,
                (PERSON_TIMETABLE,),
                self.config.ttl.timetable,
                params=(("DateFrom", monday.isoformat()), ("DateTo", sunday.isoformat())),
                record_id=str(person_id),
            )
            for monday, sunday in self._weeks(start, end)
        ]
        tables = await asyncio.gather(
            *(self._table(estab, read, PERSON_TIMETABLE) for read in reads)
        )
        return tuple(
            lesson for table in tables for lesson in table.models if start <= lesson.date <= end
        )

    # ------------------------------------------------------------------ attendance

    async def attendance_codes(self, estab: str) -> tuple[AttendanceCode, ...]:
        """The mark codes the school uses (§4.8.1)."""
        read = _Read("AttendanceCodes", (ATTENDANCE_CODES,), self.config.ttl.attendance_codes)
        return (await self._table(estab, read, ATTENDANCE_CODES)).models

    async def attendance_for_date(
        self, estab: str, day: date, *, student_id: str | None = None
    ) -> tuple[AttendanceMark, ...]:
        """Session and lesson marks of one day (§4.8.2), for one student or the school."""
        read = _Read(
            "AttendanceForDate",
            (ATTENDANCE_MARKS,),
            self.config.ttl.attendance,
            params=(("date", day.isoformat()),),
            record_id=student_id,
        )
        return (await self._table(estab, read, ATTENDANCE_MARKS)).models

    async def attendance(
        self, estab: str, start: date, end: date, *, student_id: str | None = None
    ) -> tuple[AttendanceMark, ...]:
        """Session marks from `start` to `end` inclusive (§4.8.3), read a week at a time."""
        reads = [
            _Read(
                "AttendanceForDateRange",
                (ATTENDANCE_MARKS,),
                self.config.ttl.attendance,
                params=(("DateFrom", monday.isoformat()), ("DateTo", sunday.isoformat())),
                record_id=student_id,
            )
            for monday, sunday in self._weeks(start, end)
        ]
        tables = await asyncio.gather(
            *(self._table(estab, read, ATTENDANCE_MARKS) for read in reads)
        )
        return tuple(mark for table in tables for mark in table.models if start <= mark.date <= end)

    # ------------------------------------------------------------------ invalidation

    def invalidate(self, estab: str | None = None, endpoint: str | None = None) -> int:
        """Drop cached results (a webhook said data changed); return how many were dropped."""
        if endpoint is None:
            return self.cache.evict(UPSTREAM, tenant=estab)
        return sum(
            self.cache.evict(UPSTREAM, tenant=estab, resource_prefix=f"{endpoint}{sep}")
            for sep in ("?", "/")
        )

    # ------------------------------------------------------------------ live updates

    def _polled(self, endpoint: PolledEndpoint) -> _Read:
        if endpoint == "Students":
            return self._students(False)
        if endpoint == "Staff":
            # The list the graph's staff come from (`sources.xporter.staff_rows`), so a change
            # the poll reports is one a query reads, a member of staff added included.
            return self._staff(True, False)
        return self._groups(narrow=True)  # the read the graph's groups come from

    def cached_row_hashes(self, estab: str, endpoint: PolledEndpoint) -> dict[str, str] | None:
        """The `RowHash` of each row of the cached list (None when none is cached), without
        an upstream read."""
        read = self._reading(estab, self._polled(endpoint))
        entry = self.cache.peek(CacheKey(UPSTREAM, estab, read.resource))
        if entry is None or not isinstance(entry.value, Snapshot):
            return None
        return _hashes(entry.value.table(read.specs[0]))

    async def row_hashes(self, estab: str, endpoint: PolledEndpoint) -> dict[str, str]:
        """Revalidate the cached list now (a change-set read, §6.4) and return the `RowHash`
        of each of its rows: the cache holds what the hashes describe, so queries read it."""
        read = self._reading(estab, self._polled(endpoint))
        entry = self.cache.peek(CacheKey(UPSTREAM, estab, read.resource))
        if entry is not None:
            entry.fresh_until = float("-inf")
        return _hashes(await self._table(estab, read, read.specs[0]))

    # ------------------------------------------------------------------ machinery

    def _weeks(self, start: date, end: date) -> list[tuple[date, date]]:
        if end < start:
            raise ValueError(f"The window ends ({end}) before it starts ({start}).")
        if (end - start).days + 1 > self.config.max_window_days:
            raise ValueError(
                f"The window {start} to {end} is longer than {self.config.max_window_days} days."
            )
        monday = start - timedelta(days=start.weekday())
        weeks: list[tuple[date, date]] = []
        while monday <= end:
            weeks.append((monday, monday + timedelta(days=6)))
            monday += timedelta(days=7)
        return weeks

    def _ctx(self, estab: str, read: _Read) -> RowContext:
        return RowContext(estab, self._zones[estab], read.route, read.endpoint)

    async def _table(self, estab: str, read: _Read, spec: TableSpec[M]) -> Table[M]:
        return (await self._snapshot(estab, read)).table(spec)

    def _reading(self, estab: str, read: _Read) -> _Read:
        """`read`, or its every-column form where the school refused the narrowed one."""
        if read.unnarrowed is not None and (estab, read.endpoint) in self._unnarrowed:
            return read.unnarrowed
        return read

    async def _snapshot(self, estab: str, read: _Read) -> Snapshot:
        read = self._reading(estab, read)
        try:
            return await self._snapshot_of(estab, read)
        except XporterRequestError as refused:
            if read.unnarrowed is None or not _column_refused(refused):
                raise
        # A column the narrowed read names is outside the school's consent scopes (Xporter
        # answers "Invalid column name"): the columns it does grant come with every column.
        logger.info(
            "Xporter refused the columns of a narrowed %s read for school %s; reading every "
            "column from now on.",
            read.endpoint,
            estab,
        )
        self._unnarrowed.add((estab, read.endpoint))
        return await self._snapshot_of(estab, read.unnarrowed)

    async def _snapshot_of(self, estab: str, read: _Read) -> Snapshot:
        self._check(estab)
        key = CacheKey(UPSTREAM, estab, read.resource)

        async def load(previous: CacheEntry[Snapshot] | None) -> Refresh[Snapshot]:
            try:
                return await self._load(estab, read, previous)
            except SchoolAuthError as error:
                raise _Withdrawn(error) from None

        try:
            cached = await self.cache.fetch(key, load, ttl=read.ttl, route=read.route)
        except _Withdrawn as withdrawn:
            self._withdrawn(estab, read, withdrawn.error)
            raise _copy_auth_error(withdrawn.error) from None
        return cached.value

    def _withdrawn(self, estab: str, read: _Read, error: SchoolAuthError) -> None:
        """Evict what an authorisation failure withdrew: the endpoint, or the whole school."""
        if error.reason == "not_authorised":
            self.invalidate(estab, read.endpoint)
        else:
            self.cache.evict(UPSTREAM, tenant=estab)

    async def _load(
        self, estab: str, read: _Read, previous: CacheEntry[Snapshot] | None
    ) -> Refresh[Snapshot]:
        ctx = self._ctx(estab, read)
        before = previous.value if previous is not None else None
        token = previous.token if previous is not None else None
        if before is not None and previous is not None and token:
            try:
                wire = await self._read_wire(estab, read, changed_rows=token)
            except XporterRequestError as refused:
                # Token TTL and the error for a bad token are doc-silent (§6.4 step 5).
                logger.info(
                    "Xporter refused the change-set token for %s %s (%s); reading it in full.",
                    estab,
                    read.endpoint,
                    refused.status,
                )
                self._note(estab, read, "fallback", Wire())
            else:
                self._note(estab, read, "changes", wire)
                if unnamed := unnamed_deletions(read.specs, wire):
                    # What Id a `_deleted` row of a table without its own `Id` carries is
                    # doc-silent (§2.2, §4.8.1); read the endpoint whole rather than guess.
                    logger.info(
                        "Xporter's change set for %s %s deletes %s rows by Ids that name "
                        "none of them; reading it in full.",
                        estab,
                        read.endpoint,
                        ", ".join(unnamed),
                    )
                    self._note(estab, read, "fallback", Wire())
                else:
                    applied = await off_loop(
                        wire.bytes, lambda: apply(read.specs, wire, before, ctx, delta=True)
                    )
                    if not applied.changed:
                        return Refresh(not_modified=True, outcome="revalidated", token=wire.token)
                    self._evict_by_id(estab, read, before, applied.snapshot)
                    return Refresh(
                        value=applied.snapshot,
                        size=_resize(previous, applied.snapshot),
                        token=wire.token,
                        outcome="revalidated",
                    )
        wire = await self._read_wire(estab, read, changed_rows="*")
        self._note(estab, read, "full", wire)
        applied = await off_loop(
            wire.bytes, lambda: apply(read.specs, wire, before, ctx, delta=False)
        )
        if before is not None and not applied.changed:
            return Refresh(not_modified=True, outcome="revalidated", token=wire.token)
        self._evict_by_id(estab, read, before, applied.snapshot)
        return Refresh(value=applied.snapshot, size=wire.bytes, token=wire.token)

    def _evict_by_id(
        self, estab: str, read: _Read, before: Snapshot | None, after: Snapshot
    ) -> None:
        """Evict the by-id entries (``/Students/{id}``, ``/Staff/{id}``) of the rows a list
        refresh changed or deleted, so a read by id agrees with the list at once rather than
        at the end of its own TTL."""
        if before is None or read.record_id is not None or read.endpoint not in _READ_BY_ID:
            return
        spec = read.specs[0]
        old, new = before.table(spec), after.table(spec)
        # Unchanged rows are the previous snapshot's very objects (`changesets.apply`).
        changed = [key for key in old.keys() | new.keys() if old.get(key) is not new.get(key)]
        if len(changed) > _EVICT_EACH_UP_TO:
            self.cache.evict(UPSTREAM, tenant=estab, resource_prefix=f"{read.endpoint}/")
            return
        for key in changed:
            self.cache.evict(UPSTREAM, tenant=estab, resource_prefix=f"{read.endpoint}/{key}?")

    def _note(self, estab: str, read: _Read, kind: SyncKind, wire: Wire) -> None:
        record = SyncRecord(
            estab,
            read.endpoint,
            read.resource,
            kind,
            wire.row_count,
            wire.deleted_count,
            wire.pages,
            wire.bytes,
        )
        self.sync_log.append(record)
        logger.debug(
            "Xporter %s read of %s for school %s: %d rows, %d deleted, %d pages.",
            kind,
            read.endpoint,
            estab,
            record.rows,
            record.deleted,
            record.pages,
        )

    async def _read_wire(self, estab: str, read: _Read, *, changed_rows: str | None) -> Wire:
        """Every page of one read; restarted when the data moves between pages."""
        for _ in range(_READ_ATTEMPTS):
            wire = await self._read_pages(estab, read, changed_rows)
            if wire is not None:
                return wire
        raise UpstreamBadResponseError(
            f"Xporter's {read.endpoint} data for school {estab} kept changing while it was "
            f"read page by page ({_READ_ATTEMPTS} attempts).",
            upstream=UPSTREAM,
        )

    async def _read_pages(self, estab: str, read: _Read, changed_rows: str | None) -> Wire | None:
        wire = Wire(
            rows={spec.name: [] for spec in read.specs},
            deleted={spec.name: [] for spec in read.specs},
        )
        zone = self._zones[estab]
        page, page_size = 1, self.config.page_size
        while True:
            query = read.query
            if changed_rows is not None:
                query["changedRows"] = changed_rows
            if page_size is not None:
                query["page"], query["pageSize"] = str(page), str(page_size)
            body, size = await self._get(estab, read, query)
            wire.bytes += size
            wire.pages += 1
            self._collect(estab, read, body, wire, full=page == 1 and changed_rows in (None, "*"))
            token = _first_value(body, "__changedRows__", "NextChangedRows")
            if page == 1:
                wire.token = token
                wire.as_of = parse_local(_first_value(body, "meta", "DateTime"), zone)
            elif token != wire.token:
                return None  # the snapshot moved between pages
            pagination = _first_row(body, "__pagination__")
            count = _as_int(pagination.get("PageCount")) if pagination else None
            if count is None or page >= min(count, _MAX_PAGES):
                return wire
            if page_size is None:
                page_size = _as_int(pagination.get("PageSize")) if pagination else None
                if page_size is None:
                    raise UpstreamBadResponseError(
                        f"Xporter answered {read.endpoint} for school {estab} with "
                        f"{count} pages but no page size to request them with.",
                        upstream=UPSTREAM,
                    )
            page += 1

    def _collect(
        self, estab: str, read: _Read, body: Mapping[str, Any], wire: Wire, *, full: bool
    ) -> None:
        names = {str(name).lower(): name for name in body}
        for spec in read.specs:
            found = next(
                (names[n.lower()] for n in (spec.name, *spec.aliases) if n.lower() in names),
                None,
            )
            if found is None:
                if spec.required and full:
                    raise UpstreamBadResponseError(
                        f"Xporter answered {read.route} for school {estab} without its "
                        f"'{spec.name}' table.",
                        upstream=UPSTREAM,
                    )
                continue
            wire.rows[spec.name].extend(_rows(body[found], found, read, estab))
            deleted = names.get(f"{found.lower()}_deleted")
            if deleted is not None:
                # A `_deleted` row carries only `Id` (§2.2), never the table's key when that
                # is another column (`Lessons.PeriodId`, `AttendCodes.Mark`); `apply` and
                # `unnamed_deletions` decide what an Id, or its absence, deletes.
                ctx = RowContext(estab, self._zones[estab], read.route, deleted)
                wire.deleted[spec.name].extend(
                    Fields(as_row(row), ctx).text("Id")
                    for row in _rows(body[deleted], deleted, read, estab)
                )

    async def _get(
        self, estab: str, read: _Read, query: dict[str, str]
    ) -> tuple[dict[str, Any], int]:
        """One GET, its Xporter envelope checked; one renewal and retry if the token is refused."""
        auth = self._auth[estab]
        if self.config.http_status_codes:
            query["httpstatuscodes"] = "true"
        for attempt in (1, 2):
            rejected = auth.current
            try:
                response = await self.transport.request(
                    "GET",
                    read.path(estab),
                    route=read.route,
                    params=query,
                    auth=auth,
                    requester=estab,
                    ok_statuses=_READ_STATUSES,
                )
            except SchoolAuthError:
                raise
            except UpstreamAuthError:
                # The transport saw a 401, renewed the token once and saw a 401 again.
                refused = SchoolAuthError(
                    f"Xporter refused a freshly issued token for school {estab} on "
                    f"{read.endpoint} (HTTP 401).",
                    estab=estab,
                    reason="token_rejected",
                )
                auth.withdraw(refused)
                raise refused from None
            body = await _decode(response, read)
            exception_type: str | None = None
            message: str | None = None
            if isinstance(body, dict):
                envelope = {str(k).lower(): v for k, v in body.items() if not isinstance(v, list)}
                raw_message = envelope.get("exceptionmessage")
                message = raw_message if isinstance(raw_message, str) and raw_message else None
                raw_type = envelope.get("exceptiontype")
                exception_type = raw_type if isinstance(raw_type, str) else None
            if response.status < 400 and message is None:
                if not isinstance(body, dict):
                    raise UpstreamBadResponseError(
                        f"Xporter answered {read.route} for school {estab} with something "
                        "other than a JSON object.",
                        upstream=UPSTREAM,
                    )
                return body, len(response.body)
            text = auth.redact(message or f"HTTP {response.status}")
            kind = _classify(response.status, exception_type, text)
            if kind == "token" and attempt == 1:
                await auth.renew(rejected)
                continue
            error = _envelope_error(kind, estab, read.endpoint, response.status, text)
            if isinstance(error, SchoolAuthError) and error.reason != "not_authorised":
                auth.withdraw(error)
            raise error
        raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- helpers

_ErrorKind = Literal["paused", "token", "forbidden", "request"]


def _classify(status: int, exception_type: str | None, message: str) -> _ErrorKind:
    """What an Xporter error envelope means (see the module docstring)."""
    text, kind = message.lower(), (exception_type or "").lower()
    if is_paused_message(message):
        return "paused"
    if status == 401 or "authorization has been denied" in text or "unauthorizedaccess" in kind:
        return "token"
    if status == 403 or "security" in kind or "not authorised" in text or "not authorized" in text:
        return "forbidden"
    return "request"


def _envelope_error(
    kind: _ErrorKind, estab: str, endpoint: str, status: int, message: str
) -> UpstreamError:
    detail = message.strip().rstrip(".")
    if kind == "paused":
        return paused_error(estab)
    if kind == "token":
        return SchoolAuthError(
            f"Xporter refused a freshly issued token for school {estab} on {endpoint}: {detail}.",
            estab=estab,
            reason="token_rejected",
        )
    if kind == "forbidden":
        return SchoolAuthError(
            f"School {estab} has not authorised this app to read {endpoint}: {detail}.",
            estab=estab,
            reason="not_authorised",
        )
    return XporterRequestError(
        f"Xporter refused {endpoint} for school {estab}: {detail}.", estab=estab, status=status
    )


def _column_refused(error: XporterRequestError) -> bool:
    """Whether Xporter refused a read for naming a column the caller may not see (§2.1)."""
    return error.status in (200, 400) and "invalid column name" in error.message.lower()


def _copy_auth_error(error: SchoolAuthError) -> SchoolAuthError:
    if error.reason == "paused":
        return paused_error(error.estab)
    return SchoolAuthError(error.message, estab=error.estab, reason=error.reason)


async def _decode(response: UpstreamResponse, read: _Read) -> Any:
    """The answer's body, its narrowed tables decoded straight into structs where their rows
    allow (`typed_rows.decode_tables`); any other body as `UpstreamResponse.parsed` reads it."""
    tables = read.typed_tables
    if not tables or not response.body:
        return await response.parsed()

    def decode() -> Any:
        body = decode_tables(response.body, tables)
        return response.json() if body is None else body

    return await off_loop(len(response.body), decode, threshold=DECODE_OFF_LOOP_BYTES)


def _rows(value: Any, table: str, read: _Read, estab: str) -> list[Any]:
    """The table's rows: dicts, or structs when it was decoded straight into them."""
    if not isinstance(value, list) or not all(isinstance(row, dict | Struct) for row in value):
        raise UpstreamBadResponseError(
            f"Xporter answered {read.route} for school {estab} with a '{table}' table that is "
            "not a list of rows.",
            upstream=UPSTREAM,
        )
    return value


def _only(table: Table[M], record_id: str) -> M | None:
    """The row a read by id answered: the one with that id (an unknown id answers none)."""
    return table.get(str(record_id))


def _first_row(body: Mapping[str, Any], table: str) -> Mapping[str, Any] | None:
    for name, value in body.items():
        if str(name).lower() == table.lower():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                return value[0]
            return None
    return None


def _first_value(body: Mapping[str, Any], table: str, column: str) -> str | None:
    row = _first_row(body, table)
    if row is None:
        return None
    for name, value in row.items():
        if str(name).lower() == column.lower() and isinstance(value, str) and value:
            return value
    return None


def _as_int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _resize(previous: CacheEntry[Snapshot] | None, snapshot: Snapshot) -> int:
    """The byte size of a merged snapshot, scaled from the full read it grew from."""
    if previous is None:
        return 0
    before = sum(len(t) for t in previous.value.tables.values())
    after = sum(len(t) for t in snapshot.tables.values())
    return max(1, previous.size * max(after, 1) // max(before, 1))


__all__ = [
    "DEFAULT_TIME_ZONE",
    "PolledEndpoint",
    "SyncRecord",
    "XporterClient",
    "XporterConfig",
    "XporterRequestError",
    "XporterTtls",
]
