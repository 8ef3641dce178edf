"""TASS authentication over real HTTP: the 2026 bearer lifecycle and the legacy AES token."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote

import pytest

from schoolgraph.errors import ConfigError, UpstreamAuthError
from schoolgraph.simulators.tass import TassConfig as SimConfig
from schoolgraph.simulators.tass import decrypt_token
from schoolgraph.upstreams.tass import (
    TassApiKey,
    TassClient,
    TassCompanyConfig,
    TassLegacyApp,
    encrypt_token,
)
from tests.conftest import ManualClock

from .conftest import MakeClient, Sim

STUDENTS = "/api/{cmpy_code}/students"
AUTH = "/api/users"
LEGACY = "/tassweb/api/"
DOC_KEY = "+TG1ZTqy0hTu5h0KMhCP0A=="  # tass.md §A.4, the README's Token Key
DEMO_KEY = "x8FWQUedjyiUGlTf5appPQ=="  # tass.md §A.4, the sample scripts' key


# --------------------------------------------------------------------------- legacy token


def test_encryption_matches_the_published_test_vector() -> None:
    token = encrypt_token('{"include_label":"true"}', DOC_KEY)
    assert token == "96yfUt3jgAIYx0o7i3tjprnBpotNO3Md/yv+eToJ8qo="
    assert quote(token, safe="") == "96yfUt3jgAIYx0o7i3tjprnBpotNO3Md%2Fyv%2BeToJ8qo%3D"


@pytest.mark.parametrize(
    ("key", "plaintext", "expected"),
    [
        (DOC_KEY, '{"currentstatus":"current"}', "Kqg395mlgg4EefbhXrXUItsUIoOjpHSLMTJqo3oV670="),
        (DEMO_KEY, '{"include_label":"true"}', "Yztfdgc/5dkTTk7EtFZNTLiqtCzMBUgAxgpUjPfCMmU="),
        (DEMO_KEY, '{"currentstatus":"current"}', "Re0cLiAf11wJHuGfasTA9prZQAIhKfn9T1x06zif718="),
    ],
    ids=["doc-key-currentstatus", "demo-key-include-label", "demo-key-currentstatus"],
)
def test_encryption_matches_the_verified_extra_vectors(
    key: str, plaintext: str, expected: str
) -> None:
    assert encrypt_token(plaintext, key) == expected


def test_the_simulator_decrypts_what_the_client_encrypts() -> None:
    plaintext = '{"code":"0009130","currentstatus":"current","note":"Andréa"}'
    assert decrypt_token(encrypt_token(plaintext, DEMO_KEY), DEMO_KEY) == plaintext


@pytest.mark.parametrize(
    "bad_key", ["not base64!!", "AAAA", "x8FWQUedjyiUGlTf5appPQx8FWQUedjyiUGlTf5appPQ=="]
)
def test_a_bad_token_key_is_a_config_error_that_hides_the_key(bad_key: str) -> None:
    with pytest.raises(ConfigError) as info:
        TassLegacyApp("MYAPP", bad_key)
    assert bad_key not in str(info.value)
    assert "MYAPP" in str(info.value)


def test_credentials_keep_secrets_out_of_reprs(sim: Sim) -> None:
    config = sim.config()
    text = repr(config) + repr(sim.demo_key()) + repr(sim.demo_app())
    creds = sim.world.credentials
    for secret in (creds.tass_client_key, creds.tass_client_secret, creds.tass_legacy_token_key):
        assert secret not in text


async def test_legacy_reads_interoperate_with_the_simulator_by_post_and_get(
    sim: Sim, make_client: MakeClient
) -> None:
    by_post = await make_client("legacy")
    by_get = await make_client("legacy", legacy_http_method="GET")
    assert await by_post.campuses("01") == await by_get.campuses("01")
    assert await sim.calls(LEGACY, "POST") == 1
    assert await sim.calls(LEGACY, "GET") == 1


async def test_a_wrong_token_key_is_an_auth_error_naming_the_app(
    sim: Sim, make_client: MakeClient
) -> None:
    client = await make_client("legacy", legacy_app=TassLegacyApp("SCHOOLGRAPH", DEMO_KEY))
    with pytest.raises(UpstreamAuthError) as info:
        await client.campuses("01")
    assert "SCHOOLGRAPH" in info.value.message
    assert "getCampuses" in info.value.message
    assert DEMO_KEY not in info.value.message


async def test_a_method_the_app_may_not_call_is_an_auth_error_naming_the_method(
    sim: Sim, make_client: MakeClient
) -> None:
    await sim.post(
        "/sim/admin/legacy-apps",
        {
            "appcode": "NARROW",
            "token_key": DEMO_KEY,
            "companies": ["01"],
            "security_role": ["Student Records > Students > View"],
            "methods": ["getStudentsDetails"],
        },
    )
    client = await make_client("legacy", legacy_app=TassLegacyApp("NARROW", DEMO_KEY))
    with pytest.raises(UpstreamAuthError) as info:
        await client.teachers("01")
    assert "getTeachers" in info.value.message and "NARROW" in info.value.message


ERROR_PAGES = pytest.mark.parametrize(
    "sim_config",
    [
        pytest.param(SimConfig(), id="iis-page-then-json"),
        pytest.param(SimConfig(legacy_error_pages=False), id="json-alone"),
    ],
)


@ERROR_PAGES
async def test_a_refused_legacy_app_is_an_auth_error_behind_the_iis_page(
    make_client: MakeClient,
) -> None:
    # tass.md §A.6: a 401 is IIS's HTML page, then the JSON envelope; the status decides.
    client = await make_client("legacy", legacy_app=TassLegacyApp("NOPE", DEMO_KEY))
    with pytest.raises(UpstreamAuthError) as info:
        await client.campuses("01")
    assert info.value.code == "UPSTREAM_AUTH_FAILED"
    assert "refused legacy app NOPE" in info.value.message
    assert "(HTTP 401: Unauthorized)" in info.value.message  # the envelope's __msg


@ERROR_PAGES
async def test_an_unlicensed_legacy_method_is_an_auth_error_behind_the_iis_page(
    sim: Sim, make_client: MakeClient
) -> None:
    await sim.post(
        "/sim/admin/legacy-apps",
        {"appcode": "NARROW", "token_key": DEMO_KEY, "companies": ["01"], "methods": []},
    )
    client = await make_client("legacy", legacy_app=TassLegacyApp("NARROW", DEMO_KEY, "2"))
    with pytest.raises(UpstreamAuthError) as info:
        await client.campuses("01")
    assert info.value.code == "UPSTREAM_AUTH_FAILED"
    assert "may not call getCampuses" in info.value.message
    assert "(HTTP 501: Not Implemented)" in info.value.message


# --------------------------------------------------------------------------- 2026 bearer


async def test_token_is_renewed_before_the_15_minute_expiry_without_a_failed_call(
    sim: Sim, client: TassClient, clock: ManualClock
) -> None:
    await client.students("01")
    for _ in range(5):  # 25 minutes in 5-minute steps, on both clocks
        await sim.advance(300)
        clock.advance(300)
        await client.students("01")  # the cache TTL (300 s) has passed: a real request
    stats = await sim.stats()
    assert stats["by_status"].get("401", 0) == 0
    assert await sim.calls(AUTH, "POST") == 2  # the first, and one renewal before minute 15
    auth = client.auth("01")
    assert auth is not None and auth.fetches == 2


async def test_a_401_triggers_exactly_one_reauthentication_and_retry(
    sim: Sim, client: TassClient, clock: ManualClock
) -> None:
    first = await client.students("01")
    await sim.advance(16 * 60)  # only the server's clock: our token looks valid to us
    clock.advance(301)
    again = await client.students("01")
    assert again == first
    stats = await sim.stats()
    assert stats["by_status"]["401"] == 1
    assert await sim.calls(AUTH, "POST") == 2


async def test_a_burst_of_reads_shares_one_authentication(sim: Sim, client: TassClient) -> None:
    results = await asyncio.gather(*(client.students("01") for _ in range(20)))
    assert all(r is results[0] for r in results)
    assert await sim.calls(AUTH, "POST") == 1
    assert await sim.calls(STUDENTS) == 1


async def test_a_deleted_key_fails_after_exactly_one_reauthentication(
    sim: Sim, make_client: MakeClient, clock: ManualClock
) -> None:
    user, key = await sim.new_api_user()
    client = await make_client(api_key=key)
    await client.campuses("01")
    status, _ = await sim.request("DELETE", f"/sim/admin/api-users/{user}/key")
    assert status in (200, 204)
    with pytest.raises(UpstreamAuthError) as info:
        await client.year_groups("01")
    assert await sim.calls(AUTH, "POST") == 2  # the first token, one failed renewal
    assert key.client_key not in info.value.message
    assert key.client_secret not in info.value.message
    assert "refused the API key key-" in info.value.message


async def test_a_refused_key_is_not_asked_again_during_the_backoff(
    sim: Sim, make_client: MakeClient
) -> None:
    client = await make_client(
        api_key=TassApiKey("not-a-key", "not-a-secret"), auth_failure_backoff=30.0
    )
    for read in (client.campuses, client.houses, client.students):
        with pytest.raises(UpstreamAuthError):
            await read("01")
    assert await sim.calls(AUTH, "POST") == 1


async def test_company_names_come_from_the_authenticate_answer(client: TassClient) -> None:
    companies = await client.companies()
    assert [c.code for c in companies] == ["01"]
    assert companies[0].name == "Curlew Creek College"


async def test_companies_can_use_different_apis_and_keys(sim: Sim, make_client: MakeClient) -> None:
    _, key = await sim.new_api_user(companies=("02",))
    config = sim.config(
        companies={
            "01": TassCompanyConfig(api="legacy"),
            "02": TassCompanyConfig(api="2026", api_key=key, name="Foundation"),
        }
    )
    client = await make_client(config=config)
    assert client.api_of("01") == "legacy" and client.api_of("02") == "2026"
    assert len(await client.students("01")) == 48
    assert await client.students("02") == ()
    assert await client.readiness() == {"01": "ok", "02": "ok"}


def test_a_2026_company_without_a_key_is_a_config_error(sim: Sim) -> None:
    with pytest.raises(ConfigError, match="'01' uses the 2026 API but no API key"):
        sim.config(api_key=None)


# --------------------------------------------------------------------------- secrets


async def test_no_secret_appears_in_any_log_line_or_error_message(
    sim: Sim, make_client: MakeClient, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    creds = sim.world.credentials
    errors: list[str] = []
    client = await make_client()
    legacy = await make_client("legacy")
    await client.students("01")
    await legacy.students("01")
    await sim.advance(16 * 60)
    clock.advance(301)
    await client.students("01")  # a 401, a renewal and a retry
    user, key = await sim.new_api_user()
    narrow = await make_client(api_key=key)
    await narrow.campuses("01")
    await sim.request("DELETE", f"/sim/admin/api-users/{user}/key")
    wrong = await make_client(api_key=TassApiKey(creds.tass_client_key, "wrong-secret-123"))
    bad_app = await make_client("legacy", legacy_app=TassLegacyApp("SCHOOLGRAPH", DEMO_KEY))
    for failing in (
        narrow.year_groups("01"),
        narrow.employees("01"),
        wrong.campuses("01"),
        bad_app.campuses("01"),
    ):
        with pytest.raises(UpstreamAuthError) as info:
            await failing
        errors.append(info.value.message)
        errors.append(repr(info.value))
    tokens = {a.current for c in (client, narrow) if (a := c.auth("01")) and a.current}
    secrets = {
        creds.tass_client_key,
        creds.tass_client_secret,
        creds.tass_legacy_token_key,
        key.client_key,
        key.client_secret,
        DEMO_KEY,
        "wrong-secret-123",
        *tokens,
    }
    assert caplog.records, "the run should have logged something"
    text = caplog.text + "\n".join(errors)
    for secret in secrets:
        assert secret not in text
