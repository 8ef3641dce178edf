"""The TASS simulator's 2026 face over real HTTP: auth, companies, paging, $filter, writes,
errors, rate limits, faults and stats (tass.md §C, §D.3, §D.4)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from schoolgraph.simulators.control import WorldHolder
from schoolgraph.simulators.dataset import World, generate_world
from schoolgraph.simulators.tass import TassConfig, company_names, create_tass_app

from .conftest import ServeApp

PROBLEM_KEYS = {"type", "title", "status", "detail", "traceId", "message"}


@dataclass
class Tass:
    base: str
    http: aiohttp.ClientSession
    world: World

    async def token(self, key: str | None = None, secret: str | None = None) -> str:
        creds = self.world.credentials
        async with self.http.post(
            f"{self.base}/api/users",
            json={
                "clientKey": key or creds.tass_client_key,
                "clientSecret": secret or creds.tass_client_secret,
            },
        ) as r:
            assert r.status == 200, await r.text()
            body = await r.json()
        token: str = body["token"]
        return token

    async def call(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> tuple[int, Any, dict[str, str]]:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        async with self.http.request(method, f"{self.base}{path}", headers=headers, **kwargs) as r:
            body = await r.json(content_type=None) if r.status != 204 else None
            return r.status, body, dict(r.headers)

    async def get(
        self, path: str, token: str | None = None, **params: str
    ) -> tuple[int, Any, dict[str, str]]:
        return await self.call("GET", path, token, params=params)

    async def sim(self, path: str, body: dict[str, Any]) -> Any:
        async with self.http.post(f"{self.base}/__sim/{path}", json=body) as r:
            assert r.status == 200, await r.text()
            return await r.json()


@pytest.fixture
async def tass(holder: WorldHolder, serve_app: ServeApp) -> AsyncIterator[Tass]:
    app = create_tass_app(holder)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        yield Tass(base, http, holder.world)


def _is_problem(body: Any, status: int) -> None:
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"].startswith("https://tools.ietf.org/html/")


async def _ensure_clock_after(tass: Tass, moment: datetime) -> None:
    """Move the simulator clock past `moment` (the world's stamps may be in the future)."""
    lag = (moment - datetime.now(UTC)).total_seconds()
    if lag >= 0:
        await tass.sim("clock", {"advance_seconds": lag + 3600})


# --------------------------------------------------------------------------- authentication


async def test_authenticate_returns_token_expiry_and_allowed_companies(tass: Tass) -> None:
    creds = tass.world.credentials
    status, body, _ = await tass.call(
        "POST",
        "/api/users",
        json={"clientKey": creds.tass_client_key, "clientSecret": creds.tass_client_secret},
    )
    assert status == 200
    assert set(body) == {"token", "token_expiry_date", "allowed_companies"}
    assert [c["cmpy_code"] for c in body["allowed_companies"]] == list(creds.tass_company_codes)
    expiry = datetime.fromisoformat(body["token_expiry_date"])
    assert expiry.tzinfo is None  # school-local, no offset (tass.md §D.3)
    expected = (
        (datetime.now(UTC) + timedelta(minutes=15))
        .astimezone(ZoneInfo("Australia/Brisbane"))
        .replace(tzinfo=None)
    )
    assert abs(expiry - expected) < timedelta(seconds=30)


async def test_bad_secret_is_401_problem_with_www_authenticate(tass: Tass) -> None:
    status, body, headers = await tass.call(
        "POST",
        "/api/users",
        json={"clientKey": tass.world.credentials.tass_client_key, "clientSecret": "wrong"},
    )
    assert status == 401
    _is_problem(body, 401)
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert headers["Content-Type"].startswith("application/problem+json")


async def test_missing_key_fields_are_400_with_errors(tass: Tass) -> None:
    status, body, _ = await tass.call("POST", "/api/users", json={"clientKey": "x"})
    assert status == 400
    assert set(body["errors"]) == {"clientSecret"}


async def test_authenticate_only_accepts_post(tass: Tass) -> None:
    status, _, headers = await tass.get("/api/users")
    assert status == 405
    assert headers["Allow"] == "POST"


async def test_missing_and_unknown_bearer_are_401(tass: Tass) -> None:
    assert (await tass.get("/api/01/students"))[0] == 401
    status, body, _ = await tass.get("/api/01/students", "not-a-token")
    assert status == 401
    _is_problem(body, 401)


async def test_token_expires_after_15_minutes_on_the_sim_clock(tass: Tass) -> None:
    token = await tass.token()
    await tass.sim("clock", {"advance_seconds": 14 * 60})
    assert (await tass.get("/api/01/students", token))[0] == 200
    await tass.sim("clock", {"advance_seconds": 61})
    status, body, headers = await tass.get("/api/01/students", token)
    assert status == 401
    assert "expired" in body["detail"]
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]


async def test_token_lifetime_fault_shortens_tokens(tass: Tass) -> None:
    await tass.sim("faults", {"token_lifetime_seconds": 5})
    token = await tass.token()
    await tass.sim("clock", {"advance_seconds": 6})
    assert (await tass.get("/api/01/students", token))[0] == 401


def test_company_names_give_company_02_its_own_name(small_world: World) -> None:
    assert company_names(small_world) == {
        "01": "Curlew Creek College",
        "02": "Curlew Creek College Foundation",
    }


async def test_company_not_assigned_is_403_and_company_02_is_empty(tass: Tass) -> None:
    token = await tass.token()
    status, body, _ = await tass.get("/api/03/students", token)
    assert status == 403
    assert "03" in body["detail"]
    status, body, _ = await tass.get("/api/02/students", token)
    assert (status, body) == (200, [])


# --------------------------------------------------------------------------- records and paging


async def test_student_record_has_the_observed_2026_fields(tass: Tass) -> None:
    token = await tass.token()
    status, rows, _ = await tass.get("/api/01/students", token, **{"$top": "1"})
    assert status == 200
    assert list(rows[0]) == [
        "stud_code",
        "stud_id",
        "cmpy_code",
        "surname",
        "preferred_surname",
        "first_name",
        "preferred_name",
        "other_name",
        "e_mail",
        "mob_phone",
        "gender",
        "dob",
        "doe",
        "dol",
        "year_grp",
        "entry_lev",
        "form_cls",
        "pctut_grp",
        "house",
        "campus_code",
        "par_code",
        "multipar_flg",
        "sms_flg",
        "boarder",
        "distance_ed",
        "ffpos",
        "privacy_flg",
        "web_access_ind",
        "fte",
        "next_yr_ind",
        "religion",
        "resident_sts",
        "prev_school",
        "alt_id",
        "ceider",
        "usi",
        "stud_govt_id",
        "idm_id",
        "compare_flg",
        "date_arrival",
        "visa_expiry",
        "visa_subclass",
        "update_on",
    ]
    row = rows[0]
    school = next(s for s in tass.world.schools.values() if s.system == "tass")
    first = min(
        (s for s in tass.world.students.values() if s.school_id == school.id), key=lambda s: s.id
    )
    assert row["stud_code"] == first.code
    assert row["cmpy_code"] == "01"
    assert row["dob"] == f"{first.date_of_birth.isoformat()}T00:00:00"
    assert row["house"] in {"KNGR", "KOAL", "EMU", "WMBT"}
    assert row["campus_code"] in {"SE", "JU"}
    datetime.fromisoformat(row["update_on"])


async def test_pages_concatenate_to_the_whole_sorted_list(tass: Tass) -> None:
    token = await tass.token()
    _, everything, _ = await tass.get("/api/01/students", token, **{"$top": "1000"})
    pages: list[dict[str, Any]] = []
    skip = 0
    while True:
        _, page, _ = await tass.get("/api/01/students", token, **{"$top": "10", "$skip": str(skip)})
        pages += page
        if len(page) < 10:
            break
        skip += 10
    assert pages == everything
    codes = [r["stud_code"] for r in everything]
    assert len(codes) == len(set(codes)) == 48


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"$top": "0"}, 0, id="top-zero"),
        pytest.param({"$skip": "48"}, 0, id="skip-past-end"),
        pytest.param({"$skip": "45", "$top": "10"}, 3, id="last-partial-page"),
        pytest.param({}, 48, id="default-top-100"),
    ],
)
async def test_paging_edges(tass: Tass, params: dict[str, str], expected: int) -> None:
    token = await tass.token()
    status, rows, _ = await tass.get("/api/01/students", token, **params)
    assert status == 200
    assert len(rows) == expected


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"$top": "1001"}, id="top-over-max"),
        pytest.param({"$top": "-1"}, id="negative-top"),
        pytest.param({"$skip": "x"}, id="skip-not-int"),
        pytest.param({"$filter": "year_grp eq"}, id="filter-syntax"),
        pytest.param({"$filter": "shoe_size eq 9"}, id="filter-unknown-property"),
    ],
)
async def test_bad_odata_options_are_400(tass: Tass, params: dict[str, str]) -> None:
    token = await tass.token()
    status, body, _ = await tass.get("/api/01/students", token, **params)
    assert status == 400
    _is_problem(body, 400)
    assert body["errors"]


@pytest.mark.parametrize(
    ("top_over_max", "status", "rows"),
    [
        pytest.param("refuse", 400, None, id="refuse"),
        pytest.param("cap", 200, 20, id="cap-silently"),
    ],
)
async def test_a_top_over_the_configured_max_is_refused_or_capped(
    holder: WorldHolder,
    serve_app: ServeApp,
    top_over_max: Literal["refuse", "cap"],
    status: int,
    rows: int | None,
) -> None:
    config = TassConfig(max_top=20, top_over_max=top_over_max)
    app = create_tass_app(holder, config=config)
    async with serve_app(app) as base, aiohttp.ClientSession() as http:
        tass = Tass(base, http, holder.world)
        token = await tass.token()
        answer, body, _ = await tass.get("/api/01/students", token, **{"$top": "1000"})
        assert answer == status
        if rows is None:
            assert "The limit of '20' for Top query has been exceeded" in body["detail"]
        else:
            assert len(body) == rows
            _, tail, _ = await tass.get(
                "/api/01/students", token, **{"$top": "1000", "$skip": "40"}
            )
            assert len(tail) == 8  # 48 students, 20 a page at most
        _, within, _ = await tass.get("/api/01/students", token, **{"$top": "20"})
        assert len(within) == 20


async def test_filter_current_students_like_the_3p_client(tass: Tass) -> None:
    token = await tass.token()
    day = tass.world.today.isoformat()
    _, rows, _ = await tass.get(
        "/api/01/students",
        token,
        **{"$filter": f"doe le {day} and (dol ge {day} or dol eq null)", "$top": "1000"},
    )
    assert len(rows) == 48
    _, year8, _ = await tass.get(
        "/api/01/students", token, **{"$filter": "year_grp eq 8 and gender eq 'F'"}
    )
    assert year8
    assert all(r["year_grp"] == 8 and r["gender"] == "F" for r in year8)


async def test_update_on_filter_returns_only_rows_changed_after_a_mutate(tass: Tass) -> None:
    token = await tass.token()
    _, rows, _ = await tass.get("/api/01/students", token, **{"$top": "1000"})
    high_water = max(r["update_on"] for r in rows)
    await _ensure_clock_after(tass, max(s.updated_at for s in tass.world.students.values()))
    changed = await tass.sim(
        "mutate", {"table": "students", "action": "update", "count": 2, "school": "01"}
    )
    _, delta, _ = await tass.get(
        "/api/01/students", token, **{"$filter": f"update_on gt {high_water}"}
    )
    codes = {tass.world.students[i].code for i in changed["ids"]}
    assert {r["stud_code"] for r in delta} == codes
    assert all(
        r["mob_phone"] == tass.world.students[i].mobile
        for i in changed["ids"]
        for r in delta
        if r["stud_code"] == tass.world.students[i].code
    )


async def test_item_lookup_and_404(tass: Tass) -> None:
    token = await tass.token()
    _, rows, _ = await tass.get("/api/01/students", token, **{"$top": "1"})
    code = rows[0]["stud_code"]
    status, row, _ = await tass.get(f"/api/01/students/{code}", token)
    assert (status, row) == (200, rows[0])
    status, body, _ = await tass.get("/api/01/students/nope", token)
    assert status == 404
    _is_problem(body, 404)


async def test_unsupported_verb_is_405_with_allow(tass: Tass) -> None:
    token = await tass.token()
    status, body, headers = await tass.call("DELETE", "/api/01/students", token)
    assert status == 405
    assert headers["Allow"] == "GET"
    _is_problem(body, 405)


async def test_unknown_path_is_a_404_problem(tass: Tass) -> None:
    token = await tass.token()
    status, body, _ = await tass.get("/api/01/nothing/here", token)
    assert status == 404
    _is_problem(body, 404)


async def test_every_resource_answers_for_company_01(tass: Tass) -> None:
    token = await tass.token()
    _, students, _ = await tass.get("/api/01/students", token, **{"$top": "1"})
    _, teachers, _ = await tass.get("/api/01/teachers", token, **{"$top": "1"})
    _, staff, _ = await tass.get("/api/01/employees", token, **{"$top": "1"})
    code, tch, emp = students[0]["stud_code"], teachers[0]["teacher_code"], staff[0]["emp_code"]
    paths = [
        f"/api/01/students/{code}/communicationrules",
        f"/api/01/students/{code}/timetable",
        f"/api/01/students/{code}/communicationrules/ec",
        f"/api/01/employees/{emp}",
        f"/api/01/teachers/{tch}",
        f"/api/01/teachers/{tch}/timetable",
        "/api/01/classes",
        "/api/01/timetables",
        "/api/01/timetables/262/calendar",
        "/api/01/absences",
        "/api/01/campuses",
        "/api/01/yeargroups",
        "/api/01/students/communicationrules",
        "/api/01/options/students/houses",
        "/api/01/options/students/pctutorgroups",
        "/api/01/options/students/communicationrules/types",
        "/api/01/options/employees/titles",
        "/api/01/options/students/udareas",
    ]
    for path in paths:
        status, body, _ = await tass.get(path, token)
        assert status == 200, path
        assert body, path


async def test_classes_and_timetables_describe_the_same_groups(tass: Tass) -> None:
    token = await tass.token()
    _, classes, _ = await tass.get("/api/01/classes", token, **{"$top": "1000"})
    _, slots, _ = await tass.get(
        "/api/01/timetables", token, **{"year": "2026", "period": "2", "$top": "1000"}
    )
    keys = {(c["sub_code"], c["class"], c["year_grp"]) for c in classes}
    assert {(s["sub_code"], s["class"], s["year_grp"]) for s in slots} <= keys
    assert all(c["year_num"] == 2026 and c["semester"] == 2 for c in classes)
    _, other, _ = await tass.get("/api/01/classes", token, year_num="2019")
    assert other == []


async def test_absences_come_from_non_present_marks(tass: Tass) -> None:
    token = await tass.token()
    _, rows, _ = await tass.get(
        "/api/01/absences",
        token,
        **{"absentdatefrom": "2026-11-02", "absentdateto": "2026-11-20", "$top": "1000"},
    )
    assert rows
    world = tass.world
    by_code = {s.code: s for s in world.students.values()}
    codes = {c.code: c for c in world.attendance_codes}
    for row in rows[:50]:
        student = by_code[row["stud_code"]]
        day = datetime.fromisoformat(row["absent_date"]).date()
        marks = world.attendance(student.id, day, day)
        session = "AM" if row["prd_code"] <= 3 else "PM"
        mark = next(m for m in marks if m.session == session)
        assert not codes[mark.code].is_present
        assert row["accept_ind"] == ("Y" if codes[mark.code].statistical == "AUTH" else "N")
    status, _, _ = await tass.get("/api/01/absences", token, studcode="nope")
    assert status == 400


# --------------------------------------------------------------------------- writes


async def test_patch_changes_a_writable_field_and_moves_update_on(tass: Tass) -> None:
    token = await tass.token()
    await _ensure_clock_after(tass, max(s.updated_at for s in tass.world.students.values()))
    _, rows, _ = await tass.get("/api/01/students", token, **{"$top": "1"})
    code = rows[0]["stud_code"]
    status, row, _ = await tass.call(
        "PATCH",
        f"/api/01/students/{code}",
        token,
        json=[{"op": "replace", "path": "/mob_phone", "value": "0400 000 111"}],
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert status == 200, row
    assert row["mob_phone"] == "0400 000 111"
    assert row["update_on"] > rows[0]["update_on"]
    student = next(s for s in tass.world.students.values() if s.code == code)
    assert student.mobile == "0400 000 111"


async def test_patch_rules_read_only_fields_and_content_type(tass: Tass) -> None:
    token = await tass.token()
    _, rows, _ = await tass.get("/api/01/students", token, **{"$top": "1"})
    path = f"/api/01/students/{rows[0]['stud_code']}"
    status, body, _ = await tass.call(
        "PATCH",
        path,
        token,
        json=[{"op": "replace", "path": "/year_grp", "value": 9}],
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert status == 400
    assert "year_grp" in body["errors"]
    status, _, _ = await tass.call(
        "PATCH", path, token, json=[{"op": "replace", "path": "/mob_phone", "value": "1"}]
    )
    assert status == 415


async def test_put_changes_only_the_fields_that_differ(tass: Tass) -> None:
    token = await tass.token()
    _, rows, _ = await tass.get("/api/01/employees", token, **{"$top": "1"})
    record = dict(rows[0], preferred_name="Evie")
    status, row, _ = await tass.call(
        "PUT", f"/api/01/employees/{record['emp_code']}", token, json=record
    )
    assert status == 200, row
    assert row["preferred_name"] == "Evie"
    assert row["surname"] == rows[0]["surname"]


async def test_udareas_support_add_update_delete(tass: Tass) -> None:
    token = await tass.token()
    _, rows, _ = await tass.get("/api/01/students", token, **{"$top": "1"})
    path = f"/api/01/students/{rows[0]['stud_code']}/udareas/BUS"
    assert (await tass.get(path, token))[0] == 404
    status, row, _ = await tass.call("POST", path, token, json={"bus_route": "12"})
    assert status == 201
    assert row["fields"] == {"bus_route": "12", "bus_stop": None, "pickup_time": None}
    assert (await tass.call("POST", path, token, json={"bus_route": "13"}))[0] == 409
    status, row, _ = await tass.call(
        "PATCH",
        path,
        token,
        json=[{"op": "add", "path": "/fields/bus_stop", "value": "Gate"}],
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert (status, row["fields"]["bus_stop"]) == (200, "Gate")
    status, listing, _ = await tass.get(path.removesuffix("/BUS"), token)
    assert [r["area_code"] for r in listing] == ["BUS"]
    assert (await tass.call("DELETE", path, token))[0] == 204
    assert (await tass.get(path, token))[0] == 404


# --------------------------------------------------------------------------- limits, faults, stats


async def test_rate_limit_answers_429_with_retry_after(tass: Tass) -> None:
    token = await tass.token()
    await tass.sim("faults", {"rate_limit_per_minute": 3})
    statuses = [(await tass.get("/api/01/campuses", token))[0] for _ in range(3)]
    status, body, headers = await tass.get("/api/01/campuses", token)
    assert statuses == [200, 200, 200]
    assert status == 429
    _is_problem(body, 429)
    assert 1 <= int(headers["Retry-After"]) <= 60
    async with tass.http.get(f"{tass.base}/__sim/stats") as r:
        stats = await r.json()
    assert stats["rate_limited"] == 1


async def test_rate_limit_window_resets_on_the_next_minute(tass: Tass) -> None:
    token = await tass.token()
    await tass.sim("faults", {"rate_limit_per_minute": 1})
    assert (await tass.get("/api/01/campuses", token))[0] == 200
    status, _, headers = await tass.get("/api/01/campuses", token)
    assert status == 429
    await tass.sim("clock", {"advance_seconds": int(headers["Retry-After"])})
    assert (await tass.get("/api/01/campuses", token))[0] == 200


async def test_injected_error_uses_the_problem_shape(tass: Tass) -> None:
    token = await tass.token()
    await tass.sim("faults", {"error_rate": 1.0, "error_status": 503})
    status, body, _ = await tass.get("/api/01/students", token)
    assert status == 503
    _is_problem(body, 503)


async def test_injected_latency_delays_answers(tass: Tass) -> None:
    token = await tass.token()
    await tass.sim("faults", {"latency_ms": 150})
    started = time.perf_counter()
    assert (await tass.get("/api/01/campuses", token))[0] == 200
    assert time.perf_counter() - started >= 0.15


async def test_hang_times_out_the_client_until_cleared(tass: Tass) -> None:
    token = await tass.token()
    await tass.sim("faults", {"hang": True})
    with pytest.raises(asyncio.TimeoutError):
        async with tass.http.get(
            f"{tass.base}/api/01/campuses",
            headers={"Authorization": f"Bearer {token}"},
            timeout=aiohttp.ClientTimeout(total=0.3),
        ):
            pass
    await tass.sim("faults", {"clear": True})
    assert (await tass.get("/api/01/campuses", token))[0] == 200


async def test_stats_count_by_route_template(tass: Tass) -> None:
    token = await tass.token()
    for code in ("a", "b"):
        await tass.get(f"/api/01/students/{code}", token)
    async with tass.http.get(f"{tass.base}/__sim/stats") as r:
        stats = await r.json()
    routes = {(x["method"], x["route"]): x for x in stats["routes"]}
    assert routes[("GET", "/api/{cmpy_code}/students/{stud_code}")]["count"] == 2
    assert routes[("GET", "/api/{cmpy_code}/students/{stud_code}")]["errors"] == 2
    assert routes[("POST", "/api/users")]["count"] == 1


async def test_same_world_gives_the_same_bytes(serve_app: ServeApp, small_world: World) -> None:
    bodies = []
    for world in (small_world, generate_world(7, "small", small_world.today)):
        app = create_tass_app(WorldHolder(world))
        async with serve_app(app) as base, aiohttp.ClientSession() as http:
            tass = Tass(base, http, world)
            token = await tass.token()
            chunk = b""
            for path in (
                "/api/01/students?$top=1000",
                "/api/01/timetables?$top=1000",
                "/api/01/students/communicationrules?$top=1000",
            ):
                async with http.get(
                    f"{base}{path}", headers={"Authorization": f"Bearer {token}"}
                ) as r:
                    chunk += await r.read()
            bodies.append(chunk)
    assert bodies[0] == bodies[1]


async def test_reset_forgets_tokens_and_restores_the_world(tass: Tass) -> None:
    token = await tass.token()
    await tass.sim("mutate", {"table": "students", "action": "delete", "count": 1, "school": "01"})
    _, rows, _ = await tass.get("/api/01/students", token, **{"$top": "1000"})
    assert len(rows) == 47
    await tass.sim("reset", {})
    assert (await tass.get("/api/01/students", token))[0] == 401
    _, rows, _ = await tass.get("/api/01/students", await tass.token(), **{"$top": "1000"})
    assert len(rows) == 48
