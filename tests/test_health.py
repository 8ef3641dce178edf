"""/healthz and /readyz over HTTP, and the readiness check registry."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest
from yarl import URL

from schoolgraph.app import create_app
from schoolgraph.config import Mode, Settings
from schoolgraph.errors import UpstreamUnavailableError
from schoolgraph.health import READINESS_CHECKS, ReadinessChecks
from tests.conftest import Serve

NO_UPSTREAMS = Settings(mode=Mode.UPSTREAM)
"""A gateway without upstreams: no readiness checks but the ones a test registers."""


async def passing() -> None:
    return None


async def tanda_down() -> None:
    raise UpstreamUnavailableError("The tanda upstream could not be reached.", upstream="tanda")


async def crashing() -> None:
    raise RuntimeError("socket path /var/secret leaked")


async def hanging() -> None:
    await asyncio.sleep(60)


async def test_healthz_is_ok(http: aiohttp.ClientSession, gateway_url: URL) -> None:
    async with http.get(gateway_url / "healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok"}


@pytest.mark.parametrize("settings", [NO_UPSTREAMS], ids=["no-upstreams"])
async def test_readyz_with_no_checks_is_ready(
    http: aiohttp.ClientSession, gateway_url: URL
) -> None:
    async with http.get(gateway_url / "readyz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok", "checks": {}}


async def test_readyz_is_503_when_a_registered_check_fails(
    http: aiohttp.ClientSession, serve: Serve
) -> None:
    app = create_app(NO_UPSTREAMS)
    app[READINESS_CHECKS].add("database", passing)
    app[READINESS_CHECKS].add("tanda", tanda_down)
    url = await serve(app)

    async with http.get(url / "readyz") as response:
        body = await response.json()

    assert response.status == 503
    assert body == {
        "status": "fail",
        "checks": {
            "database": {"status": "ok"},
            "tanda": {
                "status": "fail",
                "code": "UPSTREAM_UNAVAILABLE",
                "message": "The tanda upstream could not be reached.",
            },
        },
    }


async def test_readyz_passes_once_every_check_passes(
    http: aiohttp.ClientSession, serve: Serve
) -> None:
    app = create_app(NO_UPSTREAMS)
    app[READINESS_CHECKS].add("database", passing)
    url = await serve(app)

    async with http.get(url / "readyz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok", "checks": {"database": {"status": "ok"}}}


async def test_an_unexpected_check_failure_is_masked_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    checks = ReadinessChecks()
    checks.add("crashing", crashing)

    [result] = await checks.run(request_id="req-ready")

    assert result.to_json() == {
        "status": "fail",
        "code": "INTERNAL",
        "message": "The check failed unexpectedly.",
    }
    [record] = caplog.records
    assert record.__dict__["request_id"] == "req-ready"
    assert record.exc_info is not None
    assert record.exc_info[0] is RuntimeError


async def test_a_check_that_hangs_fails_after_the_timeout() -> None:
    checks = ReadinessChecks(timeout=0.05)
    checks.add("hanging", hanging)
    checks.add("passing", passing)

    results = await checks.run()

    assert [result.to_json() for result in results] == [
        {
            "status": "fail",
            "code": "CHECK_TIMEOUT",
            "message": "The check did not finish within 0.05 seconds.",
        },
        {"status": "ok"},
    ]


def test_check_names_are_unique() -> None:
    checks = ReadinessChecks()
    checks.add("tanda", passing)

    message = "A readiness check named 'tanda' is already registered."
    with pytest.raises(ValueError, match=re.escape(message)):
        checks.add("tanda", passing)
