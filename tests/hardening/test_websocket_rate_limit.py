"""Operations over a WebSocket draw from the caller's rate-limit bucket, as HTTP requests do."""

from __future__ import annotations

import aiohttp

from schoolgraph.accounts import Grant
from schoolgraph.config import Mode, Settings
from tests.accounts.harness import FAST, start_harness
from tests.conftest import Serve
from tests.live.conftest import PROTOCOL, Socket

SERVICE = "{ service { name } }"


async def test_past_its_burst_an_operation_over_a_socket_is_refused_and_the_socket_stays_open(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    # One request a minute: nothing refills the bucket while the test runs.
    settings = Settings(mode=Mode.UPSTREAM, rate_limit=1, rate_limit_burst=3)
    harness = await start_harness(serve, http, settings, cost=FAST)
    user = await harness.provision("Partner", schools=["*"], grants=[Grant("Service", read=True)])
    ws = await http.ws_connect(harness.url / "graphql", protocols=[PROTOCOL])
    await ws.send_json(
        {"type": "connection_init", "payload": {"Authorization": user.headers["Authorization"]}}
    )
    socket = Socket(ws)
    assert (await socket.receive())["type"] == "connection_ack"

    answers = []
    for _ in range(4):
        operation = await socket.subscribe(SERVICE)
        message = await socket.receive()
        assert message["id"] == operation
        if message["type"] == "next":
            assert (await socket.receive())["type"] == "complete"
        answers.append(message)
    over_http = await harness.graphql(SERVICE, user=user, status=429)

    assert [message["type"] for message in answers] == ["next", "next", "next", "error"]
    [error] = answers[-1]["payload"]
    assert error["extensions"]["code"] == over_http["errors"][0]["extensions"]["code"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] >= 1
    await ws.send_json({"type": "ping"})
    assert await socket.receive() == {"type": "pong"}, "the socket stays open"
    await ws.close()
