"""API accounts, their schools and grants, keys, tokens, and the caller a request acts as.

The model is TASS's "API Endpoint Maintenance" (tass.md §C) applied to the graph: an account
is an integration partner; it sees a set of schools, and per GraphQL type a grant says whether
it may read, add, update and delete, and which fields it may read and update ('All' or a
custom list). A grant of a type holding personal data needs a security role, as a TASS
endpoint showing the 'Alert' icon does; without one it is *incomplete* and grants nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

__all__ = [
    "ACTIONS",
    "ACTION_DELETED",
    "ACTION_EXPIRED",
    "ACTION_GENERATED",
    "ACTION_VERIFIED",
    "ALL_SCHOOLS",
    "ANONYMOUS",
    "LINK_EXPIRY_HOURS",
    "MAX_ATTEMPTS",
    "NOBODY",
    "PASSPHRASE_MIN",
    "ROLES",
    "STATUS_ACCESSED",
    "STATUS_EXPIRED",
    "STATUS_LOCKED",
    "STATUS_NONE",
    "STATUS_PENDING",
    "TANDA_SCOPE",
    "Account",
    "AccountSchool",
    "Action",
    "Caller",
    "Change",
    "Grant",
    "KeyAction",
    "KeyRecord",
    "TokenRecord",
    "roles_for",
]

# tass.md §C.5: the Key Generation screen's status messages and action history, verbatim.
STATUS_NONE = "The user does not currently have a key."
STATUS_ACCESSED = "User has successfully accessed key."
STATUS_PENDING = "User has been sent email link but has yet to view key."
STATUS_LOCKED = "There have been 3 unsuccessful verification attempts."
STATUS_EXPIRED = "Verification link has expired."
ACTION_GENERATED = "Key/secret generated and email sent"
ACTION_EXPIRED = "Verification expired"
ACTION_DELETED = "Key/secret deleted"
ACTION_VERIFIED = "Verification successful"

PASSPHRASE_MIN = 15
"""tass.md §C.5: "a 'Passphrase' with a minimum of 15 characters"."""
MAX_ATTEMPTS = 3
"""tass.md §C.5: "3 unsuccessful verification attempts" lock the link."""
LINK_EXPIRY_HOURS: tuple[int, ...] = (1, 2, 4, 6, 12, 24, 48, 72)
"""The 'Link Expiry Time (hours)' drop-down; the seed does not list its options (tass.md §D.5)."""

ALL_SCHOOLS = "*"
"""A school entry that stands for every school the gateway reads, and Tanda."""
TANDA_SCOPE = "tanda"
"""The school entry for the workforce side: Tanda's rosters, shifts, teams and its users."""

Action = Literal["read", "add", "update", "delete"]
ACTIONS: tuple[Action, ...] = get_args(Action)

ROLES: Mapping[str, frozenset[str]] = {
    "student-records": frozenset({"Student", "StudentContact", "Contact", "AttendanceMark"}),
    "staff-records": frozenset({"Staff"}),
    "workforce": frozenset({"Shift", "ScheduledShift", "Timesheet", "LeaveRequest"}),
}
"""Security roles and the GraphQL types holding personal data each covers. A grant of one of
these types needs a role that covers it (tass.md §C.4: the 'Alert' icon until a User Security
Role is assigned)."""


def roles_for(type_name: str) -> tuple[str, ...]:
    """The roles that cover ``type_name``; empty when its grants need no role."""
    return tuple(sorted(role for role, types in ROLES.items() if type_name in types))


@dataclass(frozen=True, slots=True)
class Account:
    """An API account (tass.md §C.2): an integration partner, a person or a company.

    Attributes:
        code: Generated at creation (``SG0001``...); never changes.
        admin: May use the admin fields of the graph (accounts, grants, keys).
    """

    code: str
    user_name: str
    purpose: str
    enabled: bool
    admin: bool
    contact_name: str
    contact_email: str
    contact_phone: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AccountSchool:
    """A school an account may see (tass.md §C.3): its id and the name the email shows.

    ``school_id`` is a School's domain id (``xporter:7109606``, ``tass:01``), ``tanda`` for
    the workforce side, or ``*`` for everything.
    """

    school_id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Grant:
    """What an account may do with one GraphQL type (tass.md §C.4, a row of Endpoints).

    Attributes:
        read_fields: The fields it may read; None is 'All'.
        update_fields: The fields its updates may change; None is 'All'.
        role: The security role that authorises a type holding personal data.
    """

    type_name: str
    enabled: bool = True
    read: bool = False
    read_fields: frozenset[str] | None = None
    add: bool = False
    update: bool = False
    update_fields: frozenset[str] | None = None
    delete: bool = False
    role: str | None = None

    @property
    def incomplete(self) -> bool:
        """Whether the type needs a role this grant lacks; an incomplete grant grants nothing."""
        needed = roles_for(self.type_name)
        return bool(needed) and self.role not in needed

    def allows(self, action: Action) -> bool:
        if not self.enabled or self.incomplete:
            return False
        return {"read": self.read, "add": self.add, "update": self.update, "delete": self.delete}[
            action
        ]

    def allows_read(self, field_name: str) -> bool:
        return self.allows("read") and (self.read_fields is None or field_name in self.read_fields)

    def allows_update(self, field_name: str) -> bool:
        return self.allows("update") and (
            self.update_fields is None or field_name in self.update_fields
        )


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a request acts as: an account, anonymous (demo), or nobody.

    Attributes:
        account: The account's code; None when no token was given.
        schools: The school entries it may see (``ALL_SCHOOLS`` is not kept: None is every
            school).
        grants: Its grants by type name; None grants every type, field and action.
    """

    account: str | None
    name: str
    admin: bool = False
    schools: frozenset[str] | None = frozenset()
    grants: Mapping[str, Grant] | None = field(default_factory=dict)

    @property
    def actor(self) -> str:
        """How the change log names this caller."""
        return f"account:{self.account}" if self.account is not None else self.name

    def may(self, type_name: str, action: Action) -> bool:
        if self.grants is None:
            return True
        grant = self.grants.get(type_name)
        return grant is not None and grant.allows(action)

    def may_read(self, type_name: str, field_name: str) -> bool:
        if self.grants is None:
            return True
        grant = self.grants.get(type_name)
        return grant is not None and grant.allows_read(field_name)

    def may_update(self, type_name: str, field_name: str) -> bool:
        if self.grants is None:
            return True
        grant = self.grants.get(type_name)
        return grant is not None and grant.allows_update(field_name)


ANONYMOUS = Caller(account=None, name="anonymous", schools=None, grants=None)
"""A request without a token where anonymous access is on: every grant, every school."""
NOBODY = Caller(account=None, name="nobody")
"""A request that did not authenticate (GraphiQL's page): no grant, no school."""


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """An account's key and secret, and the link that shows them once (tass.md §C.5).

    Nothing here reveals the secret: ``secret_hash`` is a slow salted hash, and
    ``sealed_secret`` is the secret encrypted under a key derived from the passphrase (which
    is itself kept only as ``passphrase_hash``), wiped at its single view.
    """

    account_code: str
    key_id: str
    secret_hash: str
    passphrase_hash: str
    sealed_secret: bytes | None
    link_hash: str
    generated_at: datetime
    link_expires_at: datetime
    failures: int = 0
    viewed_at: datetime | None = None
    expiry_logged: bool = False


@dataclass(frozen=True, slots=True)
class KeyAction:
    """A line of the Key Generation screen's action history."""

    action: str
    at: datetime


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A bearer token, kept as the SHA-256 digest of its value."""

    token_hash: str
    account_code: str
    key_id: str
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Change:
    """One administrative change: who made it, when, to which account, and what changed.

    ``detail`` never holds a secret, a passphrase or a token.
    """

    at: datetime
    actor: str
    account_code: str
    action: str
    detail: Mapping[str, object]
