"""Tanda webhook notifications: the signature check and the notification's shape (§4.15).

A notification is ``{"hook_key", "hook_time", "payload": {"organisation_id", "body",
"topic"}}``, POSTed with ``X-Webhook-Signature: base64(HMAC-SHA1(token, raw body))`` (the
deprecated ``X-Hook-Signature`` carries the same value). The doc shows ``hook_time`` and
``organisation_id`` as ``""``; we accept integers or numeric strings, as the simulator's
reading (§4.15 "DOC-SILENT on types"). ``body`` is the object as its GET endpoint renders it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

__all__ = [
    "SIGNATURE_HEADER",
    "TOPIC_RESOURCES",
    "WEBHOOK_TOPICS",
    "Notification",
    "NotificationError",
    "parse_notification",
    "signature_of",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Webhook-Signature"
DEPRECATED_SIGNATURE_HEADER = "X-Hook-Signature"

WEBHOOK_TOPICS: tuple[str, ...] = (
    "shift.updated",
    "shift.approved",
    "shift.unapproved",
    "schedule.created",
    "schedule.updated",
    "schedule.destroyed",
    "schedule.published",
    "timesheet.approved",
    "timesheet.exported",
    "user.created",
    "user.updated",
    "user.deactivated",
    "user.reactivated",
    "department.created",
    "department.updated",
    "department.destroyed",
    "leaverequest.created",
    "leaverequest.updated",
)
"""The topics the gateway subscribes to: those that change what the graph reads."""


TOPIC_RESOURCES: dict[str, tuple[str, ...]] = {
    "shift": ("shifts", "timesheets"),
    "timesheet": ("timesheets", "shifts"),
    "schedule": ("schedules", "rosters"),
    "user": ("users", "me"),
    "department": ("teams",),
    "leaverequest": ("leave", "shifts"),
}
"""What a topic's family (before the dot) changes among the client's cached resources: a
timesheet embeds its shifts, a roster its schedules, approved leave makes leave shifts."""


class NotificationError(ValueError):
    """The body is not a Tanda notification."""


@dataclass(frozen=True, slots=True)
class Notification:
    hook_key: str
    hook_time: int
    organisation_id: str
    topic: str
    body: dict[str, Any]

    @property
    def record_id(self) -> int | None:
        """The id of the object the notification is about, when its body has one."""
        value = self.body.get("id")
        return value if isinstance(value, int) and not isinstance(value, bool) else None


def signature_of(secret: str, body: bytes) -> str:
    """base64(HMAC-SHA1(secret, body)), the value of ``X-Webhook-Signature``."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha1).digest()).decode()


def verify_signature(secret: str, body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` signs ``body`` with ``secret``, compared in constant time."""
    if not signature:
        return False
    return hmac.compare_digest(signature_of(secret, body).encode(), signature.strip().encode())


def _integer(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise NotificationError(f"{name} must be a number, got {value!r}.")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise NotificationError(f"{name} must be a number, got {value!r}.")


def parse_notification(raw: bytes) -> Notification:
    """The notification in a verified request body.

    Raises:
        NotificationError: the body is not JSON of the documented shape.
    """
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise NotificationError("The notification is not JSON.") from None
    if not isinstance(data, dict):
        raise NotificationError("The notification is not a JSON object.")
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise NotificationError("The notification has no payload object.")
    hook_key, topic, body = data.get("hook_key"), payload.get("topic"), payload.get("body")
    if not isinstance(hook_key, str) or not hook_key:
        raise NotificationError("The notification has no hook_key.")
    if not isinstance(topic, str) or not topic:
        raise NotificationError("The notification has no topic.")
    if not isinstance(body, dict):
        raise NotificationError("The notification's payload has no body object.")
    return Notification(
        hook_key=hook_key,
        hook_time=_integer(data.get("hook_time"), "hook_time"),
        organisation_id=str(_integer(payload.get("organisation_id"), "organisation_id")),
        topic=topic,
        body=body,
    )
