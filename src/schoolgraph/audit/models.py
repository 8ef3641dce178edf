"""What the audit log holds and what its readers return: plain, immutable records.

The contract between the recorder and store (:mod:`schoolgraph.audit`) and everything that
reads the log: admin GraphQL fields, the ``schoolgraph audit`` CLI and the ``/admin``
dashboard. Times are timezone-aware UTC; sizes are bytes; durations are milliseconds.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "MAX_RANGE_DAYS",
    "AuditFacets",
    "AuditFilter",
    "AuditPage",
    "AuditReader",
    "AuditRecord",
    "EndpointStatistics",
    "MethodFigures",
    "TimelineBucket",
    "UpstreamCallRecord",
    "Usage",
    "UserStatistics",
]

MAX_RANGE_DAYS = 60
"""A search whose date range spans more days than this is refused (the seed's rule)."""


@dataclass(frozen=True, slots=True)
class UpstreamCallRecord:
    """One upstream call a request caused (never the concrete URL: the route template)."""

    upstream: str
    method: str
    route: str
    status: int | None
    elapsed_ms: float
    cache: str  # "miss" | "hit" | "revalidated" | "stale" ...


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One request to schoolgraph (GraphQL or auth)."""

    request_id: str
    at: datetime.datetime
    account_code: str | None
    account_name: str | None
    company: str | None  # the school/company the request was scoped to, when one
    method: str
    endpoint: str  # generic form, e.g. "query Query.students" or "POST /auth/token"
    path: str
    status: int
    error_codes: tuple[str, ...]
    error_message: str | None
    ip: str | None
    elapsed_ms: float
    request_bytes: int
    response_bytes: int
    user_agent: str | None
    query_parameters: str | None  # redacted
    variables: str | None  # redacted JSON
    stack: str | None  # unexpected errors only; server-side only
    calls: tuple[UpstreamCallRecord, ...] = ()

    @property
    def is_error(self) -> bool:
        """Its status is 400 or more, or it carries errors (a GraphQL 200 with
        ``FORBIDDEN_FIELD``). A redirect is not one, though it may carry the code and message
        of why it was sent (the dashboard sending a browser to sign in)."""
        return self.status >= 400 or (bool(self.error_codes) and not 300 <= self.status < 400)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """The seed's audit-log filters; empty tuples mean "any"."""

    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    message: str | None = None  # substring of the error message
    methods: tuple[str, ...] = ()
    statuses: tuple[int, ...] = ()
    errors_only: bool = False
    users: tuple[str, ...] = ()  # account codes
    companies: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()  # generic endpoints


@dataclass(frozen=True, slots=True)
class AuditPage:
    records: tuple[AuditRecord, ...]  # newest first
    total: int
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class Usage:
    """A row of Top Users (key = account code) or Top Endpoints (key = generic endpoint)."""

    key: str
    name: str | None
    requests: int
    errors: int
    last_at: datetime.datetime | None


@dataclass(frozen=True, slots=True)
class MethodFigures:
    """Per endpoint (or user) and HTTP method: the seed's statistics grid."""

    endpoint: str
    method: str
    user: str | None
    count: int
    average_ms: float
    received_kb: float  # request bodies received by schoolgraph
    sent_kb: float  # response bodies sent


@dataclass(frozen=True, slots=True)
class UserStatistics:
    account_code: str
    account_name: str | None
    last_at: datetime.datetime | None
    figures: tuple[MethodFigures, ...]
    recent_errors: tuple[AuditRecord, ...]


@dataclass(frozen=True, slots=True)
class EndpointStatistics:
    endpoint: str
    last_at: datetime.datetime | None
    by_method: tuple[MethodFigures, ...]
    by_user: tuple[MethodFigures, ...]


@dataclass(frozen=True, slots=True)
class TimelineBucket:
    start: datetime.datetime
    requests: int
    errors: int


class AuditReader(Protocol):
    """Reading the log; every figure is computed by the database."""

    async def search(
        self, where: AuditFilter, *, offset: int = 0, limit: int = 50
    ) -> AuditPage: ...

    async def record(self, request_id: str) -> AuditRecord | None: ...

    async def recent_errors(self, limit: int = 10) -> list[AuditRecord]: ...

    async def top_users(self, limit: int | None = 5) -> list[Usage]: ...

    async def top_endpoints(self, limit: int | None = 5) -> list[Usage]: ...

    async def user_statistics(
        self, account_code: str, *, limit: int | None = 5
    ) -> UserStatistics | None: ...

    async def endpoint_statistics(self, endpoint: str) -> EndpointStatistics | None: ...

    async def timeline(
        self, since: datetime.datetime, until: datetime.datetime, buckets: int = 24
    ) -> list[TimelineBucket]: ...


@dataclass(frozen=True, slots=True)
class AuditFacets:
    """The values the audit-log filters offer that only the log knows (the seed: "Only
    status codes recorded in the audit logs appear in this list"; the Endpoints list
    "includes only endpoints accessed and recorded in the audit logs")."""

    statuses: tuple[int, ...]
    companies: tuple[str, ...]
    users: tuple[str, ...] = ()  # account codes, and the anonymous key
    endpoints: tuple[str, ...] = ()  # generic endpoints
