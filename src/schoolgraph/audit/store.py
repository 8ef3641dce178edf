# ruff: noqa: S608 - queries are assembled from this module's fixed SQL fragments (columns,
# conditions with ``?`` placeholders); every value a caller gives is a bound parameter.
"""``AuditStore``: the audit log in SQLite, written in batches and read by indexed queries.

The tables live in the accounts database (migrations 2 and 3 of
:data:`schoolgraph.accounts.sqlite.MIGRATIONS`); the store opens its own connections to the
same file (WAL mode lets the gateway write while the CLI or the dashboard reads). With no
file (``data_dir`` unset: the demo and tests) it keeps a temporary file of its own, deleted
when it closes.

A batch is written by one call in a worker thread, ``BEGIN IMMEDIATE`` to ``COMMIT``, on a
connection of its own: the write lock is never held across turns of the event loop, so a busy
gateway cannot keep the CLI or another process waiting on the database.

Every figure (counts, averages, sums, chart buckets) is computed by SQLite with the indexes
of the migrations (``audit_by_time``, ``audit_errors_by_time``, ``audit_by_account``,
``audit_by_endpoint``, ``audit_by_request``, ``audit_by_status``, ``audit_by_company``):
nothing loads the log into Python.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import logging
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from schoolgraph.accounts.sqlite import connect
from schoolgraph.audit.errors import AuditRangeInvalidError, AuditRangeTooLongError
from schoolgraph.audit.models import (
    MAX_RANGE_DAYS,
    AuditFacets,
    AuditFilter,
    AuditPage,
    AuditRecord,
    EndpointStatistics,
    MethodFigures,
    TimelineBucket,
    UpstreamCallRecord,
    Usage,
    UserStatistics,
)
from schoolgraph.errors import BadRequestError, ConfigError

__all__ = [
    "ANONYMOUS_USER",
    "FIRST_DAY",
    "LAST_DAY",
    "MAX_MESSAGE",
    "AuditStore",
    "distinct_sql",
    "from_micros",
    "micros",
]

logger = logging.getLogger(__name__)
T = TypeVar("T")

ANONYMOUS_USER = "(anonymous)"
"""The user key of requests without an account (anonymous demo access, failed sign-ins):
Top Users lists them under it, and a search for it finds them."""

RECENT_ERRORS = 10
MAX_MESSAGE = 200
"""The longest error-message text a search looks for (SQLite refuses long LIKE patterns)."""
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_MICROSECOND = datetime.timedelta(microseconds=1)
_COLUMNS = (
    "id, request_id, at, account_code, account_name, company, method, endpoint, path, status, "
    "error_codes, is_error, error_message, ip, elapsed_ms, request_bytes, response_bytes, "
    "user_agent, query_parameters, variables, stack"
)
_INSERT_RECORD = f"INSERT INTO audit_records ({_COLUMNS}) VALUES ({', '.join('?' * 21)})"
_INSERT_CALL = (
    "INSERT INTO audit_upstream_calls (record_id, position, upstream, method, route, status, "
    "elapsed_ms, cache) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_FIGURES = (
    "COUNT(*) AS count, AVG(elapsed_ms) AS average_ms, "
    "SUM(request_bytes) / 1024.0 AS received_kb, SUM(response_bytes) / 1024.0 AS sent_kb"
)


def micros(at: datetime.datetime) -> int:
    """``at`` (aware) as unix microseconds, the column's unit."""
    return (at - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime.datetime:
    return _EPOCH + datetime.timedelta(microseconds=value)


def _day_start(day: datetime.date) -> int:
    return micros(datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC))


def _user_key(code: str | None) -> str:
    return ANONYMOUS_USER if code is None else code


def _users_clause(users: Sequence[str]) -> tuple[str, list[Any]]:
    codes = [user for user in users if user != ANONYMOUS_USER]
    parts = []
    if codes:
        parts.append(f"account_code IN ({', '.join('?' * len(codes))})")
    if len(codes) < len(users):
        parts.append("account_code IS NULL")
    return "(" + " OR ".join(parts) + ")", list(codes)


def _companies_clause(companies: Sequence[str]) -> tuple[str, list[Any]]:
    # An account limited to several schools records them all ("tass:01,xporter:7109606"):
    # a company matches the whole value or one of its entries.
    parts: list[str] = []
    parameters: list[Any] = []
    for company in companies:
        parts.append("company = ? OR ',' || company || ',' LIKE ? ESCAPE '\\'")
        parameters.extend([company, f"%,{_escape_like(company)},%"])
    return "(" + " OR ".join(parts) + ")", parameters


def _in(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    return f"{column} IN ({', '.join('?' * len(values))})", list(values)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


FIRST_DAY = datetime.date.min + datetime.timedelta(days=MAX_RANGE_DAYS - 1)
"""The earliest day a search may name (0001-03-01): a Date To alone covers the
:data:`MAX_RANGE_DAYS` days ending then, which must be dates too."""
LAST_DAY = datetime.date.max - datetime.timedelta(days=1)
"""The latest day a search may name (9999-12-30): the day after it bounds the search."""


def date_window(
    where: AuditFilter, today: datetime.date
) -> tuple[datetime.date | None, datetime.date | None]:
    """The days a search covers, checked against the seed's limit.

    Both dates unset: the whole log. Only ``date_from``: up to ``today``. Only ``date_to``:
    the :data:`MAX_RANGE_DAYS` days ending then.

    Raises:
        AuditRangeInvalidError: ``date_to`` is before ``date_from``, or a date lies
            outside :data:`FIRST_DAY` to :data:`LAST_DAY`.
        AuditRangeTooLongError: the range spans more than :data:`MAX_RANGE_DAYS` days.
    """
    start, end = where.date_from, where.date_to
    if start is None and end is None:
        return None, None
    for label, day in (("starts", where.date_from), ("ends", where.date_to)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise AuditRangeInvalidError(
                f"The date range {label} on {day.isoformat()}, outside the days a search can "
                f"name ({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()})."
            )
    if end is None:
        end = max(today, start) if start is not None else today
    if start is None:
        start = end - datetime.timedelta(days=MAX_RANGE_DAYS - 1)
    if end < start:
        raise AuditRangeInvalidError(
            f"The date range ends ({end.isoformat()}) before it starts ({start.isoformat()})."
        )
    days = (end - start).days + 1
    if days > MAX_RANGE_DAYS:
        raise AuditRangeTooLongError(
            f"The date range {start.isoformat()} to {end.isoformat()} spans {days} days; "
            f"it cannot exceed {MAX_RANGE_DAYS} days."
        )
    return start, end


def where_clause(where: AuditFilter, today: datetime.date) -> tuple[str, list[Any]]:
    """The SQL condition (and its parameters) of a search's filters.

    Raises:
        AuditRangeInvalidError, AuditRangeTooLongError: as :func:`date_window`.
        BadRequestError: the message filter is longer than :data:`MAX_MESSAGE` characters.
    """
    if where.message and len(where.message) > MAX_MESSAGE:
        raise BadRequestError(
            f"Error Message is {len(where.message)} characters long; at most {MAX_MESSAGE} are "
            "allowed."
        )
    parts: list[str] = []
    parameters: list[Any] = []
    start, end = date_window(where, today)
    if start is not None:
        parts.append("at >= ?")
        parameters.append(_day_start(start))
    if end is not None:
        parts.append("at < ?")
        parameters.append(_day_start(end + datetime.timedelta(days=1)))
    if where.message:
        parts.append("error_message LIKE ? ESCAPE '\\'")
        parameters.append(f"%{_escape_like(where.message)}%")
    clauses: list[tuple[str, list[Any]]] = []
    if where.methods:
        clauses.append(_in("method", [method.upper() for method in where.methods]))
    if where.statuses and where.errors_only:
        # The seed's "Errors Only" ticks every error status: on top of those chosen.
        status, values = _in("status", where.statuses)
        clauses.append((f"({status} OR is_error = 1)", values))
    elif where.statuses:
        clauses.append(_in("status", where.statuses))
    elif where.errors_only:
        clauses.append(("is_error = 1", []))
    if where.users:
        clauses.append(_users_clause(where.users))
    if where.companies:
        clauses.append(_companies_clause(where.companies))
    if where.endpoints:
        clauses.append(_in("endpoint", where.endpoints))
    for sql, values in clauses:
        parts.append(sql)
        parameters.extend(values)
    return (" AND ".join(parts) or "1"), parameters


def distinct_sql(column: str) -> str:
    """The distinct non-NULL values of an indexed ``column`` (one of this module's literals),
    by a skip-scan: one index seek per value, not a scan of the log."""
    return (
        "WITH RECURSIVE seen(value) AS ("
        f"SELECT MIN({column}) FROM audit_records UNION ALL "
        f"SELECT (SELECT MIN({column}) FROM audit_records WHERE {column} > seen.value) "
        "FROM seen WHERE seen.value IS NOT NULL) "
        "SELECT value FROM seen WHERE value IS NOT NULL"
    )


def _record(row: sqlite3.Row, calls: Sequence[UpstreamCallRecord] = ()) -> AuditRecord:
    codes: str = row["error_codes"]
    return AuditRecord(
        request_id=row["request_id"],
        at=from_micros(row["at"]),
        account_code=row["account_code"],
        account_name=row["account_name"],
        company=row["company"],
        method=row["method"],
        endpoint=row["endpoint"],
        path=row["path"],
        status=row["status"],
        error_codes=tuple(codes.split(",")) if codes else (),
        error_message=row["error_message"],
        ip=row["ip"],
        elapsed_ms=row["elapsed_ms"],
        request_bytes=row["request_bytes"],
        response_bytes=row["response_bytes"],
        user_agent=row["user_agent"],
        query_parameters=row["query_parameters"],
        variables=row["variables"],
        stack=row["stack"],
        calls=tuple(calls),
    )


def _figures(row: sqlite3.Row, *, endpoint: str, method: str, user: str | None) -> MethodFigures:
    return MethodFigures(
        endpoint=endpoint,
        method=method,
        user=user,
        count=row["count"],
        average_ms=round(row["average_ms"], 3),
        received_kb=round(row["received_kb"], 3),
        sent_kb=round(row["sent_kb"], 3),
    )


def _open_writer(path: Path) -> sqlite3.Connection:
    # Used from worker threads, one at a time (the store's write lock).
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA busy_timeout = 5000")
    db.execute("PRAGMA foreign_keys = ON")
    return db


def _unique_request_id(db: sqlite3.Connection, request_id: str, suffixes: dict[str, int]) -> str:
    """``request_id``, or ``<request_id>~<n>`` when a record (or an earlier one of the batch,
    counted in ``suffixes``) already has it: a client may send an ``X-Request-Id`` it used
    before, or another request's, and must not hide that record. ``~`` is never in an id the
    gateway accepts from a client, so a suffixed id cannot be taken by a later request."""
    if request_id not in suffixes:
        taken = db.execute(
            "SELECT 1 FROM audit_records WHERE request_id = ? LIMIT 1", (request_id,)
        ).fetchone()
        if taken is None:
            suffixes[request_id] = 1
            return request_id
        # The highest suffix so far: a range over the request-id index (``~`` is 0x7E).
        row = db.execute(
            "SELECT MAX(CAST(substr(request_id, ?) AS INTEGER)) FROM audit_records "
            "WHERE request_id > ? AND request_id < ?",
            (len(request_id) + 2, f"{request_id}~", f"{request_id}\x7f"),
        ).fetchone()
        suffixes[request_id] = max(1, int(row[0] or 0))
    suffixes[request_id] += 1
    return f"{request_id}~{suffixes[request_id]}"


def _in_transaction(db: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    db.execute("BEGIN IMMEDIATE")
    try:
        result = work(db)
    except BaseException:
        db.rollback()
        raise
    db.commit()
    return result


class AuditStore:
    """The audit log's table: batches in, records and figures out.

    Args:
        path: The accounts database file; None keeps a database of its own in memory.
        today: Today's date (UTC), for a search given only ``date_from``; tests pass theirs.
    """

    def __init__(
        self, path: Path | None, *, today: Callable[[], datetime.date] | None = None
    ) -> None:
        self.path = path
        self._today = today or (lambda: datetime.datetime.now(datetime.UTC).date())
        self._db: aiosqlite.Connection | None = None
        self._writer: sqlite3.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._scratch: tempfile.TemporaryDirectory[str] | None = None

    def __repr__(self) -> str:
        return f"AuditStore({str(self.path) if self.path is not None else '(temporary)'!r})"

    async def open(self) -> None:
        """Connect, and bring the schema up to date (as the account store does).

        Raises:
            ConfigError: the file cannot be opened or migrated.
        """
        if self._db is not None:
            return
        path = self.path
        if path is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="schoolgraph-audit-")
            path = Path(self._scratch.name) / "audit.sqlite3"
        self._db = await connect(path, what="audit")
        try:
            self._writer = await asyncio.to_thread(_open_writer, path)
        except sqlite3.Error as exc:
            await self.close()
            raise ConfigError(f"The audit database {path} cannot be written: {exc}.") from None

    async def close(self) -> None:
        db, self._db = self._db, None
        writer, self._writer = self._writer, None
        scratch, self._scratch = self._scratch, None
        if writer is not None:
            async with self._write_lock:
                await asyncio.to_thread(writer.close)
        if db is not None:
            await db.close()
        if scratch is not None:
            await asyncio.to_thread(scratch.cleanup)

    @property
    def _conn(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("The audit store is not open.")
        return self._db

    async def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` in one write transaction, in a worker thread, one at a time."""
        async with self._write_lock:
            writer = self._writer
            if writer is None:
                raise RuntimeError("The audit store is not open.")
            return await asyncio.to_thread(_in_transaction, writer, work)

    async def _all(self, sql: str, parameters: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return list(await self._conn.execute_fetchall(sql, tuple(parameters)))

    async def _one(self, sql: str, parameters: Iterable[Any] = ()) -> sqlite3.Row | None:
        rows = await self._all(sql, parameters)
        return rows[0] if rows else None

    async def explain(self, sql: str, parameters: Iterable[Any] = ()) -> list[str]:
        """SQLite's ``EXPLAIN QUERY PLAN`` of ``sql``: one line per step (tests read it)."""
        rows = await self._all(f"EXPLAIN QUERY PLAN {sql}", parameters)
        return [str(row["detail"]) for row in rows]

    # -- writing ------------------------------------------------------------------------

    async def insert(self, records: Sequence[AuditRecord]) -> None:
        """Write ``records`` and their upstream calls in one transaction."""
        if records:
            await self._write(functools.partial(self._insert, list(records)))

    @classmethod
    def _insert(cls, records: list[AuditRecord], db: sqlite3.Connection) -> None:
        row = db.execute("SELECT COALESCE(MAX(id), 0) FROM audit_records").fetchone()
        first = int(row[0]) + 1
        suffixes: dict[str, int] = {}
        db.executemany(
            _INSERT_RECORD,
            [
                cls._row(first + n, record, _unique_request_id(db, record.request_id, suffixes))
                for n, record in enumerate(records)
            ],
        )
        db.executemany(
            _INSERT_CALL,
            [
                (
                    first + n,
                    position,
                    call.upstream,
                    call.method,
                    call.route,
                    call.status,
                    call.elapsed_ms,
                    call.cache,
                )
                for n, record in enumerate(records)
                for position, call in enumerate(record.calls)
            ],
        )

    @staticmethod
    def _row(record_id: int, record: AuditRecord, request_id: str) -> tuple[Any, ...]:
        return (
            record_id,
            request_id,
            micros(record.at),
            record.account_code,
            record.account_name,
            record.company,
            record.method,
            record.endpoint,
            record.path,
            record.status,
            ",".join(record.error_codes),
            record.is_error,
            record.error_message,
            record.ip,
            record.elapsed_ms,
            record.request_bytes,
            record.response_bytes,
            record.user_agent,
            record.query_parameters,
            record.variables,
            record.stack,
        )

    async def purge(self, before: datetime.datetime) -> int:
        """Delete the records (and their upstream calls) older than ``before``; how many."""

        def delete(db: sqlite3.Connection) -> int:
            cursor = db.execute("DELETE FROM audit_records WHERE at < ?", (micros(before),))
            return cursor.rowcount

        return await self._write(delete)

    # -- reading ------------------------------------------------------------------------

    async def _records(self, rows: Sequence[sqlite3.Row]) -> tuple[AuditRecord, ...]:
        """Records of ``rows`` with their upstream calls (one more query for all of them)."""
        if not rows:
            return ()
        ids = [row["id"] for row in rows]
        calls: dict[int, list[UpstreamCallRecord]] = {}
        for call in await self._all(
            "SELECT * FROM audit_upstream_calls WHERE record_id IN "
            f"({', '.join('?' * len(ids))}) ORDER BY record_id, position",
            ids,
        ):
            calls.setdefault(call["record_id"], []).append(
                UpstreamCallRecord(
                    upstream=call["upstream"],
                    method=call["method"],
                    route=call["route"],
                    status=call["status"],
                    elapsed_ms=call["elapsed_ms"],
                    cache=call["cache"],
                )
            )
        return tuple(_record(row, calls.get(row["id"], ())) for row in rows)

    async def search(self, where: AuditFilter, *, offset: int = 0, limit: int = 50) -> AuditPage:
        """The records matching ``where``, newest first, and how many match in all.

        Raises:
            AuditRangeTooLongError: the dates span more than :data:`MAX_RANGE_DAYS` days.
            AuditRangeInvalidError: ``date_to`` is before ``date_from``.
        """
        offset, limit = max(0, offset), max(0, limit)
        condition, parameters = where_clause(where, self._today())
        total = await self._one(f"SELECT COUNT(*) FROM audit_records WHERE {condition}", parameters)
        rows = await self._all(
            f"SELECT {_COLUMNS} FROM audit_records WHERE {condition} "
            "ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
            [*parameters, limit, offset],
        )
        return AuditPage(
            records=await self._records(rows),
            total=int(total[0]) if total is not None else 0,
            offset=offset,
            limit=limit,
        )

    async def count(self, where: AuditFilter | None = None) -> int:
        """How many records match ``where`` (all of them when None)."""
        condition, parameters = where_clause(where or AuditFilter(), self._today())
        row = await self._one(f"SELECT COUNT(*) FROM audit_records WHERE {condition}", parameters)
        return int(row[0]) if row is not None else 0

    async def record(self, request_id: str) -> AuditRecord | None:
        """The record of a request id; ids are unique (see :func:`_unique_request_id`)."""
        rows = await self._all(
            f"SELECT {_COLUMNS} FROM audit_records WHERE request_id = ? "
            "ORDER BY at DESC, id DESC LIMIT 1",
            (request_id,),
        )
        records = await self._records(rows)
        return records[0] if records else None

    async def recent_errors(self, limit: int = RECENT_ERRORS) -> list[AuditRecord]:
        """The newest error records: an error status, or GraphQL errors with a 200."""
        rows = await self._all(
            f"SELECT {_COLUMNS} FROM audit_records WHERE is_error = 1 "
            "ORDER BY at DESC, id DESC LIMIT ?",
            (max(0, limit),),
        )
        return list(await self._records(rows))

    async def _usage(self, column: str, limit: int | None) -> list[Usage]:
        # ``column`` is one of two literals below, never input.
        name = (
            "(SELECT account_name FROM audit_records AS newest WHERE newest.account_code IS "
            "groups.account_code AND account_name IS NOT NULL ORDER BY newest.at DESC LIMIT 1)"
            if column == "account_code"
            else "NULL"
        )
        rows = await self._all(
            f"SELECT key, {name} AS name, requests, errors, last_at FROM ("
            f"SELECT {column} AS key, {column} AS account_code, COUNT(*) AS requests, "
            "SUM(is_error) AS errors, MAX(at) AS last_at "
            f"FROM audit_records GROUP BY {column}) AS groups "
            "ORDER BY requests DESC, key LIMIT ?",
            (-1 if limit is None else max(0, limit),),
        )
        return [
            Usage(
                key=_user_key(row["key"]) if column == "account_code" else row["key"],
                name=row["name"],
                requests=row["requests"],
                errors=row["errors"],
                last_at=from_micros(row["last_at"]),
            )
            for row in rows
        ]

    async def top_users(self, limit: int | None = 5) -> list[Usage]:
        """Accounts by request count (``key`` the account code; None ``limit``: all)."""
        return await self._usage("account_code", limit)

    async def top_endpoints(self, limit: int | None = 5) -> list[Usage]:
        """Generic endpoints by request count (None ``limit``: all)."""
        return await self._usage("endpoint", limit)

    async def user_statistics(
        self, account_code: str, *, limit: int | None = 5
    ) -> UserStatistics | None:
        """One user's last activity, figures per endpoint and method, and recent errors.

        ``account_code`` may be :data:`ANONYMOUS_USER`; None when the user made no request.
        """
        user, parameters = _users_clause([account_code])
        last = await self._one(
            f"SELECT MAX(at) AS last_at, COUNT(*) AS requests FROM audit_records WHERE {user}",
            parameters,
        )
        if last is None or not last["requests"]:
            return None
        name = await self._one(
            f"SELECT account_name FROM audit_records WHERE {user} AND account_name IS NOT NULL "
            "ORDER BY at DESC LIMIT 1",
            parameters,
        )
        figures = await self._all(
            f"SELECT endpoint, method, {_FIGURES} FROM audit_records WHERE {user} "
            "GROUP BY endpoint, method ORDER BY count DESC, endpoint, method LIMIT ?",
            [*parameters, -1 if limit is None else max(0, limit)],
        )
        errors = await self._all(
            f"SELECT {_COLUMNS} FROM audit_records WHERE {user} AND is_error = 1 "
            "ORDER BY at DESC, id DESC LIMIT ?",
            [*parameters, RECENT_ERRORS],
        )
        return UserStatistics(
            account_code=account_code,
            account_name=name["account_name"] if name is not None else None,
            last_at=from_micros(last["last_at"]),
            figures=tuple(
                _figures(row, endpoint=row["endpoint"], method=row["method"], user=account_code)
                for row in figures
            ),
            recent_errors=await self._records(errors),
        )

    async def endpoint_statistics(self, endpoint: str) -> EndpointStatistics | None:
        """One endpoint's last activity and figures per method and per user; None if unused."""
        last = await self._one(
            "SELECT MAX(at) AS last_at, COUNT(*) AS requests FROM audit_records WHERE endpoint = ?",
            (endpoint,),
        )
        if last is None or not last["requests"]:
            return None
        by_method = await self._all(
            f"SELECT method, {_FIGURES} FROM audit_records WHERE endpoint = ? "
            "GROUP BY method ORDER BY count DESC, method",
            (endpoint,),
        )
        by_user = await self._all(
            f"SELECT account_code, method, {_FIGURES} FROM audit_records WHERE endpoint = ? "
            "GROUP BY account_code, method ORDER BY count DESC, account_code, method",
            (endpoint,),
        )
        return EndpointStatistics(
            endpoint=endpoint,
            last_at=from_micros(last["last_at"]),
            by_method=tuple(
                _figures(row, endpoint=endpoint, method=row["method"], user=None)
                for row in by_method
            ),
            by_user=tuple(
                _figures(
                    row,
                    endpoint=endpoint,
                    method=row["method"],
                    user=_user_key(row["account_code"]),
                )
                for row in by_user
            ),
        )

    async def timeline(
        self, since: datetime.datetime, until: datetime.datetime, buckets: int = 24
    ) -> list[TimelineBucket]:
        """Requests and errors in ``buckets`` equal slices of ``[since, until)``, for a chart.

        Raises:
            AuditRangeInvalidError: ``until`` is not after ``since``, or ``buckets`` is not
                between 1 and 1000.
        """
        if not 1 <= buckets <= 1000:
            raise AuditRangeInvalidError(f"A chart has 1 to 1000 buckets, not {buckets}.")
        start, end = micros(since), micros(until)
        if end <= start:
            raise AuditRangeInvalidError(
                f"The chart's range ends ({until.isoformat()}) before it starts "
                f"({since.isoformat()})."
            )
        width = -(-(end - start) // buckets)  # ceiling: the last bucket reaches ``until``
        rows = await self._all(
            "SELECT (at - ?) / ? AS bucket, COUNT(*) AS requests, SUM(is_error) AS errors "
            "FROM audit_records WHERE at >= ? AND at < ? GROUP BY bucket",
            (start, width, start, end),
        )
        counted = {row["bucket"]: (row["requests"], row["errors"]) for row in rows}
        return [
            TimelineBucket(
                start=from_micros(start + n * width),
                requests=counted.get(n, (0, 0))[0],
                errors=counted.get(n, (0, 0))[1],
            )
            for n in range(buckets)
        ]

    async def _distinct(self, column: str) -> list[Any]:
        return [row["value"] for row in await self._all(distinct_sql(column))]

    async def facets(self) -> AuditFacets:
        """What the audit-log filters list: the status codes, companies, users (account
        codes, and :data:`ANONYMOUS_USER`) and generic endpoints recorded."""
        statuses = await self._distinct("status")
        companies = await self._distinct("company")
        users = await self._distinct("account_code")
        anonymous = await self._one(
            "SELECT EXISTS (SELECT 1 FROM audit_records WHERE account_code IS NULL) AS found"
        )
        if anonymous is not None and anonymous["found"]:
            users.append(ANONYMOUS_USER)
        return AuditFacets(
            statuses=tuple(statuses),
            # A multi-school scope is recorded as "a,b"; the filter matches each school.
            companies=tuple(sorted({school for row in companies for school in row.split(",")})),
            users=tuple(users),
            endpoints=tuple(await self._distinct("endpoint")),
        )
