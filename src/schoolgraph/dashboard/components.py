"""Pieces several dashboard pages share: sections, the error list, usage and figure grids."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import quote, urlencode

from schoolgraph.audit.models import AuditRecord, MethodFigures, Usage
from schoolgraph.audit.store import ANONYMOUS_USER
from schoolgraph.dashboard.display import count, kilobytes, milliseconds, timestamp
from schoolgraph.dashboard.layout import BASE
from schoolgraph.dashboard.markup import Child, Html, el

__all__ = [
    "ANONYMOUS_LABEL",
    "data_table",
    "details_url",
    "endpoint_url",
    "error_list",
    "figures_table",
    "link",
    "logs_url",
    "section",
    "usage_table",
    "user_label",
    "user_url",
]

ANONYMOUS_LABEL = ANONYMOUS_USER
"""How requests without an account are named: the store's user key for them."""


def details_url(request_id: str) -> str:
    return f"{BASE}/errors/{quote(request_id, safe='')}"


def user_url(code: str) -> str:
    return f"{BASE}/users/{quote(code, safe='')}"


def endpoint_url(endpoint: str) -> str:
    return f"{BASE}/endpoint?{urlencode({'name': endpoint})}"


def logs_url(**filters: str | Sequence[str]) -> str:
    """The audit log page with filters set (``user=``, ``endpoint=``, ``errors_only="on"``)."""
    return f"{BASE}/logs?{urlencode(filters, doseq=True)}" if filters else f"{BASE}/logs"


def link(text: str, href: str, *, context: str | None = None) -> Html:
    """A link; ``context`` completes its text for screen readers only ("View Details" of
    whom), so that every link names its target out of context."""
    hidden = el("span", f" {context}", class_="visually-hidden") if context else None
    return el("a", text, hidden, href=href)


def user_label(record: AuditRecord) -> str:
    return record.account_name or record.account_code or ANONYMOUS_LABEL


def section(title: str, section_id: str, *content: Child, actions: Child = None) -> Html:
    """A titled landmark region; ``actions`` (links) go to the right of its heading."""
    return el(
        "section",
        el(
            "div",
            el("h2", title, id=section_id),
            el("div", actions) if actions else None,
            class_="section-head",
        ),
        *content,
        aria_labelledby=section_id,
    )


def data_table(
    caption: str,
    headings: Sequence[tuple[str, bool]],
    rows: Iterable[Sequence[Child]],
    *,
    empty: str,
) -> Html:
    """A grid with a caption and column headers; ``headings`` are (label, numeric). The first
    cell of each row is its row header. ``empty`` is said instead of an empty grid."""
    body = []
    for row in rows:
        cells = [
            el(
                "th" if index == 0 else "td",
                cell,
                scope="row" if index == 0 else None,
                class_="num" if headings[index][1] else None,
            )
            for index, cell in enumerate(row)
        ]
        body.append(el("tr", cells))
    if not body:
        return el("p", empty)
    head = el(
        "tr",
        (
            el("th", label, scope="col", class_="num" if numeric else None)
            for label, numeric in headings
        ),
    )
    return el("table", el("caption", caption), el("thead", head), el("tbody", body))


def error_code(record: AuditRecord) -> str:
    """The seed's red error code: the HTTP status and the GraphQL error codes."""
    return " ".join((str(record.status), *record.error_codes))


def error_list(records: Sequence[AuditRecord], *, empty: str = "No errors recorded.") -> Html:
    """The seed's Recent Errors: code in red, message beside it, the request summarised below,
    and a link to the error's details."""
    if not records:
        return el("p", empty)
    items = (
        el(
            "li",
            el("span", error_code(record), class_="error-code"),
            " ",
            record.error_message or "",
            " ",
            link(
                "Error Details",
                details_url(record.request_id),
                context=f"for request {record.request_id}",
            ),
            el(
                "span",
                f"{timestamp(record.at)} - {user_label(record)} - {record.method} - "
                f"{record.endpoint}",
                class_="summary",
            ),
        )
        for record in records
    )
    return el("ol", items, class_="errors")


def usage_table(
    caption: str,
    rows: Sequence[Usage],
    *,
    of: str,
    empty: str,
    compact: bool = False,
) -> Html:
    """Top Users (``of="users"``) or Top Endpoints (``of="endpoints"``), with detail links;
    ``compact`` (the landing page's narrow column) leaves out the last activity."""
    first = "User Name" if of == "users" else "Endpoint"
    headings = [(first, False), ("Requests", True), ("Errors", True)]
    if not compact:
        headings.append(("Last activity", False))
    headings.append(("Action", False))
    return data_table(
        caption,
        headings,
        (
            (
                (usage.name or usage.key) if of == "users" else usage.key,
                count(usage.requests),
                count(usage.errors),
                *(() if compact else (timestamp(usage.last_at),)),
                link(
                    "View Details",
                    user_url(usage.key) if of == "users" else endpoint_url(usage.key),
                    context=f"of {usage.name or usage.key}",
                ),
            )
            for usage in rows
        ),
        empty=empty,
    )


def figures_table(caption: str, rows: Sequence[MethodFigures], *, first: str, empty: str) -> Html:
    """The seed's statistics grid: per ``first`` ("endpoint", "method" or "user") and HTTP
    method, the count, average call time, and data received and sent."""
    headings: list[tuple[str, bool]] = []
    if first == "endpoint":
        headings.append(("Endpoint", False))
    if first == "user":
        headings.append(("User", False))
    headings += [
        ("HTTP Method", False),
        ("Count", True),
        ("Average Call Time (ms)", True),
        ("Data Received (KB)", True),
        ("Data Sent (KB)", True),
    ]

    def cells(figures: MethodFigures) -> list[Child]:
        lead: list[Child] = []
        if first == "endpoint":
            lead.append(el("a", figures.endpoint, href=endpoint_url(figures.endpoint)))
        if first == "user":
            lead.append(
                el("a", figures.user, href=user_url(figures.user))
                if figures.user
                else ANONYMOUS_LABEL
            )
        return [
            *lead,
            figures.method,
            count(figures.count),
            milliseconds(figures.average_ms),
            kilobytes(figures.received_kb),
            kilobytes(figures.sent_kb),
        ]

    return data_table(caption, headings, (cells(figures) for figures in rows), empty=empty)
