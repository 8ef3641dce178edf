"""The sign-in page (an admin account's key and secret) and signing out."""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web
from multidict import MultiMapping

from schoolgraph.accounts.models import Caller
from schoolgraph.accounts.web import ACCOUNTS, CALLER, TOKEN_PATH
from schoolgraph.dashboard.layout import BASE, page, redirect
from schoolgraph.dashboard.markup import el
from schoolgraph.dashboard.session import (
    FORM_COOKIE,
    REASONS,
    SESSION_COOKIE,
    AdminSession,
    csrf_for,
    current_session,
    local_target,
    not_an_admin,
    read_form,
    refuse,
    sign_in_location,
)
from schoolgraph.errors import (
    BadRequestError,
    ForbiddenError,
    SchoolgraphError,
    UnauthenticatedError,
)

__all__ = ["show_sign_in", "sign_in", "sign_out"]


def _field(form: MultiMapping[object], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _sign_in_page(
    request: web.Request,
    *,
    message: str | None,
    problem: bool = False,
    target: str | None = None,
    status: int = 200,
) -> web.Response:
    """The form, with ``message`` above it."""
    form_token = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(32)
    notice = el("p", message, class_="problem" if problem else "notice", role="status")
    form = el(
        "form",
        el("input", type="hidden", name="csrf", value=form_token),
        el("input", type="hidden", name="next", value=local_target(target)),
        el(
            "p",
            el("label", "API key", for_="key"),
            el("input", id="key", name="key", type="text", autocomplete="username", required=True),
        ),
        el(
            "p",
            el("label", "Secret", for_="secret"),
            el(
                "input",
                id="secret",
                name="secret",
                type="password",
                autocomplete="current-password",
                required=True,
            ),
        ),
        el("button", "Sign in", type="submit"),
        method="post",
        action=f"{BASE}/sign-in",
    )
    help_text = el(
        "p",
        "Use the key and secret of an account with the admin flag: the credentials ",
        el("code", f"POST {TOKEN_PATH}"),
        " takes. A session lasts 15 minutes.",
    )
    response = page(
        "Sign in",
        el("div", message and notice, el("section", form, help_text), class_="signin"),
        session=None,
        status=status,
    )
    response.set_cookie(
        FORM_COOKIE,
        form_token,
        path=BASE,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )
    return response


async def show_sign_in(request: web.Request) -> web.StreamResponse:
    """``GET /admin/sign-in``: the form, with why it is shown."""
    session = await current_session(request)
    if isinstance(session, AdminSession):
        return redirect(local_target(request.query.get("next")))
    reason = request.query.get("reason", "required")
    return _sign_in_page(
        request, message=REASONS.get(reason, REASONS["required"]), target=request.query.get("next")
    )


def _refused(
    request: web.Request, error: SchoolgraphError, target: str | None = None
) -> web.Response:
    """The form again, saying why the last attempt was refused (and so does the record)."""
    refuse(request, error)
    return _sign_in_page(
        request, message=error.message, problem=True, target=target, status=error.http_status
    )


async def sign_in(request: web.Request) -> web.StreamResponse:
    """``POST /admin/sign-in``: a session for an admin account's key and secret."""
    try:
        form = await read_form(request)
    except BadRequestError as error:
        return _refused(request, error)
    target = _field(form, "next")
    expected = request.cookies.get(FORM_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, _field(form, "csrf")):
        forged = ForbiddenError(
            "The sign-in form had expired or came from another page; try again."
        )
        return _refused(request, forged, target)
    key, secret = _field(form, "key").strip(), _field(form, "secret")
    if not key or not secret:
        return _refused(request, BadRequestError("Enter the key and the secret."), target)
    accounts = request.app[ACCOUNTS]
    try:
        issued = await accounts.issue_token(key, secret)
        caller: Caller = await accounts.caller(issued.token)
    except UnauthenticatedError as error:
        # Recorded under no account, as a refused POST /auth/token is: the key is not one
        # the account has proved it holds.
        return _refused(request, error, target)
    request[CALLER] = caller  # the audit log names who signed in
    if not caller.admin:
        await accounts.revoke_token(issued.token)
        return not_an_admin(request, caller)
    response = redirect(local_target(target))
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=issued.expires_in,
        path=BASE,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )
    response.del_cookie(FORM_COOKIE, path=BASE)
    return response


async def sign_out(request: web.Request) -> web.StreamResponse:
    """``POST /admin/sign-out``: end the session's token and forget the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    try:
        form = await read_form(request)
        if token and not hmac.compare_digest(csrf_for(token), _field(form, "csrf")):
            raise ForbiddenError("The sign-out form came from another page; nothing changed.")
    except SchoolgraphError as error:
        refuse(request, error)
        return page(
            "Sign out",
            el("p", error.message, class_="problem"),
            session=None,
            status=error.http_status,
        )
    if token:
        await request.app[ACCOUNTS].revoke_token(token)
    response = redirect(sign_in_location("signed-out"))
    response.del_cookie(SESSION_COOKIE, path=BASE)
    return response
