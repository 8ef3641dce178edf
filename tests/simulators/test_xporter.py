"""Contract tests for the Xporter on Demand simulator, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web

from schoolgraph.simulators.control import WorldHolder
from schoolgraph.simulators.dataset import World, generate_world
from schoolgraph.simulators.xporter import Authorisation, create_xporter_app

from .conftest import TODAY, ServeApp

STS = "/idaas/sts/STS/GetToken"
NARROW_RP = "narrow.example"
NARROW_SECRET = "narrow-school-secret"
FAILED = "Relying Party not found for estab or secret not correct"
PAUSED = (
    "Authorisation is currently paused while the school finalises the selection of "
    "people they wish to include in this feed."
)
Body = dict[str, Any]


@dataclass
class Xp:
    """One running simulator and a client session pointed at it."""

    http: aiohttp.ClientSession
    base: str
    holder: WorldHolder

    @property
    def world(self) -> World:
        return self.holder.world

    def estab(self, school: int = 0) -> str:
        return self.world.credentials.xporter_schools[school].estab

    async def sts(self, body: Body) -> tuple[int, Body]:
        async with self.http.post(f"{self.base}{STS}", json=body) as r:
            return r.status, await r.json()

    async def token(self, school: int = 0) -> str:
        creds = self.world.credentials
        _, body = await self.sts(
            {
                "estab": creds.xporter_schools[school].estab,
                "relyingParty": creds.xporter_relying_party,
                "password": creds.xporter_schools[school].school_secret,
                "thirdpartyid": "XporterOnDemand",
            }
        )
        token: str = body["token"]
        return token

    async def management_token(self) -> str:
        creds = self.world.credentials
        _, body = await self.sts(
            {
                "estab": "",
                "relyingParty": creds.xporter_relying_party,
                "password": creds.xporter_management_secret,
                "thirdpartyid": "XporterOnDemand",
            }
        )
        token: str = body["token"]
        return token

    async def get(self, path: str, token: str | None, **params: str) -> tuple[int, Body]:
        status, text, _ = await self.get_raw(path, token, **params)
        return status, json.loads(text)

    async def get_raw(
        self, path: str, token: str | None, **params: str
    ) -> tuple[int, str, dict[str, str]]:
        headers = {"Authorization": f"Idaas {token}"} if token else {}
        async with self.http.get(f"{self.base}{path}", headers=headers, params=params) as r:
            return r.status, await r.text(), dict(r.headers)

    async def school(
        self, endpoint: str, token: str, school: int = 0, **params: str
    ) -> tuple[int, Body]:
        return await self.get(f"/api/v1/School/{self.estab(school)}/{endpoint}", token, **params)

    async def sim(self, path: str, body: Body) -> Body:
        async with self.http.post(f"{self.base}{path}", json=body) as r:
            assert r.status == 200, await r.text()
            result: Body = await r.json()
            return result


@pytest.fixture
async def xp(holder: WorldHolder, serve_app: ServeApp) -> AsyncIterator[Xp]:
    narrow = Authorisation(
        NARROW_RP,
        holder.world.credentials.xporter_schools[0].estab,
        NARROW_SECRET,
        frozenset({"StudentLite"}),
    )
    app = create_xporter_app(holder, extra_authorisations=[narrow])
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        yield Xp(http, base, holder)


def _is_error(body: Body) -> bool:
    return body.get("ExceptionMessage") is not None


def _row_hash(row: Body) -> str:
    content = {k: v for k, v in row.items() if k != "RowHash"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest().upper()


# -- STS tokens (§1.2) ------------------------------------------------------------------------


async def test_school_token_has_the_documented_success_body(xp: Xp) -> None:
    creds = xp.world.credentials
    before = datetime.now(UTC)
    status, body = await xp.sts(
        {
            "estab": xp.estab(),
            "relyingParty": creds.xporter_relying_party,
            "password": creds.xporter_schools[0].school_secret,
            "thirdpartyid": "XporterOnDemand",
        }
    )
    assert status == 200
    assert list(body) == [
        "token",
        "expires",
        "Message",
        "ExceptionType",
        "ExceptionMessage",
        "InnerException",
    ]
    assert body["token"] and body["ExceptionMessage"] is None
    assert body["expires"].endswith("Z")
    expires = datetime.fromisoformat(body["expires"][:26] + "+00:00")
    assert abs(expires - before - timedelta(days=5)) < timedelta(seconds=5)


async def test_token_body_keys_match_case_insensitively(xp: Xp) -> None:
    creds = xp.world.credentials
    _, body = await xp.sts(
        {
            "Estab": xp.estab(1),
            "RelyingParty": creds.xporter_relying_party,
            "Password": creds.xporter_schools[1].school_secret,
            "thirdPartyId": creds.xporter_third_party_id,
        }
    )
    assert body["token"]


@pytest.mark.parametrize(
    "change",
    [
        {"password": "wrong"},
        {"relyingParty": "unknown.example"},
        {"thirdpartyid": "Other"},
        {"estab": "1234567"},
    ],
    ids=["bad-secret", "unknown-relying-party", "wrong-third-party", "unknown-estab"],
)
async def test_bad_credentials_get_the_failed_body(xp: Xp, change: Body) -> None:
    creds = xp.world.credentials
    request = {
        "estab": xp.estab(),
        "relyingParty": creds.xporter_relying_party,
        "password": creds.xporter_schools[0].school_secret,
        "thirdpartyid": "XporterOnDemand",
        **change,
    }
    status, body = await xp.sts(request)
    assert status == 200
    assert body == {
        "token": None,
        "expires": "0001-01-01T00:00:00",
        "Message": None,
        "ExceptionType": None,
        "ExceptionMessage": FAILED,
        "InnerException": None,
    }


async def test_one_schools_secret_does_not_open_another_school(xp: Xp) -> None:
    creds = xp.world.credentials
    _, body = await xp.sts(
        {
            "estab": xp.estab(1),
            "relyingParty": creds.xporter_relying_party,
            "password": creds.xporter_schools[0].school_secret,
            "thirdpartyid": "XporterOnDemand",
        }
    )
    assert body["token"] is None and body["ExceptionMessage"] == FAILED


async def test_paused_authorisation_gets_the_paused_body_until_resumed(xp: Xp) -> None:
    token = await xp.token()
    await xp.sim("/__sim/xporter/pause", {"estab": xp.estab()})
    creds = xp.world.credentials
    request = {
        "estab": xp.estab(),
        "relyingParty": creds.xporter_relying_party,
        "password": creds.xporter_schools[0].school_secret,
        "thirdpartyid": "XporterOnDemand",
    }
    _, body = await xp.sts(request)
    assert body == {
        "token": None,
        "expires": "0001-01-01T00:00:00",
        "Message": None,
        "ExceptionType": None,
        "ExceptionMessage": PAUSED,
        "InnerException": None,
    }
    status, data = await xp.school("Students", token, httpstatuscodes="true")
    assert status == 403 and data["ExceptionMessage"] == PAUSED
    await xp.sim("/__sim/xporter/pause", {"estab": xp.estab(), "paused": False})
    _, body = await xp.sts(request)
    assert body["token"]


# -- presenting tokens (§1.3) -----------------------------------------------------------------


async def test_errors_are_http_200_with_an_exception_message_by_default(xp: Xp) -> None:
    status, body = await xp.school("Students", "not-a-token")
    assert status == 200
    assert set(body) == {"Message", "ExceptionType", "ExceptionMessage", "InnerException"}
    assert _is_error(body) and body["InnerException"] is None


@pytest.mark.parametrize(
    ("header", "status"),
    [(None, 401), ("Bearer abc", 401), ("Idaas nope", 401)],
    ids=["missing", "wrong-scheme", "unknown-token"],
)
async def test_bad_authorization_is_401_with_httpstatuscodes(
    xp: Xp, header: str | None, status: int
) -> None:
    headers = {"Authorization": header} if header else {}
    url = f"{xp.base}/api/v1/School/{xp.estab()}/Students"
    async with xp.http.get(url, headers=headers, params={"httpstatuscodes": "true"}) as r:
        assert r.status == status
        assert _is_error(await r.json())


async def test_a_token_for_one_school_cannot_read_another(xp: Xp) -> None:
    token = await xp.token(0)
    status, body = await xp.school("Students", token, school=1)
    assert status == 200 and _is_error(body)
    status, body = await xp.school("Students", token, school=1, httpstatuscodes="true")
    assert status == 403 and xp.estab(1) in body["ExceptionMessage"]


async def test_token_expires_after_five_days_on_the_simulator_clock(xp: Xp) -> None:
    token = await xp.token()
    status, _ = await xp.school("Health", token, httpstatuscodes="true")
    assert status == 200
    await xp.sim("/__sim/clock", {"advance_seconds": 5 * 86400 + 1})
    status, body = await xp.school("Health", token, httpstatuscodes="true")
    assert status == 401 and "expired" in body["ExceptionMessage"]


async def test_token_lifetime_fault_shortens_expires(xp: Xp) -> None:
    await xp.sim("/__sim/faults", {"token_lifetime_seconds": 30})
    token = await xp.token()
    status, _ = await xp.school("Health", token, httpstatuscodes="true")
    assert status == 200
    await xp.sim("/__sim/clock", {"advance_seconds": 31})
    status, _ = await xp.school("Health", token, httpstatuscodes="true")
    assert status == 401


async def test_missing_endpoint_scope_is_refused(xp: Xp) -> None:
    _, body = await xp.sts(
        {
            "estab": xp.estab(),
            "relyingParty": NARROW_RP,
            "password": NARROW_SECRET,
            "thirdpartyid": "XporterOnDemand",
        }
    )
    status, data = await xp.school("Staff", body["token"], httpstatuscodes="true")
    assert status == 403 and "Staff or StaffLite" in data["ExceptionMessage"]


async def test_management_token_reads_health_but_not_school_data(xp: Xp) -> None:
    token = await xp.management_token()
    status, body = await xp.school("Students", token, httpstatuscodes="true")
    assert status == 403 and "management token" in body["ExceptionMessage"]
    status, body = await xp.school("Health", token, estab=xp.estab(1))
    assert status == 200
    assert body["health"] == [
        {"Estab": xp.estab(1), "SchoolDataStatus": "ok", "SchoolDataAgeDays": 0, "XodStatus": "ok"}
    ]


async def test_token_details_and_scopes_describe_the_token(xp: Xp) -> None:
    token = await xp.token()
    _, details = await xp.get("/api/v1/TokenDetails", token)
    assert details["Estab"] == xp.estab()
    assert details["RelyingParty"] == xp.world.credentials.xporter_relying_party
    assert {"Student", "Staff", "Contact", "School", "Attendance"} <= set(details["Scopes"])
    assert details["ExceptionMessage"] is None
    _, scopes = await xp.get("/api/v1/Scopes", token)
    names = [s["Name"] for s in scopes["Scopes"]]
    assert names == details["Scopes"]
    assert scopes["Scopes"][0].keys() == {"Name", "Category", "Description"}


async def test_get_xod_schools_lists_authorised_pending_and_revoked(xp: Xp) -> None:
    rp = xp.world.credentials.xporter_relying_party
    await xp.sim("/__sim/xporter/pause", {"estab": xp.estab(1)})
    token = await xp.management_token()
    _, body = await xp.get("/api/XporterOnDemand/GetXodSchools", token)
    assert list(body) == ["Authorised", "Revoked", "PendingAuthorisation"]
    assert [s["estab"] for s in body["Authorised"]] == [xp.estab(0)]
    assert body["PendingAuthorisation"] == []
    assert "Student" in body["Authorised"][0]["scopesAuthorised"].split(",")
    _, body = await xp.get(
        "/api/XporterOnDemand/GetXodSchools", token, includePendingAuthorisation="true"
    )
    assert [s["estab"] for s in body["PendingAuthorisation"]] == [xp.estab(1)]
    await xp.sim(
        "/__sim/xporter/authorisations", {"relyingParty": rp, "estab": xp.estab(0), "revoked": True}
    )
    _, body = await xp.get("/api/XporterOnDemand/GetXodSchools", token, estab=xp.estab(0))
    assert body["Authorised"] == [] and [s["estab"] for s in body["Revoked"]] == [xp.estab(0)]


async def test_get_xod_schools_needs_a_management_token(xp: Xp) -> None:
    status, body = await xp.get(
        "/api/XporterOnDemand/GetXodSchools", await xp.token(), httpstatuscodes="true"
    )
    assert status == 403 and _is_error(body)


async def test_reset_forgets_tokens_and_restores_authorisations(xp: Xp) -> None:
    token = await xp.token()
    await xp.sim("/__sim/xporter/pause", {"estab": xp.estab()})
    await xp.sim("/__sim/reset", {})
    status, _ = await xp.school("Health", token, httpstatuscodes="true")
    assert status == 401
    assert await xp.token()


# -- envelope, formats, RowHash (§2.2, §2.3) --------------------------------------------------


async def test_students_envelope_has_named_tables_meta_and_pagination(xp: Xp) -> None:
    token = await xp.token()
    status, body = await xp.school("Students", token)
    assert status == 200
    assert list(body) == ["Students", "StudentSiblings", "meta", "__pagination__"]
    school = xp.world.school_by_code(xp.estab())
    assert school is not None
    on_roll = sorted(s.id for s in xp.world.students_of(school.id))
    assert [r["Id"] for r in body["Students"]] == [str(i) for i in on_roll]
    assert body["meta"][0].keys() == {"Id", "MIS", "Version", "DateTime"}
    assert body["__pagination__"] == [
        {
            "PageSize": 100011,
            "PageNumber": 1,
            "PageCount": 1,
            "RowCount": len(on_roll),
            "NextPage": "?page=2&pageSize=100011",
        }
    ]


async def test_ids_are_strings_flags_ints_and_timestamps_local_without_offset(xp: Xp) -> None:
    _, body = await xp.school("Students", await xp.token(), pageSize="1")
    row = body["Students"][0]
    assert isinstance(row["Id"], str) and isinstance(row["RegGroupId"], str)
    assert row["Boarder"] in (0, 1) and row["IdaasId"] == f"PL-{row['Id']}"
    student = xp.world.students[int(row["Id"])]
    local = student.updated_at.astimezone(ZoneInfo("Europe/London")).replace(tzinfo=None)
    assert row["LastUpdated"] == local.isoformat()
    assert "+" not in row["LastUpdated"] and not row["LastUpdated"].endswith("Z")


async def test_row_hash_is_sha1_of_the_visible_row(xp: Xp) -> None:
    token = await xp.token()
    for endpoint, name in (
        ("Students", "Students"),
        ("Staff", "Staff"),
        ("Contacts", "Contacts"),
        ("StudentContacts", "StudentContacts"),
        ("Groups", "Group"),
        ("SchoolInfo", "SchoolInfo"),
    ):
        _, body = await xp.school(endpoint, token, pageSize="3")
        for row in body[name]:
            assert row["RowHash"] == _row_hash(row), endpoint
            assert len(row["RowHash"]) == 40


async def test_row_hash_changes_exactly_for_the_mutated_row(xp: Xp) -> None:
    token = await xp.token()
    _, before = await xp.school("Staff", token)
    victim = int(before["Staff"][4]["Id"])
    await xp.sim("/__sim/mutate", {"table": "staff", "action": "update", "ids": [victim]})
    _, after = await xp.school("Staff", token)
    changed = [
        a["Id"]
        for a, b in zip(after["Staff"], before["Staff"], strict=True)
        if a["RowHash"] != b["RowHash"]
    ]
    assert changed == [str(victim)]


async def test_same_world_gives_the_same_bytes(serve_app: ServeApp) -> None:
    bodies: list[list[str]] = []
    for _ in range(2):
        holder = WorldHolder(generate_world(7, "small", TODAY))
        async with serve_app(create_xporter_app(holder)) as base, aiohttp.ClientSession() as http:
            xp = Xp(http, base, holder)
            token = await xp.token()
            texts = []
            for endpoint, params in (
                ("Students", {}),
                ("Staff", {}),
                ("Contacts", {}),
                ("StudentContacts", {}),
                ("Groups", {"includeStudentMembers": "true", "includeStaffMembers": "true"}),
                ("Timetable", {"includeLessons": "true", "includeLessonStaff": "true"}),
                ("AttendanceForDateRange", {"DateFrom": "2026-11-16", "DateTo": "2026-11-20"}),
                ("SchoolInfo", {}),
            ):
                _, text, _ = await xp.get_raw(
                    f"/api/v1/School/{xp.estab()}/{endpoint}", token, **params
                )
                texts.append(text)
            bodies.append(texts)
    assert bodies[0] == bodies[1]


# -- paths, parameters, pagination, select (§2.1) ---------------------------------------------


async def test_id_works_as_path_segment_and_query_parameter(xp: Xp) -> None:
    token = await xp.token()
    _, listing = await xp.school("Students", token, pageSize="2")
    wanted = listing["Students"][1]["Id"]
    _, by_path = await xp.school(f"Students/{wanted}", token)
    _, by_query = await xp.school("Students", token, id=wanted)
    assert [r["Id"] for r in by_path["Students"]] == [wanted]
    assert by_path == by_query


async def test_endpoint_and_parameter_names_are_case_insensitive(xp: Xp) -> None:
    token = await xp.token()
    _, canonical = await xp.school("Students", token, page="2", pageSize="5")
    _, shouting = await xp.school("STUDENTS/", token, PAGE="2", pagesize="5")
    assert shouting == canonical


async def test_pagination_edges(xp: Xp) -> None:
    token = await xp.token()
    _, full = await xp.school("Staff", token)
    total = len(full["Staff"])
    _, last = await xp.school("Staff", token, page="3", pageSize="5")
    assert [r["Id"] for r in last["Staff"]] == [r["Id"] for r in full["Staff"][10:15]]
    assert last["__pagination__"][0] == {
        "PageSize": 5,
        "PageNumber": 3,
        "PageCount": 3,
        "RowCount": total,
        "NextPage": "?page=4&pageSize=5",
    }
    _, beyond = await xp.school("Staff", token, page="9", pageSize="5")
    assert beyond["Staff"] == [] and beyond["__pagination__"][0]["PageCount"] == 3
    _, capped = await xp.school("Staff", token, pageSize="999999")
    assert capped["__pagination__"][0]["PageSize"] == 100011
    status, bad = await xp.school("Staff", token, page="0", httpstatuscodes="true")
    assert status == 400 and "page" in bad["ExceptionMessage"]


async def test_options_csv_and_individual_switches_agree(xp: Xp) -> None:
    token = await xp.token()
    _, csv = await xp.school("Students", token, options="includeGroupIds,includeSiblingsList")
    _, single = await xp.school("Students", token, includeGroupIds="true", includeSiblingsList="1")
    assert csv == single
    assert "GroupIds" in csv["Students"][0] and "StudentSiblingIds" in csv["Students"][0]
    _, plain = await xp.school("Students", token)
    assert "GroupIds" not in plain["Students"][0]


async def test_select_picks_and_renames_columns(xp: Xp) -> None:
    token = await xp.token()
    _, body = await xp.school("Students", token, select="DisplayName as Name,RegGroup as Form,id")
    assert list(body["Students"][0]) == ["Name", "Form", "Id"]
    status, bad = await xp.school("Students", token, select="Nope", httpstatuscodes="true")
    assert status == 400 and "Nope" in bad["ExceptionMessage"]


async def test_updated_since_returns_rows_changed_after_the_date(xp: Xp) -> None:
    token = await xp.token()
    _, before = await xp.school("Contacts", token, updatedSince=TODAY.isoformat())
    assert before["Contacts"] == []
    result = await xp.sim(
        "/__sim/mutate", {"table": "contacts", "action": "update", "count": 2, "school": xp.estab()}
    )
    _, after = await xp.school("Contacts", token, updatedSince="2026-01-01")
    _, since = await xp.school("Contacts", token, updatedSince=TODAY.isoformat())
    assert len(after["Contacts"]) > 2
    assert sorted(r["Id"] for r in since["Contacts"]) == sorted(str(i) for i in result["ids"])


async def test_unknown_endpoint_gets_the_error_envelope(xp: Xp) -> None:
    token = await xp.token()
    status, body = await xp.school("NoSuchThing", token)
    assert status == 200 and _is_error(body)
    status, body = await xp.school("NoSuchThing", token, httpstatuscodes="true")
    assert status == 404 and "NoSuchThing" in body["ExceptionMessage"]


# -- consent scopes (§2.6) --------------------------------------------------------------------


async def test_columns_outside_the_granted_scopes_are_not_returned(xp: Xp) -> None:
    _, sts = await xp.sts(
        {
            "estab": xp.estab(),
            "relyingParty": NARROW_RP,
            "password": NARROW_SECRET,
            "thirdpartyid": "XporterOnDemand",
        }
    )
    _, narrow = await xp.school("Students", sts["token"], options="includeGroupIds")
    _, demo = await xp.school("Students", await xp.token())
    lite = {
        "Id",
        "ExternalId",
        "IdaasId",
        "Forename",
        "Surname",
        "DisplayName",
        "Gender",
        "RegGroupId",
        "RegGroup",
        "YearGroupId",
        "YearGroup",
        "StandardYearGroupCode",
        "StandardYearGroupName",
        "HouseGroupId",
        "HouseGroup",
        "WorkEmail",
        "IdaasEmail",
        "EnrolmentStatus",
        "LastUpdated",
        "RowHash",
    }
    assert set(narrow["Students"][0]) == lite  # GroupIds needs School, which is not granted
    assert {"DateOfBirth", "UPN", "AdmissionNo", "PostCode"} <= set(demo["Students"][0])
    assert "QuickNote" not in demo["Students"][0]  # StudentFreeText is not in the demo grant
    assert narrow["Students"][0]["RowHash"] == _row_hash(narrow["Students"][0])


async def test_a_narrower_grant_can_be_created_through_the_sim_route(xp: Xp) -> None:
    await xp.sim(
        "/__sim/xporter/authorisations",
        {
            "relyingParty": "staff-only.example",
            "estab": xp.estab(1),
            "schoolSecret": "s3cret",
            "scopes": ["StaffLite"],
        },
    )
    _, sts = await xp.sts(
        {
            "estab": xp.estab(1),
            "relyingParty": "staff-only.example",
            "password": "s3cret",
            "thirdpartyid": "XporterOnDemand",
        }
    )
    token = sts["token"]
    _, staff = await xp.school("Staff", token, school=1)
    assert "PayrollNumber" not in staff["Staff"][0] and "RegGroup" not in staff["Staff"][0]
    assert staff["Staff"][0]["StaffCode"]
    status, body = await xp.school("Students", token, school=1, httpstatuscodes="true")
    assert status == 403 and _is_error(body)


# -- endpoints (§4) ---------------------------------------------------------------------------


async def test_groups_map_world_kinds_to_xporter_types(xp: Xp) -> None:
    token = await xp.token()
    _, body = await xp.school("Groups", token)
    assert {g["Type"] for g in body["Group"]} == {"YearGrp", "RegGrp", "HouseGrp", "TeachingGrp"}
    _, some = await xp.school("Groups", token, Type="YearGrp,RegGrp")
    assert {g["Type"] for g in some["Group"]} == {"YearGrp", "RegGrp"}
    school = xp.world.school_by_code(xp.estab())
    assert school is not None
    years = xp.world.groups_of(school.id, type="year")
    assert sorted(g["Id"] for g in some["Group"] if g["Type"] == "YearGrp") == sorted(
        str(g.id) for g in years
    )


async def test_group_member_options_link_back_to_students_and_staff(xp: Xp) -> None:
    token = await xp.token()
    _, body = await xp.school(
        "Groups",
        token,
        Type="TeachingGrp",
        includeStudentMembers="true",
        includeStaffMembers="true",
        includeMembersIds="true",
    )
    group = body["Group"][0]
    members = [m for m in body["StudentMembers"] if m["GroupId"] == group["Id"]]
    assert sorted(m["StudentId"] for m in members) == sorted(group["StudentIds"].split(","))
    assert len(members) == group["NumStudents"]
    assert members[0]["Id"] == f"GC-{group['Id']}.PL-{members[0]['StudentId']}"
    _, students = await xp.school("Students", token)
    known = {s["Id"] for s in students["Students"]}
    assert {m["StudentId"] for m in body["StudentMembers"]} <= known
    staff = [m for m in body["StaffMembers"] if m["GroupId"] == group["Id"]]
    assert staff[0]["StaffId"] == group["PrimaryStaffId"] == group["StaffIds"].split(",")[0]
    _, plain = await xp.school("Groups", token)
    assert plain["StudentMembers"] == [] and "StudentIds" not in plain["Group"][0]


async def test_contacts_and_student_contacts_join(xp: Xp) -> None:
    token = await xp.token()
    _, contacts = await xp.school("Contacts", token)
    _, links = await xp.school("StudentContacts", token)
    contact_ids = {c["Id"] for c in contacts["Contacts"]}
    assert {link["ContactId"] for link in links["StudentContacts"]} == contact_ids
    first = links["StudentContacts"][0]
    assert first["Id"] == f"PL-{first['StudentId']}.PC-{first['ContactId']}"
    _, mine = await xp.school("StudentContacts", token, id=first["StudentId"])
    assert {link["StudentId"] for link in mine["StudentContacts"]} == {first["StudentId"]}


async def test_per_student_reads_hold_that_student_only(xp: Xp) -> None:
    token = await xp.token()
    _, links = await xp.school("StudentContacts", token)
    student_id = links["StudentContacts"][0]["StudentId"]
    theirs = [link for link in links["StudentContacts"] if link["StudentId"] == student_id]
    _, by_path = await xp.school(f"StudentContacts/{student_id}", token)
    _, by_param = await xp.school("StudentContacts", token, id=student_id)
    assert by_path["StudentContacts"] == by_param["StudentContacts"] == theirs

    contact_id = theirs[0]["ContactId"]
    _, contact = await xp.school(f"Contacts/{contact_id}", token)
    assert [c["Id"] for c in contact["Contacts"]] == [contact_id]

    _, student = await xp.school(f"Students/{student_id}", token, options="includeGroupIds")
    group_ids = set(student["Students"][0]["GroupIds"].split(","))
    _, groups = await xp.school("Groups", token, options="includeMembersIds")
    assert group_ids == {
        g["Id"] for g in groups["Group"] if student_id in (g["StudentIds"] or "").split(",")
    }

    monday, sunday = "2026-11-23", "2026-11-29"
    _, school = await xp.school(
        "Timetable", token, includeLessons="true", DateFrom=monday, DateTo=sunday
    )
    _, mine = await xp.school(
        f"TimetableForStudent/{student_id}", token, DateFrom=monday, DateTo=sunday
    )
    expected = {r["PeriodId"] for r in school["Lessons"] if r["ClassId"] in group_ids}
    assert expected and {r["Id"] for r in mine["Timetable"]} == expected


@pytest.mark.parametrize(
    "endpoint", ["StudentContacts", "Contacts", "TimetableForStudent", "Students", "Groups"]
)
async def test_an_unknown_id_answers_an_empty_table(xp: Xp, endpoint: str) -> None:
    status, body = await xp.school(f"{endpoint}/999999999", await xp.token())
    tables = [rows for name, rows in body.items() if name not in ("meta", "__pagination__")]
    assert status == 200 and not _is_error(body) and tables and all(t == [] for t in tables)


async def test_timetable_is_empty_unless_an_option_is_set(xp: Xp) -> None:
    token = await xp.token()
    _, empty = await xp.school("Timetable", token)
    assert empty["Lessons"] == [] and empty["LessonStaff"] == [] and empty["LessonRooms"] == []
    _, body = await xp.school(
        "Timetable",
        token,
        includeLessons="true",
        includeLessonStaff="true",
        DateFrom="2026-11-23",
        DateTo="2026-11-23",
    )
    school = xp.world.school_by_code(xp.estab())
    assert school is not None
    lessons = xp.world.lessons(school.id, TODAY, TODAY)
    assert len(body["Lessons"]) == len(lessons)
    first = body["Lessons"][0]
    assert first["StartDateTime"].startswith("2026-11-23T") and len(first["StartDateTime"]) == 19
    assert {s["LessonId"] for s in body["LessonStaff"]} == {r["Id"] for r in body["Lessons"]}


async def test_timetable_for_staff_and_student(xp: Xp) -> None:
    token = await xp.token()
    status, body = await xp.school("TimetableForStaff", token, httpstatuscodes="true")
    assert status == 400 and "Id" in body["ExceptionMessage"]
    school = xp.world.school_by_code(xp.estab())
    assert school is not None
    teacher = next(
        s for s in sorted(xp.world.staff_of(school.id), key=lambda s: s.id) if s.role == "teacher"
    )
    _, staff = await xp.school(
        f"TimetableForStaff/{teacher.id}", token, DateFrom="2026-11-16", DateTo="2026-11-20"
    )
    expected = xp.world.lessons(
        school.id, date(2026, 11, 16), date(2026, 11, 20), staff_id=teacher.id
    )
    assert sorted(r["Id"] for r in staff["Timetable"]) == sorted(x.id for x in expected)
    assert all(r["StaffCodes"] == teacher.code for r in staff["Timetable"])
    pupil = min(xp.world.students_of(school.id), key=lambda s: s.id)
    _, student = await xp.school(
        f"TimetableForStudent/{pupil.id}", token, includeTTStructure="true"
    )
    groups = {str(g.id) for g in xp.world.groups_of_student(pupil.id)}
    assert student["Timetable"] and {r["ClassId"] for r in student["Timetable"]} <= groups
    assert student["TimetablePeriods"] and student["Timetables"][0]["DaysPerCycle"] == 5


async def test_attendance_codes_come_from_the_world(xp: Xp) -> None:
    _, body = await xp.school("AttendanceCodes", await xp.token())
    assert sorted(r["Mark"] for r in body["AttendCodes"]) == sorted(
        c.code for c in xp.world.attendance_codes
    )
    assert set(body["AttendCodes"][0]) == {
        "Mark",
        "Description",
        "MeaningDescription",
        "ShortMeaningDescription",
        "PhysicalMeaning",
        "Active",
    }


async def test_attendance_for_date_has_session_and_lesson_marks(xp: Xp) -> None:
    token = await xp.token()
    _, sessions = await xp.school(
        "AttendanceForDate", token, date="2026-11-20", attendanceType="S", sessionType="AM"
    )
    school = xp.world.school_by_code(xp.estab())
    assert school is not None
    pupils = xp.world.students_of(school.id)
    assert len(sessions["AttendMarks"]) == len(pupils)
    mark = sessions["AttendMarks"][0]
    world_mark = xp.world.attendance(
        int(mark["StudentId"]), date(2026, 11, 20), date(2026, 11, 20)
    )[0]
    assert mark["Id"] == world_mark.id and mark["Mark"] == world_mark.code
    assert mark["Type"] == "S" and mark["Session"] == "AM"
    assert sessions["DateRange"] == [{"DateFrom": "2026-11-20", "DateTo": "2026-11-20"}]
    _, lessons = await xp.school("AttendanceForDate", token, date="2026-11-20", attendanceType="L")
    assert lessons["AttendMarks"] and {m["Type"] for m in lessons["AttendMarks"]} == {"L"}
    assert all(m["InstanceId"] for m in lessons["AttendMarks"])


async def test_attendance_for_date_range_needs_both_dates(xp: Xp) -> None:
    token = await xp.token()
    status, body = await xp.school(
        "AttendanceForDateRange", token, DateFrom="2026-11-16", httpstatuscodes="true"
    )
    assert status == 400 and "DateTo" in body["ExceptionMessage"]
    _, body = await xp.school(
        "AttendanceForDateRange",
        token,
        DateFrom="2026-11-16",
        DateTo="2026-11-20",
        sessionType="PM",
    )
    assert body["AttendMarks"] and {m["Session"] for m in body["AttendMarks"]} == {"PM"}
    assert {m["Date"] for m in body["AttendMarks"]} == {f"2026-11-{d}" for d in range(16, 21)}


async def test_school_info_describes_the_estab(xp: Xp) -> None:
    _, body = await xp.school("SchoolInfo", await xp.token())
    assert list(body) == ["SchoolInfo", "Sites", "meta"]
    info = body["SchoolInfo"][0]
    assert info["Id"] == "1" and info["EstabId"] == xp.estab()
    school = xp.world.school_by_code(xp.estab())
    assert school is not None and info["Name"] == school.name


# -- change sets (§2.1, §6.4) -----------------------------------------------------------------


async def test_change_set_round_trip_after_mutate(xp: Xp) -> None:
    token = await xp.token()
    _, start = await xp.school("Students", token, changedRows="*")
    first = start["__changedRows__"][0]
    assert first["PreviousChangedRows"] == "*" and first["RequestedChangedRows"] == "*"
    assert len(first["NextChangedRows"]) == 32
    assert "Students_deleted" not in start
    ids = [int(r["Id"]) for r in start["Students"]]
    await xp.sim("/__sim/mutate", {"table": "students", "action": "update", "ids": [ids[3]]})
    await xp.sim("/__sim/mutate", {"table": "students", "action": "delete", "ids": [ids[7]]})
    _, changes = await xp.school("Students", token, changedRows=first["NextChangedRows"])
    assert [r["Id"] for r in changes["Students"]] == [str(ids[3])]
    assert changes["Students_deleted"] == [{"Id": str(ids[7])}]
    assert changes["StudentSiblings_deleted"] == []
    assert list(changes) == [
        "Students",
        "StudentSiblings",
        "meta",
        "Students_deleted",
        "StudentSiblings_deleted",
        "__pagination__",
        "__changedRows__",
    ]
    second = changes["__changedRows__"][0]
    assert second["RequestedChangedRows"] == first["NextChangedRows"]
    assert second["NextChangedRows"] != first["NextChangedRows"]
    assert second["SnapshotRP"] == xp.world.credentials.xporter_relying_party
    _, quiet = await xp.school("Students", token, changedRows=second["NextChangedRows"])
    assert quiet["Students"] == [] and quiet["Students_deleted"] == []
    assert quiet["__changedRows__"][0]["NextChangedRows"] == second["NextChangedRows"]


async def test_deleting_a_student_removes_its_memberships_in_the_change_set(xp: Xp) -> None:
    token = await xp.token()
    _, start = await xp.school("Groups", token, includeStudentMembers="true", changedRows="*")
    victim = start["StudentMembers"][0]["StudentId"]
    await xp.sim("/__sim/mutate", {"table": "students", "action": "delete", "ids": [int(victim)]})
    _, changes = await xp.school(
        "Groups",
        token,
        includeStudentMembers="true",
        changedRows=start["__changedRows__"][0]["NextChangedRows"],
    )
    gone = {d["Id"] for d in changes["StudentMembers_deleted"]}
    assert gone == {m["Id"] for m in start["StudentMembers"] if m["StudentId"] == victim}
    assert changes["StudentMembers"] == []
    assert {g["Id"] for g in changes["Group"]} == {
        m["GroupId"] for m in start["StudentMembers"] if m["StudentId"] == victim
    }


async def test_a_deleted_lesson_is_listed_by_its_lesson_id_not_its_period_id(xp: Xp) -> None:
    # `_deleted` rows carry only `Id` (§2.2); a `Lessons` row's `Id` is the lesson and
    # `PeriodId` the occurrence (§4.7.1).
    token = await xp.token()
    monday, sunday = "2026-11-16", "2026-11-29"
    _, start = await xp.school(
        "Timetable", token, changedRows="*", includeLessons="true", DateFrom=monday, DateTo=sunday
    )
    victim = start["Lessons"][0]
    occurrences = [r for r in start["Lessons"] if r["Id"] == victim["Id"]]
    assert victim["PeriodId"] != victim["Id"] and len(occurrences) == 2  # one a week
    await xp.sim(
        "/__sim/mutate", {"table": "timetable", "action": "delete", "ids": [int(victim["Id"])]}
    )

    _, changes = await xp.school(
        "Timetable",
        token,
        changedRows=start["__changedRows__"][0]["NextChangedRows"],
        includeLessons="true",
        DateFrom=monday,
        DateTo=sunday,
    )

    assert changes["Lessons_deleted"] == [{"Id": victim["Id"]}, {"Id": victim["Id"]}]
    assert changes["Lessons"] == []


async def test_a_deleted_attendance_code_is_listed_with_a_null_id(xp: Xp) -> None:
    # `AttendCodes` has no `Id` (its natural key is `Mark`, §4.8.1), and a `_deleted` row
    # carries only `Id` (§2.2): the mark is not what it carries.
    token = await xp.token()
    _, start = await xp.school("AttendanceCodes", token, changedRows="*")
    gone = start["AttendCodes"][0]["Mark"]
    codes = xp.world.attendance_codes
    xp.world.attendance_codes = tuple(c for c in codes if c.code != gone)
    # The codes are not a mutable table; any change moves the world's revision.
    await xp.sim("/__sim/mutate", {"table": "students", "action": "update"})

    _, changes = await xp.school(
        "AttendanceCodes", token, changedRows=start["__changedRows__"][0]["NextChangedRows"]
    )

    assert changes["AttendCodes_deleted"] == [{"Id": None}]
    assert changes["AttendCodes"] == []


async def test_change_sets_are_paginated_after_the_diff(xp: Xp) -> None:
    token = await xp.token()
    _, start = await xp.school("Staff", token, changedRows="*", pageSize="4")
    assert start["__changedRows__"][0]["NextUrl"].endswith("&page=1&pageSize=4")
    next_token = start["__changedRows__"][0]["NextChangedRows"]
    await xp.sim(
        "/__sim/mutate", {"table": "staff", "action": "update", "count": 6, "school": xp.estab()}
    )
    _, page1 = await xp.school("Staff", token, changedRows=next_token, pageSize="4")
    _, page2 = await xp.school("Staff", token, changedRows=next_token, pageSize="4", page="2")
    assert page1["__pagination__"][0]["RowCount"] == 6
    assert page1["__pagination__"][0]["PageCount"] == 2
    assert len(page1["Staff"]) == 4 and len(page2["Staff"]) == 2


async def test_change_set_tokens_are_per_endpoint_and_must_be_known(xp: Xp) -> None:
    token = await xp.token()
    _, start = await xp.school("Staff", token, changedRows="*")
    staff_token = start["__changedRows__"][0]["NextChangedRows"]
    status, body = await xp.school(
        "Contacts", token, changedRows=staff_token, httpstatuscodes="true"
    )
    assert status == 400 and "changedRows=*" in body["ExceptionMessage"]
    status, body = await xp.school("Staff", token, changedRows="0" * 32)
    assert status == 200 and _is_error(body)


# -- faults and stats (control plane) ---------------------------------------------------------


async def test_latency_fault_delays_answers(xp: Xp) -> None:
    token = await xp.token()
    await xp.sim("/__sim/faults", {"latency_ms": 150})
    started = time.monotonic()
    status, _ = await xp.school("Health", token)
    assert status == 200 and time.monotonic() - started >= 0.15


async def test_error_rate_fault_answers_with_the_status_and_envelope(xp: Xp) -> None:
    token = await xp.token()
    await xp.sim("/__sim/faults", {"error_rate": 1.0, "error_status": 503})
    status, body = await xp.school("Students", token)
    assert status == 503 and body["ExceptionMessage"] == "Injected fault."


async def test_hang_fault_times_the_client_out(xp: Xp) -> None:
    token = await xp.token()
    await xp.sim("/__sim/faults", {"hang": True})
    url = f"{xp.base}/api/v1/School/{xp.estab()}/Health"
    with pytest.raises(asyncio.TimeoutError):
        async with xp.http.get(
            url,
            headers={"Authorization": f"Idaas {token}"},
            timeout=aiohttp.ClientTimeout(total=0.3),
        ):
            pass
    await xp.sim("/__sim/faults", {"clear": True})
    status, _ = await xp.school("Health", token)
    assert status == 200


async def test_rate_limit_fault_answers_429_with_retry_after(xp: Xp) -> None:
    token = await xp.token()
    await xp.sim("/__sim/faults", {"rate_limit_per_minute": 2})
    for _ in range(2):
        status, _ = await xp.school("Health", token)
        assert status == 200
    status, text, headers = await xp.get_raw(f"/api/v1/School/{xp.estab()}/Health", token)
    assert status == 429 and 1 <= int(headers["Retry-After"]) <= 60
    assert "Rate limit" in json.loads(text)["ExceptionMessage"]
    async with xp.http.get(f"{xp.base}/__sim/stats") as r:
        stats = await r.json()
    assert stats["rate_limited"] == 1


async def test_stats_count_requests_by_endpoint_template(xp: Xp) -> None:
    token = await xp.token()
    await xp.school("Students", token)
    await xp.school("Students/123", token)
    await xp.school("Staff", token)
    async with xp.http.get(f"{xp.base}/__sim/stats") as r:
        stats = await r.json()
    routes = {(s["method"], s["route"]): s["count"] for s in stats["routes"]}
    assert routes[("GET", "/api/v1/School/{estab}/Students")] == 1
    assert routes[("GET", "/api/v1/School/{estab}/Students/{id}")] == 1
    assert routes[("GET", "/api/v1/School/{estab}/Staff")] == 1
    assert routes[("POST", STS)] == 1


async def test_app_factory_rejects_unknown_demo_scopes(holder: WorldHolder) -> None:
    with pytest.raises(ValueError, match="Unknown Xporter scopes"):
        create_xporter_app(holder, demo_scopes={"Student", "Timetable"})


def test_app_exposes_a_plain_aiohttp_application(holder: WorldHolder) -> None:
    assert isinstance(create_xporter_app(holder), web.Application)
