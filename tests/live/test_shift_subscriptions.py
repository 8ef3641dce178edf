"""Shift subscriptions over a real WebSocket, fed by the simulated Tanda's signed webhooks."""

from __future__ import annotations

from typing import Any

from schoolgraph.domain import ChangeKind
from schoolgraph.simulators.dataset import Shift
from tests.live.conftest import Connect, LiveGateway, global_id

SHIFT_CHANGED = """
subscription ($teamId: ID) {
  shiftChanged(teamId: $teamId) { id deleted missed node { id domainId date team { domainId } } }
}
"""


def organisation(gateway: LiveGateway) -> int:
    return next(iter(gateway.world.organisation))


def team_shifts(gateway: LiveGateway) -> tuple[Shift, int]:
    """A shift with a team, and another team id."""
    shift = next(
        s for s in sorted(gateway.world.shifts.values(), key=lambda s: s.id) if s.department_id
    )
    other = next(t for t in sorted(gateway.world.teams) if t != shift.department_id)
    return shift, other


async def acknowledged(connect: Connect, **kwargs: Any) -> Any:
    socket = await connect(**kwargs)
    assert (await socket.receive())["type"] == "connection_ack"
    return socket


async def test_a_shift_change_reaches_its_team_subscriber_and_not_another_team(
    gateway: LiveGateway, connect: Connect
) -> None:
    shift, other_team = team_shifts(gateway)
    org = organisation(gateway)
    team_id = global_id("Team", f"tanda:{org}:{shift.department_id}")
    mine = await acknowledged(connect)
    theirs = await acknowledged(connect)
    operation = await mine.subscribe(SHIFT_CHANGED, {"teamId": team_id})
    other_id = global_id("Team", f"tanda:{org}:{other_team}")
    await theirs.subscribe(SHIFT_CHANGED, {"teamId": other_id})
    await gateway.subscribers(ChangeKind.SHIFT, 2)
    await gateway.live.webhook_registered.wait()

    await gateway.sim_mutate("tanda", {"table": "shifts", "action": "update", "ids": [shift.id]})

    message = await mine.receive()
    assert message["type"] == "next" and message["id"] == operation, message
    change = message["payload"]["data"]["shiftChanged"]
    domain_id = f"tanda:{org}:{shift.id}"
    assert change["id"] == global_id("Shift", domain_id)
    assert change["deleted"] is False and change["missed"] == 0
    assert change["node"]["domainId"] == domain_id
    assert change["node"]["team"]["domainId"] == f"tanda:{org}:{shift.department_id}"
    assert change["node"]["date"] == shift.date.isoformat()
    await theirs.nothing_within(0.5)
