"""TASS `update_on` polls feed studentChanged and staffChanged, over a real WebSocket."""

from __future__ import annotations

from typing import Any

from schoolgraph.domain import ChangeKind
from schoolgraph.simulators.dataset import School
from tests.live.conftest import Connect, LiveGateway, Socket, global_id, polls_after

STUDENT_CHANGED = """
subscription ($schoolId: ID) {
  studentChanged(schoolId: $schoolId) { id deleted missed node { id domainId updatedAt } }
}
"""
STAFF_CHANGED = """
subscription ($schoolId: ID) {
  staffChanged(schoolId: $schoolId) { id deleted missed node { id domainId payrollNumber } }
}
"""


def tass_school(gateway: LiveGateway) -> School:
    return next(s for s in gateway.world.schools.values() if s.system == "tass")


def xporter_school(gateway: LiveGateway) -> School:
    return min(
        (s for s in gateway.world.schools.values() if s.system == "xporter"), key=lambda s: s.id
    )


async def acknowledged(connect: Connect) -> Socket:
    socket: Socket = await connect()
    assert (await socket.receive())["type"] == "connection_ack"
    return socket


async def test_a_tass_student_update_reaches_its_schools_subscriber_and_the_next_query(
    gateway: LiveGateway, connect: Connect
) -> None:
    school = tass_school(gateway)
    school_id = global_id("School", f"tass:{school.code}")
    other_id = global_id("School", f"xporter:{xporter_school(gateway).code}")
    student = min(
        (
            s
            for s in gateway.world.students.values()
            if s.school_id == school.id and s.leaving_date is None
        ),
        key=lambda s: s.id,
    )
    domain_id = f"tass:{school.code}:{student.code}"
    read = "query ($id: ID!) { node(id: $id) { ... on Student { updatedAt } } }"
    before = (await gateway.graphql(read, {"id": global_id("Student", domain_id)}))["node"]
    mine, theirs = await acknowledged(connect), await acknowledged(connect)
    await mine.subscribe(STUDENT_CHANGED, {"schoolId": school_id})
    await theirs.subscribe(STUDENT_CHANGED, {"schoolId": other_id})
    await gateway.subscribers(ChangeKind.STUDENT, 2)
    await polls_after(gateway.live, [f"tass:{school.code}"], 2)  # baseline, then no change
    await mine.nothing_within(0.1)  # unchanged rows fired nothing

    await gateway.sim_mutate("tass", {"table": "students", "action": "update", "ids": [student.id]})

    message = await mine.receive()
    change: dict[str, Any] = message["payload"]["data"]["studentChanged"]
    assert change["id"] == global_id("Student", domain_id)
    assert change["deleted"] is False and change["missed"] == 0
    assert change["node"]["domainId"] == domain_id
    assert change["node"]["updatedAt"] > before["updatedAt"]
    after = (await gateway.graphql(read, {"id": change["id"]}))["node"]
    assert after["updatedAt"] == change["node"]["updatedAt"]  # the cache took the same row in
    await mine.nothing_within(0.8)  # the changed row fires once, not on every poll
    await theirs.nothing_within(0.1)


async def test_a_tass_staff_update_reaches_a_staff_subscriber(
    gateway: LiveGateway, connect: Connect
) -> None:
    school = tass_school(gateway)
    member = min(
        (s for s in gateway.world.staff.values() if s.school_id == school.id), key=lambda s: s.id
    )
    socket = await acknowledged(connect)
    await socket.subscribe(STAFF_CHANGED, {"schoolId": global_id("School", f"tass:{school.code}")})
    await gateway.subscribers(ChangeKind.STAFF, 1)
    await polls_after(gateway.live, [f"tass:{school.code}"], 2)
    await socket.nothing_within(0.1)

    await gateway.sim_mutate("tass", {"table": "staff", "action": "update", "ids": [member.id]})

    change = (await socket.receive())["payload"]["data"]["staffChanged"]
    assert change["deleted"] is False
    assert change["node"]["payrollNumber"] == member.payroll_number
    assert change["node"]["domainId"].startswith(f"tass:{school.code}:")
    assert change["id"] == global_id("Staff", change["node"]["domainId"])
