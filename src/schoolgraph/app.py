"""``create_app(settings)``: the gateway as an aiohttp application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web
from strawberry.schema.base import BaseSchema

from schoolgraph.config import Settings
from schoolgraph.graph.schema import build_schema
from schoolgraph.graph.view import GatewayView
from schoolgraph.health import READINESS_CHECKS, ReadinessChecks, healthz, readyz
from schoolgraph.middlewares import (
    error_middleware,
    request_id_middleware,
    upstream_calls_middleware,
)

__all__ = ["SETTINGS", "create_app"]

SETTINGS = web.AppKey("settings", Settings)

logger = logging.getLogger(__name__)


async def _lifecycle_log(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    configured = sum(upstream.base_url is not None for upstream in settings.upstreams)
    logger.info(
        "Gateway started in %s mode; %d of %d upstreams configured.",
        settings.mode.value,
        configured,
        len(settings.upstreams),
        extra={"mode": settings.mode.value},
    )
    yield
    # cleanup_ctx unwinds after the server has drained in-flight requests.
    logger.info("Gateway stopped; in-flight requests have finished.")


def create_app(settings: Settings, *, schema: BaseSchema | None = None) -> web.Application:
    """Build the gateway application.

    Args:
        settings: The gateway settings.
        schema: The GraphQL schema to serve; the gateway's own when None. Tests pass a schema
            built with :func:`schoolgraph.graph.schema.build_schema` over their own root type.

    Returns:
        An application serving ``/graphql``, ``/healthz`` and ``/readyz``.
    """
    app = web.Application(
        middlewares=[request_id_middleware, error_middleware, upstream_calls_middleware],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[READINESS_CHECKS] = ReadinessChecks()
    app.cleanup_ctx.append(_lifecycle_log)

    view = GatewayView(
        schema=schema if schema is not None else build_schema(introspection=settings.introspection),
        settings=settings,
    )
    app.router.add_route("GET", "/graphql", view)
    app.router.add_route("POST", "/graphql", view)
    app.router.add_get("/healthz", healthz, allow_head=False)
    app.router.add_get("/readyz", readyz, allow_head=False)
    return app
