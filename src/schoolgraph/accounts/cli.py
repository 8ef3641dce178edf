"""``schoolgraph accounts|keys|grants``: a school administrator's commands.

They work on the accounts database the gateway uses (``SCHOOLGRAPH_DB_PATH``, by default
``~/.local/share/schoolgraph/accounts.sqlite3``), so they can run while it serves: a change
applies to the account's next request. Each change is logged as ``cli:<login name>``.

Passphrases are never taken as arguments (they would sit in shell history and ``ps``): they
come from ``--passphrase-file``, from standard input when it is not a terminal, or from a
prompt.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from schoolgraph.accounts.errors import AccountInputError
from schoolgraph.accounts.models import (
    ALL_SCHOOLS,
    LINK_EXPIRY_HOURS,
    ROLES,
    TANDA_SCOPE,
    Account,
    AccountSchool,
    Grant,
    roles_for,
)
from schoolgraph.accounts.service import AccountInput, AccountService, KeyStatus, parse_school
from schoolgraph.config import Mode, Settings, load_settings
from schoolgraph.domain.refs import System, entity_id
from schoolgraph.errors import SchoolgraphError

if TYPE_CHECKING:
    from schoolgraph.cli import Subcommands

__all__ = [
    "DEFAULT_DATA_DIR",
    "MAX_CHANGES",
    "add_accounts",
    "add_grants",
    "add_keys",
    "served_schools",
    "whole_number",
    "with_data_dir",
]

DEFAULT_DATA_DIR = "~/.local/share/schoolgraph"
PROG = "schoolgraph"
MAX_CHANGES = 1000
"""The most rows ``accounts changes --limit`` shows."""

T = TypeVar("T")


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number from ``low`` to ``high``; anything else is a usage
    error (exit 2) naming the value and the bounds, before it can reach the database."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from {low} to {high}")
        return value

    parse.__name__ = "whole number"  # argparse names the type in its messages
    return parse


def with_data_dir(settings: Settings) -> Settings:
    """``settings`` with the default data folder when ``SCHOOLGRAPH_DATA_DIR`` is unset."""
    if settings.data_dir is not None:
        return settings
    return dataclasses.replace(settings, data_dir=Path(DEFAULT_DATA_DIR).expanduser())


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name (a container without USER)
        return "cli"


def _when(value: datetime) -> str:
    """The seed's date and time format (DD/MM/YYYY HH:MM AM/PM), in this machine's zone."""
    return value.astimezone().strftime("%d/%m/%Y %I:%M %p")


def _run(command: str, work: Callable[[AccountService], Awaitable[T]]) -> int:
    """Open the accounts of the configured settings, do ``work``, close; the exit code."""
    from schoolgraph.graph.extensions.permissions import grantable_types
    from schoolgraph.graph.schema import build_schema

    settings = with_data_dir(load_settings(os.environ))
    service = AccountService.from_settings(settings, catalogue=grantable_types(build_schema()))

    async def main() -> None:
        await service.open()
        try:
            await work(service)
        finally:
            await service.close()

    try:
        asyncio.run(main())
    except AccountInputError as error:
        print(f"{PROG} {command}: error: {error.message}", file=sys.stderr)
        return 2
    except SchoolgraphError as error:
        print(f"{PROG} {command}: error: {error.message}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"{PROG} {command}: error: {error.strerror or error}.", file=sys.stderr)
        return 1
    return 0


def _schools(entries: Sequence[str] | None) -> list[AccountSchool]:
    return [parse_school(entry) for entry in entries or ()]


def served_schools(settings: Settings) -> tuple[str, ...]:
    """The school ids (and ``tanda``) the gateway of ``settings`` serves: its configured
    upstreams' schools, or the demo world's (the same seed and scale, without building it)."""
    if settings.mode is Mode.DEMO:
        from schoolgraph.simulators.dataset import school_codes

        codes = school_codes(settings.demo_seed, settings.demo_scale)
        return (*(entity_id(System(system), code) for system, code in codes), TANDA_SCOPE)
    served: list[str] = []
    if settings.xporter is not None:
        served += (entity_id(System.XPORTER, school.estab) for school in settings.xporter.schools)
    if settings.tass is not None:
        served += (entity_id(System.TASS, company.code) for company in settings.tass.companies)
    if settings.tanda is not None:
        served.append(TANDA_SCOPE)
    return tuple(served)


def _warn_unserved(command: str, schools: Sequence[AccountSchool]) -> None:
    """A warning (the change is still made: the school may be configured later) for each
    school that the configured gateway does not serve, and so the account would not see."""
    served = served_schools(with_data_dir(load_settings(os.environ)))
    for school in schools:
        if school.school_id != ALL_SCHOOLS and school.school_id not in served:
            print(
                f"{PROG} {command}: warning: {school.school_id} is not a school this gateway "
                f"serves ({', '.join(served) or 'none configured'}); the account sees nothing "
                "of it until it is.",
                file=sys.stderr,
            )


# -- output -------------------------------------------------------------------------------


def _account_lines(account: Account) -> list[str]:
    return [
        f"User Code      {account.code}",
        f"User Name      {account.user_name}",
        f"Purpose        {account.purpose}",
        f"Enabled        {'yes' if account.enabled else 'no'}",
        f"Admin          {'yes' if account.admin else 'no'}",
        f"Contact Name   {account.contact_name}",
        f"Contact Email  {account.contact_email}",
        f"Contact Phone  {account.contact_phone}",
        f"Created        {_when(account.created_at)}",
        f"Updated        {_when(account.updated_at)}",
    ]


def _fields(fields: frozenset[str] | None) -> str:
    return "All" if fields is None else "Custom: " + ",".join(sorted(fields))


def _yes(value: bool) -> str:
    return "yes" if value else "-"


def _grant_lines(grants: Sequence[Grant]) -> list[str]:
    if not grants:
        return ["  (no grants)"]
    lines = [
        f"  {'Type':<16} {'Enabled':<8} {'Read':<5} {'Add':<4} {'Update':<7} {'Delete':<7} "
        f"{'Role':<16} Fields"
    ]
    for grant in grants:
        alert = "  ALERT: needs a role (" + ", ".join(roles_for(grant.type_name)) + ")"
        lines.append(
            f"  {grant.type_name:<16} {_yes(grant.enabled):<8} {_yes(grant.read):<5} "
            f"{_yes(grant.add):<4} {_yes(grant.update):<7} {_yes(grant.delete):<7} "
            f"{grant.role or '-':<16} read {_fields(grant.read_fields)}; "
            f"update {_fields(grant.update_fields)}" + (alert if grant.incomplete else "")
        )
    return lines


def _key_lines(status: KeyStatus) -> list[str]:
    lines = [status.message]
    if status.link_expires_at is not None:
        lines.append(f"Link Expiry    {_when(status.link_expires_at)}")
    if status.history:
        lines.append("Action                                   Date/Time")
        lines += [f"{line.action:<40} {_when(line.at)}" for line in status.history]
    return lines


def _print(lines: Sequence[str]) -> None:
    print("\n".join(lines), flush=True)


# -- accounts -----------------------------------------------------------------------------


def add_accounts(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "accounts",
        help="create, list, show, update and disable API accounts",
        description="API accounts: one per integration partner (a person or a company). "
        "Codes are generated and never change.",
    )
    actions = parser.add_subparsers(title="actions", dest="action", required=True)

    create = actions.add_parser("create", help="add an account; prints its code")
    create.add_argument("--name", required=True, help="user name: a person's or company's")
    create.add_argument("--contact-name", required=True)
    create.add_argument(
        "--contact-email", required=True, help="where the key-share link is emailed"
    )
    create.add_argument("--purpose", default="", help="why the account exists")
    create.add_argument("--phone", default="", help="contact phone")
    create.add_argument("--disabled", action="store_true", help="create it disabled")
    create.add_argument("--admin", action="store_true", help="may use the admin GraphQL fields")
    create.add_argument(
        "--school",
        action="append",
        metavar="ID[=NAME]",
        help="a school it may see: xporter:<estab>, tass:<company>, tanda (the workforce "
        "side) or * (everything); repeat for more",
    )
    create.set_defaults(handler=accounts_create)

    listing = actions.add_parser("list", help="every account")
    listing.set_defaults(handler=accounts_list)

    show = actions.add_parser("show", help="an account, its schools, grants and key")
    show.add_argument("code")
    show.set_defaults(handler=accounts_show)

    update = actions.add_parser("update", help="change an account; omitted fields stay")
    update.add_argument("code")
    update.add_argument("--name")
    update.add_argument("--purpose")
    update.add_argument("--contact-name")
    update.add_argument("--contact-email")
    update.add_argument("--phone")
    enabled = update.add_mutually_exclusive_group()
    enabled.add_argument("--enable", dest="enabled", action="store_const", const=True)
    enabled.add_argument("--disable", dest="enabled", action="store_const", const=False)
    admin = update.add_mutually_exclusive_group()
    admin.add_argument("--admin", dest="admin", action="store_const", const=True)
    admin.add_argument("--no-admin", dest="admin", action="store_const", const=False)
    update.add_argument("--add-school", action="append", metavar="ID[=NAME]")
    update.add_argument("--remove-school", action="append", metavar="ID")
    update.set_defaults(handler=accounts_update)

    disable = actions.add_parser("disable", help="disable an account; its tokens stop at once")
    disable.add_argument("code")
    disable.set_defaults(handler=accounts_disable)

    changes = actions.add_parser("changes", help="who changed what and when, newest first")
    changes.add_argument("code", nargs="?")
    changes.add_argument(
        "--limit",
        type=whole_number(1, MAX_CHANGES),
        default=50,
        help=f"the newest rows shown, 1 to {MAX_CHANGES} (default 50)",
    )
    changes.set_defaults(handler=accounts_changes)


def accounts_create(args: argparse.Namespace) -> int:
    async def work(service: AccountService) -> None:
        schools = _schools(args.school)
        account = await service.create_account(
            _actor(),
            AccountInput(
                user_name=args.name,
                contact_name=args.contact_name,
                contact_email=args.contact_email,
                purpose=args.purpose,
                contact_phone=args.phone,
                enabled=not args.disabled,
                admin=args.admin,
            ),
        )
        if schools:
            await service.set_schools(_actor(), account.code, schools)
            _warn_unserved("accounts create", schools)
        print(account.code, flush=True)

    return _run("accounts create", work)


def accounts_list(args: argparse.Namespace) -> int:
    async def work(service: AccountService) -> None:
        rows = await service.accounts()
        lines = [f"{'Code':<8} {'Enabled':<8} {'Admin':<6} {'User Name':<30} Contact Email"]
        lines += [
            f"{row.code:<8} {_yes(row.enabled):<8} {_yes(row.admin):<6} {row.user_name:<30} "
            f"{row.contact_email}"
            for row in rows
        ]
        _print(lines)

    return _run("accounts list", work)


async def _show(service: AccountService, code: str) -> None:
    account = await service.account(code)
    schools = await service.schools(code)
    lines = _account_lines(account)
    lines.append("Schools")
    lines += [
        f"  {school.school_id}" + (f"  {school.name}" if school.name else "") for school in schools
    ] or ["  (none)"]
    lines.append("Grants")
    lines += _grant_lines(await service.grants(code))
    lines.append("Key")
    lines += ["  " + line for line in _key_lines(await service.key_status(code))]
    _print(lines)


def accounts_show(args: argparse.Namespace) -> int:
    return _run("accounts show", lambda service: _show(service, args.code))


def accounts_update(args: argparse.Namespace) -> int:
    async def work(service: AccountService) -> None:
        actor = _actor()
        await service.update_account(
            actor,
            args.code,
            user_name=args.name,
            purpose=args.purpose,
            enabled=args.enabled,
            admin=args.admin,
            contact_name=args.contact_name,
            contact_email=args.contact_email,
            contact_phone=args.phone,
        )
        if args.add_school:
            added = _schools(args.add_school)
            await service.add_schools(actor, args.code, added)
            _warn_unserved("accounts update", added)
        if args.remove_school:
            await service.remove_schools(actor, args.code, args.remove_school)
        await _show(service, args.code)

    return _run("accounts update", work)


def accounts_disable(args: argparse.Namespace) -> int:
    async def work(service: AccountService) -> None:
        account = await service.disable_account(_actor(), args.code)
        print(f"{account.code} is disabled; its tokens no longer work.", flush=True)

    return _run("accounts disable", work)


def accounts_changes(args: argparse.Namespace) -> int:
    import json

    async def work(service: AccountService) -> None:
        rows = await service.changes(args.code, args.limit)
        _print(
            [
                f"{_when(row.at)}  {row.actor:<24} {row.account_code:<8} {row.action:<18} "
                f"{json.dumps(row.detail, sort_keys=True, default=str)}"
                for row in rows
            ]
        )

    return _run("accounts changes", work)


# -- keys ---------------------------------------------------------------------------------


def add_keys(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "keys",
        help="generate, check and delete an account's key and secret",
        description="The key and secret an API account trades for bearer tokens. 'generate' "
        "emails a link that shows them once, behind a passphrase; regenerating is 'delete' "
        "then 'generate'.",
    )
    actions = parser.add_subparsers(title="actions", dest="action", required=True)

    generate = actions.add_parser("generate", help="make a key and email the link to it")
    generate.add_argument("code")
    generate.add_argument(
        "--expiry-hours",
        type=int,
        required=True,
        choices=LINK_EXPIRY_HOURS,
        metavar="HOURS",
        help=f"how long the link works: one of {', '.join(map(str, LINK_EXPIRY_HOURS))}",
    )
    generate.add_argument(
        "--passphrase-file",
        type=Path,
        metavar="PATH",
        help="read the passphrase (15 characters or more) from PATH; else from standard "
        "input when it is not a terminal, else from a prompt",
    )
    generate.set_defaults(handler=keys_generate)

    status = actions.add_parser("status", help="the key's status and history")
    status.add_argument("code")
    status.set_defaults(handler=keys_status)

    delete = actions.add_parser("delete", help="delete the key; its tokens stop at once")
    delete.add_argument("code")
    delete.set_defaults(handler=keys_delete)


def _passphrase(path: Path | None) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Passphrase (15 characters or more): ")
    if getpass.getpass("Passphrase again: ") != first:
        raise AccountInputError("The two passphrases differ.", field="passphrase")
    return first


def keys_generate(args: argparse.Namespace) -> int:
    async def work(service: AccountService) -> None:
        passphrase = _passphrase(args.passphrase_file)
        generated = await service.generate_key(
            _actor(), args.code, passphrase=passphrase, link_expiry_hours=args.expiry_hours
        )
        lines = _key_lines(generated.status)
        if service.outbox.local:
            lines += [
                "",
                "The email is in the local outbox (no SMTP server is configured); send it to "
                "the contact, and share the passphrase with them some other way:",
                "",
                generated.email.as_text(),
            ]
        else:
            lines.append(f"The link was emailed to {generated.email.to}.")
        _print(lines)

    try:
        return _run("keys generate", work)
    except (OSError, UnicodeDecodeError) as error:
        print(f"{PROG} keys generate: error: cannot read the passphrase: {error}.", file=sys.stderr)
        return 2


def keys_status(args: argparse.Namespace) -> int:
    async def work(service: AccountService) -> None:
        _print(_key_lines(await service.key_status(args.code)))

    return _run("keys status", work)


def keys_delete(args: argparse.Namespace) -> int:
    async def work(service: AccountService) -> None:
        _print(_key_lines(await service.delete_key(_actor(), args.code)))

    return _run("keys delete", work)


# -- grants -------------------------------------------------------------------------------


def add_grants(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "grants",
        help="what an account may read, add, update and delete, per GraphQL type",
        description="Grants per GraphQL type: enabled, read, add, update, delete, and the "
        "fields it may read and update ('All' unless listed). A type holding personal data "
        "needs a role; without one the grant is incomplete and grants nothing.",
    )
    actions = parser.add_subparsers(title="actions", dest="action", required=True)

    listing = actions.add_parser("list", help="an account's grants")
    listing.add_argument("code")
    listing.set_defaults(handler=grants_list)

    grant = actions.add_parser("set", help="add or replace grants of one or more types")
    grant.add_argument("code")
    grant.add_argument("types", nargs="+", metavar="TYPE")
    grant.add_argument("--read", action="store_true")
    grant.add_argument(
        "--read-fields", metavar="F,F", help="only these fields may be read (default: all)"
    )
    grant.add_argument("--add", action="store_true")
    grant.add_argument("--update", action="store_true")
    grant.add_argument(
        "--update-fields", metavar="F,F", help="only these fields may be updated (default: all)"
    )
    grant.add_argument("--delete", action="store_true")
    grant.add_argument("--disabled", action="store_true", help="keep the grant, switched off")
    grant.add_argument(
        "--role",
        choices=sorted(ROLES),
        help="the security role for the types holding personal data (given to those it covers)",
    )
    grant.set_defaults(handler=grants_set)

    remove = actions.add_parser("remove", help="remove an account's grant of a type")
    remove.add_argument("code")
    remove.add_argument("type")
    remove.set_defaults(handler=grants_remove)

    types = actions.add_parser("types", help="the types a grant may name, and their fields")
    types.set_defaults(handler=grants_types)


def _field_list(raw: str | None) -> frozenset[str] | None:
    if raw is None or raw.strip().lower() == "all":
        return None
    return frozenset(name.strip() for name in raw.split(",") if name.strip())


def grants_list(args: argparse.Namespace) -> int:
    async def work(service: AccountService) -> None:
        _print(_grant_lines(await service.grants(args.code)))

    return _run("grants list", work)


def grants_set(args: argparse.Namespace) -> int:
    async def work(service: AccountService) -> None:
        if args.role is not None and not any(args.role in roles_for(t) for t in args.types):
            raise AccountInputError(
                f"The role {args.role!r} covers none of {', '.join(args.types)}.", field="role"
            )
        grants = [
            Grant(
                type_name=type_name,
                enabled=not args.disabled,
                read=args.read,
                read_fields=_field_list(args.read_fields),
                add=args.add,
                update=args.update,
                update_fields=_field_list(args.update_fields),
                delete=args.delete,
                # One command may grant several types: the role goes to those it covers.
                role=args.role if args.role in roles_for(type_name) else None,
            )
            for type_name in args.types
        ]
        for grant in grants:  # all checked before any is written
            service.check_grant(grant)
        for grant in grants:
            await service.set_grant(_actor(), args.code, grant)
        _print(_grant_lines(await service.grants(args.code)))

    return _run("grants set", work)


def grants_remove(args: argparse.Namespace) -> int:
    async def work(service: AccountService) -> None:
        await service.remove_grant(_actor(), args.code, args.type)
        _print(_grant_lines(await service.grants(args.code)))

    return _run("grants remove", work)


def grants_types(args: argparse.Namespace) -> int:
    async def work(service: AccountService) -> None:
        catalogue: dict[str, Any] = dict(service.catalogue or {})
        lines = []
        for name in sorted(catalogue):
            roles = roles_for(name)
            needs = f"  (needs role: {', '.join(roles)})" if roles else ""
            lines.append(f"{name}{needs}")
            lines.append("  " + ", ".join(sorted(catalogue[name])))
        _print(lines)

    return _run("grants types", work)
