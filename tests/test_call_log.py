"""Each gateway request gets its own log of the upstream calls it caused."""

from __future__ import annotations

import asyncio

import aiohttp
import strawberry
from aiohttp import web

from schoolgraph.app import create_app
from schoolgraph.config import Settings
from schoolgraph.context import Context
from schoolgraph.graph.schema import build_schema
from schoolgraph.upstreams.http import Transport

from .conftest import Serve

TRANSPORT = web.AppKey("transport", Transport)
_transport: list[Transport] = []


@strawberry.type
class CallingQuery:
    @strawberry.field
    async def upstream_calls(self, info: strawberry.Info[Context, None], n: int) -> list[str]:
        for i in range(n):
            await _transport[0].request("GET", f"/rows/{i}", route="/rows/{i}")
        await asyncio.sleep(0.02)  # let the other request interleave
        return [f"{c.method} {c.route} {c.status}" for c in info.context.calls.calls]


async def test_concurrent_requests_see_only_their_own_upstream_calls(serve: Serve) -> None:
    async def rows(request: web.Request) -> web.Response:
        await asyncio.sleep(0.01)
        return web.json_response([])

    upstream = web.Application()
    upstream.router.add_get("/rows/{i}", rows)
    upstream_url = await serve(upstream)
    transport = Transport("fake", str(upstream_url))
    await transport.start()
    _transport[:] = [transport]
    try:
        gateway = await serve(create_app(Settings(), schema=build_schema(CallingQuery)))
        async with aiohttp.ClientSession() as http:

            async def ask(n: int) -> list[str]:
                query = f"{{ upstreamCalls(n: {n}) }}"
                async with http.post(gateway / "graphql", json={"query": query}) as response:
                    body = await response.json()
                calls: list[str] = body["data"]["upstreamCalls"]
                return calls

            two, five = await asyncio.gather(ask(2), ask(5))
    finally:
        await transport.close()
    # Identical GETs in flight at once are shared (single flight); each request still logs
    # every call it made, whether it went out on the wire or joined one that did.
    assert two == ["GET /rows/{i} 200"] * 2
    assert five == ["GET /rows/{i} 200"] * 5
