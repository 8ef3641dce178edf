"""The TASS simulator's legacy `/tassweb/api/` face over real HTTP, and the AES token
(tass.md §A, §B, §D.2)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from schoolgraph.simulators.control import WorldHolder
from schoolgraph.simulators.dataset import World
from schoolgraph.simulators.tass import (
    TassConfig,
    create_tass_app,
    decrypt_token,
    encrypt_token,
)
from schoolgraph.simulators.tass.crypto import TokenError

from .conftest import ServeApp

DOC_KEY = "+TG1ZTqy0hTu5h0KMhCP0A=="
SAMPLE_KEY = "x8FWQUedjyiUGlTf5appPQ=="
UNAUTHORIZED = {"__status": "invalid", "__msg": "Unauthorized", "__invalid": {}}
NOT_IMPLEMENTED = {"__status": "invalid", "__msg": "Not Implemented", "__invalid": {}}


# --------------------------------------------------------------------------- the token


def test_documented_test_vector_decrypts() -> None:
    # tass.md §A.4: the README's token under the README's key.
    token = "96yfUt3jgAIYx0o7i3tjprnBpotNO3Md/yv+eToJ8qo="
    assert decrypt_token(token, DOC_KEY) == '{"include_label":"true"}'
    assert encrypt_token('{"include_label":"true"}', DOC_KEY) == token


@pytest.mark.parametrize(
    ("key", "plaintext", "token"),
    [
        pytest.param(
            DOC_KEY,
            '{"currentstatus":"current"}',
            "Kqg395mlgg4EefbhXrXUItsUIoOjpHSLMTJqo3oV670=",
            id="doc-key",
        ),
        pytest.param(
            SAMPLE_KEY,
            '{"include_label":"true"}',
            "Yztfdgc/5dkTTk7EtFZNTLiqtCzMBUgAxgpUjPfCMmU=",
            id="sample-key-label",
        ),
        pytest.param(
            SAMPLE_KEY,
            '{"currentstatus":"current"}',
            "Re0cLiAf11wJHuGfasTA9prZQAIhKfn9T1x06zif718=",
            id="sample-key-status",
        ),
    ],
)
def test_verified_vectors_round_trip(key: str, plaintext: str, token: str) -> None:
    assert encrypt_token(plaintext, key) == token
    assert decrypt_token(token, key) == plaintext


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("not base64!", id="not-base64"),
        pytest.param("AAAA", id="not-whole-blocks"),
        pytest.param("96yfUt3jgAIYx0o7i3tjprnBpotNO3Md/yv+eToJ8qo=", id="wrong-key"),
    ],
)
def test_undecryptable_tokens_raise(token: str) -> None:
    with pytest.raises(TokenError):
        decrypt_token(token, SAMPLE_KEY)


# --------------------------------------------------------------------------- HTTP


@dataclass
class Legacy:
    base: str
    http: aiohttp.ClientSession
    world: World

    async def call(
        self,
        method: str,
        params: dict[str, Any] | str,
        *,
        v: str = "3",
        appcode: str | None = None,
        company: str = "01",
        key: str | None = None,
        post: bool = False,
    ) -> tuple[int, Any]:
        creds = self.world.credentials
        plaintext = params if isinstance(params, str) else json.dumps(params)
        query = {
            "method": method,
            "appcode": appcode or creds.tass_legacy_appcode,
            "company": company,
            "v": v,
            "token": encrypt_token(plaintext, key or creds.tass_legacy_token_key),
        }
        if post:
            async with self.http.post(f"{self.base}/tassweb/api/index.cfm", data=query) as r:
                return r.status, await _envelope(r)
        async with self.http.get(f"{self.base}/tassweb/api/", params=query) as r:
            return r.status, await _envelope(r)

    async def sim(self, path: str, body: dict[str, Any]) -> Any:
        async with self.http.post(f"{self.base}/__sim/{path}", json=body) as r:
            assert r.status == 200, await r.text()
            return await r.json()


async def _envelope(response: aiohttp.ClientResponse) -> Any:
    """The JSON of an answer; of a 401 or 501, the envelope after IIS's error page."""
    if response.status not in (401, 501) or response.content_type != "text/html":
        return await response.json(content_type=None)
    page, brace, envelope = (await response.text()).partition('{"__status"')
    assert page.startswith("<!DOCTYPE html") and f"<h2>{response.status} - " in page
    return json.loads(brace + envelope)


@pytest.fixture
async def legacy(holder: WorldHolder, serve_app: ServeApp) -> AsyncIterator[Legacy]:
    async with serve_app(create_tass_app(holder)) as base, aiohttp.ClientSession() as http:
        yield Legacy(base, http, holder.world)


def _students(world: World) -> list[Any]:
    school = next(s for s in world.schools.values() if s.system == "tass")
    return sorted(
        (s for s in world.students.values() if s.school_id == school.id), key=lambda s: s.id
    )


async def test_readme_url_answers_verbatim(legacy: Legacy) -> None:
    # tass.md §A.1 example URL; its token decrypts to {"include_label":"true"}, which
    # getStudents rejects with the documented validation message.
    url = (
        f"{legacy.base}/tassweb/api/?method=getStudents&appcode=MYAPP01&company=99&v=3"
        "&token=96yfUt3jgAIYx0o7i3tjprnBpotNO3Md%2Fyv%2BeToJ8qo%3D"
    )
    async with legacy.http.get(url) as r:
        assert r.status == 401
        assert await r.json() == {
            "__status": "invalid",
            "__invalid": {"currentstatus": "field is required"},
        }


async def test_envelope_has_version_and_token_echo(legacy: Legacy) -> None:
    status, body = await legacy.call(
        "getStudents", {"currentstatus": "current"}, appcode="MYAPP01", company="99", key=DOC_KEY
    )
    assert status == 200
    assert body["students"] == []
    assert body["__tassversion"] == "01.060.02.100"
    assert body["token"]["currentstatus"] == "current"
    assert re.fullmatch(r"\{ts '\d{4}-\d\d-\d\d \d\d:\d\d:\d\d'\}", body["token"]["timestamp"])


async def test_echo_coerces_like_the_examples(legacy: Legacy) -> None:
    code = _students(legacy.world)[0].code
    _, body = await legacy.call(
        "getStudentsDetails", {"code": code, "includephoto": "false", "year_group": "7"}
    )
    echo = body["token"]
    assert echo["includephoto"] is False
    assert echo["year_group"] == 7
    assert echo["code"] == (int(code) if not code.startswith("0") else code)
    _, body = await legacy.call("getTeachers", {"currentstatus": "current", "x": "0009130"})
    assert body["token"]["x"] == "0009130"


@pytest.mark.parametrize(
    ("appcode", "company", "key"),
    [
        pytest.param("NOPE", "01", None, id="unknown-appcode"),
        pytest.param(None, "02x", None, id="company-not-configured"),
        pytest.param(None, "01", SAMPLE_KEY, id="token-under-another-key"),
    ],
)
async def test_bad_credentials_are_401_unauthorized(
    legacy: Legacy, appcode: str | None, company: str, key: str | None
) -> None:
    status, body = await legacy.call(
        "getStudents", {"currentstatus": "current"}, appcode=appcode, company=company, key=key
    )
    assert (status, body) == (401, UNAUTHORIZED)


async def test_garbled_token_is_401(legacy: Legacy) -> None:
    creds = legacy.world.credentials
    async with legacy.http.get(
        f"{legacy.base}/tassweb/api/",
        params={
            "method": "getStudents",
            "appcode": creds.tass_legacy_appcode,
            "company": "01",
            "v": "3",
            "token": "garbage==",
        },
    ) as r:
        assert (r.status, await _envelope(r)) == (401, UNAUTHORIZED)


async def test_unlicensed_method_and_wrong_version_are_501(legacy: Legacy) -> None:
    assert await legacy.call("getSuppliers", {}) == (501, NOT_IMPLEMENTED)
    # The demo app has a Security Role, so it answers v3 only (tass.md §A.3).
    status, body = await legacy.call("getStudents", {"currentstatus": "current"}, v="2")
    assert (status, body) == (501, NOT_IMPLEMENTED)
    # DEMOAPP has no role: v1/v2 only.
    status, _ = await legacy.call(
        "getStudents", {"currentstatus": "current"}, appcode="DEMOAPP", company="10", key=DOC_KEY
    )
    assert status == 501
    status, body = await legacy.call(
        "getStudents", "currentstatus=current", v="1", appcode="DEMOAPP", company="10", key=DOC_KEY
    )
    assert (status, body["students"]) == (200, [])


@pytest.mark.parametrize(
    ("appcode", "method", "status", "title"),
    [
        pytest.param(
            "NOPE",
            "getStudents",
            401,
            "401 - Unauthorized: Access is denied due to invalid credentials.",
            id="refused-401",
        ),
        pytest.param(
            None,
            "getSuppliers",
            501,
            "501 - Header values specify a method that is not implemented.",
            id="unlicensed-501",
        ),
    ],
)
async def test_refusals_put_the_iis_error_page_before_the_envelope(
    legacy: Legacy, appcode: str | None, method: str, status: int, title: str
) -> None:
    # tass.md §A.6: schools quote IIS's page for the status, then the JSON envelope.
    creds = legacy.world.credentials
    token = encrypt_token('{"currentstatus":"current"}', creds.tass_legacy_token_key)
    query = {
        "method": method,
        "appcode": appcode or creds.tass_legacy_appcode,
        "company": "01",
        "v": "3",
        "token": token,
    }
    async with legacy.http.get(f"{legacy.base}/tassweb/api/", params=query) as r:
        assert (r.status, r.content_type) == (status, "text/html")
        text = await r.text()
    page, _, envelope = text.partition('{"__status"')
    assert f"<title>{title}</title>" in page and f"<h2>{title}</h2>" in page
    assert "body{margin:0;" in page  # the page's CSS has braces of its own
    message = "Unauthorized" if status == 401 else "Not Implemented"
    assert json.loads('{"__status"' + envelope) == {**UNAUTHORIZED, "__msg": message}


async def test_refusals_can_be_the_envelope_alone(holder: WorldHolder, serve_app: ServeApp) -> None:
    app = create_tass_app(holder, config=TassConfig(legacy_error_pages=False))
    async with (
        serve_app(app) as base,
        aiohttp.ClientSession() as http,
        http.get(f"{base}/tassweb/api/", params={"appcode": "NOPE"}) as response,
    ):
        assert response.status == 401 and response.content_type == "application/json"
        assert await response.json() == UNAUTHORIZED


async def test_apps_restrict_methods_and_role_permissions(legacy: Legacy) -> None:
    creds = legacy.world.credentials
    async with legacy.http.post(
        f"{legacy.base}/sim/admin/legacy-apps",
        json={
            "appcode": "LIMITED",
            "token_key": SAMPLE_KEY,
            "companies": ["01"],
            "security_role": ["Teacher Records > Teachers > View"],
            "methods": ["getTeachers", "getStudents"],
        },
    ) as r:
        assert r.status == 201
    ok, body = await legacy.call(
        "getTeachers", {"currentstatus": "current"}, appcode="LIMITED", key=SAMPLE_KEY
    )
    assert ok == 200
    assert body["teachers"]
    status, _ = await legacy.call(
        "getStudents", {"currentstatus": "current"}, appcode="LIMITED", key=SAMPLE_KEY
    )
    assert status == 501  # licensed, but the role lacks Student Records > Students > View
    status, _ = await legacy.call(
        "getCampuses", {"codeonly": "true"}, appcode="LIMITED", key=SAMPLE_KEY
    )
    assert status == 501  # not licensed
    assert creds.tass_legacy_appcode


async def test_post_form_and_index_cfm_path(legacy: Legacy) -> None:
    codes = [s.code for s in _students(legacy.world)[:3]]
    status, body = await legacy.call("getStudentsDetails", {"code": ",".join(codes)}, post=True)
    assert status == 200
    assert [s["general_details"]["student_code"] for s in body["students"]] == codes


async def test_students_details_shape(legacy: Legacy) -> None:
    student = _students(legacy.world)[0]
    _, body = await legacy.call("getStudentsDetails", {"code": student.code})
    record = body["students"][0]
    general, school = record["general_details"], record["school_details"]
    assert general["student_code"] == student.code
    assert general["date_of_birth"] == student.date_of_birth.strftime("%d/%m/%Y")
    assert general["par_code"] == student.family_code
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d [AP]M", general["last_update_on"])
    assert "multipar_flg" in general
    assert school["campus"] in {"Senior School (Curlew St)", "Junior School (Billabong Road)"}
    assert school["house"] in {"Kangaroo", "Koala", "Emu", "Wombat"}
    assert school["boarder"] in {"Yes", "No"}
    assert record["other_school_details"] == {}


@pytest.mark.parametrize(
    ("method", "params", "invalid"),
    [
        pytest.param(
            "getStudentsDetails",
            {},
            {"currentstatus": "currentstatus or code must be provided"},
            id="details-needs-status-or-code",
        ),
        pytest.param(
            "getStudentsDetails",
            {"currentstatus": "now"},
            {
                "currentstatus": "Current Status must be 'current' or 'future' or 'past' "
                "or 'noncurrent'."
            },
            id="details-bad-status",
        ),
        pytest.param(
            "getStudentsDetails",
            {"code": "nope"},
            {"code": "Student Code is invalid."},
            id="details-bad-code",
        ),
        pytest.param(
            "getStudentsDetails",
            {"currentstatus": "current", "includephoto": "yes"},
            {"includephoto": "Value is not a valid boolean."},
            id="details-bad-bool",
        ),
        pytest.param(
            "getStudentsDetails",
            {"currentstatus": "current", "campus": "ZZ"},
            {"campus": "Invalid campus ZZ."},
            id="details-bad-campus",
        ),
        pytest.param(
            "getTeachers",
            {"currentstatus": "future"},
            {"currentstatus": "Current Status must be 'current' or 'noncurrent'."},
            id="teachers-bad-status",
        ),
        pytest.param("getEmployeesDetails", {}, {"date": "field is required"}, id="emp-no-date"),
        pytest.param(
            "getEmployeesDetails",
            {"date": "31/31/2020"},
            {"date": "date is invalid."},
            id="emp-bad-date",
        ),
        pytest.param(
            "getEmployeesDetails",
            {"date": "01/01/2020", "code": "1"},
            {"code": "Employee Code is invalid."},
            id="emp-bad-code",
        ),
        pytest.param(
            "getStudentSubjects",
            {"code": "x"},
            {"code": "Invalid Student Code"},
            id="subjects-bad-code",
        ),
        pytest.param(
            "getStudentSubjects",
            {"code": "all", "lmsflag": "Q"},
            {"lmsflag": "lmsflag must be set to 'Y' or 'N'."},
            id="subjects-bad-flag",
        ),
        pytest.param(
            "getTeacherSubjects",
            {"code": "ZZZ"},
            {"code": "Invalid Teacher Code"},
            id="teacher-subjects-bad-code",
        ),
        pytest.param(
            "getStudentAbsences", {}, {"studcode": "field is required"}, id="absences-no-studcode"
        ),
        pytest.param(
            "getStudentAbsences",
            {"studcode": "X1"},
            {"studcode": "Student Code X1 is invalid"},
            id="absences-bad-code",
        ),
        pytest.param(
            "getClassLessons", {}, {"ttid": "Value must be a valid integer"}, id="lessons-no-ttid"
        ),
        pytest.param(
            "getCommunicationRulesDetails",
            {"currentstatus": "current"},
            {"commtype": "field is required"},
            id="commrules-no-commtype",
        ),
    ],
)
async def test_validation_messages_match_the_docs(
    legacy: Legacy, method: str, params: dict[str, str], invalid: dict[str, str]
) -> None:
    status, body = await legacy.call(method, params)
    assert status == 401  # TassConfig.legacy_validation_status (tass.md §D.2)
    assert body == {"__status": "invalid", "__invalid": invalid}


@pytest.mark.parametrize(
    ("codeonly", "message"),
    [
        pytest.param(None, "'codeonly' IS REQUIRED", id="missing"),
        pytest.param("maybe", "'codeonly' MUST BE 'true' or 'false'", id="not-boolean"),
    ],
)
async def test_codeonly_errors_use_top_level_msg(
    legacy: Legacy, codeonly: str | None, message: str
) -> None:
    params = {} if codeonly is None else {"codeonly": codeonly}
    _, body = await legacy.call("getCampuses", params)
    assert body == {"__status": "invalid", "__msg": message, "__invalid": {}}


async def test_campuses_and_year_groups(legacy: Legacy) -> None:
    _, body = await legacy.call("getCampuses", {"codeonly": "false"})
    assert body["campuses"] == [
        {"code": "SE", "desc": "Senior School (Curlew St)"},
        {"code": "JU", "desc": "Junior School (Billabong Road)"},
    ]
    _, body = await legacy.call("getCampuses", {"codeonly": "true"})
    assert body["campuses"] == ["SE", "JU"]
    _, body = await legacy.call("getYearGroups", {"codeonly": "true"})
    assert body["yeargroups"] == [7, 8, 9, 10, 11, 12]


async def test_update_on_from_returns_rows_changed_since(legacy: Legacy) -> None:
    latest = max(s.updated_at for s in legacy.world.students.values())
    lag = (latest - datetime.now(UTC)).total_seconds()
    if lag >= 0:
        await legacy.sim("clock", {"advance_seconds": lag + 86400})
    changed = await legacy.sim(
        "mutate", {"table": "students", "action": "update", "count": 2, "school": "01"}
    )
    latest_day = latest.astimezone(ZoneInfo("Australia/Brisbane")).date()  # school time
    since = latest_day.isoformat()
    _, body = await legacy.call(
        "getStudentsDetails", {"currentstatus": "current", "update_on_from": since}
    )
    got = {s["general_details"]["student_code"] for s in body["students"]}
    mutated = {legacy.world.students[i].code for i in changed["ids"]}
    assert mutated <= got
    next_day = (latest_day + timedelta(days=1)).strftime("%d/%m/%Y")
    _, body = await legacy.call(
        "getStudentsDetails", {"currentstatus": "current", "update_on_from": next_day}
    )
    assert {s["general_details"]["student_code"] for s in body["students"]} == mutated


async def test_subjects_use_dynamic_keys_per_code(legacy: Legacy) -> None:
    _, body = await legacy.call("getStudentSubjects", {"code": "all"})
    keys = [k for k in body if not k.startswith("__") and k != "token"]
    assert keys
    first = body[keys[0]][0]
    assert first["student_code"] == keys[0]
    assert {"sub_code", "class", "year_grp", "year_num", "semester"} <= set(first)
    _, body = await legacy.call("getTeacherSubjects", {"code": "all"})
    teacher = next(k for k in body if not k.startswith("__") and k != "token")
    assert body[teacher][0]["teacher_code"] == teacher
    assert isinstance(body[teacher][0]["employee_code"], int)


async def test_timetable_methods(legacy: Legacy) -> None:
    _, body = await legacy.call("getTimetables", {"year": "2026", "period": "2"})
    row = body["timetables"][0]
    assert row["tt_id"] == 262
    assert row["table_id"] == "ttmast"
    _, body = await legacy.call("getTimetableCalendar", {"tt_id": "262"})
    days = body["tt_calendar"]
    assert days[0]["TTDATE"].endswith(" 00:00:00.0")
    assert {d["DAY_CODE"] for d in days} == {1, 2, 3, 4, 5, ""}
    code = _students(legacy.world)[0].code
    _, body = await legacy.call("getStudentTimetable", {"student_code": code})
    tt = body["student_timetable"][0]
    assert tt["ENTITYCODE"] == f"262_{code}"
    assert tt["STRDAYS"]["1"]["DAY_DESC"] == "Monday"
    lessons = [s for d in tt["DAYS"].values() for p in d["PERIODS"].values() for s in p["SUBJECTS"]]
    assert lessons
    assert all(s["TT_PRIORITY"] == 999 for s in lessons)


async def test_class_lessons_are_the_worlds_lesson_occurrences(legacy: Legacy) -> None:
    _, body = await legacy.call(
        "getClassLessons", {"ttid": "262", "datefrom": "16/11/2026", "dateto": "20/11/2026"}
    )
    school = next(s for s in legacy.world.schools.values() if s.system == "tass")
    lessons = legacy.world.lessons(school.id, date(2026, 11, 16), date(2026, 11, 20))
    assert len(body["DATA"]) == len(lessons)
    assert body["DATA"][0]["TTDATE"] == "2026-11-16 00:00:00.0"


async def test_absences_agree_with_the_2026_face(legacy: Legacy) -> None:
    _, body = await legacy.call(
        "getStudentAbsences",
        {"studcode": "ALL", "absentdatefrom": "02/11/2026", "absentdateto": "2026-11-20"},
    )
    rows = body["DATA"]
    assert rows
    assert rows[0]["ABSENT_DATE"].endswith(" 00:00:00.0")
    creds = legacy.world.credentials
    async with legacy.http.post(
        f"{legacy.base}/api/users",
        json={"clientKey": creds.tass_client_key, "clientSecret": creds.tass_client_secret},
    ) as r:
        token = (await r.json())["token"]
    async with legacy.http.get(
        f"{legacy.base}/api/01/absences",
        params={"absentdatefrom": "2026-11-02", "absentdateto": "2026-11-20", "$top": "1000"},
        headers={"Authorization": f"Bearer {token}"},
    ) as r:
        modern = await r.json()
    assert [
        (x["STUD_CODE"], x["ABSENT_DATE"][:10], x["PRD_CODE"], x["SUB_CODE"]) for x in rows
    ] == [(x["stud_code"], x["absent_date"][:10], x["prd_code"], x["sub_code"]) for x in modern]


async def test_set_parent_contact_details_writes_the_world(legacy: Legacy) -> None:
    student = _students(legacy.world)[0]
    status, body = await legacy.call(
        "setParentContactDetails",
        {"par_code": student.family_code, "add_num": "1", "e_mail1": "not-an-email"},
    )
    assert body == {"__status": "invalid", "__invalid": {"__msg": "e_mail1 is invalid."}}
    status, body = await legacy.call(
        "setParentContactDetails", {"par_code": "nobody", "add_num": "1"}
    )
    assert body["__invalid"] == {"__msg": "Parent record not found."}
    status, body = await legacy.call(
        "setParentContactDetails",
        {"par_code": student.family_code, "add_num": "1", "e_mail1": "new.parent@example.com"},
    )
    assert (status, body["success"]) == (200, "You successfully saved parent contact details.")
    _, body = await legacy.call(
        "getCommunicationRulesDetails",
        {"currentstatus": "current", "commtype": "all", "code": student.code},
    )
    assert body["commrules"][0]["addresses"][0]["email"] == "new.parent@example.com"


async def test_injected_fault_uses_the_legacy_envelope(legacy: Legacy) -> None:
    await legacy.sim("faults", {"error_rate": 1.0, "error_status": 500})
    status, body = await legacy.call("getStudents", {"currentstatus": "current"})
    assert status == 500
    assert body == {"__status": "invalid", "__msg": "Injected fault.", "__invalid": {}}


async def test_empty_company_02_answers_with_empty_lists(legacy: Legacy) -> None:
    status, body = await legacy.call("getStudents", {"currentstatus": "current"}, company="02")
    assert (status, body["students"]) == (200, [])


@pytest.mark.parametrize(
    "table",
    [
        "students",
        "staff",
        "groups",
        "contacts",
        "student_contacts",
        "periods",
        "timetable",
        "campuses",
    ],
)
@pytest.mark.parametrize("action", ["update", "add", "delete"])
async def test_both_faces_survive_every_mutation(legacy: Legacy, table: str, action: str) -> None:
    await legacy.sim("mutate", {"table": table, "action": action, "count": 2, "school": "01"})
    calls: list[tuple[str, dict[str, str]]] = [
        ("getStudentsDetails", {"currentstatus": "current"}),
        ("getCommunicationRulesDetails", {"currentstatus": "current", "commtype": "all"}),
        ("getEmployeesDetails", {"date": "01/01/2020"}),
        ("getTimetables", {"year": "2026", "period": "2"}),
        ("getStudentAbsences", {"studcode": "ALL", "absentdatefrom": "16/11/2026"}),
        ("getClassLessons", {"ttid": "ALL", "datefrom": "16/11/2026", "dateto": "20/11/2026"}),
        ("getClassDetailsWithStudents", {}),
        ("getStudentSubjects", {"code": "all"}),
    ]
    for method, params in calls:
        status, _ = await legacy.call(method, params)
        assert status == 200, method
    creds = legacy.world.credentials
    async with legacy.http.post(
        f"{legacy.base}/api/users",
        json={"clientKey": creds.tass_client_key, "clientSecret": creds.tass_client_secret},
    ) as r:
        token = (await r.json())["token"]
    for path in (
        "students",
        "students/communicationrules",
        "employees",
        "teachers",
        "classes",
        "timetables",
        "absences",
        "campuses",
        "options/students/pctutorgroups",
    ):
        async with legacy.http.get(
            f"{legacy.base}/api/01/{path}", headers={"Authorization": f"Bearer {token}"}
        ) as r:
            assert r.status == 200, path
