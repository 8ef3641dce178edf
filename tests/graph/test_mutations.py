"""Tanda writes through the graph: checked inputs, the upstream's answer, and fresh reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from schoolgraph.simulators.dataset import TandaUser, World
from tests.graph.conftest import Gateway, global_id

SHIFT_FIELDS = (
    "id domainId date start finish breakMinutes status team { domainId } staff { domainId }"
)


def tanda(world: World, native: int) -> str:
    organisation = next(iter(world.organisation.values()))
    return f"tanda:{organisation.id}:{native}"


def worker(world: World) -> tuple[TandaUser, str]:
    """A merged Xporter teacher with a Tanda team, and their Staff domain id."""
    user = next(
        u
        for u in sorted(world.tanda_users.values(), key=lambda u: u.id)
        if u.mis_staff_id is not None
        and u.department_ids
        and world.schools[world.staff[u.mis_staff_id].school_id].system == "xporter"
    )
    staff = world.staff[user.mis_staff_id or 0]
    school = world.schools[staff.school_id]
    return user, f"xporter:{school.code}:{staff.id}"


def at(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour), UTC).isoformat()


async def shifts_of(gateway: Gateway, staff: str, day: date) -> list[dict[str, Any]]:
    data = await gateway.data(
        f"""
        query ($id: ID!, $day: Date!) {{
          node(id: $id) {{ ... on Staff {{ shifts(from: $day, to: $day) {{ {SHIFT_FIELDS} }} }} }}
        }}
        """,
        {"id": staff, "day": day.isoformat()},
    )
    shifts: list[dict[str, Any]] = data["node"]["shifts"]
    return shifts


async def test_a_worked_shift_through_its_life(gateway: Gateway) -> None:
    world = gateway.world
    user, staff_domain_id = worker(world)
    staff = global_id("Staff", staff_domain_id)
    team = global_id("Team", tanda(world, user.department_ids[0]))
    day = world.today + timedelta(days=1)
    assert await shifts_of(gateway, staff, day) == []  # read (and cached) before the write

    created = (
        await gateway.data(
            f"""
            mutation ($input: CreateShiftInput!) {{
              createShift(input: $input) {{ {SHIFT_FIELDS} }}
            }}
            """,
            {
                "input": {
                    "staffId": staff,
                    "date": day.isoformat(),
                    "start": at(day, 8),
                    "finish": at(day, 12),
                    "teamId": team,
                    "breakMinutes": 30,
                }
            },
        )
    )["createShift"]
    assert (created["start"], created["finish"], created["breakMinutes"]) == (
        at(day, 8),
        at(day, 12),
        30,
    )
    assert created["status"] == "PENDING"
    assert created["staff"]["domainId"] == staff_domain_id
    assert created["team"]["domainId"] == tanda(world, user.department_ids[0])
    native = int(created["domainId"].rsplit(":", 1)[1])
    assert world.shifts[native].user_id == user.id  # the upstream holds it
    assert [s["id"] for s in await shifts_of(gateway, staff, day)] == [created["id"]]

    updated = (
        await gateway.data(
            f"""
            mutation ($id: ID!, $finish: DateTime!) {{
              updateShift(id: $id, input: {{finish: $finish}}) {{ {SHIFT_FIELDS} }}
            }}
            """,
            {"id": created["id"], "finish": at(day, 13)},
        )
    )["updateShift"]
    assert updated["finish"] == at(day, 13) and updated["start"] == at(day, 8)
    assert (await shifts_of(gateway, staff, day))[0]["finish"] == at(day, 13)

    approved = (
        await gateway.data(
            "mutation ($ids: [ID!]!) { approveShifts(ids: $ids) { id status } }",
            {"ids": [created["id"]]},
        )
    )["approveShifts"]
    assert approved == [{"id": created["id"], "status": "APPROVED"}]
    assert (await shifts_of(gateway, staff, day))[0]["status"] == "APPROVED"

    deleted = await gateway.data(
        "mutation ($id: ID!) { deleteShift(id: $id) }", {"id": created["id"]}
    )
    assert deleted == {"deleteShift": created["id"]}
    assert await shifts_of(gateway, staff, day) == []
    assert (
        await gateway.data("query ($id: ID!) { node(id: $id) { id } }", {"id": created["id"]})
    ) == {"node": None}


SCHEDULED_FIELDS = """
id domainId start finish breakMinutes vacant published publishedAt
staff { domainId } team { domainId } roster { domainId start }
"""


async def roster_shifts(gateway: Gateway, roster: str) -> dict[str, dict[str, Any]]:
    data = await gateway.data(
        f"query ($id: ID!) {{ roster(id: $id) {{ scheduledShifts {{ {SCHEDULED_FIELDS} }} }} }}",
        {"id": roster},
    )
    return {s["id"]: s for s in data["roster"]["scheduledShifts"]}


async def test_a_planned_shift_created_reassigned_and_published(gateway: Gateway) -> None:
    world = gateway.world
    user, staff_domain_id = worker(world)
    staff = global_id("Staff", staff_domain_id)
    day = world.today + timedelta(days=8)
    roster = world.roster_containing(day)
    assert roster is not None
    roster_id = global_id("Roster", tanda(world, roster.id))
    before = await roster_shifts(gateway, roster_id)

    created = (
        await gateway.data(
            f"""
            mutation ($input: CreateScheduledShiftInput!) {{
              createScheduledShift(input: $input) {{ {SCHEDULED_FIELDS} }}
            }}
            """,
            {
                "input": {
                    "staffId": staff,
                    "start": at(day, 9),
                    "finish": at(day, 15),
                    "teamId": global_id("Team", tanda(world, user.department_ids[0])),
                }
            },
        )
    )["createScheduledShift"]
    assert created["roster"]["domainId"] == tanda(world, roster.id)
    assert created["vacant"] is False and created["published"] is False
    after = await roster_shifts(gateway, roster_id)
    assert set(after) - set(before) == {created["id"]}

    vacant = (
        await gateway.data(
            f"""
            mutation ($id: ID!) {{
              updateScheduledShift(id: $id, input: {{staffId: null}}) {{ {SCHEDULED_FIELDS} }}
            }}
            """,
            {"id": created["id"]},
        )
    )["updateScheduledShift"]
    assert vacant["vacant"] is True and vacant["staff"] is None
    assert vacant["start"] == at(day, 9)
    assert (await roster_shifts(gateway, roster_id))[created["id"]]["vacant"] is True

    published = (
        await gateway.data(
            "mutation ($ids: [ID!]!) { publishScheduledShifts(ids: $ids) { id published } }",
            {"ids": [created["id"]]},
        )
    )["publishScheduledShifts"]
    assert published == [{"id": created["id"], "published": True}]
    reread = (await roster_shifts(gateway, roster_id))[created["id"]]
    assert reread["published"] is True and reread["publishedAt"] is not None


def expect_input_error(body: dict[str, Any], field: str, words: str) -> None:
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, error
    assert words in error["message"]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"finish": -1}, "input.finish", "must be after 'input.start'"),
        ({"finish": 30}, "input.finish", "longer than 24 hours"),
        ({"breakMinutes": -5}, "input.breakMinutes", "0 or more"),
        ({"breakMinutes": 240}, "input.breakMinutes", "shorter than the shift"),
        ({"date": 3}, "input.date", "the day the shift starts"),
        ({"teamId": "bm9wZQ"}, "input.teamId", "not a schoolgraph id"),
        ({"staffId": "school-only"}, "input.staffId", "has no Tanda account"),
    ],
    ids=[
        "reversed",
        "too-long",
        "negative-break",
        "break-too-long",
        "wrong-day",
        "bad-team",
        "no-tanda",
    ],
)
async def test_shift_input_is_checked_before_anything_is_written(
    gateway: Gateway, changes: dict[str, Any], field: str, words: str
) -> None:
    world = gateway.world
    _, staff_domain_id = worker(world)
    day = world.today
    school_only = next(
        s
        for s in world.staff.values()
        if world.schools[s.school_id].system == "xporter"
        and not any(u.mis_staff_id == s.id for u in world.tanda_users.values())
    )
    values: dict[str, Any] = {
        "staffId": global_id("Staff", staff_domain_id),
        "date": day.isoformat(),
        "start": at(day, 8),
        "finish": at(day, 12),
    }
    if "finish" in changes:
        values["finish"] = (
            datetime.combine(day, time(8), UTC) + timedelta(hours=changes["finish"])
        ).isoformat()
    if "date" in changes:
        values["date"] = (day + timedelta(days=changes["date"])).isoformat()
    if "breakMinutes" in changes:
        values["breakMinutes"] = changes["breakMinutes"]
    if "teamId" in changes:
        values["teamId"] = changes["teamId"]
    if "staffId" in changes:
        school = world.schools[school_only.school_id]
        values["staffId"] = global_id("Staff", f"xporter:{school.code}:{school_only.id}")
    shifts_before = len(world.shifts)

    body = await gateway.post(
        "mutation ($input: CreateShiftInput!) { createShift(input: $input) { id } }",
        {"input": values},
    )

    expect_input_error(body, field, words)
    assert body["data"] == {"createShift": None}
    assert len(world.shifts) == shifts_before


async def test_writes_on_what_does_not_exist(gateway: Gateway) -> None:
    world = gateway.world
    missing = global_id("Shift", tanda(world, 999_999_999))

    update = await gateway.post(
        "mutation ($id: ID!) { updateShift(id: $id, input: {breakMinutes: 10}) { id } }",
        {"id": missing},
    )
    nothing = await gateway.post(
        "mutation ($id: ID!) { updateShift(id: $id, input: {}) { id } }",
        {"id": global_id("Shift", tanda(world, min(world.shifts)))},
    )
    empty = await gateway.post("mutation { approveShifts(ids: []) { id } }")
    wrong_type = await gateway.post(
        "mutation ($ids: [ID!]!) { publishScheduledShifts(ids: $ids) { id } }",
        {"ids": [missing]},
    )

    [error] = update["errors"]
    assert error["extensions"] == {"code": "NOT_FOUND"} and "No shift has id" in error["message"]
    expect_input_error(nothing, "input", "changes nothing")
    expect_input_error(empty, "ids", "at least one id")
    expect_input_error(wrong_type, "ids", "not of a ScheduledShift")


@pytest.mark.parametrize(
    "start", ["9999-12-31T10:00:00+00:00", "0001-01-02T10:00:00+00:00", "2206-11-23T08:00:00+00:00"]
)
async def test_a_shift_far_from_now_is_refused_before_tanda_sees_it(
    gateway: Gateway, start: str
) -> None:
    # A year 9999 shift once reached the upstream, whose 500s (one per try) opened Tanda's
    # circuit for every caller.
    world = gateway.world
    schedules_before = len(world.schedules)
    finish = start.replace("T10:00", "T12:00").replace("T08:00", "T12:00")

    for _ in range(6):
        body = await gateway.post(
            "mutation ($input: CreateScheduledShiftInput!) "
            "{ createScheduledShift(input: $input) { id } }",
            {"input": {"start": start, "finish": finish}},
        )
        expect_input_error(body, "input.start", "must be within a year of now")

    assert len(world.schedules) == schedules_before
    rosters = await gateway.data("{ currentRoster { id } }")
    assert rosters["currentRoster"] is not None  # Tanda still answers everyone


async def test_an_open_shift_cannot_keep_a_break(gateway: Gateway) -> None:
    world = gateway.world
    _, staff_domain_id = worker(world)
    day = world.today
    created = (
        await gateway.data(
            "mutation ($input: CreateShiftInput!) { createShift(input: $input) { id } }",
            {
                "input": {
                    "staffId": global_id("Staff", staff_domain_id),
                    "date": day.isoformat(),
                    "start": at(day, 8),
                    "finish": at(day, 12),
                    "breakMinutes": 30,
                }
            },
        )
    )["createShift"]

    body = await gateway.post(
        "mutation ($id: ID!) { updateShift(id: $id, input: {finish: null}) { id } }",
        {"id": created["id"]},
    )
    reopened = await gateway.data(
        "mutation ($id: ID!) { updateShift(id: $id, input: {finish: null, breakMinutes: 0}) "
        "{ finish breakMinutes } }",
        {"id": created["id"]},
    )

    expect_input_error(body, "input.finish", "cannot be null while the shift has a break")
    assert reopened["updateShift"] == {"finish": None, "breakMinutes": None}  # no break kept
