"""``create_app(settings)``: the gateway as an aiohttp application."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncIterator, Callable

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
from schoolgraph.runtime import Runtime

__all__ = ["RUNTIME", "SETTINGS", "create_app"]

SETTINGS = web.AppKey("settings", Settings)
"""The settings the app was created with (in demo mode, ``app[RUNTIME].settings`` has the
simulators' URLs)."""
RUNTIME = web.AppKey("runtime", Runtime)
"""The app's upstream clients and the ``Directory`` over them (``app[RUNTIME].directory``),
started and closed by the app's ``cleanup_ctx``."""

logger = logging.getLogger(__name__)


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    runtime = app[RUNTIME]
    await runtime.start()
    settings = runtime.settings
    configured = [upstream.kind.value for upstream in settings.upstreams if upstream.base_url]
    logger.info(
        "Gateway started in %s mode; upstreams configured: %s.",
        settings.mode.value,
        ", ".join(configured) or "none",
        extra={"mode": settings.mode.value, "upstreams": configured},
    )
    try:
        yield
    finally:
        # cleanup_ctx unwinds after the server has drained in-flight requests.
        await runtime.close()
        logger.info("Gateway stopped; in-flight requests have finished.")


def create_app(
    settings: Settings,
    *,
    schema: BaseSchema | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> web.Application:
    """Build the gateway application.

    Nothing starts until the app does: then its ``cleanup_ctx`` starts the runtime (in demo
    mode the simulators first, then one client per configured upstream and the directory
    over them) and closes it after the server has drained.

    Args:
        settings: The gateway settings.
        schema: The GraphQL schema to serve; the gateway's own when None. Tests pass a schema
            built with :func:`schoolgraph.graph.schema.build_schema` over their own root type.
        clock: Monotonic seconds for the upstream cache and the clients' token schedules;
            tests pass a clock they move by hand.

    Returns:
        An application serving ``/graphql``, ``/healthz`` and ``/readyz``, with one readiness
        check per configured upstream, named after it (``tanda``, ``xporter``, ``tass``).
    """
    app = web.Application(
        middlewares=[request_id_middleware, error_middleware, upstream_calls_middleware],
        client_max_size=settings.max_body_bytes,
    )
    runtime = Runtime(settings, clock=clock)
    app[SETTINGS] = settings
    app[RUNTIME] = runtime
    app[READINESS_CHECKS] = checks = ReadinessChecks()
    for kind in runtime.upstreams:
        checks.add(kind.value, functools.partial(runtime.check, kind))
    app.cleanup_ctx.append(_lifecycle)

    view = GatewayView(
        schema=schema if schema is not None else build_schema(introspection=settings.introspection),
        settings=settings,
        source=runtime,
    )
    app.router.add_route("GET", "/graphql", view)
    app.router.add_route("POST", "/graphql", view)
    app.router.add_get("/healthz", healthz, allow_head=False)
    app.router.add_get("/readyz", readyz, allow_head=False)
    return app
