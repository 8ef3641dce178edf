"""``/admin``: the seed's landing page.

Recent Errors (10, "View All"), Top Users and Top Endpoints (5, "View All", detail links),
requests and errors over the last 24 hours, and the account grid.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Sequence

from aiohttp import web

from schoolgraph.accounts.web import ACCOUNTS
from schoolgraph.audit.models import Usage
from schoolgraph.dashboard.chart import timeline_chart
from schoolgraph.dashboard.components import (
    data_table,
    error_list,
    link,
    logs_url,
    section,
    usage_table,
    user_url,
)
from schoolgraph.dashboard.layout import BASE, page
from schoolgraph.dashboard.markup import Html, el
from schoolgraph.dashboard.session import AdminSession, admin_page
from schoolgraph.dashboard.sources import audit_reader

__all__ = ["landing"]

CHART_HOURS = 24


def _top(title: str, caption: str, rows: Sequence[Usage], *, of: str) -> Html:
    """Top Users or Top Endpoints: 5 rows, with "View All" to every one."""
    return section(
        title,
        f"top-{of}",
        usage_table(caption, rows, of=of, empty="No requests recorded yet.", compact=True),
        actions=link("View All", f"{BASE}/{of}", context=of),
    )


@admin_page
async def landing(request: web.Request, session: AdminSession) -> web.StreamResponse:
    reader = audit_reader(request)
    until = datetime.datetime.now(datetime.UTC).replace(minute=0, second=0, microsecond=0)
    until += datetime.timedelta(hours=1)
    since = until - datetime.timedelta(hours=CHART_HOURS)
    errors, users, endpoints, buckets, accounts = await asyncio.gather(
        reader.recent_errors(10),
        reader.top_users(5),
        reader.top_endpoints(5),
        reader.timeline(since, until, CHART_HOURS),
        request.app[ACCOUNTS].accounts(),
    )
    toolbar = el(
        "p",
        el("a", "Refresh", href=BASE, class_="button secondary"),
        " ",
        el("a", "View Logs", href=logs_url(), class_="button"),
    )
    recent = section(
        "Recent Errors",
        "recent-errors",
        error_list(errors),
        actions=link("View All", logs_url(errors_only="on"), context="errors"),
    )
    chart = section(
        f"Requests and errors, last {CHART_HOURS} hours",
        "activity",
        timeline_chart(buckets, until=until),
    )
    top_users = _top("Top Users", "The 5 users with the most requests", users, of="users")
    top_endpoints = _top("Top Endpoints", "The 5 most used endpoints", endpoints, of="endpoints")
    grid = section(
        "API Users",
        "accounts",
        data_table(
            "Every API account, enabled or not",
            [
                ("User Code", False),
                ("User Name", False),
                ("Enabled", False),
                ("Admin", False),
                ("Action", False),
            ],
            (
                (
                    account.code,
                    account.user_name,
                    "Yes" if account.enabled else "No",
                    "Yes" if account.admin else "No",
                    el(
                        "span",
                        link("View Details", user_url(account.code), context=f"of {account.code}"),
                        " ",
                        link(
                            "View Logs", logs_url(user=account.code), context=f"of {account.code}"
                        ),
                    ),
                )
                for account in accounts
            ),
            empty="No API accounts yet: create one with `schoolgraph accounts create`.",
        ),
    )
    return page(
        "API Endpoint Maintenance",
        toolbar,
        el(
            "div",
            el("div", recent, chart, class_="stack"),
            el("div", top_users, top_endpoints, class_="stack"),
            class_="columns",
        ),
        grid,
        session=session,
        current=BASE,
    )
