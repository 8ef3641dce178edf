"""A subscription's arguments are checked as a query's are: refused at once, not a feed that
never fires."""

from __future__ import annotations

import pytest
from yarl import URL

from schoolgraph.domain import ChangeKind
from tests.live.conftest import Connect, LiveGateway, global_id
from tests.live.test_shift_subscriptions import acknowledged

UNCONFIGURED = global_id("School", "xporter:1234567")


@pytest.mark.parametrize(
    ("subscription", "code", "words"),
    [
        (
            'shiftChanged(from: "2026-11-29", to: "2026-11-23") { id }',
            "BAD_USER_INPUT",
            "is before 'from'",
        ),
        (f'studentChanged(schoolId: "{UNCONFIGURED}") {{ id }}', "NOT_FOUND", "not a configured"),
        (f'staffChanged(schoolId: "{UNCONFIGURED}") {{ id }}', "NOT_FOUND", "not a configured"),
    ],
    ids=["reversed-window", "students-of-no-school", "staff-of-no-school"],
)
async def test_a_subscription_with_arguments_a_query_refuses_is_refused(
    gateway: LiveGateway, connect: Connect, subscription: str, code: str, words: str
) -> None:
    socket = await acknowledged(connect)

    await socket.subscribe(f"subscription {{ {subscription} }}")

    message = await socket.receive()
    assert message["type"] == "next", message
    [error] = message["payload"]["errors"]
    assert error["extensions"]["code"] == code
    assert words in error["message"]
    assert (await socket.receive())["type"] == "complete"
    for kind in (ChangeKind.SHIFT, ChangeKind.STUDENT, ChangeKind.STAFF):
        assert gateway.live.broker.subscribers(kind) == []


async def test_a_subscriptions_school_is_checked_against_configuration(
    gateway: LiveGateway, connect: Connect
) -> None:
    """A configured school is taken as a query's ``schoolId`` is, from configuration: its
    details are not read (a slow upstream holding them would hold up the subscription)."""
    school = next(s for s in gateway.world.schools.values() if s.system == "xporter")
    stats = URL(gateway.stack.urls["xporter"]) / "__sim" / "stats"
    async with gateway.http.get(stats, params={"reset": "true"}):
        pass
    socket = await acknowledged(connect)

    await socket.subscribe(
        "subscription ($id: ID!) { studentChanged(schoolId: $id) { id } }",
        {"id": global_id("School", f"xporter:{school.code}")},
    )
    await gateway.subscribers(ChangeKind.STUDENT, 1)

    async with gateway.http.get(stats) as response:
        routes = {row["route"] for row in (await response.json())["routes"]}
    assert "/api/v1/School/{estab}/SchoolInfo" not in routes
    await socket.nothing_within(0.1)  # no refusal either
