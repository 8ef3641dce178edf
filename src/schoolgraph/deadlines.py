"""The per-request deadline: every request is answered within ``SCHOOLGRAPH_REQUEST_TIMEOUT``.

:func:`deadline_middleware` sets the request's deadline for the upstream transport
(``upstreams.http.set_deadline``): every upstream call the request causes, retries and
rate-limit waits included, gives up when it passes, and the fields that needed it answer
null with ``UPSTREAM_TIMEOUT`` while the rest of the answer stands. The handler as a whole
gets :data:`GRACE` seconds more to assemble that answer; past them, the request is cancelled
and answered HTTP 504, code ``REQUEST_TIMEOUT``. A query or mutation sent over a WebSocket
is bounded the same way, on its own (:mod:`schoolgraph.graph.websocket`).
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from schoolgraph.errors import SchoolgraphError
from schoolgraph.middlewares import error_response
from schoolgraph.upstreams.http import set_deadline

__all__ = ["GRACE", "RequestTimeoutError", "deadline_middleware"]

GRACE = 1.0
"""Seconds a request gets after its upstream deadline to answer with what it has."""


class RequestTimeoutError(SchoolgraphError):
    """The request could not be answered within the gateway's request timeout."""

    code = "REQUEST_TIMEOUT"
    http_status = 504

    @classmethod
    def after(cls, timeout: float) -> RequestTimeoutError:
        """The error of a request stopped past a deadline of ``timeout`` seconds (and its
        grace): HTTP's 504 body, and the ``error`` of an operation over a WebSocket."""
        return cls(
            f"The request was not answered within the gateway's limit of {timeout:g} "
            "seconds; it was stopped."
        )


def deadline_middleware(timeout: float) -> Middleware:
    """A middleware bounding each request by ``timeout`` seconds (plus :data:`GRACE`)."""

    @web.middleware
    async def bounded(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            # A WebSocket lives as long as its subscriptions: each query or mutation sent over
            # it gets a deadline of its own (graph/websocket.py), each subscription event too.
            return await handler(request)
        token = set_deadline(timeout)
        try:
            async with asyncio.timeout(timeout + GRACE) as scope:
                return await handler(request)
        except TimeoutError:
            if not scope.expired():
                raise
            return error_response(RequestTimeoutError.after(timeout))
        finally:
            token.var.reset(token)

    return bounded
