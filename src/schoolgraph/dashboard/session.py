"""Who is signed in to the dashboard: a bearer token in an HttpOnly, SameSite=Strict cookie.

Signing in trades an admin account's key and secret for the same 15-minute bearer token
``POST /auth/token`` issues; every page checks it with the account service as the graph does,
so a disabled account, a deleted key or a removed admin flag takes effect on the next page.
Forms that change state carry a CSRF token: the sign-in form a random one, double-submitted
in a cookie; signed-in forms one derived from the session token, which never reaches a page.

Every refusal (no session, an expired or revoked one, an account without the admin flag, a
form without its CSRF token, an error of ours on a page) names its error in
``request[REFUSAL]``, so its audit record carries a stable code and the message the person
saw, never a secret, token or cookie.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiMapping

from schoolgraph.accounts.models import Caller
from schoolgraph.accounts.service import TOKEN_EXPIRED
from schoolgraph.accounts.web import ACCOUNTS, CALLER
from schoolgraph.audit.facts import REFUSAL
from schoolgraph.dashboard.layout import BASE, page, redirect
from schoolgraph.dashboard.markup import el
from schoolgraph.errors import (
    BadRequestError,
    ForbiddenError,
    SchoolgraphError,
    UnauthenticatedError,
)

__all__ = [
    "FORM_COOKIE",
    "REASONS",
    "SESSION_COOKIE",
    "AdminHandler",
    "AdminSession",
    "admin_page",
    "csrf_for",
    "local_target",
    "not_an_admin",
    "read_form",
    "refuse",
    "sign_in_location",
]

SESSION_COOKIE = "schoolgraph_admin"
FORM_COOKIE = "schoolgraph_admin_form"
SIGN_IN = f"{BASE}/sign-in"

REASONS = {
    "required": "Sign in with an administrator's key and secret to open the dashboard.",
    "expired": "Your session has expired (a session lasts 15 minutes); sign in again.",
    "invalid": (
        "Your session is no longer valid: the account was disabled or its key deleted. "
        "Sign in again."
    ),
    "signed-out": "You have signed out.",
}
"""Why the sign-in page is shown; the query string names a reason, never the text."""


@dataclass(frozen=True, slots=True)
class AdminSession:
    """A signed-in administrator; ``repr`` never shows the token."""

    account: str
    name: str
    csrf: str
    token: str = field(repr=False)


AdminHandler = Callable[[web.Request, AdminSession], Awaitable[web.StreamResponse]]


def csrf_for(token: str) -> str:
    """The CSRF token of a session: an HMAC keyed by the session's token, so pages can carry
    it without revealing the token itself."""
    return hmac.new(token.encode(), b"schoolgraph admin form", hashlib.sha256).hexdigest()


def local_target(value: str | None) -> str:
    """Where to go after signing in: a dashboard path, never another site."""
    if value and (value == BASE or value.startswith(f"{BASE}/")) and "//" not in value:
        return value
    return BASE


def sign_in_location(reason: str, target: str | None = None) -> str:
    query = {"reason": reason}
    if target is not None and local_target(target) != BASE:
        query["next"] = target
    return f"{SIGN_IN}?{urlencode(query)}"


def refuse(request: web.Request, error: SchoolgraphError) -> None:
    """Name why ``request`` is refused, for its audit record: the response is a page or a
    redirect, which holds no error code the audit log could read."""
    request[REFUSAL] = error


async def read_form(request: web.Request) -> MultiMapping[object]:
    """The request's form fields.

    Raises:
        BadRequestError: the body is not a form aiohttp can read (a multipart body without
            its boundary, bytes that are not in the form's charset, an unknown charset).
    """
    try:
        return await request.post()
    except (ValueError, LookupError):
        # aiohttp's own words would quote the request; a fixed sentence quotes nothing.
        raise BadRequestError(
            "The form could not be read: its body is not a form in a known encoding."
        ) from None


def not_an_admin(request: web.Request, caller: Caller) -> web.Response:
    """The clear refusal for an account without the admin flag."""
    error = ForbiddenError(
        f"The account {caller.account} ({caller.name}) is not an administrator, so it "
        "cannot open the dashboard."
    )
    refuse(request, error)
    return page(
        "Not an administrator",
        el(
            "p",
            f"{error.message} Sign in with an account that has the admin flag "
            f"(schoolgraph accounts update {caller.account} --admin gives it one).",
            class_="problem",
        ),
        el("p", el("a", "Sign in with another account", href=SIGN_IN)),
        session=None,
        status=error.http_status,
    )


def _signed_out(request: web.Request, reason: str) -> web.Response:
    # The sign-in page this redirects to tells the person why; the record says it too.
    refuse(request, UnauthenticatedError(REASONS[reason]))
    target = request.path_qs if request.method == "GET" else None
    response = redirect(sign_in_location(reason, target))
    if SESSION_COOKIE in request.cookies:
        response.del_cookie(SESSION_COOKIE, path=BASE)
    return response


async def current_session(request: web.Request) -> AdminSession | Caller | str:
    """The request's admin session; else the non-admin :class:`Caller` it belongs to, or the
    reason (a key of :data:`REASONS`) it has none."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return "required"
    try:
        caller = await request.app[ACCOUNTS].caller(token)
    except UnauthenticatedError as error:
        return "expired" if error.message == TOKEN_EXPIRED else "invalid"
    request[CALLER] = caller  # the audit log names who looked
    if not caller.admin or caller.account is None:
        return caller
    return AdminSession(caller.account, caller.name, csrf_for(token), token)


def admin_page(handler: AdminHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Serve ``handler`` to signed-in administrators only; anyone else goes to sign in (or,
    signed in without the admin flag, gets a 403 page). Errors of ours become a page with
    their message and status."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        session = await current_session(request)
        if isinstance(session, str):
            return _signed_out(request, session)
        if isinstance(session, Caller):
            return not_an_admin(request, session)
        try:
            return await handler(request, session)
        except SchoolgraphError as error:
            refuse(request, error)
            return page(
                "Cannot show this page",
                el("p", error.message, class_="problem"),
                session=session,
                status=error.http_status,
            )

    return guarded
