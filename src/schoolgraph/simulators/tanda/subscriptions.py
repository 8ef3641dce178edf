"""`/api/v2/webhooks`: subscribe, list, read and delete (tanda.md §4.15).

No scope is stated; the caller must be an admin ("authenticated as an Admin user").
There is no update endpoint.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from .auth import Principal
from .errors import TandaError, json_response, not_found
from .params import json_body
from .state import context
from .webhooks import TOPICS, Subscription


def _admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise TandaError(403, "You need to be an admin to manage webhooks.")


async def list_webhooks(request: web.Request) -> web.Response:
    """GET /api/v2/webhooks."""
    state, principal = context(request)
    _admin(principal)
    subscriptions = state.hub.subscriptions
    return json_response([subscriptions[i].render() for i in sorted(subscriptions)])


async def create_webhook(request: web.Request) -> web.Response:
    """POST /api/v2/webhooks: `{url, token?, topics}`; 200 with the subscription."""
    state, principal = context(request)
    _admin(principal)
    body = await json_body(request)
    url, token, topics = body.get("url"), body.get("token"), body.get("topics")
    if (
        not isinstance(url, str)
        or urlsplit(url).scheme not in ("http", "https")
        or not urlsplit(url).netloc
    ):
        raise TandaError(400, f"url must be an http or https URL, got {url!r}.")
    if token is not None and not isinstance(token, str):
        raise TandaError(400, "token must be a string.")
    if not isinstance(topics, list) or not topics or not all(isinstance(t, str) for t in topics):
        raise TandaError(400, "topics must be a non-empty list of topic names.")
    unknown = [t for t in topics if t not in TOPICS]
    if unknown:
        raise TandaError(400, f"Unknown webhook topic {unknown[0]!r}.")
    subscription = state.hub.subscribe(url, token or None, list(dict.fromkeys(topics)))
    return json_response(subscription.render())


def _subscription(request: web.Request) -> Subscription:
    state, principal = context(request)
    _admin(principal)
    try:
        subscription = state.hub.subscriptions.get(int(request.match_info["id"]))
    except ValueError:
        subscription = None
    if subscription is None:
        raise not_found("webhook subscription")
    return subscription


async def get_webhook(request: web.Request) -> web.Response:
    """GET /api/v2/webhooks/{id}."""
    return json_response(_subscription(request).render())


async def delete_webhook(request: web.Request) -> web.Response:
    """DELETE /api/v2/webhooks/{id}: 200 with the deleted subscription."""
    subscription = _subscription(request)
    state, _ = context(request)
    state.hub.unsubscribe(subscription.id)
    return json_response(subscription.render())
