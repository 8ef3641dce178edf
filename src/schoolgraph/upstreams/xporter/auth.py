"""Xporter STS tokens: one per school, cached until shortly before `expires` (xporter.md §1).

* `POST {token_url}` with `estab`, `relyingParty`, `password` (the school's secret) and
  `thirdpartyid` ("Always XporterOnDemand") answers `{"token", "expires", ...}` (§1.2). The STS
  URL is doc-silent; EXT clients use `https://login.groupcall.com/idaas/sts/STS/GetToken`.
* Requests carry `Authorization: Idaas <token>` (§1.3).
* A failed or paused authorisation is an STS answer with `token: null` and an
  `ExceptionMessage` (§1.2; its HTTP status is doc-silent, so the body decides). Both become a
  `SchoolAuthError` naming the school and what happened (`AuthorisationPausedError` for the
  GDPR pause), never the secret. The failure is remembered for `failure_backoff` seconds so a
  burst of requests to a paused school costs one STS call, not one each.
* The token's lifetime is doc-silent (EXT: about five days). It is renewed `renew_ahead`
  seconds before `expires`, or after 80% of its life when that comes sooner, so short-lived
  tokens are renewed ahead too. Renewal is single flight (`TokenSlot`); a rejected token is
  replaced exactly once per rejection wave.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from ...cache.reads import fetching_credentials
from ...errors import UpstreamAuthError, UpstreamBadResponseError
from ..http import Transport
from ..tokens import Token, TokenSlot
from .models import UPSTREAM, parse_instant

logger = logging.getLogger(__name__)

THIRD_PARTY_ID = "XporterOnDemand"  # §1.2: "Always XporterOnDemand"
STS_PATH = "/idaas/sts/STS/GetToken"  # EXT path on login.groupcall.com
STS_ROUTE = "/idaas/sts/STS/GetToken"

AuthFailure = Literal["secret_rejected", "paused", "token_rejected", "not_authorised"]

# The token each transport attempt sent, so a 401 names the token that was rejected. Every
# `Transport.request` runs in its own task, so the value never leaks between requests.
_sent_token: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "xporter_sent_token", default=None
)


class SchoolAuthError(UpstreamAuthError):
    """Xporter would not let us read one school's data.

    Attributes:
        estab: the school.
        reason: `secret_rejected` (the STS refused the relying party and secret),
            `paused` (the school paused its authorisation), `token_rejected` (a fresh token
            was refused too), `not_authorised` (the school has not granted what we asked for).
    """

    def __init__(self, message: str, *, estab: str, reason: AuthFailure) -> None:
        super().__init__(message, upstream=UPSTREAM)
        self.estab = estab
        self.reason = reason


class AuthorisationPausedError(SchoolAuthError):
    """The school paused its authorisation while it chooses who is in the feed (§1.2)."""

    def __init__(self, message: str, *, estab: str) -> None:
        super().__init__(message, estab=estab, reason="paused")


def paused_error(estab: str) -> AuthorisationPausedError:
    return AuthorisationPausedError(
        f"School {estab} has paused its Xporter on Demand authorisation while it finalises "
        "which people are included in the data feed; its data cannot be read until the school "
        "resumes it.",
        estab=estab,
    )


def is_paused_message(message: str) -> bool:
    """Whether an `ExceptionMessage` is the documented AuthorisationPaused text (§1.2)."""
    return "paused" in message.lower()


@dataclass(frozen=True, slots=True)
class XporterSchool:
    """One school that authorised our app: its estab and the `schoolSecret` it issued.

    Attributes:
        estab: the establishment number (DfE code, 7 digits in the UK).
        secret: the school's `schoolSecret`; never printed.
        time_zone: IANA zone of the school's local timestamps; the client default when None.
    """

    estab: str
    secret: str = field(repr=False)
    time_zone: str | None = None


class SchoolAuth:
    """The `Auth` of one school: its STS token, cached and renewed ahead of expiry."""

    def __init__(
        self,
        school: XporterSchool,
        *,
        transport: Transport,
        token_url: str,
        relying_party: str,
        third_party_id: str = THIRD_PARTY_ID,
        renew_ahead: float = 300.0,
        failure_backoff: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.estab = school.estab
        self._secret = school.secret
        self._transport = transport
        self._token_url = token_url
        self._relying_party = relying_party
        self._third_party_id = third_party_id
        self._renew_ahead = renew_ahead
        self._failure_backoff = failure_backoff
        self._clock = clock
        self._wall_clock = wall_clock
        self._failure: tuple[float, SchoolAuthError] | None = None
        # Expiry is folded into Token.expires_at (see _fetch), so the slot renews at it.
        self._slot = TokenSlot(self._fetch, renew_ahead=0.0, clock=clock)

    def __repr__(self) -> str:
        return f"SchoolAuth(estab={self.estab!r}, relying_party={self._relying_party!r})"

    @property
    def fetches(self) -> int:
        """STS calls made for this school (successful or not)."""
        return self._slot.fetches

    @property
    def current(self) -> str | None:
        """The token value now held, if any (to name it when it is rejected)."""
        token = self._slot.token
        return token.value if token is not None else None

    async def headers(self, *, force_refresh: bool = False) -> dict[str, str]:
        """`Authorization: Idaas <token>`; `force_refresh` after the upstream refused it."""
        if force_refresh:
            token = await self._slot.get(force=True, rejected=_sent_token.get())
        else:
            token = await self._slot.get()
        _sent_token.set(token.value)
        return {"Authorization": f"Idaas {token.value}"}

    async def renew(self, rejected: str | None) -> None:
        """Replace `rejected` (unless another caller already did) after a refusal in a body."""
        await self._slot.get(force=True, rejected=rejected)

    def forget(self) -> None:
        """Drop the token and any remembered failure (e.g. after the school re-authorised)."""
        self._slot.clear()
        self._failure = None

    def withdraw(self, error: SchoolAuthError) -> None:
        """Drop the token after a data call said the school's authorisation is gone.

        Requests in the next `failure_backoff` seconds fail with `error` without a call.
        """
        self._slot.clear()
        if self._failure_backoff > 0:
            self._failure = (self._clock() + self._failure_backoff, error)

    def redact(self, text: str) -> str:
        """`text` with this school's secret and token blanked, for upstream messages."""
        for secret in (self._secret, self.current):
            if secret:
                text = text.replace(secret, "***")
        return text

    async def _fetch(self, previous: Token | None) -> Token:
        if self._failure is not None:
            until, error = self._failure
            if self._clock() < until:
                raise _copy(error)
            self._failure = None
        try:
            return await self._request_token()
        except SchoolAuthError as error:
            if self._failure_backoff > 0:
                self._failure = (self._clock() + self._failure_backoff, error)
            raise

    async def _request_token(self) -> Token:
        body = {
            "estab": self.estab,
            "relyingParty": self._relying_party,
            "password": self._secret,
            "thirdpartyid": self._third_party_id,
        }
        # Getting a token twice is harmless, so the POST may be retried like a GET. The
        # status of a refusal is doc-silent (§1.2): 4xx bodies are read, not raised.
        with fetching_credentials():
            response = await self._transport.request(
                "POST",
                self._token_url,
                route=STS_ROUTE,
                json=body,
                requester=f"sts:{self.estab}",
                idempotent=True,
                ok_statuses=frozenset({400, 401, 403, 404}),
            )
        answer = response.json()
        if not isinstance(answer, dict):
            raise UpstreamBadResponseError(
                f"Xporter's STS answered the token request for school {self.estab} with "
                "something other than a JSON object.",
                upstream=UPSTREAM,
            )
        fields = {str(k).lower(): v for k, v in answer.items()}
        value = fields.get("token")
        if isinstance(value, str) and value:
            return self._token(value, fields.get("expires"))
        message = fields.get("exceptionmessage") or fields.get("message")
        if not isinstance(message, str) or not message.strip():
            message = f"HTTP {response.status} without a token or a message"
        if is_paused_message(message):
            raise paused_error(self.estab)
        raise SchoolAuthError(
            f"Xporter's STS refused a token for school {self.estab} (relying party "
            f"{self._relying_party}): {self.redact(message.strip())}. Check that the school "
            "authorised this app and that its current schoolSecret is configured (a school "
            "that authorises again issues a new secret).",
            estab=self.estab,
            reason="secret_rejected",
        )

    def _token(self, value: str, expires: object) -> Token:
        expires_at = parse_instant(expires) if isinstance(expires, str) else None
        now = self._clock()
        if expires_at is None:
            lifetime = 3600.0  # doc-silent expiry we cannot read: assume an hour
        else:
            lifetime = max(1.0, (expires_at - self._wall_clock()).total_seconds())
        margin = min(self._renew_ahead, lifetime * 0.2)
        logger.debug(
            "Got an Xporter STS token for school %s, valid for %.0f seconds.", self.estab, lifetime
        )
        return Token(value, expires_at=now + lifetime - margin)


def _copy(error: SchoolAuthError) -> SchoolAuthError:
    """A fresh instance of a remembered failure (re-raising one instance grows its traceback)."""
    if isinstance(error, AuthorisationPausedError):
        return AuthorisationPausedError(error.message, estab=error.estab)
    return SchoolAuthError(error.message, estab=error.estab, reason=error.reason)


__all__ = [
    "STS_PATH",
    "THIRD_PARTY_ID",
    "AuthFailure",
    "AuthorisationPausedError",
    "SchoolAuth",
    "SchoolAuthError",
    "XporterSchool",
    "is_paused_message",
    "paused_error",
]
