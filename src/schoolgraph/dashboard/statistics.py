"""The seed's statistics screens: All User Statistics and User Statistics, All Endpoint
Statistics and Endpoint Statistics."""

from __future__ import annotations

from aiohttp import web

from schoolgraph.accounts.models import Account
from schoolgraph.accounts.web import ACCOUNTS
from schoolgraph.dashboard.components import (
    endpoint_url,
    error_list,
    figures_table,
    link,
    logs_url,
    section,
    usage_table,
    user_url,
)
from schoolgraph.dashboard.display import timestamp
from schoolgraph.dashboard.layout import BASE, page
from schoolgraph.dashboard.markup import Html, el
from schoolgraph.dashboard.session import AdminSession, admin_page
from schoolgraph.dashboard.sources import audit_reader
from schoolgraph.errors import NotFoundError

__all__ = ["all_endpoints", "all_users", "endpoint_statistics", "user_statistics"]

_USERS = f"{BASE}/users"
_ENDPOINTS = f"{BASE}/endpoints"


def _buttons(refresh: str, logs: str) -> Html:
    return el(
        "p",
        el("a", "Refresh", href=refresh, class_="button secondary"),
        " ",
        el("a", "View Logs", href=logs, class_="button"),
    )


async def _everything(request: web.Request, session: AdminSession, *, of: str) -> web.Response:
    reader = audit_reader(request)
    rows = await (reader.top_users(None) if of == "users" else reader.top_endpoints(None))
    return page(
        f"All {'User' if of == 'users' else 'Endpoint'} Statistics",
        usage_table(
            f"Every {of[:-1]} with recorded requests, most requests first",
            rows,
            of=of,
            empty="No requests recorded yet.",
        ),
        session=session,
        current=_USERS if of == "users" else _ENDPOINTS,
    )


@admin_page
async def all_users(request: web.Request, session: AdminSession) -> web.StreamResponse:
    """``/admin/users``: every user with requests, most requests first."""
    return await _everything(request, session, of="users")


@admin_page
async def all_endpoints(request: web.Request, session: AdminSession) -> web.StreamResponse:
    """``/admin/endpoints``: every endpoint used, most requests first."""
    return await _everything(request, session, of="endpoints")


def _account_facts(account: Account) -> Html:
    facts = [
        ("User Code", account.code),
        ("User Name", account.user_name),
        ("Enabled", "Yes" if account.enabled else "No"),
        ("Admin", "Yes" if account.admin else "No"),
        ("Purpose", account.purpose or "-"),
        ("Contact", f"{account.contact_name} <{account.contact_email}>"),
    ]
    return el("dl", ((el("dt", name), el("dd", value)) for name, value in facts), class_="facts")


def _show_form(action: str, show_all: bool) -> Html:
    return el(
        "form",
        el("label", "Show", for_="show"),
        el(
            "select",
            el("option", "Top 5", value="top", selected=not show_all),
            el("option", "All", value="all", selected=show_all),
            id="show",
            name="show",
        ),
        " ",
        el("button", "Show", type="submit", class_="secondary"),
        method="get",
        action=action,
        class_="inline",
    )


@admin_page
async def user_statistics(request: web.Request, session: AdminSession) -> web.StreamResponse:
    """``/admin/users/{code}``: the account, its last activity, its endpoint statistics (top 5
    or all) and its recent errors."""
    code = request.match_info["code"]
    show_all = request.query.get("show") == "all"
    try:
        account: Account | None = await request.app[ACCOUNTS].account(code)
    except NotFoundError:
        account = None
    statistics = await audit_reader(request).user_statistics(code, limit=None if show_all else 5)
    if account is None and statistics is None:
        raise NotFoundError(f"There is no API user {code!r} and no request recorded for it.")
    name = (
        (account.user_name if account else None)
        or (statistics.account_name if statistics else None)
        or code
    )
    here = user_url(code)
    content: list[Html] = [_buttons(here, logs_url(user=code))]
    if account is not None:
        content.append(section("Account", "account", _account_facts(account)))
    last = statistics.last_at if statistics else None
    content.append(el("p", el("strong", "Last activity: "), timestamp(last) if last else "never"))
    content.append(
        section(
            "Endpoint Statistics",
            "endpoint-statistics",
            figures_table(
                f"{name}'s requests per endpoint and HTTP method" + ("" if show_all else ", top 5"),
                statistics.figures if statistics else (),
                first="endpoint",
                empty="No requests recorded for this user.",
            ),
            actions=_show_form(here, show_all),
        )
    )
    content.append(
        section(
            "Recent Errors",
            "user-errors",
            error_list(statistics.recent_errors if statistics else ()),
            actions=link(
                "View All", logs_url(user=code, errors_only="on"), context="errors of this user"
            ),
        )
    )
    return page(f"User Statistics: {name}", *content, session=session, current=_USERS)


@admin_page
async def endpoint_statistics(request: web.Request, session: AdminSession) -> web.StreamResponse:
    """``/admin/endpoint?name=``: last activity, figures per method and per user."""
    endpoint = request.query.get("name", "")
    statistics = await audit_reader(request).endpoint_statistics(endpoint)
    if statistics is None:
        raise NotFoundError(f"No request to the endpoint {endpoint!r} is recorded.")
    return page(
        f"Endpoint Statistics: {endpoint}",
        _buttons(endpoint_url(endpoint), logs_url(endpoint=endpoint)),
        el("p", el("strong", "Last activity: "), timestamp(statistics.last_at)),
        section(
            "Request Statistics",
            "request-statistics",
            figures_table(
                "Requests per HTTP method",
                statistics.by_method,
                first="method",
                empty="No requests recorded.",
            ),
        ),
        section(
            "User Statistics",
            "user-statistics",
            figures_table(
                "Requests per user and HTTP method",
                statistics.by_user,
                first="user",
                empty="No requests recorded.",
            ),
        ),
        session=session,
        current=_ENDPOINTS,
    )
