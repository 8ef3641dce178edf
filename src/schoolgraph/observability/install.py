"""``install_observability(app)``: metrics, ``/metrics``, readiness detail and tracing."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from aiohttp import web

from schoolgraph.config import Settings
from schoolgraph.errors import ConfigError
from schoolgraph.health import READINESS_CHECKS
from schoolgraph.observability.endpoint import METRICS_PATH, metrics_endpoint
from schoolgraph.observability.metrics import METRICS, GatewayMetrics, metrics_middleware
from schoolgraph.observability.readiness import upstream_state
from schoolgraph.runtime import Runtime

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

__all__ = ["install_observability"]


def install_observability(
    app: web.Application,
    settings: Settings,
    runtime: Runtime,
    *,
    tracer_provider: TracerProvider | None = None,
) -> None:
    """Measure every request of ``app``, serve ``/metrics``, and trace when configured.

    Call it once the app's middlewares and readiness checks are in place: the metrics
    middleware goes first, so it sees every answer, error responses included; the tracing
    one (with ``settings.otel_enabled``) right after it.

    Args:
        app: The gateway application, not yet started.
        settings: Its settings (``metrics_token``, ``otel_enabled``).
        runtime: Its runtime, read at scrape time for the cache, circuits and tokens.
        tracer_provider: Where spans go; None: the global OpenTelemetry provider. Tests pass
            one with an in-memory exporter.
    """
    metrics = GatewayMetrics(runtime)
    app[METRICS] = metrics
    app.middlewares.insert(0, metrics_middleware(metrics))
    if settings.otel_enabled:
        from schoolgraph.observability.tracing import make_tracer, tracing_middleware

        try:
            tracer = make_tracer(tracer_provider)
        except ImportError:
            raise ConfigError(
                "SCHOOLGRAPH_OTEL_ENABLED is true but OpenTelemetry is not installed; install "
                "schoolgraph[otel] or unset it."
            ) from None
        app.middlewares.insert(1, tracing_middleware(tracer))
    app.router.add_get(METRICS_PATH, metrics_endpoint(settings), allow_head=False)
    checks = app[READINESS_CHECKS]
    for kind in runtime.upstreams:
        checks.detail(kind.value, functools.partial(upstream_state, runtime, metrics.recent, kind))
