"""/metrics counts GraphQL operations over a WebSocket as it counts HTTP ones: each operation
by type and status with its time, the errors of its answers by code, its upstream calls."""

from __future__ import annotations

import time
from typing import Any

import aiohttp

from schoolgraph.app import create_app
from schoolgraph.config import Settings
from schoolgraph.graph.schema import build_schema
from tests.conftest import Serve
from tests.hardening.test_faults import Stuck
from tests.live.conftest import Socket
from tests.observability.conftest import Observe, scrape, total, value

SCHOOLS = "{ schools { name system } }"
OPERATIONS = "schoolgraph_websocket_operations_total"
SECONDS = "schoolgraph_websocket_operation_duration_seconds_count"
ERRORS = "schoolgraph_graphql_errors_total"
CALLS = "schoolgraph_upstream_calls_total"


async def answer(socket: Socket, query: str) -> list[dict[str, Any]]:
    """Send ``query``; every message answering it, up to its ``complete`` or ``error``."""
    operation = await socket.subscribe(query)
    messages: list[dict[str, Any]] = []
    while not messages or messages[-1]["type"] not in {"complete", "error"}:
        message = await socket.receive()
        assert message["id"] == operation, message
        messages.append(message)
    return messages


async def test_socket_operations_are_counted_with_their_errors_and_upstream_calls(
    observed: Observe,
) -> None:
    gateway = await observed()
    socket = await Socket.acknowledged(gateway.http, gateway.url)

    answered = await answer(socket, SCHOOLS)
    invalid = await answer(socket, "{ schools { nope } }")
    await socket.ws.close()
    _, samples = await scrape(gateway.http, gateway.url)
    over_http = await gateway.post("{ schools { nope } }", status=400)

    assert [message["type"] for message in answered] == ["next", "complete"]
    assert [message["type"] for message in invalid] == ["error"]
    [error] = invalid[0]["payload"]
    assert error["extensions"]["code"] == over_http["errors"][0]["extensions"]["code"]
    assert value(samples, OPERATIONS, operation="query", status="200") == 1
    assert value(samples, OPERATIONS, operation="unknown", status="400") == 1, "not validated"
    assert value(samples, SECONDS, operation="query") == 1
    assert value(samples, ERRORS, code=error["extensions"]["code"]) == 1
    assert total(samples, CALLS) > 0, "the query's upstream reads"
    assert value(samples, "schoolgraph_http_requests_total", route="/graphql", method="POST") == 0


async def test_a_socket_operation_stopped_at_the_deadline_is_counted_by_its_status(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    settings = Settings(demo_scale="small", rate_limit=0, request_timeout=0.3)
    app = create_app(settings, schema=build_schema(Stuck, mutation=None))
    url = await serve(app)
    socket = await Socket.acknowledged(http, url)

    started = time.perf_counter()
    [stopped] = await answer(socket, "{ stuck }")
    elapsed = time.perf_counter() - started
    await socket.ws.close()
    _, samples = await scrape(http, url)

    assert stopped["payload"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"
    assert value(samples, OPERATIONS, operation="query", status="504") == 1
    assert value(samples, ERRORS, code="REQUEST_TIMEOUT") == 0, "a refusal, as HTTP's 504 is"
    assert total(samples, "schoolgraph_websocket_operation_duration_seconds_sum") >= elapsed - 0.5
