"""Gateways built for hardening tests: demo worlds on loopback, each with its own settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from schoolgraph.app import create_app
from schoolgraph.config import Settings
from tests.conftest import Serve
from tests.graph.conftest import Gateway

Harden = Callable[..., Awaitable[Gateway]]

BASE = Settings(demo_scale="small", rate_limit=0)
"""A small demo world; the rate limiter off unless a test turns it on (the tests send many
requests from one address)."""

SCHOOLS = "{ schools { id name } }"


@pytest.fixture
async def harden(serve: Serve, http: aiohttp.ClientSession) -> Harden:
    """``await harden(**settings)``: a demo gateway on loopback with those settings changed."""

    async def start(*, clock: Callable[[], float] | None = None, **changes: Any) -> Gateway:
        settings = dataclasses.replace(BASE, **changes)
        app = create_app(settings) if clock is None else create_app(settings, clock=clock)
        return Gateway(url=await serve(app), app=app, http=http)

    return start


async def post_raw(
    gateway: Gateway, payload: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """``POST /graphql`` with ``payload`` as JSON: the status, the headers and the JSON body."""
    async with gateway.http.post(gateway.url / "graphql", json=payload, headers=headers) as r:
        return r.status, dict(r.headers), await r.json()


def codes(body: Any) -> list[str]:
    """The ``extensions.code`` of every error of a response body."""
    return [error["extensions"]["code"] for error in body.get("errors") or ()]
