"""``/admin``: the school administrator's dashboard over the audit log, server-rendered.

Pages (all but sign-in need an admin account's session):

- ``/admin``: Recent Errors, Top Users, Top Endpoints, requests and errors over time, the
  account grid;
- ``/admin/logs``: the API Audit Logs screen (filters and grid);
- ``/admin/errors/{request_id}``: Error Details;
- ``/admin/users``, ``/admin/users/{code}``: All User Statistics, User Statistics;
- ``/admin/endpoints``, ``/admin/endpoint?name=``: All Endpoint Statistics, Endpoint
  Statistics;
- ``/admin/sign-in`` (GET, POST) and ``/admin/sign-out`` (POST).
"""

from __future__ import annotations

from aiohttp import web

from schoolgraph.dashboard.audit_log import audit_logs
from schoolgraph.dashboard.details import error_details
from schoolgraph.dashboard.facets import FACETS, FacetsCache
from schoolgraph.dashboard.landing import landing
from schoolgraph.dashboard.layout import BASE
from schoolgraph.dashboard.sign_in import show_sign_in, sign_in, sign_out
from schoolgraph.dashboard.statistics import (
    all_endpoints,
    all_users,
    endpoint_statistics,
    user_statistics,
)

__all__ = ["BASE", "add_dashboard_routes"]


def add_dashboard_routes(app: web.Application) -> None:
    """Serve the dashboard under ``/admin``."""
    app[FACETS] = FacetsCache()
    app.router.add_get(BASE, landing, allow_head=False)
    app.router.add_get(f"{BASE}/sign-in", show_sign_in, allow_head=False)
    app.router.add_post(f"{BASE}/sign-in", sign_in)
    app.router.add_post(f"{BASE}/sign-out", sign_out)
    app.router.add_get(f"{BASE}/logs", audit_logs, allow_head=False)
    app.router.add_get(f"{BASE}/errors/{{request_id}}", error_details, allow_head=False)
    app.router.add_get(f"{BASE}/users", all_users, allow_head=False)
    app.router.add_get(f"{BASE}/users/{{code}}", user_statistics, allow_head=False)
    app.router.add_get(f"{BASE}/endpoints", all_endpoints, allow_head=False)
    app.router.add_get(f"{BASE}/endpoint", endpoint_statistics, allow_head=False)
