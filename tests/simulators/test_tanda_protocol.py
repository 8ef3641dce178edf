"""Tanda simulator: rate limits, ETags, error envelopes, faults, stats, determinism
(tanda.md §3.1, §3.2, §3.7) over real HTTP."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from schoolgraph.simulators.control import WorldHolder
from schoolgraph.simulators.dataset import generate_world

from .conftest import TODAY, ServeApp
from .test_tanda import admin_token, authorize_code, bearer, exchange, make_app

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


async def test_every_response_carries_rate_limit_headers_and_an_etag(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, holder.world)
        for path, headers in (
            ("/api/v2/users/me", bearer(token)),
            ("/api/v2/users/me", {}),
            ("/api/v2/nowhere", bearer(token)),
        ):
            async with http.get(f"{base}{path}", headers=headers) as r:
                assert all(h in r.headers for h in RATE_HEADERS), path
                assert r.headers["X-RateLimit-Limit"] == "200"
                assert r.headers["ETag"].startswith('"')
                assert r.content_type == "application/json"


async def test_remaining_counts_down_and_reset_is_a_minute_ahead(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, control = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, holder.world)
        seen = []
        for _ in range(3):
            async with http.get(f"{base}/api/v2/users/me", headers=bearer(token)) as r:
                seen.append(
                    (int(r.headers["X-RateLimit-Remaining"]), int(r.headers["X-RateLimit-Reset"]))
                )
    assert [s[0] for s in seen] == [199, 198, 197]
    now = control.clock().timestamp()
    assert all(now < reset <= now + 60 for _, reset in seen)


async def test_429_has_the_documented_body_and_headers_and_the_window_resets(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, control = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        async with http.post(f"{base}/__sim/faults", json={"rate_limit_per_minute": 3}):
            pass
        token = await admin_token(http, base, holder.world)
        statuses = []
        for _ in range(4):
            async with http.get(f"{base}/api/v2/users/me", headers=bearer(token)) as r:
                statuses.append(r.status)
                last_headers, last_body = r.headers, await r.json()
        assert statuses == [200, 200, 200, 429]
        assert last_body == {"error": "API rate limit exceeded!"}
        assert last_headers["X-RateLimit-Limit"] == "3"
        assert last_headers["X-RateLimit-Remaining"] == "0"
        assert last_headers["X-RateLimit-RateLimited"] == "true"
        control.advance(61)
        async with http.get(f"{base}/api/v2/users/me", headers=bearer(token)) as r:
            assert r.status == 200
            assert "X-RateLimit-RateLimited" not in r.headers
        async with http.get(f"{base}/__sim/stats") as r:
            stats = await r.json()
    assert stats["rate_limited"] == 1


async def test_password_tokens_of_one_user_share_a_bucket_and_oauth_gets_its_own(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        async with http.post(f"{base}/__sim/faults", json={"rate_limit_per_minute": 2}):
            pass
        first = await admin_token(http, base, holder.world)
        second = await admin_token(http, base, holder.world, scope="me")
        code = await authorize_code(http, base, holder.world)
        _, oauth = await exchange(
            http, base, holder.world, code=code, grant_type="authorization_code"
        )
        statuses = []
        for token in (first, second, first):
            async with http.get(f"{base}/api/v2/users/me", headers=bearer(token)) as r:
                statuses.append(r.status)
        async with http.get(f"{base}/api/v2/users/me", headers=bearer(oauth["access_token"])) as r:
            statuses.append(r.status)
    # tanda.md §3.1: token_1 + token_2 share one bucket; the OAuth app is a new requester.
    assert statuses == [200, 200, 429, 200]


async def test_if_none_match_round_trip_gives_304_until_the_data_changes(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    user_id = sorted(holder.world.tanda_users)[3]
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, holder.world)
        url = f"{base}/api/v2/users/{user_id}"
        async with http.get(url, headers=bearer(token)) as r:
            tag, before = r.headers["ETag"], await r.json()
        for sent in (tag, tag.strip('"'), f"W/{tag}"):
            async with http.get(url, headers={**bearer(token), "If-None-Match": sent}) as r:
                assert r.status == 304
                assert await r.read() == b""
                assert r.headers["ETag"] == tag
                assert "X-RateLimit-Remaining" in r.headers
        async with http.post(
            f"{base}/__sim/mutate",
            json={"table": "tanda_users", "action": "update", "ids": [user_id]},
        ) as r:
            assert r.status == 200
        async with http.get(url, headers={**bearer(token), "If-None-Match": tag}) as r:
            assert r.status == 200
            after = await r.json()
            assert r.headers["ETag"] != tag
        async with http.get(f"{base}/__sim/stats") as r:
            stats = await r.json()
    assert after["phone"] != before["phone"]
    assert after["updated_at"] >= before["updated_at"]
    assert stats["not_modified"] == 3


async def test_unknown_routes_and_methods_answer_in_the_error_shape(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, holder.world)
        async with http.get(f"{base}/api/v2/unicorns", headers=bearer(token)) as r:
            assert r.status == 404
            assert (await r.json())["error"].startswith("No route matches")
        async with http.get(f"{base}/robots.txt") as r:
            assert r.status == 404
            assert set(await r.json()) == {"error"}
        async with http.patch(f"{base}/api/v2/users/me", headers=bearer(token)) as r:
            assert r.status == 405
            assert set(await r.json()) == {"error"}
        async with http.get(f"{base}/api/v2/users/999", headers=bearer(token)) as r:
            assert r.status == 404
            assert await r.json() == {"error": "No known user with that id!"}
        async with http.post(
            f"{base}/api/v2/schedules", data=b"{not json", headers=bearer(token)
        ) as r:
            assert r.status == 400
            assert set(await r.json()) == {"error"}


async def test_error_rate_fault_answers_in_the_error_shape(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, holder.world)
        async with http.post(f"{base}/__sim/faults", json={"error_rate": 1.0, "error_status": 502}):
            pass
        async with http.get(f"{base}/api/v2/users/me", headers=bearer(token)) as r:
            assert r.status == 502
            assert await r.json() == {"error": "Injected fault."}
            assert "ETag" in r.headers


async def test_latency_fault_slows_responses(holder: WorldHolder, serve_app: ServeApp) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, holder.world)
        async with http.post(f"{base}/__sim/faults", json={"latency_ms": 150}):
            pass
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with http.get(f"{base}/api/v2/users/me", headers=bearer(token)) as r:
            assert r.status == 200
        assert loop.time() - started >= 0.14


async def test_hang_fault_times_out_the_client(holder: WorldHolder, serve_app: ServeApp) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, holder.world)
        async with http.post(f"{base}/__sim/faults", json={"hang": True}):
            pass
        with pytest.raises(TimeoutError):
            async with http.get(
                f"{base}/api/v2/users/me",
                headers=bearer(token),
                timeout=aiohttp.ClientTimeout(total=0.3),
            ):
                pass
        async with http.post(f"{base}/__sim/faults", json={"clear": True}):
            pass
        async with http.get(f"{base}/api/v2/users/me", headers=bearer(token)) as r:
            assert r.status == 200


async def test_stats_count_requests_by_route_template(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    ids = sorted(holder.world.tanda_users)[:3]
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, holder.world)
        for user_id in ids:
            async with http.get(f"{base}/api/v2/users/{user_id}", headers=bearer(token)):
                pass
        async with http.get(f"{base}/__sim/stats") as r:
            stats = await r.json()
    routes = {(s["method"], s["route"]): s["count"] for s in stats["routes"]}
    assert routes[("GET", "/api/v2/users/{id}")] == 3
    assert routes[("POST", "/api/oauth/token")] == 1


async def test_same_world_gives_the_same_bytes(serve_app: ServeApp) -> None:
    bodies = []
    for _ in range(2):
        holder = WorldHolder(generate_world(7, "small", TODAY))
        app, _ = make_app(holder)
        async with serve_app(app) as base, aiohttp.ClientSession() as http:
            token = await admin_token(http, base, holder.world)
            got = []
            for path in (
                "/api/v2/users",
                "/api/v2/departments",
                "/api/v2/locations",
                f"/api/v2/rosters/on/{TODAY}",
                "/api/v2/shifts?from=2026-11-09&to=2026-11-22",
                "/api/v2/leave?from=2026-10-01&to=2026-12-31",
            ):
                async with http.get(f"{base}{path}", headers=bearer(token)) as r:
                    assert r.status == 200, path
                    got.append((await r.read(), r.headers["ETag"]))
            bodies.append(got)
    assert bodies[0] == bodies[1]


async def test_responses_are_valid_json_without_mis_staff_ids(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, holder.world)
        async with http.get(f"{base}/api/v2/users?show_inactive=true", headers=bearer(token)) as r:
            raw = await r.read()
    users = json.loads(raw)
    assert len(users) == len(holder.world.tanda_users)
    assert b"mis_staff" not in raw
