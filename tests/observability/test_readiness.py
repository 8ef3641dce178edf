"""/readyz reports each upstream's circuit, recent calls and tokens beside its live check."""

from __future__ import annotations

from typing import Any

from schoolgraph.config import UpstreamKind
from tests.graph.conftest import Gateway
from tests.observability.conftest import Observe

SCHOOL_SIDE = "{ schools { name system } students(first: 3) { nodes { surname } } }"


async def readyz(gateway: Gateway) -> tuple[int, dict[str, Any]]:
    async with gateway.http.get(gateway.url / "readyz") as response:
        body: dict[str, Any] = await response.json()
        return response.status, body


async def test_a_failing_upstream_is_named_with_its_open_circuit_and_failed_calls(
    observed: Observe,
) -> None:
    gateway = await observed()
    await gateway.faults("xporter", error_rate=1.0, error_status=503)
    for _ in range(3):
        await gateway.post(SCHOOL_SIDE)

    status, body = await readyz(gateway)

    assert status == 503
    assert body["status"] == "fail"
    xporter = body["checks"]["xporter"]
    assert xporter["status"] == "fail"
    assert xporter["code"] == "UPSTREAM_UNAVAILABLE"
    assert xporter["circuit"] == "open"
    assert "paused" in xporter["message"], "the open circuit answers, not a timeout"
    assert xporter["recent"]["failed"] >= 5
    assert xporter["recent"]["lastError"] == "UPSTREAM_UNAVAILABLE"
    for healthy in ("tanda", "tass"):
        assert body["checks"][healthy]["status"] == "ok"
        assert body["checks"][healthy]["circuit"] == "closed"


async def test_readiness_returns_once_the_upstream_recovers(observed: Observe) -> None:
    gateway = await observed()
    await gateway.faults("tass", error_rate=1.0, error_status=503)
    failing, _ = await readyz(gateway)
    await gateway.faults("tass", clear=True)
    await readyz(gateway)

    status, body = await readyz(gateway)  # "recent" covers the calls before this check

    assert failing == 503
    assert status == 200
    tass = body["checks"]["tass"]
    assert tass["status"] == "ok"
    assert tass["circuit"] == "closed"
    recent = tass["recent"]
    assert recent["calls"] > recent["failed"] > 0, "the earlier failures, then successes"
    assert tass["tokenFetches"] >= 1


async def test_an_upstream_that_is_not_required_degrades_readiness_only(
    observed: Observe,
) -> None:
    gateway = await observed(ready_requires=(UpstreamKind.TANDA, UpstreamKind.TASS))
    await gateway.faults("xporter", error_rate=1.0, error_status=503)
    degraded_status, degraded = await readyz(gateway)
    await gateway.faults("tass", error_rate=1.0, error_status=503)

    status, body = await readyz(gateway)

    assert degraded_status == 200
    assert degraded["status"] == "degraded"
    assert degraded["checks"]["xporter"]["status"] == "fail"
    assert degraded["checks"]["xporter"]["required"] is False
    assert "required" not in degraded["checks"]["tass"]
    assert status == 503
    assert body["status"] == "fail"
    assert body["checks"]["tass"]["code"] == "UPSTREAM_UNAVAILABLE"
