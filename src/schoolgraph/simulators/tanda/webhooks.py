"""Webhook subscriptions and signed, asynchronous delivery (tanda.md §4.15).

Every change to a workforce table of the world (seen through `world.listeners`, so writes
through the API and `/__sim/mutate` alike) becomes the documented topics:

* teams -> `department.created|updated|destroyed`;
* tanda_users -> `user.created|updated`, plus `user.deactivated|reactivated` when `active`
  flips; removing a user from the world is sent as `user.deactivated` (§4.2.7: deleting a
  Tanda user deactivates it, and there is no `user.destroyed` topic);
* schedules -> `schedule.created|updated|destroyed`, plus `schedule.published` when
  `last_published_at` moves;
* shifts -> `shift.updated`, plus `shift.approved|unapproved` on a status change (the doc
  has no `shift.created` or `shift.destroyed`, so none is sent);
* timesheets -> `timesheet.approved|exported` when the status becomes that;
* leave_requests -> `leaverequest.created|updated`, plus `leaverequest.approved|rejected`
  when created in or moved to that status;
* leave_balances -> `leavebalance.created|updated`.
Locations, rosters and the organisation have no topics, so their changes send nothing.

The notification is `{"hook_key", "hook_time", "payload": {"organisation_id", "body",
"topic"}}` with `hook_time` and `organisation_id` integers and `hook_key` a UUID that is
stable for one event and subscription (so a retry repeats it). `body` is the object as its
GET endpoint renders it for an admin. The body is signed with base64(HMAC-SHA1(secret,
body)) in `X-Webhook-Signature` (and the deprecated `X-Hook-Signature`); the secret is the
subscription's `token`, or `credentials.tanda_webhook_secret` when it was created without
one. Creating a subscription sends it one notification with the topic `created`.

A delivery succeeds on HTTP 200 within 30 s. Failures are retried 12 times 5 minutes apart,
then 24 times an hour apart (the delays are a factory argument so tests can shrink them);
when every retry fails, the URL gets no new events.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp

from ..dataset import (
    LeaveBalance,
    LeaveRequest,
    Record,
    Schedule,
    Shift,
    TandaUser,
    Team,
    Timesheet,
    World,
)
from .errors import encode
from .render import (
    render_balance,
    render_department,
    render_leave,
    render_schedule,
    render_shift,
    render_timesheet,
    render_user,
    unix,
)

# tanda.md §4.15, the complete topic list.
TOPICS: tuple[str, ...] = (
    "clockin.updated",
    "clockin.photo",
    "department.created",
    "department.updated",
    "department.destroyed",
    "leaverequest.approved",
    "leaverequest.created",
    "leaverequest.rejected",
    "leaverequest.updated",
    "schedule.created",
    "schedule.updated",
    "schedule.destroyed",
    "schedule.published",
    "shift.approved",
    "shift.unapproved",
    "shift.updated",
    "super_fund_membership.updated",
    "timesheet.approved",
    "timesheet.exported",
    "timesheet.costed",
    "unavailability.created",
    "qualification.created",
    "qualification.updated",
    "qualification.destroyed",
    "user.created",
    "user.deactivated",
    "user.reactivated",
    "user.onboarding_complete",
    "user.updated",
    "leavebalance.created",
    "leavebalance.updated",
    "platform_record.created",
    "platform_record.updated",
    "platform_record.destroyed",
    "ats_jobapplication.stage_changed",
)
DELIVERY_TIMEOUT_SECONDS = 30
# tanda.md §4.15: "retry 12 times, roughly every 5 minutes ... another 24 times, roughly
# every 1 hour".
DOCUMENTED_RETRY_DELAYS: tuple[float, ...] = (300.0,) * 12 + (3600.0,) * 24

# The fields whose previous value decides transition topics.
_WATCHED: dict[str, str] = {
    "tanda_users": "active",
    "schedules": "last_published_at",
    "shifts": "status",
    "timesheets": "status",
    "leave_requests": "status",
}


@dataclass(slots=True)
class Subscription:
    id: int
    url: str
    token: str | None
    topics: list[str]
    created_at: datetime
    delivered: int = 0
    disabled: bool = False

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "token": self.token,
            "topics": self.topics,
            "updated_at": unix(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class Delivery:
    subscription_id: int
    url: str
    body: bytes
    signature: str


@dataclass(slots=True)
class _Runtime:
    queue: asyncio.Queue[Delivery]
    session: aiohttp.ClientSession
    worker: asyncio.Task[None]
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


def sign(secret: str, body: bytes) -> str:
    """base64(HMAC-SHA1(secret, body)), as the doc's 28-character example signature."""
    digest = hmac.new(secret.encode(), body, hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class WebhookHub:
    """Subscriptions, topic mapping and the background delivery worker."""

    def __init__(
        self,
        world: Callable[[], World],
        clock: Callable[[], datetime],
        timesheet_shifts: Callable[[int], list[int]],
        *,
        retry_delays: Sequence[float] = DOCUMENTED_RETRY_DELAYS,
    ) -> None:
        self._world = world
        self._clock = clock
        self._timesheet_shifts = timesheet_shifts
        self.retry_delays = tuple(retry_delays)
        self.subscriptions: dict[int, Subscription] = {}
        self._next_id = 1
        self._previous: dict[tuple[str, int], object] = {}
        self._runtime: _Runtime | None = None

    # -- subscriptions -----------------------------------------------------------------------

    def subscribe(self, url: str, token: str | None, topics: list[str]) -> Subscription:
        subscription = Subscription(self._next_id, url, token, topics, self._clock())
        self._next_id += 1
        self.subscriptions[subscription.id] = subscription
        body = subscription.render()
        del body["token"]  # the secret never travels in a notification
        self._enqueue(subscription, "created", body, f"subscription:{subscription.id}")
        return subscription

    def unsubscribe(self, subscription_id: int) -> Subscription | None:
        return self.subscriptions.pop(subscription_id, None)

    def reset(self) -> None:
        self.subscriptions.clear()
        self._next_id = 1

    # -- world changes -----------------------------------------------------------------------

    def remember(self, world: World) -> None:
        """Record the watched fields of `world`, so the next change can tell what flipped."""
        self._previous = {
            (table, record_id): getattr(record, name)
            for table, name in _WATCHED.items()
            for record_id, record in world.table(table).items()
        }

    def on_change(self, action: str, table: str, record: Record | None, revision: int) -> None:
        """A `world.listeners` callback: queue the topics this change stands for."""
        if record is None:
            return
        watched = _WATCHED.get(table)
        key = (table, record.id)
        before = self._previous.get(key)
        if watched is not None:
            if action == "delete":
                self._previous.pop(key, None)
            else:
                self._previous[key] = getattr(record, watched)
        topics = _topics(action, table, record, before, created=action == "add")
        if not topics or not self.subscriptions:
            return
        body = self._body(table, record)
        for topic in topics:
            for subscription in sorted(self.subscriptions.values(), key=lambda s: s.id):
                if topic in subscription.topics and not subscription.disabled:
                    self._enqueue(
                        subscription, topic, body, f"{revision}:{table}:{record.id}:{topic}"
                    )

    def _body(self, table: str, record: Record) -> dict[str, Any]:
        world = self._world()
        if isinstance(record, TandaUser):
            if table == "tanda_users" and record.id not in world.tanda_users:
                return {**render_user(world, record), "active": False}
            return render_user(world, record)
        if isinstance(record, Team):
            return render_department(world, record, full=True)
        if isinstance(record, Schedule):
            return render_schedule(world, record)
        if isinstance(record, Shift):
            return render_shift(world, record)
        if isinstance(record, Timesheet):
            shifts = [
                world.shifts[i] for i in self._timesheet_shifts(record.id) if i in world.shifts
            ]
            return render_timesheet(world, record, shifts)
        if isinstance(record, LeaveRequest):
            return render_leave(world, record)
        if isinstance(record, LeaveBalance):
            return render_balance(record)
        return {"id": record.id, "updated_at": unix(record.updated_at)}

    def _enqueue(
        self, subscription: Subscription, topic: str, body: dict[str, Any], event: str
    ) -> None:
        runtime = self._runtime
        if runtime is None:
            return
        world = self._world()
        hook_key = uuid.uuid5(uuid.NAMESPACE_URL, f"tanda:{world.seed}:{event}:{subscription.id}")
        payload = encode(
            {
                "hook_key": str(hook_key),
                "hook_time": unix(self._clock()),
                "payload": {
                    "organisation_id": min(world.organisation, default=0),
                    "body": body,
                    "topic": topic,
                },
            }
        )
        secret = subscription.token or world.credentials.tanda_webhook_secret
        runtime.queue.put_nowait(
            Delivery(subscription.id, subscription.url, payload, sign(secret, payload))
        )

    # -- delivery ------------------------------------------------------------------------------

    async def start(self) -> None:
        session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT_SECONDS)
        )
        queue: asyncio.Queue[Delivery] = asyncio.Queue()
        worker = asyncio.create_task(self._work(queue))
        self._runtime = _Runtime(queue, session, worker)

    async def stop(self) -> None:
        runtime, self._runtime = self._runtime, None
        if runtime is None:
            return
        tasks = [runtime.worker, *runtime.tasks]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await runtime.session.close()

    async def _work(self, queue: asyncio.Queue[Delivery]) -> None:
        while True:
            delivery = await queue.get()
            runtime = self._runtime
            if runtime is None:
                return
            task = asyncio.create_task(self._deliver(runtime.session, delivery))
            runtime.tasks.add(task)
            task.add_done_callback(runtime.tasks.discard)

    async def _deliver(self, session: aiohttp.ClientSession, delivery: Delivery) -> None:
        for delay in (0.0, *self.retry_delays):
            if delay:
                await asyncio.sleep(delay)
            if await self._post(session, delivery):
                subscription = self.subscriptions.get(delivery.subscription_id)
                if subscription is not None:
                    subscription.delivered += 1
                return
        # tanda.md §4.15: after the last retry the URL gets no new events.
        for subscription in self.subscriptions.values():
            if subscription.url == delivery.url:
                subscription.disabled = True

    @staticmethod
    async def _post(session: aiohttp.ClientSession, delivery: Delivery) -> bool:
        headers = {
            "Content-Type": "application/json",
            "X-Webhook-Signature": delivery.signature,
            "X-Hook-Signature": delivery.signature,
        }
        try:
            async with session.post(delivery.url, data=delivery.body, headers=headers) as reply:
                return reply.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False


def _topics(action: str, table: str, record: Record, before: object, *, created: bool) -> list[str]:
    if table == "teams":
        return [
            {
                "add": "department.created",
                "update": "department.updated",
                "delete": "department.destroyed",
            }[action]
        ]
    if table == "tanda_users" and isinstance(record, TandaUser):
        if action == "delete":
            return ["user.deactivated"]
        if created:
            return ["user.created"]
        topics = ["user.updated"]
        if before is True and not record.active:
            topics.append("user.deactivated")
        elif before is False and record.active:
            topics.append("user.reactivated")
        return topics
    if table == "schedules" and isinstance(record, Schedule):
        if action != "update":
            return ["schedule.created" if created else "schedule.destroyed"]
        topics = ["schedule.updated"]
        if record.last_published_at is not None and record.last_published_at != before:
            topics.append("schedule.published")
        return topics
    if table == "shifts" and isinstance(record, Shift):
        if action != "update":
            return []
        topics = ["shift.updated"]
        if record.status != before:
            topics.append("shift.approved" if record.status == "APPROVED" else "shift.unapproved")
        return topics
    if table == "timesheets" and isinstance(record, Timesheet):
        if action == "delete" or record.status == before or record.status == "pending":
            return []
        return [f"timesheet.{record.status}"]
    if table == "leave_requests" and isinstance(record, LeaveRequest):
        if action == "delete":
            return []
        topics = ["leaverequest.created" if created else "leaverequest.updated"]
        if record.status != before and record.status in ("approved", "rejected"):
            topics.append(f"leaverequest.{record.status}")
        return topics
    if table == "leave_balances":
        return {"add": ["leavebalance.created"], "update": ["leavebalance.updated"]}.get(action, [])
    return []
