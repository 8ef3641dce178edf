"""``schoolgraph audit ...``: the audit log from a terminal.

The commands read the database the gateway writes (``SCHOOLGRAPH_DB_PATH``, by default
``~/.local/share/schoolgraph/accounts.sqlite3``), so they can run while it serves; a record
appears once the gateway's writer flushed it (``SCHOOLGRAPH_AUDIT_FLUSH_INTERVAL``). Times are
shown as the seed's grid shows them, ``YYYY-MM-DD HH:MM:SS``, in UTC. ``--json`` prints the
records or figures as JSON lines instead.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime
import json
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schoolgraph.accounts.cli import whole_number, with_data_dir
from schoolgraph.audit.models import (
    AuditFilter,
    AuditRecord,
    EndpointStatistics,
    MethodFigures,
    Usage,
    UserStatistics,
)
from schoolgraph.audit.store import MAX_MESSAGE, AuditStore
from schoolgraph.config import load_settings
from schoolgraph.errors import SchoolgraphError

if TYPE_CHECKING:
    from schoolgraph.cli import Subcommands

__all__ = ["add_audit", "display_time"]

PROG = "schoolgraph audit"
MAX_LIMIT = 500
"""The most rows a ``--limit`` asks for (as the admin GraphQL fields allow)."""
MAX_OFFSET = 2**31 - 1
"""The furthest ``search --offset`` (GraphQL's ``Int``, as ``auditLog(offset:)``)."""
MAX_RETENTION_DAYS = 36_500
"""The longest ``purge --older-than-days``: a hundred years."""


def display_time(value: datetime.datetime | None) -> str:
    """The seed's Request Date/Time format, ``YYYY-MM-DD HH:MM:SS``, in UTC."""
    if value is None:
        return "-"
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _as_json(value: Any) -> str:
    def default(item: Any) -> Any:
        if isinstance(item, datetime.datetime | datetime.date):
            return item.isoformat()
        raise TypeError(type(item).__name__)

    plain = (
        dataclasses.asdict(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type)
        else value
    )
    return json.dumps(plain, default=default, sort_keys=True)


def _database() -> Path:
    path = with_data_dir(load_settings(os.environ)).accounts_db
    if path is None:  # with_data_dir always gives a folder
        raise RuntimeError("There is no accounts database path.")
    return path


def _run(work: Callable[[AuditStore], Awaitable[int]]) -> int:
    """Open the audit log of the configured database, do ``work``, close; the exit code."""
    path = _database()
    if not path.exists():
        print(
            f"{PROG}: error: there is no database at {path}; nothing was recorded.", file=sys.stderr
        )
        return 1
    store = AuditStore(path)

    async def main() -> int:
        await store.open()
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return asyncio.run(main())
    except SchoolgraphError as error:
        print(f"{PROG}: error: {error.message}", file=sys.stderr)
        return 2 if error.http_status == 400 else 1
    except OSError as error:
        print(f"{PROG}: error: {error.strerror or error}.", file=sys.stderr)
        return 1


# -- output -------------------------------------------------------------------------------


def _grid(records: Sequence[AuditRecord]) -> list[str]:
    """The seed's API Audit Logs grid, plus the request id to ask ``error`` about."""
    lines = [
        f"{'Request Date/Time':<19}  {'User Name':<20}  {'Method':<6}  {'Endpoint':<36}  "
        f"{'Status':<6}  {'Request Id':<32}  Error Message"
    ]
    for record in records:
        user = record.account_name or record.account_code or "-"
        lines.append(
            f"{display_time(record.at):<19}  {user[:20]:<20}  {record.method:<6}  "
            f"{record.endpoint[:36]:<36}  {record.status:<6}  {record.request_id[:32]:<32}  "
            + (record.error_message or "")
        )
    return lines


def _error_lines(records: Sequence[AuditRecord]) -> list[str]:
    """Recent Errors as the seed lists them: the code and message, then a grey summary."""
    if not records:
        return ["(no errors)"]
    lines = []
    for record in records:
        code = ",".join(record.error_codes) or str(record.status)
        lines.append(f"{code}  {record.error_message or ''}".rstrip())
        lines.append(
            f"    {display_time(record.at)}  {record.account_name or '-'}  {record.method}  "
            f"{record.endpoint}  ({record.request_id})"
        )
    return lines


def _details(record: AuditRecord) -> list[str]:
    """The seed's Error Details screen, and the upstream calls."""
    lines = [
        f"Request ID        {record.request_id}",
        f"Request Date/Time {display_time(record.at)}",
        f"User              {record.account_name or '-'} ({record.account_code or '-'})",
        f"Company           {record.company or '-'}",
        f"Method            {record.method}",
        f"Endpoint          {record.endpoint}",
        f"Path              {record.path}",
        f"Status            {record.status}",
        f"Error Codes       {', '.join(record.error_codes) or '-'}",
        f"IP Address        {record.ip or '-'}",
        f"Elapsed Time (ms) {record.elapsed_ms:.1f}",
        f"Request Length    {record.request_bytes}",
        f"Response Length   {record.response_bytes}",
        f"User Agent        {record.user_agent or '-'}",
        f"Query Parameters  {record.query_parameters or '-'}",
        f"Variables         {record.variables or '-'}",
        f"Error Message     {record.error_message or '-'}",
        "Stack Trace       " + ("\n" + record.stack.rstrip() if record.stack else "-"),
        f"Upstream Calls    {len(record.calls) or '-'}",
    ]
    lines.extend(
        f"  {call.upstream:<8} {call.method:<6} {call.route}  {call.status or '-'}  "
        f"{call.elapsed_ms:.1f} ms  {call.cache}"
        for call in record.calls
    )
    return lines


def _usage_lines(rows: Sequence[Usage], title: str) -> list[str]:
    lines = [f"{title:<40}  {'Name':<24}  {'Requests':>8}  {'Errors':>6}  Last Activity"]
    lines.extend(
        f"{row.key[:40]:<40}  {(row.name or '-')[:24]:<24}  {row.requests:>8}  {row.errors:>6}  "
        f"{display_time(row.last_at)}"
        for row in rows
    )
    return lines


def _figure_lines(rows: Sequence[MethodFigures], *, by_user: bool = False) -> list[str]:
    first = "User" if by_user else "Endpoint"
    lines = [
        f"{first:<40}  {'Method':<6}  {'Count':>6}  {'Avg (ms)':>9}  {'Received KB':>11}  "
        f"{'Sent KB':>9}"
    ]
    lines.extend(
        f"{((row.user or '-') if by_user else row.endpoint)[:40]:<40}  {row.method:<6}  "
        f"{row.count:>6}  {row.average_ms:>9.1f}  {row.received_kb:>11.2f}  {row.sent_kb:>9.2f}"
        for row in rows
    )
    return lines


def _user_lines(statistics: UserStatistics) -> list[str]:
    return [
        f"User              {statistics.account_name or '-'} ({statistics.account_code})",
        f"Last Activity     {display_time(statistics.last_at)}",
        "",
        "Endpoint Statistics",
        *_figure_lines(statistics.figures),
        "",
        "Recent Errors",
        *_error_lines(statistics.recent_errors),
    ]


def _endpoint_lines(statistics: EndpointStatistics) -> list[str]:
    return [
        f"Endpoint          {statistics.endpoint}",
        f"Last Activity     {display_time(statistics.last_at)}",
        "",
        "Request Statistics",
        *_figure_lines(statistics.by_method),
        "",
        "User Statistics",
        *_figure_lines(statistics.by_user, by_user=True),
    ]


def _print(lines: Sequence[str]) -> None:
    print("\n".join(lines))


def _print_json(values: Sequence[Any]) -> None:
    for value in values:
        print(_as_json(value))


# -- commands -------------------------------------------------------------------------------


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2026-03-02") from None


def _filter(args: argparse.Namespace) -> AuditFilter:
    return AuditFilter(
        date_from=args.date_from,
        date_to=args.date_to,
        message=args.message,
        methods=tuple(args.method or ()),
        statuses=tuple(args.status or ()),
        errors_only=args.errors_only,
        users=tuple(args.user or ()),
        companies=tuple(args.company or ()),
        endpoints=tuple(args.endpoint or ()),
    )


def audit_search(args: argparse.Namespace) -> int:
    async def work(store: AuditStore) -> int:
        page = await store.search(_filter(args), offset=args.offset, limit=args.limit)
        if args.json:
            _print_json(page.records)
            return 0
        shown = f"{page.offset + 1}-{page.offset + len(page.records)}" if page.records else "0"
        _print([f"{shown} of {page.total} records", *_grid(page.records)])
        return 0

    return _run(work)


def audit_count(args: argparse.Namespace) -> int:
    async def work(store: AuditStore) -> int:
        total = await store.count(_filter(args))
        _print_json([{"count": total}]) if args.json else print(total)
        return 0

    return _run(work)


def audit_recent_errors(args: argparse.Namespace) -> int:
    async def work(store: AuditStore) -> int:
        records = await store.recent_errors(args.limit)
        _print_json(records) if args.json else _print(_error_lines(records))
        return 0

    return _run(work)


def _top(kind: str) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        async def work(store: AuditStore) -> int:
            limit = None if args.all else args.limit
            if kind == "users":
                rows = await store.top_users(limit)
            else:
                rows = await store.top_endpoints(limit)
            title = "User Code" if kind == "users" else "Endpoint"
            _print_json(rows) if args.json else _print(_usage_lines(rows, title))
            return 0

        return _run(work)

    return command


def audit_user(args: argparse.Namespace) -> int:
    async def work(store: AuditStore) -> int:
        statistics = await store.user_statistics(args.code, limit=None if args.all else 5)
        if statistics is None:
            print(f"{PROG}: error: {args.code} made no recorded request.", file=sys.stderr)
            return 1
        _print_json([statistics]) if args.json else _print(_user_lines(statistics))
        return 0

    return _run(work)


def audit_endpoint(args: argparse.Namespace) -> int:
    async def work(store: AuditStore) -> int:
        statistics = await store.endpoint_statistics(args.endpoint)
        if statistics is None:
            print(f"{PROG}: error: {args.endpoint!r} was never called.", file=sys.stderr)
            return 1
        _print_json([statistics]) if args.json else _print(_endpoint_lines(statistics))
        return 0

    return _run(work)


def audit_error(args: argparse.Namespace) -> int:
    async def work(store: AuditStore) -> int:
        record = await store.record(args.request_id)
        if record is None:
            print(f"{PROG}: error: no request has the id {args.request_id!r}.", file=sys.stderr)
            return 1
        _print_json([record]) if args.json else _print(_details(record))
        return 0

    return _run(work)


def audit_purge(args: argparse.Namespace) -> int:
    days = args.older_than_days
    if days is None:
        days = load_settings(os.environ).audit_retention_days
        if days > MAX_RETENTION_DAYS:
            print(
                f"{PROG}: error: SCHOOLGRAPH_AUDIT_RETENTION_DAYS is {days}; purge keeps at most "
                f"{MAX_RETENTION_DAYS} days.",
                file=sys.stderr,
            )
            return 2
    if days == 0:
        if args.json:
            _print_json([{"before": None, "older_than_days": 0, "purged": 0}])
        else:
            print(f"{PROG}: nothing purged: the retention is 0 (keep for ever).")
        return 0

    async def work(store: AuditStore) -> int:
        before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)
        purged = await store.purge(before)
        if args.json:
            _print_json([{"before": before, "older_than_days": days, "purged": purged}])
            return 0
        print(f"Purged {purged} records older than {days} days (before {display_time(before)}).")
        return 0

    return _run(work)


_limit = whole_number(1, MAX_LIMIT)


def _add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON lines")


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="date_from", type=_date, help="first day, YYYY-MM-DD (UTC)")
    parser.add_argument(
        "--to", dest="date_to", type=_date, help="last day; the range cannot exceed 60 days"
    )
    parser.add_argument(
        "--message", help=f"text in the error message, at most {MAX_MESSAGE} characters"
    )
    parser.add_argument("--method", action="append", help="an HTTP method; repeat for more")
    parser.add_argument("--status", action="append", type=int, help="a status; repeat for more")
    parser.add_argument("--errors-only", action="store_true", help="add every error")
    parser.add_argument("--user", action="append", metavar="CODE", help="an account code")
    parser.add_argument("--company", action="append", help="a company/school scope")
    parser.add_argument(
        "--endpoint", action="append", help='a generic endpoint, e.g. "query Query.students"'
    )


def add_audit(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "audit",
        help="search the audit log; errors, top users and endpoints, statistics; purge",
        description="The audit log of every request to the gateway, read from its database.",
    )
    actions = parser.add_subparsers(title="actions", dest="action", required=True)

    search = actions.add_parser("search", help="the API Audit Logs grid, newest first")
    _add_filters(search)
    search.add_argument(
        "--offset",
        type=whole_number(0, MAX_OFFSET),
        default=0,
        help=f"records to skip, 0 to {MAX_OFFSET}",
    )
    search.add_argument("--limit", type=_limit, default=50, help=f"1 to {MAX_LIMIT} (default 50)")
    _add_json(search)
    search.set_defaults(handler=audit_search)

    count = actions.add_parser("count", help="how many records match the filters")
    _add_filters(count)
    _add_json(count)
    count.set_defaults(handler=audit_count)

    recent = actions.add_parser("recent-errors", help="the newest errors")
    recent.add_argument("--limit", type=_limit, default=10, help=f"1 to {MAX_LIMIT} (default 10)")
    _add_json(recent)
    recent.set_defaults(handler=audit_recent_errors)

    for kind in ("users", "endpoints"):
        top = actions.add_parser(f"top-{kind}", help=f"top {kind} by requests")
        top.add_argument("--limit", type=_limit, default=5, help=f"1 to {MAX_LIMIT} (default 5)")
        top.add_argument("--all", action="store_true", help=f"every {kind[:-1]}")
        _add_json(top)
        top.set_defaults(handler=_top(kind))

    user = actions.add_parser("user", help="a user's statistics and recent errors")
    user.add_argument("code", help='an account code, or "(anonymous)"')
    user.add_argument("--all", action="store_true", help="every endpoint, not the top 5")
    _add_json(user)
    user.set_defaults(handler=audit_user)

    endpoint = actions.add_parser("endpoint", help="an endpoint's statistics per method and user")
    endpoint.add_argument("endpoint", help='a generic endpoint, e.g. "query Query.students"')
    _add_json(endpoint)
    endpoint.set_defaults(handler=audit_endpoint)

    error = actions.add_parser("error", help="a request's details (Error Details)")
    error.add_argument("request_id")
    _add_json(error)
    error.set_defaults(handler=audit_error)

    purge = actions.add_parser("purge", help="delete records older than the retention")
    purge.add_argument(
        "--older-than-days",
        type=whole_number(0, MAX_RETENTION_DAYS),
        help=f"days to keep, 0 (keep for ever) to {MAX_RETENTION_DAYS}; "
        "default SCHOOLGRAPH_AUDIT_RETENTION_DAYS",
    )
    _add_json(purge)
    purge.set_defaults(handler=audit_purge)
