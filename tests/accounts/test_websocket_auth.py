"""A WebSocket is authorised per operation and per event, not once at ``connection_init``.

Over real sockets: the token is resolved again for every operation sent over the socket and
before every subscription event, and the socket ends itself when the token expires.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from schoolgraph.accounts import Grant
from schoolgraph.config import Settings
from schoolgraph.domain import ChangeKind
from tests.accounts.harness import ADMIN, FAST, ApiUser, Harness, full_read, start_harness
from tests.conftest import Serve
from tests.live.conftest import PROTOCOL, WAIT, LiveGateway, Socket

SERVICE = "{ service { name } }"
SCHOOLS = "{ schools { name } }"
STUDENT_CHANGED = "subscription { studentChanged { id node { id forename } } }"
TTL = 60.0


@pytest.fixture
async def harness(serve: Serve, http: aiohttp.ClientSession) -> Harness:
    settings = Settings(
        demo_scale="small",
        anonymous=False,
        token_ttl=TTL,
        live_poll_interval=0.2,
        live_poll_jitter=0.0,
    )
    return await start_harness(serve, http, settings, cost=FAST)


async def open_socket(harness: Harness, user: ApiUser) -> Socket:
    ws = await harness.http.ws_connect(harness.url / "graphql", protocols=[PROTOCOL])
    await ws.send_json(
        {"type": "connection_init", "payload": {"Authorization": f"Bearer {user.token}"}}
    )
    socket = Socket(ws)
    assert (await socket.receive())["type"] == "connection_ack"
    return socket


async def answer(socket: Socket, query: str) -> dict[str, Any]:
    """The one message answering ``query``: its ``next`` (then ``complete``) or its ``error``."""
    operation = await socket.subscribe(query)
    message = await socket.receive()
    assert message["id"] == operation, message
    if message["type"] == "next":
        assert await socket.receive() == {"id": operation, "type": "complete"}
    return message


async def closed(socket: Socket) -> aiohttp.WSMessage:
    message = await socket.ws.receive(timeout=WAIT)
    assert message.type is aiohttp.WSMsgType.CLOSE, message
    return message


async def disable(harness: Harness, user: ApiUser) -> None:
    await harness.service.disable_account(ADMIN, user.code)


async def delete_key(harness: Harness, user: ApiUser) -> None:
    await harness.service.delete_key(ADMIN, user.code)


Revoke = Callable[[Harness, ApiUser], Awaitable[None]]
REVOCATIONS = [
    pytest.param(disable, id="account disabled"),
    pytest.param(delete_key, id="key deleted"),
]


@pytest.mark.parametrize("revoke", REVOCATIONS)
async def test_an_operation_after_its_token_is_revoked_is_refused_as_over_http_and_closes(
    harness: Harness, revoke: Revoke
) -> None:
    user = await harness.provision("Partner", schools=["*"], grants=[Grant("Service", read=True)])
    socket = await open_socket(harness, user)
    assert (await answer(socket, SERVICE))["type"] == "next"

    await revoke(harness, user)
    over_http = await harness.graphql(SERVICE, user=user, status=401)
    message = await answer(socket, SERVICE)

    assert message["type"] == "error", message
    assert message["payload"] == over_http["errors"]
    assert message["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    close = await closed(socket)
    assert close.data == 4403
    assert close.extra == f"Forbidden: {over_http['errors'][0]['message']}"


async def test_a_socket_closes_when_its_token_expires(harness: Harness) -> None:
    user = await harness.provision("Partner", schools=["*"], grants=[Grant("Service", read=True)])
    socket = await open_socket(harness, user)
    assert (await answer(socket, SERVICE))["type"] == "next"

    harness.clock.advance(seconds=TTL + 10)
    close = await closed(socket)

    over_http = await harness.graphql(SERVICE, user=user, status=401)
    assert close.data == 4403
    assert close.extra == f"Forbidden: {over_http['errors'][0]['message']}"
    assert "expired" in close.extra


async def test_grant_changes_apply_to_the_next_operation_over_the_socket(
    harness: Harness,
) -> None:
    user = await harness.provision("Partner", schools=["*"], grants=[Grant("Service", read=True)])
    socket = await open_socket(harness, user)
    refused = await answer(socket, SCHOOLS)
    assert {e["extensions"]["code"] for e in refused["payload"]["errors"]} == {"FORBIDDEN_FIELD"}

    await harness.service.set_grant(ADMIN, user.code, Grant("School", read=True))
    granted = await answer(socket, SCHOOLS)
    await harness.service.remove_grant(ADMIN, user.code, "Service")
    removed = await answer(socket, SERVICE)

    assert "errors" not in granted["payload"], granted
    assert granted["payload"]["data"]["schools"]
    assert "Query.service" in {e["extensions"]["field"] for e in removed["payload"]["errors"]}
    await socket.ws.close()


async def subscribed(harness: Harness, user: ApiUser) -> tuple[Socket, str]:
    """A socket of ``user`` with a running ``studentChanged``, its schools' baselines taken."""
    socket = await open_socket(harness, user)
    operation = await socket.subscribe(STUDENT_CHANGED)
    gateway = live_gateway(harness)
    await gateway.subscribers(ChangeKind.STUDENT, 1)
    await gateway.settled()
    return socket, operation


def live_gateway(harness: Harness) -> LiveGateway:
    return LiveGateway(harness.app, harness.url, harness.http)


async def change_a_student(harness: Harness) -> None:
    gateway = live_gateway(harness)
    school = min(
        (s for s in gateway.world.schools.values() if s.system == "xporter"), key=lambda s: s.id
    )
    student = min(
        (s for s in gateway.world.students.values() if s.school_id == school.id),
        key=lambda s: s.id,
    )
    await gateway.sim_mutate(
        "xporter", {"table": "students", "action": "update", "ids": [student.id]}
    )


async def test_a_subscription_ends_with_an_error_when_its_token_expires(
    harness: Harness,
) -> None:
    user = await harness.provision(
        "Partner", schools=["*"], grants=full_read("Student", role="student-records")
    )
    socket, operation = await subscribed(harness, user)

    harness.clock.advance(seconds=TTL + 10)
    message = await socket.receive()

    over_http = await harness.graphql(SERVICE, user=user, status=401)
    assert message == {"id": operation, "type": "error", "payload": over_http["errors"]}
    assert "expired" in message["payload"][0]["message"]
    assert (await closed(socket)).data == 4403


@pytest.mark.parametrize("revoke", REVOCATIONS)
async def test_a_subscription_event_after_its_token_is_revoked_is_not_delivered(
    harness: Harness, revoke: Revoke
) -> None:
    user = await harness.provision(
        "Partner", schools=["*"], grants=full_read("Student", role="student-records")
    )
    socket, operation = await subscribed(harness, user)
    await change_a_student(harness)
    delivered = await socket.receive()
    assert delivered["type"] == "next" and delivered["id"] == operation, delivered

    await revoke(harness, user)
    await change_a_student(harness)
    message = await socket.receive()

    over_http = await harness.graphql(SERVICE, user=user, status=401)
    assert message == {"id": operation, "type": "error", "payload": over_http["errors"]}
    assert (await closed(socket)).data == 4403
