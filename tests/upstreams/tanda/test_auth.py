"""Tanda auth lifecycles over HTTP: password and authorization-code grants, refresh ahead of
expiry, rotating refresh tokens, re-authentication after a 401, and secrets kept out of logs."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from schoolgraph.errors import UpstreamAuthError, UpstreamError
from schoolgraph.upstreams.tanda import (
    AuthorizationCodeGrant,
    MemoryRefreshTokenStore,
    PasswordGrant,
    authorization_url,
    requester_of,
)

from .conftest import Clients, Sim, route_count, route_errors

ME = "/api/v2/users/me"
SCHEDULES = "/api/v2/schedules"
TOKEN = "/api/oauth/token"


def _schedule_ids(sim: Sim, count: int) -> list[int]:
    return sorted(sim.world.schedules)[:count]


async def test_a_burst_of_calls_fetches_one_password_token(sim: Sim, clients: Clients) -> None:
    client = await clients()
    ids = _schedule_ids(sim, 20)
    await asyncio.gather(*(client.schedules_by_ids([i]) for i in ids))
    assert client.auth.token_fetches == 1
    stats = await sim.stats()
    assert route_count(stats, "GET", SCHEDULES) == 20
    assert route_count(stats, "POST", TOKEN) == 1


async def test_a_revoked_password_token_is_replaced_once(sim: Sim, clients: Clients) -> None:
    client = await clients()
    await client.readiness()
    sim.state.tokens.access.clear()  # revoked on the API management page (§2.3)
    await asyncio.gather(*(client.schedules_by_ids([i]) for i in _schedule_ids(sim, 5)))
    assert client.auth.token_fetches == 2  # the five 401s share one new login
    stats = await sim.stats()
    assert route_errors(stats, "GET", SCHEDULES) == 5
    assert route_count(stats, "GET", SCHEDULES) == 10


async def test_the_authorization_code_is_exchanged_and_refresh_tokens_rotate(
    sim: Sim, clients: Clients
) -> None:
    store = MemoryRefreshTokenStore()
    client = await clients(sim.code_grant(await sim.authorization_code()), refresh_store=store)
    await client.readiness()
    first = await store.load()
    assert first is not None and first in sim.state.tokens.refresh
    client.auth.forget()  # as if the access token were about to expire
    await client.readiness()
    second = await store.load()
    assert second is not None and second != first
    assert first not in sim.state.tokens.refresh  # used once: rotated away


async def test_refresh_ahead_of_expiry_means_no_call_fails(sim: Sim, clients: Clients) -> None:
    # Tokens live 2 s and are renewed 1 s ahead: call until the code exchange and three
    # refreshes have happened (about 3 s; bounded by a generous deadline on a busy machine).
    await sim.faults(token_lifetime_seconds=2)
    client = await clients(sim.code_grant(await sim.authorization_code()), renew_ahead=1.0)
    deadline = time.monotonic() + 30.0
    calls = 0
    while client.auth.token_fetches < 4:
        assert time.monotonic() < deadline, f"{client.auth.token_fetches} token fetches"
        await client.readiness()
        calls += 1
        await asyncio.sleep(0.05)
    stats = await sim.stats()
    assert route_count(stats, "GET", ME) == calls
    assert route_errors(stats, "GET", ME) == 0  # not a single 401
    assert client.auth.token_fetches < calls / 3  # each token served many calls


async def test_an_expired_token_is_refreshed_after_one_401(sim: Sim, clients: Clients) -> None:
    client = await clients(sim.code_grant(await sim.authorization_code()))
    await client.readiness()
    await sim.clock(advance_seconds=7200 + 60)  # past expires_in, unseen by our clock
    me = await client.readiness()
    assert me.email == sim.world.credentials.tanda_admin_email
    stats = await sim.stats()
    assert route_count(stats, "GET", ME) == 3
    assert route_errors(stats, "GET", ME) == 1
    assert client.auth.token_fetches == 2


async def test_a_failed_early_renewal_keeps_using_the_still_valid_token(
    sim: Sim, clients: Clients
) -> None:
    await sim.faults(token_lifetime_seconds=60)
    client = await clients(sim.code_grant(await sim.authorization_code()), renew_ahead=59.5)
    await client.readiness()
    await asyncio.sleep(0.6)  # inside the renew-ahead window, 59 s before expiry
    await sim.faults(error_rate=1.0, error_status=503, paths=["/api/oauth/token"])
    me = await client.readiness()  # the refresh fails; the call does not
    assert me.email == sim.world.credentials.tanda_admin_email
    assert route_errors(await sim.stats(), "POST", TOKEN) == 1
    await sim.faults(clear=True)
    await client.readiness()
    assert client.auth.token_fetches >= 3


async def test_a_stored_refresh_token_resumes_without_a_code(sim: Sim, clients: Clients) -> None:
    store = MemoryRefreshTokenStore()
    first = await clients(sim.code_grant(await sim.authorization_code()), refresh_store=store)
    await first.readiness()
    resumed = await clients(sim.code_grant(), refresh_store=store)
    assert (await resumed.readiness()).email == sim.world.credentials.tanda_admin_email


async def test_a_spent_refresh_token_is_a_clear_auth_error(sim: Sim, clients: Clients) -> None:
    store = MemoryRefreshTokenStore()
    first = await clients(sim.code_grant(await sim.authorization_code()), refresh_store=store)
    await first.readiness()
    spent = await store.load()
    assert spent is not None
    first.auth.forget()
    await first.readiness()  # rotates `spent` away
    stale = await clients(sim.code_grant(refresh=spent))
    with pytest.raises(UpstreamAuthError) as refused:
        await stale.readiness()
    assert "invalid_grant" in refused.value.message
    assert spent not in refused.value.message


async def test_no_code_and_no_refresh_token_says_authorise_again(
    sim: Sim, clients: Clients
) -> None:
    client = await clients(sim.code_grant())
    with pytest.raises(UpstreamAuthError, match="authorise it again"):
        await client.readiness()


async def test_a_wrong_password_is_an_auth_error_without_the_password(
    sim: Sim, clients: Clients
) -> None:
    email = sim.world.credentials.tanda_admin_email
    client = await clients(PasswordGrant(email, "not-the-password-1234"))
    with pytest.raises(UpstreamAuthError) as refused:
        await client.users()
    assert (
        refused.value.message == "Tanda refused the password grant with HTTP 400 (invalid_grant)."
    )


def test_requesters_follow_tanda_rate_limit_buckets() -> None:
    """§3.1: password tokens share the user's bucket; OAuth is per application and user."""
    alice = requester_of(PasswordGrant("Alice@example.org", "a"))
    assert alice == requester_of(PasswordGrant("alice@example.org ", "other token"))
    assert alice != requester_of(PasswordGrant("bob@example.org", "a"))
    app = AuthorizationCodeGrant("app", "s", "https://x/cb", user_key="alice@example.org")
    other_app = AuthorizationCodeGrant("app2", "s", "https://x/cb", user_key="alice@example.org")
    assert len({alice, requester_of(app), requester_of(other_app)}) == 3
    assert "alice" not in alice.lower() and "example" not in requester_of(app)


def test_the_authorization_url_carries_the_documented_parameters() -> None:
    grant = AuthorizationCodeGrant("app-id", "secret", "http://localhost:3000/callback")
    url = authorization_url("https://my.workforce.com/", grant, ("me", "roster"), state="s1")
    assert url == (
        "https://my.workforce.com/api/oauth/authorize?scope=me+roster&client_id=app-id"
        "&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&response_type=code&state=s1"
    )
    assert "secret" not in url


async def test_no_secret_reaches_a_log_line_a_repr_or_an_error(
    sim: Sim, clients: Clients, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    c = sim.world.credentials
    errors: list[str] = []
    store = MemoryRefreshTokenStore()
    code_client = await clients(sim.code_grant(await sim.authorization_code()), refresh_store=store)
    password_client = await clients()
    await code_client.readiness()
    code_client.auth.forget()
    await asyncio.gather(code_client.users(), password_client.teams(), code_client.me())
    await sim.clock(advance_seconds=7300)
    await code_client.readiness()  # 401, then a refresh
    for bad in (
        PasswordGrant(c.tanda_admin_email, c.tanda_admin_password + "x"),
        sim.code_grant(refresh="f" * 64),
    ):
        try:
            await (await clients(bad)).readiness()
        except UpstreamError as exc:
            errors.append(f"{exc} {exc!r}")
    await sim.faults(error_rate=1.0, error_status=503, paths=["/api/v2/users"])
    try:
        await password_client.users()
    except UpstreamError as exc:
        errors.append(f"{exc} {exc!r}")
    assert len(errors) == 3

    secrets = {c.tanda_admin_password, c.tanda_client_secret, "f" * 64}
    secrets |= set(sim.state.tokens.access) | set(sim.state.tokens.refresh)
    secrets |= {r for r in [await store.load()] if r}
    reprs = [
        repr(x)
        for x in (
            code_client,
            code_client.auth,
            code_client.config,
            password_client.config,
            store,
            code_client.auth._slot.token,
        )
    ]
    text = "\n".join([*(r.getMessage() for r in caplog.records), *errors, *reprs])
    assert len(secrets) > 5
    leaked = [s for s in secrets if s in text]
    assert leaked == []
