"""``/admin/logs``: the seed's API Audit Logs screen, its display filters and its grid.

The filters are a GET form, so a filtered view is a link (Recent Errors' "View All", a
user's "View Logs") and the browser's back button works. The grid is newest first, paged,
with the total; a date range over 60 days is refused with the store's message.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiMapping

from schoolgraph.accounts.models import Account
from schoolgraph.accounts.web import ACCOUNTS
from schoolgraph.audit.models import MAX_RANGE_DAYS, AuditFacets, AuditFilter, AuditPage
from schoolgraph.audit.store import MAX_MESSAGE
from schoolgraph.dashboard.components import details_url, link, section, user_label
from schoolgraph.dashboard.display import count, timestamp
from schoolgraph.dashboard.facets import FACETS
from schoolgraph.dashboard.layout import BASE, page
from schoolgraph.dashboard.markup import Child, Html, el
from schoolgraph.dashboard.session import AdminSession, admin_page, refuse
from schoolgraph.dashboard.sources import audit_reader
from schoolgraph.errors import BadRequestError, SchoolgraphError

__all__ = ["MAX_PAGE", "METHODS", "PAGE_SIZE", "LogQuery", "audit_logs", "parse_log_query"]

PAGE_SIZE = 50
METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")
"""The seed's HTTP Methods filter."""
MAX_PAGE = 1_000_000
"""The furthest page of the grid (fifty million records in)."""
_PATH = f"{BASE}/logs"


@dataclass(frozen=True, slots=True)
class LogQuery:
    where: AuditFilter
    page: int = 1


def _date(query: MultiMapping[str], name: str, label: str) -> datetime.date | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise BadRequestError(f"{label} must be a date as YYYY-MM-DD, not {value!r}.") from None


def _status(value: str) -> int:
    try:
        status = int(value)
    except ValueError:
        status = 0
    if not 100 <= status <= 599:
        raise BadRequestError(f"Status code must be an HTTP status such as 404, not {value!r}.")
    return status


def _values(query: MultiMapping[str], name: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value.strip() for value in query.getall(name, ()) if value.strip()))


def parse_log_query(query: MultiMapping[str]) -> LogQuery:
    """The filters of ``/admin/logs``'s query string.

    Raises:
        BadRequestError: a value is malformed; the message names it.
    """
    methods = tuple(method.upper() for method in _values(query, "method"))
    for method in methods:
        if method not in METHODS:
            raise BadRequestError(
                f"HTTP Methods must be among {', '.join(METHODS)}, not {method!r}."
            )
    message = query.get("message", "").strip()
    if len(message) > MAX_MESSAGE:
        raise BadRequestError(
            f"Error Message is {len(message)} characters long; at most {MAX_MESSAGE} are allowed."
        )
    raw_page = query.get("page", "1").strip() or "1"
    if not (raw_page.isascii() and raw_page.isdigit()) or not 1 <= int(raw_page) <= MAX_PAGE:
        raise BadRequestError(
            f"The page must be a whole number from 1 to {MAX_PAGE}, not {raw_page!r}."
        )
    return LogQuery(
        AuditFilter(
            date_from=_date(query, "date_from", "Date From"),
            date_to=_date(query, "date_to", "Date To"),
            message=message or None,
            methods=methods,
            statuses=tuple(_status(value) for value in _values(query, "status")),
            errors_only=query.get("errors_only") == "on",
            users=_values(query, "user"),
            companies=_values(query, "company"),
            endpoints=_values(query, "endpoint"),
        ),
        int(raw_page),
    )


def _select(
    name: str,
    label: str,
    options: Sequence[tuple[str, str]],
    chosen: Sequence[str],
    *,
    hint: str,
) -> Html:
    field_id = f"filter-{name}"
    return el(
        "div",
        el("label", label, for_=field_id),
        el(
            "select",
            (el("option", text, value=value, selected=value in chosen) for value, text in options),
            id=field_id,
            name=name,
            multiple=True,
            size=str(min(max(len(options), 3), 6)),
            aria_describedby=f"{field_id}-hint",
        ),
        el("span", hint, id=f"{field_id}-hint", class_="summary"),
    )


@dataclass(frozen=True, slots=True)
class FilterOptions:
    """What the multi-select filters offer: only values the log and accounts know."""

    statuses: tuple[int, ...]
    users: tuple[tuple[str, str], ...]  # (account code, label)
    companies: tuple[str, ...]
    endpoints: tuple[str, ...]


def _options(facets: AuditFacets, accounts: Sequence[Account], where: AuditFilter) -> FilterOptions:
    """The lists: what the log holds, every account (the seed: "This list includes both
    enabled and disabled users"), and whatever the query chose, so a choice is never lost."""
    users = {account.code: f"{account.user_name} ({account.code})" for account in accounts}
    for code in (*facets.users, *where.users):
        users.setdefault(code, code)
    return FilterOptions(
        statuses=tuple(sorted({*facets.statuses, *where.statuses})),
        users=tuple(users.items()),
        companies=tuple(sorted({*facets.companies, *where.companies})),
        endpoints=tuple(sorted({*facets.endpoints, *where.endpoints})),
    )


def _date_input(name: str, label: str, value: datetime.date | None) -> Html:
    field_id = f"filter-{name}"
    return el(
        "div",
        el("label", label, for_=field_id),
        el(
            "input",
            id=field_id,
            name=name,
            type="date",
            value=value.isoformat() if value else None,
            aria_describedby="filter-date-hint",
        ),
        el(
            "span",
            f"The range cannot exceed {MAX_RANGE_DAYS} days.",
            id="filter-date-hint",
            class_="summary",
        )
        if name == "date_to"
        else None,
    )


def _filters_form(where: AuditFilter, options: FilterOptions) -> Html:
    multi = "Ctrl-click (Cmd-click) to pick several; none picked means all."
    return el(
        "form",
        _date_input("date_from", "Date From", where.date_from),
        _date_input("date_to", "Date To", where.date_to),
        el(
            "div",
            el("label", "Error Message", for_="filter-message"),
            el(
                "input",
                id="filter-message",
                name="message",
                type="text",
                value=where.message,
                maxlength=str(MAX_MESSAGE),
            ),
            class_="wide",
        ),
        _select(
            "method",
            "HTTP Methods",
            [(method, method) for method in METHODS],
            where.methods,
            hint=multi,
        ),
        el(
            "div",
            _select(
                "status",
                "Status Code",
                [(str(status), str(status)) for status in options.statuses],
                [str(status) for status in where.statuses],
                hint=multi,
            ),
            el(
                "label",
                el(
                    "input",
                    type="checkbox",
                    name="errors_only",
                    value="on",
                    checked=where.errors_only,
                ),
                " Errors Only",
                class_="check",
            ),
        ),
        _select("user", "Users", options.users, where.users, hint=multi),
        _select(
            "company",
            "Companies",
            [(company, company) for company in options.companies],
            where.companies,
            hint=multi,
        ),
        el(
            "div",
            _select(
                "endpoint",
                "Endpoints",
                [(endpoint, endpoint) for endpoint in options.endpoints],
                where.endpoints,
                hint=multi,
            ),
            class_="wide",
        ),
        el(
            "div",
            el("button", "Apply Filters", type="submit"),
            el("a", "Clear Filters", href=_PATH, class_="button secondary"),
            class_="actions",
        ),
        method="get",
        action=_PATH,
        class_="filters",
        aria_label="Display filters",
    )


def _page_link(query: MultiMapping[str], number: int, text: str) -> Html:
    pairs = [(key, value) for key, value in query.items() if key != "page"]
    pairs.append(("page", str(number)))
    return el("a", text, href=f"{_PATH}?{urlencode(pairs)}")


def _grid(found: AuditPage, query: MultiMapping[str], number: int) -> Html:
    if not found.records:
        return el("p", "No audit log records match these filters.", role="status")
    first = found.offset + 1
    last = found.offset + len(found.records)
    rows = []
    for record in found.records:
        # A redirect to sign in is no error, but says why as one does.
        status: Child = " ".join((str(record.status), *record.error_codes))
        if record.is_error:
            status = el("span", status, class_="status-error")
        rows.append(
            el(
                "tr",
                el("td", timestamp(record.at)),
                el("td", user_label(record)),
                el("td", record.method),
                el("td", record.endpoint, " ", el("span", record.path, class_="summary")),
                el("td", status),
                el("td", record.error_message),
                el(
                    "td",
                    link(
                        "Details",
                        details_url(record.request_id),
                        context=f"of request {record.request_id}",
                    ),
                ),
            )
        )
    pages = max((found.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    pager = el(
        "nav",
        number > 1 and _page_link(query, number - 1, "Previous page"),
        el("span", f"Page {number} of {pages}"),
        number < pages and _page_link(query, number + 1, "Next page"),
        class_="pager",
        aria_label="Audit log pages",
    )
    headings = (
        "Request Date/Time",
        "User Name",
        "Method",
        "Endpoint",
        "Status",
        "Error Message",
        "Details",
    )
    widths = ("date", "user", "method", "endpoint", "status", "message", "details")
    table = el(
        "table",
        el(
            "caption",
            f"Showing {count(first)} to {count(last)} of {count(found.total)} records, "
            "newest first",
        ),
        el("colgroup", (el("col", class_=f"col-{width}") for width in widths)),
        el("thead", el("tr", (el("th", heading, scope="col") for heading in headings))),
        el("tbody", rows),
        class_="log-grid",
    )
    return el("div", table, pager)


@admin_page
async def audit_logs(request: web.Request, session: AdminSession) -> web.StreamResponse:
    """``GET /admin/logs``: the filters and the grid."""
    reader = audit_reader(request)
    facets, accounts = await asyncio.gather(
        request.app[FACETS].get(reader), request.app[ACCOUNTS].accounts()
    )
    problem: SchoolgraphError | None = None
    found: AuditPage | None = None
    try:
        parsed = parse_log_query(request.query)
    except BadRequestError as error:
        parsed, problem = LogQuery(AuditFilter()), error
    else:
        try:
            found = await reader.search(
                parsed.where, offset=(parsed.page - 1) * PAGE_SIZE, limit=PAGE_SIZE
            )
        except SchoolgraphError as error:
            problem = error
    if problem is not None:
        refuse(request, problem)
    results: Child = (
        el("p", problem.message, class_="problem", role="alert")
        if problem is not None
        else _grid(found, request.query, parsed.page)
        if found is not None
        else None
    )
    options = _options(facets, accounts, parsed.where)
    return page(
        "API Audit Logs",
        section("Display Filters", "filters", _filters_form(parsed.where, options)),
        section("API Audit Logs Grid", "grid", results),
        session=session,
        current=_PATH,
        status=200 if problem is None else problem.http_status,
    )
