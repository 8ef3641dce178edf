"""``SqliteStore``: the account store in one SQLite file, through ``aiosqlite``.

The schema is versioned with ``PRAGMA user_version``: :data:`MIGRATIONS` holds one script per
version, applied in order, each in its own transaction, so a file written by an older
schoolgraph is brought up to date when it is opened. The file is created readable by its
owner only, in WAL mode so that the CLI can write while the server reads.

One connection serves the process; a lock makes each method one uninterrupted unit, and
methods that change several tables run in one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from schoolgraph.accounts.models import (
    Account,
    AccountSchool,
    Change,
    Grant,
    KeyAction,
    KeyRecord,
    TokenRecord,
)
from schoolgraph.accounts.store import NewAccount
from schoolgraph.errors import ConfigError

__all__ = ["MIGRATIONS", "SqliteStore", "connect", "transaction"]

CODE_PREFIX = "SG"

# aiosqlite logs every statement with its parameters at DEBUG: account data has no place in a
# log, whatever level the gateway runs at.
logging.getLogger("aiosqlite").setLevel(logging.INFO)

MIGRATIONS: tuple[str, ...] = (
    # 1: accounts, their schools and grants, keys and their history, tokens, the change log.
    """
    CREATE TABLE accounts (
        code TEXT PRIMARY KEY,
        number INTEGER NOT NULL UNIQUE,
        user_name TEXT NOT NULL,
        purpose TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        admin INTEGER NOT NULL,
        contact_name TEXT NOT NULL,
        contact_email TEXT NOT NULL,
        contact_phone TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE account_schools (
        account_code TEXT NOT NULL REFERENCES accounts(code),
        school_id TEXT NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (account_code, school_id)
    );
    CREATE TABLE grants (
        account_code TEXT NOT NULL REFERENCES accounts(code),
        type_name TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        read INTEGER NOT NULL,
        read_fields TEXT,
        can_add INTEGER NOT NULL,
        can_update INTEGER NOT NULL,
        update_fields TEXT,
        can_delete INTEGER NOT NULL,
        role TEXT,
        PRIMARY KEY (account_code, type_name)
    );
    CREATE TABLE keys (
        account_code TEXT PRIMARY KEY REFERENCES accounts(code),
        key_id TEXT NOT NULL UNIQUE,
        secret_hash TEXT NOT NULL,
        passphrase_hash TEXT NOT NULL,
        sealed_secret BLOB,
        link_hash TEXT NOT NULL UNIQUE,
        generated_at TEXT NOT NULL,
        link_expires_at TEXT NOT NULL,
        failures INTEGER NOT NULL,
        viewed_at TEXT,
        expiry_logged INTEGER NOT NULL
    );
    CREATE TABLE key_actions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_code TEXT NOT NULL REFERENCES accounts(code),
        action TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX key_actions_by_account ON key_actions (account_code, at);
    CREATE TABLE tokens (
        token_hash TEXT PRIMARY KEY,
        account_code TEXT NOT NULL REFERENCES accounts(code),
        key_id TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX tokens_by_account ON tokens (account_code);
    CREATE TABLE changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        account_code TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX changes_by_account ON changes (account_code, id);
    """,
    # 2: the audit log of schoolgraph's own traffic (schoolgraph.audit). Times are unix
    # microseconds (UTC), so that ranges and chart buckets are integer arithmetic in SQL.
    """
    CREATE TABLE audit_records (
        id INTEGER PRIMARY KEY,
        request_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        account_code TEXT,
        account_name TEXT,
        company TEXT,
        method TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        path TEXT NOT NULL,
        status INTEGER NOT NULL,
        error_codes TEXT NOT NULL,
        is_error INTEGER NOT NULL,
        error_message TEXT,
        ip TEXT,
        elapsed_ms REAL NOT NULL,
        request_bytes INTEGER NOT NULL,
        response_bytes INTEGER NOT NULL,
        user_agent TEXT,
        query_parameters TEXT,
        variables TEXT,
        stack TEXT
    );
    CREATE INDEX audit_by_time ON audit_records (at, is_error);
    CREATE INDEX audit_errors_by_time ON audit_records (is_error, at);
    CREATE INDEX audit_by_account ON audit_records (account_code, at, is_error);
    CREATE INDEX audit_by_endpoint ON audit_records (endpoint, at, is_error);
    CREATE INDEX audit_by_request ON audit_records (request_id);
    CREATE TABLE audit_upstream_calls (
        record_id INTEGER NOT NULL REFERENCES audit_records(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        upstream TEXT NOT NULL,
        method TEXT NOT NULL,
        route TEXT NOT NULL,
        status INTEGER,
        elapsed_ms REAL NOT NULL,
        cache TEXT NOT NULL,
        PRIMARY KEY (record_id, position)
    ) WITHOUT ROWID;
    """,
    # 3: the audit-log filters list the status codes and companies the log holds by index
    # seeks (schoolgraph.audit.store.distinct_sql), as they list users and endpoints; a
    # search by status code seeks its codes.
    """
    CREATE INDEX audit_by_status ON audit_records (status, at, is_error);
    CREATE INDEX audit_by_company ON audit_records (company, at, is_error);
    """,
    # 4: expired tokens are kept for a grace period (so that using one is answered "expired")
    # and purged a bounded batch at a time, oldest first, by an index seek.
    """
    CREATE INDEX tokens_by_expiry ON tokens (expires_at);
    """,
)
"""Schema version N is ``MIGRATIONS[:N]`` applied in order; append, never edit."""


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _maybe_time(text: str | None) -> datetime | None:
    return None if text is None else _parse_time(text)


def _fields(fields: frozenset[str] | None) -> str | None:
    return None if fields is None else json.dumps(sorted(fields))


def _parse_fields(text: str | None) -> frozenset[str] | None:
    return None if text is None else frozenset(json.loads(text))


def _account(row: sqlite3.Row) -> Account:
    return Account(
        code=row["code"],
        user_name=row["user_name"],
        purpose=row["purpose"],
        enabled=bool(row["enabled"]),
        admin=bool(row["admin"]),
        contact_name=row["contact_name"],
        contact_email=row["contact_email"],
        contact_phone=row["contact_phone"],
        created_at=_parse_time(row["created_at"]),
        updated_at=_parse_time(row["updated_at"]),
    )


def _grant(row: sqlite3.Row) -> Grant:
    return Grant(
        type_name=row["type_name"],
        enabled=bool(row["enabled"]),
        read=bool(row["read"]),
        read_fields=_parse_fields(row["read_fields"]),
        add=bool(row["can_add"]),
        update=bool(row["can_update"]),
        update_fields=_parse_fields(row["update_fields"]),
        delete=bool(row["can_delete"]),
        role=row["role"],
    )


def _key(row: sqlite3.Row) -> KeyRecord:
    return KeyRecord(
        account_code=row["account_code"],
        key_id=row["key_id"],
        secret_hash=row["secret_hash"],
        passphrase_hash=row["passphrase_hash"],
        sealed_secret=row["sealed_secret"],
        link_hash=row["link_hash"],
        generated_at=_parse_time(row["generated_at"]),
        link_expires_at=_parse_time(row["link_expires_at"]),
        failures=row["failures"],
        viewed_at=_maybe_time(row["viewed_at"]),
        expiry_logged=bool(row["expiry_logged"]),
    )


def _token(row: sqlite3.Row) -> TokenRecord:
    return TokenRecord(
        token_hash=row["token_hash"],
        account_code=row["account_code"],
        key_id=row["key_id"],
        issued_at=_parse_time(row["issued_at"]),
        expires_at=_parse_time(row["expires_at"]),
    )


def _change(row: sqlite3.Row) -> Change:
    return Change(
        at=_parse_time(row["at"]),
        actor=row["actor"],
        account_code=row["account_code"],
        action=row["action"],
        detail=json.loads(row["detail"]),
    )


class SqliteStore:
    """The account store in one SQLite file (or in memory).

    Args:
        path: The database file; its folder is created (owner-only) when missing. None keeps
            the store in memory, for the life of the process.
        migrations: The schema's versions; tests pass more to see an upgrade happen.
    """

    def __init__(self, path: Path | None, *, migrations: Sequence[str] = MIGRATIONS) -> None:
        self.path = path
        self.migrations = tuple(migrations)
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        where = str(self.path) if self.path is not None else ":memory:"
        return f"SqliteStore({where!r})"

    async def open(self) -> None:
        """Connect and migrate.

        Raises:
            ConfigError: the file cannot be created or read as a database, or its schema is
                newer than this schoolgraph's.
        """
        if self._db is not None:
            return
        self._db = await connect(self.path, self.migrations)

    @staticmethod
    def _prepare_file(path: Path) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            # Created owner-only before SQLite opens it: hashes are still not for everyone.
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))

    @staticmethod
    async def _migrate(db: aiosqlite.Connection, migrations: Sequence[str]) -> None:
        async with db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        version = int(row[0]) if row is not None else 0
        if version > len(migrations):
            raise ConfigError(
                f"The accounts database is at schema version {version}, newer than this "
                f"schoolgraph knows ({len(migrations)}); upgrade schoolgraph."
            )
        for number, script in enumerate(migrations[version:], start=version + 1):
            await db.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
            )

    async def close(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            await db.close()

    @property
    def _conn(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("The account store is not open.")
        return self._db

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock, transaction(self._conn) as db:
            yield db

    async def _all(self, sql: str, parameters: Iterable[Any] = ()) -> list[sqlite3.Row]:
        async with self._lock:
            rows = await self._conn.execute_fetchall(sql, tuple(parameters))
        return list(rows)

    async def _one(self, sql: str, parameters: Iterable[Any] = ()) -> sqlite3.Row | None:
        rows = await self._all(sql, parameters)
        return rows[0] if rows else None

    @staticmethod
    async def _log(db: aiosqlite.Connection, change: Change) -> None:
        await db.execute(
            "INSERT INTO changes (at, actor, account_code, action, detail) VALUES (?, ?, ?, ?, ?)",
            (
                _time(change.at),
                change.actor,
                change.account_code,
                change.action,
                json.dumps(change.detail, sort_keys=True, default=str),
            ),
        )

    @staticmethod
    async def _add_action(db: aiosqlite.Connection, code: str, action: KeyAction) -> None:
        await db.execute(
            "INSERT INTO key_actions (account_code, action, at) VALUES (?, ?, ?)",
            (code, action.action, _time(action.at)),
        )

    # -- accounts -------------------------------------------------------------------------

    async def create_account(self, new: NewAccount, at: datetime, actor: str) -> Account:
        async with self._write() as db:
            async with db.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM accounts") as cur:
                row = await cur.fetchone()
            number = int(row[0]) if row is not None else 1
            account = Account(
                code=f"{CODE_PREFIX}{number:04d}",
                user_name=new.user_name,
                purpose=new.purpose,
                enabled=new.enabled,
                admin=new.admin,
                contact_name=new.contact_name,
                contact_email=new.contact_email,
                contact_phone=new.contact_phone,
                created_at=at,
                updated_at=at,
            )
            await db.execute(
                "INSERT INTO accounts (code, number, user_name, purpose, enabled, admin, "
                "contact_name, contact_email, contact_phone, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    account.code,
                    number,
                    account.user_name,
                    account.purpose,
                    account.enabled,
                    account.admin,
                    account.contact_name,
                    account.contact_email,
                    account.contact_phone,
                    _time(at),
                    _time(at),
                ),
            )
            detail = {
                "userName": account.user_name,
                "purpose": account.purpose,
                "enabled": account.enabled,
                "admin": account.admin,
                "contactName": account.contact_name,
                "contactEmail": account.contact_email,
                "contactPhone": account.contact_phone,
            }
            await self._log(db, Change(at, actor, account.code, "account created", detail))
        return account

    async def account(self, code: str) -> Account | None:
        row = await self._one("SELECT * FROM accounts WHERE code = ?", (code,))
        return None if row is None else _account(row)

    async def accounts(self) -> list[Account]:
        return [_account(row) for row in await self._all("SELECT * FROM accounts ORDER BY code")]

    async def save_account(self, account: Account, change: Change) -> None:
        async with self._write() as db:
            await db.execute(
                "UPDATE accounts SET user_name = ?, purpose = ?, enabled = ?, admin = ?, "
                "contact_name = ?, contact_email = ?, contact_phone = ?, updated_at = ? "
                "WHERE code = ?",
                (
                    account.user_name,
                    account.purpose,
                    account.enabled,
                    account.admin,
                    account.contact_name,
                    account.contact_email,
                    account.contact_phone,
                    _time(account.updated_at),
                    account.code,
                ),
            )
            await self._log(db, change)

    async def schools(self, code: str) -> list[AccountSchool]:
        rows = await self._all(
            "SELECT school_id, name FROM account_schools WHERE account_code = ? ORDER BY school_id",
            (code,),
        )
        return [AccountSchool(row["school_id"], row["name"]) for row in rows]

    async def set_schools(
        self, code: str, schools: Sequence[AccountSchool], change: Change
    ) -> None:
        async with self._write() as db:
            await db.execute("DELETE FROM account_schools WHERE account_code = ?", (code,))
            await db.executemany(
                "INSERT INTO account_schools (account_code, school_id, name) VALUES (?, ?, ?)",
                [(code, school.school_id, school.name) for school in schools],
            )
            await self._touch(db, code, change.at)
            await self._log(db, change)

    @staticmethod
    async def _touch(db: aiosqlite.Connection, code: str, at: datetime) -> None:
        await db.execute("UPDATE accounts SET updated_at = ? WHERE code = ?", (_time(at), code))

    async def grants(self, code: str) -> list[Grant]:
        rows = await self._all(
            "SELECT * FROM grants WHERE account_code = ? ORDER BY type_name", (code,)
        )
        return [_grant(row) for row in rows]

    async def put_grant(self, code: str, grant: Grant, change: Change) -> None:
        async with self._write() as db:
            await db.execute(
                "INSERT OR REPLACE INTO grants (account_code, type_name, enabled, read, "
                "read_fields, can_add, can_update, update_fields, can_delete, role) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    code,
                    grant.type_name,
                    grant.enabled,
                    grant.read,
                    _fields(grant.read_fields),
                    grant.add,
                    grant.update,
                    _fields(grant.update_fields),
                    grant.delete,
                    grant.role,
                ),
            )
            await self._touch(db, code, change.at)
            await self._log(db, change)

    async def delete_grant(self, code: str, type_name: str, change: Change) -> bool:
        async with self._write() as db:
            cursor = await db.execute(
                "DELETE FROM grants WHERE account_code = ? AND type_name = ?", (code, type_name)
            )
            if cursor.rowcount == 0:
                return False
            await self._touch(db, code, change.at)
            await self._log(db, change)
        return True

    # -- keys -----------------------------------------------------------------------------

    async def key(self, code: str) -> KeyRecord | None:
        row = await self._one("SELECT * FROM keys WHERE account_code = ?", (code,))
        return None if row is None else _key(row)

    async def key_by_id(self, key_id: str) -> KeyRecord | None:
        row = await self._one("SELECT * FROM keys WHERE key_id = ?", (key_id,))
        return None if row is None else _key(row)

    async def key_by_link(self, link_hash: str) -> KeyRecord | None:
        row = await self._one("SELECT * FROM keys WHERE link_hash = ?", (link_hash,))
        return None if row is None else _key(row)

    async def insert_key(self, key: KeyRecord, action: KeyAction, change: Change) -> bool:
        async with self._write() as db:
            try:
                await db.execute(
                    "INSERT INTO keys (account_code, key_id, secret_hash, passphrase_hash, "
                    "sealed_secret, link_hash, generated_at, link_expires_at, failures, "
                    "viewed_at, expiry_logged) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        key.account_code,
                        key.key_id,
                        key.secret_hash,
                        key.passphrase_hash,
                        key.sealed_secret,
                        key.link_hash,
                        _time(key.generated_at),
                        _time(key.link_expires_at),
                        key.failures,
                        None if key.viewed_at is None else _time(key.viewed_at),
                        key.expiry_logged,
                    ),
                )
            except sqlite3.IntegrityError:
                return False
            await self._add_action(db, key.account_code, action)
            await self._log(db, change)
        return True

    async def delete_key(self, code: str, action: KeyAction, change: Change) -> bool:
        async with self._write() as db:
            cursor = await db.execute("DELETE FROM keys WHERE account_code = ?", (code,))
            if cursor.rowcount == 0:
                return False
            await db.execute("DELETE FROM tokens WHERE account_code = ?", (code,))
            await self._add_action(db, code, action)
            await self._log(db, change)
        return True

    async def count_failure(self, code: str, key_id: str, lock_at: int) -> int:
        async with (
            self._write() as db,
            db.execute(
                "UPDATE keys SET failures = failures + 1, sealed_secret = CASE WHEN "
                "failures + 1 >= ? THEN NULL ELSE sealed_secret END "
                "WHERE account_code = ? AND key_id = ? RETURNING failures",
                (lock_at, code, key_id),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return int(row[0]) if row is not None else 0

    async def mark_viewed(self, code: str, key_id: str, action: KeyAction) -> bool:
        async with self._write() as db:
            cursor = await db.execute(
                "UPDATE keys SET viewed_at = ?, sealed_secret = NULL WHERE account_code = ? "
                "AND key_id = ? AND viewed_at IS NULL AND sealed_secret IS NOT NULL",
                (_time(action.at), code, key_id),
            )
            if cursor.rowcount == 0:
                return False
            await self._add_action(db, code, action)
        return True

    async def log_expiry(self, code: str, key_id: str, action: KeyAction) -> bool:
        async with self._write() as db:
            cursor = await db.execute(
                "UPDATE keys SET expiry_logged = 1, sealed_secret = NULL WHERE account_code = ? "
                "AND key_id = ? AND expiry_logged = 0",
                (code, key_id),
            )
            if cursor.rowcount == 0:
                return False
            await self._add_action(db, code, action)
        return True

    async def key_actions(self, code: str) -> list[KeyAction]:
        rows = await self._all(
            "SELECT action, at FROM key_actions WHERE account_code = ? ORDER BY at, id", (code,)
        )
        return [KeyAction(row["action"], _parse_time(row["at"])) for row in rows]

    # -- tokens ---------------------------------------------------------------------------

    async def insert_token(self, token: TokenRecord) -> None:
        async with self._write() as db:
            await db.execute(
                "INSERT INTO tokens (token_hash, account_code, key_id, issued_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    token.token_hash,
                    token.account_code,
                    token.key_id,
                    _time(token.issued_at),
                    _time(token.expires_at),
                ),
            )

    async def token(self, token_hash: str) -> TokenRecord | None:
        row = await self._one("SELECT * FROM tokens WHERE token_hash = ?", (token_hash,))
        return None if row is None else _token(row)

    async def delete_tokens(self, code: str) -> None:
        async with self._write() as db:
            await db.execute("DELETE FROM tokens WHERE account_code = ?", (code,))

    async def delete_token(self, token_hash: str) -> None:
        async with self._write() as db:
            await db.execute("DELETE FROM tokens WHERE token_hash = ?", (token_hash,))

    async def purge_tokens(self, expired_before: datetime, *, limit: int) -> int:
        # A seek on tokens_by_expiry: the cost is the rows deleted, not the table's size.
        async with self._write() as db:
            cursor = await db.execute(
                "DELETE FROM tokens WHERE token_hash IN (SELECT token_hash FROM tokens "
                "WHERE expires_at < ? ORDER BY expires_at LIMIT ?)",
                (_time(expired_before), limit),
            )
            return cursor.rowcount

    # -- the change log -------------------------------------------------------------------

    async def changes(self, code: str | None, limit: int) -> list[Change]:
        if code is None:
            rows = await self._all("SELECT * FROM changes ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = await self._all(
                "SELECT * FROM changes WHERE account_code = ? ORDER BY id DESC LIMIT ?",
                (code, limit),
            )
        return [_change(row) for row in rows]


async def connect(
    path: Path | None, migrations: Sequence[str] = MIGRATIONS, *, what: str = "accounts"
) -> aiosqlite.Connection:
    """A connection to the database at ``path`` (in memory when None), migrated.

    The file (and its folder) is created owner-only when missing, and put in WAL mode so
    that several connections (the gateway's stores, the CLI) can share it.

    Args:
        path: The database file, or None.
        migrations: The schema's versions.
        what: What the database is called in error messages (``accounts``, ``audit``).

    Raises:
        ConfigError: the file cannot be created or read as a database, or its schema is
            newer than this schoolgraph's.
    """
    where = str(path) if path is not None else ":memory:"
    try:
        if path is not None:
            await asyncio.to_thread(SqliteStore._prepare_file, path)
        db = await aiosqlite.connect(where, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"The {what} database {where} cannot be opened: {exc}.") from None
    db.row_factory = sqlite3.Row
    try:
        await db.execute("PRAGMA busy_timeout = 5000")
        await db.execute("PRAGMA foreign_keys = ON")
        if path is not None:
            await db.execute("PRAGMA journal_mode = WAL")
        await SqliteStore._migrate(db, migrations)
    except sqlite3.Error as exc:
        await db.close()
        raise ConfigError(f"The {what} database {where} cannot be used: {exc}.") from None
    except BaseException:
        await db.close()
        raise
    return db


@asynccontextmanager
async def transaction(db: aiosqlite.Connection) -> AsyncIterator[aiosqlite.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back when the block raises; the caller
    holds the lock that makes it the connection's only writer."""
    await db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        await db.rollback()
        raise
    await db.commit()
