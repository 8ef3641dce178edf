"""Optional OpenTelemetry tracing of requests, GraphQL operations and upstream calls.

Off unless ``SCHOOLGRAPH_OTEL_ENABLED=true`` and the ``otel`` extra is installed. Then each
request is a server span (``POST /graphql``, continuing the caller's ``traceparent``), each
GraphQL operation a span inside it, and each upstream call a client span inside that, whose
context is sent upstream in ``traceparent``. A read the cache answers is a span of no length.

Spans carry route templates, methods, statuses, upstream names, cache outcomes, operation
names and error codes; never URLs with their query strings, variables, row contents, tokens,
exception messages or stacks.

Nothing here imports OpenTelemetry until tracing is switched on, so the gateway runs without
the package; :data:`current_tracer` is None outside traced requests and every hook then does
nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import logging
from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from schoolgraph._version import __version__
from schoolgraph.observability.labels import method_label, route_label

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer, TracerProvider

__all__ = [
    "UpstreamSpan",
    "current_tracer",
    "make_tracer",
    "trace_cached_read",
    "tracing_middleware",
    "upstream_span",
]

logger = logging.getLogger(__name__)

current_tracer: contextvars.ContextVar[Tracer | None] = contextvars.ContextVar(
    "schoolgraph_tracer", default=None
)
"""The app's tracer while one of its requests is being answered; None when not tracing."""


def make_tracer(provider: TracerProvider | None = None) -> Tracer:
    """The gateway's tracer from ``provider``, else from the global provider.

    When no SDK is configured globally (the process was not started by
    ``opentelemetry-instrument``), the SDK is set up here with an OTLP/HTTP exporter, which
    reads the standard ``OTEL_EXPORTER_OTLP_*`` and ``OTEL_SERVICE_NAME`` variables.

    Raises:
        ImportError: OpenTelemetry is not installed (``pip install 'schoolgraph[otel]'``).
    """
    from opentelemetry import trace

    if provider is None:
        provider = trace.get_tracer_provider()
        if isinstance(provider, trace.ProxyTracerProvider):
            provider = _sdk_provider()
            trace.set_tracer_provider(provider)
    return provider.get_tracer("schoolgraph", __version__)


def _sdk_provider() -> TracerProvider:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = SdkTracerProvider(
        resource=Resource.create({"service.name": "schoolgraph", "service.version": __version__})
    )
    try:  # imported by name: the exporter is in the otel extra, not the test one
        exporter = importlib.import_module("opentelemetry.exporter.otlp.proto.http.trace_exporter")
    except ImportError:
        logger.warning(
            "OpenTelemetry tracing is on but no OTLP exporter is installed; spans are made "
            "and dropped. Install schoolgraph[otel]."
        )
    else:
        provider.add_span_processor(BatchSpanProcessor(exporter.OTLPSpanExporter()))
    return provider


def tracing_middleware(tracer: Tracer) -> Middleware:
    """A server span per request, continuing the caller's trace; the tracer for the hooks."""
    from opentelemetry import propagate
    from opentelemetry.trace import SpanKind, Status, StatusCode

    @web.middleware
    async def traced(request: web.Request, handler: Handler) -> web.StreamResponse:
        route, method = route_label(request), method_label(request.method)
        with tracer.start_as_current_span(
            f"{method} {route}",
            context=propagate.extract(request.headers),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "http.route": route},
            record_exception=False,  # an exception's message may hold what a client sent
            set_status_on_exception=False,
        ) as span:
            token = current_tracer.set(tracer)
            try:
                response = await handler(request)
            except BaseException as exc:  # redirects, a client that went away
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise
            finally:
                current_tracer.reset(token)
            span.set_attribute("http.response.status_code", response.status)
            if response.status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            return response

    return traced


class UpstreamSpan:
    """What the transport tells the span of one HTTP attempt once the answer is in."""

    __slots__ = ("_span",)

    def __init__(self, span: Span | None) -> None:
        self._span = span

    def answered(self, status: int) -> None:
        if self._span is None:
            return
        from opentelemetry.trace import Status, StatusCode

        self._span.set_attribute("http.response.status_code", status)
        self._span.set_attribute("schoolgraph.cache", "revalidated" if status == 304 else "miss")
        if status >= 500:
            self._span.set_status(Status(StatusCode.ERROR))


_NOT_TRACED = UpstreamSpan(None)


@contextlib.contextmanager
def upstream_span(
    upstream: str, method: str, route: str, headers: MutableMapping[str, str]
) -> Iterator[UpstreamSpan]:
    """A client span around one HTTP attempt, whose context goes upstream in ``headers``."""
    tracer = current_tracer.get()
    if tracer is None:
        yield _NOT_TRACED
        return
    from opentelemetry import propagate
    from opentelemetry.trace import SpanKind, Status, StatusCode

    with tracer.start_as_current_span(
        f"{method} {route}",
        kind=SpanKind.CLIENT,
        attributes={
            "schoolgraph.upstream": upstream,
            "http.request.method": method,
            "http.route": route,
        },
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        propagate.inject(headers)
        try:
            yield UpstreamSpan(span)
        except BaseException as exc:
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise


def trace_cached_read(upstream: str, route: str, cache: str) -> None:
    """A span of no length for an upstream read the cache answered without a request."""
    tracer = current_tracer.get()
    if tracer is None:
        return
    span = tracer.start_span(
        f"GET {route}",
        attributes={
            "schoolgraph.upstream": upstream,
            "http.request.method": "GET",
            "http.route": route,
            "schoolgraph.cache": cache,
        },
    )
    span.end()
