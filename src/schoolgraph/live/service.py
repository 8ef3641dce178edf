"""``LiveUpdates``: the broker, the Tanda webhook receiver and the Xporter pollers of one app.

Pollers run only while someone subscribes to a kind of change they serve: one task per
Xporter school waits, without any upstream call, until a ``studentChanged``,
``staffChanged`` or ``groupMembershipChanged`` subscription starts; then it polls that
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
from collections.abc import AsyncIterator

from aiohttp import web
from yarl import URL

from schoolgraph.config import Settings
from schoolgraph.domain import ChangeKind
from schoolgraph.errors import SchoolgraphError
from schoolgraph.graph.websocket import OPEN_SOCKETS, close_open_sockets
from schoolgraph.live.app_keys import LIVE
from schoolgraph.live.broker import Broker
from schoolgraph.live.tanda_webhook import WEBHOOK_PATH, TandaWebhookReceiver
from schoolgraph.runtime import Runtime
from schoolgraph.server import ON_LISTENING
from schoolgraph.sources.tanda import TandaSource
from schoolgraph.sources.xporter_changes import POLLED_KINDS, XporterChanges
from schoolgraph.upstreams import tanda as td

__all__ = ["LiveUpdates", "add_live_updates"]

logger = logging.getLogger(__name__)

_TANDA_KINDS = (ChangeKind.SHIFT, ChangeKind.SCHEDULED_SHIFT)


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
        if runtime.xporter is not None:
            changes = XporterChanges(runtime.xporter)
            for estab in runtime.xporter.estabs:
                self._tasks.append(asyncio.create_task(self._poll_school(changes, estab)))

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

    async def _poll_school(self, changes: XporterChanges, estab: str) -> None:
        settings = self.settings
        while True:
            kinds = {kind for kind in POLLED_KINDS if self.broker.interested([kind])}
            if not kinds:
                await changes.poll(estab, ())  # forgets the school's baselines
                self._interest.clear()
                await self._interest.wait()
                continue
            try:
                found = await changes.poll(estab, kinds)
            except SchoolgraphError as error:
                logger.warning(
                    "Polling Xporter school %s for changes failed: %s", estab, error.message
                )
            except Exception:
                logger.exception("Polling Xporter school %s for changes failed.", estab)
            else:
                self.polls += 1
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
