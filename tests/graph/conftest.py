"""A demo gateway on loopback (its own simulators behind it), and a client for its graph."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from graphql import GraphQLObjectType
from yarl import URL

from schoolgraph.app import RUNTIME, create_app
from schoolgraph.config import Settings
from schoolgraph.execution_slots import EXECUTION_SLOTS
from schoolgraph.graph.plain_fields import PlainFieldsExecutor
from schoolgraph.simulators.dataset import World
from schoolgraph.simulators.stack import SimulatorStack
from tests.conftest import Serve

UPSTREAMS = ("tanda", "xporter", "tass")


@dataclass
class Gateway:
    """The gateway under test, its simulators, and helpers to talk to both over HTTP."""

    url: URL
    app: web.Application
    http: aiohttp.ClientSession

    @property
    def simulators(self) -> SimulatorStack:
        stack = self.app[RUNTIME].simulators
        assert stack is not None
        return stack

    @property
    def world(self) -> World:
        return self.simulators.world

    async def post(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        status: int = 200,
    ) -> dict[str, Any]:
        """The JSON body of ``POST /graphql``; asserts the HTTP status."""
        payload = {"query": query, "variables": dict(variables or {})}
        async with self.http.post(self.url / "graphql", json=payload, headers=headers) as response:
            body: dict[str, Any] = await response.json()
            assert response.status == status, body
            return body

    async def data(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        """The ``data`` of a query that must answer without errors."""
        body = await self.post(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def errors(self, query: str, variables: Mapping[str, Any] | None = None) -> list[Any]:
        """The ``errors`` of a query that must fail (and its data, if any, is ignored)."""
        body = await self.post(query, variables)
        assert body.get("errors"), body
        errors: list[Any] = body["errors"]
        return errors

    async def sim_requests(self) -> dict[str, int]:
        """Requests each simulator has served since the last call (counters reset)."""
        counts: dict[str, int] = {}
        for name in UPSTREAMS:
            url = URL(self.simulators.urls[name]) / "__sim" / "stats"
            async with self.http.get(url, params={"reset": "true"}) as response:
                assert response.status == 200
                counts[name] = (await response.json())["total"]
        return counts

    async def faults(self, upstream: str, **faults: Any) -> None:
        url = URL(self.simulators.urls[upstream]) / "__sim" / "faults"
        async with self.http.post(url, json=faults) as response:
            assert response.status == 200, await response.text()


def global_id(type_name: str, domain_id: str) -> str:
    """The global id the graph gives ``domain_id``, computed independently of its code."""
    raw = f"{type_name}:{domain_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture
def completed_objects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The object types graphql-core completes (``complete_object_value``), in order: what
    the plain-fields executor (graph/plain_fields.py) did not complete itself."""
    completed: list[str] = []
    stock = PlainFieldsExecutor.complete_object_value

    def counted(self: PlainFieldsExecutor, return_type: GraphQLObjectType, *args: Any) -> Any:
        completed.append(return_type.name)
        return stock(self, return_type, *args)

    monkeypatch.setattr(PlainFieldsExecutor, "complete_object_value", counted)
    return completed


@pytest.fixture
def gateway_settings() -> Settings:
    return Settings(demo_scale="small")


@pytest.fixture
async def gateway(serve: Serve, http: aiohttp.ClientSession, gateway_settings: Settings) -> Gateway:
    app = create_app(gateway_settings)
    url = await serve(app)
    return Gateway(url=url, app=app, http=http)


Start = Callable[[Settings], Awaitable[Gateway]]


@pytest.fixture
async def start_gateway(serve: Serve, http: aiohttp.ClientSession) -> Start:
    """``await start_gateway(settings)``: another gateway, with its own simulators and a cold
    cache, for tests that compare what two queries cost from the same starting point."""

    async def start(settings: Settings) -> Gateway:
        app = create_app(settings)
        return Gateway(url=await serve(app), app=app, http=http)

    return start


@contextlib.asynccontextmanager
async def computing(gateway: Gateway) -> AsyncIterator[None]:
    """Every place among the operations executed at once taken, as operations computing
    their answers take them (not waiting for an upstream: a wait gives its place up), until
    the block ends."""
    slots = gateway.app[EXECUTION_SLOTS]
    release = asyncio.Event()
    taken = asyncio.Event()

    async def operation() -> None:
        async with slots.place():
            taken.set()
            await release.wait()

    holders = [asyncio.create_task(operation()) for _ in range(slots.limit)]
    await taken.wait()
    try:
        yield
    finally:
        release.set()
        await asyncio.gather(*holders)
