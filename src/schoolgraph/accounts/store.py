"""``AccountStore``: where accounts, grants, keys, tokens and the change log are kept.

:class:`~schoolgraph.accounts.sqlite.SqliteStore` is the one implementation; a server
database can replace it by implementing this protocol. Each method is one atomic unit: a
change to an account is written together with its :class:`Change` record, and the steps of
the key flow that must happen once (counting a failure, the single view) are conditional
updates that tell whether they won.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from schoolgraph.accounts.models import (
    Account,
    AccountSchool,
    Change,
    Grant,
    KeyAction,
    KeyRecord,
    TokenRecord,
)

__all__ = ["AccountStore", "NewAccount"]


class NewAccount(Protocol):
    """The fields of an account before the store gives it a code."""

    @property
    def user_name(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def admin(self) -> bool: ...
    @property
    def contact_name(self) -> str: ...
    @property
    def contact_email(self) -> str: ...
    @property
    def contact_phone(self) -> str: ...


class AccountStore(Protocol):
    """Persistent accounts; every method is atomic."""

    async def open(self) -> None:
        """Connect, and bring the schema up to date."""
        ...

    async def close(self) -> None: ...

    # -- accounts -------------------------------------------------------------------------

    async def create_account(self, new: NewAccount, at: datetime, actor: str) -> Account:
        """Store a new account under the next free code, and log its creation."""
        ...

    async def account(self, code: str) -> Account | None: ...

    async def accounts(self) -> list[Account]:
        """Every account, by code."""
        ...

    async def save_account(self, account: Account, change: Change) -> None: ...

    async def schools(self, code: str) -> list[AccountSchool]: ...

    async def set_schools(
        self, code: str, schools: Sequence[AccountSchool], change: Change
    ) -> None: ...

    async def grants(self, code: str) -> list[Grant]:
        """The account's grants, by type name."""
        ...

    async def put_grant(self, code: str, grant: Grant, change: Change) -> None: ...

    async def delete_grant(self, code: str, type_name: str, change: Change) -> bool:
        """Remove a grant; False (and nothing logged) when there was none."""
        ...

    # -- keys -----------------------------------------------------------------------------

    async def key(self, code: str) -> KeyRecord | None: ...

    async def key_by_id(self, key_id: str) -> KeyRecord | None: ...

    async def key_by_link(self, link_hash: str) -> KeyRecord | None: ...

    async def insert_key(self, key: KeyRecord, action: KeyAction, change: Change) -> bool:
        """Store the account's key; False when it already has one."""
        ...

    async def delete_key(self, code: str, action: KeyAction, change: Change) -> bool:
        """Remove the account's key and every token issued for it; False when none."""
        ...

    async def count_failure(self, code: str, key_id: str, lock_at: int) -> int:
        """Add a failed verification to the key; the failures so far. At ``lock_at`` failures
        the sealed secret is wiped."""
        ...

    async def mark_viewed(self, code: str, key_id: str, action: KeyAction) -> bool:
        """Record the single view and wipe the sealed secret; False if it was already seen."""
        ...

    async def log_expiry(self, code: str, key_id: str, action: KeyAction) -> bool:
        """Record that the link expired, once; False when it was already recorded."""
        ...

    async def key_actions(self, code: str) -> list[KeyAction]:
        """The account's key history, oldest first (across the keys it has had)."""
        ...

    # -- tokens ---------------------------------------------------------------------------

    async def insert_token(self, token: TokenRecord) -> None: ...

    async def token(self, token_hash: str) -> TokenRecord | None: ...

    async def delete_tokens(self, code: str) -> None: ...

    async def delete_token(self, token_hash: str) -> None:
        """Revoke one token (signing out); unknown hashes are ignored."""
        ...

    async def purge_tokens(self, expired_before: datetime, *, limit: int) -> int:
        """Delete up to ``limit`` tokens that expired before ``expired_before``, the oldest
        first; how many were deleted."""
        ...

    # -- the change log -------------------------------------------------------------------

    async def changes(self, code: str | None, limit: int) -> list[Change]:
        """The newest ``limit`` changes (of one account, or of all), newest first."""
        ...
