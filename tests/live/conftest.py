"""A demo gateway with live updates, and a graphql-transport-ws client over a real socket."""

from __future__ import annotations

import asyncio
import base64
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from schoolgraph.app import RUNTIME, create_app
from schoolgraph.config import Settings
from schoolgraph.domain import ChangeKind
from schoolgraph.live import LIVE, LiveUpdates
from schoolgraph.simulators.dataset import World
from schoolgraph.simulators.stack import SimulatorStack
from tests.conftest import Serve

PROTOCOL = "graphql-transport-ws"
WAIT = 10.0  # seconds a test waits for an event before it fails; never a speed target


def global_id(type_name: str, domain_id: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{domain_id}".encode()).decode().rstrip("=")


async def polls_after(live: LiveUpdates, schools: list[str], count: int) -> None:
    """Wait until each of ``schools`` (domain ids) has been polled ``count`` more times."""
    polls = live.polls_by_school
    targets = {school: polls[school] + count for school in schools}
    async with asyncio.timeout(WAIT):
        # Polls have no event: the test observes the counter.
        while any(polls[school] < target for school, target in targets.items()):  # noqa: ASYNC110
            await asyncio.sleep(0.02)


@dataclass
class LiveGateway:
    app: web.Application
    url: URL
    http: aiohttp.ClientSession

    @property
    def live(self) -> LiveUpdates:
        return self.app[LIVE]

    @property
    def stack(self) -> SimulatorStack:
        stack = self.app[RUNTIME].simulators
        assert stack is not None
        return stack

    @property
    def world(self) -> World:
        return self.stack.world

    async def settled(self) -> None:
        """Every polled school has taken its baselines and polled once more."""
        runtime = self.app[RUNTIME]
        schools = (
            [f"xporter:{estab}" for estab in runtime.xporter.estabs] if runtime.xporter else []
        )
        schools += [f"tass:{code}" for code in runtime.tass.company_codes] if runtime.tass else []
        await polls_after(self.live, schools, 2)

    async def subscribers(self, kind: ChangeKind, count: int) -> None:
        """Wait until ``count`` subscriptions of ``kind`` are registered with the broker."""
        async with asyncio.timeout(WAIT):
            # The broker has no event for this: the test polls what it observes.
            while len(self.live.broker.subscribers(kind)) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.01)

    async def graphql(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        async with self.http.post(
            self.url / "graphql", json={"query": query, "variables": variables or {}}
        ) as response:
            body = await response.json()
        assert "errors" not in body, body
        return body["data"]

    async def sim_mutate(self, upstream: str, body: dict[str, Any]) -> Any:
        async with self.http.post(f"{self.stack.urls[upstream]}/__sim/mutate", json=body) as r:
            assert r.status == 200, await r.text()
            return await r.json()


class Socket:
    """One graphql-transport-ws connection."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = itertools.count(1)

    @classmethod
    async def acknowledged(cls, http: aiohttp.ClientSession, url: URL) -> Socket:
        """An acknowledged connection to the gateway at ``url``, anonymous (as the demo
        allows); the caller closes it (``socket.ws.close()``)."""
        ws = await http.ws_connect(url / "graphql", protocols=[PROTOCOL])
        await ws.send_json({"type": "connection_init", "payload": {}})
        socket = cls(ws)
        assert (await socket.receive())["type"] == "connection_ack"
        return socket

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        operation = str(next(self._ids))
        await self.ws.send_json(
            {
                "id": operation,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )
        return operation

    async def receive(self, within: float = WAIT) -> dict[str, Any]:
        message: dict[str, Any] = await self.ws.receive_json(timeout=within)
        return message

    async def nothing_within(self, seconds: float) -> None:
        """Assert that no message arrives within ``seconds``."""
        try:
            message = await self.ws.receive_json(timeout=seconds)
        except TimeoutError:
            return
        pytest.fail(f"Expected no message, got {message}")


Connect = Callable[..., Any]


@pytest.fixture
def live_settings() -> Settings:
    return Settings(demo_scale="small", live_poll_interval=0.3, live_poll_jitter=0.0)


@pytest.fixture
async def gateway(
    serve: Serve, live_settings: Settings, http: aiohttp.ClientSession
) -> LiveGateway:
    app = create_app(live_settings)
    url = await serve(app)
    return LiveGateway(app, url, http)


@pytest.fixture
async def connect(
    gateway: LiveGateway,
) -> AsyncIterator[Callable[..., Any]]:
    """``await connect(token=None, init_payload=None)``: an acknowledged connection."""
    sockets: list[aiohttp.ClientWebSocketResponse] = []

    async def open_socket(
        *, headers: dict[str, str] | None = None, payload: dict[str, Any] | None = None
    ) -> Socket:
        ws = await gateway.http.ws_connect(
            gateway.url / "graphql", protocols=[PROTOCOL], headers=headers or {}
        )
        sockets.append(ws)
        await ws.send_json({"type": "connection_init", "payload": payload or {}})
        return Socket(ws)

    yield open_socket
    for ws in sockets:
        await ws.close()
