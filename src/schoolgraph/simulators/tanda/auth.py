"""OAuth2 for the simulated Tanda API (tanda.md §2) and who the caller is (§3.6).

* Password grant: `username` (a user's email, matched case-insensitively) and `password`;
  the token never expires (§2.3). The admin logs in with `credentials.tanda_admin_password`;
  every other active Tanda user with an email logs in with `user_password(world, user)`:
  the first 16 hex digits of HMAC-SHA256(key = admin password, message = "tanda-user:<id>").
* Authorization-code grant (§2.1): `GET /api/oauth/authorize` shows a login form, `POST` to
  the same path with the user's email and password redirects to the registered redirect URI
  with `?code=` (and `state` echoed). Codes are single use and live 10 minutes. The token
  lives `expires_in` = 7200 s (or the `token_lifetime_seconds` fault) and comes with a
  refresh token that works exactly once (§2.2: rotating).
* Token endpoint errors (doc-silent, §2.2) use the only documented shape with the RFC 6749
  code as the message: `{"error": "invalid_grant"}` (400), `{"error": "invalid_client"}`
  (401), `invalid_request`, `invalid_scope`, `unsupported_grant_type` (400).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Literal
from urllib.parse import urlencode

from aiohttp import web

from ..dataset import TandaUser, World
from .errors import TandaError, json_response

# tanda.md §2.6, in the doc's order.
SCOPES: tuple[str, ...] = (
    "me",
    "roster",
    "timesheet",
    "department",
    "user",
    "cost",
    "leave",
    "unavailability",
    "datastream",
    "device",
    "qualifications",
    "settings",
    "organisation",
    "sms",
    "personal",
    "financial",
    "communication",
    "platform",
)
AUTH_CODE_LIFETIME = timedelta(minutes=10)
OAUTH_TOKEN_LIFETIME = 7200  # tanda.md §2.1: "expires_in": 7200
# tanda.md §3.6 / §4.1: the permission levels, in the doc's order.
PERMISSIONS: tuple[str, ...] = (
    "organisation_admin",
    "payroll_officer",
    "roster_manager",
    "manager",
    "employee",
    "partner",
)

Grant = Literal["password", "authorization_code"]


def user_password(world: World, user: TandaUser) -> str:
    """The demo password of a Tanda user (see the module docstring)."""
    admin_password = world.credentials.tanda_admin_password
    if user.is_admin and user.email == world.credentials.tanda_admin_email:
        return admin_password
    message = f"tanda-user:{user.id}".encode()
    return hmac.new(admin_password.encode(), message, hashlib.sha256).hexdigest()[:16]


def find_login(world: World, email: str, password: str) -> TandaUser | None:
    """The active user whose email (case-insensitive) and password match, if any."""
    wanted = email.strip().lower()
    for user_id in sorted(world.tanda_users):
        user = world.tanda_users[user_id]
        if user.email is None or user.email.lower() != wanted or not user.active:
            continue
        if hmac.compare_digest(user_password(world, user).encode(), password.encode()):
            return user
    return None


def parse_scopes(text: str | None) -> tuple[str, ...] | None:
    """Space-separated scopes in request order, or None when any is unknown or none given."""
    if text is None:
        return None
    scopes = tuple(dict.fromkeys(part for part in text.replace("+", " ").split() if part))
    if not scopes or any(scope not in SCOPES for scope in scopes):
        return None
    return scopes


@dataclass(slots=True)
class AccessToken:
    value: str
    user_id: int
    scopes: tuple[str, ...]
    grant: Grant
    client_id: str | None
    created_at: datetime
    expires_at: datetime | None  # None: password tokens never expire (§2.3)


@dataclass(slots=True)
class RefreshGrant:
    user_id: int
    scopes: tuple[str, ...]
    client_id: str


@dataclass(slots=True)
class AuthCode:
    user_id: int
    scopes: tuple[str, ...]
    client_id: str
    redirect_uri: str
    expires_at: datetime


class TokenStore:
    """Issued access tokens, refresh tokens and authorization codes (in memory)."""

    def __init__(self, clock: Callable[[], datetime], lifetime: Callable[[], int]) -> None:
        self._clock = clock
        self._lifetime = lifetime
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshGrant] = {}
        self.codes: dict[str, AuthCode] = {}

    def clear(self) -> None:
        self.access.clear()
        self.refresh.clear()
        self.codes.clear()

    def issue_password_token(self, user: TandaUser, scopes: tuple[str, ...]) -> AccessToken:
        token = AccessToken(
            secrets.token_hex(32), user.id, scopes, "password", None, self._clock(), None
        )
        self.access[token.value] = token
        return token

    def issue_oauth_token(
        self, user_id: int, scopes: tuple[str, ...], client_id: str
    ) -> tuple[AccessToken, str]:
        now = self._clock()
        token = AccessToken(
            secrets.token_hex(32),
            user_id,
            scopes,
            "authorization_code",
            client_id,
            now,
            now + timedelta(seconds=self._lifetime()),
        )
        refresh = secrets.token_hex(32)
        self.access[token.value] = token
        self.refresh[refresh] = RefreshGrant(user_id, scopes, client_id)
        return token, refresh

    def issue_code(
        self, user_id: int, scopes: tuple[str, ...], client_id: str, redirect_uri: str
    ) -> str:
        code = secrets.token_hex(20)
        self.codes[code] = AuthCode(
            user_id, scopes, client_id, redirect_uri, self._clock() + AUTH_CODE_LIFETIME
        )
        return code

    def now(self) -> datetime:
        return self._clock()

    def lookup(self, value: str) -> AccessToken:
        """The live token, or a 401 (unknown, revoked or expired)."""
        token = self.access.get(value)
        if token is None:
            raise TandaError(401, "The access token is invalid.")
        if token.expires_at is not None and self._clock() >= token.expires_at:
            raise TandaError(401, "The access token has expired.")
        return token


class Principal:
    """The authenticated user and token, with the visibility rules of tanda.md §3.6."""

    def __init__(self, world: World, user: TandaUser, token: AccessToken) -> None:
        self.world = world
        self.user = user
        self.token = token

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin

    @property
    def requester(self) -> tuple[object, ...]:
        """tanda.md §3.1: password tokens share the user's bucket; OAuth is app + user."""
        if self.token.grant == "password":
            return ("password", self.user.id)
        return ("oauth", self.token.client_id, self.user.id)

    def has(self, scope: str) -> bool:
        return scope in self.token.scopes

    def require(self, scope: str) -> None:
        """403 when the token lacks `scope` (tanda.md §2.4 recommendation)."""
        if scope not in self.token.scopes:
            raise TandaError(
                403, f"This request needs the {scope} scope, which the access token lacks."
            )

    def require_cost(self, *flags: bool) -> None:
        """`show_costs`, `show_wages` and friends additionally need `cost` (tanda.md §2.6)."""
        if any(flags):
            self.require("cost")

    @cached_property
    def managed_team_ids(self) -> frozenset[int]:
        if self.is_admin:
            return frozenset(self.world.teams)
        return frozenset(t for t in self.user.managed_department_ids if t in self.world.teams)

    @cached_property
    def managed_user_ids(self) -> frozenset[int]:
        """Members of the teams this user manages (everyone for an admin)."""
        if self.is_admin:
            return frozenset(self.world.tanda_users)
        members: set[int] = set()
        for team_id in self.managed_team_ids:
            members.update(self.world.teams[team_id].user_ids)
        return frozenset(members)

    @property
    def is_manager(self) -> bool:
        return self.is_admin or bool(self.managed_team_ids)

    def can_manage_user(self, user_id: int | None) -> bool:
        """Admins manage everyone; team managers manage the staff of their teams (§3.6)."""
        return self.is_admin or (user_id is not None and user_id in self.managed_user_ids)

    def can_see_user(self, user_id: int | None) -> bool:
        return user_id == self.user.id or self.is_admin or user_id in self.managed_user_ids

    def visible_user_ids(self, candidates: Iterable[int]) -> list[int]:
        return [u for u in candidates if self.can_see_user(u)]

    @property
    def permissions(self) -> list[str]:
        held = {"employee"}
        if self.is_admin:
            held.add("organisation_admin")
        if self.user.managed_department_ids or self.is_admin:
            held.add("manager")
        return [p for p in PERMISSIONS if p in held]


# --------------------------------------------------------------------------- token endpoint


def _oauth_error(status: int, code: str) -> web.Response:
    return json_response({"error": code}, status)


async def _form(request: web.Request) -> dict[str, str]:
    """Form fields from multipart (the doc's `curl -F`), urlencoded or a JSON object."""
    if request.content_type == "application/json":
        try:
            data = await request.json()
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    form = await request.post()
    return {k: v for k, v in form.items() if isinstance(v, str)}


class OAuthEndpoints:
    """`/api/oauth/token` and `/api/oauth/authorize` over a token store and the live world."""

    def __init__(self, world: Callable[[], World], tokens: TokenStore) -> None:
        self._world = world
        self.tokens = tokens

    def _client_ok(self, client_id: str | None, client_secret: str | None) -> bool:
        credentials = self._world().credentials
        return (
            client_id is not None
            and client_secret is not None
            and hmac.compare_digest(client_id, credentials.tanda_client_id)
            and hmac.compare_digest(
                client_secret.encode(), credentials.tanda_client_secret.encode()
            )
        )

    async def token(self, request: web.Request) -> web.Response:
        """POST /api/oauth/token: password, authorization_code and refresh_token grants."""
        form = await _form(request)
        grant = form.get("grant_type")
        if not grant:
            return _oauth_error(400, "invalid_request")
        if grant == "password":
            return self._password_grant(form)
        if grant == "authorization_code":
            return self._code_grant(form)
        if grant == "refresh_token":
            return self._refresh_grant(form)
        return _oauth_error(400, "unsupported_grant_type")

    def _password_grant(self, form: dict[str, str]) -> web.Response:
        username, password = form.get("username"), form.get("password")
        if not username or password is None:
            return _oauth_error(400, "invalid_request")
        scopes = parse_scopes(form.get("scope"))
        if scopes is None:
            return _oauth_error(400, "invalid_scope")
        user = find_login(self._world(), username, password)
        if user is None:
            return _oauth_error(400, "invalid_grant")
        token = self.tokens.issue_password_token(user, scopes)
        # tanda.md §2.3: no expires_in, no refresh_token.
        return json_response(
            {
                "access_token": token.value,
                "token_type": "bearer",
                "scope": " ".join(token.scopes),
                "created_at": int(token.created_at.timestamp()),
            }
        )

    def _oauth_token_response(self, token: AccessToken, refresh: str) -> web.Response:
        expires_in = (
            0
            if token.expires_at is None
            else round((token.expires_at - token.created_at).total_seconds())
        )
        return json_response(
            {
                "access_token": token.value,
                "token_type": "bearer",
                "expires_in": expires_in,
                "refresh_token": refresh,
                "scope": " ".join(token.scopes),
                "created_at": int(token.created_at.timestamp()),
            }
        )

    def _code_grant(self, form: dict[str, str]) -> web.Response:
        if not self._client_ok(form.get("client_id"), form.get("client_secret")):
            return _oauth_error(401, "invalid_client")
        code = self.tokens.codes.pop(form.get("code") or "", None)  # single use
        world = self._world()
        if (
            code is None
            or code.client_id != form.get("client_id")
            or code.redirect_uri != form.get("redirect_uri")
            or self.tokens.now() >= code.expires_at
            or code.user_id not in world.tanda_users
        ):
            return _oauth_error(400, "invalid_grant")
        token, refresh = self.tokens.issue_oauth_token(code.user_id, code.scopes, code.client_id)
        return self._oauth_token_response(token, refresh)

    def _refresh_grant(self, form: dict[str, str]) -> web.Response:
        if not self._client_ok(form.get("client_id"), form.get("client_secret")):
            return _oauth_error(401, "invalid_client")
        value = form.get("refresh_token") or ""
        grant = self.tokens.refresh.get(value)
        if grant is None or grant.client_id != form.get("client_id"):
            return _oauth_error(400, "invalid_grant")
        del self.tokens.refresh[value]  # rotating: the old refresh token stops working
        if grant.user_id not in self._world().tanda_users:
            return _oauth_error(400, "invalid_grant")
        token, refresh = self.tokens.issue_oauth_token(grant.user_id, grant.scopes, grant.client_id)
        return self._oauth_token_response(token, refresh)

    # -- authorize (the browser step of §2.1) ------------------------------------------------

    def _check_client(self, params: dict[str, str]) -> None:
        credentials = self._world().credentials
        if params.get("client_id") != credentials.tanda_client_id:
            raise TandaError(400, "Unknown client_id; register the application first.")
        if params.get("redirect_uri") != credentials.tanda_redirect_uri:
            raise TandaError(400, "The redirect_uri does not match the application's.")

    @staticmethod
    def _redirect(redirect_uri: str, params: dict[str, str]) -> web.Response:
        separator = "&" if "?" in redirect_uri else "?"
        response = web.Response(status=302)
        response.headers["Location"] = f"{redirect_uri}{separator}{urlencode(params)}"
        return response

    def _error_redirect(self, params: dict[str, str], error: str) -> web.Response:
        out = {"error": error}
        if params.get("state"):
            out["state"] = params["state"]
        return self._redirect(params["redirect_uri"], out)

    async def authorize_form(self, request: web.Request) -> web.Response:
        """GET /api/oauth/authorize: the login page a browser is sent to."""
        params = dict(request.query)
        self._check_client(params)
        if params.get("response_type") != "code":
            return self._error_redirect(params, "unsupported_response_type")
        if parse_scopes(params.get("scope")) is None:
            return self._error_redirect(params, "invalid_scope")
        return _login_page(params, message=None, status=200)

    async def authorize_submit(self, request: web.Request) -> web.Response:
        """POST /api/oauth/authorize: log in and approve (or deny) the application."""
        params = await _form(request)
        self._check_client(params)
        if params.get("response_type") != "code":
            return self._error_redirect(params, "unsupported_response_type")
        scopes = parse_scopes(params.get("scope"))
        if scopes is None:
            return self._error_redirect(params, "invalid_scope")
        if params.get("decision") == "deny":
            return self._error_redirect(params, "access_denied")
        user = find_login(self._world(), params.get("email", ""), params.get("password", ""))
        if user is None:
            return _login_page(params, message="Wrong email or password.", status=401)
        code = self.tokens.issue_code(user.id, scopes, params["client_id"], params["redirect_uri"])
        out = {"code": code}
        if params.get("state"):
            out["state"] = params["state"]
        return self._redirect(params["redirect_uri"], out)


_CARRIED = ("client_id", "redirect_uri", "scope", "response_type", "state")


def _login_page(params: dict[str, str], *, message: str | None, status: int) -> web.Response:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
        for name in _CARRIED
        if params.get(name)
    )
    notice = f'<p role="alert">{html.escape(message)}</p>' if message else ""
    scope = html.escape(params.get("scope", ""))
    page = (
        '<!doctype html><html><head><meta charset="utf-8"><title>Authorise application'
        "</title></head><body><h1>Authorise application</h1>"
        f"<p>The application asks for: {scope}</p>{notice}"
        f'<form method="post" action="/api/oauth/authorize">{hidden}'
        '<label>Email <input name="email" type="email"></label>'
        '<label>Password <input name="password" type="password"></label>'
        '<button name="decision" value="allow">Authorise</button>'
        '<button name="decision" value="deny">Deny</button></form></body></html>'
    )
    return web.Response(text=page, status=status, content_type="text/html")
