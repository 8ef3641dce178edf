"""An unexpected error's stack trace: on its Error Details page for an admin, never in the
response the API client got."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import strawberry

from schoolgraph.accounts import AccountService
from schoolgraph.accounts.outbox import MemoryOutbox
from schoolgraph.accounts.sqlite import SqliteStore
from schoolgraph.app import create_app
from schoolgraph.config import Mode, Settings
from schoolgraph.graph.schema import build_schema
from tests.accounts.harness import FAST, Harness, WallClock
from tests.conftest import Serve
from tests.dashboard.site import Dashboard

SECRET_DETAIL = "the <internal> detail no client may see"


@strawberry.type
class Exploding:
    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError(SECRET_DETAIL)


async def test_an_admin_sees_the_stack_the_client_never_got(
    serve: Serve, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    clock = WallClock()
    outbox = MemoryOutbox()
    service = AccountService(
        SqliteStore(tmp_path / "accounts.sqlite3"), outbox=outbox, clock=clock, cost=FAST
    )
    app = create_app(
        Settings(mode=Mode.UPSTREAM, anonymous=True),
        schema=build_schema(Exploding, mutation=None),
        accounts=service,
    )
    harness = Harness(await serve(app), app, http, service, clock, outbox)
    admin = await harness.provision("School Office", admin=True)
    async with http.post(
        harness.url / "graphql", json={"query": "{ boom }"}, headers={"X-Request-Id": "req-boom"}
    ) as response:
        client_saw = await response.text()

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        dashboard = Dashboard(harness, browser)
        await dashboard.flush()
        await dashboard.sign_in(admin)
        answer = await dashboard.get("/admin/errors/req-boom")

    assert "internal" not in client_saw and "Traceback" not in client_saw
    assert answer.status == 200
    assert f"RuntimeError: {SECRET_DETAIL}" in answer.page.text
    assert "Traceback (most recent call last)" in answer.page.text
    assert "the &lt;internal&gt; detail" in answer.text
    assert "Error Message Internal server error." in answer.page.text
