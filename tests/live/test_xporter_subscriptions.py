"""staffChanged and groupMembershipChanged from Xporter change-set polls, over a real WebSocket."""

from __future__ import annotations

from typing import Any

from schoolgraph.domain import ChangeKind
from schoolgraph.simulators.dataset import Group, School
from tests.live.conftest import Connect, LiveGateway, Socket, global_id

STAFF_CHANGED = """
subscription ($schoolId: ID) {
  staffChanged(schoolId: $schoolId) { id deleted missed node { id domainId payrollNumber } }
}
"""
GROUP_CHANGED = """
subscription ($groupId: ID) {
  groupMembershipChanged(groupId: $groupId) {
    id deleted missed node { id domainId code studentCount students { domainId } }
  }
}
"""
STUDENT_CHANGED = "subscription { studentChanged { id deleted missed node { id } } }"
GROUPS = """
query ($schoolId: ID!) { groups(schoolId: $schoolId, first: 500) { nodes { id code type } } }
"""


async def acknowledged(connect: Connect) -> Socket:
    socket: Socket = await connect()
    assert (await socket.receive())["type"] == "connection_ack"
    return socket


def xporter_schools(gateway: LiveGateway) -> list[School]:
    return sorted(
        (s for s in gateway.world.schools.values() if s.system == "xporter"), key=lambda s: s.id
    )


async def test_a_staff_update_reaches_its_schools_subscriber_not_another_schools(
    gateway: LiveGateway, connect: Connect
) -> None:
    first, second = xporter_schools(gateway)[:2]
    member = min(
        (s for s in gateway.world.staff.values() if s.school_id == first.id), key=lambda s: s.id
    )
    mine, theirs = await acknowledged(connect), await acknowledged(connect)
    await mine.subscribe(STAFF_CHANGED, {"schoolId": global_id("School", f"xporter:{first.code}")})
    await theirs.subscribe(
        STAFF_CHANGED, {"schoolId": global_id("School", f"xporter:{second.code}")}
    )
    await gateway.subscribers(ChangeKind.STAFF, 2)
    await gateway.settled()
    await mine.nothing_within(0.1)

    await gateway.sim_mutate("xporter", {"table": "staff", "action": "update", "ids": [member.id]})

    change: dict[str, Any] = (await mine.receive())["payload"]["data"]["staffChanged"]
    assert change["deleted"] is False and change["missed"] == 0
    assert change["node"]["payrollNumber"] == member.payroll_number
    assert change["node"]["domainId"].startswith(f"xporter:{first.code}:")
    assert change["id"] == global_id("Staff", change["node"]["domainId"])
    await theirs.nothing_within(0.6)


async def test_a_student_leaving_changes_their_groups_and_is_delivered_deleted(
    gateway: LiveGateway, connect: Connect
) -> None:
    school = xporter_schools(gateway)[0]
    groups = await gateway.graphql(
        GROUPS, {"schoolId": global_id("School", f"xporter:{school.code}")}
    )
    by_code = {g["code"]: g for g in groups["groups"]["nodes"] if g["type"] == "REGISTRATION"}
    registration: list[Group] = sorted(
        (
            g
            for g in gateway.world.groups.values()
            if g.school_id == school.id and g.code in by_code and g.student_ids
        ),
        key=lambda g: g.id,
    )
    mine_group, other_group = registration[0], registration[1]
    student_id = mine_group.student_ids[0]
    assert student_id not in other_group.student_ids
    student = gateway.world.students[student_id]

    mine, theirs, students = [await acknowledged(connect) for _ in range(3)]
    await mine.subscribe(GROUP_CHANGED, {"groupId": by_code[mine_group.code]["id"]})
    await theirs.subscribe(GROUP_CHANGED, {"groupId": by_code[other_group.code]["id"]})
    await students.subscribe(STUDENT_CHANGED)
    await gateway.subscribers(ChangeKind.GROUP_MEMBERSHIP, 2)
    await gateway.subscribers(ChangeKind.STUDENT, 1)
    await gateway.settled()

    await gateway.sim_mutate(
        "xporter", {"table": "students", "action": "delete", "ids": [student_id]}
    )

    change = (await mine.receive())["payload"]["data"]["groupMembershipChanged"]
    assert change["id"] == by_code[mine_group.code]["id"] and change["deleted"] is False
    members = {s["domainId"] for s in change["node"]["students"]}
    student_domain_id = f"xporter:{school.code}:{student.id}"
    assert student_domain_id not in members
    assert change["node"]["studentCount"] == len(mine_group.student_ids)
    gone = (await students.receive())["payload"]["data"]["studentChanged"]
    assert gone == {
        "id": global_id("Student", student_domain_id),
        "deleted": True,
        "missed": 0,
        "node": None,
    }
    await theirs.nothing_within(0.6)


async def test_a_student_update_and_delete_reach_node_at_once_not_after_its_own_ttl(
    gateway: LiveGateway, connect: Connect
) -> None:
    school = xporter_schools(gateway)[0]
    student = min(
        (
            s
            for s in gateway.world.students.values()
            if s.school_id == school.id and s.leaving_date is None
        ),
        key=lambda s: s.id,
    )
    student_id = global_id("Student", f"xporter:{school.code}:{student.id}")
    read = "query ($id: ID!) { node(id: $id) { ... on Student { updatedAt } } }"
    before = (await gateway.graphql(read, {"id": student_id}))["node"]  # cached by id
    socket = await acknowledged(connect)
    await socket.subscribe("subscription { studentChanged { id deleted node { updatedAt } } }")
    await gateway.subscribers(ChangeKind.STUDENT, 1)
    await gateway.settled()

    await gateway.sim_mutate(
        "xporter", {"table": "students", "action": "update", "ids": [student.id]}
    )

    change = (await socket.receive())["payload"]["data"]["studentChanged"]
    assert change["id"] == student_id and change["deleted"] is False
    assert change["node"]["updatedAt"] > before["updatedAt"]
    after = (await gateway.graphql(read, {"id": student_id}))["node"]
    assert after == change["node"]

    await gateway.sim_mutate(
        "xporter", {"table": "students", "action": "delete", "ids": [student.id]}
    )

    gone = (await socket.receive())["payload"]["data"]["studentChanged"]
    assert gone == {"id": student_id, "deleted": True, "node": None}
    assert (await gateway.graphql(read, {"id": student_id}))["node"] is None


async def test_a_member_of_staff_added_reaches_a_staff_subscriber(
    gateway: LiveGateway, connect: Connect
) -> None:
    school = xporter_schools(gateway)[0]
    socket = await acknowledged(connect)
    await socket.subscribe(
        STAFF_CHANGED, {"schoolId": global_id("School", f"xporter:{school.code}")}
    )
    await gateway.subscribers(ChangeKind.STAFF, 1)
    await gateway.settled()

    added = await gateway.sim_mutate(
        "xporter", {"table": "staff", "action": "add", "count": 1, "school": school.code}
    )

    change = (await socket.receive())["payload"]["data"]["staffChanged"]
    member = gateway.world.staff[added["ids"][0]]
    assert change["deleted"] is False and change["missed"] == 0
    assert change["node"]["domainId"] == f"xporter:{school.code}:{member.id}"
    assert change["node"]["payrollNumber"] == member.payroll_number
    await socket.nothing_within(0.6)  # delivered once
