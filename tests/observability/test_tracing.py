"""OpenTelemetry spans of requests, operations and upstream calls, in the SDK's memory exporter."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.typedefs import Handler
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from schoolgraph.app import RUNTIME, create_app
from schoolgraph.config import load_settings
from schoolgraph.simulators.stack import SimulatorStack, start_simulators
from schoolgraph.simulators.tass import create_tass_app
from tests.conftest import Serve
from tests.observability.conftest import BASE
from tests.simulated_upstreams import environ_for, secrets_of

SCHOOLS = "{ schools { name system } }"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
async def stack() -> AsyncIterator[SimulatorStack]:
    started = await start_simulators(scale="small")
    yield started
    await started.close()


async def post(http: aiohttp.ClientSession, gateway: object, query: str) -> Any:
    async with http.post(
        f"{gateway}/graphql", json={"query": query}, headers={"traceparent": TRACEPARENT}
    ) as response:
        assert response.status == 200
        body = await response.json()
        assert "errors" not in body
        return body["data"]


def one(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    found = [span for span in spans if span.name == name]
    assert len(found) == 1, [span.name for span in spans]
    return found[0]


def parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


async def test_a_request_its_operation_and_its_upstream_calls_are_one_trace(
    serve: Serve,
    http: aiohttp.ClientSession,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    app = create_app(dataclasses.replace(BASE, otel_enabled=True), tracer_provider=provider)
    gateway = await serve(app)

    await post(http, gateway, "query Schools " + SCHOOLS)
    spans = list(exporter.get_finished_spans())

    server = one(spans, "POST /graphql")
    assert server.kind is SpanKind.SERVER
    assert format(server.context.trace_id, "032x") == TRACE_ID, "the caller's trace goes on"
    assert parent_id(server) == int(PARENT_ID, 16)
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/graphql"
    assert server.attributes["http.response.status_code"] == 200
    operation = one(spans, "graphql query Schools")
    assert parent_id(operation) == server.context.span_id
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.name"] == "Schools"
    upstream = [span for span in spans if span.kind is SpanKind.CLIENT]
    assert {span.attributes["schoolgraph.upstream"] for span in upstream if span.attributes} == {
        "xporter",
        "tass",
    }
    by_id = {span.context.span_id: span for span in spans}
    for span in upstream:
        assert span.context.trace_id == server.context.trace_id
        ancestors = []
        current: ReadableSpan | None = span
        while current is not None and (pid := parent_id(current)) in by_id:
            current = by_id[pid]
            ancestors.append(current.name)
        assert "graphql query Schools" in ancestors, (span.name, ancestors)
        assert span.attributes is not None
        assert "{" not in span.name or span.name.endswith(str(span.attributes["http.route"]))
        assert isinstance(span.attributes["http.response.status_code"], int)
        assert span.attributes["schoolgraph.cache"] == "miss"


async def test_a_cached_read_is_a_span_with_its_cache_outcome(
    serve: Serve,
    http: aiohttp.ClientSession,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    gateway = await serve(
        create_app(dataclasses.replace(BASE, otel_enabled=True), tracer_provider=provider)
    )
    await post(http, gateway, SCHOOLS)
    exporter.clear()

    await post(http, gateway, SCHOOLS)
    spans = exporter.get_finished_spans()

    assert not [span for span in spans if span.kind is SpanKind.CLIENT], "no upstream request"
    cached = [span for span in spans if span.attributes and "schoolgraph.cache" in span.attributes]
    assert cached
    assert {span.attributes["schoolgraph.cache"] for span in cached if span.attributes} == {"hit"}


async def test_no_span_holds_a_secret_or_a_token(
    serve: Serve,
    http: aiohttp.ClientSession,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    app = create_app(dataclasses.replace(BASE, otel_enabled=True), tracer_provider=provider)
    gateway = await serve(app)
    query = "{ schools { name } students(first: 3) { nodes { surname } } }"
    data = await post(http, gateway, query)
    rows = [school["name"] for school in data["schools"]]
    rows += [student["surname"] for student in data["students"]["nodes"]]
    assert len(rows) > 3
    stack = app[RUNTIME].simulators
    assert stack is not None

    recorded = " ".join(
        f"{span.name} {dict(span.attributes or {})} {[event.name for event in span.events]}"
        for span in exporter.get_finished_spans()
    )

    assert recorded
    for secret in secrets_of(stack):
        assert secret not in recorded
    for row in rows:
        assert row not in recorded, "no row contents"
    for word in ("Bearer", "Idaas", "token=", "http://", "?"):
        assert word not in recorded, "no credentials, URLs or query strings"


async def test_nothing_is_traced_unless_configured(
    serve: Serve,
    http: aiohttp.ClientSession,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    gateway = await serve(create_app(BASE, tracer_provider=provider))

    await post(http, gateway, SCHOOLS)

    assert exporter.get_finished_spans() == ()


async def test_trace_context_is_sent_to_the_upstream(
    serve: Serve,
    http: aiohttp.ClientSession,
    stack: SimulatorStack,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    seen: list[str | None] = []

    @web.middleware
    async def listen(request: web.Request, handler: Handler) -> web.StreamResponse:
        seen.append(request.headers.get("traceparent"))
        return await handler(request)

    tass = create_tass_app(stack.holder)
    tass.middlewares.insert(0, listen)
    tass_url = await serve(tass)
    listened = SimulatorStack(stack.holder, {**stack.urls, "tass": str(tass_url)})
    settings = dataclasses.replace(load_settings(environ_for(listened, "tass")), otel_enabled=True)
    gateway = await serve(create_app(settings, tracer_provider=provider))

    await post(http, gateway, SCHOOLS)

    client_spans = {
        format(span.context.span_id, "016x")
        for span in exporter.get_finished_spans()
        if span.kind is SpanKind.CLIENT
    }
    assert seen and all(header is not None for header in seen)
    assert {header.split("-")[1] for header in seen if header} == {TRACE_ID}
    assert {header.split("-")[2] for header in seen if header} == client_spans, (
        "each request carries the span of its own attempt"
    )
