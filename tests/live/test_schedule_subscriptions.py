"""scheduledShiftChanged over a real WebSocket: a gateway mutation and a deletion in Tanda."""

from __future__ import annotations

from typing import Any

from schoolgraph.domain import ChangeKind
from schoolgraph.simulators.dataset import Schedule
from tests.live.conftest import Connect, LiveGateway, Socket, global_id

SCHEDULED_SHIFT_CHANGED = """
subscription ($teamId: ID, $rosterId: ID) {
  scheduledShiftChanged(teamId: $teamId, rosterId: $rosterId) {
    id deleted missed node { id domainId breakMinutes team { domainId } }
  }
}
"""
UPDATE = """
mutation ($id: ID!, $minutes: Int!) {
  updateScheduledShift(id: $id, input: {breakMinutes: $minutes}) { id breakMinutes }
}
"""


async def acknowledged(connect: Connect) -> Socket:
    socket: Socket = await connect()
    assert (await socket.receive())["type"] == "connection_ack"
    return socket


def staffed_schedule(gateway: LiveGateway) -> Schedule:
    """A scheduled shift with a person, a team, and a team of the same roster without it."""
    return min(
        (s for s in gateway.world.schedules.values() if s.department_id and s.user_id),
        key=lambda s: s.id,
    )


async def test_a_scheduled_shift_changed_by_a_mutation_then_deleted_reaches_its_team_only(
    gateway: LiveGateway, connect: Connect
) -> None:
    org = next(iter(gateway.world.organisation))
    schedule = staffed_schedule(gateway)
    team = f"tanda:{org}:{schedule.department_id}"
    other_team = next(t for t in sorted(gateway.world.teams) if t != schedule.department_id)
    other_roster = next(r for r in sorted(gateway.world.rosters) if r != schedule.roster_id)
    domain_id = f"tanda:{org}:{schedule.id}"
    shift_id = global_id("ScheduledShift", domain_id)

    mine = await acknowledged(connect)
    by_roster = await acknowledged(connect)
    theirs = await acknowledged(connect)
    await mine.subscribe(SCHEDULED_SHIFT_CHANGED, {"teamId": global_id("Team", team)})
    roster = global_id("Roster", f"tanda:{org}:{schedule.roster_id}")
    await by_roster.subscribe(SCHEDULED_SHIFT_CHANGED, {"rosterId": roster})
    await theirs.subscribe(
        SCHEDULED_SHIFT_CHANGED,
        {
            "teamId": global_id("Team", f"tanda:{org}:{other_team}"),
            "rosterId": global_id("Roster", f"tanda:{org}:{other_roster}"),
        },
    )
    await gateway.subscribers(ChangeKind.SCHEDULED_SHIFT, 3)
    await gateway.live.webhook_registered.wait()

    minutes = (schedule.automatic_break_length or 0) + 7
    updated = await gateway.graphql(UPDATE, {"id": shift_id, "minutes": minutes})
    assert updated["updateScheduledShift"]["breakMinutes"] == minutes

    for socket in (mine, by_roster):
        change: dict[str, Any] = (await socket.receive())["payload"]["data"][
            "scheduledShiftChanged"
        ]
        assert change["id"] == shift_id and change["deleted"] is False
        assert change["node"]["breakMinutes"] == minutes  # read afresh, not the cached row
        assert change["node"]["team"]["domainId"] == team

    await gateway.sim_mutate(
        "tanda", {"table": "schedules", "action": "delete", "ids": [schedule.id]}
    )

    for socket in (mine, by_roster):
        message = await socket.receive()
        deleted = message["payload"]["data"]["scheduledShiftChanged"]
        assert deleted == {"id": shift_id, "deleted": True, "missed": 0, "node": None}, message
    await theirs.nothing_within(0.5)
