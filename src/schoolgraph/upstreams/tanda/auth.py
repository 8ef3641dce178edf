"""Tanda's OAuth2 lifecycles (tanda.md §2) behind the transport's `Auth` protocol.

* Password grant (§2.3): one token for the configured user; it never expires, so it is fetched
  once and replaced only when the API answers 401 (revoked).
* Authorization-code grant (§2.1, §2.2): the code is exchanged once; the access token
  (`expires_in` 7200 s) is refreshed `renew_ahead` seconds before it expires. Refresh tokens
  rotate: each refresh answers with a new one, which is saved to the `RefreshTokenStore`
  before the new access token is used. The store is in memory by default; a durable store
  (a database row, a secrets manager) implements the same two methods.

Renewal is single flight (`TokenSlot`): a burst of requests triggers one token call, and the
requests that were refused with the same token trigger one re-authentication between them.

Secrets (password, client secret, codes, access and refresh tokens) never appear in a repr, a
log line or an error message: token endpoint errors are reported by their RFC 6749 code only.

The rate-limit requester (§3.1) is the user for password tokens and the (OAuth application,
user) pair otherwise; `requester` names it without personal data, so clients acting as the
same user can share one `RateLimiter` bucket.
"""

from __future__ import annotations

import contextvars
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlencode

from ...cache.reads import fetching_credentials
from ...errors import UpstreamAuthError, UpstreamBadResponseError, UpstreamError
from ..http import Transport
from ..tokens import Token, TokenSlot
from .models import UPSTREAM

TOKEN_PATH = "/api/oauth/token"  # noqa: S105 (a path, not a secret)
AUTHORIZE_PATH = "/api/oauth/authorize"
DEFAULT_SCOPES: tuple[str, ...] = ("me", "user", "department", "roster", "timesheet", "leave")
_OAUTH_ERROR = re.compile(r"^[a-z_]{1,40}$")


# --------------------------------------------------------------------------- credentials


@dataclass(frozen=True, slots=True)
class PasswordGrant:
    """§2.3: a user's email and password (an integration with one's own account)."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class AuthorizationCodeGrant:
    """§2.1: an OAuth application acting for the user who authorised it.

    Give `code` (from the redirect after `authorization_url`) for the first start, or
    `refresh_token` (saved earlier) to resume; a `RefreshTokenStore` holding a token wins.
    `user_key` names the authorising user (an email or Tanda user id) for the rate-limit
    bucket and the cache tenant; it defaults to the application alone.
    """

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    code: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    user_key: str | None = None


Grant = PasswordGrant | AuthorizationCodeGrant


def authorization_url(
    base_url: str,
    grant: AuthorizationCodeGrant,
    scopes: tuple[str, ...] = DEFAULT_SCOPES,
    state: str | None = None,
) -> str:
    """Where to send the user's browser to authorise the application (§2.1 step 1)."""
    params = {
        "scope": " ".join(scopes),
        "client_id": grant.client_id,
        "redirect_uri": grant.redirect_uri,
        "response_type": "code",
    }
    if state is not None:
        params["state"] = state
    return f"{base_url.rstrip('/')}{AUTHORIZE_PATH}?{urlencode(params)}"


# --------------------------------------------------------------------------- refresh tokens


class RefreshTokenStore(Protocol):
    """Where the current (rotating) refresh token lives between refreshes and restarts."""

    async def load(self) -> str | None:
        """The newest refresh token, or None when there is none."""
        ...

    async def save(self, refresh_token: str) -> None:
        """Replace the refresh token; called before the new access token is used."""
        ...


class MemoryRefreshTokenStore:
    """The default store: one refresh token in memory, gone when the process ends."""

    __slots__ = ("_value",)

    def __init__(self, initial: str | None = None) -> None:
        self._value = initial

    async def load(self) -> str | None:
        return self._value

    async def save(self, refresh_token: str) -> None:
        self._value = refresh_token

    def __repr__(self) -> str:
        return f"MemoryRefreshTokenStore(holding={self._value is not None})"


def _digest(text: str) -> str:
    return hashlib.sha256(text.strip().lower().encode()).hexdigest()[:16]


def requester_of(grant: Grant) -> str:
    """The §3.1 rate-limit requester of a grant, free of personal data and secrets."""
    if isinstance(grant, PasswordGrant):
        return f"tanda:user:{_digest(grant.username)}"
    who = _digest(grant.user_key) if grant.user_key else "authorising-user"
    return f"tanda:app:{_digest(grant.client_id)}:user:{who}"


# --------------------------------------------------------------------------- the lifecycle

# The token a request presented, per task: after a 401 only the first of the requests that
# presented it renews the token (`TokenSlot.get(rejected=...)`).
_presented: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tanda_presented_token", default=None
)


class TandaAuth:
    """Bearer tokens for one Tanda grant: fetched, renewed ahead, refreshed after a 401."""

    def __init__(
        self,
        grant: Grant,
        transport: Transport,
        *,
        scopes: tuple[str, ...] = DEFAULT_SCOPES,
        renew_ahead: float = 300.0,
        store: RefreshTokenStore | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.grant = grant
        self.scopes = scopes
        self.requester = requester_of(grant)
        self._transport = transport
        self._clock = clock
        initial = grant.refresh_token if isinstance(grant, AuthorizationCodeGrant) else None
        self._store: RefreshTokenStore = store or MemoryRefreshTokenStore()
        self._initial_refresh = initial  # used when the store holds none
        self._code = grant.code if isinstance(grant, AuthorizationCodeGrant) else None
        self._slot = TokenSlot(self._fetch, renew_ahead=renew_ahead, clock=clock)

    def __repr__(self) -> str:
        return f"TandaAuth(grant={type(self.grant).__name__}, requester={self.requester!r})"

    @property
    def token_fetches(self) -> int:
        """How many token endpoint calls this lifecycle made (for tests and metrics)."""
        return self._slot.fetches

    async def headers(self, *, force_refresh: bool = False) -> dict[str, str]:
        """`Authorization: Bearer <token>` (§2.4: the client sends `Bearer`)."""
        if force_refresh:
            token = await self._slot.get(force=True, rejected=_presented.get())
        else:
            try:
                token = await self._slot.get()
            except UpstreamError:
                # A renewal ahead of expiry failed; the current token is still good for now.
                current = self._slot.token
                if current is None or (
                    current.expires_at is not None and current.expires_at <= self._clock()
                ):
                    raise
                token = current
        _presented.set(token.value)
        return {"Authorization": f"Bearer {token.value}"}

    def forget(self) -> None:
        """Drop the cached access token (the next request fetches or refreshes one)."""
        self._slot.clear()

    # -- token endpoint ----------------------------------------------------------------------

    async def _fetch(self, previous: Token | None) -> Token:
        if isinstance(self.grant, PasswordGrant):
            return await self._token_call(
                "password",
                {
                    "username": self.grant.username,
                    "password": self.grant.password,
                    "scope": " ".join(self.scopes),
                    "grant_type": "password",
                },
            )
        return await self._code_or_refresh(self.grant)

    async def _code_or_refresh(self, grant: AuthorizationCodeGrant) -> Token:
        refresh = await self._store.load()
        if refresh is None:
            refresh, self._initial_refresh = self._initial_refresh, None
        if refresh is not None:
            try:
                return await self._refresh(grant, refresh)
            except UpstreamAuthError:
                # Another process sharing a durable store may have rotated it meanwhile.
                newer = await self._store.load()
                if newer is None or newer == refresh:
                    raise
                return await self._refresh(grant, newer)
        code, self._code = self._code, None  # codes are single use (§2.1)
        if code is None:
            raise UpstreamAuthError(
                "Tanda has no refresh token or authorization code for this application; "
                "authorise it again.",
                upstream=UPSTREAM,
            )
        return await self._token_call(
            "authorization_code",
            {
                "client_id": grant.client_id,
                "client_secret": grant.client_secret,
                "code": code,
                "redirect_uri": grant.redirect_uri,
                "grant_type": "authorization_code",
            },
        )

    async def _refresh(self, grant: AuthorizationCodeGrant, refresh: str) -> Token:
        return await self._token_call(
            "refresh_token",
            {
                "client_id": grant.client_id,
                "client_secret": grant.client_secret,
                "refresh_token": refresh,
                "redirect_uri": grant.redirect_uri,
                "grant_type": "refresh_token",
            },
        )

    async def _token_call(self, grant_type: str, form: dict[str, str]) -> Token:
        sent = self._clock()
        with fetching_credentials():
            response = await self._transport.request(
                "POST",
                TOKEN_PATH,
                route=TOKEN_PATH,
                data=form,
                headers={"Cache-Control": "no-cache"},  # as the doc's curl sends it (§2.1)
                requester=f"{self.requester}:oauth",  # not counted by Tanda (§3.1 limits the API)
                idempotent=False,
                ok_statuses=frozenset({400, 401, 403}),
            )
        body = response.json() if response.body else None
        if response.status != 200:
            code = body.get("error") if isinstance(body, dict) else None
            reason = f" ({code})" if isinstance(code, str) and _OAUTH_ERROR.match(code) else ""
            raise UpstreamAuthError(
                f"Tanda refused the {grant_type} grant with HTTP {response.status}{reason}.",
                upstream=UPSTREAM,
            )
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise UpstreamBadResponseError(
                f"Tanda answered the {grant_type} grant without an access_token.",
                upstream=UPSTREAM,
            )
        expires_in = body.get("expires_in")
        expires_at: float | None = None
        # §2.3: password tokens carry no expires_in and never expire.
        if (
            isinstance(expires_in, int | float)
            and not isinstance(expires_in, bool)
            and (expires_in > 0)
        ):
            expires_at = sent + float(expires_in)
        new_refresh = body.get("refresh_token")
        if isinstance(new_refresh, str) and new_refresh:
            await self._store.save(new_refresh)  # rotate before the token is used (§2.2)
        elif grant_type != "password":
            raise UpstreamBadResponseError(
                f"Tanda answered the {grant_type} grant without a refresh_token.",
                upstream=UPSTREAM,
            )
        return Token(body["access_token"], expires_at, None)


__all__ = [
    "DEFAULT_SCOPES",
    "AuthorizationCodeGrant",
    "Grant",
    "MemoryRefreshTokenStore",
    "PasswordGrant",
    "RefreshTokenStore",
    "TandaAuth",
    "authorization_url",
    "requester_of",
]
