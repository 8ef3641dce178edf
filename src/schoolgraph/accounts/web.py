"""The HTTP side of accounts: who a GraphQL request is, ``POST /auth/token``, key-share links.

- :func:`authentication_middleware` gives every ``/graphql`` request its :class:`Caller`
  (``request[CALLER]``): the account of its bearer token, else anonymous where anonymous
  access is on, else a 401. GraphiQL's page (a GET without a query) needs no token and gets
  :data:`NOBODY`, who may read nothing.
- ``POST /auth/token`` takes ``{"key": ..., "secret": ...}`` and answers
  ``{"access_token": ..., "token_type": "Bearer", "expires_in": 900}``.
- ``GET /keys?link=<id>`` is the emailed key-share link: a page asking for the passphrase;
  ``POST`` (form field or JSON ``passphrase``) shows the key and secret, once. The link id
  travels in the query string, which the access log never writes. Browsers get HTML, other
  clients (``Accept: application/json``) JSON.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from schoolgraph.accounts import hashing
from schoolgraph.accounts.models import ANONYMOUS, NOBODY, Caller
from schoolgraph.accounts.service import AccountService
from schoolgraph.audit.facts import REFUSAL
from schoolgraph.errors import BadRequestError, SchoolgraphError, UnauthenticatedError
from schoolgraph.middlewares import error_response, json_dumps_compact

__all__ = [
    "ACCOUNTS",
    "AUTHENTICATOR",
    "CALLER",
    "KEYS_PATH",
    "TOKEN_PATH",
    "Authenticator",
    "add_account_routes",
    "authentication_middleware",
    "display_time",
]

ACCOUNTS = web.AppKey("accounts", AccountService)
CALLER = web.RequestKey("caller", Caller)

TOKEN_PATH = "/auth/token"  # noqa: S105 - a route, not a credential
KEYS_PATH = "/keys"
GRAPHQL_PATH = "/graphql"

_NO_STORE = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",
}
_PAGE_HEADERS = {
    **_NO_STORE,
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


def display_time(value: datetime) -> str:
    """The seed's Link Expiry format, ``DD/MM/YYYY HH:MM AM/PM``, in UTC."""
    return value.strftime("%d/%m/%Y %I:%M %p") + " UTC"


@dataclass(frozen=True, slots=True)
class Authenticator:
    """Turns a request's ``Authorization`` header into its :class:`Caller`."""

    service: AccountService
    anonymous: bool

    async def caller(self, request: web.Request) -> Caller:
        return await self.caller_for(request.headers.get("Authorization"))

    async def caller_for(self, header: str | None) -> Caller:
        """The caller of an ``Authorization`` value (from a header, or a WebSocket's
        ``connection_init`` payload); None when there is none."""
        if header is None:
            if self.anonymous:
                return ANONYMOUS
            raise UnauthenticatedError(
                f"This gateway needs a bearer token: POST your key and secret to {TOKEN_PATH}, "
                "then send 'Authorization: Bearer <token>'."
            )
        return await self.service.caller(_bearer_token(header))

    async def expires_at(self, header: str | None) -> datetime | None:
        """When the bearer token of an ``Authorization`` value expires, by :meth:`now`; None
        without a token. A long-lived connection (a WebSocket) ends itself then, rather than
        wait for its next message to find out."""
        if header is None:
            return None
        record = await self.service.store.token(hashing.digest(_bearer_token(header)))
        return record.expires_at if record is not None else None

    def now(self) -> datetime:
        """The accounts' clock, which token expiry is measured by."""
        return self.service.clock()


def _bearer_token(header: str) -> str:
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthenticatedError("The Authorization header must be 'Bearer <token>'.")
    return token.strip()


AUTHENTICATOR = web.AppKey("authenticator", Authenticator)


def _challenge(*, token_given: bool) -> dict[str, str]:
    # RFC 6750 §3: a 401 names the scheme; "invalid_token" only when a token was given.
    detail = ', error="invalid_token"' if token_given else ""
    return {"WWW-Authenticate": f'Bearer realm="schoolgraph"{detail}'}


@web.middleware
async def authentication_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Set ``request[CALLER]`` on ``/graphql`` requests, or answer 401 with a challenge."""
    # A method /graphql does not take is the router's 405, whoever asks.
    if request.path == GRAPHQL_PATH and request.match_info.http_exception is None:
        # GraphiQL's page is a GET with neither a query nor a persisted-query hash
        # (APQ over GET sends only `extensions`); those need a caller like any query.
        if request.method == "GET" and not {"query", "extensions"} & request.query.keys():
            request[CALLER] = NOBODY
        else:
            try:
                request[CALLER] = await request.app[AUTHENTICATOR].caller(request)
            except UnauthenticatedError as error:
                given = "Authorization" in request.headers
                return error_response(error, headers=_challenge(token_given=given))
    return await handler(request)


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json(loads=json.loads)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequestError("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadRequestError("The request body must be a JSON object.")
    return body


def _string(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise BadRequestError(f"The request body needs '{name}', a non-empty string.")
    return value


async def issue_token(request: web.Request) -> web.StreamResponse:
    """``POST /auth/token``: a bearer token for a key and secret."""
    body = await _json_object(request)
    try:
        issued = await request.app[ACCOUNTS].issue_token(
            _string(body, "key"), _string(body, "secret")
        )
    except UnauthenticatedError as error:
        return error_response(error, headers=_challenge(token_given=False))
    # The account the token was issued to, for the audit record of this sign-in.
    request[CALLER] = await request.app[AUTHENTICATOR].caller_for(f"Bearer {issued.token}")
    return web.json_response(
        {"access_token": issued.token, "token_type": "Bearer", "expires_in": issued.expires_in},
        headers=_NO_STORE,
        dumps=json_dumps_compact,
    )


# -- the key-share link ---------------------------------------------------------------------


def _wants_json(request: web.Request) -> bool:
    if request.content_type == "application/json":
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def _link_id(request: web.Request) -> str:
    link_id = request.query.get("link", "").strip()
    if not link_id:
        raise BadRequestError("The key-share link has no 'link' parameter; use the emailed link.")
    return link_id


def _page(title: str, body: str, status: int = 200) -> web.Response:
    document = (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;"
        "max-width:40em;margin:3em auto;padding:0 1em}code{font-size:1.1em;"
        "word-break:break-all}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )
    return web.Response(
        text=document, content_type="text/html", status=status, headers=_PAGE_HEADERS
    )


def _problem(request: web.Request, error: SchoolgraphError) -> web.Response:
    if _wants_json(request):
        response = error_response(error)
        response.headers.update(_NO_STORE)
        return response
    # The page holds no error code the audit log could read: name the refusal for its record
    # (the message is the one shown, never the passphrase).
    request[REFUSAL] = error
    return _page("Key and secret", f"<p>{html.escape(error.message)}</p>", error.http_status)


async def key_link_page(request: web.Request) -> web.StreamResponse:
    """``GET /keys?link=``: the passphrase form (or its state, as JSON)."""
    try:
        view = await request.app[ACCOUNTS].link(_link_id(request))
    except SchoolgraphError as error:
        return _problem(request, error)
    if _wants_json(request):
        return web.json_response(
            {
                "userName": view.user_name,
                "linkExpiresAt": view.link_expires_at.isoformat(),
                "attemptsLeft": view.attempts_left,
            },
            headers=_NO_STORE,
            dumps=json_dumps_compact,
        )
    return _page(
        "View your key and secret",
        f"<p>Hi {html.escape(view.user_name)}. Enter the passphrase the school shared with you "
        "to view your key and secret. You can view them once: store them securely.</p>"
        f"<p>This link expires at {html.escape(display_time(view.link_expires_at))}; "
        f"{view.attempts_left} attempt{'s' if view.attempts_left != 1 else ''} left.</p>"
        "<form method='post'><label>Passphrase "
        "<input type='password' name='passphrase' autocomplete='off' required></label> "
        "<button type='submit'>View</button></form>",
    )


async def key_link_reveal(request: web.Request) -> web.StreamResponse:
    """``POST /keys?link=``: the key and secret, once, for the right passphrase."""
    try:
        link_id = _link_id(request)
        if request.content_type == "application/json":
            passphrase = _string(await _json_object(request), "passphrase")
        else:
            form = await request.post()
            value = form.get("passphrase")
            if not isinstance(value, str) or not value:
                raise BadRequestError("Enter the passphrase the school shared with you.")
            passphrase = value
        credentials = await request.app[ACCOUNTS].reveal(link_id, passphrase)
    except SchoolgraphError as error:
        return _problem(request, error)
    if _wants_json(request):
        return web.json_response(
            {"key": credentials.key, "secret": credentials.secret},
            headers=_NO_STORE,
            dumps=json_dumps_compact,
        )
    return _page(
        "Your key and secret",
        "<p>Store them securely now: this page will not show them again.</p>"
        f"<p>Key: <code>{html.escape(credentials.key)}</code></p>"
        f"<p>Secret: <code>{html.escape(credentials.secret)}</code></p>"
        f"<p>Trade them for a bearer token (valid for a limited time) with "
        f"<code>POST {TOKEN_PATH}</code> and the JSON body "
        "<code>{&quot;key&quot;: ..., &quot;secret&quot;: ...}</code>.</p>",
    )


def add_account_routes(app: web.Application) -> None:
    """Serve ``POST /auth/token`` and the key-share link pages."""
    app.router.add_post(TOKEN_PATH, issue_token)
    app.router.add_get(KEYS_PATH, key_link_page, allow_head=False)
    app.router.add_post(KEYS_PATH, key_link_reveal)
