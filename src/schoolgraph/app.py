"""``create_app(settings)``: the gateway as an aiohttp application."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from aiohttp import web, web_app
from strawberry.schema.base import BaseSchema

from schoolgraph.accounts.service import AccountService
from schoolgraph.accounts.web import (
    ACCOUNTS,
    AUTHENTICATOR,
    Authenticator,
    add_account_routes,
    authentication_middleware,
)
from schoolgraph.audit.web import setup_audit
from schoolgraph.collector import requests_in_flight
from schoolgraph.config import Settings
from schoolgraph.dashboard import add_dashboard_routes
from schoolgraph.deadlines import deadline_middleware
from schoolgraph.execution_slots import EXECUTION_SLOTS
from schoolgraph.graph.answers import ANSWERS, AnswerCache
from schoolgraph.graph.cursors import use_cursor_secret
from schoolgraph.graph.extensions.limits import QueryLimits
from schoolgraph.graph.extensions.permissions import grantable_types
from schoolgraph.graph.persisted_queries import PersistedQueries, load_allow_list
from schoolgraph.graph.schema import build_schema
from schoolgraph.graph.subscriptions import Subscription
from schoolgraph.graph.view import GatewayView
from schoolgraph.health import READINESS_CHECKS, ReadinessChecks, healthz, readyz
from schoolgraph.live import add_live_updates
from schoolgraph.middlewares import (
    error_middleware,
    request_id_middleware,
    upstream_calls_middleware,
)
from schoolgraph.observability.install import install_observability
from schoolgraph.ratelimit import KeyFunction, TokenBuckets, caller_key, rate_limit_middleware
from schoolgraph.runtime import Runtime

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

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
        logger.info("Gateway stopped.")


async def _forget_middleware_chains(app: web.Application) -> None:
    """Empty aiohttp's cache of built middleware chains once the app has stopped.

    aiohttp (since 3.11) builds each route's chain of middlewares once and keeps it in a
    module-level ``lru_cache`` of 1,024 entries keyed by the handler and the app, which holds
    the app, and so its runtime and every cached upstream row, after it stopped: a process
    that starts gateway after gateway (the bench's cold runs, the tests) kept every one
    alive. The cache is aiohttp's private name; without it there is nothing to empty. Other
    apps of the process rebuild their chains on their next request.
    """
    cached = getattr(web_app, "_cached_build_middleware", None)
    cache_clear = getattr(cached, "cache_clear", None)
    if callable(cache_clear):
        cache_clear()


async def _accounts_lifecycle(app: web.Application) -> AsyncIterator[None]:
    service = app[ACCOUNTS]
    await service.open()
    try:
        yield
    finally:
        await service.close()


def create_app(
    settings: Settings,
    *,
    schema: BaseSchema | None = None,
    clock: Callable[[], float] = time.monotonic,
    batching: bool = True,
    rate_limit_key: KeyFunction = caller_key,
    accounts: AccountService | None = None,
    tracer_provider: TracerProvider | None = None,
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
        batching: ``False`` gives every dataloader key its own batch call: the naive N+1
            baseline ``schoolgraph bench --no-batching`` measures.
        rate_limit_key: The bucket of the rate limiter a request draws from: by default its
            account, else its client address (see :mod:`schoolgraph.ratelimit`).
        accounts: The API accounts, opened and closed with the app; None builds them from
            the settings (SQLite at ``SCHOOLGRAPH_DB_PATH``). Tests pass one with their clock.
        tracer_provider: Where spans go when ``settings.otel_enabled``; None: the global
            OpenTelemetry provider. Tests pass one with an in-memory exporter.

    Returns:
        An application serving ``/graphql``, ``/healthz``, ``/readyz`` and ``/metrics``, with
        one readiness check per configured upstream, named after it (``tanda``, ``xporter``,
        ``tass``), and
        ``POST /auth/token`` and the key-share link pages (``/keys``).
    """
    app = web.Application(
        middlewares=[
            requests_in_flight,  # the collector runs between requests (schoolgraph.collector)
            request_id_middleware,
            error_middleware,
            authentication_middleware,
            upstream_calls_middleware,
        ],
        client_max_size=settings.max_body_bytes,
    )
    if settings.rate_limit:
        # After the authentication middleware, whose caller keys the bucket; before anything
        # that costs work.
        buckets = TokenBuckets(settings.rate_limit, settings.rate_limit_burst)
        position = app.middlewares.index(upstream_calls_middleware)
        app.middlewares.insert(position, rate_limit_middleware(buckets, key=rate_limit_key))
    app.middlewares.append(deadline_middleware(settings.request_timeout))
    if settings.cursor_secret is not None:
        # Process-wide: unset, the process keeps the random key it started with.
        use_cursor_secret(settings.cursor_secret.reveal())
    runtime = Runtime(settings, clock=clock)
    app[SETTINGS] = settings
    app[RUNTIME] = runtime
    app[READINESS_CHECKS] = checks = ReadinessChecks()
    required = settings.ready_requires
    for kind in runtime.upstreams:
        check = functools.partial(runtime.check, kind)
        checks.add(kind.value, check, required=required is None or kind in required)
    app.cleanup_ctx.append(_lifecycle)
    app.on_cleanup.append(_forget_middleware_chains)

    limits = QueryLimits(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_query_aliases,
        max_tokens=settings.max_query_tokens,
        max_cost=settings.max_query_cost,
    )
    allow_list = (
        load_allow_list(settings.allow_list_file) if settings.allow_list_file is not None else None
    )
    answers = AnswerCache(max_bytes=settings.answer_cache_max_bytes)
    if settings.answer_cache:
        app[ANSWERS] = answers
    view = GatewayView(
        schema=schema
        if schema is not None
        else build_schema(
            introspection=settings.introspection,
            limits=limits,
            subscription=Subscription if settings.live_updates else None,
        ),
        settings=settings,
        source=runtime,
        batching=batching,
        persisted=PersistedQueries(
            enabled=settings.persisted_queries,
            max_bytes=settings.persisted_queries_max_bytes,
            allow_list=allow_list,
        ),
        subscriptions=settings.live_updates,
        answers=answers if settings.answer_cache else None,
    )
    app[EXECUTION_SLOTS] = view.executing
    if accounts is None:
        accounts = AccountService.from_settings(settings, catalogue=grantable_types(view.schema))
    app[ACCOUNTS] = accounts
    app[AUTHENTICATOR] = Authenticator(accounts, anonymous=settings.anonymous_allowed)
    app.cleanup_ctx.append(_accounts_lifecycle)
    setup_audit(app, settings)
    add_account_routes(app)
    add_dashboard_routes(app)
    app.router.add_route("GET", "/graphql", view)
    app.router.add_route("POST", "/graphql", view)
    app.router.add_get("/healthz", healthz, allow_head=False)
    app.router.add_get("/readyz", readyz, allow_head=False)
    if settings.live_updates:
        add_live_updates(app, settings, runtime)
    install_observability(app, settings, runtime, tracer_provider=tracer_provider)
    return app
