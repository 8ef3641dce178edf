"""``/admin/errors/{request_id}``: the seed's Error Details screen, for any recorded request.

The stack trace of an unexpected error is shown here, to a signed-in administrator; it is
never part of a response to an API client.
"""

from __future__ import annotations

from aiohttp import web

from schoolgraph.audit.models import AuditRecord
from schoolgraph.dashboard.components import (
    ANONYMOUS_LABEL,
    data_table,
    endpoint_url,
    link,
    logs_url,
    section,
    user_label,
    user_url,
)
from schoolgraph.dashboard.display import count, milliseconds, timestamp
from schoolgraph.dashboard.layout import BASE, page
from schoolgraph.dashboard.markup import Child, Html, el
from schoolgraph.dashboard.session import AdminSession, admin_page
from schoolgraph.dashboard.sources import audit_reader
from schoolgraph.errors import NotFoundError

__all__ = ["error_details"]

_NONE = "None"


def _facts(record: AuditRecord) -> Html:
    facts: list[tuple[str, Child]] = [
        ("Request ID", el("code", record.request_id)),
        ("Request Date/Time", timestamp(record.at)),
        (
            "User Name",
            el("a", user_label(record), href=user_url(record.account_code or ANONYMOUS_LABEL)),
        ),
        ("User Code", record.account_code or _NONE),
        ("Company", record.company or _NONE),
        ("HTTP Method", record.method),
        ("Endpoint", el("a", record.endpoint, href=endpoint_url(record.endpoint))),
        ("Path", el("code", record.path)),
        ("Status", str(record.status)),
        ("Error Codes", ", ".join(record.error_codes) or _NONE),
        ("IP Address", record.ip or _NONE),
        ("Elapsed Time (ms)", milliseconds(record.elapsed_ms)),
        ("Request Length (bytes)", count(record.request_bytes)),
        ("Response Length (bytes)", count(record.response_bytes)),
        ("User Agent", record.user_agent or _NONE),
        (
            "Query Parameters",
            el("pre", record.query_parameters) if record.query_parameters else _NONE,
        ),
        ("Variables", el("pre", record.variables) if record.variables else _NONE),
        ("Error Message", record.error_message or _NONE),
    ]
    return el("dl", ((el("dt", name), el("dd", value)) for name, value in facts), class_="facts")


@admin_page
async def error_details(request: web.Request, session: AdminSession) -> web.StreamResponse:
    request_id = request.match_info["request_id"]
    record = await audit_reader(request).record(request_id)
    if record is None:
        raise NotFoundError(
            f"No request with id {request_id!r} is in the audit log; it may be older than "
            "the retention period."
        )
    stack: Child = (
        el("pre", record.stack)
        if record.stack
        else el("p", "No stack trace: only unexpected errors keep one.")
    )
    calls = data_table(
        "Upstream calls this request made, in order",
        [
            ("Upstream", False),
            ("Method", False),
            ("Route", False),
            ("Status", True),
            ("Elapsed (ms)", True),
            ("Cache", False),
        ],
        (
            (
                call.upstream,
                call.method,
                call.route,
                "-" if call.status is None else str(call.status),
                milliseconds(call.elapsed_ms),
                call.cache,
            )
            for call in record.calls
        ),
        empty="This request made no upstream call.",
    )
    actions = el(
        "p",
        link(
            "View Logs",
            logs_url(user=record.account_code or ANONYMOUS_LABEL),
            context="of this user",
        ),
        " ",
        el("a", "Back to the dashboard", href=BASE),
    )
    return page(
        "Error Details" if record.is_error else "Request Details",
        actions,
        section("Request", "request", _facts(record)),
        section("Stack Trace", "stack", stack),
        section("Upstream Calls", "calls", calls),
        session=session,
    )
