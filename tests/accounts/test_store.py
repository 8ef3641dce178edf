"""The SQLite store: migrations, a private file, persistence, and the change log."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from schoolgraph.accounts import AccountInput, AccountSchool, AccountService, Grant
from schoolgraph.accounts.outbox import MemoryOutbox
from schoolgraph.accounts.sqlite import MIGRATIONS, SqliteStore
from schoolgraph.errors import ConfigError
from tests.accounts.harness import ADMIN, FAST, PASSPHRASE, WallClock

NEW = AccountInput("Acme Timetables", "Ann Lee", "ann@acme.example", purpose="Timetabling")


def service(path: Path | None, clock: WallClock, **kwargs: object) -> AccountService:
    store = SqliteStore(path, **kwargs)  # type: ignore[arg-type]
    return AccountService(store, outbox=MemoryOutbox(), clock=clock, cost=FAST)


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        version: int = db.execute("PRAGMA user_version").fetchone()[0]
    return version


async def test_a_new_file_is_private_and_at_the_latest_schema(
    tmp_path: Path, clock: WallClock
) -> None:
    path = tmp_path / "data" / "accounts.sqlite3"
    accounts = service(path, clock)
    await accounts.open()
    await accounts.close()

    assert user_version(path) == len(MIGRATIONS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


async def test_what_one_process_writes_the_next_reads(tmp_path: Path, clock: WallClock) -> None:
    path = tmp_path / "accounts.sqlite3"
    first = service(path, clock)
    await first.open()
    code = (await first.create_account(ADMIN, NEW)).code
    await first.set_schools(ADMIN, code, [AccountSchool("tass:01", "Bayside College")])
    await first.set_grant(ADMIN, code, Grant("School", read=True, read_fields=frozenset({"name"})))
    await first.close()

    second = service(path, clock)
    await second.open()
    try:
        account = await second.account(code)
        schools = await second.schools(code)
        grants = await second.grants(code)
    finally:
        await second.close()

    assert (account.code, account.user_name, account.purpose) == (
        "SG0001",
        "Acme Timetables",
        "Timetabling",
    )
    assert schools == [AccountSchool("tass:01", "Bayside College")]
    assert grants == [Grant("School", read=True, read_fields=frozenset({"name"}))]


async def test_an_older_file_is_migrated_and_keeps_its_rows(
    tmp_path: Path, clock: WallClock
) -> None:
    path = tmp_path / "accounts.sqlite3"
    old = service(path, clock)
    await old.open()
    await old.create_account(ADMIN, NEW)
    await old.close()

    newer = (*MIGRATIONS, "ALTER TABLE accounts ADD COLUMN notes TEXT NOT NULL DEFAULT '';")
    upgraded = service(path, clock, migrations=newer)
    await upgraded.open()
    try:
        [account] = await upgraded.accounts()
    finally:
        await upgraded.close()

    assert account.user_name == "Acme Timetables"
    assert user_version(path) == len(MIGRATIONS) + 1


async def test_a_file_from_a_newer_schoolgraph_is_refused(tmp_path: Path, clock: WallClock) -> None:
    path = tmp_path / "accounts.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")

    with pytest.raises(ConfigError, match="newer than this schoolgraph knows"):
        await service(path, clock).open()


async def test_a_file_that_is_not_a_database_is_a_config_error(
    tmp_path: Path, clock: WallClock
) -> None:
    path = tmp_path / "accounts.sqlite3"
    path.write_bytes(b"not a database, just bytes " * 100)

    with pytest.raises(ConfigError, match=f"The accounts database {path} cannot be used"):
        await service(path, clock).open()


async def test_codes_are_generated_in_order_and_never_change(clock: WallClock) -> None:
    accounts = service(None, clock)
    await accounts.open()
    try:
        first = await accounts.create_account(ADMIN, NEW)
        second = await accounts.create_account(ADMIN, NEW)
        renamed = await accounts.update_account(ADMIN, first.code, user_name="Acme Pty Ltd")
    finally:
        await accounts.close()

    assert (first.code, second.code, renamed.code) == ("SG0001", "SG0002", "SG0001")


async def test_every_change_is_logged_with_who_and_when(clock: WallClock) -> None:
    accounts = service(None, clock)
    await accounts.open()
    try:
        code = (await accounts.create_account("cli:ann", NEW)).code
        clock.advance(minutes=1)
        await accounts.update_account("account:SG0009", code, contact_phone="07 5555 0100")
        await accounts.set_schools("cli:ann", code, [AccountSchool("xporter:7109606")])
        await accounts.set_grant("cli:ann", code, Grant("School", read=True))
        await accounts.remove_grant("cli:ann", code, "School")
        clock.advance(minutes=1)
        await accounts.generate_key("cli:ann", code, passphrase=PASSPHRASE, link_expiry_hours=1)
        await accounts.delete_key("cli:ann", code)
        await accounts.disable_account("account:SG0009", code)
        changes = await accounts.changes(code)
    finally:
        await accounts.close()

    start = WallClock().now
    assert [(c.action, c.actor) for c in reversed(changes)] == [
        ("account created", "cli:ann"),
        ("account updated", "account:SG0009"),
        ("schools set", "cli:ann"),
        ("grant set", "cli:ann"),
        ("grant removed", "cli:ann"),
        ("key generated", "cli:ann"),
        ("key deleted", "cli:ann"),
        ("account disabled", "account:SG0009"),
    ]
    assert changes[-1].at == start
    assert changes[-2].detail == {"contactPhone": "07 5555 0100"}
    assert changes[0].at == clock.now
    assert all(c.account_code == code for c in changes)
