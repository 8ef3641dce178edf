"""Tanda simulator: webhook subscriptions and signed deliveries (tanda.md §4.15), received by
a tiny aiohttp app on loopback."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from schoolgraph.simulators.control import WorldHolder

from .conftest import ServeApp
from .test_tanda import admin_token, bearer, employee, make_app, user_token


@dataclass
class Received:
    signature: str
    legacy_signature: str | None
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data

    @property
    def topic(self) -> str:
        topic: str = self.json["payload"]["topic"]
        return topic


@dataclass
class Receiver:
    url: str
    inbox: asyncio.Queue[Received]
    fail_first: list[int] = field(default_factory=lambda: [0])
    attempts: list[int] = field(default_factory=lambda: [0])

    async def next(self) -> Received:
        async with asyncio.timeout(5):
            return await self.inbox.get()

    async def topics(self, count: int) -> list[str]:
        return sorted([(await self.next()).topic for _ in range(count)])


@asynccontextmanager
async def receiver(serve_app: ServeApp) -> AsyncIterator[Receiver]:
    """A webhook receiver that answers 500 to the first `fail_first[0]` posts, then 200."""
    inbox: asyncio.Queue[Received] = asyncio.Queue()
    box = Receiver("", inbox)

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        box.attempts[0] += 1
        if box.attempts[0] <= box.fail_first[0]:
            return web.Response(status=500)
        inbox.put_nowait(
            Received(
                request.headers["X-Webhook-Signature"],
                request.headers.get("X-Hook-Signature"),
                body,
            )
        )
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with serve_app(app) as base:
        box.url = f"{base}/hook"
        yield box


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha1).digest()).decode()


async def _subscribe(
    http: aiohttp.ClientSession, base: str, token: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{base}/api/v2/webhooks", json=body, headers=bearer(token)) as r:
        return r.status, await r.json()


async def test_subscribing_sends_a_signed_created_notification(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder, webhook_retry_delays=(0.05,))
    async with (
        receiver(serve_app) as hooks,
        serve_app(app) as base,
        aiohttp.ClientSession() as http,
    ):
        token = await admin_token(http, base, holder.world)
        status, sub = await _subscribe(
            http, base, token, {"url": hooks.url, "token": "IaMaSeCrEt", "topics": ["user.created"]}
        )
        assert status == 200
        assert sub == {
            "id": 1,
            "url": hooks.url,
            "token": "IaMaSeCrEt",
            "topics": ["user.created"],
            "updated_at": sub["updated_at"],
        }
        got = await hooks.next()
    assert got.signature == signature("IaMaSeCrEt", got.body)
    assert got.legacy_signature == got.signature
    assert len(got.signature) == 28  # base64 of a 20-byte digest, as the doc's example
    message = got.json
    assert message["payload"]["topic"] == "created"
    assert message["payload"]["body"] == {
        "id": 1,
        "url": hooks.url,
        "topics": ["user.created"],
        "updated_at": sub["updated_at"],
    }
    assert uuid.UUID(message["hook_key"])
    assert isinstance(message["hook_time"], int)
    assert message["payload"]["organisation_id"] == 1


async def test_a_mutate_delivers_the_rendered_object_signed_with_the_default_secret(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    world = holder.world
    target = sorted(world.schedules)[0]
    app, _ = make_app(holder)
    async with (
        receiver(serve_app) as hooks,
        serve_app(app) as base,
        aiohttp.ClientSession() as http,
    ):
        token = await admin_token(http, base, world)
        await _subscribe(
            http, base, token, {"url": hooks.url, "topics": ["schedule.updated", "user.updated"]}
        )
        await hooks.next()  # "created"
        async with http.post(
            f"{base}/__sim/mutate", json={"table": "schedules", "action": "update", "ids": [target]}
        ):
            pass
        got = await hooks.next()
        async with http.get(f"{base}/api/v2/schedules/{target}", headers=bearer(token)) as r:
            current = await r.json()
    assert got.signature == signature(world.credentials.tanda_webhook_secret, got.body)
    assert got.topic == "schedule.updated"
    assert got.json["payload"]["body"] == current


async def test_api_writes_send_transition_topics(holder: WorldHolder, serve_app: ServeApp) -> None:
    world = holder.world
    shift = next(s for s in world.shifts.values() if s.status == "PENDING")
    worker = employee(world)
    app, _ = make_app(holder)
    async with (
        receiver(serve_app) as hooks,
        serve_app(app) as base,
        aiohttp.ClientSession() as http,
    ):
        token = await admin_token(http, base, world)
        await _subscribe(
            http,
            base,
            token,
            {
                "url": hooks.url,
                "topics": [
                    "shift.updated",
                    "shift.approved",
                    "shift.unapproved",
                    "user.updated",
                    "user.deactivated",
                    "user.reactivated",
                    "leaverequest.created",
                    "leaverequest.approved",
                    "timesheet.approved",
                ],
            },
        )
        await hooks.next()
        async with http.put(
            f"{base}/api/v2/shifts/{shift.id}", json={"status": "APPROVED"}, headers=bearer(token)
        ) as r:
            assert r.status == 200
        assert await hooks.topics(2) == ["shift.approved", "shift.updated"]
        async with http.delete(f"{base}/api/v2/users/{worker.id}", headers=bearer(token)) as r:
            assert r.status == 200
        assert await hooks.topics(2) == ["user.deactivated", "user.updated"]
        async with http.put(
            f"{base}/api/v2/users/{worker.id}", json={"active": True}, headers=bearer(token)
        ) as r:
            assert r.status == 200
        assert await hooks.topics(2) == ["user.reactivated", "user.updated"]
        async with http.post(
            f"{base}/api/v2/leave",
            headers=bearer(token),
            json={
                "user_id": worker.id,
                "leave_type": "Annual Leave",
                "start": "2026-12-14",
                "finish": "2026-12-14",
                "hours": 7.6,
                "status": "approved",
            },
        ) as r:
            assert r.status == 200
        assert await hooks.topics(2) == ["leaverequest.approved", "leaverequest.created"]
        sheet = next(t for t in world.timesheets.values() if t.status == "pending")
        async with http.put(
            f"{base}/api/v2/timesheets/{sheet.id}",
            headers=bearer(token),
            json={"status": "approved"},
        ) as r:
            assert r.status == 200
        got = await hooks.next()
    assert got.topic == "timesheet.approved"
    assert got.json["payload"]["body"]["id"] == sheet.id
    assert got.json["payload"]["body"]["status"] == "approved"


async def test_failed_deliveries_are_retried_with_the_same_hook_key(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder, webhook_retry_delays=(0.05, 0.05, 0.05))
    async with (
        receiver(serve_app) as hooks,
        serve_app(app) as base,
        aiohttp.ClientSession() as http,
    ):
        hooks.fail_first[0] = 2
        token = await admin_token(http, base, holder.world)
        await _subscribe(http, base, token, {"url": hooks.url, "topics": ["user.updated"]})
        got = await hooks.next()
        assert hooks.attempts[0] == 3
        async with http.post(
            f"{base}/__sim/mutate", json={"table": "tanda_users", "action": "update", "count": 1}
        ):
            pass
        update = await hooks.next()
    assert got.topic == "created" and update.topic == "user.updated"


async def test_a_url_that_keeps_failing_gets_no_new_events(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder, webhook_retry_delays=(0.02, 0.02))
    async with (
        receiver(serve_app) as hooks,
        serve_app(app) as base,
        aiohttp.ClientSession() as http,
    ):
        hooks.fail_first[0] = 3  # the initial attempt and both retries fail
        token = await admin_token(http, base, holder.world)
        await _subscribe(http, base, token, {"url": hooks.url, "topics": ["user.updated"]})
        for _ in range(100):
            if hooks.attempts[0] >= 3:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.05)
        async with http.post(
            f"{base}/__sim/mutate", json={"table": "tanda_users", "action": "update", "count": 1}
        ):
            pass
        await asyncio.sleep(0.2)
    assert hooks.attempts[0] == 3 and hooks.inbox.empty()


async def test_unsubscribed_topics_and_deleted_subscriptions_get_nothing(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    async with (
        receiver(serve_app) as hooks,
        serve_app(app) as base,
        aiohttp.ClientSession() as http,
    ):
        token = await admin_token(http, base, holder.world)
        _, sub = await _subscribe(
            http, base, token, {"url": hooks.url, "topics": ["department.updated"]}
        )
        await hooks.next()
        async with http.post(
            f"{base}/__sim/mutate", json={"table": "tanda_users", "action": "update", "count": 2}
        ):
            pass
        async with http.post(
            f"{base}/__sim/mutate", json={"table": "teams", "action": "update", "count": 1}
        ):
            pass
        assert (await hooks.next()).topic == "department.updated"
        async with http.get(f"{base}/api/v2/webhooks", headers=bearer(token)) as r:
            assert [s["id"] for s in await r.json()] == [sub["id"]]
        async with http.delete(f"{base}/api/v2/webhooks/{sub['id']}", headers=bearer(token)) as r:
            assert r.status == 200
        async with http.get(f"{base}/api/v2/webhooks/{sub['id']}", headers=bearer(token)) as r:
            assert r.status == 404
        async with http.post(
            f"{base}/__sim/mutate", json={"table": "teams", "action": "update", "count": 1}
        ):
            pass
        await asyncio.sleep(0.2)
    assert hooks.inbox.empty()


async def test_only_admins_manage_webhooks_and_topics_are_checked(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        worker = await user_token(http, base, holder.world, employee(holder.world))
        status, body = await _subscribe(
            http, base, worker, {"url": "http://127.0.0.1:9/hook", "topics": ["user.created"]}
        )
        assert status == 403 and "admin" in body["error"]
        token = await admin_token(http, base, holder.world)
        status, body = await _subscribe(
            http, base, token, {"url": "http://127.0.0.1:9/hook", "topics": ["shift.created"]}
        )
        assert status == 400 and "shift.created" in body["error"]
        status, _ = await _subscribe(
            http, base, token, {"url": "ftp://x", "topics": ["user.created"]}
        )
        assert status == 400
        status, _ = await _subscribe(http, base, token, {"url": "http://127.0.0.1:9/hook"})
        assert status == 400
