"""Federation v2: the subgraph's SDL, and ``_entities`` through the same batched loaders."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from typing import Any

from schoolgraph.config import Settings
from schoolgraph.simulators.dataset import World
from tests.graph.conftest import Gateway, Start, global_id

KEYED = (
    "Contact",
    "Group",
    "Location",
    "Roster",
    "ScheduledShift",
    "School",
    "Shift",
    "Staff",
    "Student",
    "Team",
)


async def test_the_service_sdl_declares_the_keys(gateway: Gateway) -> None:
    sdl = (await gateway.data("{ _service { sdl } }"))["_service"]["sdl"]

    assert "specs.apollo.dev/federation/v2" in sdl
    keyed = re.findall(r'type (\w+) implements Node @key\(fields: "id"\)', sdl)
    assert sorted(keyed) == sorted(KEYED)


ENTITIES = """
query ($representations: [_Any!]!, $from: Date!, $to: Date!) {
  _entities(representations: $representations) {
    __typename
    ... on Staff {
      id displayName school { name } groups { name }
      shifts(from: $from, to: $to) { start team { name } }
      scheduledShifts(from: $from, to: $to) { start }
    }
    ... on Student { id surname groups { name } }
    ... on Group { id name students { surname } }
    ... on School { id name }
    ... on Roster { id rosterStart: start }
    ... on Shift { id date staff { displayName } }
    ... on ScheduledShift { id start roster { start } }
  }
}
"""


def staff_ids(world: World, count: int) -> list[str]:
    """``count`` Staff ids that take turns between both Xporter schools' staff and Tanda-only
    workers, so five of them touch the same schools and upstreams as fifty."""
    organisation = next(iter(world.organisation.values()))
    xporter = [s for s in world.schools.values() if s.system == "xporter"]
    pools = [
        [
            global_id("Staff", f"xporter:{school.code}:{staff.id}")
            for staff in sorted(world.staff_of(school.id), key=lambda s: s.id)
        ]
        for school in xporter
    ]
    pools.append(
        [
            global_id("Staff", f"tanda:{organisation.id}:{user.id}")
            for user in sorted(world.tanda_users.values(), key=lambda u: u.id)
            if user.mis_staff_id is None
        ]
    )
    taking_turns = [i for i in itertools.chain(*itertools.zip_longest(*pools)) if i]
    assert len(taking_turns) >= count
    return taking_turns[:count]


async def entities_cost(start_gateway: Start, count: int) -> tuple[dict[str, int], list[Any]]:
    gateway = await start_gateway(Settings(demo_scale="demo"))
    world = gateway.world
    roster = world.roster_containing(world.today - timedelta(days=7))
    assert roster is not None
    ids = staff_ids(world, count)

    # One day: Tanda pages its lists at 100 rows, and fifty people's shifts of a whole week
    # take two pages. Each further 100 rows the upstream returns costs one more request,
    # whoever asked for them; what must not happen is a request per person.
    day = roster.start.isoformat()
    body = await gateway.post(
        ENTITIES,
        {
            "representations": [{"__typename": "Staff", "id": i} for i in ids],
            "from": day,
            "to": day,
        },
    )
    assert "errors" not in body, body["errors"]
    entities: list[Any] = body["data"]["_entities"]
    assert [e["id"] for e in entities] == ids
    return await gateway.sim_requests(), entities


async def test_fifty_staff_entities_cost_the_upstream_requests_of_five(
    start_gateway: Start,
) -> None:
    few_cost, few = await entities_cost(start_gateway, 5)
    many_cost, many = await entities_cost(start_gateway, 50)

    assert len(many) == 50
    assert sum(len(e["shifts"]) for e in many) > sum(len(e["shifts"]) for e in few) > 0
    assert many_cost == few_cost
    print(f"upstream requests: 5 staff {few_cost}, 50 staff {many_cost}")  # noqa: T201


async def test_every_keyed_type_resolves_as_an_entity(gateway: Gateway) -> None:
    world = gateway.world
    organisation = next(iter(world.organisation.values()))
    school = next(s for s in world.schools.values() if s.system == "xporter")
    student = world.students_of(school.id)[0]
    group = world.groups_of(school.id)[0]
    roster = world.roster_containing(world.today)
    assert roster is not None
    shift = min(world.shifts.values(), key=lambda s: s.id)
    schedule = min(world.schedules.values(), key=lambda s: s.id)

    def tanda(native: int) -> str:
        return f"tanda:{organisation.id}:{native}"

    representations = [
        {"__typename": "School", "id": global_id("School", f"xporter:{school.code}")},
        {
            "__typename": "Student",
            "id": global_id("Student", f"xporter:{school.code}:{student.id}"),
        },
        {"__typename": "Group", "id": global_id("Group", f"xporter:{school.code}:{group.id}")},
        {"__typename": "Roster", "id": global_id("Roster", tanda(roster.id))},
        {"__typename": "Shift", "id": global_id("Shift", tanda(shift.id))},
        {"__typename": "ScheduledShift", "id": global_id("ScheduledShift", tanda(schedule.id))},
        {"__typename": "Student", "id": global_id("Student", f"xporter:{school.code}:1")},
        {"__typename": "Student", "id": global_id("Group", f"xporter:{school.code}:{group.id}")},
    ]
    day = world.today.isoformat()

    body = await gateway.post(
        ENTITIES, {"representations": representations, "from": day, "to": day}
    )

    entities = body["data"]["_entities"]
    assert [e and e["__typename"] for e in entities] == [
        "School",
        "Student",
        "Group",
        "Roster",
        "Shift",
        "ScheduledShift",
        None,
        None,
    ]
    assert entities[0]["name"] == school.name
    assert entities[1]["surname"] == student.surname
    assert entities[2]["name"] == group.name
    assert entities[3]["rosterStart"] == roster.start.isoformat()
    assert entities[4]["date"] == shift.date.isoformat()
    assert [e["path"] for e in body["errors"]] == [["_entities", 7]]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
