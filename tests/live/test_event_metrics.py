"""A subscription's events count their upstream reads in /metrics as each goes out, as an
HTTP request's are counted once answered."""

from __future__ import annotations

from schoolgraph.domain import ChangeKind
from tests.live.conftest import Connect, LiveGateway, Socket
from tests.live.test_xporter_subscriptions import xporter_schools
from tests.observability.conftest import scrape, total

STAFF_CHANGED = "subscription { staffChanged { id node { id payrollNumber } } }"
CALLS = "schoolgraph_upstream_calls_total"


async def test_each_event_s_upstream_reads_are_counted_as_it_goes_out(
    gateway: LiveGateway, connect: Connect
) -> None:
    school = xporter_schools(gateway)[0]
    member = min(
        (s for s in gateway.world.staff.values() if s.school_id == school.id), key=lambda s: s.id
    )
    socket: Socket = await connect()
    assert (await socket.receive())["type"] == "connection_ack"
    await socket.subscribe(STAFF_CHANGED)
    await gateway.subscribers(ChangeKind.STAFF, 1)
    await gateway.settled()
    _, before = await scrape(gateway.http, gateway.url)

    await gateway.sim_mutate("xporter", {"table": "staff", "action": "update", "ids": [member.id]})
    event = await socket.receive()
    _, after = await scrape(gateway.http, gateway.url)

    assert event["type"] == "next" and event["payload"]["data"]["staffChanged"]["node"]
    assert total(after, CALLS) > total(before, CALLS), "the event read its member of staff"
