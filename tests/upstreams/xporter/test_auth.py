"""STS tokens per school: cached, renewed ahead, re-issued once when refused, failures coded."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from schoolgraph.cache.store import UpstreamCache
from schoolgraph.errors import UpstreamAuthError
from schoolgraph.upstreams.xporter import (
    AuthorisationPausedError,
    SchoolAuthError,
    XporterClient,
    XporterSchool,
)
from tests.conftest import ManualClock

from .conftest import NARROW_RP, NARROW_SECRET, MakeClient, Sim


async def test_one_token_per_school_serves_every_request(sim: Sim, client: XporterClient) -> None:
    first, second = client.estabs
    for _ in range(3):
        await client.health(first)
        await client.health(second)

    assert await sim.sts_calls() == 2
    assert await sim.calls("/Health") == 6


async def test_a_burst_of_requests_shares_one_token_call(sim: Sim, client: XporterClient) -> None:
    estab = client.estabs[0]

    await asyncio.gather(*(client.health(estab) for _ in range(20)))

    assert await sim.sts_calls() == 1
    assert client.auth(estab).fetches == 1


async def test_short_lived_tokens_are_renewed_ahead_with_no_failed_call(
    sim: Sim, client: XporterClient
) -> None:
    await sim.faults(token_lifetime_seconds=2)
    estab = client.estabs[0]
    started = time.monotonic()
    answers = 0
    while time.monotonic() - started < 3.5:
        await client.health(estab)
        answers += 1
        await asyncio.sleep(0.1)

    stats = await sim.stats()
    assert answers >= 15
    assert await sim.sts_calls() >= 3  # renewed before each 2-second token ran out
    assert stats["errors"] == 0 and "401" not in stats["by_status"]


@pytest.mark.parametrize(
    "status_codes", [True, False], ids=["httpstatuscodes", "http-200-envelope"]
)
async def test_a_token_the_upstream_refuses_is_replaced_once_and_the_read_retried(
    sim: Sim, make_client: MakeClient, status_codes: bool
) -> None:
    client = await make_client(http_status_codes=status_codes)
    estab = client.estabs[0]
    await client.health(estab)
    # Past the token's five days on the simulator's clock only: we still think it is valid.
    await sim.post("/__sim/clock", {"advance_seconds": 6 * 86_400})

    health = await client.health(estab)

    stats = await sim.stats()
    assert health.school_data_status == "ok"
    assert await sim.sts_calls() == 2
    assert await sim.calls("/Health") == 3  # ok, refused, retried
    assert stats["by_status"].get("401", 0) == (1 if status_codes else 0)


async def test_a_wrong_secret_is_a_coded_error_naming_the_school_not_the_secret(
    sim: Sim, make_client: MakeClient
) -> None:
    estab = sim.estab()
    wrong = "definitely-not-the-secret-81c2"
    client = await make_client(schools=(XporterSchool(estab, wrong),), auth_failure_backoff=60.0)

    with pytest.raises(SchoolAuthError) as caught:
        await client.students(estab)
    with pytest.raises(SchoolAuthError):
        await client.students(estab)  # remembered: no second STS call

    error = caught.value
    assert isinstance(error, UpstreamAuthError)
    assert error.code == "UPSTREAM_AUTH_FAILED" and error.upstream == "xporter"
    assert error.reason == "secret_rejected" and error.estab == estab
    assert estab in error.message and "schoolSecret" in error.message
    assert wrong not in error.message and wrong not in repr(client.config)
    assert await sim.sts_calls() == 1
    assert await sim.calls("/Students") == 0


async def test_a_paused_authorisation_at_the_sts_is_a_paused_error(
    sim: Sim, client: XporterClient
) -> None:
    estab = client.estabs[0]
    await sim.post("/__sim/xporter/pause", {"estab": estab})

    with pytest.raises(AuthorisationPausedError) as caught:
        await client.staff(estab)

    assert caught.value.reason == "paused"
    assert caught.value.code == "UPSTREAM_AUTH_FAILED"
    assert f"School {estab} has paused" in caught.value.message
    assert await client.staff(client.estabs[1])  # the other school is unaffected


@pytest.mark.parametrize(
    "status_codes", [True, False], ids=["httpstatuscodes", "http-200-envelope"]
)
async def test_a_pause_after_the_token_was_issued_withdraws_the_cached_data(
    sim: Sim, make_client: MakeClient, clock: ManualClock, status_codes: bool
) -> None:
    client = await make_client(http_status_codes=status_codes)
    estab = client.estabs[0]
    assert await client.students(estab)
    await sim.post("/__sim/xporter/pause", {"estab": estab})
    clock.advance(3600)  # the entry is stale: a refresh is due

    with pytest.raises(AuthorisationPausedError):
        await client.students(estab)  # not served stale: the school withdrew its data

    assert client.cache.stats.stale == 0
    assert len(client.cache) == 0
    await sim.post("/__sim/xporter/pause", {"estab": estab, "paused": False})
    assert await client.students(estab)


async def test_a_scope_the_school_did_not_grant_is_a_coded_error(
    sim: Sim, make_client: MakeClient
) -> None:
    client = await make_client(
        relying_party=NARROW_RP, schools=(XporterSchool(sim.estab(), NARROW_SECRET),)
    )

    assert await client.students(sim.estab())  # StudentLite is granted
    with pytest.raises(SchoolAuthError) as caught:
        await client.staff(sim.estab())

    assert caught.value.reason == "not_authorised"
    assert "has not authorised this app to read Staff" in caught.value.message


async def test_no_secret_or_token_appears_in_any_log_line_or_error(
    sim: Sim, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = [s.school_secret for s in sim.world.credentials.xporter_schools]
    good = await make_client()
    bad = await make_client(schools=(XporterSchool(sim.estab(), "wrong-secret-5d1e"),))
    errors: list[str] = []

    for estab in good.estabs:
        await good.students(estab)
        await good.timetable(estab, sim.world.today, sim.world.today)
    try:
        await bad.staff(sim.estab())
    except SchoolAuthError as error:
        errors.append(error.message)
    await sim.post("/__sim/xporter/pause", {"estab": sim.estab()})
    good.cache.clear()
    try:
        await good.staff(sim.estab())
    except SchoolAuthError as error:
        errors.append(error.message)

    tokens = [good.auth(e).current for e in good.estabs]
    everything = "\n".join([caplog.text, *errors, repr(good), repr(good.config), repr(bad.config)])
    assert len(errors) == 2 and caplog.records
    for secret in [*secrets, "wrong-secret-5d1e", *(t for t in tokens if t)]:
        assert secret not in everything


async def test_each_school_gets_its_own_token(sim: Sim, make_client: MakeClient) -> None:
    client = await make_client(cache=UpstreamCache())
    first, second = client.estabs

    await client.students(first)
    await client.students(second)

    assert client.auth(first).current != client.auth(second).current
    assert client.auth(first).fetches == client.auth(second).fetches == 1


async def test_a_withdrawn_school_is_not_asked_again_within_the_backoff(
    sim: Sim, make_client: MakeClient
) -> None:
    client = await make_client(auth_failure_backoff=60.0)
    estab = client.estabs[0]
    await client.health(estab)
    await sim.post("/__sim/xporter/pause", {"estab": estab})
    await sim.stats(reset=True)

    for _ in range(3):
        with pytest.raises(AuthorisationPausedError):
            await client.students(estab)

    assert (await sim.stats())["total"] == 1  # one data call said "paused"; then none
    assert client.auth(estab).current is None
