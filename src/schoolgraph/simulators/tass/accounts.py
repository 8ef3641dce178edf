"""API Endpoint User accounts, key/secret sharing and bearer tokens (tass.md §C, §D.5), and the
legacy TASS API app registry (tass.md §D.2).

The 2026 model follows the seed "API Endpoint Maintenance from v01.2026.05.200": a user has a
name, purpose, enabled flag and contact; a list of companies; a list of endpoints, each with
Enabled / Read / Add / Update / Delete, 'All' or 'Custom' fields for Read and Update, and a
Security Role (an endpoint without one shows the 'Alert' icon). A key and secret are generated
behind a passphrase of at least 15 characters and shared once through an expiring link; three
wrong passphrases lock the link. Bearer tokens last 15 minutes.

Readings (DOC-SILENT points, our [DESIGN]):

* User codes are `APIU0001`, `APIU0002`, ... in creation order; the demo user is `APIU0001`.
* Link Expiry Time options are 1, 2, 4, 6, 12, 24, 48 and 72 hours (tass.md §D.5).
* A user must 'Delete' an existing key before generating a new one (the seed's regenerate
  flow), otherwise 409. Deleting a key revokes every bearer token issued for it.
* The "Verification expired" history entry is stamped with the link's expiry time (the seed's
  example: generated 03:45 PM, expired 09:45 PM with a 6-hour link), written the first time
  the state is read after expiry.
* The email's `<COMPANY NAME>` lists the user's companies' names joined by ", ".
* Secrets and passphrases are kept only as salted SHA-256 digests; a new secret is held in
  clear only until its single view.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = [
    "ACTION_DELETED",
    "ACTION_EXPIRED",
    "ACTION_GENERATED",
    "ACTION_VERIFIED",
    "LINK_EXPIRY_OPTIONS",
    "PASSPHRASE_MIN",
    "STATUS_ACCESSED",
    "STATUS_EXPIRED",
    "STATUS_LOCKED",
    "STATUS_NONE",
    "STATUS_PENDING",
    "AccountError",
    "Accounts",
    "ApiUser",
    "Email",
    "EndpointGrant",
    "KeyRecord",
    "LegacyApp",
    "Token",
]

# tass.md §C.5: exact status messages and action-history strings.
STATUS_NONE = "The user does not currently have a key."
STATUS_ACCESSED = "User has successfully accessed key."
STATUS_PENDING = "User has been sent email link but has yet to view key."
STATUS_LOCKED = "There have been 3 unsuccessful verification attempts."
STATUS_EXPIRED = "Verification link has expired."
ACTION_GENERATED = "Key/secret generated and email sent"
ACTION_EXPIRED = "Verification expired"
ACTION_DELETED = "Key/secret deleted"
ACTION_VERIFIED = "Verification successful"

PASSPHRASE_MIN = 15  # tass.md §C.5 "minimum of 15 characters"
MAX_ATTEMPTS = 3  # tass.md §C.5 "3 unsuccessful verification attempts"
LINK_EXPIRY_OPTIONS: tuple[int, ...] = (1, 2, 4, 6, 12, 24, 48, 72)  # [DESIGN] §D.5
EMAIL_FROM = "noreply@school.edu.au"  # tass.md §C.5 email template
EMAIL_SUBJECT = "TASS API User Registration"
EMAIL_BODY = (
    "Hi {user_name}\n"
    "Below is a link to view your key and secret for the TASS API for:\n"
    "{company_name}\n"
    "Please note that for security reasons, you will only be able to view your key and secret "
    "once. Please store the Key and Secret securely and contact the school if you require new "
    "credentials.\n"
    "Link: {link}"
)
_ALPHABET = string.ascii_letters + string.digits


class AccountError(ValueError):
    """An admin or keyshare request that breaks a rule; `status` is the HTTP answer."""

    def __init__(self, status: int, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or {}


def _digest(salt: bytes, value: str) -> bytes:
    return hashlib.sha256(salt + value.encode("utf-8")).digest()


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


@dataclass(slots=True)
class EndpointGrant:
    """One row of a user's Endpoints grid (tass.md §C.4)."""

    endpoint: str  # generic URL template, relative to the API base
    enabled: bool = True
    read: bool = True
    read_fields: tuple[str, ...] | None = None  # None = 'All', else 'Custom'
    add: bool = False
    update: bool = False
    update_fields: tuple[str, ...] | None = None
    delete: bool = False
    security_role: str | None = "API Full Access"  # None shows the 'Alert' icon

    @property
    def alert(self) -> bool:
        return self.security_role is None

    def as_json(self) -> dict[str, object]:
        return {
            "endpoint": self.endpoint,
            "enabled": self.enabled,
            "read": self.read,
            "read_fields": "All" if self.read_fields is None else list(self.read_fields),
            "add": self.add,
            "update": self.update,
            "update_fields": "All" if self.update_fields is None else list(self.update_fields),
            "delete": self.delete,
            "security_role": self.security_role,
            "alert": self.alert,
        }


@dataclass(slots=True)
class KeyRecord:
    """A generated key/secret and its sharing link."""

    client_key: str
    salt: bytes
    secret_digest: bytes
    passphrase_digest: bytes
    link_id: str
    generated_at: datetime
    link_expires: datetime
    pending_secret: str | None  # in clear only until the single view
    failures: int = 0
    viewed_at: datetime | None = None
    expiry_logged: bool = False

    def secret_matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_digest, _digest(self.salt, secret))

    def passphrase_matches(self, passphrase: str) -> bool:
        return hmac.compare_digest(self.passphrase_digest, _digest(self.salt, passphrase))


@dataclass(slots=True)
class ApiUser:
    """An API Endpoint User Account (tass.md §C.2)."""

    user_code: str
    user_name: str
    enabled: bool
    contact_name: str
    contact_email: str
    purpose: str = ""
    contact_phone: str = ""
    companies: list[str] = field(default_factory=list)
    endpoints: dict[str, EndpointGrant] = field(default_factory=dict)
    key: KeyRecord | None = None
    history: list[tuple[datetime, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    user_code: str
    client_key: str
    expires: datetime  # UTC


@dataclass(frozen=True, slots=True)
class Email:
    sent_at: datetime
    sender: str
    to: str
    subject: str
    message: str
    link: str


@dataclass(frozen=True, slots=True)
class LegacyApp:
    """A TASS API app of API Gateway Maintenance (tass.md §A.2, §A.3, §D.2).

    `security_role` is the set of permission paths of the app's Security Role (e.g.
    `Student Records > Students > View`); an app with a role answers only `v=3`, one without
    a role only `v=1`/`v=2` (§A.3 "It is not possible to mix different versions"). `methods`
    is the licensed method set (lower-cased), None for every implemented method.
    """

    appcode: str
    token_key: str
    companies: tuple[str, ...]
    security_role: frozenset[str] | None
    methods: frozenset[str] | None = None
    enabled: bool = True

    def accepts_version(self, version: str) -> bool:
        return version == "3" if self.security_role is not None else version in ("1", "2")


class Accounts:
    """Every API user, token, link and email of one simulator instance."""

    def __init__(self) -> None:
        self.users: dict[str, ApiUser] = {}
        self.tokens: dict[str, Token] = {}
        self.links: dict[str, str] = {}  # link id -> user code
        self.outbox: list[Email] = []
        self.legacy_apps: dict[str, LegacyApp] = {}
        self._next = 1

    # -- users --------------------------------------------------------------------------

    def create_user(
        self,
        *,
        user_name: str,
        enabled: bool,
        contact_name: str,
        contact_email: str,
        purpose: str = "",
        contact_phone: str = "",
    ) -> ApiUser:
        """Add a user; the code is generated and cannot change (tass.md §C.1)."""
        missing = {
            name: ["The field is required."]
            for name, value in (
                ("user_name", user_name),
                ("contact_name", contact_name),
                ("contact_email", contact_email),
            )
            if not value.strip()
        }
        if missing:
            raise AccountError(400, "One or more mandatory fields are empty.", missing)
        code = f"APIU{self._next:04d}"
        self._next += 1
        user = ApiUser(
            code,
            user_name.strip(),
            enabled,
            contact_name.strip(),
            contact_email.strip(),
            purpose,
            contact_phone,
        )
        self.users[code] = user
        return user

    def user(self, user_code: str) -> ApiUser:
        found = self.users.get(user_code)
        if found is None:
            raise AccountError(404, f"No API user has the code {user_code!r}.")
        return found

    # -- keys ---------------------------------------------------------------------------

    def install_key(
        self, user: ApiUser, client_key: str, client_secret: str, now: datetime
    ) -> KeyRecord:
        """Give `user` a known, already viewed key (the demo user)."""
        salt = secrets.token_bytes(16)
        record = KeyRecord(
            client_key,
            salt,
            _digest(salt, client_secret),
            _digest(salt, ""),
            secrets.token_urlsafe(24),
            now,
            now,
            None,
            viewed_at=now,
        )
        user.key = record
        user.history += [(now, ACTION_GENERATED), (now, ACTION_VERIFIED)]
        return record

    def generate_key(
        self,
        user: ApiUser,
        *,
        passphrase: str,
        link_expiry_hours: int,
        now: datetime,
        link_base: str,
        company_names: Iterable[str],
    ) -> KeyRecord:
        """'Generate' on the Key Generation screen (tass.md §C.5)."""
        if user.key is not None:
            raise AccountError(
                409, "The user already has a key; delete it before generating a new one."
            )
        if len(passphrase) < PASSPHRASE_MIN:
            raise AccountError(
                400,
                "The passphrase is too short.",
                {
                    "passphrase": [
                        f"Enter a passphrase with a minimum of {PASSPHRASE_MIN} characters."
                    ]
                },
            )
        if link_expiry_hours not in LINK_EXPIRY_OPTIONS:
            raise AccountError(
                400,
                "The link expiry time is not one of the options.",
                {"link_expiry_hours": [f"Choose one of {list(LINK_EXPIRY_OPTIONS)}."]},
            )
        salt = secrets.token_bytes(16)
        secret = _random(40)
        record = KeyRecord(
            _random(20),
            salt,
            _digest(salt, secret),
            _digest(salt, passphrase),
            secrets.token_urlsafe(24),
            now,
            now + timedelta(hours=link_expiry_hours),
            secret,
        )
        user.key = record
        self.links[record.link_id] = user.user_code
        user.history.append((now, ACTION_GENERATED))
        link = f"{link_base}/sim/keyshare/{record.link_id}"
        names = ", ".join(company_names)
        self.outbox.append(
            Email(
                now,
                EMAIL_FROM,
                user.contact_email,
                EMAIL_SUBJECT,
                EMAIL_BODY.format(user_name=user.user_name, company_name=names, link=link),
                link,
            )
        )
        return record

    def delete_key(self, user: ApiUser, now: datetime) -> None:
        """'Delete' on the Key Generation screen; existing tokens stop working."""
        if user.key is None:
            raise AccountError(404, STATUS_NONE)
        self.links.pop(user.key.link_id, None)
        self.revoke(user.user_code)
        user.key = None
        user.history.append((now, ACTION_DELETED))

    def status(self, user: ApiUser, now: datetime) -> str:
        """The Key Generation screen's status message (tass.md §C.5)."""
        key = user.key
        if key is None:
            return STATUS_NONE
        if key.viewed_at is not None:
            return STATUS_ACCESSED
        if key.failures >= MAX_ATTEMPTS:
            return STATUS_LOCKED
        if now >= key.link_expires:
            if not key.expiry_logged:
                key.expiry_logged = True
                user.history.append((key.link_expires, ACTION_EXPIRED))
            return STATUS_EXPIRED
        return STATUS_PENDING

    def link_user(self, link_id: str) -> ApiUser:
        code = self.links.get(link_id)
        user = self.users.get(code) if code else None
        if user is None or user.key is None or user.key.link_id != link_id:
            raise AccountError(404, "The key and secret link is not valid.")
        return user

    def check_link(self, link_id: str, now: datetime) -> ApiUser:
        """Raise unless the link can still be verified."""
        user = self.link_user(link_id)
        state = self.status(user, now)
        if state == STATUS_ACCESSED:
            raise AccountError(
                410,
                "The key and secret have already been viewed. Contact the "
                "school if you require new credentials.",
            )
        if state == STATUS_LOCKED:
            raise AccountError(403, STATUS_LOCKED)
        if state == STATUS_EXPIRED:
            raise AccountError(410, STATUS_EXPIRED)
        return user

    def verify(self, link_id: str, passphrase: str, now: datetime) -> tuple[str, str]:
        """Check the passphrase; on success reveal the key and secret, once."""
        user = self.check_link(link_id, now)
        key = user.key
        if key is None or key.pending_secret is None:  # check_link rules both out
            raise AccountError(410, STATUS_ACCESSED)
        if not key.passphrase_matches(passphrase):
            key.failures += 1
            if key.failures >= MAX_ATTEMPTS:
                raise AccountError(403, STATUS_LOCKED)
            left = MAX_ATTEMPTS - key.failures
            raise AccountError(
                401,
                f"The passphrase is incorrect. {left} attempt{'s' if left != 1 else ''} remaining.",
            )
        secret, key.pending_secret, key.viewed_at = key.pending_secret, None, now
        user.history.append((now, ACTION_VERIFIED))
        return key.client_key, secret

    # -- tokens -------------------------------------------------------------------------

    def authenticate(
        self, client_key: str, client_secret: str, now: datetime, lifetime: timedelta
    ) -> Token | None:
        """Issue a bearer token for a valid, enabled key/secret, else None."""
        for user in self.users.values():
            key = user.key
            if key is None or not hmac.compare_digest(key.client_key, client_key):
                continue
            if not key.secret_matches(client_secret) or not user.enabled:
                return None
            token = Token(secrets.token_urlsafe(32), user.user_code, key.client_key, now + lifetime)
            self.tokens[token.value] = token
            self._prune(now)
            return token
        return None

    def resolve(self, value: str, now: datetime) -> tuple[Token | None, str]:
        """The live token for `value`, or None and why: "unknown", "expired" or "revoked"."""
        token = self.tokens.get(value)
        if token is None:
            return None, "unknown"
        if now >= token.expires:
            del self.tokens[value]
            return None, "expired"
        user = self.users.get(token.user_code)
        if user is None or user.key is None or user.key.client_key != token.client_key:
            del self.tokens[value]
            return None, "revoked"
        return token, ""

    def revoke(self, user_code: str) -> None:
        for value in [v for v, t in self.tokens.items() if t.user_code == user_code]:
            del self.tokens[value]

    def _prune(self, now: datetime) -> None:
        if len(self.tokens) > 10_000:
            for value in [v for v, t in self.tokens.items() if now >= t.expires]:
                del self.tokens[value]
