"""Signing in to ``/admin``: admins only, a 15-minute HttpOnly SameSite=Strict cookie, CSRF
on every form that changes state, expiry and sign-out back to the sign-in page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from schoolgraph.dashboard.layout import CONTENT_SECURITY_POLICY
from tests.accounts.harness import ApiUser, Harness, WallClock
from tests.dashboard.site import Dashboard

PAGES = [
    "/admin",
    "/admin/logs",
    "/admin/logs?errors_only=on",
    "/admin/errors/some-request",
    "/admin/users",
    "/admin/users/SG0001",
    "/admin/endpoints",
    "/admin/endpoint?name=query+Query.service",
]


def _query(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_sends_a_visitor_without_a_session_to_sign_in(
    dashboard: Dashboard, path: str
) -> None:
    answer = await dashboard.get(path)

    assert answer.status == 303
    assert answer.location.startswith("/admin/sign-in?")
    assert _query(answer.location)["reason"] == ["required"]
    if path != "/admin":
        assert _query(answer.location)["next"] == [path]


async def test_an_admin_signs_in_with_key_and_secret_and_gets_a_strict_cookie(
    dashboard: Dashboard, admin: ApiUser
) -> None:
    shown = await dashboard.get("/admin/sign-in")
    assert shown.status == 200
    assert "Sign in with an administrator's key and secret" in shown.page.text
    assert {"csrf", "next"} <= shown.page.hidden_inputs.keys()

    answer = await dashboard.sign_in(admin)

    assert answer.status == 303 and answer.location == "/admin"
    cookie = next(
        header
        for header in answer.headers.getall("Set-Cookie")
        if header.startswith("schoolgraph_admin=")
    )
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "max-age", "path", "samesite"} <= attributes
    assert "SameSite=Strict" in cookie and "Max-Age=900" in cookie and "Path=/admin" in cookie
    landing = await dashboard.get("/admin")
    assert landing.status == 200
    assert "Signed in as School Office" in landing.page.text


async def test_after_sign_in_the_admin_lands_where_they_were_going_and_never_off_site(
    dashboard: Dashboard, admin: ApiUser
) -> None:
    going = await dashboard.sign_in(admin, next_path="/admin/logs?errors_only=on")
    assert going.location == "/admin/logs?errors_only=on"

    for target in ("//evil.example/admin", "https://evil.example/", "/graphql"):
        dashboard.browser.cookie_jar.clear()
        answer = await dashboard.sign_in(admin, next_path=target)
        assert answer.location == "/admin", target


async def test_a_sign_in_without_the_form_token_is_refused(
    dashboard: Dashboard, admin: ApiUser
) -> None:
    # A cross-site form post carries neither the form cookie nor its token.
    answer = await dashboard.post("/admin/sign-in", {"key": admin.key, "secret": admin.secret})

    assert answer.status == 403
    assert "The sign-in form had expired or came from another page" in answer.page.text
    assert dashboard.session_token() is None


async def test_wrong_credentials_say_so_and_sign_nobody_in(
    dashboard: Dashboard, admin: ApiUser
) -> None:
    wrong = ApiUser(admin.code, admin.key, "sgs_wrong", admin.token)

    answer = await dashboard.sign_in(wrong)

    assert answer.status == 401
    assert "The key and secret are not valid." in answer.page.text
    assert dashboard.session_token() is None


async def test_an_account_without_the_admin_flag_is_refused_with_a_clear_page(
    dashboard: Dashboard, partner: ApiUser
) -> None:
    answer = await dashboard.sign_in(partner)

    assert answer.status == 403
    assert answer.page.title.startswith("Not an administrator")
    assert f"The account {partner.code} (Acme Timetables) is not an administrator" in (
        answer.page.text
    )
    assert dashboard.session_token() is None


async def test_an_admin_who_loses_the_flag_is_refused_on_the_next_page(
    harness: Harness, dashboard: Dashboard, admin: ApiUser
) -> None:
    await dashboard.sign_in(admin)
    await harness.service.update_account("test:admin", admin.code, admin=False)

    answer = await dashboard.get("/admin")

    assert answer.status == 403
    assert "is not an administrator" in answer.page.text


async def test_an_expired_session_goes_back_to_sign_in_with_a_message(
    dashboard: Dashboard, admin: ApiUser, clock: WallClock
) -> None:
    await dashboard.sign_in(admin)
    clock.advance(minutes=15, seconds=1)

    answer = await dashboard.get("/admin/users")

    assert answer.status == 303
    assert _query(answer.location) == {"reason": ["expired"], "next": ["/admin/users"]}
    shown = await dashboard.get(answer.location)
    assert "Your session has expired (a session lasts 15 minutes); sign in again." in (
        shown.page.text
    )


async def test_signing_out_ends_the_token_itself(
    harness: Harness, dashboard: Dashboard, admin: ApiUser
) -> None:
    await dashboard.sign_in(admin)
    token = dashboard.session_token()
    assert token is not None
    csrf = (await dashboard.get("/admin")).page.hidden_inputs["csrf"]

    answer = await dashboard.post("/admin/sign-out", {"csrf": csrf})

    assert answer.status == 303
    assert _query(answer.location) == {"reason": ["signed-out"]}
    assert dashboard.session_token() is None
    shown = await dashboard.get(answer.location)
    assert "You have signed out." in shown.page.text
    # The token is gone, not just forgotten: replaying it gets the sign-in page, and the
    # graph refuses it too.
    dashboard.browser.cookie_jar.update_cookies({"schoolgraph_admin": token}, dashboard.url)
    replayed = await dashboard.get("/admin")
    assert _query(replayed.location)["reason"] == ["invalid"]
    body = await harness.graphql(
        "{ service { name } }", headers={"Authorization": f"Bearer {token}"}, status=401
    )
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_sign_out_without_the_session_csrf_token_changes_nothing(
    dashboard: Dashboard, admin: ApiUser
) -> None:
    await dashboard.sign_in(admin)

    answer = await dashboard.post("/admin/sign-out", {"csrf": "forged"})

    assert answer.status == 403
    assert (await dashboard.get("/admin")).status == 200


async def test_pages_carry_a_strict_content_security_policy(
    dashboard: Dashboard, admin: ApiUser
) -> None:
    await dashboard.sign_in(admin)

    for path in ("/admin/sign-in", "/admin", "/admin/logs"):
        answer = await dashboard.get(path)
        policy = answer.headers["Content-Security-Policy"]
        assert policy == CONTENT_SECURITY_POLICY
        assert "default-src 'none'" in policy and "unsafe-inline" not in policy
        assert "script-src" not in policy  # nothing falls back from default-src 'none'
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["Cache-Control"] == "no-store"
        assert "<script" not in answer.text.lower()
