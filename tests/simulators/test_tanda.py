"""Tanda simulator: authentication (tanda.md §2) over real HTTP, plus helpers the other
`test_tanda_*` modules share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp import web

from schoolgraph.simulators.control import SimControl, WorldHolder
from schoolgraph.simulators.dataset import TandaUser, World
from schoolgraph.simulators.tanda import (
    create_tanda_app,
    demo_credentials,
    error_response,
    user_password,
)

from .conftest import ServeApp

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # the small world's "today", at noon
ALL_SCOPES = "me user roster timesheet department leave cost"


def make_app(holder: WorldHolder, **kwargs: Any) -> tuple[web.Application, SimControl]:
    """The simulator with its clock pinned to noon on the world's `today`."""
    control = SimControl("tanda", holder, error_response=error_response)
    control.advance((NOON - control.clock()).total_seconds())
    return create_tanda_app(holder, control=control, **kwargs), control


def bearer(token: str, scheme: str = "bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {token}"}


async def password_token(
    http: aiohttp.ClientSession, base: str, email: str, password: str, scope: str = ALL_SCOPES
) -> str:
    form = {"username": email, "password": password, "scope": scope, "grant_type": "password"}
    async with http.post(f"{base}/api/oauth/token", data=form) as r:
        assert r.status == 200, await r.text()
        token: str = (await r.json())["access_token"]
        return token


async def admin_token(
    http: aiohttp.ClientSession, base: str, world: World, scope: str = ALL_SCOPES
) -> str:
    c = world.credentials
    return await password_token(http, base, c.tanda_admin_email, c.tanda_admin_password, scope)


def employee(world: World) -> TandaUser:
    """An active worker who manages no team and has an email."""
    return next(
        u
        for _, u in sorted(world.tanda_users.items())
        if u.active
        and u.email
        and not u.managed_department_ids
        and not u.is_admin
        and u.department_ids
    )


def manager(world: World) -> TandaUser:
    """A team manager who is not an admin."""
    return next(
        u
        for _, u in sorted(world.tanda_users.items())
        if u.managed_department_ids and not u.is_admin and u.email
    )


async def user_token(
    http: aiohttp.ClientSession, base: str, world: World, user: TandaUser, scope: str = ALL_SCOPES
) -> str:
    assert user.email is not None
    return await password_token(http, base, user.email, user_password(world, user), scope)


async def authorize_code(
    http: aiohttp.ClientSession,
    base: str,
    world: World,
    scope: str = "me roster",
    state: str = "xyz",
) -> str:
    """Walk the authorization-code browser step (§2.1) and return the code."""
    c = world.credentials
    form = {
        "client_id": c.tanda_client_id,
        "redirect_uri": c.tanda_redirect_uri,
        "scope": scope,
        "response_type": "code",
        "state": state,
        "email": c.tanda_admin_email,
        "password": c.tanda_admin_password,
        "decision": "allow",
    }
    async with http.post(f"{base}/api/oauth/authorize", data=form, allow_redirects=False) as r:
        assert r.status == 302, await r.text()
        location = urlsplit(r.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == c.tanda_redirect_uri
    query = parse_qs(location.query)
    assert query["state"] == [state]
    return query["code"][0]


async def exchange(
    http: aiohttp.ClientSession, base: str, world: World, **fields: str
) -> tuple[int, dict[str, Any]]:
    c = world.credentials
    form = {
        "client_id": c.tanda_client_id,
        "client_secret": c.tanda_client_secret,
        "redirect_uri": c.tanda_redirect_uri,
        **fields,
    }
    data = aiohttp.FormData(default_to_multipart=True)  # multipart, as the doc's `curl -F`
    for key, value in form.items():
        data.add_field(key, value)
    async with http.post(f"{base}/api/oauth/token", data=data) as r:
        assert r.request_info.headers["Content-Type"].startswith("multipart/form-data")
        return r.status, await r.json()


# --------------------------------------------------------------------------- password grant


async def test_password_grant_gives_a_never_expiring_bearer_token(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    c = holder.world.credentials
    form = {
        "username": c.tanda_admin_email.upper(),
        "password": c.tanda_admin_password,
        "scope": "me user",
        "grant_type": "password",
    }
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        async with http.post(f"{base}/api/oauth/token", data=form) as r:
            assert r.status == 200
            body = await r.json()
        assert set(body) == {"access_token", "token_type", "scope", "created_at"}
        assert len(body["access_token"]) == 64
        assert body["token_type"] == "bearer" and body["scope"] == "me user"
        assert abs(body["created_at"] - NOON.timestamp()) < 60  # the simulator's clock
        async with http.post(f"{base}/__sim/clock", json={"advance_seconds": 10 * 365 * 86400}):
            pass
        async with http.get(f"{base}/api/v2/users/me", headers=bearer(body["access_token"])) as r:
            assert r.status == 200
            assert (await r.json())["email"] == c.tanda_admin_email


async def test_bearer_scheme_is_accepted_in_either_case(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, holder.world)
        for scheme in ("bearer", "Bearer", "BEARER"):
            async with http.get(f"{base}/api/v2/users/me", headers=bearer(token, scheme)) as r:
                assert r.status == 200


async def test_wrong_password_is_invalid_grant(holder: WorldHolder, serve_app: ServeApp) -> None:
    app, _ = make_app(holder)
    c = holder.world.credentials
    form = {
        "username": c.tanda_admin_email,
        "password": "not-it",
        "scope": "me",
        "grant_type": "password",
    }
    async with (
        serve_app(app) as base,
        aiohttp.ClientSession() as http,
        http.post(f"{base}/api/oauth/token", data=form) as r,
    ):
        assert r.status == 400
        assert await r.json() == {"error": "invalid_grant"}


async def test_unknown_scope_and_missing_grant_type_are_refused(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    c = holder.world.credentials
    base_form = {"username": c.tanda_admin_email, "password": c.tanda_admin_password}
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        async with http.post(
            f"{base}/api/oauth/token",
            data={**base_form, "scope": "me telepathy", "grant_type": "password"},
        ) as r:
            assert (r.status, await r.json()) == (400, {"error": "invalid_scope"})
        async with http.post(f"{base}/api/oauth/token", data=base_form) as r:
            assert (r.status, await r.json()) == (400, {"error": "invalid_request"})
        async with http.post(
            f"{base}/api/oauth/token", data={**base_form, "grant_type": "client_credentials"}
        ) as r:
            assert (r.status, await r.json()) == (400, {"error": "unsupported_grant_type"})


async def test_any_tanda_user_logs_in_with_the_derived_password(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    worker = employee(holder.world)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await user_token(http, base, holder.world, worker)
        async with http.get(f"{base}/api/v2/users/me", headers=bearer(token)) as r:
            me = await r.json()
    assert me["id"] == worker.id
    assert me["permissions"] == ["employee"]
    assert me["user_ids"] == [worker.id]


async def test_an_inactive_user_cannot_log_in(holder: WorldHolder, serve_app: ServeApp) -> None:
    app, _ = make_app(holder)
    worker = employee(holder.world)
    holder.world.touch("tanda_users", worker, active=False)
    assert worker.email is not None
    form = {
        "username": worker.email,
        "password": user_password(holder.world, worker),
        "scope": "me",
        "grant_type": "password",
    }
    async with (
        serve_app(app) as base,
        aiohttp.ClientSession() as http,
        http.post(f"{base}/api/oauth/token", data=form) as r,
    ):
        assert r.status == 400


# --------------------------------------------------------------------------- using a token


async def test_missing_or_unknown_token_is_401_in_the_error_shape(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        async with http.get(f"{base}/api/v2/users/me") as r:
            assert r.status == 401
            assert set(await r.json()) == {"error"}
        async with http.get(f"{base}/api/v2/users/me", headers=bearer("0" * 64)) as r:
            assert r.status == 401
            assert isinstance((await r.json())["error"], str)
        async with http.get(f"{base}/api/v2/users/me", headers={"Authorization": "Basic abc"}) as r:
            assert r.status == 401


async def test_missing_scope_is_403(holder: WorldHolder, serve_app: ServeApp) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, holder.world, scope="me")
        async with http.get(f"{base}/api/v2/users", headers=bearer(token)) as r:
            assert r.status == 403
            assert "user" in (await r.json())["error"]
        async with http.get(f"{base}/api/v2/rosters/current", headers=bearer(token)) as r:
            assert r.status == 403
        user_only = await admin_token(http, base, holder.world, scope="user")
        async with http.get(f"{base}/api/v2/users?show_wages=true", headers=bearer(user_only)) as r:
            assert r.status == 403  # show_wages needs cost too (§2.6)
        async with http.get(f"{base}/api/v2/users/me", headers=bearer(user_only)) as r:
            assert r.status == 403  # /users/me needs `me`


async def test_wrong_organisation_or_profile_header_is_403(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, holder.world)
        async with http.get(
            f"{base}/api/v2/users/me", headers={**bearer(token), "X-Organisation-Id": "1"}
        ) as r:
            assert r.status == 200
        async with http.get(
            f"{base}/api/v2/users/me", headers={**bearer(token), "X-Organisation-Id": "99"}
        ) as r:
            assert r.status == 403
        async with http.get(
            f"{base}/api/v2/users/me", headers={**bearer(token), "X-User-Id": "123"}
        ) as r:
            assert r.status == 403


# --------------------------------------------------------------------------- authorization code


async def test_authorize_page_is_a_login_form(holder: WorldHolder, serve_app: ServeApp) -> None:
    app, _ = make_app(holder)
    c = holder.world.credentials
    query = {
        "client_id": c.tanda_client_id,
        "redirect_uri": c.tanda_redirect_uri,
        "scope": "me roster",
        "response_type": "code",
    }
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        async with http.get(f"{base}/api/oauth/authorize", params=query) as r:
            assert r.status == 200
            assert r.content_type == "text/html"
            assert 'name="password"' in await r.text()
        async with http.get(
            f"{base}/api/oauth/authorize", params={**query, "client_id": "nope"}
        ) as r:
            assert r.status == 400
            assert "client_id" in (await r.json())["error"]
        async with http.get(
            f"{base}/api/oauth/authorize",
            params={**query, "scope": "me bogus"},
            allow_redirects=False,
        ) as r:
            assert r.status == 302
            assert "error=invalid_scope" in r.headers["Location"]


async def test_authorization_code_grant_expires_in_7200_and_works(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        code = await authorize_code(http, base, holder.world)
        status, body = await exchange(
            http, base, holder.world, code=code, grant_type="authorization_code"
        )
        assert status == 200
        assert body["expires_in"] == 7200 and body["token_type"] == "bearer"
        assert body["scope"] == "me roster" and len(body["refresh_token"]) == 64
        async with http.get(
            f"{base}/api/v2/users/me", headers=bearer(body["access_token"], "Bearer")
        ) as r:
            assert r.status == 200
        # The code is single use.
        status, again = await exchange(
            http, base, holder.world, code=code, grant_type="authorization_code"
        )
        assert (status, again) == (400, {"error": "invalid_grant"})


async def test_bad_client_secret_is_invalid_client(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        code = await authorize_code(http, base, holder.world)
        status, body = await exchange(
            http,
            base,
            holder.world,
            code=code,
            grant_type="authorization_code",
            client_secret="nope",
        )
        assert (status, body) == (401, {"error": "invalid_client"})


async def test_authorize_with_a_wrong_password_shows_the_form_again(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    c = holder.world.credentials
    form = {
        "client_id": c.tanda_client_id,
        "redirect_uri": c.tanda_redirect_uri,
        "scope": "me",
        "response_type": "code",
        "email": c.tanda_admin_email,
        "password": "wrong",
    }
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        async with http.post(f"{base}/api/oauth/authorize", data=form, allow_redirects=False) as r:
            assert r.status == 401
            assert "Wrong email or password" in await r.text()
        async with http.post(
            f"{base}/api/oauth/authorize", data={**form, "decision": "deny"}, allow_redirects=False
        ) as r:
            assert r.status == 302
            assert "error=access_denied" in r.headers["Location"]


async def test_oauth_token_expires_after_two_hours(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        code = await authorize_code(http, base, holder.world)
        _, body = await exchange(
            http, base, holder.world, code=code, grant_type="authorization_code"
        )
        async with http.post(f"{base}/__sim/clock", json={"advance_seconds": 7199}):
            pass
        async with http.get(f"{base}/api/v2/users/me", headers=bearer(body["access_token"])) as r:
            assert r.status == 200
        async with http.post(f"{base}/__sim/clock", json={"advance_seconds": 2}):
            pass
        async with http.get(f"{base}/api/v2/users/me", headers=bearer(body["access_token"])) as r:
            assert r.status == 401
            assert "expired" in (await r.json())["error"]


async def test_token_lifetime_fault_shortens_oauth_tokens(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, control = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        async with http.post(f"{base}/__sim/faults", json={"token_lifetime_seconds": 60}):
            pass
        code = await authorize_code(http, base, holder.world)
        _, body = await exchange(
            http, base, holder.world, code=code, grant_type="authorization_code"
        )
        assert body["expires_in"] == 60
        control.advance(61)
        async with http.get(f"{base}/api/v2/users/me", headers=bearer(body["access_token"])) as r:
            assert r.status == 401


async def test_refresh_token_rotates_and_the_old_one_stops_working(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, control = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        code = await authorize_code(http, base, holder.world)
        _, first = await exchange(
            http, base, holder.world, code=code, grant_type="authorization_code"
        )
        control.advance(7300)  # the access token has expired; refresh it
        status, second = await exchange(
            http,
            base,
            holder.world,
            refresh_token=first["refresh_token"],
            grant_type="refresh_token",
        )
        assert status == 200 and second["expires_in"] == 7200
        assert second["refresh_token"] != first["refresh_token"]
        assert second["access_token"] != first["access_token"]
        async with http.get(f"{base}/api/v2/users/me", headers=bearer(second["access_token"])) as r:
            assert r.status == 200
        status, reused = await exchange(
            http,
            base,
            holder.world,
            refresh_token=first["refresh_token"],
            grant_type="refresh_token",
        )
        assert (status, reused) == (400, {"error": "invalid_grant"})
        status, third = await exchange(
            http,
            base,
            holder.world,
            refresh_token=second["refresh_token"],
            grant_type="refresh_token",
        )
        assert status == 200 and "access_token" in third


async def test_reset_forgets_issued_tokens(holder: WorldHolder, serve_app: ServeApp) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        token = await admin_token(http, base, holder.world)
        async with http.post(f"{base}/__sim/reset") as r:
            assert r.status == 200
        async with http.get(f"{base}/api/v2/users/me", headers=bearer(token)) as r:
            assert r.status == 401


async def test_demo_credentials_log_in_as_admin_manager_and_employee(
    holder: WorldHolder, serve_app: ServeApp
) -> None:
    app, _ = make_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        demo = demo_credentials(holder.world, base)
        assert demo["token_url"] == f"{base}/api/oauth/token"
        permissions = {}
        for role in ("admin", "manager", "employee"):
            login = demo[role]
            token = await password_token(http, base, login["email"], login["password"], "me")
            async with http.get(f"{demo['api_base']}/users/me", headers=bearer(token)) as r:
                permissions[role] = (await r.json())["permissions"]
    assert permissions == {
        "admin": ["organisation_admin", "manager", "employee"],
        "manager": ["manager", "employee"],
        "employee": ["employee"],
    }
