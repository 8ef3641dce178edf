"""``LiveUpdates``: the broker, the Tanda webhook receiver and the school pollers of one app.

Pollers run only while someone subscribes to a kind of change they serve: one task per
Xporter school (students, staff, groups) and per TASS company (students, staff) waits, without
any upstream call, until a subscription of a kind it serves starts; then it polls that
school's lists every ``SCHOOLGRAPH_LIVE_POLL_INTERVAL`` seconds plus a random jitter of up to
``SCHOOLGRAPH_LIVE_POLL_JITTER``, through the same client (tokens, rate limits and cache) as
queries. Tanda pushes its changes, so costs nothing while idle: in demo mode the gateway
registers its webhook with the simulated Tanda when the first shift subscription starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Collection
from typing import Protocol

from aiohttp import web
from yarl import URL

from schoolgraph.config import Settings
from schoolgraph.domain import Change, ChangeKind, System, entity_id
from schoolgraph.errors import SchoolgraphError
from schoolgraph.graph.websocket import OPEN_SOCKETS, close_open_sockets
from schoolgraph.live.app_keys import LIVE
from schoolgraph.live.broker import Broker
from schoolgraph.live.tanda_webhook import WEBHOOK_PATH, TandaWebhookReceiver
from schoolgraph.runtime import Runtime
from schoolgraph.server import ON_LISTENING
from schoolgraph.sources.tanda import TandaSource
from schoolgraph.sources.tass_changes import TassChanges
from schoolgraph.sources.xporter_changes import XporterChanges
from schoolgraph.upstreams import tanda as td

__all__ = ["LiveUpdates", "add_live_updates"]

logger = logging.getLogger(__name__)

_TANDA_KINDS = (ChangeKind.SHIFT, ChangeKind.SCHEDULED_SHIFT)


class ChangePoller(Protocol):
    """One upstream's change detection (``XporterChanges``, ``TassChanges``)."""

    system: System

    @property
    def kinds(self) -> Collection[ChangeKind]:
        """The kinds of change it detects."""
        ...

    async def poll(self, school: str, kinds: Collection[ChangeKind]) -> list[Change]:
        """The changes of ``kinds`` at ``school`` since its last poll; with no ``kinds``,
        forget the school's baselines."""
        ...


class LiveUpdates:
    """What one app runs for subscriptions; started and stopped by its ``cleanup_ctx``."""

    def __init__(self, settings: Settings, runtime: Runtime) -> None:
        self.settings = settings
        self.runtime = runtime
        self.broker = Broker(settings.live_queue_size)
        self.receiver = TandaWebhookReceiver(None, None, self.broker)
        self.base_url: URL | None = None
        self.webhook_registered = asyncio.Event()
        """Set once the demo's webhook is registered with the simulated Tanda."""
        self.polls = 0
        self.polls_by_school: Counter[str] = Counter()
        """Polls that completed, by school id (``"xporter:<estab>"``, ``"tass:<company>"``)."""
        self._interest = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._registering: asyncio.Task[None] | None = None
        self.broker.watch(self._on_subscriptions)

    def listening(self, url: URL) -> None:
        self.base_url = url
        self._on_subscriptions()

    def _on_subscriptions(self) -> None:
        self._interest.set()
        if (
            self._registering is None
            and self.base_url is not None
            and self.runtime.simulators is not None
            and self.broker.interested(_TANDA_KINDS)
        ):
            self._registering = asyncio.create_task(self._register_demo_webhook())

    async def start(self) -> None:
        runtime = self.runtime
        secret = self.settings.live_webhook_secret
        if runtime.tanda is not None:
            if secret is not None:
                token: str | None = secret.reveal()
            elif runtime.simulators is not None:
                token = secrets.token_urlsafe(32)
            else:
                token = None
            self.receiver.secret = token
            self.receiver.source = TandaSource(runtime.tanda)
        pollers: list[tuple[ChangePoller, tuple[str, ...]]] = []
        if runtime.xporter is not None:
            pollers.append((XporterChanges(runtime.xporter), runtime.xporter.estabs))
        if runtime.tass is not None:
            pollers.append((TassChanges(runtime.tass), runtime.tass.company_codes))
        for changes, schools in pollers:
            for school in schools:
                self._tasks.append(asyncio.create_task(self._poll_school(changes, school)))

    async def close(self) -> None:
        tasks = [*self._tasks, *([self._registering] if self._registering else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _register_demo_webhook(self) -> None:
        client, secret = self.runtime.tanda, self.receiver.secret
        if client is None or secret is None or self.base_url is None:
            return
        url = str(self.base_url.with_path(WEBHOOK_PATH))
        try:
            await client.create_webhook(url, secret, td.WEBHOOK_TOPICS)
        except SchoolgraphError as error:
            logger.warning("Could not register the demo's Tanda webhook: %s", error.message)
            return
        logger.info("Registered %s with the simulated Tanda for live shift updates.", url)
        self.webhook_registered.set()

    async def _poll_school(self, changes: ChangePoller, school: str) -> None:
        settings = self.settings
        school_id = entity_id(changes.system, school)
        while True:
            kinds = {kind for kind in changes.kinds if self.broker.interested([kind])}
            if not kinds:
                await changes.poll(school, ())  # forgets the school's baselines
                self._interest.clear()
                await self._interest.wait()
                continue
            try:
                found = await changes.poll(school, kinds)
            except SchoolgraphError as error:
                logger.warning("Polling school %s for changes failed: %s", school_id, error.message)
            except Exception:
                logger.exception("Polling school %s for changes failed.", school_id)
            else:
                self.polls += 1
                self.polls_by_school[school_id] += 1
                for change in found:
                    self.broker.publish(change)
            wait = settings.live_poll_interval + random.uniform(0, settings.live_poll_jitter)  # noqa: S311 - spreading polls, not a secret
            await asyncio.sleep(wait)


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    live = app[LIVE]
    await live.start()
    try:
        yield
    finally:
        await live.close()


def add_live_updates(app: web.Application, settings: Settings, runtime: Runtime) -> None:
    """Serve ``POST /webhooks/tanda`` and run the pollers with the app (after the runtime's
    own ``cleanup_ctx``, so the clients exist when they start)."""
    live = LiveUpdates(settings, runtime)
    app[LIVE] = live
    app[OPEN_SOCKETS] = weakref.WeakSet()
    app.setdefault(ON_LISTENING, []).append(live.listening)
    app.cleanup_ctx.append(_lifecycle)
    app.on_shutdown.append(close_open_sockets)
    app.router.add_post(WEBHOOK_PATH, live.receiver.handle)
