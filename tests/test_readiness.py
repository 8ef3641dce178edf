"""/readyz has one check per configured upstream, each an authenticated call through its client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from yarl import URL

from schoolgraph.app import create_app
from schoolgraph.config import Settings, load_settings
from schoolgraph.simulators.stack import SimulatorStack, start_simulators
from tests.conftest import Serve
from tests.simulated_upstreams import environ_for, sim_post


@pytest.fixture
async def stack() -> AsyncIterator[SimulatorStack]:
    started = await start_simulators(scale="small")
    yield started
    await started.close()


async def readyz(http: aiohttp.ClientSession, gateway: URL) -> tuple[int, dict[str, Any]]:
    async with http.get(gateway / "readyz") as response:
        body: dict[str, Any] = await response.json()
        return response.status, body


async def test_the_demo_is_ready_with_a_check_per_simulator(
    http: aiohttp.ClientSession, serve: Serve
) -> None:
    gateway = await serve(create_app(Settings()))

    status, body = await readyz(http, gateway)

    assert status == 200
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "tanda": "ok",
        "xporter": "ok",
        "tass": "ok",
    }
    assert all(check["circuit"] == "closed" for check in body["checks"].values())


async def test_only_configured_upstreams_are_checked(
    http: aiohttp.ClientSession, serve: Serve, stack: SimulatorStack
) -> None:
    gateway = await serve(create_app(load_settings(environ_for(stack, "tass"))))

    status, body = await readyz(http, gateway)

    assert status == 200
    assert body["status"] == "ok"
    assert list(body["checks"]) == ["tass"]
    assert body["checks"]["tass"]["status"] == "ok"


async def test_readyz_is_503_naming_the_upstream_that_fails(
    http: aiohttp.ClientSession, serve: Serve, stack: SimulatorStack
) -> None:
    gateway = await serve(create_app(load_settings(environ_for(stack))))
    await sim_post(http, stack, "xporter", "/__sim/faults", {"error_rate": 1})

    status, body = await readyz(http, gateway)

    assert status == 503
    assert body["status"] == "fail"
    assert body["checks"]["tanda"]["status"] == "ok"
    assert body["checks"]["tass"]["status"] == "ok"
    xporter = body["checks"]["xporter"]
    assert xporter["status"] == "fail"
    assert xporter["code"] == "UPSTREAM_UNAVAILABLE"


async def test_an_upstream_at_its_rate_limit_degrades_readiness_without_failing_it(
    http: aiohttp.ClientSession, serve: Serve, stack: SimulatorStack
) -> None:
    # Every replica shares the upstream's quota: out of rotation, this one would only move
    # its load onto the others.
    gateway = await serve(create_app(load_settings(environ_for(stack, "tanda"))))
    await readyz(http, gateway)  # the token is fetched
    await sim_post(http, stack, "tanda", "/__sim/faults", {"rate_limit_per_minute": 1})

    answers = [await readyz(http, gateway) for _ in range(3)]

    status, body = answers[-1]
    assert status == 200, body
    assert body["status"] == "degraded"
    tanda = body["checks"]["tanda"]
    assert (tanda["status"], tanda["code"]) == ("limited", "UPSTREAM_RATE_LIMITED")


async def test_readyz_names_tass_when_no_company_answers(
    http: aiohttp.ClientSession, serve: Serve, stack: SimulatorStack
) -> None:
    gateway = await serve(create_app(load_settings(environ_for(stack, "tass"))))
    await sim_post(http, stack, "tass", "/__sim/faults", {"error_rate": 1})

    status, body = await readyz(http, gateway)

    assert status == 503
    tass = body["checks"]["tass"]
    assert (tass["status"], tass["code"], tass["message"]) == (
        "fail",
        "UPSTREAM_UNAVAILABLE",
        "No company of TASS answered: 01 UPSTREAM_UNAVAILABLE, 02 UPSTREAM_UNAVAILABLE.",
    )


async def test_wrong_tanda_credentials_make_tanda_unready(
    http: aiohttp.ClientSession, serve: Serve, stack: SimulatorStack
) -> None:
    environ = environ_for(stack, "tanda") | {"SCHOOLGRAPH_TANDA_PASSWORD": "not-the-password"}
    gateway = await serve(create_app(load_settings(environ)))

    status, body = await readyz(http, gateway)

    assert status == 503
    assert body["checks"]["tanda"]["code"] == "UPSTREAM_AUTH_FAILED"
    assert "not-the-password" not in str(body)


async def test_one_paused_school_leaves_xporter_ready(
    http: aiohttp.ClientSession, serve: Serve, stack: SimulatorStack
) -> None:
    gateway = await serve(create_app(load_settings(environ_for(stack, "xporter"))))
    estab = stack.describe()["xporter"]["schools"][0]["estab"]
    await sim_post(http, stack, "xporter", "/__sim/xporter/pause", {"estab": estab})

    status, body = await readyz(http, gateway)

    assert status == 200
    assert body["status"] == "ok"
    assert list(body["checks"]) == ["xporter"]
    assert body["checks"]["xporter"]["status"] == "ok"
