"""The Prometheus metrics of one gateway app, in a registry of its own.

Counts come from where they originate, without a second bookkeeping of their own:

- HTTP requests, their latency and the requests in flight: :func:`metrics_middleware`;
- upstream calls by upstream, outcome and cache outcome: the request's ``CallLog``, which the
  transport and the cache already fill, read once the request is answered;
- GraphQL errors by ``extensions.code``: :meth:`GatewayMetrics.observe_errors`, called by the
  view with the errors an answer leaves with (and by the WebSocket handler with those of each
  message answering an operation);
- GraphQL operations over a WebSocket, their time and the upstream calls they caused:
  :meth:`GatewayMetrics.observe_socket_operation`, called as each one ends (the upgrade request
  itself is an HTTP request, counted when the socket closes);
- the cache's lookups, circuit-breaker states and token fetches: read at scrape time from the
  runtime (:class:`RuntimeCollector`), so they are exact whatever caused them.

Label values are bounded: route templates (never raw paths), the methods of HTTP, the
upstreams' names, the error tree's codes, the operation types. No id, account, school or
company is a label.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable, Iterator

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from graphql import GraphQLError
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from schoolgraph.config import UpstreamKind
from schoolgraph.middlewares import CALL_LOG
from schoolgraph.observability.labels import method_label, route_label
from schoolgraph.observability.recent_calls import RecentCalls
from schoolgraph.runtime import Runtime
from schoolgraph.upstreams.http import CallLog, CircuitBreaker, UpstreamCall
from schoolgraph.upstreams.tanda import TandaClient
from schoolgraph.upstreams.tass import TassClient
from schoolgraph.upstreams.xporter import XporterClient

__all__ = [
    "METRICS",
    "GatewayMetrics",
    "RuntimeCollector",
    "call_outcome",
    "circuit_of",
    "metrics_middleware",
    "token_fetches",
]

_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_CIRCUIT_STATES = ("closed", "open", "half-open")
_OPERATIONS = frozenset({"query", "mutation", "subscription"})


def call_outcome(call: UpstreamCall) -> tuple[str, str]:
    """``(outcome, cache)`` labels of one upstream call.

    ``outcome`` is ``ok`` or the error code the attempt failed with; ``cache`` is where the
    answer came from: ``hit``, ``stale`` or ``shared`` without a request, ``revalidated`` for
    a 304, ``miss`` (or ``bypass``) for a full answer.
    """
    cache = "revalidated" if call.status == 304 else call.cache
    return (call.error or "ok"), cache


class GatewayMetrics:
    """The metrics of one app, registered in their own ``CollectorRegistry``.

    Several apps in one process (the tests start dozens) never share a count.

    Args:
        runtime: The app's runtime, read at scrape time for the cache, circuits and tokens.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.recent = RecentCalls()
        registry = self.registry
        self.requests = Counter(
            "schoolgraph_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            "schoolgraph_http_request_duration_seconds",
            "Seconds from a request's arrival to its answer, by route template and method.",
            ["route", "method"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "schoolgraph_http_requests_in_flight",
            "HTTP requests being answered now.",
            registry=registry,
        )
        self.graphql_errors = Counter(
            "schoolgraph_graphql_errors",
            "Errors in GraphQL answers, by extensions.code.",
            ["code"],
            registry=registry,
        )
        self.socket_operations = Counter(
            "schoolgraph_websocket_operations",
            "GraphQL operations over a WebSocket, by type (unknown when it did not validate or "
            "was refused) and the status HTTP would have answered.",
            ["operation", "status"],
            registry=registry,
        )
        self.socket_operation_seconds = Histogram(
            "schoolgraph_websocket_operation_duration_seconds",
            "Seconds from an operation's subscribe message to its end (a subscription's whole "
            "life), by type.",
            ["operation"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.upstream_calls = Counter(
            "schoolgraph_upstream_calls",
            "Upstream reads and attempts, by upstream, outcome (ok or the error code) and "
            "cache outcome (hit, stale and shared need no request).",
            ["upstream", "outcome", "cache"],
            registry=registry,
        )
        self.upstream_seconds = Histogram(
            "schoolgraph_upstream_request_duration_seconds",
            "Seconds of each HTTP attempt to an upstream.",
            ["upstream"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        registry.register(RuntimeCollector(runtime))

    def observe_calls(self, calls: CallLog) -> None:
        """Count the upstream calls one request caused."""
        for call in calls.calls:
            outcome, cache = call_outcome(call)
            self.upstream_calls.labels(call.upstream, outcome, cache).inc()
            if cache in ("miss", "revalidated", "bypass"):
                self.upstream_seconds.labels(call.upstream).observe(call.ms / 1000)
                self.recent.add(call.upstream, call.error)

    def observe_errors(self, errors: Iterable[GraphQLError]) -> None:
        """Count the errors of one GraphQL answer by their ``extensions.code``."""
        self.observe_error_codes((error.extensions or {}).get("code") for error in errors)

    def observe_error_codes(self, codes: Iterable[object]) -> None:
        """Count the errors of one GraphQL answer by their ``extensions.code`` as sent (any
        JSON value, or None); one that is not a code of ours counts as ``OTHER``."""
        for code in codes:
            label = code if isinstance(code, str) and _CODE.fullmatch(code) else "OTHER"
            self.graphql_errors.labels(label).inc()

    def observe_socket_operation(
        self, operation: str | None, status: int, seconds: float, calls: CallLog
    ) -> None:
        """Count one GraphQL operation over a WebSocket as it ends, and its upstream calls.

        Args:
            operation: ``query``, ``mutation`` or ``subscription``; None (``unknown``) when it
                did not validate or was refused before it ran.
            status: The status HTTP would have answered the same operation with.
            seconds: From its ``subscribe`` message to its end.
            calls: The upstream calls it made itself (a subscription's events count theirs
                with :meth:`observe_calls`, each as it goes out).
        """
        label = operation if operation in _OPERATIONS else "unknown"
        self.socket_operations.labels(label, str(status)).inc()
        self.socket_operation_seconds.labels(label).observe(seconds)
        self.observe_calls(calls)

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format."""
        return generate_latest(self.registry)


METRICS = web.AppKey("metrics", GatewayMetrics)


class RuntimeCollector(Collector):
    """Scrape-time metrics of the runtime: the cache, each upstream's circuit and tokens."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def describe(self) -> Iterable[Metric]:
        return ()  # names are fixed; nothing to check at registration

    def collect(self) -> Iterable[Metric]:
        yield from self._cache()
        yield from self._upstreams()

    def _cache(self) -> Iterator[Metric]:
        cache = self.runtime.cache
        stats = cache.stats
        lookups = CounterMetricFamily(
            "schoolgraph_cache_lookups",
            "Upstream cache lookups: hit (fresh), revalidated (304 or change set), miss "
            "(loaded), stale (served after its upstream failed).",
            labels=["outcome"],
        )
        for outcome, count in (
            ("hit", stats.hits),
            ("revalidated", stats.revalidated),
            ("miss", stats.misses),
            ("stale", stats.stale),
        ):
            lookups.add_metric([outcome], count)
        yield lookups
        yield CounterMetricFamily(
            "schoolgraph_cache_evictions",
            "Cache entries evicted to stay in budget.",
            stats.evictions,
        )
        yield CounterMetricFamily(
            "schoolgraph_cache_refreshed_ahead",
            "Background revalidations started by a read late in an entry's freshness "
            "(their outcomes count under schoolgraph_cache_lookups).",
            stats.refreshed_ahead,
        )
        yield GaugeMetricFamily("schoolgraph_cache_entries", "Entries in the cache.", len(cache))
        yield GaugeMetricFamily(
            "schoolgraph_cache_bytes", "Bytes of the cached bodies.", cache.bytes
        )

    def _upstreams(self) -> Iterator[Metric]:
        states = GaugeMetricFamily(
            "schoolgraph_upstream_circuit_state",
            "1 for the state each upstream's circuit breaker is in, 0 for the others.",
            labels=["upstream", "state"],
        )
        opened = CounterMetricFamily(
            "schoolgraph_upstream_circuit_opened",
            "Times each upstream's circuit opened.",
            labels=["upstream"],
        )
        tokens = CounterMetricFamily(
            "schoolgraph_upstream_token_fetches",
            "Token endpoint calls per upstream: each credential's first token and every "
            "renewal (on expiry, or after the upstream refused a token), failed ones included.",
            labels=["upstream"],
        )
        for kind in UpstreamKind:
            breaker = circuit_of(self.runtime, kind)
            if breaker is None:
                continue
            for state in _CIRCUIT_STATES:
                states.add_metric([kind.value, state], 1.0 if breaker.state == state else 0.0)
            opened.add_metric([kind.value], breaker.opened)
            tokens.add_metric([kind.value], token_fetches(self.runtime, kind))
        yield states
        yield opened
        yield tokens


def circuit_of(runtime: Runtime, kind: UpstreamKind) -> CircuitBreaker | None:
    """The circuit breaker of a running upstream client; None when it is not running."""
    client = _client(runtime, kind)
    return client.transport.breaker if client is not None else None


def token_fetches(runtime: Runtime, kind: UpstreamKind) -> int:
    """Token endpoint calls of every credential of one upstream, as its auths count them."""
    if kind is UpstreamKind.TANDA and runtime.tanda is not None:
        return runtime.tanda.auth.token_fetches
    if kind is UpstreamKind.XPORTER and runtime.xporter is not None:
        xporter = runtime.xporter
        return sum(xporter.auth(estab).fetches for estab in xporter.estabs)
    if kind is UpstreamKind.TASS and runtime.tass is not None:
        tass = runtime.tass
        auths = {id(auth): auth for code in tass.company_codes if (auth := tass.auth(code))}
        return sum(auth.fetches for auth in auths.values())
    return 0


Client = TandaClient | XporterClient | TassClient


def _client(runtime: Runtime, kind: UpstreamKind) -> Client | None:
    if kind is UpstreamKind.TANDA:
        return runtime.tanda
    if kind is UpstreamKind.XPORTER:
        return runtime.xporter
    return runtime.tass


def metrics_middleware(metrics: GatewayMetrics) -> Middleware:
    """The outermost middleware: counts and times every request, and the calls it caused."""

    @web.middleware
    async def measured(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        metrics.in_flight.inc()
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:  # redirects; the error middleware answers the rest
            status = exc.status
            raise
        except asyncio.CancelledError:
            status = 499  # the client went away (nginx's code for it)
            raise
        finally:
            metrics.in_flight.dec()
            route, method = route_label(request), method_label(request.method)
            metrics.requests.labels(route, method, str(status)).inc()
            metrics.request_seconds.labels(route, method).observe(time.perf_counter() - started)
            calls = request.get(CALL_LOG)
            if calls is not None:
                metrics.observe_calls(calls)

    return measured
