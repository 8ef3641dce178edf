"""Every refusal of the dashboard (its sign-in, its sessions, its forms and its pages) is in the
audit log with a stable code and the message the person saw, never a secret, token or cookie."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from yarl import URL

from schoolgraph.audit.models import AuditRecord
from schoolgraph.audit.web import AUDIT
from schoolgraph.cli import main
from schoolgraph.dashboard.session import FORM_COOKIE, REASONS
from tests.accounts.harness import ADMIN, ApiUser, Harness, WallClock
from tests.dashboard.reading import Table
from tests.dashboard.site import Answer, Dashboard

NOT_VALID = "The key and secret are not valid."
FORM_EXPIRED = "The sign-in form had expired or came from another page; try again."
FORGED_SIGN_OUT = "The sign-out form came from another page; nothing changed."
UNREADABLE_FORM = "The form could not be read: its body is not a form in a known encoding."


@dataclass(frozen=True)
class Sent:
    answer: Answer
    record: AuditRecord


async def send(
    dashboard: Dashboard,
    path: str,
    request_id: str,
    *,
    form: Mapping[str, str] | None = None,
    body: bytes | None = None,
    content_type: str | None = None,
) -> Sent:
    """GET ``path`` (POST it when given a ``form`` or a raw ``body``) as the browser, tagged
    ``request_id``; the answer and the audit record of the request."""
    headers = {"X-Request-Id": request_id}
    if content_type is not None:
        headers["Content-Type"] = content_type
    url = dashboard.url.join(URL(path, encoded=True))
    if form is None and body is None:
        request = dashboard.browser.get(url, headers=headers, allow_redirects=False)
    else:
        data = dict(form) if form is not None else body
        request = dashboard.browser.post(url, data=data, headers=headers, allow_redirects=False)
    async with request as response:
        answer = Answer(response.status, response.headers, await response.text())
    await dashboard.flush()
    record = await dashboard.harness.app[AUDIT].reader.record(request_id)
    assert record is not None, f"no audit record for {request_id}"
    return Sent(answer, record)


async def sign_in_form(dashboard: Dashboard, user: ApiUser, **fields: str) -> dict[str, str]:
    """The sign-in form as the page gives it, filled in with ``user``'s key and secret."""
    shown = await dashboard.get("/admin/sign-in")
    return {**shown.page.hidden_inputs, "key": user.key, "secret": user.secret, **fields}


def form_cookie(dashboard: Dashboard) -> str | None:
    return next((c.value for c in dashboard.browser.cookie_jar if c.key == FORM_COOKIE), None)


def assert_refused(
    record: AuditRecord, status: int, code: str, message: str, *, never: tuple[str | None, ...]
) -> None:
    assert record.status == status
    assert record.error_codes == (code,)
    assert record.error_message == message
    # A redirect to sign in says why, but is how the dashboard asks for a session: no error.
    assert record.is_error == (status >= 400)
    assert record.stack is None
    for value in never:
        assert value, "a value that must stay out of the record is missing from the test"
        assert value not in repr(record)


async def test_a_non_admin_signing_in_is_recorded_as_forbidden_under_its_account(
    dashboard: Dashboard, partner: ApiUser
) -> None:
    form = await sign_in_form(dashboard, partner)

    sent = await send(dashboard, "/admin/sign-in", "req-not-admin", form=form)

    assert sent.answer.status == 403
    assert sent.answer.page.title.startswith("Not an administrator")
    message = (
        f"The account {partner.code} (Acme Timetables) is not an administrator, so it cannot "
        "open the dashboard."
    )
    assert message in sent.answer.page.text
    assert_refused(
        sent.record, 403, "FORBIDDEN", message, never=(partner.secret, form["csrf"], partner.token)
    )
    assert (sent.record.account_code, sent.record.endpoint) == (partner.code, "POST /admin/sign-in")


async def test_a_wrong_secret_is_recorded_as_unauthenticated_under_no_account(
    dashboard: Dashboard, admin: ApiUser
) -> None:
    form = await sign_in_form(dashboard, admin, secret="sgs_wrong-secret-value")

    sent = await send(dashboard, "/admin/sign-in", "req-wrong-secret", form=form)

    assert sent.answer.status == 401
    assert NOT_VALID in sent.answer.page.text
    assert_refused(
        sent.record,
        401,
        "UNAUTHENTICATED",
        NOT_VALID,
        never=("sgs_wrong-secret-value", admin.secret, form["csrf"]),
    )
    # As a refused POST /auth/token is: a key proves nobody until its secret does.
    assert sent.record.account_code is None


async def test_a_disabled_accounts_sign_in_is_recorded_with_why(
    harness: Harness, dashboard: Dashboard, admin: ApiUser
) -> None:
    await harness.service.disable_account(ADMIN, admin.code)
    form = await sign_in_form(dashboard, admin)

    sent = await send(dashboard, "/admin/sign-in", "req-disabled", form=form)

    message = f"The account {admin.code} is disabled; ask the school to enable it."
    assert sent.answer.status == 401 and message in sent.answer.page.text
    assert_refused(sent.record, 401, "UNAUTHENTICATED", message, never=(admin.secret, form["csrf"]))


@pytest.mark.parametrize("forgery", ["no form cookie", "wrong token", "no token"])
async def test_a_sign_in_without_its_form_token_is_recorded_as_forbidden(
    dashboard: Dashboard, admin: ApiUser, forgery: str
) -> None:
    form = await sign_in_form(dashboard, admin)
    cookie = form_cookie(dashboard)
    if forgery == "no form cookie":  # a cross-site post: the browser sends no cookie
        dashboard.browser.cookie_jar.clear()
    elif forgery == "wrong token":
        form["csrf"] = "forged-form-token"
    else:
        del form["csrf"]

    sent = await send(dashboard, "/admin/sign-in", "req-csrf", form=form)

    assert sent.answer.status == 403
    assert FORM_EXPIRED in sent.answer.page.text
    assert_refused(sent.record, 403, "FORBIDDEN", FORM_EXPIRED, never=(admin.secret, cookie))
    assert sent.record.account_code is None
    assert dashboard.session_token() is None


@pytest.mark.parametrize("blank", ["key", "secret"])
async def test_a_sign_in_without_key_or_secret_is_recorded_as_a_bad_request(
    dashboard: Dashboard, admin: ApiUser, blank: str
) -> None:
    form = await sign_in_form(dashboard, admin, **{blank: ""}, next="/admin/users")

    sent = await send(dashboard, "/admin/sign-in", "req-blank", form=form)

    message = "Enter the key and the secret."
    assert sent.answer.status == 400 and message in sent.answer.page.text
    assert_refused(sent.record, 400, "BAD_REQUEST", message, never=(form["csrf"],))
    assert sent.answer.page.hidden_inputs["next"] == "/admin/users"  # kept, as on other refusals


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"key=k&secret=s"),
        ("multipart/form-data; boundary=xyz", b"not a multipart body"),
        ("application/x-www-form-urlencoded", b"csrf=%ff%fe&secret=\xff"),
        ("application/x-www-form-urlencoded; charset=no-such-charset", b"secret=s"),
    ],
    ids=["no-boundary", "bad-multipart", "not-utf-8", "unknown-charset"],
)
@pytest.mark.parametrize("path", ["/admin/sign-in", "/admin/sign-out"])
async def test_a_form_that_cannot_be_read_is_a_recorded_bad_request_not_an_internal_error(
    dashboard: Dashboard, admin: ApiUser, path: str, content_type: str, body: bytes
) -> None:
    await dashboard.sign_in(admin)

    sent = await send(dashboard, path, "req-bad-form", body=body, content_type=content_type)

    assert sent.answer.status == 400
    assert UNREADABLE_FORM in sent.answer.page.text
    assert_refused(
        sent.record, 400, "BAD_REQUEST", UNREADABLE_FORM, never=(dashboard.session_token(),)
    )
    assert (await dashboard.get("/admin")).status == 200  # nothing signed out


@pytest.mark.parametrize("reason", ["required", "expired", "invalid"])
async def test_a_page_without_a_live_session_is_recorded_as_unauthenticated_with_why(
    harness: Harness, dashboard: Dashboard, admin: ApiUser, clock: WallClock, reason: str
) -> None:
    tokens: tuple[str | None, ...] = ()
    if reason != "required":
        await dashboard.sign_in(admin)
        token = dashboard.session_token()
        assert token is not None
        tokens = (token,)
        if reason == "expired":
            clock.advance(minutes=15, seconds=1)
        else:
            await harness.service.revoke_token(token)

    sent = await send(dashboard, "/admin/users", "req-session")

    # The person is sent to sign in, where the page says why; the record says it too.
    assert sent.answer.status == 303
    assert sent.answer.location.startswith(f"/admin/sign-in?reason={reason}")
    assert REASONS[reason] in (await dashboard.get(sent.answer.location)).page.text
    assert_refused(sent.record, 303, "UNAUTHENTICATED", REASONS[reason], never=tokens)
    assert sent.record.account_code is None


async def test_an_admin_who_lost_the_flag_is_recorded_as_forbidden_on_the_next_page(
    harness: Harness, dashboard: Dashboard, admin: ApiUser
) -> None:
    await dashboard.sign_in(admin)
    await harness.service.update_account(ADMIN, admin.code, admin=False)

    sent = await send(dashboard, "/admin", "req-lost-flag")

    message = (
        f"The account {admin.code} (School Office) is not an administrator, so it cannot open "
        "the dashboard."
    )
    assert sent.answer.status == 403 and message in sent.answer.page.text
    assert_refused(sent.record, 403, "FORBIDDEN", message, never=(dashboard.session_token(),))
    assert sent.record.account_code == admin.code


async def test_a_sign_out_without_the_session_csrf_token_is_recorded_as_forbidden(
    dashboard: Dashboard, admin: ApiUser
) -> None:
    await dashboard.sign_in(admin)
    csrf = (await dashboard.get("/admin")).page.hidden_inputs["csrf"]

    sent = await send(dashboard, "/admin/sign-out", "req-sign-out", form={"csrf": "forged"})

    assert sent.answer.status == 403 and FORGED_SIGN_OUT in sent.answer.page.text
    assert_refused(
        sent.record, 403, "FORBIDDEN", FORGED_SIGN_OUT, never=(dashboard.session_token(), csrf)
    )
    assert (await dashboard.get("/admin")).status == 200


@pytest.mark.parametrize(
    ("path", "status", "code", "message"),
    [
        (
            "/admin/errors/no-such-request",
            404,
            "NOT_FOUND",
            "No request with id 'no-such-request' is in the audit log; it may be older than "
            "the retention period.",
        ),
        (
            "/admin/users/SG9999",
            404,
            "NOT_FOUND",
            "There is no API user 'SG9999' and no request recorded for it.",
        ),
        (
            "/admin/logs?date_from=yesterday",
            400,
            "BAD_REQUEST",
            "Date From must be a date as YYYY-MM-DD, not 'yesterday'.",
        ),
        (
            "/admin/logs?date_from=2026-01-01&date_to=2026-06-01",
            400,
            "AUDIT_RANGE_TOO_LONG",
            None,
        ),
    ],
    ids=["no-such-record", "no-such-user", "bad-date", "range-too-long"],
)
async def test_a_page_that_cannot_be_shown_is_recorded_with_its_errors_code(
    dashboard: Dashboard,
    admin: ApiUser,
    path: str,
    status: int,
    code: str,
    message: str | None,
) -> None:
    await dashboard.sign_in(admin)

    sent = await send(dashboard, path, "req-page")

    assert sent.answer.status == status
    assert sent.record.error_message is not None
    assert sent.record.error_message in sent.answer.page.text
    assert_refused(
        sent.record,
        status,
        code,
        message or sent.record.error_message,
        never=(dashboard.session_token(),),
    )
    assert sent.record.account_code == admin.code


async def refusals(dashboard: Dashboard, admin: ApiUser, partner: ApiUser) -> None:
    """A partner's sign-in, a wrong secret, and a page after the session expired."""
    await send(dashboard, "/admin/sign-in", "req-a", form=await sign_in_form(dashboard, partner))
    wrong = await sign_in_form(dashboard, admin, secret="sgs_wrong-secret-value")
    await send(dashboard, "/admin/sign-in", "req-b", form=wrong)
    assert (await dashboard.sign_in(admin)).status == 303
    dashboard.harness.clock.advance(minutes=15, seconds=1)
    await send(dashboard, "/admin/logs", "req-c")


async def test_an_admin_reads_why_sign_ins_failed_on_the_audit_log_page(
    dashboard: Dashboard, admin: ApiUser, partner: ApiUser
) -> None:
    await refusals(dashboard, admin, partner)
    assert (await dashboard.sign_in(admin)).status == 303

    errors = (await dashboard.get("/admin/logs?errors_only=on")).page.table("Showing")
    everything = (await dashboard.get("/admin/logs")).page.table("Showing")

    def shown(grid: Table) -> set[tuple[str, str]]:
        status, message = grid.headings.index("Status"), grid.headings.index("Error Message")
        return {(row[status], row[message]) for row in grid.rows}

    not_admin = (
        f"The account {partner.code} (Acme Timetables) is not an administrator, so it cannot "
        "open the dashboard."
    )
    assert {("401 UNAUTHENTICATED", NOT_VALID), ("403 FORBIDDEN", not_admin)} <= shown(errors)
    assert ("303 UNAUTHENTICATED", REASONS["expired"]) in shown(everything)
    assert ("303 UNAUTHENTICATED", REASONS["expired"]) not in shown(errors)


async def test_the_audit_command_says_why_sign_ins_failed(
    dashboard: Dashboard,
    admin: ApiUser,
    partner: ApiUser,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await refusals(dashboard, admin, partner)
    await dashboard.flush()
    for key in [key for key in os.environ if key.startswith("SCHOOLGRAPH_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("SCHOOLGRAPH_DB_PATH", str(tmp_path / "accounts.sqlite3"))

    # On the database the gateway writes, while it runs; main() runs its own event loop.
    assert (
        await asyncio.to_thread(main, ["audit", "search", "--endpoint", "POST /admin/sign-in"]) == 0
    )
    search = capsys.readouterr().out
    assert await asyncio.to_thread(main, ["audit", "error", "req-c"]) == 0
    details = capsys.readouterr().out

    def line(request_id: str) -> str:
        return next(line for line in search.splitlines() if f" {request_id} " in line)

    assert " 401 " in line("req-b") and line("req-b").endswith(f"  {NOT_VALID}")
    assert " 403 " in line("req-a")
    assert line("req-a").endswith("is not an administrator, so it cannot open the dashboard.")
    assert "Error Codes       UNAUTHENTICATED" in details
    assert f"Error Message     {REASONS['expired']}" in details
