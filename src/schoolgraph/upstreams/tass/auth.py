"""TASS authentication: the 2026 bearer token and the legacy API's encrypted parameter token.

Section numbers (§) are those of `shared/upstreams/tass.md`.

2026 API (`BearerAuth`)
-----------------------
* An API user's key and secret go to the seed's "POS User - Authenticate" call, which [3P]
  observed as `POST {base}/api/users` with `{"clientKey", "clientSecret"}`; the answer carries
  `token`, `token_expiry_date` and `allowed_companies` (§C.6; every name in `paths.Wire2026`).
* "Bearer tokens are valid for 15 minutes" (§C.6 [SEED]). The expiry the server sends is
  school-local time without an offset (§D.3), or ISO-8601 with `Z` ([3P]); it is read against
  the response's `Date` header (so our clock's skew does not matter) and never trusted for
  longer than `lifetime` (15 minutes). The token is renewed `renew_ahead` seconds before that
  (or after 80% of its life, when that is sooner), single flight (`TokenSlot`).
* A 401 on a call makes the transport ask for `headers(force_refresh=True)`: the token that was
  sent is replaced exactly once per rejection wave, and the call is retried once.
* A refused key is remembered for `failure_backoff` seconds, so a burst of reads against a
  deleted key costs one authenticate call, not one each.

Legacy API (`encrypt_token`)
----------------------------
Each request's parameters are a JSON string (v2/v3) encrypted with the app's Base64 "Token Key"
using AES-128-ECB with PKCS#7 padding and sent Base64-encoded as `token` (§A.4). There is no
session and nothing to renew: the key itself is the credential. The documented test vector is
`{"include_label":"true"}` under `+TG1ZTqy0hTu5h0KMhCP0A==` ->
`96yfUt3jgAIYx0o7i3tjprnBpotNO3Md/yv+eToJ8qo=`.

Secrets (client key, client secret, bearer tokens, Token Keys) never appear in reprs, log lines
or error messages; `redact()` blanks them in any upstream text we quote.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ...cache.reads import fetching_credentials
from ...errors import ConfigError, UpstreamAuthError, UpstreamBadResponseError
from ..http import Transport
from ..tokens import Token, TokenSlot
from .models import UPSTREAM, Company, parse_instant, problem_message
from .paths import Wire2026

__all__ = [
    "BearerAuth",
    "TassApiKey",
    "TassLegacyApp",
    "decode_token_key",
    "encrypt_token",
    "fingerprint",
]

logger = logging.getLogger(__name__)

# The token each transport attempt sent, so a 401 names the token that was rejected. Every
# `Transport.request` runs in its own task, so the value never leaks between requests.
_sent_token: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tass_sent_token", default=None
)


def fingerprint(value: str) -> str:
    """A short, stable, non-reversible name for a credential (for rate-limit buckets and cache
    tenants), so the credential itself never has to be used as a name."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]


# --------------------------------------------------------------------------- credentials


@dataclass(frozen=True, slots=True)
class TassApiKey:
    """The key and secret of a 2026 API Endpoint User (§C.5), as revealed once by the keyshare
    link. Neither appears in the repr."""

    client_key: str = field(repr=False)
    client_secret: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.client_key or not self.client_secret:
            raise ConfigError("A TASS API key needs both a client key and a client secret.")

    @property
    def name(self) -> str:
        """`key-<fingerprint>`: how logs and buckets name this key."""
        return f"key-{fingerprint(self.client_key)}"


@dataclass(frozen=True, slots=True)
class TassLegacyApp:
    """A legacy TASS.web API app (§A.2): its App Code, Base64 Token Key and version.

    Attributes:
        appcode: "The App Code as defined in the TASS.web TASS API Setup".
        token_key: the Base64 Token Key of API Gateway Maintenance (16 bytes, AES-128).
        version: `3` for an app with a Security Role (the usual case), `2` without one (§A.3:
            an app accepts only one of them).
    """

    appcode: str
    token_key: str = field(repr=False)
    version: str = "3"

    def __post_init__(self) -> None:
        if not self.appcode.strip():
            raise ConfigError("A TASS legacy app needs its App Code.")
        if self.version not in ("2", "3"):
            raise ConfigError(
                f"TASS legacy app '{self.appcode}' has version '{self.version}'; the client "
                "speaks the JSON versions 2 and 3."
            )
        decode_token_key(self.token_key, appcode=self.appcode)


# --------------------------------------------------------------------------- legacy token


def decode_token_key(token_key: str, *, appcode: str = "") -> bytes:
    """The 16 raw bytes of a Base64 Token Key.

    Raises:
        ConfigError: the key is not Base64 or not 16 bytes (the message never shows the key).
    """
    owner = f" of legacy app '{appcode}'" if appcode else ""
    try:
        key = base64.b64decode(token_key, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"The TASS Token Key{owner} is not valid Base64.") from None
    if len(key) != 16:
        raise ConfigError(
            f"The TASS Token Key{owner} decodes to {len(key)} bytes; AES-128 needs 16."
        )
    return key


def encrypt_token(plaintext: str, token_key: str) -> str:
    """Encrypt a legacy parameter string into its `token` (§A.4).

    Args:
        plaintext: the parameter string, e.g. `{"currentstatus":"current"}`.
        token_key: the app's Base64 Token Key.

    Returns:
        Standard Base64 with `=` padding; URL-encode it for GET, send it as is in a POST form.
    """
    padder = padding.PKCS7(128).padder()
    data = padder.update(plaintext.encode("utf-8")) + padder.finalize()
    # ECB is what the contract mandates ('AES/ECB/PKCS5Padding', §A.4), not a choice of ours.
    cipher = Cipher(algorithms.AES(decode_token_key(token_key)), modes.ECB())  # noqa: S305
    encryptor = cipher.encryptor()
    return base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode("ascii")


# --------------------------------------------------------------------------- 2026 bearer


class BearerAuth:
    """The `Auth` of one 2026 API user: a bearer token, cached and renewed ahead of expiry.

    Args:
        key: the API user's key and secret.
        transport: the TASS transport (the authenticate call goes through it unauthenticated).
        wire: paths and field names of the authenticate call.
        time_zone: the zone of an expiry sent without an offset.
        lifetime: the longest a token is trusted, in seconds ("valid for 15 minutes").
        renew_ahead: renew this many seconds before expiry.
        failure_backoff: seconds a refused key is not tried again.
        clock: monotonic seconds (tests move it by hand).
        wall_clock: the current UTC time, when a response carries no `Date`.
    """

    def __init__(
        self,
        key: TassApiKey,
        *,
        transport: Transport,
        wire: Wire2026,
        time_zone: ZoneInfo,
        lifetime: float = 900.0,
        renew_ahead: float = 60.0,
        failure_backoff: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._key = key
        self._transport = transport
        self._wire = wire
        self._zone = time_zone
        self._lifetime = lifetime
        self._renew_ahead = renew_ahead
        self._failure_backoff = failure_backoff
        self._clock = clock
        self._wall_clock = wall_clock
        self._failure: tuple[float, UpstreamAuthError] | None = None
        self.companies: tuple[Company, ...] = ()
        self.name = key.name
        # The renewal margin is folded into Token.expires_at (see _token).
        self._slot = TokenSlot(self._fetch, renew_ahead=0.0, clock=clock)

    def __repr__(self) -> str:
        return f"BearerAuth(key={self.name!r})"

    @property
    def route(self) -> str:
        return self._wire.api_base + self._wire.auth_path

    @property
    def fetches(self) -> int:
        """Authenticate calls made (successful or not)."""
        return self._slot.fetches

    @property
    def current(self) -> str | None:
        token = self._slot.token
        return token.value if token is not None else None

    async def headers(self, *, force_refresh: bool = False) -> dict[str, str]:
        """`Authorization: Bearer <token>`; `force_refresh` after the upstream refused it."""
        if force_refresh:
            token = await self._slot.get(force=True, rejected=_sent_token.get())
        else:
            token = await self._slot.get()
        _sent_token.set(token.value)
        return {"Authorization": f"Bearer {token.value}"}

    async def ensure(self) -> None:
        """Authenticate now unless a usable token is held (for readiness checks)."""
        await self._slot.get()

    def forget(self) -> None:
        """Drop the token and any remembered refusal."""
        self._slot.clear()
        self._failure = None

    def redact(self, text: str) -> str:
        """`text` with the key, the secret and the current token blanked."""
        for secret in (self._key.client_key, self._key.client_secret, self.current):
            if secret:
                text = text.replace(secret, "***")
        return text

    async def _fetch(self, previous: Token | None) -> Token:
        if self._failure is not None:
            until, error = self._failure
            if self._clock() < until:
                raise UpstreamAuthError(error.message, upstream=UPSTREAM)
            self._failure = None
        try:
            return await self._authenticate()
        except UpstreamAuthError as error:
            if self._failure_backoff > 0:
                self._failure = (self._clock() + self._failure_backoff, error)
            raise

    async def _authenticate(self) -> Token:
        wire = self._wire
        with fetching_credentials():
            response = await self._transport.request(
                "POST",
                self.route,
                route=self.route,
                json={
                    wire.key_field: self._key.client_key,
                    wire.secret_field: self._key.client_secret,
                },
                requester=f"auth:{self.name}",
                idempotent=True,  # asking for a token twice is harmless
                ok_statuses=frozenset({400, 401, 403, 404}),
            )
        body = response.json()
        if response.status >= 400:
            detail = (problem_message(body) or f"HTTP {response.status}").rstrip(".")
            raise UpstreamAuthError(
                f"TASS refused the API key {self.name} at {self.route} (HTTP "
                f"{response.status}: {self.redact(detail)}). Check the client key and secret, "
                "that the API user is enabled, and that its key was not deleted or generated "
                "again.",
                upstream=UPSTREAM,
            )
        if not isinstance(body, dict):
            raise UpstreamBadResponseError(
                f"TASS answered {self.route} with something other than a JSON object.",
                upstream=UPSTREAM,
            )
        value = body.get(wire.token_field)
        if not isinstance(value, str) or not value:
            raise UpstreamBadResponseError(
                f"TASS answered {self.route} without the field '{wire.token_field}'.",
                upstream=UPSTREAM,
            )
        self.companies = _companies(body.get(wire.companies_field), wire)
        server_now = _server_time(response.headers.get("Date")) or self._wall_clock()
        return self._token(value, body.get(wire.expiry_field), server_now)

    def _token(self, value: str, expiry: object, server_now: datetime) -> Token:
        lifetime = self._lifetime
        expires = parse_instant(expiry, self._zone) if isinstance(expiry, str) else None
        if expires is not None:
            remaining = (expires - server_now).total_seconds()
            if remaining > 0:
                lifetime = min(lifetime, remaining)
            else:  # an expiry in the past is clock skew or a zone mismatch: keep the default
                logger.warning(
                    "TASS sent a token expiry %.0f seconds before its own Date; assuming the "
                    "documented lifetime of %.0f seconds.",
                    -remaining,
                    self._lifetime,
                )
        margin = min(self._renew_ahead, lifetime * 0.2)
        logger.debug("Got a TASS bearer token for %s, valid for %.0f seconds.", self.name, lifetime)
        return Token(value, expires_at=self._clock() + lifetime - margin)


def _companies(value: object, wire: Wire2026) -> tuple[Company, ...]:
    if not isinstance(value, list):
        return ()
    out: list[Company] = []
    for item in value:
        if not isinstance(item, dict):
            continue
        code = item.get(wire.company_code_field)
        if isinstance(code, (str, int)) and str(code):
            name = item.get(wire.company_name_field)
            out.append(Company(str(code), name if isinstance(name, str) and name else None))
    return tuple(out)


def _server_time(header: str | None) -> datetime | None:
    if not header:
        return None
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
