"""Admin fields: accounts, their schools and grants, keys, and the change log.

``Query`` and ``Mutation`` inherit :class:`AdminQuery` and :class:`AdminMutation`. Only an
account with the admin flag may select these fields (the permissions extension refuses
everyone else before anything runs); each change is logged with the admin's account code.
"""

from __future__ import annotations

import datetime
import json
from typing import Annotated

import strawberry

from schoolgraph import accounts as acc
from schoolgraph.accounts.errors import UnknownAccountError
from schoolgraph.accounts.models import LINK_EXPIRY_HOURS, ROLES, Change, roles_for
from schoolgraph.accounts.service import AccountService
from schoolgraph.accounts.service import KeyStatus as KeyState
from schoolgraph.cache.reads import taint
from schoolgraph.errors import InternalError
from schoolgraph.graph.audit_admin import AUDIT_QUERY_FIELDS, AUDIT_TYPES, AuditAdminQuery
from schoolgraph.graph.fields import field, mutation
from schoolgraph.graph.info import Info

__all__ = [
    "ADMIN_MUTATION_FIELDS",
    "ADMIN_QUERY_FIELDS",
    "ADMIN_TYPES",
    "AdminMutation",
    "AdminQuery",
]


def _service(info: Info) -> AccountService:
    taint("the account store")  # not an upstream-cache entry: the answer cannot be kept
    service = info.context.accounts
    if service is None:
        raise InternalError("This gateway has no account store.")
    return service


@strawberry.type(description="A line of a key's history.")
class KeyAction:
    action: str = strawberry.field(description='e.g. "Key/secret generated and email sent".')
    at: datetime.datetime


@strawberry.type(description="An account's Key Generation screen.")
class KeyStatus:
    message: str = strawberry.field(
        description='e.g. "User has been sent email link but has yet to view key."'
    )
    link_expires_at: datetime.datetime | None = strawberry.field(
        description="When the emailed link stops working; null unless it is waiting."
    )
    history: list[KeyAction]

    @classmethod
    def of(cls, state: KeyState) -> KeyStatus:
        return cls(
            message=state.message,
            link_expires_at=state.link_expires_at,
            history=[KeyAction(action=line.action, at=line.at) for line in state.history],
        )


@strawberry.type(description="A school an account may see.")
class AccountSchool:
    school_id: str = strawberry.field(
        description='A School\'s domain id ("xporter:7109606"), "tanda" or "*" (everything).'
    )
    name: str


@strawberry.type(description="What an account may do with one type.")
class Grant:
    type_name: str
    enabled: bool
    read: bool
    read_fields: list[str] | None = strawberry.field(
        description="The fields it may read; null is all of them."
    )
    add: bool
    update: bool
    update_fields: list[str] | None = strawberry.field(
        description="The fields its updates may change; null is all of them."
    )
    delete: bool
    role: str | None = strawberry.field(description="The security role authorising the grant.")
    incomplete: bool = strawberry.field(
        description="The type needs a role this grant lacks, so it grants nothing."
    )

    @classmethod
    def of(cls, grant: acc.Grant) -> Grant:
        return cls(
            type_name=grant.type_name,
            enabled=grant.enabled,
            read=grant.read,
            read_fields=None if grant.read_fields is None else sorted(grant.read_fields),
            add=grant.add,
            update=grant.update,
            update_fields=None if grant.update_fields is None else sorted(grant.update_fields),
            delete=grant.delete,
            role=grant.role,
            incomplete=grant.incomplete,
        )


@strawberry.type(description="An administrative change: who, when, what.")
class AccountChange:
    at: datetime.datetime
    actor: str = strawberry.field(description='"account:SG0001", "cli:<user>"...')
    account_code: str
    action: str
    detail: str = strawberry.field(description="What changed, as a JSON object.")


@strawberry.type(description="An API account: an integration partner, a person or a company.")
class Account:
    row: strawberry.Private[acc.Account]
    code: str = strawberry.field(description="Generated when the account was made; immutable.")
    user_name: str
    purpose: str
    enabled: bool
    admin: bool = strawberry.field(description="Whether it may use these admin fields.")
    contact_name: str
    contact_email: str = strawberry.field(description="Where the key-share link is emailed.")
    contact_phone: str
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @classmethod
    def of(cls, row: acc.Account) -> Account:
        return cls(
            row=row,
            code=row.code,
            user_name=row.user_name,
            purpose=row.purpose,
            enabled=row.enabled,
            admin=row.admin,
            contact_name=row.contact_name,
            contact_email=row.contact_email,
            contact_phone=row.contact_phone,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @field(description="The schools it may see.")
    async def schools(self, info: Info) -> list[AccountSchool]:
        rows = await _service(info).schools(self.code)
        return [AccountSchool(school_id=row.school_id, name=row.name) for row in rows]

    @field(description="What it may do, per type.")
    async def grants(self, info: Info) -> list[Grant]:
        return [Grant.of(row) for row in await _service(info).grants(self.code)]

    @field(description="Its key's status and history.")
    async def key(self, info: Info) -> KeyStatus:
        return KeyStatus.of(await _service(info).key_status(self.code))

    @field(description="Changes made to it, newest first.")
    async def changes(self, info: Info, first: int = 50) -> list[AccountChange]:
        return _changes(await _service(info).changes(self.code, max(0, min(first, 1000))))


def _changes(rows: list[Change]) -> list[AccountChange]:
    return [
        AccountChange(
            at=row.at,
            actor=row.actor,
            account_code=row.account_code,
            action=row.action,
            detail=json.dumps(row.detail, sort_keys=True, default=str),
        )
        for row in rows
    ]


@strawberry.type(description="A type that can be granted, its fields and the roles it needs.")
class GrantableType:
    name: str
    fields: list[str]
    roles: list[str] = strawberry.field(
        description="A grant of this type needs one of these roles; empty when none."
    )


@strawberry.input(description="A new account.")
class CreateAccountInput:
    user_name: str = strawberry.field(description="A person's or a company's name.")
    contact_name: str
    contact_email: str = strawberry.field(description="Where the key-share link is emailed.")
    purpose: str = ""
    contact_phone: str = ""
    enabled: bool = True
    admin: bool = False


@strawberry.input(description="Changes to an account; omitted fields stay as they are.")
class UpdateAccountInput:
    user_name: str | None = None
    purpose: str | None = None
    enabled: bool | None = None
    admin: bool | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None


@strawberry.input(description="A school an account may see.")
class AccountSchoolInput:
    school_id: str = strawberry.field(
        description='"xporter:<estab>", "tass:<company>", "tanda" or "*".'
    )
    name: str | None = strawberry.field(
        default=None, description="The name the email shows; looked up when omitted."
    )


@strawberry.input(description="What an account may do with one type; replaces its grant.")
class GrantInput:
    type_name: str
    enabled: bool = True
    read: bool = False
    read_fields: list[str] | None = strawberry.field(
        default=None, description="The fields it may read; null for all."
    )
    add: bool = False
    update: bool = False
    update_fields: list[str] | None = strawberry.field(
        default=None, description="The fields its updates may change; null for all."
    )
    delete: bool = False
    role: str | None = strawberry.field(
        default=None, description=f"One of {', '.join(sorted(ROLES))}, for personal data."
    )


@strawberry.type(description="A key just generated: its status, and where the link went.")
class GeneratedKey:
    status: KeyStatus
    sent_to: str = strawberry.field(description="The contact email the link was sent to.")
    email: str | None = strawberry.field(
        description="The email itself when the gateway keeps a local outbox (no SMTP), for "
        "the school to forward; null when it was sent by SMTP."
    )


@strawberry.type
class AdminQuery(AuditAdminQuery):
    @field(description="Every API account, by code. Admin only.")
    async def accounts(self, info: Info) -> list[Account]:
        return [Account.of(row) for row in await _service(info).accounts()]

    @field(description="One API account. Admin only.")
    async def account(self, info: Info, code: str) -> Account | None:
        try:
            return Account.of(await _service(info).account(code))
        except UnknownAccountError:
            return None

    @field(description="Administrative changes, newest first. Admin only.")
    async def account_changes(
        self, info: Info, code: str | None = None, first: int = 100
    ) -> list[AccountChange]:
        return _changes(await _service(info).changes(code, max(0, min(first, 1000))))

    @field(description="The types a grant may name, with their fields. Admin only.")
    def grantable_types(self, info: Info) -> list[GrantableType]:
        catalogue = _service(info).catalogue or {}
        return [
            GrantableType(name=name, fields=sorted(fields), roles=list(roles_for(name)))
            for name, fields in sorted(catalogue.items())
        ]


def _actor(info: Info) -> str:
    return info.context.caller.actor


@strawberry.type
class AdminMutation:
    # Nullable results, as the graph's other mutations: a refused change answers null with
    # its error, not a null ``data``.
    @mutation(description="Add an API account; its code is generated. Admin only.")
    async def create_account(self, info: Info, input: CreateAccountInput) -> Account | None:
        row = await _service(info).create_account(
            _actor(info),
            acc.AccountInput(
                user_name=input.user_name,
                contact_name=input.contact_name,
                contact_email=input.contact_email,
                purpose=input.purpose,
                contact_phone=input.contact_phone,
                enabled=input.enabled,
                admin=input.admin,
            ),
        )
        return Account.of(row)

    @mutation(description="Change an account's details. Admin only.")
    async def update_account(
        self, info: Info, code: str, input: UpdateAccountInput
    ) -> Account | None:
        row = await _service(info).update_account(
            _actor(info),
            code,
            user_name=input.user_name,
            purpose=input.purpose,
            enabled=input.enabled,
            admin=input.admin,
            contact_name=input.contact_name,
            contact_email=input.contact_email,
            contact_phone=input.contact_phone,
        )
        return Account.of(row)

    @mutation(description="Disable an account: its tokens stop working at once. Admin only.")
    async def disable_account(self, info: Info, code: str) -> Account | None:
        return Account.of(await _service(info).disable_account(_actor(info), code))

    @mutation(description="Set the schools an account may see. Admin only.")
    async def set_account_schools(
        self, info: Info, code: str, schools: list[AccountSchoolInput]
    ) -> Account | None:
        service = _service(info)
        named: list[acc.AccountSchool] = []
        for school in schools:
            name = school.name
            if name is None:
                found = await info.context.directory.school(school.school_id)
                name = found.name if found is not None else ""
            named.append(acc.AccountSchool(school.school_id, name))
        await service.set_schools(_actor(info), code, named)
        return Account.of(await service.account(code))

    @mutation(description="Add or replace an account's grant of one type. Admin only.")
    async def set_grant(self, info: Info, code: str, input: GrantInput) -> Account | None:
        service = _service(info)
        await service.set_grant(
            _actor(info),
            code,
            acc.Grant(
                type_name=input.type_name,
                enabled=input.enabled,
                read=input.read,
                read_fields=None if input.read_fields is None else frozenset(input.read_fields),
                add=input.add,
                update=input.update,
                update_fields=(
                    None if input.update_fields is None else frozenset(input.update_fields)
                ),
                delete=input.delete,
                role=input.role,
            ),
        )
        return Account.of(await service.account(code))

    @mutation(description="Remove an account's grant of one type. Admin only.")
    async def remove_grant(self, info: Info, code: str, type_name: str) -> Account | None:
        service = _service(info)
        await service.remove_grant(_actor(info), code, type_name)
        return Account.of(await service.account(code))

    @mutation(
        description=(
            "Generate a key and secret and email the link to them to the account's contact. "
            "The passphrase (15 characters or more) opens the link: share it some other way. "
            f"linkExpiryHours is one of {', '.join(map(str, LINK_EXPIRY_HOURS))}. Admin only."
        )
    )
    async def generate_key(
        self,
        info: Info,
        code: str,
        passphrase: str,
        link_expiry_hours: Annotated[int, strawberry.argument(description="Hours.")],
    ) -> GeneratedKey | None:
        service = _service(info)
        request = info.context.request
        generated = await service.generate_key(
            _actor(info),
            code,
            passphrase=passphrase,
            link_expiry_hours=link_expiry_hours,
            link_base=info.context.settings.public_url or str(request.url.origin()),
        )
        return GeneratedKey(
            status=KeyStatus.of(generated.status),
            sent_to=generated.email.to,
            email=generated.email.as_text() if service.outbox.local else None,
        )

    @mutation(description="Delete an account's key: it and its tokens stop working. Admin only.")
    async def delete_key(self, info: Info, code: str) -> KeyStatus | None:
        return KeyStatus.of(await _service(info).delete_key(_actor(info), code))


ADMIN_QUERY_FIELDS = (
    frozenset({"accounts", "account", "accountChanges", "grantableTypes"}) | AUDIT_QUERY_FIELDS
)
"""The GraphQL names of :class:`AdminQuery`'s fields (a test checks them)."""
ADMIN_MUTATION_FIELDS = frozenset(
    {
        "createAccount",
        "updateAccount",
        "disableAccount",
        "setAccountSchools",
        "setGrant",
        "removeGrant",
        "generateKey",
        "deleteKey",
    }
)
"""The GraphQL names of :class:`AdminMutation`'s fields (a test checks them)."""
ADMIN_TYPES = (
    frozenset(
        {
            "Account",
            "AccountChange",
            "AccountSchool",
            "GeneratedKey",
            "Grant",
            "GrantableType",
            "KeyAction",
            "KeyStatus",
        }
    )
    | AUDIT_TYPES
)
"""Object types only the admin fields reach; never grantable."""
