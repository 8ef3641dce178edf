"""The aiohttp application: routes, and the middleware every contract request passes.

Order for a request (after the `/__sim/` control middleware's faults): authenticate
`/api/v2/` calls (401/403), count it against the requester's rate-limit window (429), run
the handler, then stamp `X-RateLimit-*` and `ETag` on whatever came back and turn a
matching `If-None-Match` into a bodiless 304 (tanda.md §3.1, §3.2). Unknown routes and
wrong methods are answered in the documented `{"error": ...}` shape too.

Reads are rendered on worker threads, side by side, as a real Tanda serves requests at once;
changes run alone (`..access`).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from aiohttp import web

from ..access import READ_METHODS, run_to_completion
from ..control import SimControl, WorldHolder
from . import leave, rosters, subscriptions, teams, timesheets, users
from .auth import OAuthEndpoints
from .errors import TandaError, error_response, etag_of
from .ratelimit import RateState
from .state import PRINCIPAL, STATE, TandaState
from .webhooks import DOCUMENTED_RETRY_DELAYS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_tanda_app(
    holder: WorldHolder,
    *,
    control: SimControl | None = None,
    webhook_retry_delays: Sequence[float] = DOCUMENTED_RETRY_DELAYS,
) -> web.Application:
    """Build the Tanda simulator over `holder`'s world.

    Args:
        holder: the shared world holder (`/__sim/reset` swaps its world).
        control: the control plane to install; one named "tanda" is made when omitted.
        webhook_retry_delays: seconds between delivery retries (tanda.md §4.15 by default).
    """
    control = control or SimControl("tanda", holder, error_response=error_response)
    app = web.Application(middlewares=[_middleware])
    state = TandaState(holder, control, webhook_retry_delays=webhook_retry_delays)
    app[STATE] = state
    app.cleanup_ctx.append(_lifecycle)
    oauth = OAuthEndpoints(lambda: holder.world, state.tokens)
    router = app.router
    router.add_post("/api/oauth/token", oauth.token)
    router.add_get("/api/oauth/authorize", oauth.authorize_form)
    router.add_post("/api/oauth/authorize", oauth.authorize_submit)

    v2 = "/api/v2"
    router.add_get(f"{v2}/users/me", users.me)
    router.add_get(f"{v2}/users/inactive", users.list_inactive)
    router.add_get(f"{v2}/users", users.list_users)
    router.add_post(f"{v2}/users", users.create_user)
    router.add_get(f"{v2}/users/{{id:\\d+}}", users.get_user)
    router.add_put(f"{v2}/users/{{id:\\d+}}", users.update_user)
    router.add_delete(f"{v2}/users/{{id:\\d+}}", users.delete_user)

    router.add_get(f"{v2}/departments", teams.list_departments)
    router.add_post(f"{v2}/departments", teams.create_department)
    router.add_get(f"{v2}/departments/{{id:\\d+}}", teams.get_department)
    router.add_put(f"{v2}/departments/{{id:\\d+}}", teams.update_department)
    router.add_delete(f"{v2}/departments/{{id:\\d+}}", teams.delete_department)
    router.add_get(f"{v2}/locations", teams.list_locations)
    router.add_get(f"{v2}/locations/{{id:\\d+}}", teams.get_location)

    router.add_get(f"{v2}/rosters/current", rosters.current_roster)
    router.add_get(f"{v2}/rosters/on/{{date}}", rosters.roster_on_date)
    router.add_get(f"{v2}/rosters/{{id:\\d+}}", rosters.get_roster)
    router.add_get(f"{v2}/schedules", rosters.list_schedules)
    router.add_post(f"{v2}/schedules", rosters.create_schedule)
    router.add_post(f"{v2}/schedules/publish", rosters.publish_schedules)
    router.add_get(f"{v2}/schedules/{{id:\\d+}}", rosters.get_schedule)
    router.add_put(f"{v2}/schedules/{{id:\\d+}}", rosters.update_schedule)
    router.add_delete(f"{v2}/schedules/{{id:\\d+}}", rosters.delete_schedule)

    router.add_get(f"{v2}/timesheets/current", timesheets.current_timesheets)
    router.add_get(f"{v2}/timesheets/on/{{date}}", timesheets.timesheets_on)
    router.add_get(f"{v2}/timesheets/for/{{user_id}}/current", timesheets.user_current_timesheet)
    router.add_get(f"{v2}/timesheets/for/{{user_id}}/on/{{date}}", timesheets.user_timesheet_on)
    router.add_get(f"{v2}/timesheets/{{id:\\d+}}", timesheets.get_timesheet)
    router.add_put(f"{v2}/timesheets/{{id:\\d+}}", timesheets.update_timesheet)
    router.add_get(f"{v2}/shifts", timesheets.list_shifts)
    router.add_post(f"{v2}/shifts", timesheets.create_shift)
    router.add_get(f"{v2}/shifts/{{id:\\d+}}", timesheets.get_shift)
    router.add_put(f"{v2}/shifts/{{id:\\d+}}", timesheets.update_shift)
    router.add_delete(f"{v2}/shifts/{{id:\\d+}}", timesheets.delete_shift)

    router.add_get(f"{v2}/leave", leave.list_leave)
    router.add_post(f"{v2}/leave", leave.create_leave)
    router.add_get(f"{v2}/leave/{{id:\\d+}}", leave.get_leave)
    router.add_put(f"{v2}/leave/{{id:\\d+}}", leave.update_leave)
    router.add_get(f"{v2}/leave_balances", leave.list_balances)
    router.add_post(f"{v2}/leave_balances", leave.create_balance)
    router.add_get(f"{v2}/leave_balances/{{id:\\d+}}", leave.get_balance)
    router.add_put(f"{v2}/leave_balances/{{id:\\d+}}", leave.update_balance)

    router.add_get(f"{v2}/webhooks", subscriptions.list_webhooks)
    router.add_post(f"{v2}/webhooks", subscriptions.create_webhook)
    router.add_get(f"{v2}/webhooks/{{id:\\d+}}", subscriptions.get_webhook)
    router.add_delete(f"{v2}/webhooks/{{id:\\d+}}", subscriptions.delete_webhook)

    control.install(app)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Listen to world changes and run the webhook worker while the app is up."""
    state = app[STATE]
    state.attach()
    await state.hub.start()
    try:
        yield
    finally:
        await state.hub.stop()
        state.detach()


@web.middleware
async def _middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith("/__sim/"):
        return await handler(request)
    state: TandaState = request.app[STATE]
    requester: tuple[object, ...] = ("address", request.remote or "")
    refused: TandaError | None = None
    if request.path.startswith("/api/v2/"):
        try:
            principal = state.authenticate(request)
        except TandaError as exc:
            refused = exc
        else:
            request[PRINCIPAL] = principal
            requester = principal.requester
    # tanda.md §3.1 limits "requests to the API"; the OAuth endpoints only report.
    api = not request.path.startswith("/api/oauth/")
    rate = state.limiter.hit(requester) if api else state.limiter.peek(requester)
    response: web.StreamResponse
    if rate.limited:
        response = error_response(429, "API rate limit exceeded!")  # tanda.md §3.1
    elif refused is not None:
        response = error_response(refused.status, refused.message)
    else:
        try:
            if request.method in READ_METHODS:
                response = await state.holder.access.read_on_thread(
                    run_to_completion,
                    functools.partial(handler, request),
                    f"{request.method} {request.path}",
                )
            else:
                response = await handler(request)
        except TandaError as exc:
            response = error_response(exc.status, exc.message)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = _route_error(request, exc)
    return _finish(request, response, rate)


def _route_error(request: web.Request, exc: web.HTTPException) -> web.Response:
    if exc.status == 404:
        return error_response(404, f"No route matches {request.method} {request.path}.")
    if exc.status == 405:
        return error_response(405, f"{request.method} is not allowed on {request.path}.")
    return error_response(exc.status, exc.reason)


def _finish(
    request: web.Request, response: web.StreamResponse, rate: RateState
) -> web.StreamResponse:
    """Stamp rate-limit headers and the ETag; answer a matching If-None-Match with 304."""
    rate.apply(response)
    if not isinstance(response, web.Response):
        return response
    body = response.body if isinstance(response.body, bytes) else b""
    tag = etag_of(body)
    response.headers["ETag"] = tag
    if (
        request.method in ("GET", "HEAD")
        and response.status == 200
        and _matches(request.headers.get("If-None-Match"), tag)
    ):
        not_modified = web.Response(status=304)
        not_modified.headers["ETag"] = tag
        rate.apply(not_modified)
        return not_modified
    return response


def _matches(header: str | None, tag: str) -> bool:
    """If-None-Match with or without quotes or `W/` (the doc's example has no quotes)."""
    if not header:
        return False
    bare = tag.strip('"')
    for candidate in header.split(","):
        value = candidate.strip().removeprefix("W/").strip('"')
        if value in ("*", bare):
            return True
    return False
