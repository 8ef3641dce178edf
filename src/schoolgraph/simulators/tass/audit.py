"""The 2026 API's audit log and analytics (tass.md §C.7 [SEED] fields, §D.5 [DESIGN] routes).

Every request to the 2026 face (authentication included) writes one `AuditRecord` with the
seed's Error Details fields. The analytics are views over the log: recent errors (top 10),
top users and top endpoints (top 5), per-user and per-endpoint statistics with, per HTTP
method, the count, Average Call Time (ms), Data Received (KB) and Data Sent (KB).

Readings: an "error" is a status >= 400; "Received" is the request body and "Sent" the
response body, in KB of 1024 bytes rounded to 3 places; Request Date/Time is school-local
`YYYY-MM-DD HH:MM:SS` (§C.7 grid format); the log keeps the latest 100,000 records; the
audit-log query rejects a date range over 60 days ([SEED]) and defaults to today.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["MAX_RANGE_DAYS", "AuditLog", "AuditQueryError", "AuditRecord"]

MAX_RANGE_DAYS = 60  # tass.md §C.7 "The date range cannot exceed 60 days."
_KEEP = 100_000


class AuditQueryError(ValueError):
    """An audit-log query the seed's screen would refuse."""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One row of the API Audit Logs grid plus its Error Details (tass.md §C.7)."""

    request_id: str
    request_datetime: datetime  # school-local, naive
    user_code: str
    user_name: str
    company: str
    method: str
    endpoint: str  # generic URL template
    endpoint_actual: str  # the URL used, with company code / record id
    status: int
    error_message: str
    ip_address: str
    elapsed_ms: float
    request_length: int
    response_length: int
    user_agent: str
    query_parameters: str
    stack_trace: str

    @property
    def is_error(self) -> bool:
        return self.status >= 400

    def grid_row(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "request_datetime": self.request_datetime.strftime("%Y-%m-%d %H:%M:%S"),
            "user_name": self.user_name,
            "method": self.method,
            "endpoint": self.endpoint_actual,
            "status": self.status,
            "error_message": self.error_message if self.is_error else "",
        }

    def details(self) -> dict[str, Any]:
        return {
            **self.grid_row(),
            "user_code": self.user_code,
            "company": self.company,
            "endpoint_template": self.endpoint,
            "ip_address": self.ip_address,
            "elapsed_ms": round(self.elapsed_ms, 3),
            "request_length": self.request_length,
            "response_length": self.response_length,
            "user_agent": self.user_agent,
            "query_parameters": self.query_parameters,
            "stack_trace": self.stack_trace,
        }


def _kb(n: int) -> float:
    return round(n / 1024, 3)


def _method_stats(records: Sequence[AuditRecord]) -> list[dict[str, Any]]:
    by_method: dict[str, list[AuditRecord]] = {}
    for record in records:
        by_method.setdefault(record.method, []).append(record)
    return [
        {
            "method": method,
            "count": len(rows),
            "avg_call_time_ms": round(sum(r.elapsed_ms for r in rows) / len(rows), 3),
            "data_received_kb": _kb(sum(r.request_length for r in rows)),
            "data_sent_kb": _kb(sum(r.response_length for r in rows)),
            "last_activity": max(r.request_datetime for r in rows).strftime("%Y-%m-%d %H:%M:%S"),
        }
        for method, rows in sorted(by_method.items())
    ]


class AuditLog:
    """The audit records of one simulator, newest last."""

    def __init__(self) -> None:
        self.records: deque[AuditRecord] = deque(maxlen=_KEEP)

    def add(self, record: AuditRecord) -> None:
        self.records.append(record)

    def clear(self) -> None:
        self.records.clear()

    def find(self, request_id: str) -> AuditRecord | None:
        return next((r for r in self.records if r.request_id == request_id), None)

    # -- landing-page widgets ---------------------------------------------------------------

    def recent_errors(self, limit: int = 10, user: str | None = None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for record in reversed(self.records):
            if record.is_error and (user is None or user in (record.user_code, record.user_name)):
                out.append(record.grid_row())
                if len(out) >= limit:
                    break
        return out

    def top_users(self, limit: int | None = 5) -> list[dict[str, Any]]:
        counts: Counter[tuple[str, str]] = Counter(
            (r.user_code, r.user_name) for r in self.records if r.user_code
        )
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][1], kv[0][0]))
        return [
            {"user_code": code, "user_name": name, "requests": n}
            for (code, name), n in ranked[:limit]
        ]

    def top_endpoints(self, limit: int | None = 5) -> list[dict[str, Any]]:
        counts: Counter[str] = Counter(r.endpoint for r in self.records if r.endpoint)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [{"endpoint": endpoint, "requests": n} for endpoint, n in ranked[:limit]]

    # -- statistics screens -------------------------------------------------------------------

    def user_stats(self, user: str, top: int | None = 5) -> dict[str, Any] | None:
        mine = [r for r in self.records if user in (r.user_code, r.user_name) and r.user_code]
        if not mine:
            return None
        by_endpoint: dict[str, list[AuditRecord]] = {}
        for record in mine:
            by_endpoint.setdefault(record.endpoint, []).append(record)
        ranked = sorted(by_endpoint.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        return {
            "user_code": mine[-1].user_code,
            "user_name": mine[-1].user_name,
            "last_activity": mine[-1].request_datetime.strftime("%Y-%m-%d %H:%M:%S"),
            "endpoints": [
                {"endpoint": endpoint, "total": len(rows), "methods": _method_stats(rows)}
                for endpoint, rows in ranked[:top]
            ],
            "recent_errors": self.recent_errors(10, mine[-1].user_code),
        }

    def endpoint_stats(self, endpoint: str) -> dict[str, Any] | None:
        rows = [r for r in self.records if r.endpoint == endpoint]
        if not rows:
            return None
        users: Counter[tuple[str, str]] = Counter((r.user_code, r.user_name) for r in rows)
        return {
            "endpoint": endpoint,
            "last_activity": rows[-1].request_datetime.strftime("%Y-%m-%d %H:%M:%S"),
            "requests": _method_stats(rows),
            "users": [
                {"user_code": code, "user_name": name, "requests": n}
                for (code, name), n in sorted(users.items(), key=lambda kv: (-kv[1], kv[0][1]))
            ],
        }

    # -- audit-log query -----------------------------------------------------------------

    def query(
        self,
        *,
        today: date,
        date_from: date | None = None,
        date_to: date | None = None,
        error_message: str = "",
        methods: Iterable[str] = (),
        statuses: Iterable[int] = (),
        errors_only: bool = False,
        users: Iterable[str] = (),
        companies: Iterable[str] = (),
        endpoints: Iterable[str] = (),
    ) -> list[AuditRecord]:
        """The API Audit Logs grid for the given Display Filters, newest first."""
        date_to = date_to or (date_from or today)
        date_from = date_from or date_to
        if date_from > date_to:
            raise AuditQueryError("Date From must not be after Date To.")
        if date_to - date_from > timedelta(days=MAX_RANGE_DAYS):
            raise AuditQueryError(f"The date range cannot exceed {MAX_RANGE_DAYS} days.")
        method_set = {m.upper() for m in methods}
        status_set = set(statuses)
        user_set, company_set, endpoint_set = set(users), set(companies), set(endpoints)
        needle = error_message.lower()
        out: list[AuditRecord] = []
        for record in reversed(self.records):
            day = record.request_datetime.date()
            if not date_from <= day <= date_to:
                continue
            if method_set and record.method not in method_set:
                continue
            if status_set and record.status not in status_set:
                continue
            if errors_only and not record.is_error:
                continue
            if user_set and not user_set & {record.user_code, record.user_name}:
                continue
            if company_set and record.company not in company_set:
                continue
            if endpoint_set and record.endpoint not in endpoint_set:
                continue
            if needle and needle not in record.error_message.lower():
                continue
            out.append(record)
        return out

    def local_now(self, now: datetime, zone: ZoneInfo) -> datetime:
        return now.astimezone(zone).replace(tzinfo=None)
