"""A gateway with an account store whose clock the test moves, and API users made over HTTP."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from schoolgraph.accounts import AccountInput, AccountSchool, AccountService, Grant
from schoolgraph.accounts.hashing import DEFAULT_COST, ScryptCost
from schoolgraph.accounts.outbox import MemoryOutbox
from schoolgraph.accounts.sqlite import SqliteStore
from schoolgraph.app import create_app
from schoolgraph.config import Settings
from schoolgraph.graph.extensions.permissions import grantable_types
from schoolgraph.graph.schema import build_schema
from tests.conftest import Serve

PASSPHRASE = "correct horse battery staple"
ADMIN = "test:admin"
FAST = ScryptCost(n=2**10, r=8, p=1)
"""A cheap scrypt for tests that make many keys; the key-flow tests use the real cost."""
_CATALOGUE = grantable_types(build_schema())


class WallClock:
    """The accounts' clock: aware UTC, moved by hand."""

    def __init__(self, start: datetime = datetime(2025, 6, 24, 5, 45, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class ApiUser:
    """An account provisioned end to end: its code, key and secret, and a bearer token."""

    code: str
    key: str
    secret: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Harness:
    url: URL
    app: web.Application
    http: aiohttp.ClientSession
    service: AccountService
    clock: WallClock
    outbox: MemoryOutbox

    async def graphql(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        user: ApiUser | None = None,
        headers: Mapping[str, str] | None = None,
        status: int = 200,
    ) -> dict[str, Any]:
        sent = {**(user.headers if user else {}), **(headers or {})}
        payload = {"query": query, "variables": dict(variables or {})}
        async with self.http.post(self.url / "graphql", json=payload, headers=sent) as response:
            body: dict[str, Any] = await response.json()
            assert response.status == status, body
            return body

    async def post_json(
        self, url: URL | str, body: Mapping[str, Any], *, status: int
    ) -> dict[str, Any]:
        async with self.http.post(url, json=body) as response:
            answer: dict[str, Any] = await response.json()
            assert response.status == status, answer
            return answer

    async def get_json(self, url: URL | str, *, status: int) -> dict[str, Any]:
        async with self.http.get(url, headers={"Accept": "application/json"}) as response:
            answer: dict[str, Any] = await response.json()
            assert response.status == status, answer
            return answer

    async def token(self, key: str, secret: str, *, status: int = 200) -> dict[str, Any]:
        return await self.post_json(
            self.url / "auth" / "token", {"key": key, "secret": secret}, status=status
        )

    async def create(
        self,
        name: str,
        *,
        schools: Iterable[str] = (),
        grants: Iterable[Grant] = (),
        admin: bool = False,
    ) -> str:
        account = await self.service.create_account(
            ADMIN,
            AccountInput(
                user_name=name,
                contact_name=f"{name} contact",
                contact_email=f"{name.lower().replace(' ', '.')}@partner.example",
                admin=admin,
            ),
        )
        await self.service.set_schools(
            ADMIN, account.code, [AccountSchool(school) for school in schools]
        )
        for grant in grants:
            await self.service.set_grant(ADMIN, account.code, grant)
        return account.code

    async def generate(self, code: str, *, hours: int = 6) -> str:
        """Generate a key; the emailed link."""
        generated = await self.service.generate_key(
            ADMIN,
            code,
            passphrase=PASSPHRASE,
            link_expiry_hours=hours,
            link_base=str(self.url),
        )
        return generated.link

    async def provision(
        self,
        name: str,
        *,
        schools: Iterable[str] = (),
        grants: Iterable[Grant] = (),
        admin: bool = False,
    ) -> ApiUser:
        """An account as a partner gets it: key from the link, then a token."""
        code = await self.create(name, schools=schools, grants=grants, admin=admin)
        link = await self.generate(code)
        shown = await self.post_json(link, {"passphrase": PASSPHRASE}, status=200)
        token = await self.token(shown["key"], shown["secret"])
        return ApiUser(code, shown["key"], shown["secret"], token["access_token"])


async def start_harness(
    serve: Serve,
    http: aiohttp.ClientSession,
    settings: Settings,
    *,
    clock: WallClock | None = None,
    db: Path | None = None,
    cost: ScryptCost = DEFAULT_COST,
) -> Harness:
    clock = clock or WallClock()
    outbox = MemoryOutbox()
    service = AccountService(
        SqliteStore(db),
        outbox=outbox,
        clock=clock,
        token_ttl=settings.token_ttl,
        catalogue=_CATALOGUE,
        cost=cost,
    )
    app = create_app(settings, accounts=service)
    url = await serve(app)
    return Harness(url, app, http, service, clock, outbox)


def full_read(*types: str, role: str | None = None) -> list[Grant]:
    """Read grants of every field of ``types``."""
    return [Grant(type_name, read=True, role=role) for type_name in types]


def codes(body: Mapping[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", ())]


def denied(body: Mapping[str, Any]) -> set[str]:
    """The coordinates a refused operation names."""
    assert body.get("data") is None, body
    assert set(codes(body)) == {"FORBIDDEN_FIELD"}, body
    return {error["extensions"]["field"] for error in body["errors"]}
