"""The seed's API Endpoint Maintenance over real HTTP: restricted users and their enforcement,
key/secret sharing, and the audit logs and analytics (tass.md §C, §D.5)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import pytest

from schoolgraph.simulators.control import WorldHolder
from schoolgraph.simulators.dataset import World
from schoolgraph.simulators.tass import create_tass_app

from .conftest import ServeApp

PASSPHRASE = "correct horse battery staple"
STUDENTS = "/{cmpy_code}/students"
STUDENT = "/{cmpy_code}/students/{stud_code}"
UDAREA = "/{cmpy_code}/students/{stud_code}/udareas/{area_code}"


@dataclass
class Admin:
    base: str
    http: aiohttp.ClientSession
    world: World

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        async with self.http.request(
            method, f"{self.base}{path}", json=body, headers=all_headers
        ) as r:
            return r.status, (await r.json(content_type=None) if r.status != 204 else None)

    async def new_user(
        self, endpoints: list[dict[str, Any]], companies: tuple[str, ...] = ("01",)
    ) -> dict[str, Any]:
        status, user = await self.request(
            "POST",
            "/sim/admin/api-users",
            {
                "user_name": "Restricted Vendor",
                "enabled": True,
                "contact_name": "Pat Vendor",
                "contact_email": "pat@vendor.example",
                "purpose": "tests",
                "companies": list(companies),
                "endpoints": endpoints,
            },
        )
        assert status == 201, user
        created: dict[str, Any] = user
        return created

    async def issue_key(self, user_code: str, hours: int = 6) -> dict[str, Any]:
        status, key = await self.request(
            "POST",
            f"/sim/admin/api-users/{user_code}/key",
            {"passphrase": PASSPHRASE, "link_expiry_hours": hours},
        )
        assert status == 201, key
        issued: dict[str, Any] = key
        return issued

    async def credentials(self, user_code: str) -> tuple[str, str]:
        key = await self.issue_key(user_code)
        status, body = await self.request(
            "POST", f"/sim/keyshare/{key['link_id']}", {"passphrase": PASSPHRASE}
        )
        assert status == 200, body
        return body["clientKey"], body["clientSecret"]

    async def token(self, key: str, secret: str) -> str:
        status, body = await self.request(
            "POST", "/api/users", {"clientKey": key, "clientSecret": secret}
        )
        assert status == 200, body
        token: str = body["token"]
        return token

    async def advance(self, seconds: float) -> None:
        status, _ = await self.request("POST", "/__sim/clock", {"advance_seconds": seconds})
        assert status == 200


@pytest.fixture
async def admin(holder: WorldHolder, serve_app: ServeApp) -> AsyncIterator[Admin]:
    async with serve_app(create_tass_app(holder)) as base, aiohttp.ClientSession() as http:
        yield Admin(base, http, holder.world)


async def _restricted(admin: Admin) -> tuple[str, str]:
    """A user with custom fields, a disabled endpoint, an 'Alert' endpoint and no Delete."""
    user = await admin.new_user(
        [
            {
                "endpoint": STUDENTS,
                "read": True,
                "read_fields": ["stud_code", "surname", "year_grp"],
            },
            {"endpoint": STUDENT, "read": True, "update": True, "update_fields": ["mob_phone"]},
            {"endpoint": "/{cmpy_code}/employees", "enabled": False},
            {"endpoint": "/{cmpy_code}/teachers", "security_role": None},
            {"endpoint": UDAREA, "read": True, "add": True, "delete": False},
        ]
    )
    key, secret = await admin.credentials(user["user_code"])
    return user["user_code"], await admin.token(key, secret)


# --------------------------------------------------------------------------- users


async def test_demo_user_and_catalogue_are_listed(admin: Admin) -> None:
    _, users = await admin.request("GET", "/sim/admin/api-users")
    assert [u["user_code"] for u in users] == ["APIU0001"]
    assert users[0]["key_status"] == "User has successfully accessed key."
    assert {c["cmpy_code"] for c in users[0]["companies"]} == {"01", "02"}
    _, endpoints = await admin.request("GET", "/sim/admin/endpoints")
    students = next(e for e in endpoints if e["endpoint"] == STUDENTS)
    assert "stud_code" in students["fields"]


async def test_user_code_is_generated_and_immutable(admin: Admin) -> None:
    user = await admin.new_user([])
    assert user["user_code"] == "APIU0002"
    status, body = await admin.request(
        "PATCH", f"/sim/admin/api-users/{user['user_code']}", {"user_code": "X1"}
    )
    assert status == 400
    status, body = await admin.request(
        "PATCH", f"/sim/admin/api-users/{user['user_code']}", {"user_name": "Renamed"}
    )
    assert (status, body["user_name"]) == (200, "Renamed")
    status, body = await admin.request("POST", "/sim/admin/api-users", {"user_name": "x"})
    assert status == 400
    assert {"contact_name", "contact_email"} <= set(body["errors"])


async def test_custom_read_fields_project_every_record(admin: Admin) -> None:
    _, token = await _restricted(admin)
    status, rows = await admin.request("GET", "/api/01/students?$top=3", token=token)
    assert status == 200
    assert all(set(r) == {"stud_code", "surname", "year_grp"} for r in rows)
    status, rows = await admin.request(
        "GET", "/api/01/students?$filter=year_grp%20eq%207", token=token
    )
    assert status == 200
    assert rows


async def test_filter_on_a_field_outside_custom_read_is_403(admin: Admin) -> None:
    _, token = await _restricted(admin)
    status, body = await admin.request(
        "GET", "/api/01/students?$filter=gender%20eq%20'F'", token=token
    )
    assert status == 403
    assert "gender" in body["detail"]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        pytest.param("/api/01/employees", "no access", id="endpoint-disabled"),
        pytest.param("/api/01/teachers", "Security Role", id="alert-endpoint"),
        pytest.param("/api/01/campuses", "no access", id="endpoint-not-assigned"),
        pytest.param("/api/02/students", "company", id="company-not-assigned"),
    ],
)
async def test_grants_are_enforced_on_every_call(admin: Admin, path: str, reason: str) -> None:
    _, token = await _restricted(admin)
    status, body = await admin.request("GET", path, token=token)
    assert status == 403
    assert reason in body["detail"]


async def test_custom_update_fields_allow_some_changes_and_refuse_others(admin: Admin) -> None:
    _, token = await _restricted(admin)
    _, rows = await admin.request("GET", "/api/01/students?$top=1", token=token)
    path = f"/api/01/students/{rows[0]['stud_code']}"
    patch = {"Content-Type": "application/json-patch+json"}
    status, row = await admin.request(
        "PATCH",
        path,
        [{"op": "replace", "path": "/mob_phone", "value": "0411 222 333"}],
        token=token,
        headers=patch,
    )
    assert (status, row["mob_phone"]) == (200, "0411 222 333")
    status, body = await admin.request(
        "PATCH",
        path,
        [{"op": "replace", "path": "/e_mail", "value": "a@b.example"}],
        token=token,
        headers=patch,
    )
    assert status == 403
    assert "e_mail" in body["detail"]


async def test_read_only_grant_refuses_update_and_add_grant_without_delete(admin: Admin) -> None:
    user = await admin.new_user(
        [{"endpoint": STUDENT, "read": True}, {"endpoint": UDAREA, "read": True, "add": True}]
    )
    token = await admin.token(*await admin.credentials(user["user_code"]))
    _, demo = await admin.request(
        "POST",
        "/api/users",
        {
            "clientKey": admin.world.credentials.tass_client_key,
            "clientSecret": admin.world.credentials.tass_client_secret,
        },
    )
    _, rows = await admin.request("GET", "/api/01/students?$top=1", token=demo["token"])
    code = rows[0]["stud_code"]
    status, body = await admin.request(
        "PUT", f"/api/01/students/{code}", {"surname": "X"}, token=token
    )
    assert (status, "Update" in body["detail"]) == (403, True)
    area = f"/api/01/students/{code}/udareas/LCK"
    assert (await admin.request("POST", area, {"locker_number": "42"}, token=token))[0] == 201
    status, body = await admin.request("DELETE", area, token=token)
    assert (status, "Delete" in body["detail"]) == (403, True)


async def test_disabling_a_user_blocks_calls_and_authentication(admin: Admin) -> None:
    user = await admin.new_user([{"endpoint": STUDENTS}])
    key, secret = await admin.credentials(user["user_code"])
    token = await admin.token(key, secret)
    assert (await admin.request("GET", "/api/01/students", token=token))[0] == 200
    await admin.request("PATCH", f"/sim/admin/api-users/{user['user_code']}", {"enabled": False})
    status, body = await admin.request("GET", "/api/01/students", token=token)
    assert (status, "disabled" in body["detail"]) == (403, True)
    status, _ = await admin.request(
        "POST", "/api/users", {"clientKey": key, "clientSecret": secret}
    )
    assert status == 401


async def test_companies_can_be_replaced(admin: Admin) -> None:
    user = await admin.new_user([{"endpoint": STUDENTS}], companies=("01",))
    status, body = await admin.request(
        "PUT", f"/sim/admin/api-users/{user['user_code']}/companies", {"companies": ["02"]}
    )
    assert [c["cmpy_code"] for c in body["companies"]] == ["02"]
    status, body = await admin.request(
        "PUT", f"/sim/admin/api-users/{user['user_code']}/companies", {"companies": ["77"]}
    )
    assert status == 400


# --------------------------------------------------------------------------- keys


async def test_key_generation_rules(admin: Admin) -> None:
    user = await admin.new_user([])
    path = f"/sim/admin/api-users/{user['user_code']}/key"
    status, body = await admin.request(
        "POST", path, {"passphrase": "fourteen chars", "link_expiry_hours": 6}
    )
    assert status == 400
    assert "passphrase" in body["errors"]
    status, body = await admin.request(
        "POST", path, {"passphrase": PASSPHRASE, "link_expiry_hours": 5}
    )
    assert status == 400
    _, body = await admin.request("GET", path)
    assert body["status"] == "The user does not currently have a key."
    key = await admin.issue_key(user["user_code"])
    assert key["status"] == "User has been sent email link but has yet to view key."
    assert [h["action"] for h in key["history"]] == ["Key/secret generated and email sent"]
    assert (await admin.request("POST", path, {"passphrase": PASSPHRASE, "link_expiry_hours": 6}))[
        0
    ] == 409


async def test_email_follows_the_seed_template(admin: Admin) -> None:
    user = await admin.new_user([])
    key = await admin.issue_key(user["user_code"])
    _, outbox = await admin.request("GET", "/sim/admin/outbox")
    email = outbox[-1]
    assert (email["from"], email["to"], email["subject"]) == (
        "noreply@school.edu.au",
        "pat@vendor.example",
        "TASS API User Registration",
    )
    assert email["message"] == (
        "Hi Restricted Vendor\n"
        "Below is a link to view your key and secret for the TASS API for:\n"
        "Curlew Creek College\n"
        "Please note that for security reasons, you will only be able to view your key and "
        "secret once. Please store the Key and Secret securely and contact the school if you "
        "require new credentials.\n"
        f"Link: {key['link']}"
    )
    assert PASSPHRASE not in email["message"]


async def test_key_and_secret_are_shown_once(admin: Admin) -> None:
    user = await admin.new_user([{"endpoint": STUDENTS}])
    key = await admin.issue_key(user["user_code"])
    link = f"/sim/keyshare/{key['link_id']}"
    status, page = await admin.request("GET", link)
    assert (status, page["attempts_remaining"]) == (200, 3)
    status, creds = await admin.request("POST", link, {"passphrase": PASSPHRASE})
    assert status == 200
    assert set(creds) == {"clientKey", "clientSecret"}
    assert (await admin.request("POST", link, {"passphrase": PASSPHRASE}))[0] == 410
    _, state = await admin.request("GET", f"/sim/admin/api-users/{user['user_code']}/key")
    assert state["status"] == "User has successfully accessed key."
    assert [h["action"] for h in state["history"]] == [
        "Key/secret generated and email sent",
        "Verification successful",
    ]
    assert await admin.token(creds["clientKey"], creds["clientSecret"])


async def test_three_wrong_passphrases_lock_the_link(admin: Admin) -> None:
    user = await admin.new_user([])
    key = await admin.issue_key(user["user_code"])
    link = f"/sim/keyshare/{key['link_id']}"
    answers = [
        await admin.request("POST", link, {"passphrase": "wrong passphrase!!"}) for _ in range(3)
    ]
    assert [s for s, _ in answers] == [401, 401, 403]
    assert "2 attempts remaining" in answers[0][1]["detail"]
    status, body = await admin.request("POST", link, {"passphrase": PASSPHRASE})
    assert (status, body["detail"]) == (
        403,
        "There have been 3 unsuccessful verification attempts.",
    )
    _, state = await admin.request("GET", f"/sim/admin/api-users/{user['user_code']}/key")
    assert state["status"] == "There have been 3 unsuccessful verification attempts."


async def test_link_expires_after_the_link_expiry_time(admin: Admin) -> None:
    user = await admin.new_user([])
    key = await admin.issue_key(user["user_code"], hours=1)
    await admin.advance(3601)
    status, body = await admin.request(
        "POST", f"/sim/keyshare/{key['link_id']}", {"passphrase": PASSPHRASE}
    )
    assert (status, body["detail"]) == (410, "Verification link has expired.")
    _, state = await admin.request("GET", f"/sim/admin/api-users/{user['user_code']}/key")
    assert state["status"] == "Verification link has expired."
    _, expired = state["history"]
    assert expired["action"] == "Verification expired"
    assert expired["date_time"] == key["link_expiry"]  # stamped at the expiry time (§C.5)
    datetime.strptime(expired["date_time"], "%d/%m/%Y %I:%M %p")


async def test_deleting_a_key_revokes_tokens_and_allows_a_new_one(admin: Admin) -> None:
    user = await admin.new_user([{"endpoint": STUDENTS}])
    token = await admin.token(*await admin.credentials(user["user_code"]))
    path = f"/sim/admin/api-users/{user['user_code']}/key"
    _, state = await admin.request("DELETE", path)
    assert state["status"] == "The user does not currently have a key."
    assert state["history"][-1]["action"] == "Key/secret deleted"
    assert (await admin.request("GET", "/api/01/students", token=token))[0] == 401
    assert (await admin.issue_key(user["user_code"]))["status"].startswith("User has been sent")


# --------------------------------------------------------------------------- audit


async def test_audit_records_every_2026_call_with_error_details(admin: Admin) -> None:
    creds = admin.world.credentials
    token = await admin.token(creds.tass_client_key, creds.tass_client_secret)
    await admin.request("GET", "/api/01/students?$top=2", token=token)
    status, problem = await admin.request("GET", "/api/01/students/none", token=token)
    assert status == 404
    _, errors = await admin.request("GET", "/sim/admin/audit/recent-errors")
    latest = errors[0]
    assert (latest["status"], latest["method"], latest["user_name"]) == (
        404,
        "GET",
        "schoolgraph demo",
    )
    assert latest["endpoint"] == "/api/01/students/none"
    datetime.strptime(latest["request_datetime"], "%Y-%m-%d %H:%M:%S")
    assert latest["request_id"] == problem["traceId"]
    _, details = await admin.request("GET", f"/sim/admin/audit/errors/{latest['request_id']}")
    assert details["endpoint_template"] == STUDENT
    assert details["error_message"] == problem["detail"]
    assert {
        "ip_address",
        "elapsed_ms",
        "request_length",
        "response_length",
        "user_agent",
        "query_parameters",
        "stack_trace",
    } <= set(details)


async def test_analytics_rank_users_and_endpoints(admin: Admin) -> None:
    creds = admin.world.credentials
    token = await admin.token(creds.tass_client_key, creds.tass_client_secret)
    for _ in range(3):
        await admin.request("GET", "/api/01/students?$top=1", token=token)
    await admin.request("GET", "/api/01/campuses", token=token)
    _, users = await admin.request("GET", "/sim/admin/audit/top-users")
    assert users[0] == {"user_code": "APIU0001", "user_name": "schoolgraph demo", "requests": 5}
    _, endpoints = await admin.request("GET", "/sim/admin/audit/top-endpoints?limit=1")
    assert endpoints == [{"endpoint": STUDENTS, "requests": 3}]
    _, stats = await admin.request("GET", "/sim/admin/audit/users/APIU0001/stats")
    first = stats["endpoints"][0]
    assert (first["endpoint"], first["total"]) == (STUDENTS, 3)
    assert set(first["methods"][0]) == {
        "method",
        "count",
        "avg_call_time_ms",
        "data_received_kb",
        "data_sent_kb",
        "last_activity",
    }
    status, stats = await admin.request(
        "GET", "/sim/admin/audit/endpoints/{cmpy_code}/students/stats"
    )
    assert status == 200
    assert stats["users"][0]["requests"] == 3


async def test_audit_log_query_filters_and_limits_the_range(admin: Admin) -> None:
    creds = admin.world.credentials
    token = await admin.token(creds.tass_client_key, creds.tass_client_secret)
    await admin.request("GET", "/api/01/campuses", token=token)
    await admin.request("GET", "/api/09/campuses", token=token)
    _, logs = await admin.request("GET", "/sim/admin/audit/logs?errors_only=true")
    assert [r["status"] for r in logs["records"]] == [403]
    _, logs = await admin.request("GET", "/sim/admin/audit/logs?methods=POST")
    assert [r["endpoint"] for r in logs["records"]] == ["/api/users"]
    _, logs = await admin.request("GET", "/sim/admin/audit/logs?companies=01")
    assert logs["count"] == 1
    status, body = await admin.request(
        "GET", "/sim/admin/audit/logs?date_from=2026-01-01&date_to=2026-03-15"
    )
    assert status == 400
    assert "60 days" in body["detail"]
