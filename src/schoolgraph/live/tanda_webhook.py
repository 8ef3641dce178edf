"""``POST /webhooks/tanda``: Tanda's notifications become cache evictions and changes.

Each notification is checked before anything reads it: the HMAC-SHA1 signature over the raw
body with the configured secret (constant-time compare; a wrong or missing one is 403
``FORBIDDEN``), then the replay window. Tanda repeats a notification's ``hook_key`` when it
retries, and may deliver twice (§4.15), so a ``hook_key`` already seen is answered 200
``{"status": "duplicate"}`` and does nothing (a non-200 would make Tanda retry it for a day);
a ``hook_time`` older than the window (longer than Tanda's 25 hours of retries) or more than
five minutes ahead is refused 403, since a key seen that long ago is no longer remembered.

A fresh notification evicts what it changed from the upstream cache, then publishes the
changed shift or scheduled shift, so a query and a subscription read the same new row.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from aiohttp import web

from schoolgraph.errors import BadRequestError, ForbiddenError
from schoolgraph.live.broker import Broker
from schoolgraph.middlewares import error_response, json_dumps_compact
from schoolgraph.sources.tanda import TandaSource
from schoolgraph.upstreams import tanda as td
from schoolgraph.upstreams.tanda.webhooks import DEPRECATED_SIGNATURE_HEADER, SIGNATURE_HEADER

__all__ = ["REPLAY_WINDOW_SECONDS", "WEBHOOK_PATH", "ReplayGuard", "TandaWebhookReceiver"]

WEBHOOK_PATH = "/webhooks/tanda"
# Tanda retries 12 times 5 minutes apart, then 24 times an hour apart (§4.15): 25 hours.
REPLAY_WINDOW_SECONDS = 36 * 3600.0
FUTURE_SKEW_SECONDS = 300.0
MAX_REMEMBERED = 100_000

logger = logging.getLogger(__name__)


class ReplayGuard:
    """The hook keys seen within the window, oldest first."""

    def __init__(
        self,
        window: float = REPLAY_WINDOW_SECONDS,
        *,
        clock: Callable[[], float] = time.time,
        limit: int = MAX_REMEMBERED,
    ) -> None:
        self.window = window
        self.clock = clock
        self.limit = limit
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def in_window(self, hook_time: float) -> bool:
        now = self.clock()
        return now - self.window <= hook_time <= now + FUTURE_SKEW_SECONDS

    def first_time(self, hook_key: str) -> bool:
        """Remember ``hook_key``; False when it was seen within the window."""
        now = self.clock()
        while self._seen and (
            len(self._seen) >= self.limit or next(iter(self._seen.values())) < now - self.window
        ):
            self._seen.popitem(last=False)
        if hook_key in self._seen:
            return False
        self._seen[hook_key] = now
        return True


class TandaWebhookReceiver:
    """The handler of ``POST /webhooks/tanda``.

    Args:
        secret: The signing secret; None refuses every notification.
        source: Tanda as the domain sees it (evicts, and names the changed rows).
        broker: Where changes are published.
        guard: The replay window.
    """

    def __init__(
        self,
        secret: str | None,
        source: TandaSource | None,
        broker: Broker,
        guard: ReplayGuard | None = None,
    ) -> None:
        self.secret = secret
        self.source = source
        self.broker = broker
        self.guard = guard if guard is not None else ReplayGuard()
        self.accepted = 0
        self.refused = 0

    def _refuse(self, error: ForbiddenError | BadRequestError) -> web.Response:
        self.refused += 1
        logger.warning("Refused a Tanda webhook: %s", error.message)
        return error_response(error)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``POST /webhooks/tanda``."""
        raw = await request.read()
        if self.secret is None or self.source is None:
            return self._refuse(
                ForbiddenError("This gateway takes no Tanda webhooks: no secret is configured.")
            )
        signature = request.headers.get(SIGNATURE_HEADER) or request.headers.get(
            DEPRECATED_SIGNATURE_HEADER
        )
        if not td.verify_signature(self.secret, raw, signature):
            return self._refuse(
                ForbiddenError(f"The {SIGNATURE_HEADER} header does not sign this body.")
            )
        try:
            notification = td.parse_notification(raw)
        except td.NotificationError as error:
            return self._refuse(BadRequestError(str(error)))
        if not self.guard.in_window(notification.hook_time):
            return self._refuse(
                ForbiddenError(
                    f"The notification's hook_time {notification.hook_time} is outside the "
                    "replay window."
                )
            )
        if not self.guard.first_time(notification.hook_key):
            return web.json_response({"status": "duplicate"}, dumps=json_dumps_compact)
        self.accepted += 1
        changes = await self.source.apply_notification(notification)
        for change in changes:
            self.broker.publish(change)
        logger.info(
            "Tanda webhook %s: %d change(s) published.",
            notification.topic,
            len(changes),
            extra={"topic": notification.topic, "changes": len(changes)},
        )
        return web.json_response({"status": "accepted"}, dumps=json_dumps_compact)
