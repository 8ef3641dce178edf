"""Admin fields over the audit log: the seed's Recent Errors, Top Users, Top Endpoints, user
and endpoint statistics, API Audit Logs and Error Details.

:class:`AuditAdminQuery` is mixed into :class:`~schoolgraph.graph.admin.AdminQuery`, so only
an account with the admin flag may select these fields. Every figure is computed by the
audit store's SQL (:class:`~schoolgraph.audit.store.AuditStore`).
"""

from __future__ import annotations

import datetime
from typing import Annotated

import strawberry

from schoolgraph.audit import models
from schoolgraph.audit.store import ANONYMOUS_USER, AuditStore
from schoolgraph.audit.web import AUDIT
from schoolgraph.errors import InternalError
from schoolgraph.graph.fields import field
from schoolgraph.graph.info import Info

__all__ = ["AUDIT_QUERY_FIELDS", "AUDIT_TYPES", "AuditAdminQuery"]

MAX_LIMIT = 500


def _reader(info: Info) -> AuditStore:
    log = info.context.request.app.get(AUDIT)
    if log is None:
        raise InternalError("This gateway does not keep an audit log (SCHOOLGRAPH_AUDIT=false).")
    return log.reader


def _limit(value: int | None) -> int | None:
    return None if value is None else max(0, min(value, MAX_LIMIT))


@strawberry.type(description="An upstream call a request made (the route, never the URL).")
class AuditUpstreamCall:
    upstream: str
    method: str
    route: str
    status: int | None = strawberry.field(description="Null when no response arrived.")
    elapsed_ms: float
    cache: str = strawberry.field(description='"miss", "hit", "revalidated", "stale"...')


@strawberry.type(description="One request to schoolgraph, as the audit log recorded it.")
class AuditEntry:
    request_id: str = strawberry.field(description="Also the response's X-Request-Id.")
    at: datetime.datetime
    account_code: str | None = strawberry.field(description="Null without an account.")
    account_name: str | None
    company: str | None = strawberry.field(
        description="The schools the account is limited to; null for every school."
    )
    method: str
    endpoint: str = strawberry.field(
        description='The generic endpoint: "query Query.students", "POST /auth/token"...'
    )
    path: str = strawberry.field(description="The path actually called.")
    status: int
    error_codes: list[str]
    error_message: str | None
    is_error: bool = strawberry.field(description="An error status, or GraphQL errors.")
    ip: str | None
    elapsed_ms: float
    request_bytes: int
    response_bytes: int
    user_agent: str | None
    query_parameters: str | None = strawberry.field(description="Secrets redacted.")
    variables: str | None = strawberry.field(description="JSON; secrets redacted.")
    stack: str | None = strawberry.field(
        description="The stack trace of an unexpected error; the caller saw only INTERNAL."
    )
    calls: list[AuditUpstreamCall]

    @classmethod
    def of(cls, record: models.AuditRecord) -> AuditEntry:
        return cls(
            request_id=record.request_id,
            at=record.at,
            account_code=record.account_code,
            account_name=record.account_name,
            company=record.company,
            method=record.method,
            endpoint=record.endpoint,
            path=record.path,
            status=record.status,
            error_codes=list(record.error_codes),
            error_message=record.error_message,
            is_error=record.is_error,
            ip=record.ip,
            elapsed_ms=record.elapsed_ms,
            request_bytes=record.request_bytes,
            response_bytes=record.response_bytes,
            user_agent=record.user_agent,
            query_parameters=record.query_parameters,
            variables=record.variables,
            stack=record.stack,
            calls=[
                AuditUpstreamCall(
                    upstream=call.upstream,
                    method=call.method,
                    route=call.route,
                    status=call.status,
                    elapsed_ms=call.elapsed_ms,
                    cache=call.cache,
                )
                for call in record.calls
            ],
        )


@strawberry.type(description="A page of the audit log, newest first.")
class AuditLogPage:
    entries: list[AuditEntry]
    total_count: int = strawberry.field(description="Entries matching, on every page.")
    offset: int
    limit: int


@strawberry.type(description="A row of Top Users or Top Endpoints.")
class AuditUsage:
    key: str = strawberry.field(
        description=f'The account code ("{ANONYMOUS_USER}" without one), or the endpoint.'
    )
    name: str | None = strawberry.field(description="The account's user name, for users.")
    requests: int
    errors: int
    last_at: datetime.datetime | None

    @classmethod
    def of(cls, usage: models.Usage) -> AuditUsage:
        return cls(
            key=usage.key,
            name=usage.name,
            requests=usage.requests,
            errors=usage.errors,
            last_at=usage.last_at,
        )


@strawberry.type(
    description="Requests of one endpoint and HTTP method (and user, in a per-user breakdown)."
)
class AuditFigures:
    endpoint: str
    method: str
    user: str | None = strawberry.field(description="The account code, in per-user rows.")
    count: int
    average_ms: float = strawberry.field(description="Average call time, in milliseconds.")
    received_kb: float = strawberry.field(description="Request bodies received, in KB.")
    sent_kb: float = strawberry.field(description="Response bodies sent, in KB.")

    @classmethod
    def of(cls, figures: models.MethodFigures) -> AuditFigures:
        return cls(
            endpoint=figures.endpoint,
            method=figures.method,
            user=figures.user,
            count=figures.count,
            average_ms=figures.average_ms,
            received_kb=figures.received_kb,
            sent_kb=figures.sent_kb,
        )


@strawberry.type(description="The seed's User Statistics screen.")
class AuditUserStatistics:
    account_code: str
    account_name: str | None
    last_at: datetime.datetime | None = strawberry.field(description="Last activity.")
    figures: list[AuditFigures] = strawberry.field(
        description="Per endpoint and HTTP method, busiest first."
    )
    recent_errors: list[AuditEntry] = strawberry.field(description="Its 10 newest errors.")


@strawberry.type(description="The seed's Endpoint Statistics screen.")
class AuditEndpointStatistics:
    endpoint: str
    last_at: datetime.datetime | None = strawberry.field(description="Last activity.")
    by_method: list[AuditFigures] = strawberry.field(description="Request Statistics.")
    by_user: list[AuditFigures] = strawberry.field(description="User Statistics.")


@strawberry.type(description="Requests and errors in one slice of time, for a chart.")
class AuditTimelineBucket:
    start: datetime.datetime
    requests: int
    errors: int


@strawberry.input(description="The API Audit Logs filters; omitted ones match everything.")
class AuditFilterInput:
    date_from: datetime.date | None = strawberry.field(
        default=None, description="First day (UTC) included."
    )
    date_to: datetime.date | None = strawberry.field(
        default=None,
        description=f"Last day (UTC) included; the range cannot exceed {models.MAX_RANGE_DAYS} "
        "days (AUDIT_RANGE_TOO_LONG).",
    )
    message: str | None = strawberry.field(default=None, description="Text in the error message.")
    methods: list[str] = strawberry.field(default_factory=list, description="HTTP methods.")
    statuses: list[int] = strawberry.field(default_factory=list, description="Status codes.")
    errors_only: bool = strawberry.field(
        default=False, description="Add every error (an error status, or GraphQL errors)."
    )
    users: list[str] = strawberry.field(default_factory=list, description="Account codes.")
    companies: list[str] = strawberry.field(default_factory=list)
    endpoints: list[str] = strawberry.field(default_factory=list, description="Generic ones.")

    def to_filter(self) -> models.AuditFilter:
        return models.AuditFilter(
            date_from=self.date_from,
            date_to=self.date_to,
            message=self.message,
            methods=tuple(self.methods),
            statuses=tuple(self.statuses),
            errors_only=self.errors_only,
            users=tuple(self.users),
            companies=tuple(self.companies),
            endpoints=tuple(self.endpoints),
        )


_ALL = "Null for all."


@strawberry.type
class AuditAdminQuery:
    @field(
        description="The API Audit Logs: entries matching the filters, newest first. Admin only."
    )
    async def audit_log(
        self,
        info: Info,
        filter: AuditFilterInput | None = None,
        offset: int = 0,
        limit: Annotated[int, strawberry.argument(description=f"At most {MAX_LIMIT}.")] = 50,
    ) -> AuditLogPage:
        where = filter.to_filter() if filter is not None else models.AuditFilter()
        page = await _reader(info).search(where, offset=offset, limit=_limit(limit) or 0)
        return AuditLogPage(
            entries=[AuditEntry.of(record) for record in page.records],
            total_count=page.total,
            offset=page.offset,
            limit=page.limit,
        )

    @field(description="Error Details: one request by its X-Request-Id. Admin only.")
    async def audit_entry(self, info: Info, request_id: str) -> AuditEntry | None:
        record = await _reader(info).record(request_id)
        return None if record is None else AuditEntry.of(record)

    @field(description="Recent Errors, newest first. Admin only.")
    async def audit_recent_errors(self, info: Info, limit: int = 10) -> list[AuditEntry]:
        records = await _reader(info).recent_errors(_limit(limit) or 0)
        return [AuditEntry.of(record) for record in records]

    @field(description="Top Users by requests. Admin only.")
    async def audit_top_users(
        self,
        info: Info,
        limit: Annotated[int | None, strawberry.argument(description=_ALL)] = 5,
    ) -> list[AuditUsage]:
        return [AuditUsage.of(row) for row in await _reader(info).top_users(_limit(limit))]

    @field(description="Top Endpoints by requests. Admin only.")
    async def audit_top_endpoints(
        self,
        info: Info,
        limit: Annotated[int | None, strawberry.argument(description=_ALL)] = 5,
    ) -> list[AuditUsage]:
        return [AuditUsage.of(row) for row in await _reader(info).top_endpoints(_limit(limit))]

    @field(description="User Statistics; null when the user made no request. Admin only.")
    async def audit_user_statistics(
        self,
        info: Info,
        account_code: Annotated[str, strawberry.argument(description=f'Or "{ANONYMOUS_USER}".')],
        limit: Annotated[
            int | None, strawberry.argument(description=f"Endpoint rows; {_ALL.lower()}")
        ] = 5,
    ) -> AuditUserStatistics | None:
        statistics = await _reader(info).user_statistics(account_code, limit=_limit(limit))
        if statistics is None:
            return None
        return AuditUserStatistics(
            account_code=statistics.account_code,
            account_name=statistics.account_name,
            last_at=statistics.last_at,
            figures=[AuditFigures.of(row) for row in statistics.figures],
            recent_errors=[AuditEntry.of(record) for record in statistics.recent_errors],
        )

    @field(description="Endpoint Statistics; null when it was never called. Admin only.")
    async def audit_endpoint_statistics(
        self, info: Info, endpoint: str
    ) -> AuditEndpointStatistics | None:
        statistics = await _reader(info).endpoint_statistics(endpoint)
        if statistics is None:
            return None
        return AuditEndpointStatistics(
            endpoint=statistics.endpoint,
            last_at=statistics.last_at,
            by_method=[AuditFigures.of(row) for row in statistics.by_method],
            by_user=[AuditFigures.of(row) for row in statistics.by_user],
        )

    @field(description="Requests and errors over time in equal buckets (1 to 1000). Admin only.")
    async def audit_timeline(
        self,
        info: Info,
        since: datetime.datetime,
        until: datetime.datetime,
        buckets: int = 24,
    ) -> list[AuditTimelineBucket]:
        rows = await _reader(info).timeline(since, until, buckets)
        return [
            AuditTimelineBucket(start=row.start, requests=row.requests, errors=row.errors)
            for row in rows
        ]


AUDIT_QUERY_FIELDS = frozenset(
    {
        "auditLog",
        "auditEntry",
        "auditRecentErrors",
        "auditTopUsers",
        "auditTopEndpoints",
        "auditUserStatistics",
        "auditEndpointStatistics",
        "auditTimeline",
    }
)
"""The GraphQL names of :class:`AuditAdminQuery`'s fields."""
AUDIT_TYPES = frozenset(
    {
        "AuditEndpointStatistics",
        "AuditEntry",
        "AuditFigures",
        "AuditLogPage",
        "AuditTimelineBucket",
        "AuditUpstreamCall",
        "AuditUsage",
        "AuditUserStatistics",
    }
)
"""Object types only the audit fields reach; never grantable."""
