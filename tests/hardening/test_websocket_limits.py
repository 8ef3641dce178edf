"""Operations over a WebSocket are bounded as HTTP requests are: by the request deadline, and
by the bound on operations executed at once, which they share with HTTP."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from schoolgraph.app import create_app
from schoolgraph.config import Settings
from schoolgraph.graph.schema import build_schema
from tests.conftest import Serve
from tests.graph.conftest import Gateway, computing
from tests.hardening.conftest import Harden, codes, post_raw
from tests.hardening.test_faults import Stuck
from tests.live.conftest import Socket

SCHOOLS = "{ schools { name system } }"
TEAMS = "{ teams { id name } }"
"""Tanda only."""


async def answers(socket: Socket, *operations: str) -> list[list[dict[str, Any]]]:
    """Every message answering each of ``operations`` (in whatever order they come), up to
    its ``complete`` or its ``error``."""
    messages: dict[str, list[dict[str, Any]]] = {operation: [] for operation in operations}
    ended: set[str] = set()
    while ended != set(operations):
        message = await socket.receive()
        assert message.get("id") in messages and message["id"] not in ended, message
        messages[message["id"]].append(message)
        if message["type"] in {"complete", "error"}:
            ended.add(message["id"])
    return [messages[operation] for operation in operations]


async def test_work_past_the_deadline_over_a_socket_is_stopped_with_http_s_error(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    settings = Settings(demo_scale="small", rate_limit=0, request_timeout=0.3)
    app = create_app(settings, schema=build_schema(Stuck, mutation=None))
    url = await serve(app)
    status, _, over_http = await post_raw(Gateway(url, app, http), {"query": "{ stuck }"})
    socket = await Socket.acknowledged(http, url)

    started = time.perf_counter()
    operation = await socket.subscribe("{ stuck }")
    [messages] = await answers(socket, operation)
    elapsed = time.perf_counter() - started

    assert status == 504 and codes(over_http) == ["REQUEST_TIMEOUT"]
    assert [message["type"] for message in messages] == ["error"]
    assert messages[0]["payload"] == over_http["errors"], "HTTP's code and message"
    assert 1.2 < elapsed < 3.5, "the deadline plus its grace of one second"
    await socket.ws.send_json({"type": "ping"})
    assert await socket.receive() == {"type": "pong"}, "the socket stays open"
    await socket.ws.close()


async def test_a_hung_upstream_costs_a_socket_query_its_own_fields_at_the_deadline(
    harden: Harden,
) -> None:
    gateway = await harden(request_timeout=2.0)
    await gateway.faults("xporter", hang=True)
    socket = await Socket.acknowledged(gateway.http, gateway.url)

    started = time.perf_counter()
    operation = await socket.subscribe(SCHOOLS)
    [messages] = await answers(socket, operation)
    elapsed = time.perf_counter() - started
    await gateway.faults("xporter", clear=True)

    assert [message["type"] for message in messages] == ["next", "complete"]
    body = messages[0]["payload"]
    assert 1.9 < elapsed < 3.5, "bounded by the deadline, as an HTTP request is"
    assert set(codes(body)) == {"UPSTREAM_TIMEOUT"}
    assert {error["extensions"]["upstream"] for error in body["errors"]} == {"xporter"}
    assert {school["system"] for school in body["data"]["schools"]} == {"TASS"}
    await socket.ws.close()


async def test_socket_operations_wait_for_a_place_as_http_ones_do(harden: Harden) -> None:
    # No answer cache: a kept answer would not execute, so it would not wait.
    gateway = await harden(max_concurrent_operations=1, answer_cache=False)
    await gateway.data(SCHOOLS)  # every read of it in the upstream cache from now on
    socket = await Socket.acknowledged(gateway.http, gateway.url)

    async with computing(gateway):
        over_http = asyncio.create_task(post_raw(gateway, {"query": SCHOOLS}))
        waiting = await socket.subscribe(SCHOOLS)
        await socket.nothing_within(0.5)
        assert not over_http.done(), "an HTTP operation waits for a place too"

    [messages] = await answers(socket, waiting)
    status, _, body = await over_http
    assert [message["type"] for message in messages] == ["next", "complete"]
    assert "errors" not in messages[0]["payload"] and messages[0]["payload"]["data"]["schools"]
    assert status == 200 and "errors" not in body
    await socket.ws.close()


async def test_an_operation_waiting_for_a_hung_upstream_holds_no_place(harden: Harden) -> None:
    """Four operations queued on a rate-limited or hung Tanda held every place until their
    deadline, and a query that needed nothing of Tanda waited 22 s behind them."""
    gateway = await harden(max_concurrent_operations=1, answer_cache=False)
    await gateway.data(SCHOOLS)
    await gateway.faults("tanda", hang=True)
    socket = await Socket.acknowledged(gateway.http, gateway.url)

    stuck_over_http = asyncio.create_task(post_raw(gateway, {"query": TEAMS}))
    stuck = await socket.subscribe(TEAMS)  # Tanda's teams were never read: both hang
    await asyncio.sleep(0.2)
    async with asyncio.timeout(5):
        status, _, body = await post_raw(gateway, {"query": SCHOOLS})
        waiting = await socket.subscribe(SCHOOLS)
        [messages] = await answers(socket, waiting)
    assert not stuck_over_http.done()

    await gateway.faults("tanda", hang=False)
    [teams] = await answers(socket, stuck)
    hung_status, _, hung_body = await stuck_over_http
    assert status == 200 and body["data"]["schools"]
    assert messages[0]["payload"]["data"]["schools"]
    assert teams[0]["payload"]["data"]["teams"]
    assert hung_status == 200 and hung_body["data"]["teams"]
    await socket.ws.close()
