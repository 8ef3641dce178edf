"""Xporter change-set polls reach only the accounts that may read them, over real sockets."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from schoolgraph.config import Settings
from schoolgraph.domain import ChangeKind
from schoolgraph.live import LIVE
from schoolgraph.simulators.dataset import World
from tests.accounts.harness import Harness, full_read, start_harness
from tests.conftest import Serve
from tests.live.conftest import PROTOCOL, WAIT, Socket, global_id, polls_after

STUDENT_CHANGED = "subscription { studentChanged { id deleted missed node { id forename } } }"


@pytest.fixture
async def harness(serve: Serve, http: aiohttp.ClientSession) -> Harness:
    settings = Settings(
        demo_scale="small", anonymous=False, live_poll_interval=0.2, live_poll_jitter=0.0
    )
    return await start_harness(serve, http, settings)


def world_of(harness: Harness) -> World:
    from schoolgraph.app import RUNTIME

    stack = harness.app[RUNTIME].simulators
    assert stack is not None
    return stack.world


async def open_socket(harness: Harness, token: str | None) -> Socket:
    payload = {"Authorization": f"Bearer {token}"} if token is not None else {}
    ws = await harness.http.ws_connect(harness.url / "graphql", protocols=[PROTOCOL])
    await ws.send_json({"type": "connection_init", "payload": payload})
    return Socket(ws)


async def subscribers(harness: Harness, kind: ChangeKind, count: int) -> None:
    async with asyncio.timeout(WAIT):
        while len(harness.app[LIVE].broker.subscribers(kind)) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_a_student_change_reaches_its_schools_account_only_and_unchanged_rows_fire_nothing(
    harness: Harness,
) -> None:
    world = world_of(harness)
    schools = sorted(
        (s for s in world.schools.values() if s.system == "xporter"), key=lambda s: s.id
    )
    first, second = schools[0], schools[1]
    grants = full_read("Student", role="student-records")
    mine = await harness.provision("Mine", schools=[f"xporter:{first.code}"], grants=grants)
    theirs = await harness.provision("Theirs", schools=[f"xporter:{second.code}"], grants=grants)
    sockets = [await open_socket(harness, user.token) for user in (mine, theirs)]
    for socket in sockets:
        assert (await socket.receive())["type"] == "connection_ack"
        await socket.subscribe(STUDENT_CHANGED)
    await subscribers(harness, ChangeKind.STUDENT, 2)
    # baselines taken, then polls with no change
    await polls_after(harness.app[LIVE], [f"xporter:{school.code}" for school in schools], 2)
    for socket in sockets:
        await socket.nothing_within(0.1)  # unchanged rows fired nothing

    student = min(
        (s for s in world.students.values() if s.school_id == first.id), key=lambda s: s.id
    )
    async with harness.http.post(
        f"{harness.app[LIVE].runtime.settings.xporter.base_url}/__sim/mutate",  # type: ignore[union-attr]
        json={"table": "students", "action": "update", "ids": [student.id]},
    ) as response:
        assert response.status == 200, await response.text()

    message = await sockets[0].receive()
    change: dict[str, Any] = message["payload"]["data"]["studentChanged"]
    domain_id = f"xporter:{first.code}:{student.id}"
    assert change["id"] == global_id("Student", domain_id)
    assert change["deleted"] is False and change["node"]["id"] == change["id"]
    await sockets[1].nothing_within(0.6)
    for socket in sockets:
        await socket.ws.close()


async def test_a_subscription_selecting_an_ungranted_type_is_refused(harness: Harness) -> None:
    user = await harness.provision(
        "Students only", schools=["*"], grants=full_read("Student", role="student-records")
    )
    socket = await open_socket(harness, user.token)
    assert (await socket.receive())["type"] == "connection_ack"
    await socket.subscribe("subscription { shiftChanged { id node { id } } }")
    message = await socket.receive()
    assert message["type"] == "next", message
    [error] = message["payload"]["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN_FIELD"
    assert error["extensions"]["field"] == "Subscription.shiftChanged"
    assert (await socket.receive())["type"] == "complete"
    assert harness.app[LIVE].broker.subscribers(ChangeKind.SHIFT) == []
    await socket.ws.close()


@pytest.mark.parametrize("token", [None, "sgt_not-a-token"], ids=["no token", "unknown token"])
async def test_a_connection_without_a_valid_token_is_closed(
    harness: Harness, token: str | None
) -> None:
    socket = await open_socket(harness, token)
    message = await socket.ws.receive(timeout=WAIT)
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert message.data == 4403
    assert str(message.extra).startswith("Forbidden: ")
