"""The dashboard's pages over an audit log filled by real traffic sent over HTTP: what each
shows, each filter, the 60-day limit, paging, and hostile values shown as text."""

from __future__ import annotations

import datetime
import html
import re

from schoolgraph.accounts import Grant
from tests.accounts.harness import ApiUser, Harness
from tests.dashboard.site import (
    HOSTILE,
    HOSTILE_AGENT,
    HOSTILE_VARIABLE,
    Answer,
    Dashboard,
    Traffic,
    request_length,
    send_traffic,
)

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


async def _signed_in_after_traffic(
    harness: Harness, dashboard: Dashboard, admin: ApiUser, partner: ApiUser, *, ok: int = 3
) -> Traffic:
    traffic = await send_traffic(harness, partner, ok=ok)
    await dashboard.flush()
    answer = await dashboard.sign_in(admin)
    assert answer.status == 303, answer.text
    return traffic


def _details_ids(answer: Answer) -> list[str]:
    return [
        link.href.rsplit("/", 1)[1]
        for link in answer.page.links
        if link.href.startswith("/admin/errors/")
    ]


def _hostile_is_text(answer: Answer) -> None:
    assert HOSTILE not in answer.text and HOSTILE_AGENT not in answer.text
    assert "<script" not in answer.text.lower() and 'onerror="' not in answer.text


async def test_the_landing_page_shows_errors_top_users_top_endpoints_and_the_accounts(
    harness: Harness, dashboard: Dashboard, admin: ApiUser, partner: ApiUser
) -> None:
    traffic = await _signed_in_after_traffic(harness, dashboard, admin, partner)

    answer = await dashboard.get("/admin")

    assert answer.status == 200
    page = answer.page
    # Recent Errors: the three errors, newest first, each with its details link.
    assert _details_ids(answer) == [
        *traffic.unauthenticated,
        *traffic.hostile,
        *traffic.forbidden,
    ]
    text = page.text
    assert "401 UNAUTHENTICATED The bearer token is not valid" in text
    assert "400 BAD_USER_INPUT Variable '$b' has invalid value" in text
    assert html.escape(HOSTILE, quote=False) not in answer.text  # escaped with quotes too
    assert html.escape(HOSTILE) in answer.text and HOSTILE in text
    assert "200 FORBIDDEN_FIELD The account" in text
    assert re.search(rf"{TIMESTAMP.pattern} - Acme Timetables - POST - query Query.schools", text)
    _hostile_is_text(answer)
    assert page.link("View All errors") == "/admin/logs?errors_only=on"
    # Top Users and Top Endpoints, hand-counted from the traffic: the partner made 6
    # requests, its sign-in and 5 with its token (3 good, 1 refused field, 1 bad variable).
    users = page.table("The 5 users with the most requests")
    assert users.headings == ["User Name", "Requests", "Errors", "Action"]
    assert ["Acme Timetables", "6", "2"] in [row[:3] for row in users.rows]
    assert page.link("View Details of Acme Timetables") == f"/admin/users/{partner.code}"
    endpoints = page.table("The 5 most used endpoints")
    assert ["query Query.service", "4", "1"] in [row[:3] for row in endpoints.rows]
    assert page.link("View Details of query Query.service") == (
        "/admin/endpoint?name=query+Query.service"
    )
    assert page.link("View All users") == "/admin/users"
    assert page.link("View All endpoints") == "/admin/endpoints"
    # The account grid: every account, with links to its details and logs.
    grid = page.table("Every API account")
    assert [row[:4] for row in grid.rows] == [
        [admin.code, "School Office", "Yes", "Yes"],
        [partner.code, "Acme Timetables", "Yes", "No"],
    ]
    assert page.link(f"View Logs of {partner.code}") == f"/admin/logs?user={partner.code}"
    # The chart: an accessible inline SVG, its figures also as a table.
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in answer.text and 'role="img"' in answer.text
    figures = page.table("Requests and errors over time")
    assert len(figures.rows) == 24
    assert sum(int(row[2]) for row in figures.rows) == traffic.errors
    assert page.link("Refresh") == "/admin"


async def test_the_audit_log_filters_to_errors_only(
    harness: Harness, dashboard: Dashboard, admin: ApiUser, partner: ApiUser
) -> None:
    traffic = await _signed_in_after_traffic(harness, dashboard, admin, partner)

    answer = await dashboard.get("/admin/logs?errors_only=on")

    assert answer.status == 200
    grid = answer.page.table("Showing 1 to 3 of 3 records, newest first")
    assert grid.headings == [
        "Request Date/Time",
        "User Name",
        "Method",
        "Endpoint",
        "Status",
        "Error Message",
        "Details",
    ]
    assert grid.column("Status") == [
        "401 UNAUTHENTICATED",
        "400 BAD_USER_INPUT",
        "200 FORBIDDEN_FIELD",
    ]
    assert grid.column("User Name") == ["(anonymous)", "Acme Timetables", "Acme Timetables"]
    assert all(TIMESTAMP.fullmatch(value) for value in grid.column("Request Date/Time"))
    assert grid.column("Request Date/Time") == sorted(
        grid.column("Request Date/Time"), reverse=True
    )
    assert grid.column("Endpoint")[1] == "query Query.service /graphql"
    assert _details_ids(answer) == [*traffic.unauthenticated, *traffic.hostile, *traffic.forbidden]
    assert 'name="errors_only" value="on" checked' in answer.text
    _hostile_is_text(answer)


async def test_each_audit_log_filter_narrows_the_grid(
    harness: Harness, dashboard: Dashboard, admin: ApiUser, partner: ApiUser
) -> None:
    traffic = await _signed_in_after_traffic(harness, dashboard, admin, partner)
    today = datetime.datetime.now(datetime.UTC).date()

    async def shown(query: str) -> list[str]:
        answer = await dashboard.get(f"/admin/logs?{query}")
        assert answer.status == 200, answer.page.text
        return _details_ids(answer)

    assert await shown("message=cannot+represent") == traffic.hostile
    assert await shown("message=CANNOT+REPRESENT") == traffic.hostile
    # The partner's sign-in, when it was provisioned, is its own too: the oldest.
    signed_in = await shown(f"user={partner.code}&endpoint=POST+/auth/token")
    assert len(signed_in) == 1
    assert len(await shown("endpoint=POST+/auth/token")) == 2  # the admin's sign-in too
    by_partner = await shown(f"user={partner.code}")
    assert by_partner[:2] == [*traffic.hostile, *traffic.forbidden]  # newest first
    assert sorted(by_partner[2:-1]) == sorted(traffic.ok)  # sent at once: any order
    assert by_partner[-1:] == signed_in
    assert sorted(await shown(f"user={partner.code}&endpoint=query+Query.service")) == sorted(
        [*traffic.hostile, *traffic.ok]
    )
    assert await shown("status=401") == traffic.unauthenticated
    assert sorted(await shown("status=401&status=400")) == sorted(
        [*traffic.unauthenticated, *traffic.hostile]
    )
    assert await shown(f"method=GET&user={partner.code}") == []
    assert len(await shown(f"method=post&user={partner.code}")) == 6
    assert len(await shown(f"date_from={today}&date_to={today}&user={partner.code}")) == 6
    yesterday = today - datetime.timedelta(days=1)
    assert await shown(f"date_from={yesterday}&date_to={yesterday}") == []
    empty = await dashboard.get(f"/admin/logs?date_to={yesterday}")
    assert "No audit log records match these filters." in empty.page.text
    chosen = await dashboard.get(f"/admin/logs?user={partner.code}&method=POST&status=401")
    for option in (
        f'value="{partner.code}" selected',
        'value="POST" selected',
        'value="401" selected',
    ):
        assert option in chosen.text
    # The Status Code list offers only statuses the log holds.
    assert re.findall(r'<option value="(\d{3})"', chosen.text) == ["200", "400", "401"]


async def test_a_range_over_60_days_is_refused_with_a_clear_message(
    harness: Harness, dashboard: Dashboard, admin: ApiUser, partner: ApiUser
) -> None:
    await _signed_in_after_traffic(harness, dashboard, admin, partner)
    today = datetime.datetime.now(datetime.UTC).date()

    too_long = await dashboard.get(
        f"/admin/logs?date_from={today - datetime.timedelta(days=60)}&date_to={today}"
    )
    just_right = await dashboard.get(
        f"/admin/logs?date_from={today - datetime.timedelta(days=59)}&date_to={today}"
    )
    backwards = await dashboard.get(
        f"/admin/logs?date_from={today}&date_to={today - datetime.timedelta(days=1)}"
    )
    not_a_date = await dashboard.get("/admin/logs?date_from=31/12/2026")

    assert too_long.status == 400
    assert "spans 61 days; it cannot exceed 60 days." in too_long.page.text
    assert f'value="{today}"' in too_long.text  # the form keeps what was asked
    assert just_right.status == 200 and "records, newest first" in just_right.page.text
    assert backwards.status == 400 and "before it starts" in backwards.page.text
    assert not_a_date.status == 400
    assert "Date From must be a date as YYYY-MM-DD, not '31/12/2026'." in not_a_date.page.text


async def test_the_audit_log_pages_through_with_the_total(
    harness: Harness, dashboard: Dashboard, admin: ApiUser, partner: ApiUser
) -> None:
    traffic = await _signed_in_after_traffic(harness, dashboard, admin, partner, ok=60)
    # The partner's sign-in when it was provisioned, then what it sent with its token.
    mine = 1 + len(traffic.ok) + len(traffic.forbidden) + len(traffic.hostile)  # 63

    first = await dashboard.get(f"/admin/logs?user={partner.code}")
    second = await dashboard.get(first.page.link("Next page"))

    assert len(first.page.table(f"Showing 1 to 50 of {mine} records").rows) == 50
    assert "Page 1 of 2" in first.page.text
    last = second.page.table(f"Showing 51 to {mine} of {mine} records")
    assert len(last.rows) == 13
    assert last.column("Endpoint")[-1] == "POST /auth/token /auth/token"  # the oldest
    assert second.page.link("Previous page") == f"/admin/logs?user={partner.code}&page=1"
    assert set(_details_ids(first)).isdisjoint(_details_ids(second))
    assert set(_details_ids(first)) | set(_details_ids(second)) == {
        *traffic.ok,
        *traffic.forbidden,
        *traffic.hostile,
        _details_ids(second)[-1],  # the sign-in
    }


async def test_error_details_show_what_the_seed_lists_with_hostile_values_as_text(
    harness: Harness, dashboard: Dashboard, admin: ApiUser, partner: ApiUser
) -> None:
    traffic = await _signed_in_after_traffic(harness, dashboard, admin, partner)
    request_id = traffic.hostile[0]

    answer = await dashboard.get(f"/admin/errors/{request_id}")

    assert answer.status == 200
    assert answer.page.title.startswith("Error Details")
    text = answer.page.text
    for fact in (
        f"Request ID {request_id}",
        "User Name Acme Timetables",
        f"User Code {partner.code}",
        "HTTP Method POST",
        "Endpoint query Query.service",
        "Path /graphql",
        "Status 400",
        "Error Codes BAD_USER_INPUT",
        "IP Address 127.0.0.1",
        f"Request Length (bytes) {request_length(HOSTILE_VARIABLE, {'b': HOSTILE}):,}",
        f"User Agent {HOSTILE_AGENT}",
        "Error Message Variable '$b' has invalid value",
        "No stack trace: only unexpected errors keep one.",
        "This request made no upstream call.",
    ):
        assert fact in text, fact
    assert re.search(r"Elapsed Time \(ms\) [\d,]+\.\d", text)
    assert re.search(r"Response Length \(bytes\) [1-9][\d,]*", text)
    assert html.escape(HOSTILE_AGENT) in answer.text
    _hostile_is_text(answer)
    assert answer.page.link("View Logs of this user") == f"/admin/logs?user={partner.code}"

    missing = await dashboard.get("/admin/errors/no-such-request")
    assert missing.status == 404
    assert "No request with id 'no-such-request' is in the audit log" in missing.page.text


async def test_user_statistics_count_per_endpoint_and_method(
    harness: Harness, dashboard: Dashboard, admin: ApiUser, partner: ApiUser
) -> None:
    traffic = await _signed_in_after_traffic(harness, dashboard, admin, partner)

    answer = await dashboard.get(f"/admin/users/{partner.code}")

    assert answer.status == 200
    page = answer.page
    assert page.title.startswith("User Statistics: Acme Timetables")
    assert "User Code SG0002 User Name Acme Timetables Enabled Yes Admin No" in page.text
    assert re.search(rf"Last activity: {TIMESTAMP.pattern}", page.text)
    # Its sign-in when it was provisioned, then 5 requests with its token: 4 to the service
    # (3 good, 1 bad variable) and the refused field. Ties go by endpoint name.
    figures = page.table("Acme Timetables's requests per endpoint and HTTP method, top 5")
    assert [row[:3] for row in figures.rows] == [
        ["query Query.service", "POST", "4"],
        ["POST /auth/token", "POST", "1"],
        ["query Query.schools", "POST", "1"],
    ]
    for row in figures.rows:
        assert all(re.fullmatch(r"[\d,]+\.\d+", value) for value in row[3:]), row
    assert _details_ids(answer) == [*traffic.hostile, *traffic.forbidden]
    assert page.link("View Logs") == f"/admin/logs?user={partner.code}"
    shown_all = await dashboard.get(f"/admin/users/{partner.code}?show=all")
    assert shown_all.page.table("Acme Timetables's requests per endpoint and HTTP method").rows
    assert '<option value="all" selected>' in shown_all.text

    everyone = await dashboard.get("/admin/users")
    assert ["Acme Timetables", "6", "2"] in [
        row[:3] for row in everyone.page.table("Every user with recorded requests").rows
    ]
    unknown = await dashboard.get("/admin/users/SG9999")
    assert unknown.status == 404
    assert "There is no API user 'SG9999' and no request recorded for it." in unknown.page.text


async def test_endpoint_statistics_count_per_method_and_user(
    harness: Harness, dashboard: Dashboard, admin: ApiUser, partner: ApiUser
) -> None:
    await _signed_in_after_traffic(harness, dashboard, admin, partner)

    answer = await dashboard.get("/admin/endpoint?name=query+Query.service")

    assert answer.status == 200
    page = answer.page
    assert page.title.startswith("Endpoint Statistics: query Query.service")
    assert [row[:2] for row in page.table("Requests per HTTP method").rows] == [["POST", "4"]]
    assert [row[:3] for row in page.table("Requests per user and HTTP method").rows] == [
        [partner.code, "POST", "4"]
    ]
    assert page.link(partner.code) == f"/admin/users/{partner.code}"
    assert page.link("View Logs") == "/admin/logs?endpoint=query+Query.service"
    everything = await dashboard.get("/admin/endpoints")
    assert ["query Query.service", "4", "1"] in [
        row[:3] for row in everything.page.table("Every endpoint with recorded requests").rows
    ]
    unknown = await dashboard.get("/admin/endpoint?name=query+Query.nothing")
    assert unknown.status == 404
    assert "No request to the endpoint 'query Query.nothing' is recorded." in unknown.page.text


async def test_anonymous_callers_have_statistics_of_their_own(
    harness: Harness, dashboard: Dashboard, admin: ApiUser, partner: ApiUser
) -> None:
    traffic = await _signed_in_after_traffic(harness, dashboard, admin, partner)
    users = (await dashboard.get("/admin/users")).page

    answer = await dashboard.get(users.link("View Details of (anonymous)"))

    assert answer.status == 200
    assert answer.page.title.startswith("User Statistics: (anonymous)")
    assert traffic.unauthenticated[0] in _details_ids(answer)
    logs = await dashboard.get(answer.page.link("View Logs"))
    assert traffic.unauthenticated[0] in _details_ids(logs)


async def test_looking_at_the_dashboard_is_audited_under_the_admin(
    harness: Harness, dashboard: Dashboard, admin: ApiUser, partner: ApiUser
) -> None:
    await _signed_in_after_traffic(harness, dashboard, admin, partner)
    await dashboard.get("/admin/users")
    await dashboard.flush()

    answer = await dashboard.get(f"/admin/logs?user={admin.code}&endpoint=GET+/admin/users")

    grid = answer.page.table("Showing 1 to 1 of 1 records")
    assert grid.column("User Name") == ["School Office"]


async def test_the_company_filter_lists_each_school_and_finds_its_requests(
    harness: Harness, dashboard: Dashboard, admin: ApiUser, partner: ApiUser
) -> None:
    campus = await harness.provision(
        "Campus Partner",
        schools=["tass:01", "xporter:7109606"],
        grants=[Grant("Service", read=True)],
    )
    theirs = await send_traffic(harness, campus, ok=2)
    await _signed_in_after_traffic(harness, dashboard, admin, partner)

    everything = await dashboard.get("/admin/logs")
    by_school = await dashboard.get("/admin/logs?company=tass:01")

    options = re.search(r'<select id="filter-company".*?</select>', everything.text, re.DOTALL)
    assert options is not None
    assert re.findall(r'<option value="([^"]+)"', options.group(0)) == [
        "tass:01",
        "xporter:7109606",
    ]
    # The campus partner's sign-in carries its schools, like what it sent with its token
    # (the bad token's request has no account, so no company): the sign-in is the oldest.
    grid = by_school.page.table("Showing 1 to 5 of 5 records")
    assert (grid.column("User Name")[-1], grid.column("Endpoint")[-1]) == (
        "Campus Partner",
        "POST /auth/token /auth/token",
    )
    assert sorted(_details_ids(by_school)[:-1]) == sorted(
        [*theirs.ok, *theirs.forbidden, *theirs.hostile]
    )


async def test_a_date_past_the_calendar_is_refused_with_a_clear_message(
    harness: Harness, dashboard: Dashboard, admin: ApiUser, partner: ApiUser
) -> None:
    await _signed_in_after_traffic(harness, dashboard, admin, partner)

    late = await dashboard.get("/admin/logs?date_from=9999-12-31")
    early = await dashboard.get("/admin/logs?date_to=0001-01-01")

    assert late.status == 400
    assert "The date range starts on 9999-12-31, outside the days" in late.page.text
    assert early.status == 400
    assert "The date range ends on 0001-01-01, outside the days" in early.page.text


async def test_a_page_out_of_range_is_refused_with_a_clear_message(
    harness: Harness, dashboard: Dashboard, admin: ApiUser, partner: ApiUser
) -> None:
    await _signed_in_after_traffic(harness, dashboard, admin, partner)

    huge = await dashboard.get("/admin/logs?page=99999999999999999999")
    last = await dashboard.get("/admin/logs?page=1000000")

    assert huge.status == 400
    assert (
        "The page must be a whole number from 1 to 1000000, not '99999999999999999999'."
        in huge.page.text
    )
    assert last.status == 200
