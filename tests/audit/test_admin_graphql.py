"""The audit log over GraphQL: what an admin account reads; nobody else may."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from schoolgraph.audit.store import ANONYMOUS_USER
from tests.accounts.conftest import SERVICE
from tests.accounts.harness import Harness, denied
from tests.audit.conftest import flushed

LOG = """
query Log($filter: AuditFilterInput, $offset: Int, $limit: Int) {
  auditLog(filter: $filter, offset: $offset, limit: $limit) {
    totalCount offset limit
    entries { requestId accountCode method endpoint path status errorCodes errorMessage isError }
  }
}
"""
DETAILS = """
query Details($id: String!) {
  auditEntry(requestId: $id) {
    requestId at ip elapsedMs requestBytes responseBytes userAgent queryParameters variables
    errorMessage stack calls { upstream }
  }
}
"""
DASHBOARD = """
query Dashboard($code: String!, $since: DateTime!, $until: DateTime!) {
  auditRecentErrors { requestId errorCodes errorMessage at accountName method endpoint }
  auditTopUsers { key name requests errors }
  auditTopEndpoints(limit: null) { key requests errors }
  auditUserStatistics(accountCode: $code, limit: null) {
    accountCode accountName lastAt
    figures { endpoint method count averageMs receivedKb sentKb }
    recentErrors { requestId }
  }
  auditEndpointStatistics(endpoint: "query Query.service") {
    lastAt byMethod { method count } byUser { user method count }
  }
  auditTimeline(since: $since, until: $until, buckets: 2) { start requests errors }
}
"""


def data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]
    return result


async def test_an_admin_searches_the_log_and_opens_an_errors_details(harness: Harness) -> None:
    admin = await harness.provision("School Office", admin=True)
    partner = await harness.provision("Partner", grants=SERVICE)
    await harness.graphql("{ service { name } }", user=partner)
    await harness.graphql(
        "query($secret: String) { service { nope } }",
        {"secret": "hunter2"},
        user=partner,
        headers={"X-Request-Id": "req-bad", "User-Agent": "partner-sync/1"},
        status=400,
    )
    await flushed(harness)

    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    errors = data(
        await harness.graphql(
            LOG,
            {"filter": {"dateFrom": today, "dateTo": today, "errorsOnly": True}},
            user=admin,
        )
    )["auditLog"]
    details = data(await harness.graphql(DETAILS, {"id": "req-bad"}, user=admin))["auditEntry"]

    assert errors["totalCount"] == 1
    (entry,) = errors["entries"]
    assert entry == {
        "requestId": "req-bad",
        "accountCode": partner.code,
        "method": "POST",
        "endpoint": "POST /graphql",
        "path": "/graphql",
        "status": 400,
        "errorCodes": ["GRAPHQL_VALIDATION_FAILED"],
        "errorMessage": entry["errorMessage"],
        "isError": True,
    }
    assert entry["errorMessage"]
    assert details["ip"] == "127.0.0.1"
    assert details["userAgent"] == "partner-sync/1"
    assert details["requestBytes"] > 0 and details["responseBytes"] > 0
    assert details["variables"] == '{"secret":"[REDACTED]"}'
    assert details["stack"] is None and details["calls"] == []
    assert data(await harness.graphql(DETAILS, {"id": "nothing"}, user=admin))["auditEntry"] is None


async def test_paging_and_the_total(harness: Harness) -> None:
    admin = await harness.provision("School Office", admin=True)
    for _ in range(5):
        await harness.graphql("{ service { name } }", user=admin)
    await flushed(harness)

    where = {"users": [admin.code], "endpoints": ["query Query.service"]}
    first = data(await harness.graphql(LOG, {"filter": where, "limit": 2}, user=admin))
    third = data(await harness.graphql(LOG, {"filter": where, "offset": 4, "limit": 2}, user=admin))

    assert first["auditLog"]["totalCount"] == 5
    assert len(first["auditLog"]["entries"]) == 2
    assert (third["auditLog"]["offset"], len(third["auditLog"]["entries"])) == (4, 1)


async def test_a_range_over_sixty_days_is_refused_with_its_code(harness: Harness) -> None:
    admin = await harness.provision("School Office", admin=True)

    body = await harness.graphql(
        LOG, {"filter": {"dateFrom": "2026-01-01", "dateTo": "2026-03-02"}}, user=admin
    )

    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "AUDIT_RANGE_TOO_LONG"
    assert error["message"] == (
        "The date range 2026-01-01 to 2026-03-02 spans 61 days; it cannot exceed 60 days."
    )


async def test_the_dashboard_figures_over_graphql(harness: Harness) -> None:
    admin = await harness.provision("School Office", admin=True)
    partner = await harness.provision("Partner", grants=SERVICE)
    for _ in range(4):
        await harness.graphql("{ service { name } }", user=partner)
    await harness.graphql("{ accounts { code } }", user=partner)
    await flushed(harness)
    now = datetime.datetime.now(datetime.UTC)

    answer = data(
        await harness.graphql(
            DASHBOARD,
            {
                "code": partner.code,
                "since": (now - datetime.timedelta(hours=1)).isoformat(),
                "until": (now + datetime.timedelta(hours=1)).isoformat(),
            },
            user=admin,
        )
    )

    (error,) = answer["auditRecentErrors"]
    assert error["errorCodes"] == ["FORBIDDEN_FIELD"]
    assert (error["accountName"], error["method"], error["endpoint"]) == (
        "Partner",
        "POST",
        "query Query.accounts",
    )
    # Each provisioning redeemed its key link with no account yet, then signed in: the
    # sign-in counts for the account it signed in. The partner: its sign-in and 5 queries.
    assert answer["auditTopUsers"] == [
        {"key": partner.code, "name": "Partner", "requests": 6, "errors": 1},
        {"key": ANONYMOUS_USER, "name": None, "requests": 2, "errors": 0},
        {"key": admin.code, "name": "School Office", "requests": 1, "errors": 0},
    ]
    assert {row["key"]: row["requests"] for row in answer["auditTopEndpoints"]} == {
        "query Query.service": 4,
        "query Query.accounts": 1,
        "POST /keys": 2,
        "POST /auth/token": 2,
    }
    user = answer["auditUserStatistics"]
    assert [(row["endpoint"], row["count"]) for row in user["figures"]] == [
        ("query Query.service", 4),
        ("POST /auth/token", 1),  # ties by endpoint name: "P" sorts before "q"
        ("query Query.accounts", 1),
    ]
    assert user["recentErrors"] == [{"requestId": error["requestId"]}]
    endpoint = answer["auditEndpointStatistics"]
    assert endpoint["byMethod"] == [{"method": "POST", "count": 4}]
    assert endpoint["byUser"] == [{"user": partner.code, "method": "POST", "count": 4}]
    assert sum(bucket["requests"] for bucket in answer["auditTimeline"]) == 9
    assert sum(bucket["errors"] for bucket in answer["auditTimeline"]) == 1


async def test_an_account_without_the_admin_flag_may_not_read_the_log(harness: Harness) -> None:
    partner = await harness.provision("Partner", grants=SERVICE)

    body = await harness.graphql("{ auditTopUsers { key } auditLog { totalCount } }", user=partner)

    assert denied(body) >= {"Query.auditTopUsers", "Query.auditLog"}


async def test_the_readmes_audit_example_runs_for_an_admin(harness: Harness) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Audit log and analytics", 1)[1].split("\n## ", 1)[0]
    query = section.split("```graphql\n", 1)[1].split("```", 1)[0]
    admin = await harness.provision("School Office", admin=True)

    answer = data(await harness.graphql(query, user=admin))

    assert set(answer) == {"auditRecentErrors", "auditTopUsers", "auditLog"}


async def test_a_date_past_the_calendar_is_refused_with_its_code(harness: Harness) -> None:
    admin = await harness.provision("School Office", admin=True)

    late = await harness.graphql(LOG, {"filter": {"dateFrom": "9999-12-31"}}, user=admin)
    early = await harness.graphql(LOG, {"filter": {"dateTo": "0001-01-01"}}, user=admin)

    for body, day in ((late, "starts on 9999-12-31"), (early, "ends on 0001-01-01")):
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "AUDIT_RANGE_INVALID"
        assert error["message"] == (
            f"The date range {day}, outside the days a search can name (0001-03-01 to 9999-12-30)."
        )


async def test_a_message_filter_over_200_characters_is_refused(harness: Harness) -> None:
    admin = await harness.provision("School Office", admin=True)

    body = await harness.graphql(LOG, {"filter": {"message": "%_" * 50_000}}, user=admin)

    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["message"] == "Error Message is 100000 characters long; at most 200 are allowed."
