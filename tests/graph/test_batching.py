"""Upstream requests follow the schools and windows a query touches, never its rows.

Each query runs on a fresh gateway with fresh simulators (same seed, so the same world) and a
cold cache, and the cost is read from the simulators' own request counters.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from schoolgraph.config import Settings
from tests.graph.conftest import UPSTREAMS, Gateway, Start, global_id

GROUPS = """
query ($ids: [ID!]!, $from: Date!, $to: Date!) {
  nodes(ids: $ids) {
    ... on Group {
      name
      school { name }
      lessons(from: $from, to: $to) { start room staff { displayName } }
      students {
        displayName
        groups { name }
        contacts { relationship contact { surname } }
        attendance(from: $from, to: $to) { code }
        timetable(from: $from, to: $to) { start }
      }
      staff {
        displayName
        teams { name location { name } }
        shifts(from: $from, to: $to) {
          start localStart team { name } location { name } timesheet { status }
        }
        scheduledShifts(from: $from, to: $to) { start roster { start } team { name } }
        leaveRequests(from: $from, to: $to) { leaveType }
        timesheets { status }
      }
    }
  }
}
"""


async def cold_cost(start_gateway: Start, count: int) -> tuple[dict[str, int], list[Any]]:
    """What ``GROUPS`` over ``count`` teaching groups costs a cold gateway.

    The groups are the first ``count`` (by id) of one school whose staff include someone who
    worked Tanda shifts in the window, so both sizes read the same kinds of data; the window
    is last week's roster, which lies inside one pay period.
    """
    gateway = await start_gateway(Settings(demo_scale="demo"))
    world = gateway.world
    roster = world.roster_containing(world.today - timedelta(days=7))
    assert roster is not None
    school = next(s for s in world.schools.values() if s.system == "xporter")
    tanda_user = {u.mis_staff_id: u.id for u in world.tanda_users.values() if u.mis_staff_id}
    worked = {s.user_id for s in world.shifts.values() if roster.start <= s.date <= roster.finish}
    groups = [
        group
        for group in sorted(world.groups_of(school.id, type="class"), key=lambda g: g.id)
        if any(tanda_user.get(staff_id) in worked for staff_id in group.staff_ids)
    ][:count]
    assert len(groups) == count

    body = await gateway.post(
        GROUPS,
        {
            "ids": [global_id("Group", f"xporter:{school.code}:{g.id}") for g in groups],
            "from": roster.start.isoformat(),
            "to": roster.finish.isoformat(),
        },
    )
    assert "errors" not in body, body["errors"]
    nodes: list[Any] = body["data"]["nodes"]
    return await gateway.sim_requests(), nodes


async def test_thirty_groups_cost_the_upstream_requests_of_three(start_gateway: Start) -> None:
    few_cost, few = await cold_cost(start_gateway, 3)
    many_cost, many = await cold_cost(start_gateway, 30)

    students = sum(len(group["students"]) for group in many)
    shifts = sum(len(person["shifts"]) for group in many for person in group["staff"])
    assert len(few) == 3 and len(many) == 30
    assert students >= 10 * sum(len(group["students"]) for group in few) >= 600
    assert shifts > sum(len(person["shifts"]) for group in few for person in group["staff"])
    assert many_cost == few_cost
    print(  # noqa: T201
        f"upstream requests: 3 groups {few_cost}, 30 groups ({students} students, "
        f"{shifts} shifts) {many_cost}"
    )


async def routes_asked(gateway: Gateway) -> dict[str, dict[str, int]]:
    """Each simulator's requests by route since the last call (counters reset)."""
    asked: dict[str, dict[str, int]] = {}
    for name in UPSTREAMS:
        url = gateway.simulators.urls[name] + "/__sim/stats"
        async with gateway.http.get(url, params={"reset": "true"}) as response:
            routes = (await response.json())["routes"]
        asked[name] = {f"{r['method']} {r['route']}": r["count"] for r in routes}
    return asked


@pytest.mark.parametrize("field", ["students", "groups"])
async def test_a_list_of_every_school_costs_what_the_schools_own_lists_cost(
    start_gateway: Start, field: str
) -> None:
    every = await start_gateway(Settings(demo_scale="small"))
    each = await start_gateway(Settings(demo_scale="small"))
    credentials = each.world.credentials  # every configured school: TASS's "02" is empty
    schools = [f"xporter:{school.estab}" for school in credentials.xporter_schools] + [
        f"tass:{code}" for code in credentials.tass_company_codes
    ]
    own_lists = " ".join(
        f'school{n}: {field}(schoolId: "{global_id("School", school)}") {{ totalCount }}'
        for n, school in enumerate(schools)
    )
    await routes_asked(every)
    await routes_asked(each)

    together = await every.data(f"{{ {field} {{ totalCount }} }}")
    apart = await each.data(f"{{ {own_lists} }}")

    assert len(apart) == len(schools) >= 4
    assert together[field]["totalCount"] == sum(a["totalCount"] for a in apart.values())
    assert await routes_asked(every) == await routes_asked(each), "no school's details are read"
