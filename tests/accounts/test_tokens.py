"""``POST /auth/token`` and bearer tokens: 15 minutes, and gone at once when the account is
disabled or its key deleted; every refusal a clear 401."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from schoolgraph.accounts.hashing import digest
from schoolgraph.accounts.models import TokenRecord
from schoolgraph.accounts.service import TOKEN_EXPIRED, TOKEN_INVALID, TOKEN_PURGE_BATCH
from schoolgraph.config import Mode, Settings
from tests.accounts.conftest import SERVICE
from tests.accounts.harness import ADMIN, Harness, WallClock, start_harness
from tests.conftest import Serve
from tests.dashboard.site import Dashboard

QUERY = "{ service { name } }"
OK = {"data": {"service": {"name": "schoolgraph"}}}


def message(body: dict[str, Any]) -> str:
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED", body
    text: str = error["message"]
    return text


async def test_a_token_lasts_15_minutes_by_the_clock(harness: Harness) -> None:
    user = await harness.provision("Acme", grants=SERVICE)

    assert await harness.graphql(QUERY, user=user) == OK
    harness.clock.advance(minutes=14, seconds=59)
    assert await harness.graphql(QUERY, user=user) == OK
    harness.clock.advance(seconds=1)
    body = await harness.graphql(QUERY, user=user, status=401)

    assert message(body) == ("The bearer token has expired; get a new one from POST /auth/token.")
    fresh = await harness.token(user.key, user.secret)
    assert (
        await harness.graphql(QUERY, headers={"Authorization": f"Bearer {fresh['access_token']}"})
        == OK
    )


async def test_an_expired_token_is_told_expired_through_its_grace_then_purged(
    harness: Harness,
) -> None:
    user = await harness.provision("Acme", grants=SERVICE)
    other = await harness.provision("Bayside", grants=SERVICE)
    harness.clock.advance(minutes=15)

    await harness.token(other.key, other.secret)  # issuing a token purges old ones
    expired = await harness.graphql(QUERY, user=user, status=401)
    harness.clock.advance(hours=24)  # the last moment of the grace period
    await harness.token(other.key, other.secret)
    still_expired = await harness.graphql(QUERY, user=user, status=401)
    harness.clock.advance(seconds=1)
    await harness.token(other.key, other.secret)
    purged = await harness.graphql(QUERY, user=user, status=401)

    assert message(expired) == TOKEN_EXPIRED
    assert message(still_expired) == TOKEN_EXPIRED
    assert message(purged) == TOKEN_INVALID
    assert await harness.service.store.token(digest(user.token)) is None


async def test_a_token_issue_purges_a_bounded_batch_of_expired_tokens(harness: Harness) -> None:
    user = await harness.provision("Acme", grants=SERVICE)
    expired = [
        TokenRecord(f"hash-{n}", user.code, "key", harness.clock.now, harness.clock.now)
        for n in range(TOKEN_PURGE_BATCH + 1)
    ]
    for token in expired:
        await harness.service.store.insert_token(token)
    harness.clock.advance(hours=24, seconds=1)

    await harness.token(user.key, user.secret)
    left = [await harness.service.store.token(token.token_hash) for token in expired]

    assert [token is None for token in left] == [True] * TOKEN_PURGE_BATCH + [False]


async def test_the_dashboard_says_a_session_expired_after_another_sign_in(
    harness: Harness,
) -> None:
    admin = await harness.provision("School Office", admin=True)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        dashboard = Dashboard(harness, browser)
        await dashboard.sign_in(admin)
        harness.clock.advance(minutes=15, seconds=1)
        await harness.token(admin.key, admin.secret)  # another sign-in purges old tokens

        answer = await dashboard.get("/admin")

    assert answer.status == 303
    assert parse_qs(urlsplit(answer.location).query)["reason"] == ["expired"]


async def test_the_token_answer_says_how_long_it_lasts(harness: Harness) -> None:
    user = await harness.provision("Acme", grants=SERVICE)

    async with harness.http.post(
        harness.url / "auth" / "token", json={"key": user.key, "secret": user.secret}
    ) as response:
        body = await response.json()
        assert response.headers["Cache-Control"] == "no-store"

    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["access_token"].startswith("sgt_")


async def test_the_lifetime_follows_the_settings(
    serve: Serve, http: aiohttp.ClientSession, clock: WallClock
) -> None:
    harness = await start_harness(
        serve, http, Settings(mode=Mode.UPSTREAM, token_ttl=60), clock=clock
    )
    user = await harness.provision("Acme", grants=SERVICE)

    assert (await harness.token(user.key, user.secret))["expires_in"] == 60
    clock.advance(seconds=60)
    await harness.graphql(QUERY, user=user, status=401)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            "disable", "The account SG0001 is disabled; ask the school to enable it.", id="disabled"
        ),
        pytest.param("delete-key", "The key and secret are not valid.", id="key-deleted"),
    ],
)
async def test_disabling_or_deleting_the_key_stops_the_token_at_once(
    harness: Harness, change: str, expected: str
) -> None:
    user = await harness.provision("Acme", grants=SERVICE)
    assert await harness.graphql(QUERY, user=user) == OK

    if change == "disable":
        await harness.service.disable_account(ADMIN, user.code)
    else:
        await harness.service.delete_key(ADMIN, user.code)

    body = await harness.graphql(QUERY, user=user, status=401)
    assert message(body) == "The bearer token is not valid; get a new one from POST /auth/token."
    assert message(await harness.token(user.key, user.secret, status=401)) == expected


async def test_a_disabled_account_gets_no_token_until_enabled(harness: Harness) -> None:
    user = await harness.provision("Acme", grants=SERVICE)
    await harness.service.disable_account(ADMIN, user.code)

    refused = await harness.token(user.key, user.secret, status=401)
    await harness.service.update_account(ADMIN, user.code, enabled=True)
    issued = await harness.token(user.key, user.secret)

    assert message(refused) == "The account SG0001 is disabled; ask the school to enable it."
    assert issued["expires_in"] == 900


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param({"key": "right", "secret": "sgs_wrong"}, id="wrong-secret"),
        pytest.param({"key": "sgk_unknown", "secret": "right"}, id="unknown-key"),
    ],
)
async def test_wrong_credentials_get_the_same_401(
    harness: Harness, credentials: dict[str, str]
) -> None:
    user = await harness.provision("Acme", grants=SERVICE)
    sent = {
        name: getattr(user, name) if value == "right" else value
        for name, value in credentials.items()
    }

    async with harness.http.post(harness.url / "auth" / "token", json=sent) as response:
        body = await response.json()
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="schoolgraph"'

    assert message(body) == "The key and secret are not valid."


@pytest.mark.parametrize(
    ("body", "text"),
    [
        pytest.param({"key": "k"}, "needs 'secret'", id="no-secret"),
        pytest.param({"key": 1, "secret": "s"}, "needs 'key'", id="key-not-a-string"),
        pytest.param([], "must be a JSON object", id="not-an-object"),
    ],
)
async def test_a_malformed_token_request_is_a_400(
    harness: Harness, body: object, text: str
) -> None:
    async with harness.http.post(harness.url / "auth" / "token", json=body) as response:
        answer = await response.json()
        assert response.status == 400

    assert text in answer["errors"][0]["message"]


@pytest.mark.parametrize(
    ("headers", "text", "challenge"),
    [
        pytest.param(
            {},
            "This gateway needs a bearer token: POST your key and secret to /auth/token",
            'Bearer realm="schoolgraph"',
            id="no-token",
        ),
        pytest.param(
            {"Authorization": "Basic dXNlcjpwYXNz"},
            "The Authorization header must be 'Bearer <token>'.",
            'Bearer realm="schoolgraph", error="invalid_token"',
            id="not-bearer",
        ),
        pytest.param(
            {"Authorization": "Bearer sgt_made_up"},
            "The bearer token is not valid; get a new one from POST /auth/token.",
            'Bearer realm="schoolgraph", error="invalid_token"',
            id="unknown-token",
        ),
    ],
)
async def test_upstream_mode_needs_a_token(
    harness: Harness, headers: dict[str, str], text: str, challenge: str
) -> None:
    async with harness.http.post(
        harness.url / "graphql", json={"query": QUERY}, headers=headers
    ) as response:
        body = await response.json()
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == challenge

    assert message(body).startswith(text)


async def test_graphiql_needs_no_token_but_grants_nothing(harness: Harness) -> None:
    async with harness.http.get(
        harness.url / "graphql", headers={"Accept": "text/html"}
    ) as response:
        assert response.status == 200
        assert "graphiql" in (await response.text()).lower()


async def test_with_anonymous_access_a_bad_token_is_still_refused(
    serve: Serve, http: aiohttp.ClientSession
) -> None:
    settings = dataclasses.replace(Settings(mode=Mode.UPSTREAM), anonymous=True)
    harness = await start_harness(serve, http, settings)

    assert await harness.graphql(QUERY) == OK
    body = await harness.graphql(QUERY, headers={"Authorization": "Bearer sgt_made_up"}, status=401)
    assert message(body).startswith("The bearer token is not valid")
