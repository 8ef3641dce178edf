"""``AccountService``: what a school administrator and an API user can do with accounts.

Administration (accounts, their schools and grants, keys) takes the ``actor`` who does it,
and every change is logged with who and when. The key flow is the seed's (tass.md §C.5):

1. ``generate_key`` needs a passphrase of at least 15 characters and a link expiry in hours;
   it makes a key and secret, stores the secret only as a slow hash plus a copy sealed under
   the passphrase, and emails a link to the account's contact;
2. the link (``link``/``reveal``) asks for the passphrase; the right one shows the key and
   secret once, three wrong ones lock it, and after the expiry it is dead;
3. ``issue_token`` trades the key and secret for a bearer token; ``caller`` turns a token into
   the :class:`Caller` a request acts as. Disabling the account or deleting the key stops
   both at once.

Regenerating is the seed's: delete the key, then generate a new one.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from schoolgraph.accounts import hashing
from schoolgraph.accounts.errors import (
    AccountInputError,
    KeyExistsError,
    LinkGoneError,
    LinkLockedError,
    UnknownAccountError,
    WrongPassphraseError,
)
from schoolgraph.accounts.models import (
    ACTION_DELETED,
    ACTION_EXPIRED,
    ACTION_GENERATED,
    ACTION_VERIFIED,
    ALL_SCHOOLS,
    LINK_EXPIRY_HOURS,
    MAX_ATTEMPTS,
    PASSPHRASE_MIN,
    ROLES,
    STATUS_ACCESSED,
    STATUS_EXPIRED,
    STATUS_LOCKED,
    STATUS_NONE,
    STATUS_PENDING,
    TANDA_SCOPE,
    Account,
    AccountSchool,
    Caller,
    Change,
    Grant,
    KeyAction,
    KeyRecord,
    TokenRecord,
    roles_for,
)
from schoolgraph.accounts.outbox import Email, Outbox, outbox_for, registration_email
from schoolgraph.accounts.sqlite import SqliteStore
from schoolgraph.accounts.store import AccountStore
from schoolgraph.config import Settings
from schoolgraph.errors import NotFoundError, UnauthenticatedError

__all__ = [
    "AccountInput",
    "AccountService",
    "Catalogue",
    "Clock",
    "Credentials",
    "GeneratedKey",
    "IssuedToken",
    "KeyStatus",
    "LinkView",
    "parse_school",
    "utc_now",
]

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Catalogue = Mapping[str, frozenset[str]]
"""Grantable GraphQL types and their fields, from the schema."""

INVALID_CREDENTIALS = "The key and secret are not valid."
TOKEN_INVALID = "The bearer token is not valid; get a new one from POST /auth/token."  # noqa: S105 - a message
TOKEN_EXPIRED = "The bearer token has expired; get a new one from POST /auth/token."  # noqa: S105 - a message

TOKEN_GRACE = timedelta(hours=24)
"""How long an expired token is kept past its expiry before it is purged: until then a
request with it is told the token expired (a 401 that says why), not that it is not valid,
and the dashboard says the session expired rather than that the account was disabled."""
TOKEN_PURGE_BATCH = 100
"""Most tokens one token issue purges: each issue does a bounded amount of work, and since it
adds one token and removes up to this many, the table still holds only the live tokens and
those in their grace period."""

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_SCHOOL = re.compile(r"(xporter|tass):[A-Za-z0-9_-]+")
_MAX_TEXT = 200


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class AccountInput:
    """The fields of a new account (tass.md §C.2; ``*`` ones mandatory there)."""

    user_name: str
    contact_name: str
    contact_email: str
    purpose: str = ""
    contact_phone: str = ""
    enabled: bool = True
    admin: bool = False


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """The Key Generation screen: the status message, the link's expiry, the history."""

    account_code: str
    message: str
    link_expires_at: datetime | None
    history: tuple[KeyAction, ...]


@dataclass(frozen=True, slots=True)
class GeneratedKey:
    """What 'Generate' did: the new status, and the email it sent (with the link)."""

    status: KeyStatus
    email: Email
    link: str


@dataclass(frozen=True, slots=True)
class LinkView:
    """What a key-share link page shows before the passphrase is given."""

    account_code: str
    user_name: str
    link_expires_at: datetime
    attempts_left: int


@dataclass(frozen=True, slots=True)
class Credentials:
    """A key and secret, as shown once; ``repr`` never shows the secret."""

    key: str
    secret: str

    def __repr__(self) -> str:
        return f"Credentials(key={self.key!r}, secret='********')"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A bearer token and its lifetime in seconds; ``repr`` never shows the token."""

    token: str
    expires_in: int

    def __repr__(self) -> str:
        return f"IssuedToken(token='********', expires_in={self.expires_in})"


def _text(value: str, field: str, *, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise AccountInputError(f"{field} is mandatory; give it a value.", field=field)
    if len(text) > _MAX_TEXT:
        raise AccountInputError(
            f"{field} is {len(text)} characters long; at most {_MAX_TEXT} are allowed.",
            field=field,
        )
    return text


def _email(value: str, field: str = "contactEmail") -> str:
    email = _text(value, field, required=True)
    if not _EMAIL.fullmatch(email):
        raise AccountInputError(f"{field} must be an email address, got {email!r}.", field=field)
    return email


def parse_school(entry: str, field: str = "schools") -> AccountSchool:
    """A school entry ``ID`` or ``ID=Name``: ``xporter:<estab>``, ``tass:<company>``,
    ``tanda`` (the workforce side) or ``*`` (everything).

    Raises:
        AccountInputError: the id is none of those.
    """
    school_id, _, name = (part.strip() for part in entry.partition("="))
    if school_id not in (ALL_SCHOOLS, TANDA_SCOPE) and not _SCHOOL.fullmatch(school_id):
        raise AccountInputError(
            f"{school_id!r} is not a school: use xporter:<estab>, tass:<company>, "
            f"{TANDA_SCOPE} (the workforce side) or {ALL_SCHOOLS} (everything).",
            field=field,
        )
    return AccountSchool(school_id, _text(name, field, required=False))


def _schools_line(schools: Sequence[AccountSchool]) -> str:
    if any(school.school_id == ALL_SCHOOLS for school in schools):
        return "Every school"
    if not schools:
        return "(no school yet)"
    return ", ".join(
        school.name
        or ("Tanda (the workforce side)" if school.school_id == TANDA_SCOPE else school.school_id)
        for school in schools
    )


class AccountService:
    """Accounts, grants, keys and tokens over an :class:`AccountStore`.

    Args:
        store: Where everything is kept.
        outbox: Where key-share emails go.
        clock: The current time (aware, UTC); tests pass one they move by hand.
        token_ttl: Seconds a bearer token lives.
        catalogue: Grantable types and their fields; grants naming anything else are
            refused. None accepts any type and field.
        cost: scrypt's cost for secrets and passphrases.
        mail_from: The sender of key-share emails.
        link_base: The gateway's URL as API users reach it; links are
            ``<link_base>/keys?link=...``.
    """

    def __init__(
        self,
        store: AccountStore,
        *,
        outbox: Outbox,
        clock: Clock = utc_now,
        token_ttl: float = 900.0,
        catalogue: Catalogue | None = None,
        cost: hashing.ScryptCost = hashing.DEFAULT_COST,
        mail_from: str = "noreply@school.edu.au",
        link_base: str = "http://127.0.0.1:8000",
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.token_ttl = token_ttl
        self.catalogue = catalogue
        self.cost = cost
        self.mail_from = mail_from
        self.link_base = link_base.rstrip("/")
        self._dummy_hash: str | None = None

    def __repr__(self) -> str:
        return f"AccountService({self.store!r}, outbox={self.outbox!r})"

    @classmethod
    def from_settings(
        cls, settings: Settings, *, catalogue: Catalogue | None, clock: Clock = utc_now
    ) -> AccountService:
        """The service the settings describe: SQLite at ``settings.accounts_db`` (in memory
        when None), SMTP or the local outbox, the token lifetime and the link base."""
        return cls(
            SqliteStore(settings.accounts_db),
            outbox=outbox_for(settings),
            clock=clock,
            token_ttl=settings.token_ttl,
            catalogue=catalogue,
            mail_from=settings.smtp_from,
            link_base=settings.link_base_url,
        )

    async def open(self) -> None:
        await self.store.open()

    async def close(self) -> None:
        await self.store.close()

    def _change(
        self, actor: str, code: str, action: str, detail: Mapping[str, object] | None = None
    ) -> Change:
        return Change(self.clock(), actor, code, action, dict(detail or {}))

    # -- accounts -------------------------------------------------------------------------

    async def create_account(self, actor: str, new: AccountInput) -> Account:
        checked = AccountInput(
            user_name=_text(new.user_name, "userName", required=True),
            contact_name=_text(new.contact_name, "contactName", required=True),
            contact_email=_email(new.contact_email),
            purpose=_text(new.purpose, "purpose", required=False),
            contact_phone=_text(new.contact_phone, "contactPhone", required=False),
            enabled=new.enabled,
            admin=new.admin,
        )
        return await self.store.create_account(checked, self.clock(), actor)

    async def account(self, code: str) -> Account:
        """The account with this code.

        Raises:
            UnknownAccountError: there is none.
        """
        account = await self.store.account(code)
        if account is None:
            raise UnknownAccountError(f"No account has the code {code!r}.")
        return account

    async def accounts(self) -> list[Account]:
        return await self.store.accounts()

    async def update_account(
        self,
        actor: str,
        code: str,
        *,
        user_name: str | None = None,
        purpose: str | None = None,
        enabled: bool | None = None,
        admin: bool | None = None,
        contact_name: str | None = None,
        contact_email: str | None = None,
        contact_phone: str | None = None,
    ) -> Account:
        """Change the fields given; the code never changes. Disabling stops the account's
        tokens at once."""
        current = await self.account(code)
        changes: dict[str, object] = {}
        if user_name is not None:
            changes["user_name"] = _text(user_name, "userName", required=True)
        if purpose is not None:
            changes["purpose"] = _text(purpose, "purpose", required=False)
        if enabled is not None:
            changes["enabled"] = enabled
        if admin is not None:
            changes["admin"] = admin
        if contact_name is not None:
            changes["contact_name"] = _text(contact_name, "contactName", required=True)
        if contact_email is not None:
            changes["contact_email"] = _email(contact_email)
        if contact_phone is not None:
            changes["contact_phone"] = _text(contact_phone, "contactPhone", required=False)
        changed = {
            name: value for name, value in changes.items() if getattr(current, name) != value
        }
        if not changed:
            return current
        updated = replace(current, updated_at=self.clock(), **changed)  # type: ignore[arg-type]
        detail = {_camel(name): value for name, value in changed.items()}
        action = "account disabled" if changed.get("enabled") is False else "account updated"
        await self.store.save_account(updated, self._change(actor, code, action, detail))
        if changed.get("enabled") is False:
            await self.store.delete_tokens(code)
        return updated

    async def disable_account(self, actor: str, code: str) -> Account:
        return await self.update_account(actor, code, enabled=False)

    async def schools(self, code: str) -> list[AccountSchool]:
        await self.account(code)
        return await self.store.schools(code)

    async def set_schools(
        self, actor: str, code: str, schools: Sequence[AccountSchool]
    ) -> list[AccountSchool]:
        """Replace the schools the account sees (tass.md §C.3)."""
        await self.account(code)
        checked = [
            replace(parse_school(s.school_id), name=_text(s.name, "schools", required=False))
            for s in schools
        ]
        unique = list({school.school_id: school for school in checked}.values())
        detail = {"schools": [school.school_id for school in unique]}
        await self.store.set_schools(code, unique, self._change(actor, code, "schools set", detail))
        return await self.store.schools(code)

    async def add_schools(
        self, actor: str, code: str, schools: Sequence[AccountSchool]
    ) -> list[AccountSchool]:
        current = {school.school_id: school for school in await self.schools(code)}
        for school in schools:
            current[school.school_id] = school
        return await self.set_schools(actor, code, list(current.values()))

    async def remove_schools(
        self, actor: str, code: str, school_ids: Sequence[str]
    ) -> list[AccountSchool]:
        current = await self.schools(code)
        missing = sorted(set(school_ids) - {school.school_id for school in current})
        if missing:
            raise AccountInputError(
                f"Account {code} does not have the school {missing[0]!r}.", field="schools"
            )
        kept = [school for school in current if school.school_id not in set(school_ids)]
        return await self.set_schools(actor, code, kept)

    # -- grants ---------------------------------------------------------------------------

    async def grants(self, code: str) -> list[Grant]:
        await self.account(code)
        return await self.store.grants(code)

    def check_grant(self, grant: Grant) -> Grant:
        """The grant, if the catalogue knows its type and fields and its role fits.

        Raises:
            AccountInputError: naming the unknown type, field or role.
        """
        catalogue = self.catalogue
        if catalogue is not None:
            fields = catalogue.get(grant.type_name)
            if fields is None:
                raise AccountInputError(
                    f"{grant.type_name!r} is not a type that can be granted; see "
                    "'schoolgraph grants types'.",
                    field="typeName",
                )
            for name, chosen in (
                ("readFields", grant.read_fields),
                ("updateFields", grant.update_fields),
            ):
                unknown = sorted((chosen or frozenset()) - fields)
                if unknown:
                    raise AccountInputError(
                        f"{grant.type_name} has no field {unknown[0]!r}.", field=name
                    )
        if grant.role is not None:
            if grant.role not in ROLES:
                raise AccountInputError(
                    f"{grant.role!r} is not a role; the roles are {', '.join(sorted(ROLES))}.",
                    field="role",
                )
            if grant.role not in roles_for(grant.type_name):
                raise AccountInputError(
                    f"The role {grant.role!r} does not cover {grant.type_name}.", field="role"
                )
        return grant

    async def set_grant(self, actor: str, code: str, grant: Grant) -> Grant:
        """Add or replace the account's grant of ``grant.type_name`` (tass.md §C.4)."""
        await self.account(code)
        self.check_grant(grant)
        detail = {
            "typeName": grant.type_name,
            "enabled": grant.enabled,
            "read": grant.read,
            "readFields": "All" if grant.read_fields is None else sorted(grant.read_fields),
            "add": grant.add,
            "update": grant.update,
            "updateFields": "All" if grant.update_fields is None else sorted(grant.update_fields),
            "delete": grant.delete,
            "role": grant.role,
        }
        await self.store.put_grant(code, grant, self._change(actor, code, "grant set", detail))
        return grant

    async def remove_grant(self, actor: str, code: str, type_name: str) -> None:
        await self.account(code)
        change = self._change(actor, code, "grant removed", {"typeName": type_name})
        if not await self.store.delete_grant(code, type_name, change):
            raise AccountInputError(
                f"Account {code} has no grant of {type_name!r}.", field="typeName"
            )

    # -- keys -----------------------------------------------------------------------------

    async def _state(self, key: KeyRecord | None) -> str:
        """The status message of ``key``; logs 'Verification expired' once, at the expiry."""
        if key is None:
            return STATUS_NONE
        if key.viewed_at is not None:
            return STATUS_ACCESSED
        if key.failures >= MAX_ATTEMPTS:
            return STATUS_LOCKED
        if self.clock() >= key.link_expires_at:
            if not key.expiry_logged:
                # The seed's history stamps the expiry at the link's expiry time.
                action = KeyAction(ACTION_EXPIRED, key.link_expires_at)
                await self.store.log_expiry(key.account_code, key.key_id, action)
            return STATUS_EXPIRED
        return STATUS_PENDING

    async def key_status(self, code: str) -> KeyStatus:
        """The Key Generation screen of the account (tass.md §C.5)."""
        await self.account(code)
        key = await self.store.key(code)
        message = await self._state(key)
        return KeyStatus(
            account_code=code,
            message=message,
            link_expires_at=key.link_expires_at if key and message == STATUS_PENDING else None,
            history=tuple(await self.store.key_actions(code)),
        )

    async def generate_key(
        self,
        actor: str,
        code: str,
        *,
        passphrase: str,
        link_expiry_hours: int,
        link_base: str | None = None,
    ) -> GeneratedKey:
        """'Generate': a new key and secret, and the email with the link to them.

        Raises:
            AccountInputError: the passphrase is shorter than 15 characters, or the expiry is
                not one of :data:`LINK_EXPIRY_HOURS`.
            KeyExistsError: the account has a key; delete it first.
        """
        account = await self.account(code)
        if len(passphrase) < PASSPHRASE_MIN:
            raise AccountInputError(
                f"The passphrase is {len(passphrase)} characters long; enter a passphrase "
                f"with a minimum of {PASSPHRASE_MIN} characters.",
                field="passphrase",
            )
        if link_expiry_hours not in LINK_EXPIRY_HOURS:
            raise AccountInputError(
                f"The link expiry time must be one of {', '.join(map(str, LINK_EXPIRY_HOURS))} "
                f"hours, got {link_expiry_hours}.",
                field="linkExpiryHours",
            )
        if await self.store.key(code) is not None:
            raise KeyExistsError(
                f"Account {code} already has a key; delete it before generating a new one."
            )
        key_id, secret, link_id = hashing.new_key_id(), hashing.new_secret(), hashing.new_link_id()
        secret_hash, (passphrase_hash, seal_key) = await asyncio.gather(
            asyncio.to_thread(hashing.hash_secret, secret, self.cost),
            asyncio.to_thread(hashing.seal_with_passphrase, passphrase, self.cost),
        )
        now = self.clock()
        record = KeyRecord(
            account_code=code,
            key_id=key_id,
            secret_hash=secret_hash,
            passphrase_hash=passphrase_hash,
            sealed_secret=hashing.seal(secret, seal_key, _seal_context(code, key_id)),
            link_hash=hashing.digest(link_id),
            generated_at=now,
            link_expires_at=now + timedelta(hours=link_expiry_hours),
        )
        link = f"{(link_base or self.link_base).rstrip('/')}/keys?link={link_id}"
        email = registration_email(
            sender=self.mail_from,
            to=account.contact_email,
            user_name=account.user_name,
            schools=_schools_line(await self.store.schools(code)),
            link=link,
            at=now,
        )
        change = self._change(
            actor,
            code,
            "key generated",
            {"linkExpiryHours": link_expiry_hours, "sentTo": account.contact_email},
        )
        # Sent before it is stored: a key whose email failed must not exist.
        await self.outbox.send(email)
        if not await self.store.insert_key(record, KeyAction(ACTION_GENERATED, now), change):
            raise KeyExistsError(
                f"Account {code} already has a key; delete it before generating a new one."
            )
        return GeneratedKey(await self.key_status(code), email, link)

    async def delete_key(self, actor: str, code: str) -> KeyStatus:
        """'Delete': the key and every token issued for it stop working at once."""
        await self.account(code)
        change = self._change(actor, code, "key deleted")
        if not await self.store.delete_key(code, KeyAction(ACTION_DELETED, self.clock()), change):
            raise NotFoundError(f"Account {code}: {STATUS_NONE}")
        return await self.key_status(code)

    async def _link_key(self, link_id: str) -> tuple[KeyRecord, Account]:
        key = await self.store.key_by_link(hashing.digest(link_id))
        account = None if key is None else await self.store.account(key.account_code)
        if key is None or account is None:
            raise NotFoundError(
                "This key-share link is not valid; the key it was for may have been deleted."
            )
        state = await self._state(key)
        if state == STATUS_ACCESSED:
            raise LinkGoneError(
                "The key and secret behind this link have already been viewed; contact the "
                "school if you require new credentials."
            )
        if state == STATUS_LOCKED:
            raise LinkLockedError(f"{STATUS_LOCKED} Contact the school for a new key.")
        if state == STATUS_EXPIRED:
            raise LinkGoneError(f"{STATUS_EXPIRED} Contact the school for a new key.")
        return key, account

    async def link(self, link_id: str) -> LinkView:
        """What the link's page shows, while it can still be used.

        Raises:
            NotFoundError: no such link. LinkGoneError: expired or already viewed.
            LinkLockedError: three wrong passphrases.
        """
        key, account = await self._link_key(link_id)
        return LinkView(
            account.code, account.user_name, key.link_expires_at, MAX_ATTEMPTS - key.failures
        )

    async def reveal(self, link_id: str, passphrase: str) -> Credentials:
        """The key and secret, once, for the right passphrase.

        Raises:
            WrongPassphraseError: the passphrase is wrong and attempts remain.
            LinkLockedError: that was the third wrong passphrase (or an earlier one was).
            LinkGoneError, NotFoundError: as :meth:`link`.
        """
        key, _ = await self._link_key(link_id)
        seal_key = await asyncio.to_thread(hashing.open_passphrase, passphrase, key.passphrase_hash)
        if seal_key is None:
            failures = await self.store.count_failure(key.account_code, key.key_id, MAX_ATTEMPTS)
            left = MAX_ATTEMPTS - failures
            if left <= 0:
                raise LinkLockedError(f"{STATUS_LOCKED} Contact the school for a new key.")
            raise WrongPassphraseError(
                f"The passphrase is not correct; {left} attempt{'s' if left != 1 else ''} "
                "left before the link locks.",
                attempts_left=left,
            )
        secret = (
            hashing.unseal(key.sealed_secret, seal_key, _seal_context(key.account_code, key.key_id))
            if key.sealed_secret is not None
            else None
        )
        viewed = KeyAction(ACTION_VERIFIED, self.clock())
        if secret is None or not await self.store.mark_viewed(key.account_code, key.key_id, viewed):
            raise LinkGoneError(
                "The key and secret behind this link have already been viewed; contact the "
                "school if you require new credentials."
            )
        return Credentials(key.key_id, secret)

    # -- tokens ---------------------------------------------------------------------------

    async def _no_such_key(self, secret: str) -> None:
        # As slow as a real check, so the answer's timing does not say whether a key exists.
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(hashing.hash_secret, "", self.cost)
        await asyncio.to_thread(hashing.verify_secret, secret, self._dummy_hash)

    async def issue_token(self, key_id: str, secret: str) -> IssuedToken:
        """A bearer token for a valid key and secret of an enabled account.

        Raises:
            UnauthenticatedError: the key and secret do not match, or the account is disabled.
        """
        key = await self.store.key_by_id(key_id)
        if key is None:
            await self._no_such_key(secret)
            raise UnauthenticatedError(INVALID_CREDENTIALS)
        if not await asyncio.to_thread(hashing.verify_secret, secret, key.secret_hash):
            raise UnauthenticatedError(INVALID_CREDENTIALS)
        account = await self.store.account(key.account_code)
        if account is None:
            raise UnauthenticatedError(INVALID_CREDENTIALS)
        if not account.enabled:
            raise UnauthenticatedError(
                f"The account {account.code} is disabled; ask the school to enable it."
            )
        now = self.clock()
        await self.store.purge_tokens(now - TOKEN_GRACE, limit=TOKEN_PURGE_BATCH)
        token = hashing.new_token()
        await self.store.insert_token(
            TokenRecord(
                token_hash=hashing.digest(token),
                account_code=account.code,
                key_id=key.key_id,
                issued_at=now,
                expires_at=now + timedelta(seconds=self.token_ttl),
            )
        )
        return IssuedToken(token, round(self.token_ttl))

    async def caller(self, token: str) -> Caller:
        """Who a bearer token acts for, with its schools and grants as they are now.

        Raises:
            UnauthenticatedError: the token is unknown, expired or revoked (its key deleted),
                or its account is disabled. An expired token is told apart from an unknown
                one for :data:`TOKEN_GRACE` after its expiry; after that it is purged.
        """
        record = await self.store.token(hashing.digest(token))
        if record is None:
            raise UnauthenticatedError(TOKEN_INVALID)
        if self.clock() >= record.expires_at:
            raise UnauthenticatedError(TOKEN_EXPIRED)
        account = await self.store.account(record.account_code)
        key = await self.store.key(record.account_code)
        if account is None or key is None or key.key_id != record.key_id:
            raise UnauthenticatedError(TOKEN_INVALID)
        if not account.enabled:
            raise UnauthenticatedError(
                f"The account {account.code} is disabled; its tokens no longer work."
            )
        schools = {school.school_id for school in await self.store.schools(account.code)}
        return Caller(
            account=account.code,
            name=account.user_name,
            admin=account.admin,
            schools=None if ALL_SCHOOLS in schools else frozenset(schools),
            grants={grant.type_name: grant for grant in await self.store.grants(account.code)},
        )

    async def revoke_token(self, token: str) -> None:
        """End one bearer token now (the dashboard's sign out); other tokens live on."""
        await self.store.delete_token(hashing.digest(token))

    # -- the change log -------------------------------------------------------------------

    async def changes(self, code: str | None = None, limit: int = 100) -> list[Change]:
        """The newest changes, of one account or of all, newest first."""
        if code is not None:
            await self.account(code)
        return await self.store.changes(code, limit)


def _seal_context(code: str, key_id: str) -> str:
    return f"schoolgraph key {code} {key_id}"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
