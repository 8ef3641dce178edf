"""An upstream that fails costs only the fields that need it: null, with a coded error."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.graph.conftest import Gateway, global_id

PEOPLE = """
query ($id: ID!, $from: Date!, $to: Date!) {
  staff(first: 500) { totalCount nodes { domainId sources { system } } }
  schools { name }
  teacher: node(id: $id) {
    ... on Staff { displayName groups { name } shifts(from: $from, to: $to) { start } }
  }
}
"""


async def ask_for_people(gateway: Gateway, teacher: str) -> dict[str, Any]:
    today = gateway.world.today
    return await gateway.post(
        PEOPLE,
        {
            "id": teacher,
            "from": (today - timedelta(days=6)).isoformat(),
            "to": today.isoformat(),
        },
    )


def merged_teacher(gateway: Gateway) -> tuple[str, str]:
    world = gateway.world
    user = next(
        u
        for u in sorted(world.tanda_users.values(), key=lambda u: u.id)
        if u.mis_staff_id is not None
        and world.schools[world.staff[u.mis_staff_id].school_id].system == "xporter"
        and world.groups_of_staff(u.mis_staff_id)
    )
    staff = world.staff[user.mis_staff_id or 0]
    school = world.schools[staff.school_id]
    return global_id("Staff", f"xporter:{school.code}:{staff.id}"), str(user.id)


async def test_tanda_down_leaves_the_school_side_answering(gateway: Gateway) -> None:
    teacher, _ = merged_teacher(gateway)
    await gateway.faults("tanda", error_rate=1.0, error_status=503)

    body = await ask_for_people(gateway, teacher)

    data = body["data"]
    assert data["schools"], "schools do not need Tanda"
    people = data["staff"]["nodes"]
    assert people and all(ref["system"] != "TANDA" for n in people for ref in n["sources"])
    assert data["teacher"]["displayName"] and data["teacher"]["groups"]
    assert data["teacher"]["shifts"] is None
    by_path = {tuple(error["path"]): error for error in body["errors"]}
    assert set(by_path) == {("staff",), ("teacher", "shifts")}
    for error in by_path.values():
        assert error["extensions"]["upstream"] == "tanda"
        assert error["extensions"]["code"].startswith("UPSTREAM_")
        assert "tanda" in error["message"].lower()


async def test_one_failing_tanda_route_nulls_only_its_fields(gateway: Gateway) -> None:
    teacher, tanda_user = merged_teacher(gateway)
    await gateway.faults("tanda", error_rate=1.0, error_status=503, paths=["/api/v2/shifts"])

    body = await ask_for_people(gateway, teacher)

    data = body["data"]
    assert any(ref["system"] == "TANDA" for n in data["staff"]["nodes"] for ref in n["sources"]), (
        "Tanda's people still answer"
    )
    assert data["teacher"]["groups"] and data["teacher"]["shifts"] is None
    [error] = body["errors"]
    assert error["path"] == ["teacher", "shifts"]
    assert error["extensions"]["upstream"] == "tanda"
    assert tanda_user not in error["message"]


async def test_xporter_down_leaves_tass_and_tanda_answering(gateway: Gateway) -> None:
    await gateway.faults("xporter", error_rate=1.0, error_status=503)

    body = await gateway.post(
        """
        {
          schools { domainId }
          students(first: 500) { totalCount nodes { domainId } }
          teams { name }
        }
        """
    )

    data = body["data"]
    assert data["schools"] and all(s["domainId"].startswith("tass:") for s in data["schools"])
    assert data["students"]["totalCount"] > 0
    assert all(n["domainId"].startswith("tass:") for n in data["students"]["nodes"])
    assert data["teams"]
    paths = {tuple(error["path"]) for error in body["errors"]}
    assert paths == {("schools",), ("students",)}
    assert {error["extensions"]["upstream"] for error in body["errors"]} == {"xporter"}


ROSTER_WEEK = """
query ($from: Date!, $to: Date!) {
  rosters(from: $from, to: $to) { id scheduledShifts { id staff { id } } }
}
"""


async def ask_for_the_roster_week(gateway: Gateway) -> dict[str, Any]:
    today = gateway.world.today
    week = {"from": today.isoformat(), "to": (today + timedelta(days=6)).isoformat()}
    return await gateway.post(ROSTER_WEEK, week)


async def test_everyones_shifts_answer_the_identity_merges_error_when_it_fails(
    gateway: Gateway,
) -> None:
    # Everyone's scheduled shifts are read alongside the merge, not after it; when the merge
    # cannot read Tanda's users, its error is still what the shifts answer.
    await gateway.faults("tanda", error_rate=1.0, error_status=503, paths=["/api/v2/users"])

    body = await ask_for_the_roster_week(gateway)

    rosters = body["data"]["rosters"]
    assert rosters, "rosters need no person mapped"
    assert all(roster["scheduledShifts"] is None for roster in rosters)
    assert body["errors"]
    for error in body["errors"]:
        assert error["path"][0] == "rosters" and error["path"][-1] == "scheduledShifts"
        assert error["extensions"]["upstream"] == "tanda"
        assert "/api/v2/users" in error["message"]


async def test_everyones_shifts_answer_their_own_error_when_the_merge_succeeds(
    gateway: Gateway,
) -> None:
    await gateway.faults("tanda", error_rate=1.0, error_status=503, paths=["/api/v2/schedules"])

    body = await ask_for_the_roster_week(gateway)

    assert all(roster["scheduledShifts"] is None for roster in body["data"]["rosters"])
    assert body["errors"]
    for error in body["errors"]:
        assert error["extensions"]["upstream"] == "tanda"
        assert error["extensions"]["code"].startswith("UPSTREAM_")
        assert "/api/v2/users" not in error["message"]


async def test_teams_read_alongside_the_merge_answer_its_error_when_it_fails(
    gateway: Gateway,
) -> None:
    await gateway.faults("tanda", error_rate=1.0, error_status=503, paths=["/api/v2/users"])

    body = await gateway.post("{ teams { name } schools { name } }")

    assert body["data"]["teams"] is None and body["data"]["schools"]
    [error] = body["errors"]
    assert error["path"] == ["teams"] and error["extensions"]["upstream"] == "tanda"
    assert "/api/v2/users" in error["message"]
