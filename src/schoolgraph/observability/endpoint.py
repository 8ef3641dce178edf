"""``GET /metrics``: the app's metrics in the Prometheus text format, to whom may read them.

With ``SCHOOLGRAPH_METRICS_TOKEN`` set, a scraper sends ``Authorization: Bearer <token>``
(from anywhere); unset, only loopback clients are answered, so a gateway bound to a public
address does not publish its traffic to the world by default. The metrics carry no ids,
accounts or secrets, but they do tell who uses the gateway how much, and which upstream fails.
"""

from __future__ import annotations

import hmac
import ipaddress

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST

from schoolgraph.config import Settings
from schoolgraph.errors import ForbiddenError, UnauthenticatedError
from schoolgraph.middlewares import error_response
from schoolgraph.observability.metrics import METRICS

__all__ = ["METRICS_PATH", "is_loopback", "metrics_endpoint"]

METRICS_PATH = "/metrics"


def is_loopback(remote: str | None) -> bool:
    """Whether a peer address is on this machine (``127.0.0.0/8`` or ``::1``)."""
    if remote is None:
        return False
    try:
        return ipaddress.ip_address(remote).is_loopback
    except ValueError:  # a Unix socket's peer has no IP address
        return False


def metrics_endpoint(settings: Settings) -> Handler:
    """The ``/metrics`` handler for an app configured with ``settings``."""
    token = settings.metrics_token
    expected = f"Bearer {token.reveal()}".encode() if token is not None else None

    async def metrics(request: web.Request) -> web.StreamResponse:
        if expected is not None:
            given = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return error_response(
                    UnauthenticatedError(
                        "Reading /metrics needs the bearer token of SCHOOLGRAPH_METRICS_TOKEN."
                    ),
                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                )
        elif not is_loopback(request.remote):
            return error_response(
                ForbiddenError(
                    "/metrics answers loopback clients only; set SCHOOLGRAPH_METRICS_TOKEN to "
                    "let a scraper elsewhere read it with that bearer token."
                )
            )
        body = request.app[METRICS].exposition()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return metrics
